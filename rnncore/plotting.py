"""The figures the chapters draw, in one place so every chapter draws them alike.

Each function draws into ``ax`` when given one (or makes a new figure) and
returns the axes, so a chapter can combine panels and a test can inspect what
was drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _node(ax, x, y, text, color):
    ax.add_patch(
        FancyBboxPatch(
            (x - 0.32, y - 0.22),
            0.64,
            0.44,
            boxstyle="round,pad=0.04",
            fc=color,
            ec="black",
            lw=1.0,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def _arrow(ax, start, end, label=None, offset=(0.0, 0.0), color="black"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, lw=1.2, color=color))
    if label:
        mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(mx, my, label, fontsize=10, color=color, ha="center", va="center")


def plot_unrolled(T: int = 4, ax=None, outputs: bool = True, losses: bool = False):
    """The computational graph of an RNN unrolled over ``T`` steps.

    Inputs ``x(t)`` feed hidden states ``h(t)`` through ``U``; ``h(t-1)`` feeds
    ``h(t)`` through the same ``W`` at every step; ``h(t)`` feeds the output
    ``o(t)`` through ``V`` (and the loss ``L(t)`` when ``losses``). The shared
    letters on every step are the point of the picture: one set of parameters.
    """
    if T < 1:
        raise ValueError(f"plot_unrolled: T must be at least 1, got {T}")
    ax = _axes(ax, (1.6 * T + 1.6, 3.6 if losses else 3.0))
    ax.set_xlim(-0.9, 1.6 * (T - 1) + 0.9)
    top = 3 if losses else 2
    ax.set_ylim(-0.5, top + 0.5)
    _node(ax, -0.9 + 0.1, 1, "$h^{(0)}$", "#eeeeee")
    prev = (-0.8 + 0.32, 1)
    for k in range(T):
        t = k + 1
        x = 1.6 * k + 0.4
        _node(ax, x, 0, f"$x^{{({t})}}$", "#dbe9f6")
        _node(ax, x, 1, f"$h^{{({t})}}$", "#fde2c8")
        _arrow(ax, (x, 0.22), (x, 0.78), "$U$", (0.15, 0))
        _arrow(ax, prev, (x - 0.32, 1), "$W$", (0, 0.15))
        prev = (x + 0.32, 1)
        if outputs:
            _node(ax, x, 2, f"$o^{{({t})}}$", "#d8f0d2")
            _arrow(ax, (x, 1.22), (x, 1.78), "$V$", (0.15, 0))
        if losses:
            _node(ax, x, 3, f"$L^{{({t})}}$", "#f4cccc")
            _arrow(ax, (x, 2.22), (x, 2.78))
    ax.set_xlim(-1.3, 1.6 * (T - 1) + 1.0)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def plot_gradient_norms(
    norms: Mapping[str, Sequence[float]] | Sequence[float],
    ax=None,
    log: bool = True,
    xlabel: str = "distance T − t",
):
    """Gradient (or Jacobian) norms against distance, one line per labelled series.

    ``norms`` is a sequence indexed by distance, or a dict ``label → sequence``.
    """
    ax = _axes(ax, (6, 3.5))
    series = norms if isinstance(norms, Mapping) else {"": norms}
    for label, values in series.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(len(values)), values, marker=".", label=label or None)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("norm")
    if any(series):
        ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax


def plot_gate_activations(
    gates: Mapping[str, np.ndarray],
    tokens: Sequence[str] | None = None,
    units: int | None = None,
    axes=None,
):
    """Heatmaps of gate activations over time, one panel per gate.

    ``gates`` maps a gate's name to its activations ``(T, H)`` (one sequence);
    ``tokens`` labels the time axis; ``units`` keeps the first few units only.
    """
    names = list(gates)
    if axes is None:
        _, axes = plt.subplots(len(names), 1, figsize=(8, 1.6 * len(names) + 0.6), sharex=True, squeeze=False)
        axes = axes[:, 0]
    for ax, name in zip(axes, names, strict=True):
        values = np.asarray(gates[name])
        if values.ndim != 2:
            raise ValueError(f"plot_gate_activations: gate {name!r} must be (T, H), got {values.shape}")
        shown = values[:, :units] if units else values
        image = ax.imshow(shown.T, aspect="auto", cmap="viridis", vmin=0, vmax=1 if values.min() >= 0 else None)
        ax.set_ylabel(name)
        ax.figure.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    if tokens is not None:
        axes[-1].set_xticks(range(len(tokens)), list(tokens))
    axes[-1].set_xlabel("time step")
    return axes


def plot_attention(weights: np.ndarray, source: Sequence[str], target: Sequence[str], ax=None):
    """An alignment heatmap: row ``t`` is ``α(t, ·)`` over the source positions."""
    weights = np.asarray(weights)
    if weights.shape != (len(target), len(source)):
        raise ValueError(
            f"plot_attention: weights must have shape (len(target), len(source)) = "
            f"{(len(target), len(source))}, got {weights.shape}"
        )
    ax = _axes(ax, (0.35 * len(source) + 2, 0.35 * len(target) + 1.5))
    ax.imshow(weights, cmap="Greys", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(source)), list(source), rotation=90)
    ax.set_yticks(range(len(target)), list(target))
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    return ax


def plot_learning_curves(curves: Mapping[str, Sequence[float]], ax=None, smooth: int = 1, ylabel: str = "loss"):
    """Training curves, one per label, optionally smoothed by a moving average of ``smooth`` steps.

    A smoothed value is drawn at the update where its window ends, so the smoothed curve starts at
    update ``smooth - 1`` and is not shifted left against the raw updates.
    """
    ax = _axes(ax, (6, 3.5))
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        steps = np.arange(len(values))
        if smooth > 1 and len(values) >= smooth:
            values = np.convolve(values, np.ones(smooth) / smooth, mode="valid")
            steps = steps[smooth - 1 :]
        ax.plot(steps, values, label=label)
    ax.set_xlabel("update")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax
