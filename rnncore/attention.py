"""Attention over a sequence of encoder states: additive, dot and scaled dot scores.

Book notation (chapter *Attention*). For decoder query ``q(t)`` and encoder
keys/values ``k(j), v(j)``, ``j = 1..S``::

    e(t, j) = v_aᵀ tanh(W_q q(t) + W_k k(j))     additive (Bahdanau et al. 2015)
    e(t, j) = q(t)ᵀ k(j)                          dot (Luong et al. 2015)
    e(t, j) = q(t)ᵀ k(j) / √H_k                   scaled dot (Vaswani et al. 2017)
    α(t, ·) = softmax_j(e(t, ·))                  alignment; masked j get α = 0
    C(t)    = Σ_j α(t, j) v(j)                    context (``context`` in code)

Backward: ``∇α(t,j) = ∇C(t)ᵀ v(j)``, ``∇v(j) = Σ_t α(t,j) ∇C(t)``, and through the
softmax ``∇e = α ⊙ (∇α − Σ_j α ∇α)``; then into the score's inputs. For the
additive score, with ``u(t,j) = tanh(W_q q(t) + W_k k(j))`` and
``∇a(t,j) = ∇e(t,j) v_a ⊙ (1 − u(t,j)²)``: ``∇v_a = Σ_{t,j} ∇e(t,j) u(t,j)``,
``∇(W_q q(t)) = Σ_j ∇a(t,j)`` (shared over the positions), ``∇(W_k k(j)) = Σ_t ∇a(t,j)``,
``∇q(t) = W_qᵀ ∇(W_q q(t))``, ``∇W_q = Σ_t ∇(W_q q(t)) q(t)ᵀ``, and likewise for ``k``
and ``W_k``. The scaled-dot gradients carry the same ``1/√H_k`` as its scores.

Shapes: queries ``(T, N, H_q)`` (one decoder step is ``T = 1``), keys
``(S, N, H_k)``, values ``(S, N, H_v)``, mask ``(S, N)`` with True where a
key may be attended to. Weights come back as ``(T, N, S)`` for plotting.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from rnncore._checks import ShapeChecker

SCORES = ("additive", "dot", "scaled_dot")


class AttentionCache(NamedTuple):
    query: np.ndarray  # (T, N, Hq)
    keys: np.ndarray  # (S, N, Hk)
    values: np.ndarray  # (S, N, Hv)
    weights: np.ndarray  # (T, N, S)
    score: str
    u: np.ndarray | None  # (T, S, N, A) tanh(W_q q + W_k k), additive only
    W_q: np.ndarray | None
    W_k: np.ndarray | None
    v_a: np.ndarray | None


class AttentionGrads(NamedTuple):
    dquery: np.ndarray
    dkeys: np.ndarray
    dvalues: np.ndarray
    dW_q: np.ndarray | None
    dW_k: np.ndarray | None
    dv_a: np.ndarray | None


def attention_forward(query, keys, values, mask=None, score: str = "dot", W_q=None, W_k=None, v_a=None):
    """Attend from each query to the keys and return contexts and weights.

    Args:
        query: ``(T, N, H_q)``; keys: ``(S, N, H_k)``; values: ``(S, N, H_v)``.
        mask: optional ``(S, N)`` booleans, True = may be attended; every
            sequence needs at least one True.
        score: ``"additive"``, ``"dot"`` or ``"scaled_dot"``. Dot scores need ``H_q = H_k``.
        W_q: ``(A, H_q)``, W_k: ``(A, H_k)``, v_a: ``(A,)``: the additive score's parameters.

    Returns:
        ``(context (T, N, H_v), weights (T, N, S), cache)``.
    """
    s = ShapeChecker("attention_forward")
    if score not in SCORES:
        raise ValueError(f"attention_forward: score must be one of {SCORES}, got {score!r}")
    query = s.array("query", query, ("T", "N", "Hq"))
    keys = s.array("keys", keys, ("S", "N", "Hk"))
    values = s.array("values", values, ("S", "N", "Hv"))
    if mask is not None:
        mask = s.array("mask", mask, ("S", "N")).astype(bool)
        if not mask.any(axis=0).all():
            raise ValueError("attention_forward: mask leaves a sequence with nothing to attend to")
    u = None
    if score == "additive":
        if W_q is None or W_k is None or v_a is None:
            raise ValueError("attention_forward: score='additive' needs W_q, W_k and v_a")
        W_q = s.array("W_q", W_q, ("A", "Hq"))
        W_k = s.array("W_k", W_k, ("A", "Hk"))
        v_a = s.array("v_a", v_a, ("A",))
        # u[t, j] = tanh(W_q q(t) + W_k k(j)), broadcast over (T, S)
        u = np.tanh((query @ W_q.T)[:, None] + (keys @ W_k.T)[None, :])
        e = np.einsum("tsna,a->tns", u, v_a)
    else:
        if query.shape[-1] != keys.shape[-1]:
            raise ValueError(
                f"attention_forward: a {score} score needs H_q = H_k, got {query.shape[-1]} and {keys.shape[-1]}"
            )
        e = np.einsum("tnh,snh->tns", query, keys)
        if score == "scaled_dot":
            # math.sqrt gives a Python float, which keeps float32 scores float32 (np.sqrt's float64 would promote them).
            e = e / math.sqrt(keys.shape[-1])
    if mask is not None:
        e = np.where(mask.T[None], e, -np.inf)
    e = e - e.max(axis=-1, keepdims=True)
    weights = np.exp(e)
    weights /= weights.sum(axis=-1, keepdims=True)
    context = np.einsum("tns,snh->tnh", weights, values)
    return context, weights, AttentionCache(query, keys, values, weights, score, u, W_q, W_k, v_a)


def attention_backward(dcontext, cache: AttentionCache) -> AttentionGrads:
    """Gradients given ``dcontext (T, N, H_v)``.

    Returns ``dquery, dkeys, dvalues`` and, for the additive score, ``dW_q, dW_k, dv_a``
    (``None`` otherwise). When keys and values are the same array, its gradient
    is ``dkeys + dvalues``.
    """
    query, keys, values, weights, score, u, W_q, W_k, v_a = cache
    dcontext = ShapeChecker("attention_backward").array(
        "dcontext", dcontext, (query.shape[0], query.shape[1], values.shape[-1])
    )
    dvalues = np.einsum("tns,tnh->snh", weights, dcontext)
    dweights = np.einsum("tnh,snh->tns", dcontext, values)
    de = weights * (dweights - (weights * dweights).sum(axis=-1, keepdims=True))
    if score == "additive":
        dv_a = np.einsum("tns,tsna->a", de, u)
        dpre = np.einsum("tns,a->tsna", de, v_a) * (1.0 - u**2)
        dq_proj = dpre.sum(axis=1)  # (T, N, A): gradient of W_q q(t)
        dk_proj = dpre.sum(axis=0)  # (S, N, A): gradient of W_k k(j)
        return AttentionGrads(
            dquery=dq_proj @ W_q,
            dkeys=dk_proj @ W_k,
            dvalues=dvalues,
            dW_q=np.einsum("tna,tnh->ah", dq_proj, query),
            dW_k=np.einsum("sna,snh->ah", dk_proj, keys),
            dv_a=dv_a,
        )
    if score == "scaled_dot":
        de = de / math.sqrt(keys.shape[-1])
    return AttentionGrads(
        dquery=np.einsum("tns,snh->tnh", de, keys),
        dkeys=np.einsum("tns,tnh->snh", de, query),
        dvalues=dvalues,
        dW_q=None,
        dW_k=None,
        dv_a=None,
    )
