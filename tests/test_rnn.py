"""The Elman RNN: step and sequence, against finite differences, autograd and torch.nn."""

import numpy as np
import pytest
import torch
from checks import assert_close, assert_each_matches_torch, assert_gradients, dims, normal
from hypothesis import example, given

from rnncore import rnn
from rnncore import torch_ref as tr


def make(d, with_h0=True):
    rng = np.random.default_rng(d["seed"])
    T, N, D, H = d["T"], d["N"], d["D"], d["H"]
    p = {"U": normal(rng, H, D), "W": normal(rng, H, H), "b": normal(rng, H)}
    x = normal(rng, T, N, D, scale=1.0)
    h0 = normal(rng, N, H) if with_h0 else None
    return rng, x, p, h0


@given(dims)
def test_step_backward(d):
    rng, x, p, h0 = make(d)
    h, cache = rnn.rnn_step_forward(x[0], h0, **p)
    dh = normal(rng, *h.shape, scale=1.0)
    g = rnn.rnn_step_backward(dh, cache)
    inputs = {"x": x[0], "h_prev": h0, **p}
    analytic = {"x": g.dx, "h_prev": g.dh_prev, "U": g.dU, "W": g.dW, "b": g.db}
    assert_gradients(lambda **kw: rnn.rnn_step_forward(**kw)[0], inputs, analytic, dh, tr.rnn_step_forward_torch)


@given(dims)
def test_sequence_backward(d):
    rng, x, p, h0 = make(d)
    h, cache = rnn.rnn_forward(x, **p, h0=h0)
    dh = normal(rng, *h.shape, scale=1.0)
    g = rnn.rnn_backward(dh, cache)
    analytic = {"x": g.dx, "h0": g.dh0, "U": g.dU, "W": g.dW, "b": g.db}
    assert_gradients(
        lambda **kw: rnn.rnn_forward(**kw)[0],
        {"x": x, **p, "h0": h0},
        analytic,
        dh,
        tr.rnn_forward_torch,
        time_major={"x"},
    )


@given(dims)
def test_sequence_is_the_composition_of_steps(d):
    rng, x, p, h0 = make(d)
    h, cache = rnn.rnn_forward(x, **p, h0=h0)
    dh = normal(rng, *h.shape, scale=1.0)
    g = rnn.rnn_backward(dh, cache)
    state, caches = h0, []
    for t in range(d["T"]):
        state, c = rnn.rnn_step_forward(x[t], state, **p)
        caches.append(c)
        np.testing.assert_allclose(state, h[t], rtol=1e-12, atol=1e-14)
    carry, dW = np.zeros_like(h0), np.zeros_like(p["W"])
    for t in reversed(range(d["T"])):
        gs = rnn.rnn_step_backward(dh[t] + carry, caches[t])
        carry, dW = gs.dh_prev, dW + gs.dW
        np.testing.assert_allclose(gs.dx, g.dx[t], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(carry, g.dh0, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dW, g.dW, rtol=1e-10, atol=1e-12)


def test_zero_initial_state_is_the_default():
    rng, x, p, _ = make({"T": 3, "N": 2, "D": 3, "H": 4, "seed": 1})
    a, _ = rnn.rnn_forward(x, **p)
    b, _ = rnn.rnn_forward(x, **p, h0=np.zeros((2, 4)))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@given(d=dims)
@example(d={"T": 4, "N": 3, "D": 4, "H": 1, "seed": 762314})  # dW: rnncore and torch 1.09e-5 apart in float32
def test_matches_torch_nn_rnn(dtype, tol, d):
    rng, x, p, h0 = make(d)
    x, h0 = x.astype(dtype), h0.astype(dtype)
    p = {k: v.astype(dtype) for k, v in p.items()}
    h, cache = rnn.rnn_forward(x, **p, h0=h0)
    dh = normal(rng, *h.shape, scale=1.0).astype(dtype)
    g = rnn.rnn_backward(dh, cache)

    module = tr.to_torch("rnn", [p], dtype=dtype)
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    out, _ = module(xt, h0t)
    out.backward(torch.tensor(dh))
    assert h.dtype == dtype
    # In float32, each result is judged against the float64 computation on the same inputs.
    h64, cache64 = rnn.rnn_forward(x.astype(np.float64), **{k: v.astype(np.float64) for k, v in p.items()},
                                   h0=h0.astype(np.float64))  # fmt: skip
    g64 = rnn.rnn_backward(dh.astype(np.float64), cache64)
    mg = tr.module_grads("rnn", module)
    pairs = [("h", out.detach().numpy(), h, h64), ("dx", xt.grad.numpy(), g.dx, g64.dx),
             ("dh0", h0t.grad.numpy()[0], g.dh0, g64.dh0), ("U", mg["U"], g.dU, g64.dU),
             ("W", mg["W"], g.dW, g64.dW), ("b", mg["b"], g.db, g64.db)]  # fmt: skip
    assert_each_matches_torch(pairs, dtype, tol)


@given(dims)
def test_step_matches_torch_rnn_cell(d):
    rng, x, p, h0 = make(d)
    cell = tr.to_torch_cell("rnn", p)
    h, _ = rnn.rnn_step_forward(x[0], h0, **p)
    assert_close(cell(torch.tensor(x[0]), torch.tensor(h0)).detach().numpy(), h, 1e-12, "h")
