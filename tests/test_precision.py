"""Every layer keeps its inputs' precision: float32 in, float32 out, forward and backward.

A float32 model that silently computes part of its forward or backward pass in
float64 is slower than it should be and hides precision bugs a float32 check
would show. Each case runs one layer on random float32 inputs of random small
shapes and requires every array it returns (outputs, gradients) to be float32;
then the same case in float64 must stay float64.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable

import numpy as np
import pytest

from rnncore.activations import sigmoid
from rnncore.attention import attention_backward, attention_forward
from rnncore.bidirectional import bidirectional_backward, bidirectional_forward
from rnncore.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from rnncore.layers import affine_backward, affine_forward
from rnncore.leaky import leaky_backward, leaky_forward
from rnncore.losses import softmax_cross_entropy, squared_error
from rnncore.lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from rnncore.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from rnncore.skip import skip_rnn_backward, skip_rnn_forward
from rnncore.stacked import stacked_backward, stacked_forward

DRAWS = 20


def arrays_in(result) -> list[np.ndarray]:
    """Every float array in a (nested) result: tuples, named tuples, lists and dicts."""
    if isinstance(result, np.ndarray):
        return [result] if result.dtype.kind == "f" else []
    if isinstance(result, dict):
        return [a for v in result.values() for a in arrays_in(v)]
    if isinstance(result, (tuple, list)):
        return [a for v in result for a in arrays_in(v)]
    return []


def draw(rng, dtype):
    """A random array maker of one precision, and random small sizes T, N, D, H, S."""

    def r(*shape, scale=0.5):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    T, N, D, H, S = (int(v) for v in rng.integers(2, 6, size=5))
    return r, T, N, D, H, S


def rnn_case(rng, dtype):
    r, T, N, D, H, _ = draw(rng, dtype)
    h, cache = rnn_forward(r(T, N, D), r(H, D), r(H, H), r(H), h0=r(N, H))
    return h, rnn_backward(r(T, N, H), cache)


def rnn_step_case(rng, dtype):
    r, _, N, D, H, _ = draw(rng, dtype)
    h, cache = rnn_step_forward(r(N, D), r(N, H), r(H, D), r(H, H), r(H))
    return h, rnn_step_backward(r(N, H), cache)


def lstm_case(rng, dtype, peepholes=False):
    r, T, N, D, H, _ = draw(rng, dtype)
    p = r(3, H) if peepholes else None
    h, cache = lstm_forward(r(T, N, D), r(4 * H, D), r(4 * H, H), r(4 * H), h0=r(N, H), c0=r(N, H), p=p)
    return h, lstm_backward(r(T, N, H), cache, dc_last=r(N, H))


def lstm_step_case(rng, dtype, peepholes=False):
    r, _, N, D, H, _ = draw(rng, dtype)
    p = r(3, H) if peepholes else None
    h, c, cache = lstm_step_forward(r(N, D), r(N, H), r(N, H), r(4 * H, D), r(4 * H, H), r(4 * H), p=p)
    return h, c, lstm_step_backward(r(N, H), r(N, H), cache)


def gru_case(rng, dtype, variant="lecture"):
    r, T, N, D, H, _ = draw(rng, dtype)
    b_hn = r(H) if variant == "torch" else None
    h, cache = gru_forward(r(T, N, D), r(3 * H, D), r(3 * H, H), r(3 * H), h0=r(N, H), b_hn=b_hn, variant=variant)
    return h, gru_backward(r(T, N, H), cache)


def gru_step_case(rng, dtype, variant="lecture"):
    r, _, N, D, H, _ = draw(rng, dtype)
    b_hn = r(H) if variant == "torch" else None
    h, cache = gru_step_forward(r(N, D), r(N, H), r(3 * H, D), r(3 * H, H), r(3 * H), b_hn=b_hn, variant=variant)
    return h, gru_step_backward(r(N, H), cache)


def leaky_case(rng, dtype, per_unit=False):
    r, T, N, D, H, _ = draw(rng, dtype)
    alpha = rng.uniform(0.1, 0.9, size=H if per_unit else ()).astype(dtype)
    h, cache = leaky_forward(r(T, N, D), r(H, D), r(H, H), r(H), alpha, h0=r(N, H))
    return h, leaky_backward(r(T, N, H), cache)


def leaky_case_python_alpha(rng, dtype):
    # A plain Python number for α must not promote a float32 layer either.
    r, T, N, D, H, _ = draw(rng, dtype)
    h, cache = leaky_forward(r(T, N, D), r(H, D), r(H, H), r(H), 0.7, h0=r(N, H))
    return h, leaky_backward(r(T, N, H), cache)


def skip_case(rng, dtype):
    r, T, N, D, H, _ = draw(rng, dtype)
    d = int(rng.integers(2, T + 2))  # a skip of d ≥ 2 steps; d > T leaves only the plain path
    h, cache = skip_rnn_forward(r(T, N, D), r(H, D), r(H, H), r(H, H), r(H), d, h0=r(N, H))
    return h, skip_rnn_backward(r(T, N, H), cache)


def stacked_case(rng, dtype, cell="lstm"):
    r, T, N, D, H, _ = draw(rng, dtype)
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    layers = [{"U": r(G * H, D), "W": r(G * H, H), "b": r(G * H)}, {"U": r(G * H, H), "W": r(G * H, H), "b": r(G * H)}]
    h, cache, finals = stacked_forward(r(T, N, D), layers, cell=cell)
    return h, finals, stacked_backward(r(T, N, H), cache)


def bidirectional_case(rng, dtype, cell="gru"):
    r, T, N, D, H, _ = draw(rng, dtype)
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]

    def params():
        return {"U": r(G * H, D), "W": r(G * H, H), "b": r(G * H)}

    h, cache = bidirectional_forward(r(T, N, D), params(), params(), cell=cell)
    return h, bidirectional_backward(r(T, N, 2 * H), cache)


def attention_case(rng, dtype, score="dot", masked=False):
    r, T, N, _, H, S = draw(rng, dtype)
    A = int(rng.integers(2, 6))
    extra = {"W_q": r(A, H), "W_k": r(A, H), "v_a": r(A)} if score == "additive" else {}
    mask = None
    if masked:
        lengths = rng.integers(1, S + 1, size=N)
        mask = np.arange(S)[:, None] < lengths[None, :]
    context, weights, cache = attention_forward(r(T, N, H), r(S, N, H), r(S, N, H), mask=mask, score=score, **extra)
    return context, weights, attention_backward(r(T, N, H), cache)


def affine_case(rng, dtype):
    r, T, N, _, H, _ = draw(rng, dtype)
    K = int(rng.integers(2, 6))
    o, cache = affine_forward(r(T, N, H), r(K, H), r(K))
    return o, affine_backward(r(T, N, K), cache)


def loss_case(rng, dtype):
    r, T, N, _, _, _ = draw(rng, dtype)
    K = int(rng.integers(2, 6))
    _, do_ce = softmax_cross_entropy(r(T, N, K), rng.integers(0, K, size=(T, N)))
    _, do_se = squared_error(r(T, N, 1), r(T, N, 1))
    return do_ce, do_se


CASES: dict[str, Callable] = {
    "rnn": rnn_case,
    "rnn_step": rnn_step_case,
    "lstm": lstm_case,
    "lstm_peepholes": lambda rng, dt: lstm_case(rng, dt, peepholes=True),
    "lstm_step": lstm_step_case,
    "lstm_step_peepholes": lambda rng, dt: lstm_step_case(rng, dt, peepholes=True),
    "gru_lecture": gru_case,
    "gru_torch": lambda rng, dt: gru_case(rng, dt, variant="torch"),
    "gru_step_lecture": gru_step_case,
    "gru_step_torch": lambda rng, dt: gru_step_case(rng, dt, variant="torch"),
    "leaky": leaky_case,
    "leaky_per_unit": lambda rng, dt: leaky_case(rng, dt, per_unit=True),
    "leaky_python_alpha": leaky_case_python_alpha,
    "skip": skip_case,
    "stacked_lstm": stacked_case,
    "stacked_gru": lambda rng, dt: stacked_case(rng, dt, cell="gru"),
    "stacked_rnn": lambda rng, dt: stacked_case(rng, dt, cell="rnn"),
    "bidirectional_gru": bidirectional_case,
    "bidirectional_lstm": lambda rng, dt: bidirectional_case(rng, dt, cell="lstm"),
    "attention_dot": attention_case,
    "attention_scaled_dot": lambda rng, dt: attention_case(rng, dt, score="scaled_dot"),
    "attention_additive": lambda rng, dt: attention_case(rng, dt, score="additive"),
    "attention_scaled_dot_masked": lambda rng, dt: attention_case(rng, dt, score="scaled_dot", masked=True),
    "attention_additive_masked": lambda rng, dt: attention_case(rng, dt, score="additive", masked=True),
    "affine": affine_case,
    "losses": loss_case,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_layer_keeps_its_inputs_precision(name, dtype):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    for _ in range(DRAWS):
        arrays = arrays_in(CASES[name](rng, dtype))
        assert arrays, f"{name}: the case returned no arrays"
        wrong = sorted({str(a.dtype) for a in arrays if a.dtype != dtype})
        assert not wrong, f"{name}: {dtype.__name__} inputs gave arrays of {wrong}"


def test_arrays_in_finds_a_promoted_gradient():
    # The collector must see arrays inside named tuples, lists and dicts, or the test above could not fail.
    nested = (np.zeros(2, np.float32), {"g": [np.zeros(1, np.float64)]})
    assert [a.dtype for a in arrays_in(nested)] == [np.float32, np.float64]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_sigmoid_through_tanh_within_the_stated_range(dtype):
    """The docstring's claims about σ(a) = ½(1 + tanh(a/2)): absolute error within one
    unit in the last place near 1 everywhere, and relative accuracy down to the stated bound."""
    eps = np.finfo(dtype).eps
    tail = {np.float64: -30.0, np.float32: -10.0}[dtype]
    a = np.concatenate([np.linspace(-80, 80, 40001), -np.logspace(-6, 2, 2001)]).astype(dtype)
    exact = np.array([1.0 / (1.0 + math.exp(-float(v))) for v in a])
    got = sigmoid(a).astype(np.float64)
    assert np.abs(got - exact).max() <= eps
    inside = a >= tail
    assert (np.abs(got - exact)[inside] / exact[inside]).max() < 1e-3
    # and beyond the bound the relative accuracy is really lost: σ(-40) rounds to 0.
    assert sigmoid(np.array(-40.0, dtype=dtype)) == 0.0
