"""Networks built from recurrent cells: teacher forcing, deep, bidirectional, encoder–decoder, attention.

These pictures show how whole recurrent networks are wired from the cells of
the earlier chapters (chapter 6, *Architectures*, and chapter 7, *Attention*):
what a network reads at each step when it is trained with teacher forcing and
when it runs free; a stack of recurrent layers over time and a deep transition
between two states; a bidirectional network with one chain read left to right
and one right to left; the encoder–decoder, whose only link between source and
output is the context **C**; and one decoder step of an encoder–decoder with
attention, drawn either as a schematic or from the attention weights of a
trained model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rnncore.diagrams._canvas import FORWARD, Canvas, Diagram, Node

__all__ = [
    "teacher_forcing",
    "stacked_rnn",
    "deep_transition",
    "bidirectional_rnn",
    "encoder_decoder",
    "attention_step",
]

_U, _W, _V = r"$\mathbf{U}$", r"$\mathbf{W}$", r"$\mathbf{V}$"
_ROW = 1.5  # distance between two rows (input, state, output …)


def _sup(symbol: str, t) -> str:
    """A bold vector with a time superscript: ``_sup("h", "t-1")`` is h(t−1)."""
    return rf"$\mathbf{{{symbol}}}^{{({t})}}$"


def _count(function: str, name: str, value, least: int, most: int) -> int:
    """``value`` as an int in ``[least, most]``, or a ValueError naming the function and the range."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not least <= value <= most:
        raise ValueError(f"{function}: {name} must be an integer from {least} to {most}, got {value!r}")
    return int(value)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("s" if n != 1 else "")


# Weight labels with a subscript (U_ℓ, W_ℓ): a size above the canvas's 11, so the subscripts read.
_WEIGHT_SIZE = 12


def _weighted(c: Canvas, start, end, label: str):
    """An arrow between two nodes with its weight's label half way, at :data:`_WEIGHT_SIZE`."""
    c.arrow(start, end)
    c.weight(((start.x + end.x) / 2, (start.y + end.y) / 2), label, size=_WEIGHT_SIZE)


def _span(name: str, first: int, last: int) -> str:
    """``x(1) to x(4)`` in words for the alt text, or just ``x(1)`` when there is one."""
    return f"{name}({first})" if first == last else f"{name}({first}) to {name}({last})"


def _path(c: Canvas, *points, head: bool = False, **style):
    """A line (an arrow with ``head=True``) through ``points``, drawn as a path.

    A path keeps its ends exactly where they are given (a straight arrow leaves a
    small gap at each), so lines that join or branch meet.
    """
    start, *middle, end = points
    if not middle:
        a = start.center if isinstance(start, Node) else start
        b = end.center if isinstance(end, Node) else end
        middle = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)]
    return c.arrow(start, end, via=middle, head=head, **style)


# ---------------------------------------------------------------- teacher forcing


def _forcing_panel(c: Canvas, x0: float, training: bool, hidden_to_hidden: bool) -> None:
    """Two steps, t−1 and t, of the output-recurrent network; the fed-back vector enters h(t) through W_y."""
    rows = [0.6 + k * _ROW for k in range(5)]
    cols = (x0, x0 + 2.8)
    nodes = []
    for col, t in zip(cols, ("t-1", "t"), strict=True):
        x = c.vector((col, rows[0]), _sup("x", t), "input")
        h = c.vector((col, rows[1]), _sup("h", t), "state")
        o = c.vector((col, rows[2]), _sup("o", t), "output")
        c.arrow(x, h, _U)
        c.arrow(h, o, _V)
        node = {"h": h, "o": o}
        if training:
            loss = c.vector((col, rows[3]), rf"$L^{{({t})}}$", "loss")
            y = c.vector((col, rows[4]), rf"$\mathbf{{y}}^{{({t})}}$", "input")
            c.arrow(o, loss)
            c.arrow(y, loss)
            node["y"] = y
        nodes.append(node)
    fed = nodes[0]["y"] if training else nodes[0]["o"]
    c.arrow(fed, nodes[1]["h"], r"$\mathbf{W}_y$", label_at=0.45 if training else 0.5)
    if hidden_to_hidden:
        c.arrow(nodes[0]["h"], nodes[1]["h"], _W, label_at=0.3 if training else 0.62)
    title = "training: teacher forcing" if training else "test time: free running"
    c.region(x0 - 0.85, 0.1, x0 + 3.65, rows[4] + 0.95, title)


def teacher_forcing(hidden_to_hidden: bool = False) -> Diagram:
    r"""Teacher forcing: what the step at ``t`` reads, in training and at test time.

    Two steps, :math:`t-1` and :math:`t`, of the network whose recurrence runs from the output
    (chapter 6, "Teacher forcing and exposure bias"),
    :math:`\mathbf{h}^{(t)} = \tanh(\mathbf{b} + \mathbf{W}_y\mathbf{o}^{(t-1)} + \mathbf{U}\mathbf{x}^{(t)})`,
    :math:`\mathbf{o}^{(t)} = \mathbf{c} + \mathbf{V}\mathbf{h}^{(t)}`. Left, training with
    teacher forcing: the true previous output :math:`\mathbf{y}^{(t-1)}`, which the loss
    :math:`L^{(t-1)}` compares with :math:`\mathbf{o}^{(t-1)}`, is what enters
    :math:`\mathbf{h}^{(t)}` through :math:`\mathbf{W}_y`. Right, at test time there is no
    target, and the network's own output :math:`\mathbf{o}^{(t-1)}` is fed back instead.
    With ``hidden_to_hidden=True`` both panels also have the recurrence
    :math:`\mathbf{W}\mathbf{h}^{(t-1)}`, as in the book's decoders: the steps then no longer
    decouple in training.
    """
    if not isinstance(hidden_to_hidden, bool):
        raise ValueError(f"teacher_forcing: hidden_to_hidden must be True or False, got {hidden_to_hidden!r}")
    c = Canvas(9.7, 7.75)
    _forcing_panel(c, 0.95, True, hidden_to_hidden)
    _forcing_panel(c, 5.95, False, hidden_to_hidden)
    recurrence = (
        " In both, h(t-1) also feeds h(t) through W." if hidden_to_hidden else " No arrow joins h(t-1) to h(t)."
    )
    alt = (
        "Two panels, each showing steps t-1 and t of a recurrent network: the input x feeds the state h through "
        "U, and h feeds the output o through V. Left, training with teacher forcing: each output o and its "
        "target y feed the loss L, and the true target y(t-1) is fed into h(t) through W_y. Right, test time, "
        "free running: there is no target or loss, and the network's own output o(t-1) is fed into h(t) "
        "through W_y." + recurrence
    )
    return c.diagram(alt)


# ---------------------------------------------------------------- deep networks


def stacked_rnn(n_layers: int = 3, T: int = 3) -> Diagram:
    r"""A stack of ``n_layers`` recurrent layers unfolded over ``T`` steps.

    Pictures :math:`\mathbf{h}^{(t)}_\ell = \tanh\big(\mathbf{b}_\ell + \mathbf{W}_\ell\mathbf{h}^{(t-1)}_\ell
    + \mathbf{U}_\ell\mathbf{h}^{(t)}_{\ell-1}\big)` with :math:`\mathbf{h}^{(t)}_0 = \mathbf{x}^{(t)}` and
    :math:`\mathbf{o}^{(t)} = \mathbf{c} + \mathbf{V}\mathbf{h}^{(t)}_{n_{\text{layers}}}` (chapter 6,
    "Deep recurrent networks", eq-stacked): each state feeds the layer above at the same step
    through :math:`\mathbf{U}_{\ell+1}` and its own layer at the next step through
    :math:`\mathbf{W}_\ell`; only the top layer feeds the output.
    """
    n_layers = _count("stacked_rnn", "n_layers", n_layers, 1, 4)
    T = _count("stacked_rnn", "T", T, 1, 5)
    dx, row, x0 = 2.3, 1.45, 2.1
    c = Canvas(x0 + (T - 1) * dx + 1.0, (n_layers + 1) * row + 1.2)
    for layer in range(1, n_layers + 1):
        c.text((0.75, 0.6 + layer * row), rf"$\ell = {layer}$", size=11)
    below = []
    for t in range(1, T + 1):
        cx = x0 + (t - 1) * dx
        below.append(c.vector((cx, 0.6), _sup("x", t), "input"))
    for layer in range(1, n_layers + 1):
        states = []
        for t in range(1, T + 1):
            cx = x0 + (t - 1) * dx
            states.append(c.vector((cx, 0.6 + layer * row), rf"$\mathbf{{h}}^{{({t})}}_{{{layer}}}$", "state"))
            _weighted(c, below[t - 1], states[-1], rf"$\mathbf{{U}}_{{{layer}}}$")
            if t > 1:
                _weighted(c, states[-2], states[-1], rf"$\mathbf{{W}}_{{{layer}}}$")
        below = states
    for t in range(1, T + 1):
        cx = x0 + (t - 1) * dx
        c.arrow(below[t - 1], c.vector((cx, 0.6 + (n_layers + 1) * row), _sup("o", t), "output"), _V)
    alt = (
        f"A stack of {_plural(n_layers, 'recurrent layer')} unfolded over {_plural(T, 'step')}, one row per layer "
        "and one column per step. At each step the input x(t) feeds the state of layer 1, h_1(t), through U_1, "
        "and each layer's state feeds the layer above at the same step through that layer's U; along each row, "
        "every state feeds the same layer's state at the next step through that layer's W. Only the top state, "
        f"h_{n_layers}(t), feeds the output o(t), through V."
    )
    return c.diagram(alt)


def deep_transition(deep_output: bool = False) -> Diagram:
    r"""A deep transition: a feedforward layer between :math:`\mathbf{h}^{(t-1)}` and :math:`\mathbf{h}^{(t)}`.

    Pictures eq-deep-transition of chapter 6, "Deep recurrent networks",
    :math:`\mathbf{h}^{(t)} = \tanh\big(\mathbf{b}_{\text{tr}} + \mathbf{W}_{\text{tr}}
    \tanh(\mathbf{b} + \mathbf{W}\mathbf{h}^{(t-1)} + \mathbf{U}\mathbf{x}^{(t)})\big)`: the
    previous state and the input enter a first layer (through **W** and **U**), whose output
    passes through a second layer (:math:`\mathbf{W}_{\text{tr}}`) before it becomes the new
    state, which feeds the output through **V**. With ``deep_output=True`` a layer also sits
    between the state and the output, eq-deep-output,
    :math:`\mathbf{o}^{(t)} = \mathbf{c} + \mathbf{V}\tanh(\mathbf{b}_{\text{out}} +
    \mathbf{W}_{\text{out}}\mathbf{h}^{(t)})`.
    """
    if not isinstance(deep_output, bool):
        raise ValueError(f"deep_transition: deep_output must be True or False, got {deep_output!r}")
    y = 2.1
    c = Canvas(9.6, 5.95 if deep_output else 4.3)
    previous = c.vector((1.0, y), _sup("h", "t-1"), "state")
    x = c.vector((3.3, 0.6), _sup("x", "t"), "input")
    first = c.gate((3.3, y), r"$\tanh$")
    second = c.gate((5.7, y), r"$\tanh$")
    h = c.vector((8.0, y), _sup("h", "t"), "state")
    c.arrow(previous, first, _W)
    c.arrow(x, first, _U)
    c.arrow(first, second, r"$\mathbf{W}_{\mathrm{tr}}$")
    c.arrow(second, h)
    c.region(2.5, 1.45, 6.5, 3.15, "deep transition", where="top right")
    if deep_output:
        readout = c.gate((8.0, 3.8), r"$\tanh$")
        c.arrow(h, readout, r"$\mathbf{W}_{\mathrm{out}}$")
        c.arrow(readout, c.vector((8.0, 5.35), _sup("o", "t"), "output"), _V)
        c.region(6.2, 3.3, 8.9, 4.65, "deep output", where="top left")
    else:
        c.arrow(h, c.vector((8.0, 3.6), _sup("o", "t"), "output"), _V)
    alt = (
        "A deep transition between two states. The previous state h(t-1), through W, and the input x(t), "
        "through U, feed a tanh layer; its output feeds a second tanh layer through W_tr, which gives the new "
        "state h(t). The two layers are framed as the deep transition. "
        + (
            "The state feeds a third tanh layer through W_out, framed as the deep output, which feeds the output "
            "o(t) through V."
            if deep_output
            else "The state feeds the output o(t) through V."
        )
    )
    return c.diagram(alt)


# ---------------------------------------------------------------- bidirectional


def bidirectional_rnn(T: int = 4) -> Diagram:
    r"""A bidirectional recurrent network unfolded over ``T`` steps.

    Pictures chapter 6, "Bidirectional networks":
    :math:`\overrightarrow{\mathbf{h}}^{(t)} = f(\overrightarrow{\mathbf{h}}^{(t-1)}, \mathbf{x}^{(t)};
    \overrightarrow{\theta})` read left to right,
    :math:`\overleftarrow{\mathbf{h}}^{(t)} = f(\overleftarrow{\mathbf{h}}^{(t+1)}, \mathbf{x}^{(t)};
    \overleftarrow{\theta})` read right to left, both from the same inputs, and each output
    :math:`\mathbf{o}^{(t)}` reads both states,
    :math:`\mathbf{h}^{(t)} = [\overrightarrow{\mathbf{h}}^{(t)}; \overleftarrow{\mathbf{h}}^{(t)}]`.
    """
    T = _count("bidirectional_rnn", "T", T, 1, 5)
    dx, off = 2.6, 0.6  # the forward state sits left of the column, the backward one right of it
    x0 = 1.35
    rows = (0.6, 2.0, 3.4, 4.8)
    c = Canvas(x0 + (T - 1) * dx + 1.35, 5.5)
    forward, backward = [], []
    for t in range(1, T + 1):
        cx = x0 + (t - 1) * dx
        x = c.vector((cx, rows[0]), _sup("x", t), "input")
        fw = c.vector((cx - off, rows[1]), rf"$\overrightarrow{{\mathbf{{h}}}}^{{({t})}}$", "state")
        bw = c.vector((cx + off, rows[2]), rf"$\overleftarrow{{\mathbf{{h}}}}^{{({t})}}$", "state")
        o = c.vector((cx, rows[3]), _sup("o", t), "output")
        # Vertical arrows a little inside the boxes: x → both states, both states → o.
        c.arrow((cx - 0.42, x.y + x.h / 2), (cx - 0.42, fw.y - fw.h / 2))
        c.arrow((cx + 0.42, x.y + x.h / 2), (cx + 0.42, bw.y - bw.h / 2))
        c.arrow((cx - 0.42, fw.y + fw.h / 2), (cx - 0.42, o.y - o.h / 2))
        c.arrow((cx + 0.42, bw.y + bw.h / 2), (cx + 0.42, o.y - o.h / 2))
        forward.append(fw)
        backward.append(bw)
    for t in range(1, T):
        c.arrow(forward[t - 1], forward[t])
        c.arrow(backward[t], backward[t - 1])
    if T > 1:  # below the first forward arrow and above the last backward one, clear of the vertical arrows
        c.note((x0 + dx / 2, rows[1] - 0.62), "left to right")
        c.note((x0 + (T - 1.5) * dx, rows[2] + 0.62), "right to left")
    alt = (
        f"A bidirectional network unfolded over {_plural(T, 'step')}. Each input x(t) feeds two states: "
        "h-forward(t), in a chain that runs left to right, each state feeding the next, and h-backward(t), in a "
        "chain above it that runs right to left, each state feeding the one before. Each output o(t) reads "
        "both states of its step, so it depends on the whole input."
    )
    return c.diagram(alt)


# ---------------------------------------------------------------- encoder–decoder


def _enc_label(j) -> str:
    return rf"$\mathbf{{h}}^{{({j})}}_{{\mathrm{{enc}}}}$"


_BOS = r"$\langle\mathrm{bos}\rangle$"


def encoder_decoder(S: int = 3, T: int = 3, context: str = "initial", teacher_forcing: bool = False) -> Diagram:
    r"""The encoder–decoder: a source of length ``S`` read into the context **C**, an output of length ``T``.

    Pictures chapter 6, "Sequence to sequence: the encoder–decoder":
    :math:`\mathbf{h}^{(j)}_{\text{enc}} = f(\mathbf{h}^{(j-1)}_{\text{enc}}, \mathbf{x}^{(j)};
    \theta_{\text{enc}})` for :math:`j = 1, \dots, S`, the context
    :math:`\mathbf{C} = \mathbf{h}^{(S)}_{\text{enc}}` (framed as the bottleneck: everything the
    decoder learns of the source passes through it), and the decoder
    :math:`\mathbf{h}^{(t)} = f(\mathbf{h}^{(t-1)}, y^{(t-1)}; \theta_{\text{dec}})` with
    :math:`\mathbf{h}^{(0)} = \mathbf{C}` and :math:`y^{(0)} = \langle\text{bos}\rangle`.

    ``context="initial"`` passes **C** on as the decoder's initial state only (Sutskever et
    al. 2014; ``rnncore.seq2seq``); ``context="every step"`` also feeds it into every decoder
    step (Cho et al. 2014, who feed it to the output layer as well). By default the decoder
    emits :math:`y^{(1)}, \dots, y^{(T)}` and each output is the next step's input. With
    ``teacher_forcing=True`` the decoder of the training loss is drawn instead: it reads the
    true previous tokens :math:`\langle\text{bos}\rangle, y^{(1)}, \dots, y^{(T-1)}` and each
    output :math:`\mathbf{o}^{(t)} = \mathbf{c} + \mathbf{V}\mathbf{h}^{(t)}` meets its target
    :math:`y^{(t)}` in the loss :math:`L^{(t)}`.
    """
    S = _count("encoder_decoder", "S", S, 1, 4)
    T = _count("encoder_decoder", "T", T, 1, 4)
    if context not in ("initial", "every step"):
        raise ValueError(f"encoder_decoder: context must be 'initial' or 'every step', got {context!r}")
    if not isinstance(teacher_forcing, bool):
        raise ValueError(f"encoder_decoder: teacher_forcing must be True or False, got {teacher_forcing!r}")
    dx = 1.65
    rows = [0.6 + k * _ROW for k in range(5)]
    enc_x = [0.8 + k * dx for k in range(S)]
    cx = enc_x[-1] + 1.9
    dec_x = [cx + 1.9 + k * dx for k in range(T)]
    height = (rows[4] if teacher_forcing else rows[2]) + 0.9
    c = Canvas(dec_x[-1] + 0.85, height)
    # The encoder.
    states = []
    for j, x_pos in enumerate(enc_x, start=1):
        x = c.vector((x_pos, rows[0]), _sup("x", j), "input")
        states.append(c.vector((x_pos, rows[1]), _enc_label(j), "state", w=1.25, size=11))
        c.arrow(x, states[-1])
        if j > 1:
            c.arrow(states[-2], states[-1])
    c.region(0.05, 0.15, enc_x[-1] + 0.75, rows[1] + 0.75, "encoder")
    # The context: the encoder's final state, the bottleneck.
    C = c.vector((cx, rows[1]), r"$\mathbf{C}$", "context", w=0.8)
    c.arrow(states[-1], C)
    c.region(cx - 0.62, rows[1] - 0.45, cx + 0.62, rows[1] + 0.75, "bottleneck", where="top center")
    # The decoder.
    dec = []
    for t, x_pos in enumerate(dec_x, start=1):
        dec.append(c.vector((x_pos, rows[1]), _sup("h", t), "state"))
        c.arrow(dec[-2] if t > 1 else C, dec[-1])
        if context == "every step" and t > 1:
            # Along a line below the decoder; beside the token arrows when those come up from below.
            x_in = x_pos + (0.35 if teacher_forcing else 0.0)
            end = (x_in, dec[-1].y - dec[-1].h / 2)
            c.arrow(C, end, via=[(cx, rows[1] - 0.95), (x_in, rows[1] - 0.95)])
    if teacher_forcing:
        fed = []
        for t, x_pos in enumerate(dec_x, start=1):
            label = _BOS if t == 1 else rf"$y^{{({t - 1})}}$"
            fed.append(c.vector((x_pos, rows[0]), label, "input"))
            c.arrow(fed[-1], dec[t - 1])
            o = c.vector((x_pos, rows[2]), _sup("o", t), "output")
            c.arrow(dec[t - 1], o, _V)
            loss = c.vector((x_pos, rows[3]), rf"$L^{{({t})}}$", "loss")
            c.arrow(o, loss)
            c.arrow(c.vector((x_pos, rows[4]), rf"$y^{{({t})}}$", "input"), loss)
    else:
        previous = c.vector((cx, rows[2]), _BOS, "input", w=0.9)
        for t, x_pos in enumerate(dec_x, start=1):
            c.arrow(previous, dec[t - 1])
            out = c.vector((x_pos, rows[2]), rf"$y^{{({t})}}$", "output")
            c.arrow(dec[t - 1], out)
            previous = out
    bottom = 0.15 if teacher_forcing else rows[1] - (1.25 if context == "every step" else 0.6)
    c.region(dec_x[0] - 0.75, bottom, dec_x[-1] + 0.75, height - 0.1, "decoder", where="top right")
    every = (
        " C is also fed, along a line below the decoder, into every later decoder state."
        if context == "every step"
        else ""
    )
    if teacher_forcing:
        decoding = (
            f"The decoder states {_span('h', 1, T)} each feed the next. Below them, the true previous tokens, the "
            "start symbol bos" + (f" and then {_span('y', 1, T - 1)}" if T > 1 else "") + ", are their inputs "
            "(teacher forcing); above them, each state feeds its output o(t) through V, and o(t) and the target "
            "y(t) feed the loss L(t)."
        )
    else:
        decoding = (
            f"The decoder states {_span('h', 1, T)} each feed the next and emit the outputs {_span('y', 1, T)} "
            "above them; "
            "each output, and the start symbol bos before the first, is fed diagonally into the next decoder "
            "state as its input."
        )
    alt = (
        f"An encoder-decoder. The encoder reads the inputs {_span('x', 1, S)} into states {_span('h_enc', 1, S)}, "
        "each feeding the next. Its final state becomes the context C, framed as the bottleneck, which is the "
        "decoder's initial state: the only link between the source and the output." + every + " " + decoding
    )
    return c.diagram(alt)


# ---------------------------------------------------------------- attention


_MARKUP = "$\\^_{}"  # characters that mathtext or the plain text of a label would read as markup


def _check_attention(weights, source, target):
    """Validated (weights, source tokens, target) for :func:`attention_step`."""
    if weights is None:
        if source is not None or target is not None:
            raise ValueError("attention_step: source and target need weights; pass weights as well, or none of them")
        return None, None, None
    try:
        weights = np.asarray(weights, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"attention_step: weights must be a 1-D array of numbers ({error})") from None
    if weights.ndim != 1 or not 1 <= weights.size <= 10:
        raise ValueError(f"attention_step: weights must be a 1-D array of 1 to 10 numbers, got shape {weights.shape}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"attention_step: weights must be finite and non-negative, got {weights}")
    if not math.isclose(float(weights.sum()), 1.0, abs_tol=1e-3):
        raise ValueError(f"attention_step: weights must sum to 1 (within 1e-3), got a sum of {weights.sum():.6g}")
    if source is None:
        raise ValueError("attention_step: with weights, give the source tokens too")
    source = list(source)
    if len(source) != weights.size:
        raise ValueError(f"attention_step: {weights.size} weights but {len(source)} source tokens")
    for token in source + ([] if target is None else [target]):
        if not isinstance(token, str) or not 1 <= len(token) <= 3 or any(char in token for char in _MARKUP):
            raise ValueError(
                f"attention_step: tokens must be strings of 1 to 3 characters, none of {_MARKUP}, got {token!r}"
            )
    return weights, [token.replace(" ", "␣") for token in source], target.replace(" ", "␣") if target else target


def _shade(alpha: float) -> str:
    """The arrow colour for weight ``alpha``: black at 1, fading to a light grey at 0."""
    level = int(round(0xDD * (1.0 - alpha) ** 1.5))
    return f"#{level:02x}{level:02x}{level:02x}" if alpha < 1 else FORWARD


def attention_step(
    weights: Sequence[float] | None = None,
    source: Sequence[str] | None = None,
    target: str | None = None,
    S: int = 4,
) -> Diagram:
    r"""One decoder step of the encoder–decoder with attention, from the source to the output.

    Pictures chapter 7 (eq-attention, eq-luong): the encoder states
    :math:`\mathbf{h}^{(j)}_{\text{enc}}` over the source are the keys and the values; the
    decoder state :math:`\mathbf{h}^{(t)} = f(\mathbf{h}^{(t-1)}, y^{(t-1)})` is the query; the
    scores and their softmax give the weights :math:`\alpha^{(t,j)}`; the context is the
    weighted sum :math:`\mathbf{C}^{(t)} = \sum_j \alpha^{(t,j)}\mathbf{h}^{(j)}_{\text{enc}}`;
    the combination layer gives :math:`\bar{\mathbf{h}}^{(t)} = \tanh(\mathbf{W}_C[\mathbf{C}^{(t)};
    \mathbf{h}^{(t)}] + \mathbf{b}_C)` and the output :math:`\mathbf{o}^{(t)} = \mathbf{c} +
    \mathbf{V}\bar{\mathbf{h}}^{(t)}`. Every encoder state is a key: a line below the states taps
    each of them and runs to the softmax, which the query enters from below. The lines of
    :math:`\mathbf{C}^{(t)}` and :math:`\mathbf{h}^{(t)}` join before the one matrix
    :math:`\mathbf{W}_C` of the concatenation.

    Without ``weights`` it is a schematic over ``S`` source positions, each arrow into the sum
    labelled :math:`\alpha^{(t,j)}` just above its state. With ``weights`` (one decoder step's
    :math:`\alpha^{(t,\cdot)}`, a 1-D array over the source positions: non-negative, summing to 1)
    it is drawn from them:
    ``source`` holds the source tokens (one per weight, a space is shown as ␣), ``target`` the
    token written at this step; each arrow into the sum is printed with its weight just above
    its state, and its width and darkness follow it.
    """
    weights, source, target = _check_attention(weights, source, target)
    if weights is None:
        S = _count("attention_step", "S", S, 1, 6)
    else:
        S = weights.size
    dx = min(1.25, 9.0 / S)
    box = dict(w=dx - 0.32, h=0.58, size=10)
    xs = [0.75 + j * dx for j in range(S)]
    right = max(xs[-1] + dx / 2, 5.0)  # the encoder's right edge
    mid = (xs[0] + xs[-1]) / 2
    x_dec = right + 1.6  # the decoder's column
    # Rows: the source, the encoder states, the keys line between them, the weights above the encoder,
    # the sum and the context, the combination layer, the attentional state and the output.
    rows = (0.95, 2.2)
    y_keys = 1.55
    y_weight, y_turn = 3.1, 3.45
    y_sum, y_ctx, y_tanh, y_out = 4.95, 6.05, 7.2, 8.2
    top = y_out + (1.6 if target is not None else 0.65)
    c = Canvas(x_dec + 1.95, top)
    # Source and encoder.
    enc, tokens = [], []
    for j, x_pos in enumerate(xs, start=1):
        token = source[j - 1] if source else _sup("x", j)
        tokens.append(c.vector((x_pos, rows[0]), token, "input", w=min(0.7, dx - 0.2), h=0.5, size=11))
        enc.append(c.vector((x_pos, rows[1]), _enc_label(j), "state", **box))
        if j > 1:
            c.arrow(enc[-2], enc[-1])
    c.region(0.1, 0.1, right, 2.8, "encoder: keys and values", where="bottom left")
    # The keys: every encoder state taps a line below the states, which runs to the softmax. The line
    # stops short of each source arrow it passes, so that arrow reads as crossing over it.
    score = c.gate((x_dec, 3.7), r"$\mathrm{softmax}$", w=1.2)
    tap = min(0.25, box["w"] / 2 - 0.1)  # right of the source arrow into the state's bottom
    gap = 0.12
    x_rise = x_dec - 1.1
    bottom = rows[1] - box["h"] / 2
    # The first state's tap turns into the line; the line then runs on in pieces, one per gap.
    pieces = [[(xs[0] + tap, bottom), (xs[0] + tap, y_keys)]] + [[(x_pos + gap, y_keys)] for x_pos in xs[1:]]
    for j, piece in enumerate(pieces):
        if j + 1 < S:
            _path(c, *piece, (xs[j + 1] - gap, y_keys))
        else:  # out of the encoder and up into the softmax
            _path(c, *piece, (x_rise, y_keys), (x_rise, score.y), score, head=True)
    for x_pos in xs[1:]:  # every later state's tap joins the line from above
        _path(c, (x_pos + tap, bottom), (x_pos + tap, y_keys))
    for token, state in zip(tokens, enc, strict=True):
        c.arrow(token, state)
    c.note((x_rise - 0.1, 3.2), "keys", ha="right")
    # The values: each state's line rises above the encoder, printed with its weight there, then turns to
    # the sum; its width and darkness follow the weight.
    total = c.op((mid, y_sum), r"$\sum$", r=0.27)
    for j, (state, x_pos) in enumerate(zip(enc, xs, strict=True), start=1):
        alpha = None if weights is None else float(weights[j - 1])
        lw = 1.3 if alpha is None else 0.6 + 4.0 * alpha
        color = FORWARD if alpha is None else _shade(alpha)
        # End on the circle, not on its bounding box.
        ux, uy = x_pos - total.x, y_turn - total.y
        norm = math.hypot(ux, uy)
        end = (total.x + 0.27 * ux / norm, total.y + 0.27 * uy / norm)
        c.arrow((x_pos, state.y + state.h / 2), end, via=[(x_pos, y_turn)], lw=lw, color=color)
        label = rf"$\alpha^{{(t,{j})}}$" if alpha is None else f"{alpha:.2f}"
        c.weight((x_pos, y_weight), label, size=10 if alpha is None else 9)
    ctx = c.vector((mid, y_ctx), _sup("C", "t"), "context")
    c.arrow(total, ctx)
    # The decoder step on the right: h(t) from h(t-1) and y(t-1) is the query.
    prev = c.vector((x_dec - 0.7, 0.95), _sup("h", "t-1"), "state", w=1.0)
    y_prev = c.vector((x_dec + 0.7, 0.95), r"$y^{(t-1)}$", "input", w=0.9, h=0.5, size=11)
    h = c.vector((x_dec, 2.2), _sup("h", "t"), "state")
    c.arrow(prev, h)
    c.arrow(y_prev, h)
    c.arrow(h, score)
    c.note((x_dec + 0.12, (h.y + h.h / 2 + score.y - score.h / 2) / 2), "query", ha="left")
    c.arrow(score, total, r"$\alpha^{(t,\cdot)}$", via=[(x_dec, total.y)], label_at=0.75)
    # The combination layer reads [C(t); h(t)] through one matrix: the two lines join, then W_C.
    combine = c.gate((x_dec - 0.6, y_tanh), r"$\tanh$")
    join = (combine.x, y_ctx)
    _path(c, ctx, join)
    _path(c, h, (x_dec + 1.35, h.y), (x_dec + 1.35, y_ctx), join)
    c.arrow(join, combine, r"$\mathbf{W}_C$", via=[(combine.x, (y_ctx + y_tanh) / 2)], label_at=0.4)
    hbar = c.vector((combine.x, y_out), r"$\bar{\mathbf{h}}^{(t)}$", "state")
    c.arrow(combine, hbar)
    o = c.vector((x_dec + 1.3, y_out), _sup("o", "t"), "output", w=0.95)
    c.arrow(hbar, o, _V)
    if target is not None:
        written = c.vector((x_dec + 1.3, y_out + 1.05), target, "output", w=0.7, h=0.5, size=11)
        c.arrow(o, written)
    c.region(x_dec - 1.35, 0.1, x_dec + 1.85, top - 0.1, "decoder step t", where="bottom right")
    if weights is None:
        fan = f"printed with its weight just above the state, {_span('alpha', 1, S).replace('(', '(t,')};"
        where = f"The source {_span('x', 1, S)} is read by the encoder into states {_span('h_enc', 1, S)}, the keys "
    else:
        said = ["a space" if token == "␣" else f"'{token}'" for token in source]
        order = np.argsort(-weights, kind="stable")[:2]
        top = " and ".join(f"{said[k]} (position {k + 1}, weight {weights[k]:.2f})" for k in order)
        fan = f"printed with its weight just above the state and as wide and as dark as it, the heaviest on {top};"
        where = (
            f"The source tokens {', '.join(said)} are read by the encoder into states {_span('h_enc', 1, S)}, the keys "
        )
    alt = (
        where + "and values. A line below the encoder states taps every one of them and carries the keys to a "
        "softmax. The decoder state h(t), computed from h(t-1) and the previous token y(t-1), is the query: the "
        "softmax of its scores against the keys gives the weights alpha(t, j). Each encoder state also has an "
        f"arrow up into a weighted sum, {fan} the sum is the context C(t). The lines from C(t) and from h(t) join "
        "into one, which enters a tanh layer through W_C, giving h-bar(t), which gives the output o(t) through V"
        + ("." if target is None else ", and the output token " + ("a space." if target == "␣" else f"'{target}'."))
    )
    return c.diagram(alt)
