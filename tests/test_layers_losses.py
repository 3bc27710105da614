"""Output layer, embeddings and the sequence losses (with masks)."""

import numpy as np
import pytest
from checks import assert_gradients, dims, normal
from hypothesis import given
from hypothesis import strategies as st

from rnncore import layers, losses
from rnncore import torch_ref as tr


@given(dims)
def test_affine_backward(d):
    rng = np.random.default_rng(d["seed"])
    h = normal(rng, d["T"], d["N"], d["H"], scale=1.0)
    V, c = normal(rng, d["D"], d["H"]), normal(rng, d["D"])
    o, cache = layers.affine_forward(h, V, c)
    do = normal(rng, *o.shape, scale=1.0)
    g = layers.affine_backward(do, cache)
    assert_gradients(
        lambda **kw: layers.affine_forward(**kw)[0],
        {"h": h, "V": V, "c": c},
        {"h": g.dh, "V": g.dV, "c": g.dc},
        do,
        tr.affine_forward_torch,
    )


@given(dims, st.integers(1, 3))
def test_embedding_backward_accumulates_repeated_ids(d, vocab):
    rng = np.random.default_rng(d["seed"])
    tokens = rng.integers(0, vocab, (d["T"], d["N"]))  # few ids: repeats are likely
    E = normal(rng, vocab, d["D"])
    x, cache = layers.embedding_forward(tokens, E)
    dx = normal(rng, *x.shape, scale=1.0)
    dE = layers.embedding_backward(dx, cache)
    assert_gradients(
        lambda **kw: layers.embedding_forward(tokens, **kw)[0],
        {"E": E},
        {"E": dE},
        dx,
        lambda E: tr.embedding_forward_torch(tokens, E),
    )


def _mask(rng, shape, mode):
    if mode == "none":
        return None
    if mode == "one":  # every position masked out but one
        m = np.zeros(shape, dtype=bool)
        m[tuple(rng.integers(0, s) for s in shape)] = True
        return m
    m = rng.random(shape) < 0.6
    m.flat[0] = True
    return m


@given(dims, st.sampled_from(["none", "one", "random"]), st.sampled_from(["sum", "mean"]))
def test_softmax_cross_entropy(d, mask_mode, reduction):
    rng = np.random.default_rng(d["seed"])
    K = d["D"] + 1
    o = normal(rng, d["T"], d["N"], K, scale=2.0)
    y = rng.integers(0, K, (d["T"], d["N"]))
    mask = _mask(rng, y.shape, mask_mode)
    loss, do = losses.softmax_cross_entropy(o, y, mask, reduction)
    ref = tr.softmax_cross_entropy_torch(__import__("torch").tensor(o), y, mask, reduction).item()
    assert loss == pytest.approx(ref, rel=1e-12, abs=1e-12)
    if mask is not None:
        assert np.all(do[~mask] == 0)
    assert_gradients(
        lambda o: np.asarray(losses.softmax_cross_entropy(o, y, mask, reduction)[0]),
        {"o": o},
        {"o": do},
        1.0,
        lambda o: tr.softmax_cross_entropy_torch(o, y, mask, reduction),
    )


@given(dims, st.sampled_from(["none", "one", "random"]), st.sampled_from(["sum", "mean"]))
def test_squared_error(d, mask_mode, reduction):
    rng = np.random.default_rng(d["seed"])
    y_hat, y = normal(rng, d["T"], d["N"], d["D"]), normal(rng, d["T"], d["N"], d["D"])
    mask = _mask(rng, (d["T"], d["N"]), mask_mode)
    loss, dy = losses.squared_error(y_hat, y, mask, reduction)
    assert_gradients(
        lambda y_hat: np.asarray(losses.squared_error(y_hat, y, mask, reduction)[0]),
        {"y_hat": y_hat},
        {"y_hat": dy},
        1.0,
        lambda y_hat: tr.squared_error_torch(y_hat, __import__("torch").tensor(y), mask, reduction),
    )


def test_cross_entropy_of_a_perfect_prediction_is_zero_and_of_uniform_is_log_k():
    y = np.array([[0, 2]])
    confident = np.where(np.arange(3) == y[..., None], 50.0, -50.0)
    assert losses.softmax_cross_entropy(confident, y)[0] == pytest.approx(0.0, abs=1e-12)
    assert losses.softmax_cross_entropy(np.zeros((1, 2, 3)), y, reduction="mean")[0] == pytest.approx(np.log(3))


def test_mean_needs_a_position_that_counts():
    with pytest.raises(ValueError, match="no position"):
        losses.softmax_cross_entropy(np.zeros((2, 1, 3)), np.zeros((2, 1), int), np.zeros((2, 1)), "mean")


def test_targets_out_of_range_are_refused():
    with pytest.raises(ValueError, match=r"y must lie in \[0, 3\)"):
        losses.softmax_cross_entropy(np.zeros((2, 1, 3)), np.array([[0], [3]]))


@given(st.floats(-1e6, 1e6))
def test_sigmoid_is_the_logistic_function_for_scalars_and_arrays(a):
    from rnncore.activations import sigmoid

    expected = 0.5 * (1 + np.tanh(a / 2))
    assert float(sigmoid(a)) == pytest.approx(expected)
    arr = np.array([a, -a])
    out = np.empty_like(arr)
    sigmoid(arr, out=out)
    np.testing.assert_allclose(out, [expected, 1 - expected], atol=1e-15)
    if abs(a) < 30:
        assert float(sigmoid(a)) == pytest.approx(1 / (1 + np.exp(-a)))
