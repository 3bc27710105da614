"""Stacked and bidirectional wrappers, over every cell, against torch.nn and differences."""

import numpy as np
import pytest
import torch
from checks import assert_close, dims, normal
from hypothesis import given
from hypothesis import strategies as st

from rnncore import bidirectional, stacked
from rnncore import torch_ref as tr
from rnncore.cells import CELLS, get_cell
from rnncore.gradcheck import check_gradients

TORCH_KIND = {"rnn": "rnn", "lstm": "lstm", "gru_torch": "gru"}


def flat(prefix_grads):
    return {f"{i}.{k}": v for i, g in enumerate(prefix_grads) for k, v in g.items()}


@pytest.mark.parametrize("name", sorted(CELLS))
@given(d=dims, depth=st.integers(1, 3))
def test_stacked_backward_by_differences(name, d, depth):
    cell = get_cell(name)
    rng = np.random.default_rng(d["seed"])
    layers = [cell.init(d["D"] if k == 0 else d["H"], d["H"], rng) for k in range(depth)]
    x = normal(rng, d["T"], d["N"], d["D"], scale=1.0)
    h, cache, _ = stacked.stacked_forward(x, layers, cell)
    dh = normal(rng, *h.shape, scale=1.0)
    dx, grads, _ = stacked.stacked_backward(dh, cache)

    def forward(x, **flat_params):
        ls = [{k: flat_params[f"{i}.{k}"] for k in cell.param_names} for i in range(depth)]
        return stacked.stacked_forward(x, ls, cell)[0]

    inputs = {"x": x, **flat(layers)}
    result = check_gradients(forward, inputs, {"x": dx, **flat(grads)}, dh)
    assert result.ok, str(result)


@pytest.mark.parametrize("name", sorted(TORCH_KIND))
@given(d=dims, depth=st.integers(1, 3))
def test_stacked_matches_torch_multilayer(name, d, depth):
    cell = get_cell(name)
    rng = np.random.default_rng(d["seed"])
    layers = [cell.init(d["D"] if k == 0 else d["H"], d["H"], rng) for k in range(depth)]
    x = normal(rng, d["T"], d["N"], d["D"], scale=1.0)
    h, cache, finals = stacked.stacked_forward(x, layers, cell)
    dh = normal(rng, *h.shape, scale=1.0)
    dx, grads, _ = stacked.stacked_backward(dh, cache)
    module = tr.to_torch(TORCH_KIND[name], layers)
    xt = torch.tensor(x, requires_grad=True)
    out, _ = module(xt)
    out.backward(torch.tensor(dh))
    assert_close(out.detach().numpy(), h, 1e-12, "h")
    assert_close(xt.grad.numpy(), dx, 1e-12, "dx")
    for k in range(depth):
        mg = tr.module_grads(TORCH_KIND[name], module, f"l{k}")
        for p in cell.param_names:
            assert_close(mg[p], grads[k][p], 1e-12, f"layer {k} d{p}")


@pytest.mark.parametrize("name", sorted(TORCH_KIND))
@given(d=dims)
def test_bidirectional_matches_torch(name, d):
    cell = get_cell(name)
    rng = np.random.default_rng(d["seed"])
    p_fw, p_bw = cell.init(d["D"], d["H"], rng), cell.init(d["D"], d["H"], rng)
    x = normal(rng, d["T"], d["N"], d["D"], scale=1.0)
    h, cache = bidirectional.bidirectional_forward(x, p_fw, p_bw, cell)
    dh = normal(rng, *h.shape, scale=1.0)
    dx, g_fw, g_bw, _, _ = bidirectional.bidirectional_backward(dh, cache)
    module = tr.to_torch(TORCH_KIND[name], [p_fw, p_bw], bidirectional=True)
    xt = torch.tensor(x, requires_grad=True)
    out, _ = module(xt)
    out.backward(torch.tensor(dh))
    assert_close(out.detach().numpy(), h, 1e-12, "h")
    assert_close(xt.grad.numpy(), dx, 1e-12, "dx")
    for suffix, ours in (("l0", g_fw), ("l0_reverse", g_bw)):
        mg = tr.module_grads(TORCH_KIND[name], module, suffix)
        for p in cell.param_names:
            assert_close(mg[p], ours[p], 1e-12, f"{suffix} d{p}")


@pytest.mark.parametrize("name", ["lstm_peephole", "gru"])
@given(d=dims)
def test_bidirectional_backward_by_differences(name, d):
    cell = get_cell(name)
    rng = np.random.default_rng(d["seed"])
    p_fw, p_bw = cell.init(d["D"], d["H"], rng), cell.init(d["D"], d["H"], rng)
    x = normal(rng, d["T"], d["N"], d["D"], scale=1.0)
    h, cache = bidirectional.bidirectional_forward(x, p_fw, p_bw, cell)
    dh = normal(rng, *h.shape, scale=1.0)
    dx, g_fw, g_bw, _, _ = bidirectional.bidirectional_backward(dh, cache)

    def forward(x, **ps):
        fw = {k: ps[f"0.{k}"] for k in cell.param_names}
        bw = {k: ps[f"1.{k}"] for k in cell.param_names}
        return bidirectional.bidirectional_forward(x, fw, bw, cell)[0]

    result = check_gradients(forward, {"x": x, **flat([p_fw, p_bw])}, {"x": dx, **flat([g_fw, g_bw])}, dh)
    assert result.ok, str(result)


@pytest.mark.parametrize("name", sorted(CELLS))
def test_final_state_gradient_flows_into_the_cell(name):
    # The gradient on a final state (handed to a decoder) reaches the weights and h0.
    cell = get_cell(name)
    rng = np.random.default_rng(0)
    params = cell.init(2, 3, rng)
    x = normal(rng, 4, 2, 2, scale=1.0)
    state0 = {s: normal(rng, 2, 3) for s in cell.state_names}
    dfinal = {s: normal(rng, 2, 3, scale=1.0) for s in cell.state_names}

    def forward(x, **kw):
        s0 = {s: kw[s] for s in cell.state_names}
        _, _, final = cell.forward(x, {k: kw[k] for k in cell.param_names}, s0)
        return tuple(final[s] for s in cell.state_names)

    h, cache, final = cell.forward(x, params, state0)
    dx, grads, dstate0 = cell.backward(np.zeros_like(h), cache, dfinal)
    analytic = {"x": dx, **grads, **dstate0}
    result = check_gradients(
        forward, {"x": x, **params, **state0}, analytic, tuple(dfinal[s] for s in cell.state_names)
    )
    assert result.ok, str(result)
