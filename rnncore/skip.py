"""Skip connections through time: a recurrent layer that also sees ``h(t-d)``.

Book notation (chapter *Long-term dependencies*, section *Skip connections*)::

    h(t) = tanh(b + W h(t-1) + W_d h(t-d) + U x(t)),    d ≥ 2,

with ``h(s) = h(0)`` for every ``s ≤ 0``. A gradient now reaches ``h(t-n)`` in
about ``n/d`` steps instead of ``n``, so it passes through ``d`` times fewer
``tanh'`` factors (Lin et al. 1996; Goodfellow et al. 2016, §10.9.1).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnncore._checks import ShapeChecker, float_dtype
from rnncore._shared import check_elman, weight_grads


class SkipCache(NamedTuple):
    x: np.ndarray  # (T, N, D)
    hs: np.ndarray  # (T + 1, N, H), hs[0] = h(0)
    U: np.ndarray
    W: np.ndarray
    W_d: np.ndarray
    d: int


class SkipGrads(NamedTuple):
    dx: np.ndarray
    dh0: np.ndarray
    dU: np.ndarray
    dW: np.ndarray
    dW_d: np.ndarray
    db: np.ndarray


def _source(t: int, d: int) -> int:
    """Index in ``hs`` of ``h(t-d)`` for the step that computes ``hs[t]`` (``h(s≤0) = h(0)``)."""
    return max(t - d, 0)


def skip_rnn_forward(x, U, W, W_d, b, d: int, h0=None) -> tuple[np.ndarray, SkipCache]:
    """Run an RNN with a skip connection of length ``d`` over ``x (T, N, D)``.

    Args:
        U: ``(H, D)``; W, W_d: ``(H, H)``; b: ``(H,)``; d: the skip length, ``d ≥ 2``.
        h0: ``(N, H)``; zeros when omitted.

    Returns:
        ``h (T, N, H)`` and the cache.
    """
    s = ShapeChecker("skip_rnn_forward")
    x, U, W, b, h0 = check_elman(s, x, U, W, b, h0)
    W_d = s.array("W_d", W_d, ("H", "H"))
    if int(d) != d or d < 2:
        raise ValueError(f"skip_rnn_forward: d must be an integer ≥ 2, got {d!r}")
    d = int(d)
    T, N, D = x.shape
    H = U.shape[0]
    hs = np.empty((T + 1, N, H), dtype=float_dtype(x, U, W, W_d, b, h0))
    hs[0] = 0.0 if h0 is None else h0
    hs[1:] = (x.reshape(T * N, D) @ U.T + b).reshape(T, N, H)
    for t in range(1, T + 1):
        hs[t] += hs[t - 1] @ W.T + hs[_source(t, d)] @ W_d.T
        np.tanh(hs[t], out=hs[t])
    return hs[1:], SkipCache(x, hs, U, W, W_d, d)


def skip_rnn_backward(dh, cache: SkipCache) -> SkipGrads:
    """BPTT with skip connections given ``dh (T, N, H)``."""
    x, hs, U, W, W_d, d = cache
    T, N, D = x.shape
    H = W.shape[0]
    dh = ShapeChecker("skip_rnn_backward").array("dh", dh, (T, N, H))
    # Gradient arriving at each hs[t] from later steps, through W and through W_d.
    arriving = np.zeros((T + 1, N, H), dtype=np.result_type(hs, dh))
    da = np.empty((T, N, H), dtype=arriving.dtype)
    skipped = np.empty_like(da)  # h(t-d) as each step saw it, for dW_d
    for t in range(T, 0, -1):
        da[t - 1] = (dh[t - 1] + arriving[t]) * (1.0 - hs[t] ** 2)
        arriving[t - 1] += da[t - 1] @ W
        arriving[_source(t, d)] += da[t - 1] @ W_d
        skipped[t - 1] = hs[_source(t, d)]
    dx, dU, dW, db = weight_grads(da, x, hs[:-1], U)
    dW_d = da.reshape(T * N, H).T @ skipped.reshape(T * N, H)
    return SkipGrads(dx=dx, dh0=arriving[0], dU=dU, dW=dW, dW_d=dW_d, db=db)
