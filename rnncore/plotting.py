"""The data plots the chapters draw, in one place so every chapter draws them alike.

Schematics (unrolled graphs, cells, architectures) are drawn by
:mod:`rnncore.diagrams`. Each function here draws into ``ax`` when given one
(or makes a new figure) and returns the axes, so a chapter can combine panels
and a test can inspect what was drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
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
