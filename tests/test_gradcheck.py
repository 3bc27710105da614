"""The gradient checker itself: it must catch wrong gradients and say where."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnncore import gradcheck, lstm, rnn


def _rnn_case(seed=0, T=5):
    rng = np.random.default_rng(seed)
    p = {"U": rng.standard_normal((3, 2)) * 0.5, "W": rng.standard_normal((3, 3)) * 0.5, "b": rng.standard_normal(3)}
    x = rng.standard_normal((T, 2, 2))
    h, cache = rnn.rnn_forward(x, **p)
    dh = rng.standard_normal(h.shape)
    return x, p, dh, rnn.rnn_backward(dh, cache)


def test_correct_gradients_pass():
    x, p, dh, g = _rnn_case()
    result = gradcheck.check_gradients(
        lambda **kw: rnn.rnn_forward(**kw)[0], {"x": x, **p}, {"x": g.dx, "U": g.dU, "W": g.dW, "b": g.db}, dh
    )
    assert result.ok and result.worst.relative_error < 1e-8


def test_a_transposed_weight_gradient_is_named():
    x, p, dh, g = _rnn_case()
    result = gradcheck.check_gradients(
        lambda **kw: rnn.rnn_forward(**kw)[0], {"x": x, **p}, {"x": g.dx, "W": g.dW.T, "b": g.db}, dh
    )
    assert not result.ok
    assert [r.name for r in result.reports if not r.ok] == ["W"]
    assert result.worst.name == "W" and "WRONG" in str(result)


def test_the_time_step_where_a_sequence_gradient_departs_is_reported():
    x, p, dh, g = _rnn_case(T=6)
    dx = g.dx.copy()
    dx[:3] *= 1.5  # wrong at t = 0, 1, 2: seen first at t = 2 going backward in time
    result = gradcheck.check_gradients(
        lambda **kw: rnn.rnn_forward(**kw)[0], {"x": x, **p}, {"x": dx}, dh, time_major={"x"}
    )
    (report,) = result.reports
    assert not report.ok and report.time_step == 2 and "t=2" in str(report)


def test_missing_or_misshapen_gradients_are_reported_not_raised():
    reports = gradcheck.compare_gradients({"a": np.ones(3), "b": np.ones(2)}, {"a": np.ones(4)})
    assert [r.relative_error for r in reports] == [float("inf"), float("inf")]


def test_non_finite_gradients_fail():
    (r,) = gradcheck.compare_gradients({"a": np.ones(3)}, {"a": np.array([1.0, np.nan, 1.0])})
    assert not r.ok


@given(st.integers(0, 2**32 - 1), st.floats(1e-6, 1e6))
def test_relative_error_is_symmetric_scale_free_and_zero_on_equality(seed, scale):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(7), rng.standard_normal(7)
    assert gradcheck.relative_error(a, a) == 0.0
    assert gradcheck.relative_error(a, b) == pytest.approx(gradcheck.relative_error(b, a))
    assert gradcheck.relative_error(a * scale, b * scale) == pytest.approx(gradcheck.relative_error(a, b))
    assert 0.0 <= gradcheck.relative_error(a, b) <= 1.0


def test_numerical_gradients_of_tuple_outputs_and_no_mutation():
    rng = np.random.default_rng(0)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    U, W, b = rng.standard_normal((16, 3)), rng.standard_normal((16, 4)), rng.standard_normal(16)
    inputs = {"x": x, "h_prev": h, "c_prev": c, "U": U, "W": W, "b": b}
    before = {k: v.copy() for k, v in inputs.items()}
    dh, dc = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    _, _, cache = lstm.lstm_step_forward(**inputs)
    g = lstm.lstm_step_backward(dh, dc, cache)

    def f(**kw):
        hn, cn, _ = lstm.lstm_step_forward(**kw)
        return hn, cn

    result = gradcheck.check_gradients(f, inputs, {"c_prev": g.dc_prev, "W": g.dW}, (dh, dc))
    assert result.ok, str(result)
    for k in inputs:
        np.testing.assert_array_equal(inputs[k], before[k])


def test_the_absolute_floor_only_forgives_tiny_gradients():
    (r,) = gradcheck.compare_gradients({"a": np.array([1e-12, 0.0])}, {"a": np.array([2e-12, 0.0])}, atol=1e-9)
    assert r.relative_error > 0.1 and r.ok
    (r,) = gradcheck.compare_gradients({"a": np.array([1.0, 0.0])}, {"a": np.array([2.0, 0.0])}, atol=1e-9)
    assert not r.ok


# --------------------------------------------------------------------------- extreme values (issue 13)


@given(st.integers(0, 2**32 - 1), st.integers(-1000, 1000))
def test_relative_error_is_exactly_scale_free_from_1e_minus_300_to_1e300(seed, k):
    """Scaling by 2**k is exact, and so must the relative error be: once, 2**600 overflowed the norms to NaN."""
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0.01, 10, 7) * rng.choice([-1, 1], 7), rng.uniform(0.01, 10, 7)
    assert gradcheck.relative_error(a * 2.0**k, b * 2.0**k) == gradcheck.relative_error(a, b)


@given(st.integers(0, 2**32 - 1), st.floats(1e10, 1.7e308), st.sampled_from([1.0, -1.0]))
def test_one_huge_entry_makes_the_error_about_one(seed, huge, sign):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(7)
    b = a.copy()
    b[rng.integers(7)] = sign * huge
    error = gradcheck.relative_error(a, b)
    assert 0.99 < error <= 1.0 and gradcheck.relative_error(b, a) == error


@given(st.integers(0, 2**32 - 1), st.sampled_from([1e-320, 5e-324, 0.0, -5e-324]))
def test_a_subnormal_in_place_of_the_largest_entry_is_seen(seed, tiny):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(7)
    b = a.copy()
    b[np.argmax(np.abs(a))] = tiny
    assert gradcheck.relative_error(a, b) > 0.1  # |a_max| / (‖a‖ + ‖b‖) ≥ 1 / (2√7)


def test_subnormal_arrays_compare_like_any_others():
    assert gradcheck.relative_error(np.array([5e-324]), np.array([1e-323])) == pytest.approx(1 / 3)
    assert gradcheck.relative_error(np.array([1e-320, 0.0]), np.array([1e-320, 0.0])) == 0.0
    # entries whose squares underflow still count
    assert gradcheck.relative_error(np.array([1e-200, 0.0]), np.array([0.0, 1e-200])) == pytest.approx(np.sqrt(2) / 2)


def test_huge_entries_of_opposite_signs_do_not_overflow():
    assert gradcheck.relative_error(np.array([1.7e308]), np.array([-1.7e308])) == 1.0
    assert gradcheck.relative_error(np.array([1e308, 1.0]), np.array([1e308, -1.0])) == pytest.approx(2 / 2e308)
    (r,) = gradcheck.compare_gradients({"a": np.array([1e308, 1.0])}, {"a": np.array([-1e308, 1.0])}, atol=1e-9)
    assert not r.ok and r.relative_error == 1.0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_entry_on_either_side_is_an_infinite_error(bad):
    good, wrong = np.ones(4), np.array([1.0, bad, 1.0, 1.0])
    assert gradcheck.relative_error(good, wrong) == np.inf
    assert gradcheck.relative_error(wrong, good) == np.inf
    assert gradcheck.relative_error(wrong, wrong) == np.inf  # never "equal, so 0"


def test_zero_and_empty_arrays_agree():
    assert gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert gradcheck.relative_error(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0
    assert gradcheck.relative_error(np.zeros(3), np.array([0.0, 5e-324, 0.0])) == 1.0


def test_first_departure_sees_a_nan_step():
    expected = np.ones((4, 2))
    actual = expected.copy()
    actual[1, 0] = np.nan
    assert gradcheck.first_departure(expected, actual, 1e-6) == 1
    assert gradcheck.first_departure(expected, actual, 1e-6, direction="forward") == 1
