"""One interface over every recurrent layer, so wrappers work with any of them.

A :class:`Cell` runs a whole sequence with parameters in a dict::

    h, cache, final = cell.forward(x, params, state0)      # x (T, N, D) → h (T, N, H)
    dx, grads, dstate0 = cell.backward(dh, cache, dfinal)  # grads keyed like params

``state0`` / ``final`` / ``dfinal`` / ``dstate0`` are dicts of ``(N, H)`` arrays
keyed by :attr:`Cell.state_names` (``h``, and ``c`` for the LSTM). Stacked,
bidirectional and encoder–decoder models (:mod:`rnncore.stacked`,
:mod:`rnncore.bidirectional`, :mod:`rnncore.seq2seq`) are written once against
this interface.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from rnncore import gru, lstm, rnn


@dataclass(frozen=True)
class Cell:
    """A recurrent layer seen through the common interface (see the module docstring)."""

    name: str
    gates: int  # weight blocks stacked in U, W, b
    param_names: tuple[str, ...]
    state_names: tuple[str, ...]
    _forward: Callable
    _backward: Callable

    def forward(self, x, params: Mapping[str, np.ndarray], state0: Mapping | None = None):
        state0 = state0 or {}
        return self._forward(x, params, state0)

    def backward(self, dh, cache, dfinal: Mapping | None = None):
        return self._backward(dh, cache, dfinal or {})

    def init(self, D: int, H: int, rng: np.random.Generator, recurrent: str = "uniform", dtype=np.float64):
        """Parameters drawn as PyTorch does, ``U(−1/√H, 1/√H)``.

        ``recurrent="orthogonal"`` makes each gate's block of ``W`` an orthogonal
        matrix instead (Saxe et al. 2014): every singular value 1, so products of
        ``W`` neither shrink nor grow a vector at initialisation.
        """
        k = 1.0 / np.sqrt(H)
        G = self.gates
        params = {
            "U": rng.uniform(-k, k, (G * H, D)),
            "W": rng.uniform(-k, k, (G * H, H)),
            "b": rng.uniform(-k, k, (G * H,)),
        }
        if recurrent == "orthogonal":
            params["W"] = np.concatenate([orthogonal(H, rng) for _ in range(G)])
        elif recurrent != "uniform":
            raise ValueError(f"Cell.init: recurrent must be 'uniform' or 'orthogonal', got {recurrent!r}")
        if "p" in self.param_names:
            params["p"] = rng.uniform(-k, k, (3, H))
        if "b_hn" in self.param_names:
            params["b_hn"] = rng.uniform(-k, k, (H,))
        return {name: value.astype(dtype) for name, value in params.items()}


def orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``(n, n)`` orthogonal matrix (QR of a Gaussian, signs fixed so it is uniform)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _with_last(dh, dfinal):
    """``dh`` with the gradient on the final hidden state added to its last step."""
    if dfinal.get("h") is None:
        return dh
    dh = np.array(dh, dtype=np.result_type(dh, dfinal["h"]))
    dh[-1] += dfinal["h"]
    return dh


def _rnn_forward(x, params, state0):
    h, cache = rnn.rnn_forward(x, params["U"], params["W"], params["b"], h0=state0.get("h"))
    return h, cache, {"h": h[-1]}


def _rnn_backward(dh, cache, dfinal):
    g = rnn.rnn_backward(_with_last(dh, dfinal), cache)
    return g.dx, {"U": g.dU, "W": g.dW, "b": g.db}, {"h": g.dh0}


def _lstm_forward(x, params, state0):
    h, cache = lstm.lstm_forward(
        x,
        params["U"],
        params["W"],
        params["b"],
        h0=state0.get("h"),
        c0=state0.get("c"),
        p=params.get("p"),
    )
    return h, cache, {"h": h[-1], "c": cache.cs[-1]}


def _lstm_backward(dh, cache, dfinal):
    g = lstm.lstm_backward(_with_last(dh, dfinal), cache, dc_last=dfinal.get("c"))
    grads = {"U": g.dU, "W": g.dW, "b": g.db}
    if g.dp is not None:
        grads["p"] = g.dp
    return g.dx, grads, {"h": g.dh0, "c": g.dc0}


def _gru_forward_for(variant):
    def forward(x, params, state0):
        h, cache = gru.gru_forward(
            x,
            params["U"],
            params["W"],
            params["b"],
            h0=state0.get("h"),
            b_hn=params.get("b_hn"),
            variant=variant,
        )
        return h, cache, {"h": h[-1]}

    return forward


def _gru_backward(dh, cache, dfinal):
    g = gru.gru_backward(_with_last(dh, dfinal), cache)
    grads = {"U": g.dU, "W": g.dW, "b": g.db}
    if g.db_hn is not None:
        grads["b_hn"] = g.db_hn
    return g.dx, grads, {"h": g.dh0}


CELLS: dict[str, Cell] = {
    "rnn": Cell("rnn", 1, ("U", "W", "b"), ("h",), _rnn_forward, _rnn_backward),
    "lstm": Cell("lstm", 4, ("U", "W", "b"), ("h", "c"), _lstm_forward, _lstm_backward),
    "lstm_peephole": Cell("lstm_peephole", 4, ("U", "W", "b", "p"), ("h", "c"), _lstm_forward, _lstm_backward),
    "gru": Cell("gru", 3, ("U", "W", "b"), ("h",), _gru_forward_for("lecture"), _gru_backward),
    "gru_torch": Cell("gru_torch", 3, ("U", "W", "b", "b_hn"), ("h",), _gru_forward_for("torch"), _gru_backward),
}


def get_cell(cell: str | Cell) -> Cell:
    """The :class:`Cell` called ``cell`` (one of :data:`CELLS`), or ``cell`` itself."""
    if isinstance(cell, Cell):
        return cell
    try:
        return CELLS[cell]
    except KeyError:
        raise ValueError(f"get_cell: unknown cell {cell!r}; choose one of {sorted(CELLS)}") from None
