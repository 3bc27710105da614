"""Checks of assignment 4 (LSTM): step and sequence forward and backward.

Gates are stacked ``i, f, g, o`` in ``U (4H, D)``, ``W (4H, H)``, ``b (4H,)``::

    c(t) = f ⊙ c(t-1) + i ⊙ g,   h(t) = o ⊙ tanh(c(t))

The assignment fixes the step cache as ``(x, h_prev, c_prev, i, f, g, o, c, U, W)``
(:func:`lstm_step_cache`), so each backward is graded on correct caches and a
wrong forward does not also cost the backward's points.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnncore import lstm
from rnncore.grading.engine import (
    LONG,
    WIDE,
    GradingError,
    Path,
    call_student,
    check_states_on_fresh_inputs,
    compare,
    fresh_rng,
    grade_backward,
    in_both_precisions,
    precision,
    random_shapes,
    rnn_params,
)

GATED = {"U": 4, "W": 4, "b": 4}
# dU is right exactly when the gradients reaching the gates are, and then δc = dc + dh ⊙ o ⊙ (1 − tanh²(c)) is too.
STEP_PATHS = {
    "x": Path({"U": "the gates"}, "dx = ∇a U, the four gates' blocks together"),
    "h_prev": Path({"W": "the gates"}, "the state path: dh_prev = ∇a W"),
    "c_prev": Path({"U": "the gates (and so δc)"}, "the cell path: dc_prev = δc ⊙ f"),
}
SEQUENCE_PATHS = {
    "x": Path({"U": "the gates"}, "dx(t) = ∇a(t) U, the four gates' blocks together"),
    "h0": Path({"W": "the gates"}, "the state path: dh0 = ∇a(0) W, from the first step"),
    "c0": Path({"U": "the gates (and so δc)"}, "the cell path: dc0 = δc(0) ⊙ f(0), from the first step"),
}


def _step_inputs(rng, s):
    """A step's inputs by name; gates of about unit-variance pre-activation, none saturated (``rnn_params``)."""
    return {
        "x": rng.standard_normal((s.N, s.D)),
        "h_prev": rng.standard_normal((s.N, s.H)),
        "c_prev": rng.standard_normal((s.N, s.H)) * 2,
        **rnn_params(rng, s, gates=4, fan_in=True),
    }


def _sequence_inputs(rng, s):
    """A sequence's inputs by name: T ≥ 2 (``random_shapes``), so the carries between steps count; gates unsaturated."""
    return {
        "x": rng.standard_normal((s.T, s.N, s.D)),
        **rnn_params(rng, s, gates=4, fan_in=True),
        "h0": rng.standard_normal((s.N, s.H)),
        "c0": rng.standard_normal((s.N, s.H)),
    }


def lstm_step_cache(x, h_prev, c_prev, U, W, b) -> tuple:
    """The step cache the assignment specifies, ``(x, h_prev, c_prev, i, f, g, o, c, U, W)``, built by rnncore."""
    h, c, cache = lstm.lstm_step_forward(x, h_prev, c_prev, U, W, b)
    H = h_prev.shape[1]
    i, f, g, o = (cache.acts[:, k * H : (k + 1) * H].copy() for k in range(4))
    return (x, h_prev, c_prev, i, f, g, o, c, U, W)


def lstm_step_forward_reference(x, h_prev, c_prev, U, W, b):
    """rnncore's step with the assignment's signature and cache: ``(h, c, cache)``."""
    cache = lstm_step_cache(x, h_prev, c_prev, U, W, b)
    return cache[6] * np.tanh(cache[7]), cache[7], cache


def lstm_step_backward_reference(dh, dc, cache):
    """rnncore's step backward on a cache of the assignment's form: ``(dx, dh_prev, dc_prev, dU, dW, db)``."""
    x, h_prev, c_prev, i, f, g, o, c, U, W = cache
    full = lstm.LSTMStepCache(x, h_prev, c_prev, np.concatenate([i, f, g, o], axis=1), c, np.tanh(c), U, W, None)
    return tuple(lstm.lstm_step_backward(dh, dc, full))[:6]


def lstm_forward_by_steps(x, U, W, b, h0, c0):
    """A reference ``lstm_forward`` whose caches are the list of the assignment's step caches."""
    h, c, hs, caches = h0, c0, [], []
    for t in range(x.shape[0]):
        h, c, cache = lstm_step_forward_reference(x[t], h, c, U, W, b)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs), caches


@in_both_precisions
def check_lstm_step_forward(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``lstm_step_forward(x, h_prev, c_prev, U, W, b) -> (h, c, cache)``."""
    rng = fresh_rng(seed)
    for _ in range(trials):
        inputs = _step_inputs(rng, random_shapes(rng))
        out = call_student("lstm_step_forward", student, *inputs.values())
        if not isinstance(out, tuple | list) or len(out) < 2:
            raise GradingError("lstm_step_forward must return (h, c, cache)")
        h, c, _ = lstm.lstm_step_forward(**inputs)
        compare("lstm_step_forward", {"c": c, "h": h}, {"c": out[1], "h": out[0]}, precision().forward, "rnncore")


@in_both_precisions
def check_lstm_forward(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``lstm_forward(x, U, W, b, h0, c0) -> (h (T, N, H), caches)``."""

    def reference(**inputs):
        return lstm.lstm_forward(**inputs)[0]

    check_states_on_fresh_inputs(
        "lstm_forward", student, lambda rng: _sequence_inputs(rng, random_shapes(rng)), reference, seed, trials
    )


@in_both_precisions(scale=WIDE)
def check_lstm_step_backward(student_backward: Callable, seed: int | None = None) -> None:
    """``lstm_step_backward(dh, dc, cache) -> (dx, dh_prev, dc_prev, dU, dW, db)`` on :func:`lstm_step_cache` caches."""
    from rnncore.torch_ref import lstm_step_forward_torch

    rng = fresh_rng(seed)
    s = random_shapes(rng)
    inputs = _step_inputs(rng, s)
    dh, dc = rng.standard_normal((s.N, s.H)), rng.standard_normal((s.N, s.H))
    returned = call_student("lstm_step_backward", student_backward, dh, dc, lstm_step_cache(**inputs))
    reference = lstm.lstm_step_backward(dh, dc, lstm.lstm_step_forward(**inputs)[2])._asdict()

    def forward(**kw):
        return lstm.lstm_step_forward(**kw)[:2]

    order = ("dx", "dh_prev", "dc_prev", "dU", "dW", "db")
    grade_backward(
        "lstm_step_backward",
        returned,
        order,
        reference,
        forward,
        inputs,
        (dh, dc),
        lstm_step_forward_torch,
        gated=GATED,
        paths=STEP_PATHS,
    )


@in_both_precisions(scale=LONG)
def check_lstm_backward(student_forward: Callable, student_backward: Callable, seed: int | None = None) -> None:
    """``lstm_backward(dh, caches) -> (dx, dh0, dc0, dU, dW, db)`` on the caches of ``student_forward``."""
    from rnncore.torch_ref import lstm_forward_torch

    rng = fresh_rng(seed)
    s = random_shapes(rng)
    inputs = _sequence_inputs(rng, s)
    out = call_student("lstm_forward", student_forward, *inputs.values())
    dh = rng.standard_normal((s.T, s.N, s.H))
    returned = call_student("lstm_backward", student_backward, dh, out[-1])
    reference = lstm.lstm_backward(dh, lstm.lstm_forward(**inputs)[1])._asdict()

    def forward(**kw):
        return lstm.lstm_forward(**kw)[0]

    order = ("dx", "dh0", "dc0", "dU", "dW", "db")
    grade_backward(
        "lstm_backward",
        returned,
        order,
        reference,
        forward,
        inputs,
        dh,
        lstm_forward_torch,
        ("x",),
        GATED,
        paths=SEQUENCE_PATHS,
    )
