r"""Truncated backpropagation through time.

A long sequence is cut into windows of ``k`` steps. Each window is run forward
from the state the previous window ended in, and backpropagated only within
itself: the state is carried forward, its gradient is not carried back. This
bounds memory and cost per update at ``O(k)`` while the state still sees the
whole past (chapter *Backpropagation through time*, section *Truncation*).

Convention. The loss of a sequence of length ``T`` is the mean of the per-step
losses, ``L = (1/T) Σ_t L(t)``, as :meth:`rnncore.models.SequenceModel.loss_and_grads`
computes it. Cut into windows ``w_1, …, w_m`` of ``|w_j|`` steps, whose own mean
losses are ``L̄_j = (1/|w_j|) Σ_{t ∈ w_j} L(t)``, it is exactly

    L = Σ_j (|w_j| / T) · L̄_j ,

so :func:`truncated_bptt` weights window ``j`` by its share ``|w_j| / T`` of the
positions. The loss is then the full loss for every ``k``; with ``k ≥ T`` there
is one window of weight 1 and the gradient *is* full BPTT; with shorter windows
the gradient differs from full BPTT only by the terms that cross a window
boundary, which truncation drops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np


def windows(T: int, k: int) -> Iterator[slice]:
    """The consecutive slices ``[0, k), [k, 2k), …`` covering ``range(T)``; the last may be shorter."""
    if k < 1:
        raise ValueError(f"windows: k must be at least 1, got {k}")
    for start in range(0, T, k):
        yield slice(start, min(start + k, T))


def truncated_bptt(
    loss_and_grads: Callable,
    x: np.ndarray,
    y: np.ndarray,
    state0,
    k: int,
    reduction: str = "mean",
) -> tuple[float, dict[str, np.ndarray], object]:
    r"""Loss and truncated gradient of a whole sequence, computed window by window.

    With ``reduction="mean"`` (the default) ``loss_and_grads`` returns, for one
    window, the *mean* of the per-step losses over that window's time steps (as
    :meth:`rnncore.models.SequenceModel.loss_and_grads` does without a mask), and
    window ``j`` of ``|w_j|`` steps is weighted by ``|w_j| / T``:

    .. math::

        L = \sum_j \frac{|w_j|}{T}\,\bar L_j, \qquad
        g_k = \sum_j \frac{|w_j|}{T}\,\tilde\nabla_\theta \bar L_j ,

    where :math:`\tilde\nabla` treats the state entering the window as a constant.
    The returned loss equals the mean loss of the whole sequence for every ``k``,
    and ``k ≥ T`` gives full BPTT exactly. With ``reduction="sum"``,
    ``loss_and_grads`` returns sums over its window's positions, and the windows'
    losses and gradients are added unweighted (use this when positions are masked,
    since a masked mean is not a mean over time steps).

    Args:
        loss_and_grads: ``(x_window, y_window, state) -> (loss, grads, final_state)``
            for one window; ``grads`` is a dict of parameter gradients.
        x, y: time-major inputs and targets, ``(T, ...)``.
        state0: the initial state, handed to the first window.
        k: the window length; ``k ≥ T`` gives full BPTT.
        reduction: ``"mean"`` or ``"sum"``, how ``loss_and_grads`` reduces over positions.

    Returns:
        ``(loss, grads, final state)`` of the whole sequence, reduced like one call of
        ``loss_and_grads`` on it. The state passed between windows is treated as a
        constant: no gradient flows across a window boundary.
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"truncated_bptt: reduction must be 'mean' or 'sum', got {reduction!r}")
    T = len(x)
    if len(y) != T:
        raise ValueError(f"truncated_bptt: x has {T} time steps but y has {len(y)}")
    total, summed, state = 0.0, {}, state0
    for window in windows(T, k):
        loss, grads, state = loss_and_grads(x[window], y[window], state)
        weight = (window.stop - window.start) / T if reduction == "mean" else 1.0
        total += weight * loss
        for name, g in grads.items():
            summed[name] = summed[name] + weight * g if name in summed else weight * np.asarray(g)
    return total, summed, state
