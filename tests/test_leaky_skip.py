"""Leaky units and skip connections through time: remedies for long-term dependencies."""

import numpy as np
from checks import assert_gradients, dims, normal
from hypothesis import given
from hypothesis import strategies as st

from rnncore import leaky, rnn, skip
from rnncore import torch_ref as tr


def base(d):
    rng = np.random.default_rng(d["seed"])
    T, N, D, H = d["T"], d["N"], d["D"], d["H"]
    p = {"U": normal(rng, H, D), "W": normal(rng, H, H), "b": normal(rng, H)}
    return rng, normal(rng, T, N, D, scale=1.0), p, normal(rng, N, H)


@given(dims, st.booleans())
def test_leaky_backward(d, per_unit):
    rng, x, p, h0 = base(d)
    alpha = rng.uniform(0.1, 0.9, d["H"]) if per_unit else np.asarray(rng.uniform(0.1, 0.9))
    h, cache = leaky.leaky_forward(x, **p, alpha=alpha, h0=h0)
    dh = normal(rng, *h.shape, scale=1.0)
    g = leaky.leaky_backward(dh, cache)
    assert g.dalpha.shape == alpha.shape
    analytic = {"x": g.dx, "h0": g.dh0, "U": g.dU, "W": g.dW, "b": g.db, "alpha": g.dalpha}
    assert_gradients(
        lambda **kw: leaky.leaky_forward(**kw)[0],
        {"x": x, **p, "alpha": alpha, "h0": h0},
        analytic,
        dh,
        tr.leaky_forward_torch,
        time_major={"x"},
    )


@given(dims)
def test_leaky_with_alpha_zero_is_the_plain_rnn(d):
    rng, x, p, h0 = base(d)
    a, _ = leaky.leaky_forward(x, **p, alpha=0.0, h0=h0)
    b, _ = rnn.rnn_forward(x, **p, h0=h0)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_leaky_with_alpha_one_keeps_the_initial_state():
    rng, x, p, h0 = base({"T": 5, "N": 2, "D": 3, "H": 4, "seed": 3})
    h, _ = leaky.leaky_forward(x, **p, alpha=1.0, h0=h0)
    np.testing.assert_array_equal(h, np.broadcast_to(h0, h.shape))


@given(dims, st.integers(2, 4))
def test_skip_backward(d, k):
    rng, x, p, h0 = base(d)
    W_d = normal(rng, d["H"], d["H"])
    h, cache = skip.skip_rnn_forward(x, p["U"], p["W"], W_d, p["b"], k, h0=h0)
    dh = normal(rng, *h.shape, scale=1.0)
    g = skip.skip_rnn_backward(dh, cache)
    analytic = {"x": g.dx, "h0": g.dh0, "U": g.dU, "W": g.dW, "W_d": g.dW_d, "b": g.db}
    assert_gradients(
        lambda **kw: skip.skip_rnn_forward(**kw, d=k)[0],
        {"x": x, "U": p["U"], "W": p["W"], "W_d": W_d, "b": p["b"], "h0": h0},
        analytic,
        dh,
        lambda **kw: tr.skip_rnn_forward_torch(**kw, d=k),
        time_major={"x"},
    )


@given(dims)
def test_skip_with_zero_skip_weights_is_the_plain_rnn(d):
    rng, x, p, h0 = base(d)
    a, _ = skip.skip_rnn_forward(x, p["U"], p["W"], np.zeros_like(p["W"]), p["b"], 2, h0=h0)
    b, _ = rnn.rnn_forward(x, **p, h0=h0)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
