"""Layers applied at every time step independently: the output affine map and embeddings.

Output layer (chapter *Recurrence*)::

    o(t) = c + V h(t)          V (K, H), c (K,)

applied to ``h (..., H)`` with any leading axes (``(T, N, H)`` for a sequence).
Embedding: ``x(t) = E[y(t)]``, a row lookup in ``E (vocab, D)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnncore._checks import ShapeChecker


class AffineCache(NamedTuple):
    h: np.ndarray  # (..., H)
    V: np.ndarray  # (K, H)


class AffineGrads(NamedTuple):
    dh: np.ndarray
    dV: np.ndarray
    dc: np.ndarray


def affine_forward(h, V, c) -> tuple[np.ndarray, AffineCache]:
    """``o = c + V h`` at every position: ``h (..., H)`` → ``o (..., K)``."""
    s = ShapeChecker("affine_forward")
    V = s.array("V", V, ("K", "H"))
    c = s.array("c", c, ("K",))
    h = np.asarray(h)
    if h.ndim < 1 or h.shape[-1] != V.shape[1]:
        raise ValueError(f"affine_forward: h must have shape (..., H) with H = {V.shape[1]}, got {h.shape}")
    return h @ V.T + c, AffineCache(h, V)


def affine_backward(do, cache: AffineCache) -> AffineGrads:
    """Gradients given ``do = ∇_o L`` ``(..., K)``: ``dh = do V``, ``dV = Σ do hᵀ``, ``dc = Σ do``."""
    h, V = cache
    do = ShapeChecker("affine_backward").array("do", do, (*h.shape[:-1], V.shape[0]))
    do2 = do.reshape(-1, V.shape[0])
    return AffineGrads(
        dh=do @ V,
        dV=do2.T @ h.reshape(-1, V.shape[1]),
        dc=do2.sum(axis=0),
    )


class EmbeddingCache(NamedTuple):
    tokens: np.ndarray  # (...,) integer ids
    vocab_size: int


def embedding_forward(tokens, E) -> tuple[np.ndarray, EmbeddingCache]:
    """Look up ``E[tokens]``: ``tokens (...)`` integers → ``x (..., D)``."""
    s = ShapeChecker("embedding_forward")
    E = s.array("E", E, ("V", "D"))
    tokens = np.asarray(tokens)
    tokens = s.integers("tokens", tokens, tuple(f"d{i}" for i in range(tokens.ndim)), E.shape[0])
    return E[tokens], EmbeddingCache(tokens, E.shape[0])


def embedding_backward(dx, cache: EmbeddingCache) -> np.ndarray:
    """``dE``: each row gets the sum of the gradients of the positions that used it."""
    tokens, vocab_size = cache
    dx = np.asarray(dx)
    if dx.shape[:-1] != tokens.shape:
        raise ValueError(f"embedding_backward: dx must have shape {tokens.shape} + (D,), got {dx.shape}")
    dE = np.zeros((vocab_size, dx.shape[-1]), dtype=dx.dtype)
    # np.add.at accumulates repeated ids; fancy-index assignment would keep only the last.
    np.add.at(dE, tokens.reshape(-1), dx.reshape(-1, dx.shape[-1]))
    return dE
