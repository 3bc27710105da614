"""A small training loop with a text progress bar, for the book and the assignments.

Any object with a ``params`` dict and a ``loss_and_grads(batch) -> (loss, grads)``
method (grads keyed like ``params``) can be trained; see :mod:`rnncore.models`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from rnncore.optim import clip_by_global_norm, global_norm


class Trainable(Protocol):
    params: dict[str, np.ndarray]

    def loss_and_grads(self, batch) -> tuple[float, dict[str, np.ndarray]]: ...


@dataclass
class History:
    """Per-step records of a run: the loss and the gradient norm before clipping."""

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)


def progress_bar(step: int, total: int, loss: float, width: int = 30) -> str:
    """``[#########.....] 300/1000 loss 1.234``"""
    filled = int(width * step / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {step}/{total} loss {loss:.4f}"


def train(
    model: Trainable,
    batches: Iterable,
    optimizer,
    steps: int,
    clip: float | None = None,
    progress: bool = True,
    updates: int = 10,
    callback: Callable[[int, float], None] | None = None,
) -> History:
    """Run ``steps`` updates, drawing one batch per step from ``batches``.

    Args:
        model: has ``params`` and ``loss_and_grads(batch)``.
        batches: an iterable (or generator) of batches; it must not run dry early.
        optimizer: has ``step(params, grads)`` (:class:`rnncore.optim.SGD`, :class:`~rnncore.optim.Adam`).
        clip: if given, clip the gradients to this global norm first.
        progress: print a progress bar ``updates`` times (on one line in a terminal).
        callback: called as ``callback(step, loss)`` after every update.

    Returns:
        The :class:`History` of losses and gradient norms.
    """
    history = History()
    iterator = iter(batches)
    every = max(1, steps // max(1, updates))
    in_terminal = sys.stdout.isatty()
    running = float("nan")
    for step in range(1, steps + 1):
        try:
            batch = next(iterator)
        except StopIteration:
            raise ValueError(f"train: batches ran out after {step - 1} of {steps} steps") from None
        loss, grads = model.loss_and_grads(batch)
        if not np.isfinite(loss):
            raise FloatingPointError(f"train: the loss became {loss} at step {step}; lower the learning rate or clip")
        if clip is not None:
            grads, norm = clip_by_global_norm(grads, clip)
        else:
            norm = global_norm(grads)
        optimizer.step(model.params, grads)
        history.loss.append(float(loss))
        history.grad_norm.append(norm)
        running = loss if step == 1 else 0.9 * running + 0.1 * loss
        if callback is not None:
            callback(step, float(loss))
        if progress and (step % every == 0 or step == steps):
            end = "\r" if in_terminal and step < steps else "\n"
            print(progress_bar(step, steps, running), end=end, flush=True)
    return history
