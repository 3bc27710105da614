"""The diagrams' visual language: one palette, four shapes, two kinds of arrow.

Every schematic in the book is drawn with these primitives, so a reader who has
learned one picture can read the next:

==============  ==============================  ================================
kind            shape                           example labels
==============  ==============================  ================================
a vector        rounded box, coloured by role   x(t), h(t), s(t), o(t), L(t)
a layer/gate    square box, gate colour         σ, tanh, softmax
an elementwise  circle, white                   ⊙, +, 1−
operation
a weight        bold label on its arrow         W, U, V, W_d
==============  ==============================  ================================

Colour says the role of a vector (input, state, output, loss, context,
attention weight). The fills are Okabe and Ito's colour-blind-safe hues,
lightened so black labels keep a contrast of at least 9:1; the tests check
that the roles stay apart for the three common colour-vision deficiencies.
Gradients are drawn in vermilion *and dashed*, so they read in grey as well.

Labels are typeset by matplotlib's mathtext in the book's notation. Glyphs are
written to the SVG as paths (the picture looks the same on every machine), and
each label's plain text is written beside it as an SVG ``<title>``, so the
labels can be read back (screen readers, tests) from the file.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.path import Path

# Okabe & Ito's (2008) hues mixed with white for the fills (the mix chosen so the
# vector roles stay at least ΔE 10 apart in normal vision and simulated protanopia,
# deuteranopia and tritanopia, and black text keeps a contrast of 9:1); each
# edge is a darker shade of its fill's hue. Gates are told apart by shape.
FILL = {
    "input": "#9cd3f2",  # sky blue
    "state": "#f7f19a",  # yellow
    "cell": "#f1cb74",  # orange: the LSTM's cell state s(t)
    "output": "#5dc1a6",  # bluish green
    "loss": "#e7a36d",  # vermilion
    "context": "#e3b5ce",  # reddish purple: a context vector C
    "weight": "#e3e3e3",  # grey: attention weights α, probabilities
    "gate": "#e8e0f8",  # lavender: a layer (affine map and nonlinearity)
    "op": "#ffffff",
}
EDGE = {
    "input": "#0072b2",
    "state": "#8f8500",
    "cell": "#b36b00",
    "output": "#00664a",
    "loss": "#a64400",
    "context": "#8e3b6c",
    "weight": "#555555",
    "gate": "#5b4a99",
    "op": "#333333",
}
FORWARD = "#222222"
GRADIENT = "#d55e00"  # vermilion, and dashed
REGION = "#888888"

UNIT = 0.62  # inches per drawing unit: a state box is 1.1 × 0.62 units


def plain(label: str) -> str:
    r"""The plain text of a mathtext label: ``$\mathbf{h}^{(t-1)}$`` → ``h(t-1)``.

    Written as each label's SVG ``<title>`` (what a screen reader says and what
    the tests read back).
    """
    text = label.replace("$", "")
    for arrow, mark in ((r"\overrightarrow", "→"), (r"\overleftarrow", "←")):
        text = re.sub(re.escape(arrow) + r"\{(\\mathbf\{)?(\w)\}?\}", lambda m, k=mark: m.group(2) + k, text)
    for accent, mark in ((r"\tilde", "\u0303"), (r"\bar", "\u0304"), (r"\hat", "\u0302")):
        text = re.sub(re.escape(accent) + r"\{(\\mathbf\{)?(\w)\}?\}?", lambda m, k=mark: m.group(2) + k, text)
    symbols = {
        r"\sigma": "σ", r"\alpha": "α", r"\odot": "⊙", r"\tanh": "tanh", r"\kappa": "κ", r"\phi": "φ",
        r"\rho": "ρ", r"\delta": "δ", r"\nabla": "∇", r"\partial": "∂", r"\ell": "ℓ", r"\times": "×",
        r"\cdot": "·", r"\leftarrow": "←", r"\rightarrow": "→", r"\ldots": "…", r"\dots": "…",
        r"\theta": "θ", r"\,": " ", r"\;": " ", r"\!": "", r"\sum": "Σ", r"\mid": "|", r"\minus": "−",
        r"\langle": "⟨", r"\rangle": "⟩",
    }  # fmt: skip
    for command, symbol in symbols.items():
        text = text.replace(command, symbol)
    text = re.sub(r"\\(mathbf|mathrm|mathit|mathcal|boldsymbol|operatorname|text)\b", "", text)
    text = text.replace("^", "").replace("_", "").replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Node:
    """A drawn shape: its patch (arrows clip to its outline), centre and size."""

    patch: object
    x: float
    y: float
    w: float
    h: float
    label: str = ""

    @property
    def top(self):
        return (self.x, self.y + self.h / 2)

    @property
    def bottom(self):
        return (self.x, self.y - self.h / 2)

    @property
    def left(self):
        return (self.x - self.w / 2, self.y)

    @property
    def right(self):
        return (self.x + self.w / 2, self.y)

    @property
    def center(self):
        return (self.x, self.y)


@dataclass
class Diagram:
    """A finished schematic: a matplotlib figure, its alt text and the labels drawn on it.

    In a notebook it displays as SVG. ``svg()`` is the file's text: glyphs as
    paths, each label's plain text as a ``<title>``, and the alt text as the
    root's ``<title>`` and ``aria-label``.
    """

    figure: Figure
    alt: str
    labels: list[str] = field(default_factory=list)

    def svg(self) -> str:
        buffer = io.StringIO()
        with mpl.rc_context({"svg.fonttype": "path", "svg.hashsalt": "rnncore-diagrams", "svg.image_inline": True}):
            self.figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        return _annotate(buffer.getvalue(), self.alt, self.labels)

    def save(self, path) -> None:
        with open(path, "w", encoding="utf-8") as file:
            file.write(self.svg())

    def _repr_svg_(self) -> str:
        return self.svg()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _annotate(svg: str, alt: str, labels: list[str]) -> str:
    """Add the alt text to the root and each label's plain text to its group."""
    svg = re.sub(
        r"<svg ([^>]*)>",
        lambda m: f'<svg {m.group(1)} role="img" aria-label="{_escape(alt)}">\n <title>{_escape(alt)}</title>',
        svg,
        count=1,
    )
    for index, label in enumerate(labels):
        svg = svg.replace(f'<g id="label-{index}">', f'<g id="label-{index}">\n   <title>{_escape(label)}</title>', 1)
    return svg


class Canvas:
    """A drawing area in units (1 unit = ``UNIT`` inches), y pointing up.

    Draw with the shape methods, connect with :meth:`arrow`, finish with
    :meth:`diagram`.
    """

    def __init__(self, width: float, height: float, x0: float = 0.0, y0: float = 0.0):
        self.figure = Figure(figsize=(width * UNIT, height * UNIT), facecolor="white")
        self.ax = self.figure.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(x0, x0 + width)
        self.ax.set_ylim(y0, y0 + height)
        self.ax.set_aspect("equal")
        self.ax.axis("off")
        self.labels: list[str] = []

    # ------------------------------------------------------------ text
    def text(self, xy, label: str, size: float = 11, color: str = "black", **kwargs):
        """A label; its plain text goes into the SVG (see :func:`plain`)."""
        kwargs.setdefault("ha", "center")
        kwargs.setdefault("va", "center")
        # Computer Modern, as MathJax sets the book's equations.
        kwargs.setdefault("math_fontfamily", "cm")
        artist = self.ax.text(xy[0], xy[1], label, fontsize=size, color=color, zorder=5, **kwargs)
        artist.set_gid(f"label-{len(self.labels)}")
        self.labels.append(plain(label))
        return artist

    def note(self, xy, text: str, size: float = 9, color: str = "#444444", **kwargs):
        """A remark in words (not a symbol): smaller, grey, italic."""
        kwargs.setdefault("style", "italic")
        return self.text(xy, text, size=size, color=color, **kwargs)

    # ------------------------------------------------------------ shapes
    def vector(self, xy, label: str, role: str = "state", w: float = 1.1, h: float = 0.62, size: float = 12):
        """A vector (an input, a state, an output, a loss …): rounded box coloured by role."""
        patch = FancyBboxPatch(
            (xy[0] - w / 2, xy[1] - h / 2),
            w,
            h,
            boxstyle="round,pad=0,rounding_size=0.16",
            fc=FILL[role],
            ec=EDGE[role],
            lw=1.3,
            zorder=3,
        )
        self.ax.add_patch(patch)
        self.text(xy, label, size=size)
        return Node(patch, xy[0], xy[1], w, h, plain(label))

    def gate(self, xy, label: str, w: float = 0.8, h: float = 0.55, size: float = 11, role: str = "gate"):
        """A layer: an affine map and its nonlinearity (σ, tanh, softmax); square corners."""
        patch = Rectangle((xy[0] - w / 2, xy[1] - h / 2), w, h, fc=FILL[role], ec=EDGE[role], lw=1.3, zorder=3)
        self.ax.add_patch(patch)
        self.text(xy, label, size=size)
        return Node(patch, xy[0], xy[1], w, h, plain(label))

    def op(self, xy, symbol: str, r: float = 0.22, size: float = 12):
        r"""An elementwise operation (``$\odot$``, ``$+$``, ``$1-$``): a white circle."""
        patch = Circle(xy, r, fc=FILL["op"], ec=EDGE["op"], lw=1.2, zorder=3)
        self.ax.add_patch(patch)
        self.text(xy, symbol, size=size)
        return Node(patch, xy[0], xy[1], 2 * r, 2 * r, plain(symbol))

    def point(self, xy):
        """An invisible node: a place where arrows meet or turn."""
        patch = Circle(xy, 0.001, fc="none", ec="none")
        self.ax.add_patch(patch)
        return Node(patch, xy[0], xy[1], 0.0, 0.0)

    def region(self, x0, y0, x1, y1, label: str | None = None, where: str = "top left", color: str = REGION):
        """A dashed frame around a group (a cell, the encoder …), with an optional caption."""
        patch = FancyBboxPatch(
            (x0, y0),
            x1 - x0,
            y1 - y0,
            boxstyle="round,pad=0,rounding_size=0.2",
            fc="none",
            ec=color,
            lw=1.0,
            ls=(0, (4, 3)),
            zorder=1,
        )
        self.ax.add_patch(patch)
        if label:
            vertical, horizontal = where.split()
            y = y1 - 0.22 if vertical == "top" else y0 + 0.22
            x = {"left": x0 + 0.15, "right": x1 - 0.15, "center": (x0 + x1) / 2}[horizontal]
            self.note((x, y), label, ha=horizontal if horizontal != "center" else "center", color=color)
        return patch

    # ------------------------------------------------------------ arrows
    def arrow(
        self,
        start,
        end,
        label: str | None = None,
        gradient: bool = False,
        via=(),
        bend: float = 0.0,
        label_at: float = 0.5,
        label_offset=(0.0, 0.0),
        color: str | None = None,
        lw: float = 1.3,
        head: bool = True,
    ):
        """An arrow from ``start`` to ``end`` (Nodes, clipped at their outlines, or points).

        ``via`` routes it through corner points (a polyline); ``bend`` curves it
        (an arc). ``label`` is a weight, drawn in bold on a white patch on the
        arrow. ``gradient=True`` draws it dashed in the gradient colour.
        """
        color = color or (GRADIENT if gradient else FORWARD)
        style = dict(
            arrowstyle="-|>" if head else "-",
            mutation_scale=13,
            lw=lw,
            color=color,
            zorder=2,
            linestyle=(0, (4, 2.5)) if gradient else "solid",
            shrinkA=2,
            shrinkB=2,
        )
        a = start.center if isinstance(start, Node) else start
        b = end.center if isinstance(end, Node) else end
        points = [a, *via, b]
        if via:
            # Clip the first and last segments at the nodes' outlines by hand.
            points[0] = _clip(points[1], start) if isinstance(start, Node) else points[0]
            points[-1] = _clip(points[-2], end) if isinstance(end, Node) else points[-1]
            codes = [Path.MOVETO] + [Path.LINETO] * (len(points) - 1)
            patch = FancyArrowPatch(path=Path(points, codes), **style)
        else:
            patch = FancyArrowPatch(
                a,
                b,
                patchA=start.patch if isinstance(start, Node) else None,
                patchB=end.patch if isinstance(end, Node) else None,
                connectionstyle=f"arc3,rad={bend}",
                **style,
            )
        self.ax.add_patch(patch)
        if label:
            i = min(int(label_at * (len(points) - 1)), len(points) - 2)
            frac = label_at * (len(points) - 1) - i
            (x0, y0), (x1, y1) = points[i], points[i + 1]
            # On an arc (arc3), the curve's midpoint lies bend/2 of the chord's normal off the chord.
            sag = (bend / 2 * (y1 - y0), -bend / 2 * (x1 - x0)) if bend and not via else (0.0, 0.0)
            mid = (
                x0 + frac * (x1 - x0) + sag[0] + label_offset[0],
                y0 + frac * (y1 - y0) + sag[1] + label_offset[1],
            )
            self.weight(mid, label, color=color)
        return patch

    def weight(self, xy, label: str, color: str = FORWARD, size: float = 11):
        """A weight's label, on a white patch so it reads over the arrow it sits on."""
        return self.text(
            xy,
            label,
            size=size,
            color=color,
            bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none"),
        )

    # ------------------------------------------------------------ finish
    def diagram(self, alt: str) -> Diagram:
        """The finished picture, with its alt text (a sentence a listener can follow)."""
        return Diagram(self.figure, alt, list(self.labels))


def _clip(outside, node: Node):
    """Where the segment from ``outside`` to the node's centre crosses its bounding box."""
    (px, py), (cx, cy) = outside, node.center
    dx, dy = px - cx, py - cy
    if dx == 0 and dy == 0:
        return node.center
    sx = (node.w / 2) / abs(dx) if dx else float("inf")
    sy = (node.h / 2) / abs(dy) if dy else float("inf")
    s = min(sx, sy, 1.0)
    return (cx + s * dx, cy + s * dy)
