"""Inside one step: the cells of chapters 3 to 5, drawn in the diagrams' visual language.

The leaky unit and the skip connection through time (chapter *Long-term
dependencies*), the LSTM cell with and without peepholes (chapter *Long
short-term memory*), and the GRU cell in the lecture's form and in PyTorch's,
with the two places of its reset gate (chapter *Gated recurrent units*). Each
picture follows its chapter's equations in the book's notation: a state or
input is a rounded box, a layer (affine map and nonlinearity) a square box, an
elementwise operation a white circle, and a weight matrix the bold label of
the arrow it multiplies along. Biases are left out; every layer has one.
"""

from __future__ import annotations

import numpy as np

from rnncore.diagrams._canvas import Canvas, Diagram, Node

__all__ = ["leaky_unit", "skip_connections", "lstm_cell", "gru_cell", "gru_reset_placement"]

# Labels, in the book's notation.
X = r"$\mathbf{x}^{(t)}$"
H_PREV = r"$\mathbf{h}^{(t-1)}$"
H_NEW = r"$\mathbf{h}^{(t)}$"
S_PREV = r"$\mathbf{s}^{(t-1)}$"
S_NEW = r"$\mathbf{s}^{(t)}$"
H_HAT = r"$\hat{\mathbf{h}}^{(t)}$"
H_TILDE = r"$\tilde{\mathbf{h}}^{(t)}$"
SIGMA, TANH = r"$\sigma$", r"$\tanh$"
TIMES, PLUS, ONE_MINUS = r"$\odot$", r"$+$", r"$1-$"
U, W, W_D = r"$\mathbf{U}$", r"$\mathbf{W}$", r"$\mathbf{W}_d$"
ALPHA = r"$\alpha$"
# Weight labels with subscripts ([W_f U_f], W_n, p_i): a size above the canvas's 11, so the subscripts read.
_WEIGHT_SIZE = 12


# --------------------------------------------------------------------------- helpers


def _line(c: Canvas, *points, head: bool = False, color: str | None = None, lw: float = 1.3):
    """A polyline through ``points`` (Nodes are clipped at their outline).

    Always routed as a path, so that it meets other lines without the small gap
    a straight arrow leaves at its ends: use it for lines that join or branch.
    """
    start, *middle, end = points
    if not middle:
        a = start.center if isinstance(start, Node) else start
        b = end.center if isinstance(end, Node) else end
        middle = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)]
    return c.arrow(start, end, via=middle, head=head, color=color, lw=lw)


def _arrow(c: Canvas, *points, color: str | None = None, lw: float = 1.3):
    """An arrow along a polyline through ``points``."""
    return _line(c, *points, head=True, color=color, lw=lw)


def _gap(c: Canvas, xy, along: str, half: float = 0.14):
    """Cut a short gap into an already drawn line at ``xy``, so that a line drawn next crosses over it."""
    x, y = xy
    a, b = ((x - half, y), (x + half, y)) if along == "x" else ((x, y - half), (x, y + half))
    c.arrow(a, b, head=False, color="white", lw=5)


def _tag(c: Canvas, xy, label: str, ha: str = "left"):
    """The name of the vector a line carries (a gate's output), set beside the line."""
    return c.text(xy, label, size=10, ha=ha)


def _check_choice(function: str, name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{function}: {name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def _check_int(function: str, name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{function}: {name} must be an integer from {low} to {high}, got {value!r}")
    return value


_LABEL_BOX = (0.46, 0.36)  # a weight label such as W_d on its white patch, in drawing units


def _arc_points(start, end, height: float, n: int = 201):
    """Points along the arc ``c.arrow(start, end, bend=-2 * height / (end[0] - start[0]))`` draws.

    ``start`` and ``end`` at one height; matplotlib's arc3 is a quadratic Bézier curve whose
    control point lies ``2 * height`` above the chord's midpoint, so the curve's top is ``height`` above it.
    """
    (x1, y1), (x2, _) = start, end
    control = np.array([(x1 + x2) / 2, y1 + 2 * height])
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 2 * np.asarray(start) + 2 * (1 - t) * t * control + t**2 * np.asarray(end)


def _clear_spot(curve, others, labels, enough: float = 0.25):
    """Where on ``curve`` (points) to set its weight label.

    As near the curve's top as leaves ``enough`` room (in units) to the ``others`` curves and to
    the ``labels`` already placed (their centres), or else where the room is largest.
    """
    w, h = _LABEL_BOX

    def room(xy):
        x, y = xy
        gaps = []
        for other in others:
            dx = np.maximum(np.abs(other[:, 0] - x) - w / 2, 0)
            dy = np.maximum(np.abs(other[:, 1] - y) - h / 2, 0)
            gaps.append(np.hypot(dx, dy).min())
        gaps += [np.hypot(max(abs(lx - x) - w, 0), max(abs(ly - y) - h, 0)) for lx, ly in labels]
        return min(gaps)

    n = len(curve) - 1
    candidates = sorted(range(int(0.3 * n), int(0.9 * n) + 1, n // 40), key=lambda i: abs(i - n / 2))
    rooms = [room(curve[i]) for i in candidates]
    for i, r in zip(candidates, rooms, strict=True):
        if r >= enough:
            return curve[i]
    return curve[candidates[int(np.argmax(rooms))]]


# --------------------------------------------------------------------------- chapter 3


def leaky_unit() -> Diagram:
    """A leaky unit: a moving average of the old state and a tanh layer::

        ĥ(t) = tanh(b + W h(t-1) + U x(t))
        h(t) = α h(t-1) + (1 − α) ĥ(t)

    The top line is the linear path that carries the factor ``α`` from
    ``h(t-1)`` to ``h(t)``; the tanh layer below is a plain RNN's step, whose
    share is ``1 − α`` (``rnncore.leaky``; chapter *Long-term dependencies*,
    section *Remedies for vanishing gradients*).
    """
    c = Canvas(9.9, 5.7)
    top, bottom = 4.9, 2.0
    x_tap, x_layer, x_mix, x_add = 1.9, 3.3, 6.2, 7.6
    h_prev = c.vector((0.9, top), H_PREV, "state")
    keep = c.op((x_mix, top), TIMES)
    add = c.op((x_add, top), PLUS)
    h_new = c.vector((9.1, top), H_NEW, "state")
    layer = c.gate((x_layer, bottom), TANH)
    x = c.vector((x_layer, 0.5), X, "input")
    h_hat = c.vector((4.75, bottom), H_HAT, "state")
    mix = c.op((x_mix, bottom), TIMES)
    alpha = c.vector((x_mix, 3.85), ALPHA, "weight", w=0.62, h=0.5)
    complement = c.op((x_mix, 2.9), ONE_MINUS, r=0.26, size=10)

    _arrow(c, h_prev, keep)
    _arrow(c, keep, add)
    _arrow(c, add, h_new)
    _arrow(c, (x_tap, top), (x_tap, bottom), layer)
    c.weight(((x_tap + x_layer - layer.w / 2) / 2, bottom), W)
    _arrow(c, x, layer)
    c.weight((x_layer, (x.y + x.h / 2 + bottom - layer.h / 2) / 2), U)
    _arrow(c, layer, h_hat)
    _arrow(c, h_hat, mix)
    _arrow(c, mix, (x_add, bottom), add)
    _arrow(c, alpha, keep)
    _arrow(c, alpha, complement)
    _arrow(c, complement, mix)
    c.note(((h_prev.x + h_prev.w / 2 + x_mix) / 2, top + 0.38), "the linear path: factor α")
    return c.diagram(
        "A leaky unit. The previous state h(t-1) runs along the top to a product with α, then to a sum that "
        "gives the new state h(t). Below, h(t-1) through W and the input x(t) through U enter a tanh layer, "
        "whose output ĥ(t) is multiplied by 1 − α and added to the sum: h(t) = α h(t-1) + (1 − α) ĥ(t)."
    )


def skip_connections(T: int = 6, d: int = 2) -> Diagram:
    """An RNN unrolled over ``T`` steps with a skip connection of delay ``d`` through time::

        h(t) = tanh(b + W h(t-1) + W_d h(t-d) + U x(t)),   h(s) = h(0) for s ≤ 0

    The initial state ``h(0)`` is drawn on the left. Each state receives its
    predecessor through ``W`` and, along an arc over the chain, the state ``d``
    steps back through ``W_d``. As in ``rnncore.skip``, ``h(0)`` stands in for
    every state before it, so the arcs into the first ``d`` states all leave
    ``h(0)``, nested one inside the other (chapter *Long-term dependencies*,
    section *Remedies for vanishing gradients*).

    Args:
        T: number of steps drawn, ``d + 1 ≤ T ≤ 7``.
        d: the delay of the skip connection, ``2 ≤ d ≤ 5``.
    """
    d = _check_int("skip_connections", "d", d, 2, 5)
    T = _check_int("skip_connections", "T", T, d + 1, 7)
    step, box = 1.85, 0.95
    rise = 1.2 + 0.5 * (d - 2)  # the height of the arcs of delay d over the boxes
    y = 2.2
    c = Canvas(step * T + box + 0.3, y + 0.31 + rise + 0.5)
    states = [c.vector((0.15 + box / 2 + k * step, y), rf"$\mathbf{{h}}^{{({k})}}$", w=box) for k in range(T + 1)]
    for k, h in enumerate(states[1:], start=1):
        x = c.vector((h.x, 0.45), rf"$\mathbf{{x}}^{{({k})}}$", "input", w=box)
        c.arrow(x, h, U)
    for a, b in zip(states, states[1:], strict=False):
        c.arrow(a, b, W)
    # The arcs: into h(t) from h(t-d), and into the first d states from h(0), which stands in for every
    # h(t-d) with t - d ≤ 0. The arcs leaving h(0) start spread over its top, the longest on the left, and
    # nest: the shorter, the lower.
    top = y + 0.31
    arcs = []
    for t in range(1, T + 1):
        a, b = states[max(t - d, 0)], states[t]
        if t > d:
            arcs.append(((a.x + 0.2, top), (b.x - 0.2, top), rise))
        else:
            share = (t - 1) / (d - 1)
            arcs.append(((a.x + 0.35 - 0.6 * share, top), (b.x - 0.2, top), rise * (0.35 + 0.65 * share)))
    curves = [_arc_points(*arc) for arc in arcs]
    placed = [curve[len(curve) // 2] for curve in curves[d - 1 :]]  # arcs of delay d: the label at the top
    spots = {}
    for t in range(d - 1, 0, -1):  # the nested arcs from h(0): the label where it keeps clear of the rest
        spots[t] = _clear_spot(curves[t - 1], [curve for k, curve in enumerate(curves) if k != t - 1], placed)
        placed.append(spots[t])
    for t, (start, end, height) in enumerate(arcs, start=1):
        bend = -2 * height / (end[0] - start[0])
        if t < d:
            c.arrow(start, end, bend=bend)
            c.weight(tuple(spots[t]), W_D)
        else:
            c.arrow(start, end, W_D, bend=bend)
    return c.diagram(
        f"An RNN unrolled over {T} steps, h(1) to h({T}), after the initial state h(0), each step with its input "
        f"x(t) below it through U. Neighbouring states, from h(0) on, are joined through W, and arcs over the chain "
        f"join each state to the one {d} steps later through W_d, a skip connection of delay d = {d}. The arcs "
        f"into the first {d} states, {'h(1) and h(2)' if d == 2 else f'h(1) to h({d})'}, all come from h(0), "
        "nested one inside the other: h(0) stands in for every state before it."
    )


# --------------------------------------------------------------------------- chapter 4


def lstm_cell(peepholes: bool = False) -> Diagram:
    """The LSTM cell: four layers, the cell state along the top, the output below it::

        a_k = b_k + U_k x(t) + W_k h(t-1)  for k = i, f, g, o
        i(t) = σ(a_i),  f(t) = σ(a_f),  g(t) = tanh(a_g),  o(t) = σ(a_o)
        s(t) = f(t) ⊙ s(t-1) + i(t) ⊙ g(t)
        h(t) = o(t) ⊙ tanh(s(t))

    ``h(t-1)`` and ``x(t)`` run along one line, the concatenated
    ``[h(t-1); x(t)]``, into the four layers; each layer's weights
    ``[W_* U_*]`` label its branch. The cell state's line along the top is the
    constant error carousel (so marked without peepholes, which open other
    paths out of it). With ``peepholes=True`` the input and forget
    gates also read ``s(t-1)`` and the output gate ``s(t)``, through the
    vectors ``p_i, p_f, p_o`` (``a_i += p_i ⊙ s(t-1)``, ``a_f += p_f ⊙ s(t-1)``,
    ``a_o += p_o ⊙ s(t)``, as ``rnncore.lstm``). Chapter *Long short-term
    memory*, sections *The equations* and *The same cell in the lectures' other
    forms*.
    """
    if not isinstance(peepholes, bool):
        raise ValueError(f"lstm_cell: peepholes must be True or False, got {peepholes!r}")
    c = Canvas(11.3, 7.4)
    y_s, y_op, y_g, y_bus = 6.35, 5.0, 3.6, 2.1
    xs = {"f": 2.95, "i": 4.5, "g": 6.05, "o": 7.7}
    x_out, x_right = 8.95, 10.4

    s_prev = c.vector((0.9, y_s), S_PREV, "cell")
    s_new = c.vector((x_right, y_s), S_NEW, "cell")
    h_prev = c.vector((0.9, y_bus), H_PREV, "state")
    x = c.vector((2.4, 0.55), X, "input")
    h_new = c.vector((x_right, y_g), H_NEW, "state")
    gates = {k: c.gate((xs[k], y_g), TANH if k == "g" else SIGMA) for k in "figo"}
    forget = c.op((xs["f"], y_s), TIMES)
    add = c.op((xs["g"], y_s), PLUS)
    write = c.op((xs["g"], y_op), TIMES)
    squash = c.op((x_out, y_op), TANH, r=0.33, size=10)
    emit = c.op((x_out, y_g), TIMES)

    # The carousel: s(t-1) → ⊙ f → + i ⊙ g → s(t); with peepholes the gradient leaves it through the gates.
    if not peepholes:
        c.region(0.15, y_s - 0.5, x_right + 0.75, y_s + 0.9)
        c.note(((xs["f"] + xs["g"]) / 2, y_s + 0.58), "constant error carousel")
    _arrow(c, s_prev, forget)
    _arrow(c, forget, add)
    _arrow(c, add, s_new)
    # [h(t-1); x(t)] into the four layers.
    _line(c, h_prev, (xs["o"], y_bus))
    _line(c, x, (x.x, y_bus))
    for k, gate in gates.items():
        _arrow(c, (gate.x, y_bus), gate)
        label = rf"$[\mathbf{{W}}_{k}\;\mathbf{{U}}_{k}]$"
        c.weight((gate.x, (y_bus + gate.y - gate.h / 2) / 2), label, size=_WEIGHT_SIZE)
    # The gates' outputs.
    _arrow(c, gates["f"], forget)
    _tag(c, (xs["f"] + 0.12, y_op + 0.15), r"$\mathbf{f}^{(t)}$")
    corner = (xs["i"] + xs["g"]) / 2
    _arrow(c, gates["i"], (corner, y_g), (corner, y_op), write)
    _tag(c, (corner + 0.1, (y_g + y_op) / 2), r"$\mathbf{i}^{(t)}$")
    _arrow(c, gates["g"], write)
    _tag(c, (xs["g"] + 0.12, (y_g + y_op) / 2), r"$\mathbf{g}^{(t)}$")
    _arrow(c, write, add)
    _arrow(c, gates["o"], emit)
    _tag(c, ((xs["o"] + x_out) / 2 + 0.05, y_g + 0.28), r"$\mathbf{o}^{(t)}$", ha="center")
    # h(t) = o ⊙ tanh(s(t)).
    _arrow(c, (x_out, y_s), squash)
    _arrow(c, squash, emit)
    _arrow(c, emit, h_new)
    if peepholes:
        _peepholes(c, gates, x_tap=1.9, y_s=y_s, y_branch=4.45)
    kind = "with peepholes" if peepholes else "without peepholes"
    carousel = "" if peepholes else "the constant error carousel, "
    peephole_text = (
        " Peephole connections feed s(t-1) into the input and forget gates through p_i and p_f, and s(t) into "
        "the output gate through p_o."
        if peepholes
        else ""
    )
    return c.diagram(
        f"The LSTM cell, {kind}. The previous state h(t-1) and the input x(t) share one line that feeds four "
        "layers, each through its own weights: the forget gate f(t) and the input gate i(t) (sigmoid), the "
        f"candidate g(t) (tanh) and the output gate o(t) (sigmoid). Along the top, {carousel}the cell state "
        "s(t-1) is multiplied by f(t), i(t) times g(t) is added, and the result is s(t). Below it, tanh of s(t) "
        "times o(t) gives the new state h(t)." + peephole_text
    )


def _peepholes(c: Canvas, gates: dict, x_tap: float, y_s: float, y_branch: float) -> None:
    """The peephole connections: s(t-1) into the input and forget gates, s(t) into the output gate."""
    f, i, o = gates["f"], gates["i"], gates["o"]
    _line(c, (x_tap, y_s), (x_tap, y_branch))
    _arrow(c, (x_tap, y_branch), (x_tap, f.y), f)
    c.weight((x_tap, (y_branch + f.y) / 2), r"$\mathbf{p}_f$", size=_WEIGHT_SIZE)
    _arrow(c, (x_tap, y_branch), (i.x, y_branch), i)
    _gap(c, (f.x, y_branch), along="x")
    _line(c, f.top, (f.x, y_s - 0.22))  # the forget gate's output crosses over the peephole
    c.weight(((f.x + i.x) / 2 + 0.1, y_branch), r"$\mathbf{p}_i$", size=_WEIGHT_SIZE)
    _arrow(c, (o.x, y_s), o)
    c.weight((o.x, (y_s + o.y) / 2 + 0.1), r"$\mathbf{p}_o$", size=_WEIGHT_SIZE)


# --------------------------------------------------------------------------- chapter 5


def gru_cell(variant: str = "lecture", candidate: str = "h_tilde") -> Diagram:
    """The GRU cell: one state, a reset gate, an update gate and a candidate.

    ``variant="lecture"`` (the book's equations, rnncore's default; reset
    before the recurrent product, ``z`` on the candidate)::

        r(t) = σ(b_r + U_r x(t) + W_r h(t-1)),   z(t) = σ(b_z + U_z x(t) + W_z h(t-1))
        h̃(t) = tanh(b_n + U_n x(t) + W_n (r(t) ⊙ h(t-1)))
        h(t) = (1 − z(t)) ⊙ h(t-1) + z(t) ⊙ h̃(t)

    ``variant="torch"`` (PyTorch's ``nn.GRU``; reset after
    the product, ``z`` on the old state)::

        h̃(t) = tanh(b_n + U_n x(t) + r(t) ⊙ (W_n h(t-1) + b_hn))
        h(t) = (1 − z(t)) ⊙ h̃(t) + z(t) ⊙ h(t-1)

    ``candidate="n"`` names the candidate ``n(t)``, as the code (and the GRU
    assignment) does, instead of the book's ``h̃(t)``. Chapter *Gated recurrent
    units*, section *One state, two gates*.
    """
    _check_choice("gru_cell", "variant", variant, ("lecture", "torch"))
    _check_choice("gru_cell", "candidate", candidate, ("h_tilde", "n"))
    new = H_TILDE if candidate == "h_tilde" else r"$\mathbf{n}^{(t)}$"
    c = Canvas(11.2, 7.2)
    y_top, y_z, y_reset, y_g, y_bus = 6.5, 5.1, 4.4, 3.15, 1.85
    x_r, x_z, x_n, x_out = 3.15, 5.35, 7.25, 8.75
    lecture = variant == "lecture"

    h_prev = c.vector((0.9, y_top), H_PREV, "state")
    h_new = c.vector((10.3, y_top), H_NEW, "state")
    x = c.vector((2.6, 0.6), X, "input")
    r, z = c.gate((x_r, y_g), SIGMA), c.gate((x_z, y_g), SIGMA)
    layer = c.gate((x_n, y_reset), TANH)
    keep = c.op((x_z, y_top), TIMES)
    add = c.op((x_out, y_top), PLUS)
    reset = c.op((x_r, y_reset), TIMES)
    write = c.op((x_out, y_z), TIMES)

    # The state line: h(t-1) → ⊙ → + → h(t).
    _arrow(c, h_prev, keep)
    _arrow(c, keep, add)
    _arrow(c, add, h_new)
    # [h(t-1); x(t)] into the two gates; x(t) alone into the candidate.
    _line(c, (1.9, y_top), (1.9, y_bus), (x_z, y_bus))
    _line(c, x, (x.x, y_bus))
    _arrow(c, x, (x_n, x.y), layer)
    c.weight((x_n, 1.6), r"$\mathbf{U}_n$", size=_WEIGHT_SIZE)
    for gate, k in ((r, "r"), (z, "z")):
        _arrow(c, (gate.x, y_bus), gate)
        label = rf"$[\mathbf{{W}}_{k}\;\mathbf{{U}}_{k}]$"
        c.weight((gate.x, (y_bus + gate.y - gate.h / 2) / 2), label, size=_WEIGHT_SIZE)
    # The reset gate and the candidate.
    _arrow(c, r, reset)
    _tag(c, (x_r + 0.12, (y_g + y_reset) / 2), r"$\mathbf{r}^{(t)}$")
    _arrow(c, (x_r, y_top), reset)
    if not lecture:
        c.weight((x_r, (y_top + y_reset) / 2), r"$\mathbf{W}_n$", size=_WEIGHT_SIZE)
    # The update gate: up to the state line, across to the candidate's product.
    split = (x_z, y_z)
    _line(c, z, split)
    _gap(c, (x_z, y_reset), along="y")
    _arrow(c, reset, layer)
    if lecture:
        c.weight(((x_r + x_z) / 2 - 0.3, y_reset), r"$\mathbf{W}_n$", size=_WEIGHT_SIZE)
    _tag(c, (x_z + 0.12, (y_g + y_reset) / 2), r"$\mathbf{z}^{(t)}$")
    if lecture:
        complement = c.op((x_z, (y_z + y_top) / 2), ONE_MINUS, r=0.26, size=10)
        _arrow(c, split, complement)
        _arrow(c, complement, keep)
        _arrow(c, split, write)
    else:
        complement = c.op(((x_z + x_out) / 2, y_z), ONE_MINUS, r=0.26, size=10)
        _arrow(c, split, keep)
        _arrow(c, split, complement)
        _arrow(c, complement, write)
    _arrow(c, layer, (x_out, y_reset), write)
    _tag(c, ((layer.x + layer.w / 2 + x_out) / 2, y_reset + 0.27), new, ha="center")
    _arrow(c, write, add)

    name = "h̃(t)" if candidate == "h_tilde" else "n(t)"
    if lecture:
        form = (
            "r(t) times h(t-1) through W_n: the reset comes before the product. On the state line, h(t-1) is "
            f"multiplied by 1 − z(t), z(t) times {name} is added, and the sum is h(t)."
        )
    else:
        form = (
            "r(t) times W_n h(t-1): the reset comes after the product. On the state line, h(t-1) is multiplied "
            f"by z(t), (1 − z(t)) times {name} is added, and the sum is h(t)."
        )
    title = "in the lecture's form" if lecture else "in PyTorch's form"
    return c.diagram(
        f"The GRU cell {title}. The previous state h(t-1) runs along the top to the new state h(t). "
        "The state h(t-1) and the input x(t) share one line into two sigmoid layers, the reset gate r(t) and the "
        f"update gate z(t). The candidate {name} is a tanh layer that reads x(t) through U_n and {form}"
    )


def gru_reset_placement() -> Diagram:
    """The GRU's candidate with the reset gate before (lecture) and after (PyTorch) the recurrent product::

        before:  h̃(t) = tanh(b_n + U_n x(t) + W_n (r(t) ⊙ h(t-1)))
        after:   h̃(t) = tanh(b_n + U_n x(t) + r(t) ⊙ (W_n h(t-1) + b_hn))

    Two panels side by side; only the place of ``W_n`` relative to the product
    with ``r(t)`` differs. Chapter *Gated recurrent units*, section *Reset
    before or after the product*.
    """
    c = Canvas(11.9, 3.6)
    for x0, before in ((0.0, True), (5.95, False)):
        _reset_panel(c, x0, before)
    return c.diagram(
        "Two versions of the GRU's candidate, side by side. Left, reset before the product (the lecture's form): "
        "h(t-1) is first multiplied elementwise by the reset gate r(t), and the result goes through W_n into a "
        "tanh layer, which also reads x(t) through U_n and gives h̃(t). Right, reset after the product "
        "(PyTorch's form): h(t-1) first goes through W_n, and r(t) multiplies the result before the tanh layer."
    )


def _reset_panel(c: Canvas, x0: float, before: bool) -> None:
    """One panel of :func:`gru_reset_placement`, with its left edge at ``x0``."""
    y = 2.2
    title = "reset before the product (lecture)" if before else "reset after the product (PyTorch)"
    c.region(x0 + 0.1, 0.1, x0 + 5.85, 3.5, title)
    h_prev = c.vector((x0 + 0.8, y), H_PREV, "state")
    reset = c.op((x0 + (2.15 if before else 2.7), y), TIMES)
    r = c.vector((reset.x, 0.7), r"$\mathbf{r}^{(t)}$", "weight", w=0.8)
    layer = c.gate((x0 + 3.95, y), TANH)
    x = c.vector((layer.x, 0.7), X, "input", w=1.0)
    out = c.vector((x0 + 5.25, y), H_TILDE, "state", w=0.9)
    w_n = r"$\mathbf{W}_n$"
    c.arrow(h_prev, reset, None if before else w_n)
    c.arrow(reset, layer, w_n if before else None)
    c.arrow(r, reset)
    c.arrow(x, layer, r"$\mathbf{U}_n$")
    c.arrow(layer, out)
