"""The architecture diagrams (rnncore.diagrams.architectures): each draws the labels of its picture.

Expected labels are written out from the pictures of the lectures and the
book's equations, in the plain text the SVG carries (``h(t-1)``, ``Wy``, ``α(t,1)``).
"""

from collections import Counter

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path
from svg_labels import alt_text, labels

from rnncore.diagrams import (
    DIAGRAMS,
    Diagram,
    attention_step,
    bidirectional_rnn,
    deep_transition,
    encoder_decoder,
    plain,
    stacked_rnn,
    teacher_forcing,
)
from rnncore.diagrams import architectures as module


def read(diagram):
    """The diagram's labels as a multiset, after checking it is a well-formed, described figure."""
    assert isinstance(diagram, Diagram)
    assert isinstance(diagram.figure, Figure)
    svg = diagram.svg()
    alt = alt_text(svg)  # parses the SVG and requires the <svg> root
    assert alt and alt == diagram.alt and len(alt.split()) > 20
    found = labels(svg)
    assert None not in found, "every label carries its plain text"
    return Counter(found)


def test_every_function_is_listed_and_documented():
    assert set(module.__all__) <= set(DIAGRAMS)
    for name in module.__all__:
        function = getattr(module, name)
        assert function.__doc__ and len(function.__doc__.split()) > 30, name
        read(function())


# ---------------------------------------------------------------- teacher forcing

STEP = {"x(t-1)", "h(t-1)", "o(t-1)", "x(t)", "h(t)", "o(t)", "U", "V", "Wy"}
TRAINING = {"L(t-1)", "L(t)", "y(t-1)", "y(t)", "training: teacher forcing"}


@pytest.mark.parametrize("hidden_to_hidden", [False, True])
def test_teacher_forcing(hidden_to_hidden):
    found = read(teacher_forcing(hidden_to_hidden))
    expected = STEP | TRAINING | {"test time: free running"} | ({"W"} if hidden_to_hidden else set())
    assert set(found) == expected
    # Two panels of two steps; the targets and losses only in training.
    assert found["h(t)"] == found["o(t-1)"] == 2
    assert found["y(t-1)"] == found["L(t)"] == 1
    assert found["Wy"] == 2, "y(t-1) in training, o(t-1) at test time: each enters h(t) through W_y"
    assert found["W"] == (2 if hidden_to_hidden else 0)


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_teacher_forcing_rejects_bad_flag(bad):
    with pytest.raises(ValueError, match="teacher_forcing: hidden_to_hidden"):
        teacher_forcing(bad)


def test_teacher_forcing_alt_says_what_is_fed_back():
    alt = teacher_forcing().alt
    assert "true target y(t-1)" in alt and "own output o(t-1)" in alt


# ---------------------------------------------------------------- deep networks


@pytest.mark.parametrize("n_layers", [1, 2, 3, 4])
@pytest.mark.parametrize("T", [1, 2, 3, 5])
def test_stacked_rnn(n_layers, T):
    found = read(stacked_rnn(n_layers, T))
    states = {f"h({t}){layer}" for t in range(1, T + 1) for layer in range(1, n_layers + 1)}
    expected = (
        {f"x({t})" for t in range(1, T + 1)}
        | {f"o({t})" for t in range(1, T + 1)}
        | states
        | {f"U{layer}" for layer in range(1, n_layers + 1)}
        | ({f"W{layer}" for layer in range(1, n_layers + 1)} if T > 1 else set())
        | {"V"}
        | {f"ℓ = {layer}" for layer in range(1, n_layers + 1)}
    )
    assert set(found) == expected
    assert sum(found[s] for s in states) == n_layers * T, "one state per layer and step"
    # Every layer reads the one below at every step; every layer feeds itself forward T - 1 times.
    assert all(found[f"U{layer}"] == T for layer in range(1, n_layers + 1))
    assert all(found[f"W{layer}"] == T - 1 for layer in range(1, n_layers + 1))
    assert found["V"] == T, "only the top layer feeds the outputs"


@pytest.mark.parametrize(("n_layers", "T"), [(0, 3), (5, 3), (3, 0), (3, 6), (2.0, 3), (True, 3), ("2", 3)])
def test_stacked_rnn_rejects_bad_sizes(n_layers, T):
    with pytest.raises(ValueError, match="stacked_rnn: (n_layers|T) must be an integer"):
        stacked_rnn(n_layers, T)


@pytest.mark.parametrize("deep_output", [False, True])
def test_deep_transition(deep_output):
    found = read(deep_transition(deep_output))
    expected = {"h(t-1)", "x(t)", "h(t)", "o(t)", "tanh", "W", "U", "Wtr", "V", "deep transition"}
    if deep_output:
        expected |= {"Wout", "deep output"}
    assert set(found) == expected
    assert found["tanh"] == (3 if deep_output else 2), "two layers in the transition, one more in a deep output"


def test_deep_transition_rejects_bad_flag():
    with pytest.raises(ValueError, match="deep_transition: deep_output"):
        deep_transition("no")


# ---------------------------------------------------------------- bidirectional


@pytest.mark.parametrize("T", [1, 2, 3, 4, 5])
def test_bidirectional_rnn(T):
    found = read(bidirectional_rnn(T))
    steps = range(1, T + 1)
    expected = (
        {f"x({t})" for t in steps}
        | {f"h→({t})" for t in steps}
        | {f"h←({t})" for t in steps}
        | {f"o({t})" for t in steps}
        | ({"left to right", "right to left"} if T > 1 else set())
    )
    assert set(found) == expected
    assert sum(n for label, n in found.items() if label.startswith(("h→", "h←"))) == 2 * T


@pytest.mark.parametrize("T", [0, 6, 2.5, None])
def test_bidirectional_rnn_rejects_bad_T(T):
    with pytest.raises(ValueError, match="bidirectional_rnn: T"):
        bidirectional_rnn(T)


# ---------------------------------------------------------------- encoder–decoder


@pytest.mark.parametrize(("S", "T"), [(1, 1), (2, 3), (3, 3), (4, 2), (4, 4)])
@pytest.mark.parametrize("context", ["initial", "every step"])
def test_encoder_decoder(S, T, context):
    found = read(encoder_decoder(S, T, context))
    expected = (
        {f"x({j})" for j in range(1, S + 1)}
        | {f"h({j})enc" for j in range(1, S + 1)}
        | {"C", "bottleneck", "encoder", "decoder", "⟨bos⟩"}
        | {f"h({t})" for t in range(1, T + 1)}
        | {f"y({t})" for t in range(1, T + 1)}
    )
    assert set(found) == expected
    assert found["C"] == 1, "one context vector"


@pytest.mark.parametrize(("S", "T"), [(2, 1), (3, 3), (1, 4)])
def test_encoder_decoder_teacher_forced(S, T):
    found = read(encoder_decoder(S, T, teacher_forcing=True))
    expected = (
        {f"x({j})" for j in range(1, S + 1)}
        | {f"h({j})enc" for j in range(1, S + 1)}
        | {"C", "bottleneck", "encoder", "decoder", "⟨bos⟩", "V"}
        | {f"h({t})" for t in range(1, T + 1)}
        | {f"o({t})" for t in range(1, T + 1)}
        | {f"L({t})" for t in range(1, T + 1)}
        | {f"y({t})" for t in range(1, T + 1)}
    )
    assert set(found) == expected
    # y(t) is the target of step t and, except for the last, the input of step t + 1.
    assert [found[f"y({t})"] for t in range(1, T + 1)] == [2] * (T - 1) + [1]


def test_encoder_decoder_every_step_says_so():
    assert "every later decoder state" in encoder_decoder(context="every step").alt
    assert "every later decoder state" not in encoder_decoder().alt


@pytest.mark.parametrize(
    "kwargs",
    [{"S": 0}, {"S": 5}, {"T": 0}, {"T": 1.0}, {"context": "always"}, {"teacher_forcing": 1}],
)
def test_encoder_decoder_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="encoder_decoder: "):
        encoder_decoder(**kwargs)


# ---------------------------------------------------------------- attention

DECODER_STEP = {
    "Σ", "C(t)", "h(t-1)", "y(t-1)", "h(t)", "softmax", "query", "keys", "α(t,·)",
    "tanh", "WC", "h̄(t)", "o(t)", "V", "encoder: keys and values", "decoder step t",
}  # fmt: skip


@pytest.mark.parametrize("S", [1, 2, 4, 6])
def test_attention_step_schematic(S):
    found = read(attention_step(S=S))
    positions = range(1, S + 1)
    expected = {f"x({j})" for j in positions} | {f"h({j})enc" for j in positions} | {f"α(t,{j})" for j in positions}
    assert set(found) == expected | DECODER_STEP
    assert sum(found[f"α(t,{j})"] for j in positions) == S, "one weight on each arrow into the sum"


def test_attention_step_from_weights():
    weights = np.array([0.08, 0.88, 0.04, 0.0, 0.0, 0.0, 0.0, 0.0])
    diagram = attention_step(weights, list("03.07.91"), "3")
    found = read(diagram)
    expected = set("03.791") | {f"h({j})enc" for j in range(1, 9)} | {"0.08", "0.88", "0.04", "0.00"} | DECODER_STEP
    assert set(found) == expected
    assert found["0"] == 2 and found["."] == 2 and found["3"] == 2, "source tokens, and the target '3'"
    assert found["0.00"] == 5
    assert "'3' (position 2, weight 0.88)" in diagram.alt


def test_attention_step_arrows_follow_the_weights():
    weights = [0.1, 0.6, 0.3]
    ax = attention_step(weights, ["a", "b", "c"], "z").figure.axes[0]
    # Every other arrow has the canvas's default width; the three into the sum, in source order, do not.
    fan = [p for p in ax.patches if isinstance(p, FancyArrowPatch) and p.get_linewidth() != 1.3]
    assert len(fan) == 3
    width = [p.get_linewidth() for p in fan]
    grey = [float(np.mean(p.get_edgecolor()[:3])) for p in fan]
    assert width[0] < width[2] < width[1], "wider for a larger weight"
    assert grey[1] < grey[2] < grey[0], "darker for a larger weight"


def test_attention_step_shows_spaces():
    found = read(attention_step([0.5, 0.5], ["a", " "], " "))
    assert found["␣"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0.5, 0.6], ["a", "b"], "c"), "sum to 1"),
        (([1.2, -0.2], ["a", "b"], "c"), "non-negative"),
        (([0.5, np.nan], ["a", "b"], "c"), "finite"),
        (([0.5, 0.5], ["a", "b", "c"], "c"), "2 weights but 3 source tokens"),
        (([[0.5, 0.5]], ["a", "b"], "c"), "1-D"),
        ((np.full(11, 1 / 11), list("abcdefghijk"), "c"), "1 to 10"),
        (([], [], "c"), "1 to 10"),
        (([0.5, 0.5], None, "c"), "source tokens too"),
        (([0.5, 0.5], ["a", "bbbb"], "c"), "tokens must be strings"),
        (([0.5, 0.5], ["a", 3], "c"), "tokens must be strings"),
        (([0.5, 0.5], ["a", "$"], "c"), "tokens must be strings"),
        (([0.5, 0.5], ["a", "b"], "x_1"), "tokens must be strings"),
        ((None, ["a", "b"], "c"), "need weights"),
        ((["x", "y"], ["a", "b"], "c"), "numbers"),
    ],
)
def test_attention_step_rejects_bad_weights(args, message):
    with pytest.raises(ValueError, match=message):
        attention_step(*args)


@pytest.mark.parametrize("S", [0, 7, 2.0])
def test_attention_step_rejects_bad_S(S):
    with pytest.raises(ValueError, match="attention_step: S"):
        attention_step(S=S)


def test_attention_step_accepts_float32_weights_and_no_target():
    weights = np.array([0.2, 0.3, 0.5], dtype=np.float32)
    found = read(attention_step(weights, ["x", "y", "z"]))
    assert {"0.20", "0.30", "0.50"} <= set(found)


def _drawn(diagram):
    """The positions of the diagram's labels (plain text → list of (x, y)) and the vertices of its lines."""
    ax = diagram.figure.axes[0]
    where = {}
    for text in ax.texts:
        where.setdefault(plain(text.get_text()), []).append(np.array(text.get_position()))
    lines = []
    for patch in ax.patches:
        if isinstance(patch, FancyArrowPatch):  # the line itself: the path's first piece, before its head's
            path = patch.get_path()
            moves = np.flatnonzero(path.codes == Path.MOVETO) if path.codes is not None else [0]
            lines.append(path.vertices[: moves[1] if len(moves) > 1 else len(path.vertices)])
    return where, lines


@pytest.mark.parametrize("S", [1, 4, 6])
def test_attention_step_takes_a_key_from_every_encoder_state(S):
    """eq-attention scores every k(j): a line leaves each state, beside its source arrow, and runs into the softmax."""
    where, lines = _drawn(attention_step(S=S))
    states = [where[f"h({j})enc"][0] for j in range(1, S + 1)]
    for x, y in states:
        taps = [v for v in lines if x + 0.05 < v[0][0] < x + 0.5 and y - 0.4 < v[0][1] < y and v[1][1] < v[0][1]]
        assert taps, f"no key line leaves the state at x = {x:.2f}"
    softmax = where["softmax"][0]
    into = [v for v in lines if abs(v[-1][1] - softmax[1]) < 0.1 and v[-1][0] < softmax[0]]
    assert len(into) == 1 and into[0][:, 1].min() < min(y for _, y in states) - 0.3, "the keys run below the states"


def test_attention_step_applies_W_C_once_to_the_joined_context_and_state():
    """eq-luong: tanh(W_C [C(t); h(t)] + b_C): the lines of C(t) and h(t) meet, then one arrow through W_C."""
    where, lines = _drawn(attention_step())
    (wx, wy), context, state = where["WC"][0], where["C(t)"][0], where["h(t)"][0]
    through = [v for v in lines if np.isclose(v[0][0], wx) and v[0][1] < wy < v[-1][1]]
    assert len(through) == 1
    join = through[0][0]
    ending = [v for v in lines if np.allclose(v[-1], join)]
    assert sorted(round(float(v[0][1]), 2) for v in ending) == sorted([context[1], state[1]]), "from C(t) and h(t)"


def test_attention_step_prints_each_weight_just_above_its_state():
    weights = [0.08, 0.88, 0.04, 0.0, 0.0, 0.0, 0.0, 0.0]
    ax = attention_step(weights, list("03.07.91"), "3").figure.axes[0]
    states = [t.get_position() for t in ax.texts if plain(t.get_text()).endswith("enc")]
    printed = [t.get_position() for t in ax.texts if len(t.get_text()) == 4 and t.get_text()[1] == "."]
    assert len(states) == len(printed) == 8
    for (x, y), (px, py) in zip(states, printed, strict=True):
        assert px == pytest.approx(x) and 0.5 < py - y < 1.2, "centred on its own state, just above it"
