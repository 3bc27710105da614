"""Bad input is refused with a clear message; no function modifies its arguments."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rnncore as rc
from rnncore import attention, gru, layers, leaky, losses, lstm, rnn, skip

Z = np.zeros


@pytest.mark.parametrize(
    "call,message",
    [
        (
            lambda: rnn.rnn_forward(Z((3, 2)), Z((4, 2)), Z((4, 4)), Z(4)),
            r"rnn_forward: x must have rank 3 .*\(T, N, D\).*got shape \(3, 2\)",
        ),
        (
            lambda: rnn.rnn_forward(Z((3, 2, 5)), Z((4, 2)), Z((4, 4)), Z(4)),
            r"rnn_forward: U must have shape \(H, D\) = \(4, 5\), got \(4, 2\)",
        ),
        (
            lambda: rnn.rnn_forward(Z((3, 2, 2)), Z((4, 2)), Z((4, 3)), Z(4)),
            r"rnn_forward: W must have shape \(H, H\) = \(4, 4\), got \(4, 3\)",
        ),
        (
            lambda: rnn.rnn_forward(Z((3, 2, 2)), Z((4, 2)), Z((4, 4)), Z(4), h0=Z((3, 4))),
            r"rnn_forward: h0 must have shape \(N, H\) = \(2, 4\), got \(3, 4\)",
        ),
        (
            lambda: rnn.rnn_step_forward(Z((2, 2)), Z((2, 4)), Z((4, 2)), Z((4, 4)), Z(5)),
            r"rnn_step_forward: b must have shape \(H,\) = \(4,\), got \(5,\)",
        ),
        (
            lambda: lstm.lstm_forward(Z((3, 2, 2)), Z((8, 2)), Z((8, 3)), Z(8)),
            r"lstm_forward: W must have shape \(4H, H\)",
        ),
        (
            lambda: lstm.lstm_forward(Z((3, 2, 2)), Z((8, 2)), Z((8, 2)), Z(8), p=Z((2, 2))),
            r"lstm_forward: p must have shape \(3, H\) = \(3, 2\), got \(2, 2\)",
        ),
        (
            lambda: gru.gru_forward(Z((3, 2, 2)), Z((6, 2)), Z((6, 2)), Z(5)),
            r"gru_forward: b must have shape \(3H,\) = \(6,\), got \(5,\)",
        ),
        (
            lambda: leaky.leaky_forward(Z((3, 2, 2)), Z((4, 2)), Z((4, 4)), Z(4), alpha=Z(3)),
            r"leaky_forward: alpha must have shape \(H,\) = \(4,\), got \(3,\)",
        ),
        (
            lambda: skip.skip_rnn_forward(Z((3, 2, 2)), Z((4, 2)), Z((4, 4)), Z((4, 4)), Z(4), d=1),
            r"skip_rnn_forward: d must be an integer ≥ 2",
        ),
        (
            lambda: layers.affine_forward(Z((3, 2, 5)), Z((4, 6)), Z(4)),
            r"affine_forward: h must have shape \(\.\.\., H\) with H = 6, got \(3, 2, 5\)",
        ),
        (
            lambda: layers.embedding_forward(np.array([[0, 7]]), Z((5, 3))),
            r"embedding_forward: tokens must lie in \[0, 5\), got values from 0 to 7",
        ),
        (
            lambda: layers.embedding_forward(np.array([[0.5]]), Z((5, 3))),
            r"embedding_forward: tokens must hold integers, got dtype float64",
        ),
        (
            lambda: losses.softmax_cross_entropy(Z((3, 2, 4)), Z((3, 3), int)),
            r"softmax_cross_entropy: y must have shape \(3, 2\) = \(3, 2\), got \(3, 3\)",
        ),
        (
            lambda: losses.softmax_cross_entropy(Z((3, 2, 4)), Z((3, 2), int), reduction="avg"),
            r"reduction must be 'sum' or 'mean', got 'avg'",
        ),
        (
            lambda: attention.attention_forward(Z((1, 2, 3)), Z((4, 2, 3)), Z((4, 3, 3))),
            r"attention_forward: values must have shape \(S, N, Hv\) = \(4, 2, Hv\), got \(4, 3, 3\)",
        ),
        (
            lambda: attention.attention_forward(Z((1, 2, 3)), Z((4, 2, 3)), Z((4, 2, 3)), score="additive"),
            r"needs W_q, W_k and v_a",
        ),
        (
            lambda: rnn.rnn_backward(Z((2, 1, 3)), rnn.rnn_forward(Z((3, 1, 2)), Z((3, 2)), Z((3, 3)), Z(3))[1]),
            r"rnn_backward: dh must have shape \(3, 1, 3\)",
        ),
        (lambda: rc.get_cell("tcn"), r"get_cell: unknown cell 'tcn'"),
    ],
)
def test_bad_input_names_function_argument_and_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _snapshot(obj):
    """Bytes of every array reachable in ``obj`` (tuples, dicts, named tuples)."""
    if isinstance(obj, np.ndarray):
        return [obj.tobytes()]
    if isinstance(obj, dict):
        return [b for v in obj.values() for b in _snapshot(v)]
    if isinstance(obj, tuple | list):
        return [b for v in obj for b in _snapshot(v)]
    return []


def _cases(rng):
    n = rng.standard_normal
    T, N, D, H = 3, 2, 3, 4
    x, h0, c0 = n((T, N, D)), n((N, H)), n((N, H))
    yield "rnn", rnn.rnn_forward, (x, n((H, D)), n((H, H)), n(H)), {"h0": h0}, rnn.rnn_backward
    yield (
        "lstm",
        lstm.lstm_forward,
        (x, n((4 * H, D)), n((4 * H, H)), n(4 * H)),
        {"h0": h0, "c0": c0, "p": n((3, H))},
        lstm.lstm_backward,
    )
    yield (
        "gru",
        gru.gru_forward,
        (x, n((3 * H, D)), n((3 * H, H)), n(3 * H)),
        {"h0": h0, "b_hn": n(H), "variant": "torch"},
        gru.gru_backward,
    )
    yield (
        "leaky",
        leaky.leaky_forward,
        (x, n((H, D)), n((H, H)), n(H), np.full(H, 0.5)),
        {"h0": h0},
        leaky.leaky_backward,
    )
    yield (
        "skip",
        skip.skip_rnn_forward,
        (x, n((H, D)), n((H, H)), n((H, H)), n(H), 2),
        {"h0": h0},
        skip.skip_rnn_backward,
    )
    yield "affine", layers.affine_forward, (n((T, N, H)), n((D, H)), n(D)), {}, layers.affine_backward
    yield (
        "attention",
        attention.attention_forward,
        (n((2, N, H)), n((T, N, H)), n((T, N, D))),
        {"score": "additive", "W_q": n((3, H)), "W_k": n((3, H)), "v_a": n(3)},
        attention.attention_backward,
    )


@given(st.integers(0, 2**32 - 1))
def test_nothing_mutates_its_inputs_or_the_cache(seed):
    rng = np.random.default_rng(seed)
    for name, forward, args, kwargs, backward in _cases(rng):
        before = _snapshot((args, kwargs))
        out = forward(*args, **kwargs)
        y, cache = out[0], out[-1]
        assert _snapshot((args, kwargs)) == before, f"{name}: forward changed its inputs"
        cache_before = _snapshot(cache)
        dout = rng.standard_normal(y.shape)
        dout_before = dout.tobytes()
        backward(dout, cache)
        backward(dout, cache)  # twice: a backward that consumed its cache would differ
        assert _snapshot(cache) == cache_before, f"{name}: backward changed the cache"
        assert dout.tobytes() == dout_before, f"{name}: backward changed its upstream gradient"
        assert _snapshot((args, kwargs)) == before, f"{name}: backward changed the inputs"


def test_step_functions_do_not_mutate():
    rng = np.random.default_rng(0)
    n = rng.standard_normal
    x, h, c = n((2, 3)), n((2, 4)), n((2, 4))
    U, W, b = n((16, 3)), n((16, 4)), n(16)
    before = _snapshot((x, h, c, U, W, b))
    hn, cn, cache = lstm.lstm_step_forward(x, h, c, U, W, b)
    dh, dc = n((2, 4)), n((2, 4))
    snap = _snapshot((cache, dh, dc))
    lstm.lstm_step_backward(dh, dc, cache)
    assert _snapshot((x, h, c, U, W, b)) == before and _snapshot((cache, dh, dc)) == snap


def test_losses_do_not_mutate():
    rng = np.random.default_rng(0)
    o, y = rng.standard_normal((3, 2, 4)), rng.integers(0, 4, (3, 2))
    before = _snapshot((o, y))
    losses.softmax_cross_entropy(o, y)
    losses.squared_error(o, o + 1)
    assert _snapshot((o, y)) == before
