"""Bidirectional recurrent layers (Schuster & Paliwal 1997).

Book notation (chapter *Architectures*, section *Bidirectional networks*)::

    h→(t) = f(h→(t-1), x(t); θ→)        read left to right
    h←(t) = f(h←(t+1), x(t); θ←)        read right to left
    h(t)  = [h→(t); h←(t)]              (T, N, 2H)

so every output sees the whole input. The backward direction is the same
layer run on the time-reversed sequence, with its outputs reversed back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from rnncore.cells import Cell, get_cell


class BidirectionalCache(NamedTuple):
    cell: Cell
    forward_cache: object
    backward_cache: object
    H: int


def bidirectional_forward(
    x,
    params_forward: Mapping[str, np.ndarray],
    params_backward: Mapping[str, np.ndarray],
    cell: str | Cell = "rnn",
    state0_forward: Mapping | None = None,
    state0_backward: Mapping | None = None,
):
    """Run ``cell`` both ways over ``x (T, N, D)``.

    Returns:
        ``(h (T, N, 2H), cache)``: ``h[..., :H]`` is the left-to-right state,
        ``h[..., H:]`` the right-to-left one, both aligned with ``x(t)``.
    """
    cell = get_cell(cell)
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"bidirectional_forward: x must have shape (T, N, D), got {x.shape}")
    h_fw, cache_fw, _ = cell.forward(x, params_forward, state0_forward)
    h_bw, cache_bw, _ = cell.forward(x[::-1], params_backward, state0_backward)
    H = h_fw.shape[-1]
    return np.concatenate([h_fw, h_bw[::-1]], axis=-1), BidirectionalCache(cell, cache_fw, cache_bw, H)


def bidirectional_backward(dh, cache: BidirectionalCache):
    """Given ``dh (T, N, 2H)``, return ``(dx, grads_forward, grads_backward, dstate0_forward, dstate0_backward)``."""
    cell, cache_fw, cache_bw, H = cache
    dh = np.asarray(dh)
    if dh.ndim != 3 or dh.shape[-1] != 2 * H:
        raise ValueError(f"bidirectional_backward: dh must have shape (T, N, {2 * H}), got {dh.shape}")
    dx_fw, g_fw, ds_fw = cell.backward(dh[..., :H], cache_fw)
    dx_bw, g_bw, ds_bw = cell.backward(np.ascontiguousarray(dh[::-1, :, H:]), cache_bw)
    return dx_fw + dx_bw[::-1], g_fw, g_bw, ds_fw, ds_bw
