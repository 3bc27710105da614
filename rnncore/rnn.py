"""The Elman (vanilla) recurrent layer: one step, and a whole sequence (BPTT).

Book notation (chapter *Recurrence*, section *Forward equations*)::

    a(t) = b + W h(t-1) + U x(t)
    h(t) = tanh(a(t))

Code stacks a batch as rows, so the same step reads
``a = x @ U.T + h_prev @ W.T + b``. Shapes: ``x (N, D)``, ``h (N, H)``,
``U (H, D)``, ``W (H, H)``, ``b (H,)``; sequences are time-major ``(T, N, ·)``.

Backward (chapter *Backpropagation through time*): with ``∇_h(t) L`` the total
gradient reaching ``h(t)`` (from the loss at ``t`` and from ``h(t+1)``),

    ∇_a(t) L   = (1 − h(t)²) ⊙ ∇_h(t) L
    ∇_h(t-1) L += Wᵀ ∇_a(t) L
    ∇_W L = Σ_t ∇_a(t) L h(t-1)ᵀ,  ∇_U L = Σ_t ∇_a(t) L x(t)ᵀ,  ∇_b L = Σ_t ∇_a(t) L

The step functions are these equations, one line each with the equation
beside it; they are what the book shows. The sequence functions are written
for speed (every step's input projection in one product, ``dU, dW, dx`` after
the loop as single products); ``tests/test_step_functions_match_kernels.py``
holds them to the step functions composed over time.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnncore._checks import ShapeChecker, float_dtype
from rnncore._shared import check_elman, weight_grads


class RNNStepCache(NamedTuple):
    """What :func:`rnn_step_backward` needs from one forward step."""

    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    h: np.ndarray  # (N, H)
    U: np.ndarray  # (H, D)
    W: np.ndarray  # (H, H)


class RNNStepGrads(NamedTuple):
    dx: np.ndarray
    dh_prev: np.ndarray
    dU: np.ndarray
    dW: np.ndarray
    db: np.ndarray


def rnn_step_forward(x, h_prev, U, W, b) -> tuple[np.ndarray, RNNStepCache]:
    """One step ``h(t) = tanh(b + W h(t-1) + U x(t))``.

    Args:
        x: input ``x(t)``, ``(N, D)``.
        h_prev: previous state ``h(t-1)``, ``(N, H)``.
        U: input-to-hidden weights ``(H, D)``.
        W: hidden-to-hidden weights ``(H, H)``.
        b: bias ``(H,)``, one where PyTorch has two (their sum,
            ``bias_ih + bias_hh``).

    Returns:
        ``h (N, H)`` and the cache for :func:`rnn_step_backward`.
    """
    s = ShapeChecker("rnn_step_forward")
    x = s.array("x", x, ("N", "D"))
    h_prev = s.array("h_prev", h_prev, ("N", "H"))
    U = s.array("U", U, ("H", "D"))
    W = s.array("W", W, ("H", "H"))
    b = s.array("b", b, ("H",))

    a = b + h_prev @ W.T + x @ U.T  # a(t) = b + W h(t-1) + U x(t)
    h = np.tanh(a)  # h(t) = tanh(a(t))
    return h, RNNStepCache(x, h_prev, h, U, W)


def rnn_step_backward(dh, cache: RNNStepCache) -> RNNStepGrads:
    """Gradients of one step: the book's backward equations line by line.

    ``dh = ∇_h(t) L (N, H)`` is the total gradient reaching ``h(t)``.
    Returns ``dx (N, D)``, ``dh_prev (N, H)``, ``dU``, ``dW``, ``db``
    shaped like their parameters. The weight gradients are step ``t``'s
    terms of the sums over time (``+=``), summed over the batch's rows.
    """
    dh = ShapeChecker("rnn_step_backward").array("dh", dh, cache.h.shape)
    x, h_prev, h, U, W = cache

    da = (1 - h**2) * dh  # ∇_a(t) L = diag(1 − h(t)²) ∇_h(t) L
    dx = da @ U  # ∇_x(t) L = Uᵀ ∇_a(t) L
    dh_prev = da @ W  # ∇_h(t-1) L += Wᵀ ∇_a(t) L
    dU = da.T @ x  # ∇_U L += ∇_a(t) L x(t)ᵀ
    dW = da.T @ h_prev  # ∇_W L += ∇_a(t) L h(t-1)ᵀ
    db = da.sum(axis=0)  # ∇_b L += ∇_a(t) L
    return RNNStepGrads(dx, dh_prev, dU, dW, db)


class RNNCache(NamedTuple):
    """What :func:`rnn_backward` needs: inputs, weights, and every state ``h(0..T)``."""

    x: np.ndarray  # (T, N, D)
    hs: np.ndarray  # (T + 1, N, H): hs[0] = h(0), hs[t] = h(t)
    U: np.ndarray
    W: np.ndarray


class RNNGrads(NamedTuple):
    dx: np.ndarray
    dh0: np.ndarray
    dU: np.ndarray
    dW: np.ndarray
    db: np.ndarray


def rnn_forward(x, U, W, b, h0=None) -> tuple[np.ndarray, RNNCache]:
    """Run the RNN over a sequence.

    Args:
        x: inputs ``(T, N, D)``, time-major.
        U: ``(H, D)``; W: ``(H, H)``; b: ``(H,)``, PyTorch's ``bias_ih + bias_hh``.
        h0: initial state ``h(0)`` ``(N, H)``; zeros when omitted.

    Returns:
        ``h (T, N, H)``, the states ``h(1..T)``, and the cache for :func:`rnn_backward`.
    """
    x, U, W, b, h0 = check_elman(ShapeChecker("rnn_forward"), x, U, W, b, h0)
    T, N, D = x.shape
    H = U.shape[0]
    dtype = float_dtype(x, U, W, b, h0)
    hs = np.empty((T + 1, N, H), dtype=dtype)
    hs[0] = 0.0 if h0 is None else h0
    # The input projection of every step in one matrix product; only W h(t-1) is sequential.
    np.matmul(x.reshape(T * N, D), U.T, out=hs[1:].reshape(T * N, H))
    hs[1:] += b
    for t in range(1, T + 1):
        hs[t] += hs[t - 1] @ W.T
        np.tanh(hs[t], out=hs[t])
    return hs[1:], RNNCache(x, hs, U, W)


def rnn_backward(dh, cache: RNNCache) -> RNNGrads:
    """Backpropagation through time.

    Args:
        dh: ``∇_h(t) L`` from outside the recurrence, ``(T, N, H)`` (e.g. ``Vᵀ ∇_o(t) L``).

    Returns:
        ``dx (T, N, D)``, ``dh0 (N, H)``, ``dU``, ``dW``, ``db``; the weight gradients
        are summed over time and batch.
    """
    x, hs, U, W = cache
    T, N, D = x.shape
    H = W.shape[0]
    dh = ShapeChecker("rnn_backward").array("dh", dh, (T, N, H))
    da = np.empty((T, N, H), dtype=np.result_type(hs, dh))
    carry = np.zeros((N, H), dtype=da.dtype)  # W^T ∇_a(t+1) L, the gradient arriving from the future
    for t in range(T - 1, -1, -1):
        np.add(dh[t], carry, out=da[t])
        da[t] *= 1.0 - hs[t + 1] ** 2
        carry = da[t] @ W
    dx, dU, dW, db = weight_grads(da, x, hs[:-1], U)
    return RNNGrads(dx=dx, dh0=carry, dU=dU, dW=dW, db=db)
