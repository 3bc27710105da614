"""Checks of assignment 2 (backpropagation through time): RNN step and sequence backward, the loss backward.

Book notation, with ``δh(t)`` the total gradient reaching ``h(t)``::

    ∇a(t) = (1 − h(t)²) ⊙ δh(t),   δh(t-1) = Wᵀ ∇a(t) + ∂L/∂h(t-1)
    ∇U = Σ_t ∇a(t) x(t)ᵀ,  ∇W = Σ_t ∇a(t) h(t-1)ᵀ,  ∇b = Σ_t ∇a(t)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnncore import rnn
from rnncore.grading.engine import (
    LONG,
    WIDE,
    GradingError,
    Path,
    call_student,
    compare_scalar,
    fresh_rng,
    grade_backward,
    in_both_precisions,
    output_and_cache,
    random_shapes,
    rnn_params,
    width,
)
from rnncore.layers import affine_backward, affine_forward
from rnncore.losses import softmax_cross_entropy

STEP_PATHS = {
    "x": Path({"U": "a(t)"}, "dx = ∇a(t) U"),
    "h_prev": Path({"W": "a(t)"}, "dh_prev = ∇a(t) W"),
}
SEQUENCE_PATHS = {
    "x": Path({"U": "a(t)"}, "dx(t) = ∇a(t) U"),
    "h0": Path({"W": "a(t)"}, "dh0 = ∇a(0) W, from the first step"),
}
LOSS_PATHS = {"h": Path({"V": "o(t)"}, "dh = ∇o V, with ∇o = softmax(o) − one_hot(y)")}


@in_both_precisions(scale=WIDE)
def check_rnn_step_backward(student_forward: Callable, student_backward: Callable, seed: int | None = None) -> None:
    """``rnn_step_backward(dh, cache) -> (dx, dh_prev, dU, dW, db)`` on the cache of the student's step forward."""
    from rnncore.torch_ref import rnn_step_forward_torch

    rng = fresh_rng(seed)
    s = random_shapes(rng)
    inputs = {"x": rng.standard_normal((s.N, s.D)), "h_prev": rng.standard_normal((s.N, s.H)), **rnn_params(rng, s)}
    cache = output_and_cache("rnn_step_forward", call_student("rnn_step_forward", student_forward, *inputs.values()))
    dh = rng.standard_normal((s.N, s.H))
    returned = call_student("rnn_step_backward", student_backward, dh, cache)
    reference = rnn.rnn_step_backward(dh, rnn.rnn_step_forward(**inputs)[1])._asdict()

    def forward(**kw):
        return rnn.rnn_step_forward(**kw)[0]

    order = ("dx", "dh_prev", "dU", "dW", "db")
    grade_backward(
        "rnn_step_backward", returned, order, reference, forward, inputs, dh, rnn_step_forward_torch, paths=STEP_PATHS
    )


@in_both_precisions(scale=LONG)
def check_rnn_backward(student_forward: Callable, student_backward: Callable, seed: int | None = None) -> None:
    """BPTT: ``rnn_backward(dh, cache) -> (dx, dh0, dU, dW, db)`` on the student's forward cache."""
    from rnncore.torch_ref import rnn_forward_torch

    rng = fresh_rng(seed)
    s = random_shapes(rng)
    p = rnn_params(rng, s)
    inputs = {"x": rng.standard_normal((s.T, s.N, s.D)), **p, "h0": rng.standard_normal((s.N, s.H))}
    cache = output_and_cache("rnn_forward", call_student("rnn_forward", student_forward, *inputs.values()))
    dh = rng.standard_normal((s.T, s.N, s.H))
    returned = call_student("rnn_backward", student_backward, dh, cache)
    reference = rnn.rnn_backward(dh, rnn.rnn_forward(**inputs)[1])._asdict()

    def forward(**kw):
        return rnn.rnn_forward(**kw)[0]

    order = ("dx", "dh0", "dU", "dW", "db")
    grade_backward(
        "rnn_backward",
        returned,
        order,
        reference,
        forward,
        inputs,
        dh,
        rnn_forward_torch,
        time_major=("x",),
        paths=SEQUENCE_PATHS,
    )


@in_both_precisions(scale=WIDE)
def check_sequence_loss_backward(student: Callable, seed: int | None = None) -> None:
    """``sequence_loss_backward(h, V, c, y) -> (L, dh, dV, dc)`` for ``o = c + V h`` and the summed cross-entropy."""
    from rnncore.torch_ref import affine_forward_torch, softmax_cross_entropy_torch

    rng = fresh_rng(seed)
    s = random_shapes(rng)
    K = width(rng, 3, 9, 512)  # wide at scale: one numerical pass per output unit is too many there
    inputs = {
        "h": np.tanh(rng.standard_normal((s.T, s.N, s.H))),
        "V": rng.standard_normal((K, s.H)),
        "c": rng.standard_normal(K),
    }
    y = rng.integers(0, K, (s.T, s.N))
    out = call_student("sequence_loss_backward", student, *inputs.values(), y)
    if not isinstance(out, tuple | list) or len(out) != 4:
        raise GradingError("sequence_loss_backward must return (loss, dh, dV, dc)")
    o, cache = affine_forward(**inputs)
    loss, do = softmax_cross_entropy(o, y)
    compare_scalar("sequence_loss_backward", "the loss", loss, out[0], mean_over=y.size)
    g = affine_backward(do, cache)

    def forward(h, V, c):
        return np.asarray(softmax_cross_entropy(affine_forward(h, V, c)[0], y)[0])

    def twin(h, V, c):
        return softmax_cross_entropy_torch(affine_forward_torch(h, V, c), y)

    reference = {"dh": g.dh, "dV": g.dV, "dc": g.dc}
    order = ("dh", "dV", "dc")
    grade_backward(
        "sequence_loss_backward",
        out[1:],
        order,
        reference,
        forward,
        inputs,
        1.0,
        twin,
        time_major=("h",),
        paths=LOSS_PATHS,
        mean_over=y.size,
    )
