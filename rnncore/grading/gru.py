"""Checks of assignment 5 (GRU, the lecture's form): step and sequence forward and backward.

Gates are stacked ``r, z, n`` in ``U (3H, D)``, ``W (3H, H)``, ``b (3H,)``::

    r = σ(a_r),  z = σ(a_z),  n = tanh(b_n + U_n x + W_n (r ⊙ h(t-1)))
    h(t) = (1 − z) ⊙ h(t-1) + z ⊙ n

The assignment fixes the step cache as ``(x, h_prev, r, z, n, U, W)``
(:func:`gru_step_cache`), so each backward is graded on correct caches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnncore import gru
from rnncore.grading.engine import (
    LONG,
    WIDE,
    Path,
    call_student,
    check_states_on_fresh_inputs,
    compare,
    first_of,
    fresh_rng,
    grade_backward,
    in_both_precisions,
    precision,
    random_shapes,
    rnn_params,
)

GATED = {"U": 3, "W": 3, "b": 3}
CARRIED_TO_STATE = "dh ⊙ (1 − z) + r ⊙ (∇a_n W_n) + ∇a_r W_r + ∇a_z W_z"
STEP_PATHS = {
    "x": Path({"U": "the gates"}, "dx = ∇a U, the three gates' blocks together"),
    "h_prev": Path({"W": "the gates"}, f"dh_prev = {CARRIED_TO_STATE}"),
}
SEQUENCE_PATHS = {
    "x": Path({"U": "the gates"}, "dx(t) = ∇a(t) U, the three gates' blocks together"),
    "h0": Path({"W": "the gates"}, f"dh0 = {CARRIED_TO_STATE} at the first step, dh the total gradient reaching it"),
}


def _step_inputs(rng, s):
    """A step's inputs by name; gates of about unit-variance pre-activation, none saturated (``rnn_params``)."""
    return {
        "x": rng.standard_normal((s.N, s.D)),
        "h_prev": rng.standard_normal((s.N, s.H)),
        **rnn_params(rng, s, 3, fan_in=True),
    }


def _sequence_inputs(rng, s):
    """A sequence's inputs by name: T ≥ 2 (``random_shapes``), so the carry between steps counts; gates unsaturated."""
    return {
        "x": rng.standard_normal((s.T, s.N, s.D)),
        **rnn_params(rng, s, 3, fan_in=True),
        "h0": rng.standard_normal((s.N, s.H)),
    }


def gru_step_cache(x, h_prev, U, W, b) -> tuple:
    """The step cache the assignment specifies, ``(x, h_prev, r, z, n, U, W)``, built by rnncore."""
    _, cache = gru.gru_step_forward(x, h_prev, U, W, b)
    H = h_prev.shape[1]
    r, z, n = (cache.acts[:, k * H : (k + 1) * H].copy() for k in range(3))
    return (x, h_prev, r, z, n, U, W)


def gru_step_forward_reference(x, h_prev, U, W, b):
    """rnncore's step with the assignment's signature and cache: ``(h, cache)``."""
    h, _ = gru.gru_step_forward(x, h_prev, U, W, b)
    return h, gru_step_cache(x, h_prev, U, W, b)


def gru_step_backward_reference(dh, cache):
    """rnncore's step backward on a cache of the assignment's form: ``(dx, dh_prev, dU, dW, db)``."""
    x, h_prev, r, z, n, U, W = cache
    full = gru.GRUStepCache(x, h_prev, np.concatenate([r, z, n], axis=1), r * h_prev, U, W, "lecture")
    return tuple(gru.gru_step_backward(dh, full))[:5]


def gru_forward_by_steps(x, U, W, b, h0):
    """A reference ``gru_forward`` whose caches are the list of the assignment's step caches."""
    h, hs, caches = h0, [], []
    for t in range(x.shape[0]):
        h, cache = gru_step_forward_reference(x[t], h, U, W, b)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs), caches


@in_both_precisions
def check_gru_step_forward(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``gru_step_forward(x, h_prev, U, W, b) -> (h, cache)``."""
    rng = fresh_rng(seed)
    for _ in range(trials):
        inputs = _step_inputs(rng, random_shapes(rng))
        h = first_of(call_student("gru_step_forward", student, *inputs.values()))
        compare("gru_step_forward", {"h": gru.gru_step_forward(**inputs)[0]}, {"h": h}, precision().forward, "rnncore")


@in_both_precisions
def check_gru_forward(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``gru_forward(x, U, W, b, h0) -> (h (T, N, H), caches)``."""

    def reference(**inputs):
        return gru.gru_forward(**inputs)[0]

    check_states_on_fresh_inputs(
        "gru_forward", student, lambda rng: _sequence_inputs(rng, random_shapes(rng)), reference, seed, trials
    )


@in_both_precisions(scale=WIDE)
def check_gru_step_backward(student_backward: Callable, seed: int | None = None) -> None:
    """``gru_step_backward(dh, cache) -> (dx, dh_prev, dU, dW, db)`` on :func:`gru_step_cache` caches."""
    from rnncore.torch_ref import gru_step_forward_torch

    rng = fresh_rng(seed)
    s = random_shapes(rng)
    inputs = _step_inputs(rng, s)
    dh = rng.standard_normal((s.N, s.H))
    returned = call_student("gru_step_backward", student_backward, dh, gru_step_cache(**inputs))
    reference = gru.gru_step_backward(dh, gru.gru_step_forward(**inputs)[1])._asdict()

    def forward(**kw):
        return gru.gru_step_forward(**kw)[0]

    order = ("dx", "dh_prev", "dU", "dW", "db")
    grade_backward(
        "gru_step_backward",
        returned,
        order,
        reference,
        forward,
        inputs,
        dh,
        gru_step_forward_torch,
        gated=GATED,
        paths=STEP_PATHS,
    )


@in_both_precisions(scale=LONG)
def check_gru_backward(student_forward: Callable, student_backward: Callable, seed: int | None = None) -> None:
    """``gru_backward(dh, caches) -> (dx, dh0, dU, dW, db)`` on the caches of ``student_forward``."""
    from rnncore.torch_ref import gru_forward_torch

    rng = fresh_rng(seed)
    s = random_shapes(rng)
    inputs = _sequence_inputs(rng, s)
    out = call_student("gru_forward", student_forward, *inputs.values())
    dh = rng.standard_normal((s.T, s.N, s.H))
    returned = call_student("gru_backward", student_backward, dh, out[-1])
    reference = gru.gru_backward(dh, gru.gru_forward(**inputs)[1])._asdict()

    def forward(**kw):
        return gru.gru_forward(**kw)[0]

    order = ("dx", "dh0", "dU", "dW", "db")
    grade_backward(
        "gru_backward",
        returned,
        order,
        reference,
        forward,
        inputs,
        dh,
        gru_forward_torch,
        ("x",),
        GATED,
        paths=SEQUENCE_PATHS,
    )
