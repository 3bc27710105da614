"""Truncated BPTT: windows weighted by their share of the positions.

Properties over random cells, shapes, seeds and window lengths ``k``:

- the loss equals the full sequence's mean loss for every ``k``;
- ``k ≥ T`` is full BPTT exactly, for every model;
- on a model whose dependencies stay inside one step (a plain RNN with
  ``W = 0``), every ``k`` gives the full BPTT gradient, because truncation
  drops nothing;
- otherwise the result is the weighted sum of the windows run by hand.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnncore import truncated
from rnncore.cells import CELLS
from rnncore.models import SequenceModel

cells = st.sampled_from(sorted(CELLS))
lengths = st.integers(1, 12)
window_lengths = st.integers(1, 14)
seeds = st.integers(0, 2**32 - 1)


def _problem(cell, T, seed, tokens=True, N=2):
    """A small model, a sequence of length ``T`` and the per-window loss function."""
    rng = np.random.default_rng(seed)
    if tokens:
        model = SequenceModel(cell, n_in=5, hidden=4, n_out=5, seed=seed % 2**31)
        x, y = rng.integers(0, 5, (T, N)), rng.integers(0, 5, (T, N))
    else:
        model = SequenceModel(cell, 3, 4, 2, input="vectors", loss="squared", seed=seed % 2**31)
        x, y = rng.standard_normal((T, N, 3)), rng.standard_normal((T, N, 2))
    for p in model.params.values():  # break the symmetry of zero-initialised biases
        p += 0.1 * rng.standard_normal(p.shape)

    def window(xw, yw, state):
        return model.loss_and_grads((xw, yw), state0=state, return_state=True)

    return model, x, y, window


def test_truncated_windows_cover_the_sequence_once():
    for T in range(1, 12):
        for k in range(1, 6):
            covered = [t for w in truncated.windows(T, k) for t in range(T)[w]]
            assert covered == list(range(T))


@settings(max_examples=60)
@given(cells, lengths, window_lengths, seeds, st.booleans())
def test_loss_is_the_full_mean_loss_for_every_k(cell, T, k, seed, tokens):
    model, x, y, window = _problem(cell, T, seed, tokens)
    loss, _, final = truncated.truncated_bptt(window, x, y, None, k)
    full_loss, _ = model.loss_and_grads((x, y))
    assert loss == pytest.approx(full_loss, rel=1e-12), f"k={k}, T={T}"
    _, full_final, _ = model.forward(x)
    for name in full_final:
        np.testing.assert_allclose(final[name], full_final[name], rtol=1e-12, atol=1e-15)


@settings(max_examples=60)
@given(cells, lengths, st.integers(0, 5), seeds, st.booleans())
def test_windows_at_least_as_long_as_the_sequence_give_full_bptt_exactly(cell, T, extra, seed, tokens):
    model, x, y, window = _problem(cell, T, seed, tokens)
    loss, grads, _ = truncated.truncated_bptt(window, x, y, None, T + extra)
    full_loss, full_grads = model.loss_and_grads((x, y))
    assert loss == full_loss
    assert grads.keys() == full_grads.keys()
    for name in full_grads:
        assert np.array_equal(grads[name], full_grads[name]), name


@settings(max_examples=60)
@given(lengths, window_lengths, seeds, st.booleans(), st.integers(1, 3))
def test_every_k_gives_full_bptt_when_no_dependency_crosses_a_step(T, k, seed, tokens, N):
    # With W = 0, h(t) depends on x(t) only: nothing crosses a window boundary,
    # so truncation drops nothing, and the gradient (dW included) is full BPTT.
    model, x, y, window = _problem("rnn", T, seed, tokens, N)
    model.params["W"][:] = 0.0
    loss, grads, _ = truncated.truncated_bptt(window, x, y, None, k)
    full_loss, full_grads = model.loss_and_grads((x, y))
    assert loss == pytest.approx(full_loss, rel=1e-12)
    for name in full_grads:
        np.testing.assert_allclose(grads[name], full_grads[name], rtol=1e-10, atol=1e-14, err_msg=name)


@settings(max_examples=60)
@given(cells, st.integers(2, 12), seeds)
def test_shorter_windows_are_the_weighted_sum_of_the_windows_run_by_hand(cell, T, seed):
    model, x, y, window = _problem(cell, T, seed)
    k = max(1, T // 3)
    _, grads, _ = truncated.truncated_bptt(window, x, y, None, k)
    state, expected = None, {}
    for w in truncated.windows(T, k):
        _, g, state = window(x[w], y[w], state)
        for name, v in g.items():
            expected[name] = expected.get(name, 0) + (w.stop - w.start) / T * v
    for name in expected:
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-12, atol=1e-15, err_msg=name)


def test_truncation_changes_the_gradient_by_a_little_not_by_the_number_of_windows():
    # The bug this convention fixes: summing window means gave about m times the
    # full gradient for m windows. Now the difference is what truncation drops.
    model, x, y, window = _problem("rnn", 40, 3)
    _, full = model.loss_and_grads((x, y))
    for k in (20, 10, 5):
        _, grads, _ = truncated.truncated_bptt(window, x, y, None, k)
        ratio = np.linalg.norm(grads["V"]) / np.linalg.norm(full["V"])
        assert ratio == pytest.approx(1.0, abs=0.05), f"k={k}: |dV| ratio {ratio}"


@settings(max_examples=60)
@given(lengths, window_lengths, seeds)
def test_sum_reduction_adds_windows_unweighted(T, k, seed):
    model, x, y, window = _problem("lstm", T, seed)

    def window_sum(xw, yw, state):
        loss, grads, final = window(xw, yw, state)
        n = yw.size
        return loss * n, {name: n * g for name, g in grads.items()}, final

    loss_mean, grads_mean, _ = truncated.truncated_bptt(window, x, y, None, k)
    loss_sum, grads_sum, _ = truncated.truncated_bptt(window_sum, x, y, None, k, reduction="sum")
    assert loss_sum == pytest.approx(y.size * loss_mean, rel=1e-12)
    for name in grads_mean:
        np.testing.assert_allclose(grads_sum[name], y.size * grads_mean[name], rtol=1e-10, atol=1e-13)


def test_bad_arguments_are_refused():
    _, x, y, window = _problem("rnn", 4, 0)
    with pytest.raises(ValueError, match="reduction"):
        truncated.truncated_bptt(window, x, y, None, 2, reduction="avg")
    with pytest.raises(ValueError, match="time steps"):
        truncated.truncated_bptt(window, x, y[:3], None, 2)
    with pytest.raises(ValueError, match="at least 1"):
        list(truncated.windows(4, 0))
