"""Truncated backpropagation through time.

A long sequence is cut into windows of ``k`` steps. Each window is run forward
from the state the previous window ended in, and backpropagated only within
itself: the state is carried forward, its gradient is not carried back. This
bounds memory and cost per update at ``O(k)`` while the state still sees the
whole past (chapter *Backpropagation through time*, section *Truncation*).
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
) -> tuple[float, dict[str, np.ndarray], object]:
    """Sum of losses and gradients over windows of ``k`` steps.

    Args:
        loss_and_grads: ``(x_window, y_window, state) -> (loss, grads, final_state)``
            for one window; ``grads`` is a dict of parameter gradients.
        x, y: time-major inputs and targets, ``(T, ...)``.
        state0: the initial state, handed to the first window.
        k: the window length; ``k ≥ T`` gives full BPTT.

    Returns:
        ``(total loss, summed grads, final state)``. The state passed between
        windows is treated as a constant: no gradient flows across a window boundary.
    """
    total, summed, state = 0.0, {}, state0
    for window in windows(len(x), k):
        loss, grads, state = loss_and_grads(x[window], y[window], state)
        total += loss
        for name, g in grads.items():
            summed[name] = summed[name] + g if name in summed else np.array(g, copy=True)
    return total, summed, state
