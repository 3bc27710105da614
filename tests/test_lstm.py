"""The LSTM: step and sequence, with and without peepholes."""

import numpy as np
import pytest
import torch
from checks import assert_close, assert_each_matches_torch, assert_gradients, dims, normal
from hypothesis import given
from hypothesis import strategies as st

from rnncore import lstm
from rnncore import torch_ref as tr


def make(d, peephole=False):
    rng = np.random.default_rng(d["seed"])
    T, N, D, H = d["T"], d["N"], d["D"], d["H"]
    p = {"U": normal(rng, 4 * H, D), "W": normal(rng, 4 * H, H), "b": normal(rng, 4 * H)}
    if peephole:
        p["p"] = normal(rng, 3, H)
    x = normal(rng, T, N, D, scale=1.0)
    return rng, x, p, normal(rng, N, H), normal(rng, N, H)


@given(dims, st.booleans())
def test_step_backward(d, peephole):
    rng, x, p, h0, c0 = make(d, peephole)
    h, c, cache = lstm.lstm_step_forward(x[0], h0, c0, **p)
    dh, dc = normal(rng, *h.shape, scale=1.0), normal(rng, *c.shape, scale=1.0)
    g = lstm.lstm_step_backward(dh, dc, cache)
    analytic = {"x": g.dx, "h_prev": g.dh_prev, "c_prev": g.dc_prev, "U": g.dU, "W": g.dW, "b": g.db}
    if peephole:
        analytic["p"] = g.dp
    else:
        assert g.dp is None

    def forward(**kw):
        h, c, _ = lstm.lstm_step_forward(**kw)
        return h, c

    inputs = {"x": x[0], "h_prev": h0, "c_prev": c0, **p}
    assert_gradients(forward, inputs, analytic, (dh, dc), tr.lstm_step_forward_torch)


@given(dims, st.booleans())
def test_sequence_backward(d, peephole):
    rng, x, p, h0, c0 = make(d, peephole)
    h, cache = lstm.lstm_forward(x, **p, h0=h0, c0=c0)
    dh = normal(rng, *h.shape, scale=1.0)
    dc_last = normal(rng, *c0.shape, scale=1.0)
    g = lstm.lstm_backward(dh, cache, dc_last=dc_last)
    analytic = {"x": g.dx, "h0": g.dh0, "c0": g.dc0, "U": g.dU, "W": g.dW, "b": g.db}
    if peephole:
        analytic["p"] = g.dp

    def forward(**kw):
        h, cache = lstm.lstm_forward(**kw)
        return h, cache.cs[-1]

    def twin(**kw):
        h, cs = tr.lstm_forward_torch(**kw, return_cells=True)
        return h, cs[-1]

    inputs = {"x": x, **p, "h0": h0, "c0": c0}
    assert_gradients(forward, inputs, analytic, (dh, dc_last), twin, time_major={"x"})


@given(dims, st.booleans())
def test_sequence_is_the_composition_of_steps(d, peephole):
    rng, x, p, h0, c0 = make(d, peephole)
    h, cache = lstm.lstm_forward(x, **p, h0=h0, c0=c0)
    dh = normal(rng, *h.shape, scale=1.0)
    g = lstm.lstm_backward(dh, cache)
    hs, cs, caches = h0, c0, []
    for t in range(d["T"]):
        hs, cs, c = lstm.lstm_step_forward(x[t], hs, cs, **p)
        caches.append(c)
        np.testing.assert_allclose(hs, h[t], rtol=1e-12, atol=1e-14)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(d["T"])):
        gs = lstm.lstm_step_backward(dh[t] + dh_next, dc_next, caches[t])
        dh_next, dc_next = gs.dh_prev, gs.dc_prev
        np.testing.assert_allclose(gs.dx, g.dx[t], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dc_next, g.dc0, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@given(d=dims)
def test_matches_torch_nn_lstm(dtype, tol, d):
    rng, x, p, h0, c0 = make(d)
    x, h0, c0 = x.astype(dtype), h0.astype(dtype), c0.astype(dtype)
    p = {k: v.astype(dtype) for k, v in p.items()}
    h, cache = lstm.lstm_forward(x, **p, h0=h0, c0=c0)
    dh = normal(rng, *h.shape, scale=1.0).astype(dtype)
    g = lstm.lstm_backward(dh, cache)
    assert h.dtype == dtype and g.dW.dtype == dtype

    module = tr.to_torch("lstm", [p], dtype=dtype)
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    c0t = torch.tensor(c0[None], requires_grad=True)
    out, (hT, cT) = module(xt, (h0t, c0t))
    out.backward(torch.tensor(dh))
    # In float32, each result is judged against the float64 computation on the same inputs.
    wide = {k: v.astype(np.float64) for k, v in p.items()}
    h64, cache64 = lstm.lstm_forward(x.astype(np.float64), **wide, h0=h0.astype(np.float64), c0=c0.astype(np.float64))
    g64 = lstm.lstm_backward(dh.astype(np.float64), cache64)
    mg = tr.module_grads("lstm", module)
    pairs = [("h", out.detach().numpy(), h, h64), ("c(T)", cT.detach().numpy()[0], cache.cs[-1], cache64.cs[-1]),
             ("dx", xt.grad.numpy(), g.dx, g64.dx), ("dh0", h0t.grad.numpy()[0], g.dh0, g64.dh0),
             ("dc0", c0t.grad.numpy()[0], g.dc0, g64.dc0), ("U", mg["U"], g.dU, g64.dU),
             ("W", mg["W"], g.dW, g64.dW), ("b", mg["b"], g.db, g64.db)]  # fmt: skip
    assert_each_matches_torch(pairs, dtype, tol)


@given(dims)
def test_step_matches_torch_lstm_cell(d):
    rng, x, p, h0, c0 = make(d)
    cell = tr.to_torch_cell("lstm", p)
    h, c, _ = lstm.lstm_step_forward(x[0], h0, c0, **p)
    ht, ct = cell(torch.tensor(x[0]), (torch.tensor(h0), torch.tensor(c0)))
    assert_close(ht.detach().numpy(), h, 1e-12, "h")
    assert_close(ct.detach().numpy(), c, 1e-12, "c")


def test_large_preactivations_do_not_overflow():
    # Saturated gates: no NaN, no warning (an overflow warning would cost a student points).
    x = np.full((2, 1, 1), 1e4)
    p = {"U": np.ones((4, 1)), "W": np.zeros((4, 1)), "b": np.zeros(4)}
    with np.errstate(all="raise"):
        h, cache = lstm.lstm_forward(x, **p)
        lstm.lstm_backward(np.ones_like(h), cache)
    assert np.all(np.isfinite(h))
