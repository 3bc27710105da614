"""The fast sequence kernels equal the readable step functions composed over time.

The step functions (``rnn_step_*``, ``lstm_step_*``, ``gru_step_*``) are the
book's equations, one line each; the sequence functions (``rnn_forward`` and
``rnn_backward``, ...) are fused, preallocated kernels written for speed. Each
test below writes out what "composed over time" means, for every variant: run
the step forward for ``t = 0 .. T-1``, then the step backward from ``T-1`` down
to ``0``, passing ``dh`` (and ``dc``) back and summing the parameter gradients;
then requires every forward state and every gradient of the kernel to equal it.

Tolerance: float64, every element within ``1e-12`` absolute *or* ``1e-12``
relative (``np.testing.assert_allclose(rtol=1e-12, atol=1e-12)``). The two
implementations group their floating-point operations differently (one stacked
product against one per gate, ``½ + ½ tanh(a/2)`` on pre-scaled weights, in-place
updates), so they agree to round-off, a few 1e-16 times the size of the
numbers here (of order 1 to 10), not bit for bit.
"""

import numpy as np
import pytest
from checks import normal
from hypothesis import given
from hypothesis import strategies as st

from rnncore import gru, lstm, rnn

TOL = {"rtol": 1e-12, "atol": 1e-12}

# Random shapes, edge cases T = N = D = H = 1 included, and a seed for the values.
shapes = st.fixed_dictionaries(
    {
        "T": st.integers(1, 7),
        "N": st.integers(1, 4),
        "D": st.integers(1, 5),
        "H": st.integers(1, 5),
        "seed": st.integers(0, 2**32 - 1),
    }
)


def assert_equal_to_round_off(fused: dict, steps: dict) -> None:
    assert fused.keys() == steps.keys()
    for name in fused:
        assert fused[name].dtype == np.float64, name
        np.testing.assert_allclose(fused[name], steps[name], **TOL, err_msg=f"{name}: kernel ≠ composed steps")


def draw(d, gates, **extra_shapes):
    """Random float64 weights (``gates`` blocks of rows, and any extra ones), inputs, ``h(0)`` and ``∇_h L``."""
    rng = np.random.default_rng(d["seed"])
    T, N, D, H = d["T"], d["N"], d["D"], d["H"]
    params = {"U": normal(rng, gates * H, D), "W": normal(rng, gates * H, H), "b": normal(rng, gates * H)}
    params.update({name: normal(rng, *shape) for name, shape in extra_shapes.items()})
    x = normal(rng, T, N, D, scale=1.0)
    h0 = normal(rng, N, H, scale=1.0)
    dh = normal(rng, T, N, H, scale=1.0)  # ∇_h(t) L from outside the recurrence
    return rng, params, x, h0, dh


@given(shapes)
def test_rnn_kernels_are_the_steps_composed(d):
    _, params, x, h0, dh = draw(d, 1)
    T = d["T"]

    # The definition: steps forward, then steps backward.
    h, caches = h0, []
    for t in range(T):
        h, cache = rnn.rnn_step_forward(x[t], h, **params)
        caches.append(cache)
    hs = np.stack([c.h for c in caches])
    dx = np.zeros_like(x)
    dU, dW, db = (np.zeros_like(params[k]) for k in ("U", "W", "b"))
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        g = rnn.rnn_step_backward(dh[t] + dh_next, caches[t])
        dx[t], dh_next = g.dx, g.dh_prev
        dU, dW, db = dU + g.dU, dW + g.dW, db + g.db

    h_seq, cache = rnn.rnn_forward(x, **params, h0=h0)
    grads = rnn.rnn_backward(dh, cache)
    assert_equal_to_round_off(
        {"h": h_seq, "dx": grads.dx, "dh0": grads.dh0, "dU": grads.dU, "dW": grads.dW, "db": grads.db},
        {"h": hs, "dx": dx, "dh0": dh_next, "dU": dU, "dW": dW, "db": db},
    )


@pytest.mark.parametrize("peepholes", [False, True], ids=["plain", "peepholes"])
@given(d=shapes, grad_on_last_cell=st.booleans())
def test_lstm_kernels_are_the_steps_composed(peepholes, d, grad_on_last_cell):
    rng, params, x, h0, dh = draw(d, 4, **({"p": (3, d["H"])} if peepholes else {}))
    T, N, H = d["T"], d["N"], d["H"]
    c0 = normal(rng, N, H, scale=1.0)
    # A gradient on the final cell state c(T), as when it is handed on to a decoder.
    dc_last = normal(rng, N, H, scale=1.0) if grad_on_last_cell else None

    # The definition: steps forward, then steps backward.
    h, c, caches, hs = h0, c0, [], []
    for t in range(T):
        h, c, cache = lstm.lstm_step_forward(x[t], h, c, **params)
        caches.append(cache)
        hs.append(h)
    dx = np.zeros_like(x)
    sums = {k: np.zeros_like(v) for k, v in params.items()}  # dU, dW, db (and dp)
    dh_next = np.zeros_like(h0)
    dc_next = np.zeros_like(c0) if dc_last is None else dc_last
    for t in reversed(range(T)):
        g = lstm.lstm_step_backward(dh[t] + dh_next, dc_next, caches[t])
        dx[t], dh_next, dc_next = g.dx, g.dh_prev, g.dc_prev
        for k in sums:
            sums[k] = sums[k] + getattr(g, "d" + k)
        assert (g.dp is None) == (not peepholes)

    h_seq, cache = lstm.lstm_forward(x, **params, h0=h0, c0=c0)
    grads = lstm.lstm_backward(dh, cache, dc_last=dc_last)
    assert (grads.dp is None) == (not peepholes)
    fused = {
        "h": h_seq,
        "c": cache.cs[1:],
        "tanh c": cache.tcs,
        "acts": cache.acts,
        "dx": grads.dx,
        "dh0": grads.dh0,
        "dc0": grads.dc0,
        **{"d" + k: getattr(grads, "d" + k) for k in sums},
    }
    steps = {
        "h": np.stack(hs),
        "c": np.stack([c.c for c in caches]),
        "tanh c": np.stack([c.tc for c in caches]),
        "acts": np.stack([c.acts for c in caches]),
        "dx": dx,
        "dh0": dh_next,
        "dc0": dc_next,
        **{"d" + k: v for k, v in sums.items()},
    }
    assert_equal_to_round_off(fused, steps)


@pytest.mark.parametrize("variant", ["lecture", "torch"])
@given(d=shapes)
def test_gru_kernels_are_the_steps_composed(variant, d):
    _, params, x, h0, dh = draw(d, 3, **({"b_hn": (d["H"],)} if variant == "torch" else {}))
    T = d["T"]

    # The definition: steps forward, then steps backward.
    h, caches, hs = h0, [], []
    for t in range(T):
        h, cache = gru.gru_step_forward(x[t], h, **params, variant=variant)
        caches.append(cache)
        hs.append(h)
    dx = np.zeros_like(x)
    sums = {k: np.zeros_like(v) for k, v in params.items()}  # dU, dW, db (and db_hn)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        g = gru.gru_step_backward(dh[t] + dh_next, caches[t])
        dx[t], dh_next = g.dx, g.dh_prev
        for k in sums:
            sums[k] = sums[k] + getattr(g, "d" + k)
        assert (g.db_hn is None) == (variant == "lecture")

    h_seq, cache = gru.gru_forward(x, **params, h0=h0, variant=variant)
    grads = gru.gru_backward(dh, cache)
    assert (grads.db_hn is None) == (variant == "lecture")
    fused = {
        "h": h_seq,
        "acts": cache.acts,
        "aux": cache.aux,
        "dx": grads.dx,
        "dh0": grads.dh0,
        **{"d" + k: getattr(grads, "d" + k) for k in sums},
    }
    steps = {
        "h": np.stack(hs),
        "acts": np.stack([c.acts for c in caches]),
        "aux": np.stack([c.aux for c in caches]),
        "dx": dx,
        "dh0": dh_next,
        **{"d" + k: v for k, v in sums.items()},
    }
    assert_equal_to_round_off(fused, steps)


def test_the_comparison_can_fail():
    # A kernel off by one part in 1e10 somewhere must be caught: the tolerance is not vacuous.
    a = np.linspace(-3, 3, 12)
    with pytest.raises(AssertionError):
        assert_equal_to_round_off({"a": a}, {"a": a * (1 + 1e-10)})
