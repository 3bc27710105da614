"""Sequence losses; each returns the loss and its gradient with respect to its input.

Softmax cross-entropy (chapter *Recurrence*, section *The sequence loss*)::

    ŷ(t) = softmax(o(t)),   L = Σ_t L(t) = −Σ_t log ŷ(t)[y(t)]
    ∇_o(t) L = ŷ(t) − 1_y(t)

Squared error for regression: ``L = ½ Σ ‖ŷ − y‖²``, ``∇_ŷ L = ŷ − y``.

A ``mask`` of weights ``m (T, N)`` (1 = counts, 0 = padding) multiplies each
term. ``reduction="sum"`` is the lecture's ``Σ_t`` summed over the batch too;
``"mean"`` divides by ``Σ m``, the number of positions that count.
"""

from __future__ import annotations

import numpy as np

from rnncore._checks import ShapeChecker
from rnncore.activations import log_softmax


def _weights(s: ShapeChecker, mask, shape: tuple[int, ...]) -> np.ndarray:
    if mask is None:
        return np.ones(shape)
    m = s.array("mask", mask, tuple(f"m{i}" for i in range(len(shape))))
    if m.shape != shape:
        raise ValueError(f"{s.func}: mask must have shape {shape}, got {m.shape}")
    return m.astype(np.float64)


def _scale(s: ShapeChecker, w: np.ndarray, reduction: str) -> float:
    if reduction == "sum":
        return 1.0
    if reduction == "mean":
        total = w.sum()
        if total <= 0:
            raise ValueError(f"{s.func}: mask selects no position, the mean is undefined")
        return 1.0 / total
    raise ValueError(f"{s.func}: reduction must be 'sum' or 'mean', got {reduction!r}")


def softmax_cross_entropy(o, y, mask=None, reduction: str = "sum") -> tuple[float, np.ndarray]:
    """Cross-entropy of logits ``o (..., K)`` against integer targets ``y (...)``.

    Returns:
        ``(L, do)`` with ``do = ∇_o L`` shaped like ``o`` (masked positions get 0).
    """
    s = ShapeChecker("softmax_cross_entropy")
    o = np.asarray(o)
    if o.ndim < 1:
        raise ValueError(f"softmax_cross_entropy: o must have shape (..., K), got {o.shape}")
    y = s.integers("y", y, o.shape[:-1], o.shape[-1])
    w = _weights(s, mask, y.shape)
    scale = _scale(s, w, reduction)
    logp = log_softmax(o.astype(np.result_type(o, np.float32)))
    picked = np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]
    loss = -float(np.sum(w * picked)) * scale
    do = np.exp(logp)
    np.put_along_axis(do, y[..., None], np.take_along_axis(do, y[..., None], axis=-1) - 1, axis=-1)
    do *= (w * scale)[..., None].astype(do.dtype)
    return loss, do


def squared_error(y_hat, y, mask=None, reduction: str = "sum") -> tuple[float, np.ndarray]:
    """``L = ½ Σ m ‖ŷ − y‖²`` for ``y_hat`` and ``y`` of one shape ``(..., K)``.

    The mask, if given, has the shape of the leading axes ``(...)``.
    Returns ``(L, dy_hat)``.
    """
    s = ShapeChecker("squared_error")
    y_hat = np.asarray(y_hat)
    y = s.array("y", y, y_hat.shape)
    w = _weights(s, mask, y_hat.shape[:-1])
    scale = _scale(s, w, reduction)
    diff = y_hat - y
    loss = 0.5 * float(np.sum(w[..., None] * diff**2)) * scale
    return loss, diff * (w * scale)[..., None].astype(diff.dtype)
