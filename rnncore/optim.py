"""Gradient clipping and optimizers over parameter/gradient dicts with the same keys.

Clipping (chapter *Long-term dependencies*, section *Clipping*; Pascanu et al. 2013)::

    by global norm:  g ← g · min(1, κ / ‖g‖),  ‖g‖ = sqrt(Σ_params Σ g²)
    by value:        g ← clip(g, −κ, κ)

Clipping functions are pure: they return new dicts. Optimizers update the
parameter arrays in place (the model owns them) and keep their own state
(velocities, moments) keyed like the parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

import numpy as np


def global_norm(grads: Mapping[str, np.ndarray]) -> float:
    """``sqrt(Σ_k ‖grads[k]‖²)`` over every array in the dict."""
    return float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values())))


def clip_by_global_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> tuple[dict, float]:
    """Rescale all gradients together so their global norm is at most ``max_norm``.

    The direction of the update is kept; only its length is capped.
    Returns ``(clipped grads, the norm before clipping)``.
    """
    if not max_norm > 0:
        raise ValueError(f"clip_by_global_norm: max_norm must be positive, got {max_norm}")
    norm = global_norm(grads)
    if not np.isfinite(norm):
        raise ValueError("clip_by_global_norm: the gradients contain NaN or infinite values")
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return {k: g * scale for k, g in grads.items()}, norm


def clip_by_value(grads: Mapping[str, np.ndarray], limit: float) -> dict:
    """Clip every gradient entry to ``[−limit, limit]`` (changes the direction, unlike the norm)."""
    if not limit > 0:
        raise ValueError(f"clip_by_value: limit must be positive, got {limit}")
    return {k: np.clip(g, -limit, limit) for k, g in grads.items()}


def _check_keys(name: str, params: Mapping, grads: Mapping) -> None:
    if set(params) != set(grads):
        missing = sorted(set(params) - set(grads))
        extra = sorted(set(grads) - set(params))
        raise ValueError(f"{name}: gradient keys differ from parameter keys (missing {missing}, extra {extra})")


class SGD:
    """Stochastic gradient descent with (heavy-ball) momentum.

    ``v ← μ v − η g``, ``θ ← θ + v``; with ``μ = 0`` this is ``θ ← θ − η g``.
    """

    def __init__(self, lr: float = 0.1, momentum: float = 0.0):
        self.lr, self.momentum = lr, momentum
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: MutableMapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        _check_keys("SGD.step", params, grads)
        for k, g in grads.items():
            if self.momentum:
                v = self.velocity.setdefault(k, np.zeros_like(params[k]))
                v *= self.momentum
                v -= self.lr * g
                params[k] += v
            else:
                params[k] -= self.lr * g


class Adam:
    """Adam (Kingma & Ba 2015) with bias-corrected moments.

    ``m ← β₁ m + (1 − β₁) g``, ``s ← β₂ s + (1 − β₂) g²``,
    ``θ ← θ − η m̂ / (√ŝ + ε)`` with ``m̂ = m / (1 − β₁ᵗ)``, ``ŝ = s / (1 − β₂ᵗ)``.
    """

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.lr, self.betas, self.eps = lr, betas, eps
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.s: dict[str, np.ndarray] = {}

    def step(self, params: MutableMapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        _check_keys("Adam.step", params, grads)
        self.t += 1
        b1, b2 = self.betas
        for k, g in grads.items():
            m = self.m.setdefault(k, np.zeros_like(params[k]))
            s = self.s.setdefault(k, np.zeros_like(params[k]))
            m *= b1
            m += (1 - b1) * g
            s *= b2
            s += (1 - b2) * g * g
            m_hat = m / (1 - b1**self.t)
            s_hat = s / (1 - b2**self.t)
            params[k] -= self.lr * m_hat / (np.sqrt(s_hat) + self.eps)
