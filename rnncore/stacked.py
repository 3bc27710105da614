"""Deep (stacked) recurrent networks: layer ``k`` reads the states of layer ``k − 1``.

Book notation (chapter *Architectures*, section *Deep RNNs*)::

    h_k(t) = f(h_k(t-1), h_{k-1}(t); θ_k),   k = 1..L,   h_0(t) = x(t)

Backward runs the layers in reverse: the gradient on layer ``k``'s input is
the gradient on layer ``k − 1``'s output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from rnncore.cells import Cell, get_cell


class StackedCache(NamedTuple):
    cell: Cell
    caches: tuple  # one per layer


def stacked_forward(
    x,
    layers: Sequence[Mapping[str, np.ndarray]],
    cell: str | Cell = "lstm",
    states0: Sequence | None = None,
):
    """Run ``len(layers)`` recurrent layers on top of each other.

    Args:
        x: ``(T, N, D)``.
        layers: one parameter dict per layer (the first has ``U (G·H, D)``, the
            rest ``U (G·H, H_{k-1})``).
        cell: a name from :data:`rnncore.cells.CELLS` or a :class:`Cell`.
        states0: optional initial state dict per layer.

    Returns:
        ``(h (T, N, H_L), cache, finals)``: the top layer's states, the cache,
        and each layer's final state dict.
    """
    cell = get_cell(cell)
    if not layers:
        raise ValueError("stacked_forward: layers must hold at least one parameter dict")
    states0 = states0 or [None] * len(layers)
    if len(states0) != len(layers):
        raise ValueError(f"stacked_forward: {len(states0)} initial states for {len(layers)} layers")
    caches, finals, h = [], [], x
    for params, state0 in zip(layers, states0, strict=True):
        h, cache, final = cell.forward(h, params, state0)
        caches.append(cache)
        finals.append(final)
    return h, StackedCache(cell, tuple(caches)), finals


def stacked_backward(dh, cache: StackedCache, dfinals: Sequence | None = None):
    """Backward through the stack given ``dh (T, N, H_L)`` on the top layer's states.

    Returns ``(dx, layer_grads, dstates0)``: ``dx (T, N, D)``, a gradient dict
    per layer (keys as the parameters), and a state-gradient dict per layer.
    """
    cell, caches = cache
    dfinals = dfinals or [None] * len(caches)
    grads, dstates = [], []
    for layer_cache, dfinal in zip(reversed(caches), reversed(dfinals), strict=True):
        dh, g, ds = cell.backward(dh, layer_cache, dfinal)
        grads.append(g)
        dstates.append(ds)
    return dh, grads[::-1], dstates[::-1]
