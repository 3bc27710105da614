r"""Computational graphs of a recurrent network, drawn over time.

These pictures show the recurrence :math:`\mathbf{h}^{(t)} = f(\mathbf{h}^{(t-1)},
\mathbf{x}^{(t)}; \theta)` from the outside, as a graph: folded into one state
with a delayed self-loop and unfolded into one copy per step with the shared
weights U, W, V on every copy (chapter 1); Elman's network with its context
units; the shapes of sequence tasks (which steps read an input, which emit an
output); the paths of backpropagation through time on the unfolded graph, with
the shared weights' gradients summed over the steps (chapter 2); and the
graphical model the network defines over its outputs, with the state
summarising the past.
"""

from __future__ import annotations

from matplotlib.patches import Rectangle

from rnncore.diagrams._canvas import FORWARD, GRADIENT, Canvas, Diagram

__all__ = [
    "folded_and_unfolded",
    "unrolled_rnn",
    "elman_network",
    "task_shapes",
    "bptt_graph",
    "graphical_model",
]

_U, _W, _V = r"$\mathbf{U}$", r"$\mathbf{W}$", r"$\mathbf{V}$"
_DX = 2.0  # distance between two time steps of an unfolded graph
_ROW = 1.6  # distance between the rows x, h, o, L


def _x(t):
    return rf"$\mathbf{{x}}^{{({t})}}$"


def _h(t):
    return rf"$\mathbf{{h}}^{{({t})}}$"


def _o(t):
    return rf"$\mathbf{{o}}^{{({t})}}$"


def _loss(t):
    return rf"$L^{{({t})}}$"


def _steps(function: str, T, least: int = 1, most: int = 6) -> int:
    """``T`` as an int, or a ValueError naming the function and the allowed range."""
    if isinstance(T, bool) or not isinstance(T, int) or not least <= T <= most:
        raise ValueError(f"{function}: T must be an integer from {least} to {most}, got {T!r}")
    return T


def _delay(c: Canvas, xy, size: float = 0.2):
    """The delay of one step: a small black square on a recurrent connection (drawn with the canvas's axes)."""
    c.ax.add_patch(Rectangle((xy[0] - size / 2, xy[1] - size / 2), size, size, fc=FORWARD, ec=FORWARD, zorder=4))


def _legend(c: Canvas, xy):
    """A key for the two kinds of arrow: a short solid one (forward) and a short dashed one (gradient)."""
    x, y = xy
    c.arrow((x, y), (x + 0.7, y))
    c.note((x + 0.85, y), "forward", ha="left")
    c.arrow((x, y - 0.4), (x + 0.7, y - 0.4), gradient=True)
    c.note((x + 0.85, y - 0.4), "gradient", ha="left", color=GRADIENT)


def _unrolled(c: Canvas, x0: float, y0: float, T: int, outputs: bool, losses: bool):
    """The unfolded graph from h(0) at (x0, y0 + _ROW) to h(T); returns its nodes by row."""
    hy = y0 + _ROW
    nodes = {"x": [], "h": [c.vector((x0, hy), _h(0), "state")], "o": [], "L": []}
    for t in range(1, T + 1):
        cx = x0 + t * _DX
        nodes["x"].append(c.vector((cx, y0), _x(t), "input"))
        nodes["h"].append(c.vector((cx, hy), _h(t), "state"))
        c.arrow(nodes["x"][-1], nodes["h"][-1], _U)
        c.arrow(nodes["h"][-2], nodes["h"][-1], _W)
        if outputs:
            nodes["o"].append(c.vector((cx, hy + _ROW), _o(t), "output"))
            c.arrow(nodes["h"][-1], nodes["o"][-1], _V)
        if losses:
            nodes["L"].append(c.vector((cx, hy + 2 * _ROW), _loss(t), "loss"))
            c.arrow(nodes["o"][-1], nodes["L"][-1])
    return nodes


def _check_rows(function: str, outputs: bool, losses: bool):
    if losses and not outputs:
        raise ValueError(f"{function}: a loss L(t) needs an output o(t); got outputs=False, losses=True")


def _rows(outputs: bool, losses: bool) -> int:
    return 2 + outputs + losses


def _outputs_sentence(outputs: bool, losses: bool) -> str:
    if not outputs:
        return ""
    return " Each state feeds an output o(t) through V" + (", and each output its loss L(t)." if losses else ".")


def _letters(outputs: bool) -> str:
    return "U, W and V" if outputs else "U and W"


def unrolled_rnn(T: int = 4, outputs: bool = True, losses: bool = False) -> Diagram:
    r"""The recurrent network unfolded over ``T`` steps, from the initial state to the last.

    Pictures :math:`\mathbf{a}^{(t)} = \mathbf{b} + \mathbf{W}\mathbf{h}^{(t-1)} + \mathbf{U}\mathbf{x}^{(t)}`,
    :math:`\mathbf{h}^{(t)} = \tanh(\mathbf{a}^{(t)})`,
    :math:`\mathbf{o}^{(t)} = \mathbf{c} + \mathbf{V}\mathbf{h}^{(t)}` for :math:`t = 1, \dots, T`:
    inputs :math:`\mathbf{x}^{(t)}` enter through **U**, each state feeds the next through
    **W**, each state its output :math:`\mathbf{o}^{(t)}` through **V** (when ``outputs``) and
    each output its loss :math:`L^{(t)}` (when ``losses``). The same letters on every step are
    the point: one set of parameters. Chapter 1, "Unfolding a recurrent network".
    """
    T = _steps("unrolled_rnn", T)
    _check_rows("unrolled_rnn", outputs, losses)
    rows = _rows(outputs, losses)
    c = Canvas(T * _DX + 1.6, (rows - 1) * _ROW + 1.2)
    _unrolled(c, 0.8, 0.6, T, outputs, losses)
    alt = (
        f"The recurrent network unfolded over {T} step{'s' * (T > 1)}: inputs x(1) to x({T}) feed the hidden "
        f"states h(1) to h({T}) through U, and each state, starting from the initial state h(0), feeds the next "
        f"through W.{_outputs_sentence(outputs, losses)} The letters {_letters(outputs)} repeat on every step "
        "because they are the same matrices."
    )
    return c.diagram(alt)


def _folded(c: Canvas, x0: float, y0: float, outputs: bool, losses: bool):
    """One state box with its input, output, loss and a self-loop through W with a delay; h at (x0, y0 + _ROW)."""
    x = c.vector((x0, y0), r"$\mathbf{x}^{(t)}$", "input")
    h = c.vector((x0, y0 + _ROW), r"$\mathbf{h}^{(t)}$", "state")
    c.arrow(x, h, _U)
    # The loop leaves h on the left and comes back into its top, left of the arrow to o(t).
    left, top, back = x0 - 1.4, h.y + 0.85, x0 - 0.42
    c.arrow(h.left, (back, h.y + h.h / 2), via=[(left, h.y), (left, top), (back, top)])
    c.weight(((left + back) / 2, top), _W)
    _delay(c, (left, (h.y + top) / 2))
    c.note((left - 0.2, (h.y + top) / 2), "delay of\none step", ha="right")
    if outputs:
        o = c.vector((x0, y0 + 2 * _ROW), r"$\mathbf{o}^{(t)}$", "output")
        c.arrow(h, o, _V)
        if losses:
            c.arrow(o, c.vector((x0, y0 + 3 * _ROW), r"$L^{(t)}$", "loss"))
    return h


def folded_and_unfolded(T: int = 3, outputs: bool = True, losses: bool = False) -> Diagram:
    r"""The recurrence :math:`\mathbf{h}^{(t)} = f(\mathbf{h}^{(t-1)}, \mathbf{x}^{(t)}; \theta)`, folded and unfolded.

    Left, the folded system: one state :math:`\mathbf{h}^{(t)}` fed by the input
    :math:`\mathbf{x}^{(t)}` through **U** and by itself through **W**, along a loop that
    carries a delay of one step (the black square); the output :math:`\mathbf{o}^{(t)}` leaves
    through **V**. Right, the same system unfolded over ``T`` steps: no loop any more, but one
    copy of the step per time step, all with the same U, W, V. Chapter 1, "Dynamical systems".
    """
    T = _steps("folded_and_unfolded", T, most=4)
    _check_rows("folded_and_unfolded", outputs, losses)
    rows = _rows(outputs, losses)
    c = Canvas(T * _DX + 6.5, (rows - 1) * _ROW + 1.3)
    _folded(c, 2.7, 0.6, outputs, losses)
    c.arrow((3.6, 0.6 + _ROW), (4.7, 0.6 + _ROW), lw=2.2)
    c.note((4.15, 0.6 + _ROW + 0.3), "unfold")
    _unrolled(c, 5.6, 0.6, T, outputs, losses)
    alt = (
        "Two drawings of the same recurrent network. Left, folded: the input x(t) feeds the hidden state h(t) "
        "through U; h(t) feeds itself through W along a loop marked as a delay of one step"
        + (", and feeds the output o(t) through V" if outputs else "")
        + (", which feeds the loss L(t)" if losses else "")
        + f". Right, unfolded over {T} step{'s' * (T > 1)}: x(1) to x({T}) feed h(1) to h({T}) through U, each "
        f"state, from the initial state h(0) on, feeds the next through W"
        + (", and each state feeds its output o(t) through V" if outputs else "")
        + (" and each output its loss L(t)" if losses else "")
        + f"; the same {_letters(outputs)} appear on every step."
    )
    return c.diagram(alt)


def elman_network() -> Diagram:
    r"""Elman's simple recurrent network, with its context units.

    Pictures :math:`\mathbf{h}^{(t)} = \sigma(\mathbf{U}\mathbf{x}^{(t)} + \mathbf{W}\mathbf{h}^{(t-1)})`,
    :math:`\hat{\mathbf{x}}^{(t+1)} = \phi(\mathbf{V}\mathbf{h}^{(t)})`: the input units
    :math:`\mathbf{x}^{(t)}` and the context units enter the hidden layer through **U** and
    **W**, the hidden units :math:`\mathbf{h}^{(t)}` give the prediction of the next input through
    **V**. The context units hold a copy of the previous hidden state :math:`\mathbf{h}^{(t-1)}`:
    the hidden units are copied into them with a delay of one step (the black square). The
    lecture's :math:`W_1, W_2, W_3` are **U**, **W**, **V**. Chapter 1, "The Elman network as a
    nonlinear filter".
    """
    c = Canvas(7.6, 6.85)
    cx, side = 3.2, 1.6  # the column of the hidden layer; inputs and context units either side of it
    x = c.vector((cx - side, 0.8), r"$\mathbf{x}^{(t)}$", "input")
    context = c.vector((cx + side, 0.8), r"$\mathbf{h}^{(t-1)}$", "state")
    hidden = c.gate((cx, 2.25), r"$\sigma$")
    h = c.vector((cx, 3.55), r"$\mathbf{h}^{(t)}$", "state")
    readout = c.gate((cx, 5.0), r"$\phi$")
    prediction = c.vector((cx, 6.25), r"$\hat{\mathbf{x}}^{(t+1)}$", "output", w=1.3)
    c.arrow(x, hidden, _U, via=[(x.x, hidden.y)], label_at=0.3)
    c.arrow(context, hidden, _W, via=[(context.x, hidden.y)], label_at=0.3)
    c.arrow(hidden, h)
    c.arrow(h, readout, _V)
    c.arrow(readout, prediction)
    # The copy: from the hidden units round to the context units, one step late.
    right = cx + side + 1.3
    c.arrow(h, context, via=[(right, h.y), (right, context.y)])
    _delay(c, (right, (h.y + context.y) / 2))
    c.note((right - 0.2, (h.y + context.y) / 2), "copy,\ndelay of\none step", ha="right")
    for node, words in ((x, "input units"), (context, "context units")):
        c.note((node.x, node.y - 0.47), words)
    c.note((cx - 0.75, h.y), "hidden units", ha="right")
    c.note((cx - 0.85, prediction.y), "output units", ha="right")
    alt = (
        "Elman's network. The input units x(t) and the context units, which hold the previous hidden state "
        "h(t-1), feed a sigmoid layer through U and W; it gives the hidden units h(t), which feed an output "
        "layer φ through V to predict the next input, x̂(t+1). An arrow from h(t) back to the context "
        "units copies the hidden state into them, with a delay of one step."
    )
    return c.diagram(alt)


_SHAPES = (
    ("sequence → sequence", True, "all"),
    ("sequence → vector", True, "last"),
    ("vector → sequence", "first", "all"),
    ("vector → sequence, fed at every step", "every", "all"),
)
_SDX, _SROW = 1.5, 1.05  # a task-shape panel's spacing between steps and between rows


def _shape_panel(c: Canvas, x0: float, y0: float, T: int, title: str, inputs, outputs: str):
    """One small unfolded network; ``inputs`` is True (a sequence), "first" or "every" (one vector)."""
    small = dict(w=0.95, h=0.5, size=10)
    width = _SDX * (T - 1) + 2.4
    c.region(x0, y0, x0 + width, y0 + 3 * _SROW + 0.45, title)
    cols = [x0 + 1.2 + k * _SDX for k in range(T)]
    xs, hs = y0 + 0.45, y0 + 0.45 + _SROW
    states = []
    for t, col in enumerate(cols, start=1):
        states.append(c.vector((col, hs), _h(t), "state", **small))
        if len(states) > 1:
            c.arrow(states[-2], states[-1])
        if inputs is True:
            c.arrow(c.vector((col, xs), _x(t), "input", **small), states[-1])
        if outputs == "all" or t == T:
            c.arrow(states[-1], c.vector((col, hs + _SROW), _o(t), "output", **small))
    if inputs in ("first", "every"):
        x = c.vector((cols[0], xs), r"$\mathbf{x}$", "input", **small)
        c.arrow(x, states[0])
        if inputs == "every":
            for col, state in zip(cols[1:], states[1:], strict=True):
                c.arrow(x, state, via=[(col, xs)])


def task_shapes(T: int = 3) -> Diagram:
    r"""The shapes of sequence tasks, as four small unfolded networks over ``T`` steps.

    Every panel runs the same recurrence :math:`\mathbf{h}^{(t)} = f(\mathbf{h}^{(t-1)},
    \mathbf{x}^{(t)}; \theta)`; only where inputs enter and outputs leave changes. Sequence →
    sequence: an input :math:`\mathbf{x}^{(t)}` and an output :math:`\mathbf{o}^{(t)}` at every step.
    Sequence → vector: inputs at every step, one output after the last. Vector → sequence: one
    input vector :math:`\mathbf{x}`, read at the first step, and an output at every step; and the
    variant that feeds the same :math:`\mathbf{x}` to every step. Chapter 1, "The shapes of
    sequence tasks".
    """
    T = _steps("task_shapes", T, least=3, most=4)
    width = _SDX * (T - 1) + 2.4
    height = 3 * _SROW + 0.45
    c = Canvas(2 * width + 0.7, 2 * height + 0.65)
    for k, (title, inputs, outputs) in enumerate(_SHAPES):
        x0 = 0.25 + (k % 2) * (width + 0.2)
        y0 = 0.2 + (1 - k // 2) * (height + 0.25)
        _shape_panel(c, x0, y0, T, title, inputs, outputs)
    alt = (
        f"Four small recurrent networks unfolded over {T} steps, hidden states h(1) to h({T}) in a row, each "
        "feeding the next. Sequence to sequence: an input x(t) enters below and an output o(t) leaves above at "
        f"every step. Sequence to vector: inputs at every step, but only one output, o({T}), after the last. "
        "Vector to sequence: a single input vector x enters at the first step, and an output leaves at every "
        "step. Vector to sequence, fed at every step: the same vector x enters every state."
    )
    return c.diagram(alt)


def bptt_graph(T: int = 3) -> Diagram:
    r"""Backpropagation through time on the unfolded graph of ``T`` steps.

    The forward graph (solid) is :func:`unrolled_rnn` with a loss :math:`L^{(t)}` at every
    step. The gradient (dashed) runs from every loss down to its output,
    :math:`\nabla_{\mathbf{o}^{(t)}} L = \hat{\mathbf{y}}^{(t)} - \mathbf{1}_{y^{(t)}}`, into
    the state, and back along the recurrence,
    :math:`\nabla_{\mathbf{h}^{(t)}} L = \mathbf{W}^\top \operatorname{diag}(1 - (\mathbf{h}^{(t+1)})^2)
    \nabla_{\mathbf{h}^{(t+1)}} L + \mathbf{V}^\top \nabla_{\mathbf{o}^{(t)}} L`. Every copy of
    **W** contributes a term to the one gradient
    :math:`\nabla_{\mathbf{W}} L = \sum_t \nabla_{\mathbf{a}^{(t)}} L \, \mathbf{h}^{(t-1)\top}`,
    drawn as dashed arrows from each step into one sum; **U** and **V** collect theirs the same
    way. Chapter 2, "Deriving the gradients".
    """
    T = _steps("bptt_graph", T, least=2)
    x0, y0 = 0.8, 2.0
    c = Canvas(T * _DX + 1.9, 3 * _ROW + 2.7)
    nodes = _unrolled(c, x0, y0, T, outputs=True, losses=True)
    off = 0.3  # the gradient runs beside the forward arrow, right of it
    for L, o, h in zip(nodes["L"], nodes["o"], nodes["h"][1:], strict=True):
        c.arrow((L.x + off, L.y - L.h / 2), (o.x + off, o.y + o.h / 2), gradient=True)
        c.arrow((o.x + off, o.y - o.h / 2), (h.x + off, h.y + h.h / 2), gradient=True)
    middles = [(later.x + earlier.x) / 2 for later, earlier in zip(nodes["h"][1:], nodes["h"][:-1], strict=True)]
    total = c.gate(
        ((middles[0] + middles[-1]) / 2, 0.65), r"$\nabla_{\mathbf{W}} L$", w=middles[-1] - middles[0] + 1.0, role="op"
    )
    for later, earlier, middle in zip(nodes["h"][1:], nodes["h"][:-1], middles, strict=True):
        c.arrow(later, earlier, gradient=True, bend=-0.45)
        c.arrow((middle, later.y - 0.45), (middle, total.y + total.h / 2), gradient=True)
    c.note((total.x, total.y - 0.5), "the terms of all steps add up")
    _legend(c, (0.25, y0 + 3 * _ROW + 0.2))
    alt = (
        f"Backpropagation through time on the network unfolded over {T} steps. The forward graph is solid: "
        f"inputs x(1) to x({T}) feed states h(1) to h({T}) through U, each state feeds the next through W and "
        "its output o(t) through V, and each output its loss L(t). The gradient is dashed: from every loss "
        "down to its output and its state, and from each state back to the one before it, to h(0). From every "
        "step's W connection a dashed arrow leads into one sum, the gradient of W: the contributions of all "
        "steps add up, and U and V collect theirs the same way."
    )
    return c.diagram(alt)


_GDX, _GW = 1.45, 0.95  # spacing of the graphical-model panels and width of their boxes


def _arc_sag(span: int) -> float:
    """How high the arc over ``span`` steps rises above the boxes' tops (0 for neighbours)."""
    return 0.0 if span < 2 else 0.45 + 0.3 * (span - 2)


def _parent_arc(c: Canvas, parent, child, span: int, longest: int):
    """An arc over the boxes between ``parent`` and ``child``; longer arcs run outside shorter ones."""
    spread = 0.36 - 0.28 * (span - 2) / max(longest - 2, 1)
    start, end = (parent.x + spread, parent.y + parent.h / 2), (child.x - spread, child.y + child.h / 2)
    sag = _arc_sag(span)
    c.arrow(start, end, bend=-2 * sag / (end[0] - start[0]))


def graphical_model(T: int = 4) -> Diagram:
    r"""Two graphical models of the outputs :math:`y^{(1)}, \dots, y^{(T)}`.

    Left, the chain rule :math:`p(y^{(1)}, \dots, y^{(T)}) = \prod_t p(y^{(t)} \mid y^{(1)},
    \dots, y^{(t-1)})` drawn as a graph: every earlier output is a parent of every later one.
    Right, the recurrent network's graph for the same factorisation, :math:`\prod_t
    p(y^{(t)} \mid \mathbf{h}^{(t)})`: the outputs are fed back, and the deterministic state
    :math:`\mathbf{h}^{(t)}` sits between them and summarises all earlier outputs, so each
    output's only parent is its state. Chapter 1, "Recurrent networks as graphical models".
    """
    T = _steps("graphical_model", T, least=2, most=5)
    row = _GDX * (T - 1) + _GW  # the width of a row of T boxes
    width = max(row + 0.6, 5.6)
    yy, hy = 2.5, 1.15
    top = yy + 0.31 + _arc_sag(T - 1) + 0.6
    c = Canvas(2 * width + 0.8, top + 0.25)
    # Left: every earlier output is a parent of every later one.
    x0 = 0.25 + (width - row + _GW) / 2
    left = [c.vector((x0 + k * _GDX, yy), rf"$y^{{({k + 1})}}$", "output", w=_GW) for k in range(T)]
    for i in range(T - 1):
        c.arrow(left[i], left[i + 1])
        for j in range(i + 2, T):
            _parent_arc(c, left[i], left[j], j - i, T - 1)
    c.region(0.25, 0.3, 0.25 + width, top, "without a state: the chain rule")
    c.note((0.25 + width / 2, 0.55), "y(t) has t − 1 parents")
    # Right: the state summarises the past.
    x1 = 0.55 + width
    x0 = x1 + (width - row + _GW) / 2
    ys, hs = [], []
    for k in range(T):
        hs.append(c.vector((x0 + k * _GDX, hy), _h(k + 1), "state", w=_GW))
        ys.append(c.vector((x0 + k * _GDX, yy), rf"$y^{{({k + 1})}}$", "output", w=_GW))
        c.arrow(hs[-1], ys[-1])
        if k:
            c.arrow(hs[-2], hs[-1])
            c.arrow(ys[-2], hs[-1])
    c.region(x1, 0.3, x1 + width, top, "the RNN: h(t) summarises the past")
    c.note((x1 + width / 2, 0.55), "y(t) has one parent, the deterministic h(t)")
    alt = (
        f"Two graphs over the outputs y(1) to y({T}). Left, without a state: an arrow runs from every output "
        f"to every later one, so y({T}) has all {T - 1} earlier outputs as parents. Right, the recurrent "
        f"network: a row of deterministic states h(1) to h({T}) below the outputs; each state feeds the next "
        "and its own output, and each output feeds the next state. Every output has one parent, its state, "
        "which summarises all earlier outputs."
    )
    return c.diagram(alt)
