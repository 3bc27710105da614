"""The computational-graph diagrams (rnncore.diagrams.graphs): what each draws, read back from its SVG."""

from collections import Counter

import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from svg_labels import alt_text, labels

from rnncore.diagrams import DIAGRAMS, Diagram, graphs
from rnncore.diagrams._canvas import GRADIENT


def read_back(diagram):
    """The diagram's SVG parsed: (alt text, Counter of label texts); checks the common contract first."""
    assert isinstance(diagram, Diagram)
    assert isinstance(diagram.figure, Figure)
    svg = diagram.svg()
    alt = alt_text(svg)
    assert alt and alt.strip() == diagram.alt and len(alt.split()) >= 15, "the alt text should be sentences"
    found = labels(svg)
    assert None not in found, "every label carries its plain text as a <title>"
    return alt, Counter(found)


def unrolled(T, outputs=True, losses=False):
    """The labels of the unfolded network: h(0), then x(t), h(t), U, W (and o(t), V, L(t)) for every step."""
    expected = Counter({"h(0)": 1, "U": T, "W": T})
    for t in range(1, T + 1):
        expected.update([f"x({t})", f"h({t})"])
        if outputs:
            expected.update([f"o({t})", "V"])
        if losses:
            expected.update([f"L({t})"])
    return expected


def test_every_function_is_registered():
    assert set(graphs.__all__) <= set(DIAGRAMS)
    for name in graphs.__all__:
        assert getattr(graphs, name).__doc__, f"{name} needs a docstring"


# ------------------------------------------------------------------ unfolding


@pytest.mark.parametrize("T", [1, 2, 4, 6])
@pytest.mark.parametrize(("outputs", "losses"), [(True, False), (True, True), (False, False)])
def test_unrolled_rnn_draws_one_copy_of_each_quantity_per_step(T, outputs, losses):
    alt, found = read_back(graphs.unrolled_rnn(T, outputs=outputs, losses=losses))
    assert found == unrolled(T, outputs, losses)
    assert f"x({T})" in alt and f"h({T})" in alt and ("L(t)" in alt) == losses


def test_unrolled_rnn_default_is_four_steps_with_outputs():
    _, found = read_back(graphs.unrolled_rnn())
    assert found == unrolled(4)


@pytest.mark.parametrize("T", [1, 2, 3, 4])
@pytest.mark.parametrize("losses", [False, True])
def test_folded_and_unfolded_is_one_folded_step_beside_the_unrolled_graph(T, losses):
    alt, found = read_back(graphs.folded_and_unfolded(T, losses=losses))
    folded = Counter(["x(t)", "h(t)", "o(t)", "U", "W", "V", "delay of one step"] + ["L(t)"] * losses)
    assert found == folded + Counter(["unfold"]) + unrolled(T, losses=losses)
    assert "folded" in alt and "delay of one step" in alt


@pytest.mark.parametrize(
    ("function", "kwargs"),
    [
        (graphs.unrolled_rnn, dict(T=0)),
        (graphs.unrolled_rnn, dict(T=7)),
        (graphs.unrolled_rnn, dict(T=2.0)),
        (graphs.unrolled_rnn, dict(T=True)),
        (graphs.unrolled_rnn, dict(T=3, outputs=False, losses=True)),
        (graphs.folded_and_unfolded, dict(T=0)),
        (graphs.folded_and_unfolded, dict(T=5)),
        (graphs.folded_and_unfolded, dict(T="3")),
        (graphs.folded_and_unfolded, dict(outputs=False, losses=True)),
        (graphs.task_shapes, dict(T=2)),
        (graphs.task_shapes, dict(T=5)),
        (graphs.bptt_graph, dict(T=1)),
        (graphs.bptt_graph, dict(T=7)),
        (graphs.graphical_model, dict(T=1)),
        (graphs.graphical_model, dict(T=6)),
        (graphs.graphical_model, dict(T=-3)),
    ],
)
def test_bad_arguments_raise_a_value_error_naming_the_function(function, kwargs):
    with pytest.raises(ValueError, match=function.__name__):
        function(**kwargs)


# ------------------------------------------------------------------ Elman


def test_elman_network_has_input_context_hidden_and_output_units():
    alt, found = read_back(graphs.elman_network())
    # h(t) = σ(U x(t) + W h(t-1)), x̂(t+1) = φ(V h(t)); the context units hold h(t-1), copied with a delay.
    assert found == Counter(
        ["x(t)", "h(t-1)", "σ", "h(t)", "φ", "x̂(t+1)", "U", "W", "V"]
        + ["input units", "context units", "hidden units", "output units", "copy, delay of one step"]
    )
    assert "context units" in alt and "copies" in alt


# ------------------------------------------------------------------ task shapes


@pytest.mark.parametrize("T", [3, 4])
def test_task_shapes_has_four_panels_with_inputs_and_outputs_where_the_task_puts_them(T):
    alt, found = read_back(graphs.task_shapes(T))
    steps = range(1, T + 1)
    states = Counter(f"h({t})" for t in steps)
    sequence_in = Counter(f"x({t})" for t in steps)
    sequence_out = Counter(f"o({t})" for t in steps)
    expected = (
        Counter(["sequence → sequence"]) + sequence_in + states + sequence_out
        + Counter(["sequence → vector", f"o({T})"]) + sequence_in + states
        + Counter(["vector → sequence", "x"]) + states + sequence_out
        + Counter(["vector → sequence, fed at every step", "x"]) + states + sequence_out
    )  # fmt: skip
    assert found == expected
    assert all(shape in alt for shape in ("Sequence to sequence", "Sequence to vector", "Vector to sequence"))


# ------------------------------------------------------------------ BPTT


@pytest.mark.parametrize("T", [2, 3, 5, 6])
def test_bptt_graph_is_the_unrolled_graph_with_losses_and_one_sum_for_w(T):
    alt, found = read_back(graphs.bptt_graph(T))
    assert found == unrolled(T, losses=True) + Counter(["∇W L", "the terms of all steps add up", "forward", "gradient"])
    assert "dashed" in alt and "add up" in alt


def test_bptt_graph_draws_one_gradient_arrow_per_path():
    """Per step: L(t)→o(t), o(t)→h(t), h(t)→h(t-1) and one term into ∇W L; plus the legend's dashed arrow."""
    T = 4
    patches = graphs.bptt_graph(T).figure.axes[0].patches
    gradient = [
        p for p in patches if isinstance(p, FancyArrowPatch) and to_rgba(p.get_edgecolor()) == to_rgba(GRADIENT)
    ]
    assert len(gradient) == 4 * T + 1


# ------------------------------------------------------------------ graphical model


@pytest.mark.parametrize("T", [2, 3, 4, 5])
def test_graphical_model_shows_outputs_alone_and_with_the_state(T):
    alt, found = read_back(graphs.graphical_model(T))
    outputs = Counter(f"y({t})" for t in range(1, T + 1))
    states = Counter(f"h({t})" for t in range(1, T + 1))
    notes = Counter(
        [
            "without a state: the chain rule",
            "y(t) has t − 1 parents",
            "the RNN: h(t) summarises the past",
            "y(t) has one parent, the deterministic h(t)",
        ]
    )
    assert found == outputs + outputs + states + notes
    assert f"{T - 1} earlier outputs" in alt


@pytest.mark.parametrize("T", [2, 3, 4, 5])
def test_graphical_model_draws_every_parent_edge(T):
    """Left, T(T-1)/2 edges (every earlier output to every later one); right, h→y, h→h and y→h: 3T - 2."""
    figure = graphs.graphical_model(T).figure
    arrows = [p for p in figure.axes[0].patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == T * (T - 1) // 2 + 3 * T - 2


@pytest.mark.parametrize("name", graphs.__all__)
def test_diagrams_are_deterministic(name):
    function = getattr(graphs, name)
    assert function().svg() == function().svg()
