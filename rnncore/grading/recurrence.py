"""Checks of assignment 1 (recurrence): the RNN step and sequence forward and the sequence loss.

Book notation: ``a(t) = b + W h(t-1) + U x(t)``, ``h(t) = tanh(a(t))``,
``o(t) = c + V h(t)``, ``L = −Σ_t Σ_n log softmax(o(t))[y(t)]``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnncore import rnn
from rnncore.grading.engine import (
    call_student,
    check_states_on_fresh_inputs,
    compare,
    compare_scalar,
    first_of,
    fresh_rng,
    in_both_precisions,
    precision,
    random_shapes,
    rnn_params,
)
from rnncore.layers import affine_forward
from rnncore.losses import softmax_cross_entropy


@in_both_precisions
def check_rnn_step_forward(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``rnn_step_forward(x, h_prev, U, W, b) -> h`` (or ``(h, cache)``), on random shapes."""
    rng = fresh_rng(seed)
    for _ in range(trials):
        s = random_shapes(rng)
        p = rnn_params(rng, s)
        x, h_prev = rng.standard_normal((s.N, s.D)), rng.standard_normal((s.N, s.H))
        h = first_of(call_student("rnn_step_forward", student, x, h_prev, p["U"], p["W"], p["b"]))
        ref, _ = rnn.rnn_step_forward(x, h_prev, **p)
        compare("rnn_step_forward", {"h": ref}, {"h": h}, precision().forward, "rnncore")


@in_both_precisions
def check_rnn_forward(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``rnn_forward(x, U, W, b, h0) -> h (T, N, H)`` (or ``(h, cache)``)."""

    def make_inputs(rng):
        s = random_shapes(rng)
        return {"x": rng.standard_normal((s.T, s.N, s.D)), **rnn_params(rng, s), "h0": rng.standard_normal((s.N, s.H))}

    def reference(**inputs):
        return rnn.rnn_forward(**inputs)[0]

    check_states_on_fresh_inputs("rnn_forward", student, make_inputs, reference, seed, trials)


@in_both_precisions
def check_sequence_loss(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``sequence_loss(h, V, c, y) -> L``: ``o = c + V h``, ``L = −Σ_t Σ_n log softmax(o)[y]``."""
    rng = fresh_rng(seed)
    for _ in range(trials):
        s = random_shapes(rng)
        K = int(rng.integers(3, 9))
        h = np.tanh(rng.standard_normal((s.T, s.N, s.H)))
        V, c = rng.standard_normal((K, s.H)), rng.standard_normal(K)
        y = rng.integers(0, K, (s.T, s.N))
        loss = first_of(call_student("sequence_loss", student, h, V, c, y))
        ref, _ = softmax_cross_entropy(affine_forward(h, V, c)[0], y)
        compare_scalar("sequence_loss", "the loss", ref, loss, mean_over=s.T * s.N)
