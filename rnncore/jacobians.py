"""How far back a gradient reaches: the Jacobians ``∂h(T)/∂h(t)`` of an RNN.

Book notation (chapter *Long-term dependencies*). For ``h(t) = tanh(a(t))``,
``a(t) = b + W h(t-1) + U x(t)``::

    ∂h(t)/∂h(t-1) = diag(1 − h(t)²) W
    ∂h(T)/∂h(t)   = ∏_{k=T}^{t+1} diag(1 − h(k)²) W

Its norm against the distance ``T − t`` shows gradients vanishing (norm → 0)
or exploding (norm → ∞). In the linear case ``h(t) = W h(t-1)`` the product is
``W^{T−t}``, whose norm grows or shrinks like ``ρ(W)^{T−t}``.
"""

from __future__ import annotations

import numpy as np

from rnncore.rnn import RNNCache


def rnn_jacobians(cache: RNNCache, n: int = 0) -> np.ndarray:
    """``J[t] = ∂h(T)/∂h(t)`` for ``t = 0..T`` and batch element ``n``; ``(T + 1, H, H)``.

    ``J[T]`` is the identity; each earlier one multiplies by one more step's Jacobian.
    """
    hs, W = cache.hs, cache.W
    T = hs.shape[0] - 1
    if not 0 <= n < hs.shape[1]:
        raise ValueError(f"rnn_jacobians: n must lie in [0, {hs.shape[1]}), got {n}")
    H = W.shape[0]
    J = np.empty((T + 1, H, H))
    J[T] = np.eye(H)
    for t in range(T, 0, -1):
        # ∂h(T)/∂h(t-1) = ∂h(T)/∂h(t) · diag(1 − h(t)²) W
        J[t - 1] = (J[t] * (1.0 - hs[t, n] ** 2)) @ W
    return J


def jacobian_norms(cache: RNNCache, n: int = 0, ord=2) -> np.ndarray:
    """``‖∂h(T)/∂h(t)‖`` for ``t = 0..T`` (spectral norm by default); ``(T + 1,)``."""
    return np.array([np.linalg.norm(J, ord=ord) for J in rnn_jacobians(cache, n)])


def spectral_radius(W: np.ndarray) -> float:
    """``ρ(W) = max |λ_i(W)|``."""
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def with_spectral_radius(W: np.ndarray, rho: float) -> np.ndarray:
    """``W`` rescaled so that its spectral radius is ``rho``."""
    return W * (rho / spectral_radius(W))
