"""The GRU in both variants: the lecture's (reset before W) and PyTorch's (reset after)."""

import numpy as np
import pytest
import torch
from checks import assert_close, assert_each_matches_torch, assert_gradients, dims, normal
from hypothesis import given

from rnncore import gru
from rnncore import torch_ref as tr

VARIANTS = ["lecture", "torch"]


def make(d, variant):
    rng = np.random.default_rng(d["seed"])
    T, N, D, H = d["T"], d["N"], d["D"], d["H"]
    p = {"U": normal(rng, 3 * H, D), "W": normal(rng, 3 * H, H), "b": normal(rng, 3 * H)}
    if variant == "torch":
        p["b_hn"] = normal(rng, H)
    return rng, normal(rng, T, N, D, scale=1.0), p, normal(rng, N, H)


def analytic_of(g, variant, first="x", state="h0"):
    out = {first: g.dx, state: g.dh0 if hasattr(g, "dh0") else g.dh_prev, "U": g.dU, "W": g.dW, "b": g.db}
    if variant == "torch":
        out["b_hn"] = g.db_hn
    else:
        assert g.db_hn is None
    return out


@pytest.mark.parametrize("variant", VARIANTS)
@given(d=dims)
def test_step_backward(variant, d):
    rng, x, p, h0 = make(d, variant)
    h, cache = gru.gru_step_forward(x[0], h0, **p, variant=variant)
    dh = normal(rng, *h.shape, scale=1.0)
    g = gru.gru_step_backward(dh, cache)
    assert_gradients(
        lambda **kw: gru.gru_step_forward(**kw, variant=variant)[0],
        {"x": x[0], "h_prev": h0, **p},
        analytic_of(g, variant, state="h_prev"),
        dh,
        lambda **kw: tr.gru_step_forward_torch(**kw, variant=variant),
    )


@pytest.mark.parametrize("variant", VARIANTS)
@given(d=dims)
def test_sequence_backward(variant, d):
    rng, x, p, h0 = make(d, variant)
    h, cache = gru.gru_forward(x, **p, h0=h0, variant=variant)
    dh = normal(rng, *h.shape, scale=1.0)
    g = gru.gru_backward(dh, cache)
    assert_gradients(
        lambda **kw: gru.gru_forward(**kw, variant=variant)[0],
        {"x": x, **p, "h0": h0},
        analytic_of(g, variant),
        dh,
        lambda **kw: tr.gru_forward_torch(**kw, variant=variant),
        time_major={"x"},
    )


@pytest.mark.parametrize("variant", VARIANTS)
@given(d=dims)
def test_sequence_is_the_composition_of_steps(variant, d):
    rng, x, p, h0 = make(d, variant)
    h, cache = gru.gru_forward(x, **p, h0=h0, variant=variant)
    dh = normal(rng, *h.shape, scale=1.0)
    g = gru.gru_backward(dh, cache)
    state, caches = h0, []
    for t in range(d["T"]):
        state, c = gru.gru_step_forward(x[t], state, **p, variant=variant)
        caches.append(c)
        np.testing.assert_allclose(state, h[t], rtol=1e-12, atol=1e-14)
    carry = np.zeros_like(h0)
    for t in reversed(range(d["T"])):
        gs = gru.gru_step_backward(dh[t] + carry, caches[t])
        carry = gs.dh_prev
    np.testing.assert_allclose(carry, g.dh0, rtol=1e-10, atol=1e-12)


def test_variants_differ():
    # Same weights, different equations: the two forms are genuinely different models.
    rng, x, p, h0 = make({"T": 3, "N": 2, "D": 3, "H": 4, "seed": 0}, "torch")
    a, _ = gru.gru_forward(x, p["U"], p["W"], p["b"], h0=h0, variant="lecture")
    b, _ = gru.gru_forward(x, **p, h0=h0, variant="torch")
    assert not np.allclose(a, b)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@given(d=dims)
def test_torch_variant_matches_torch_nn_gru(dtype, tol, d):
    rng, x, p, h0 = make(d, "torch")
    x, h0 = x.astype(dtype), h0.astype(dtype)
    p = {k: v.astype(dtype) for k, v in p.items()}
    h, cache = gru.gru_forward(x, **p, h0=h0, variant="torch")
    dh = normal(rng, *h.shape, scale=1.0).astype(dtype)
    g = gru.gru_backward(dh, cache)
    module = tr.to_torch("gru", [p], dtype=dtype)
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    out, _ = module(xt, h0t)
    out.backward(torch.tensor(dh))
    # In float32, each result is judged against the float64 computation on the same inputs.
    wide = {k: v.astype(np.float64) for k, v in p.items()}
    h64, cache64 = gru.gru_forward(x.astype(np.float64), **wide, h0=h0.astype(np.float64), variant="torch")
    g64 = gru.gru_backward(dh.astype(np.float64), cache64)
    mg = tr.module_grads("gru", module)
    pairs = [("h", out.detach().numpy(), h, h64), ("dx", xt.grad.numpy(), g.dx, g64.dx),
             ("dh0", h0t.grad.numpy()[0], g.dh0, g64.dh0), ("U", mg["U"], g.dU, g64.dU),
             ("W", mg["W"], g.dW, g64.dW), ("b", mg["b"], g.db, g64.db),
             ("b_hn", mg["b_hn"], g.db_hn, g64.db_hn)]  # fmt: skip
    assert_each_matches_torch(pairs, dtype, tol)


@given(dims)
def test_torch_variant_step_matches_gru_cell(d):
    rng, x, p, h0 = make(d, "torch")
    cell = tr.to_torch_cell("gru", p)
    h, _ = gru.gru_step_forward(x[0], h0, **p, variant="torch")
    assert_close(cell(torch.tensor(x[0]), torch.tensor(h0)).detach().numpy(), h, 1e-12, "h")


def test_b_hn_belongs_to_the_torch_variant_only():
    rng, x, p, h0 = make({"T": 2, "N": 1, "D": 2, "H": 2, "seed": 0}, "torch")
    with pytest.raises(ValueError, match="b_hn"):
        gru.gru_forward(x, **p, variant="lecture")
    with pytest.raises(ValueError, match="b_hn"):
        gru.gru_forward(x, p["U"], p["W"], p["b"], variant="torch")
    with pytest.raises(ValueError, match="variant"):
        gru.gru_forward(x, p["U"], p["W"], p["b"], variant="keras")
