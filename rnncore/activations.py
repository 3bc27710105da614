"""Elementwise nonlinearities and their derivatives, written to avoid overflow.

The logistic sigmoid is computed as ``σ(a) = ½ (1 + tanh(a/2))``: it is exactly
the same function, never overflows (``exp(-a)`` does for ``a < -88`` in float32)
and costs one ``tanh``.
"""

from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``σ(a) = 1 / (1 + exp(-a))``, elementwise; ``out`` may alias ``a``."""
    if out is None:
        return 0.5 + 0.5 * np.tanh(0.5 * np.asarray(a))
    np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def softmax(o: np.ndarray, axis: int = -1) -> np.ndarray:
    """``softmax(o)_i = exp(o_i) / Σ_j exp(o_j)`` along ``axis``, shifted for stability."""
    shifted = o - o.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(o: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log softmax(o)``, computed without forming ``softmax`` first."""
    shifted = o - o.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
