"""A small training loop with a progress bar (tqdm's), for the book and the assignments.

Any object with a ``params`` dict and a ``loss_and_grads(batch) -> (loss, grads)``
method (grads keyed like ``params``) can be trained; see :mod:`rnncore.models`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from tqdm import tqdm

from rnncore.optim import clip_by_global_norm, global_norm


class Trainable(Protocol):
    params: dict[str, np.ndarray]

    def loss_and_grads(self, batch) -> tuple[float, dict[str, np.ndarray]]: ...


@dataclass
class History:
    """Per-step records of a run: the loss and the gradient norm before clipping."""

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)


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
        progress: show a progress bar with the running loss and the time left, refreshed about ``updates`` times.
        callback: called as ``callback(step, loss)`` after every update.

    Returns:
        The :class:`History` of losses and gradient norms.
    """
    history = History()
    iterator = iter(batches)
    every = max(1, steps // max(1, updates))
    bar = tqdm(total=steps, desc="train", unit="step", disable=not progress, miniters=every, mininterval=0)
    running = float("nan")
    with bar:
        for step in range(1, steps + 1):
            running = _update(model, iterator, optimizer, clip, history, step, steps, running)
            if callback is not None:
                callback(step, history.loss[-1])
            if step % every == 0 or step == steps:
                bar.set_postfix(loss=f"{running:.4f}", refresh=False)
            bar.update(1)
    return history


def _update(model, iterator, optimizer, clip, history: History, step: int, steps: int, running: float) -> float:
    """One step of :func:`train`: draw a batch, update the parameters, record; returns the running loss."""
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
    return loss if step == 1 else 0.9 * running + 0.1 * loss
