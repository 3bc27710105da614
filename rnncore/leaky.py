"""Leaky units: a recurrent layer whose state is a moving average.

Book notation (chapter *Long-term dependencies*, section *Leaky units*)::

    ĥ(t) = tanh(b + W h(t-1) + U x(t))
    h(t) = α ⊙ h(t-1) + (1 − α) ⊙ ĥ(t)

``α`` (a scalar or one value per unit, ``(H,)``) near 1 keeps the past, near
0 follows the present. The path ``h(t-1) → h(t)`` has the linear factor ``α``,
so gradients decay like ``α^k`` rather than through a product of ``tanh'``.

Backward, with ``δh`` the total gradient reaching ``h(t)``::

    ∇ĥ = (1 − α) ⊙ δh,   ∇a = (1 − ĥ²) ⊙ ∇ĥ
    δh(t-1) = α ⊙ δh + Wᵀ ∇a,   ∇α = Σ_t δh ⊙ (h(t-1) − ĥ(t))
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnncore._checks import ShapeChecker, float_dtype
from rnncore._shared import check_elman, weight_grads


class LeakyCache(NamedTuple):
    x: np.ndarray  # (T, N, D)
    hs: np.ndarray  # (T + 1, N, H), hs[0] = h(0)
    h_hat: np.ndarray  # (T, N, H), ĥ(1..T)
    U: np.ndarray
    W: np.ndarray
    alpha: np.ndarray  # () or (H,)


class LeakyGrads(NamedTuple):
    dx: np.ndarray
    dh0: np.ndarray
    dU: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    dalpha: np.ndarray


def _check_alpha(s: ShapeChecker, alpha) -> np.ndarray:
    alpha = np.asarray(alpha, dtype=np.float64) if np.isscalar(alpha) else np.asarray(alpha)
    if alpha.ndim == 1:
        s.array("alpha", alpha, ("H",))
    elif alpha.ndim != 0:
        raise ValueError(f"{s.func}: alpha must be a scalar or have shape (H,), got {alpha.shape}")
    return alpha


def leaky_forward(x, U, W, b, alpha, h0=None) -> tuple[np.ndarray, LeakyCache]:
    """Run a layer of leaky units over ``x (T, N, D)``.

    Args:
        U: ``(H, D)``; W: ``(H, H)``; b: ``(H,)``.
        alpha: the leak ``α``, a scalar or ``(H,)``, usually in ``[0, 1)``.
        h0: ``(N, H)``; zeros when omitted.

    Returns:
        ``h (T, N, H)`` and the cache.
    """
    s = ShapeChecker("leaky_forward")
    x, U, W, b, h0 = check_elman(s, x, U, W, b, h0)
    # A Python number for α adapts to the layer's precision; an array of α is a parameter like the others.
    given_as_number = np.isscalar(alpha)
    alpha = _check_alpha(s, alpha)
    T, N, D = x.shape
    H = U.shape[0]
    dtype = float_dtype(x, U, W, b, h0, None if given_as_number else alpha)
    alpha = alpha.astype(dtype, copy=False)
    hs = np.empty((T + 1, N, H), dtype=dtype)
    hs[0] = 0.0 if h0 is None else h0
    h_hat = (x.reshape(T * N, D) @ U.T + b).reshape(T, N, H).astype(dtype, copy=False)
    for t in range(T):
        h_hat[t] += hs[t] @ W.T
        np.tanh(h_hat[t], out=h_hat[t])
        hs[t + 1] = alpha * hs[t] + (1.0 - alpha) * h_hat[t]
    return hs[1:], LeakyCache(x, hs, h_hat, U, W, alpha)


def leaky_backward(dh, cache: LeakyCache) -> LeakyGrads:
    """BPTT for leaky units given ``dh (T, N, H)``; ``dalpha`` is shaped like ``alpha``."""
    x, hs, h_hat, U, W, alpha = cache
    T, N, D = x.shape
    H = W.shape[0]
    dh = ShapeChecker("leaky_backward").array("dh", dh, (T, N, H))
    da = np.empty((T, N, H), dtype=np.result_type(hs, dh))
    dalpha_terms = np.empty_like(da)
    carry = np.zeros((N, H), dtype=da.dtype)
    for t in range(T - 1, -1, -1):
        total = dh[t] + carry
        np.multiply(total, hs[t] - h_hat[t], out=dalpha_terms[t])
        np.multiply(total * (1.0 - alpha), 1.0 - h_hat[t] ** 2, out=da[t])
        carry = alpha * total + da[t] @ W
    dx, dU, dW, db = weight_grads(da, x, hs[:-1], U)
    dalpha = dalpha_terms.sum(axis=(0, 1))
    return LeakyGrads(dx, carry, dU, dW, db, dalpha if alpha.ndim else np.asarray(dalpha.sum()))
