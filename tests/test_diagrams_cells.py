"""The cell diagrams of chapters 3 to 5: each draws the labels of its equations, in SVG, with alt text.

The expected labels are written out from the equations the pictures draw
(the chapters' notation), not read from the output.
"""

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path as MplPath
from svg_labels import alt_text, labels

from rnncore.diagrams import DIAGRAMS, cells, plain
from rnncore.skip import _source

# The labels every picture of an LSTM or GRU step shares.
STEP = {"x(t)", "h(t-1)", "h(t)", "σ", "tanh", "⊙", "+"}


def read_back(diagram):
    """The labels and alt text as the SVG file carries them, after checking the basics."""
    assert isinstance(diagram.figure, Figure)
    svg = diagram.svg()
    alt = alt_text(svg)
    assert alt and alt == diagram.alt and len(alt.split()) >= 15, "alt text should be a sentence or two"
    found = labels(svg)
    assert None not in found, "every label carries its plain text"
    return found, alt


def test_every_function_is_listed():
    assert set(cells.__all__) == {"leaky_unit", "skip_connections", "lstm_cell", "gru_cell", "gru_reset_placement"}
    for name in cells.__all__:
        assert DIAGRAMS[name] is getattr(cells, name)
        assert getattr(cells, name).__doc__, f"{name} needs a docstring"


# --------------------------------------------------------------------------- chapter 3


def test_leaky_unit():
    found, alt = read_back(cells.leaky_unit())
    # h(t) = α h(t-1) + (1 − α) ĥ(t),  ĥ(t) = tanh(b + W h(t-1) + U x(t))
    expected = {"x(t)", "h(t-1)", "h(t)", "h\u0302(t)", "tanh", "W", "U", "α", "1-", "⊙", "+"}
    assert set(found) - {"the linear path: factor α"} == expected
    counts = Counter(found)
    assert counts["⊙"] == 2 and counts["+"] == 1 and counts["α"] == 1, "α times the old state, 1 − α times ĥ(t)"
    assert "α" in alt and "1 − α" in alt


SKIPS = [(T, d) for d in range(2, 6) for T in range(d + 1, 8)]


@pytest.mark.parametrize(("T", "d"), SKIPS)
def test_skip_connections_draws_h0_T_steps_and_a_skip_into_every_step(T, d):
    found, alt = read_back(cells.skip_connections(T=T, d=d))
    # h(t) = tanh(b + W h(t-1) + W_d h(t-d) + U x(t)) for t = 1..T, with h(s) = h(0) for s ≤ 0 (rnncore.skip).
    states = {f"h({k})" for k in range(0, T + 1)}
    inputs = {f"x({k})" for k in range(1, T + 1)}
    assert set(found) == states | inputs | {"W", "U", "Wd"}
    counts = Counter(found)
    assert all(counts[label] == 1 for label in states | inputs)
    assert counts["U"] == T, "one input weight per step"
    assert counts["W"] == T, "h(t-1) into every step, h(0) into h(1)"
    assert counts["Wd"] == T, "h(t-d) into every step: from h(0) for t ≤ d, then from h(t-d)"
    assert f"d = {d}" in alt and f"h({T})" in alt and "h(0)" in alt


@pytest.mark.parametrize(("T", "d"), [(6, 2), (7, 3), (7, 5)])
def test_skip_connections_arcs_join_the_states_rnncore_skip_uses(T, d):
    """Each arc runs from the state that skip_rnn_forward reads as h(t-d) (h(0) for t ≤ d) into h(t)."""
    ax = cells.skip_connections(T=T, d=d).figure.axes[0]
    x_of = {plain(t.get_text()): t.get_position()[0] for t in ax.texts if plain(t.get_text()).startswith("h(")}
    xs = [x_of[f"h({k})"] for k in range(T + 1)]
    top = max(t.get_position()[1] for t in ax.texts if plain(t.get_text()).startswith("h("))
    arcs = set()
    for patch in ax.patches:
        if isinstance(patch, FancyArrowPatch):
            path = patch.get_path()
            line = path.vertices[: np.flatnonzero(path.codes == MplPath.MOVETO)[1]]  # the arc, before its head
            if line[:, 1].max() > top + 0.6:  # over the chain, not a W or U arrow
                arcs.add(tuple(int(np.argmin([abs(x - s) for s in xs])) for x in (line[0][0], line[-1][0])))
    assert arcs == {(_source(t, d), t) for t in range(1, T + 1)}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"d": 1},
        {"d": 6},
        {"d": 2.0},
        {"d": True},
        {"T": 2, "d": 2},
        {"T": 8},
        {"T": 5, "d": 5},
        {"T": "6"},
    ],
)
def test_skip_connections_rejects_bad_sizes(kwargs):
    with pytest.raises(ValueError, match="skip_connections"):
        cells.skip_connections(**kwargs)


# --------------------------------------------------------------------------- chapter 4

LSTM = STEP | {"s(t-1)", "s(t)", "i(t)", "f(t)", "g(t)", "o(t)", "[Wi Ui]", "[Wf Uf]", "[Wg Ug]", "[Wo Uo]"}


@pytest.mark.parametrize("peepholes", [False, True])
def test_lstm_cell(peepholes):
    found, alt = read_back(cells.lstm_cell(peepholes=peepholes))
    assert set(found) == LSTM | ({"pi", "pf", "po"} if peepholes else {"constant error carousel"})
    counts = Counter(found)
    # σ for i, f, o; tanh for the candidate layer and for s(t); ⊙ for f ⊙ s, i ⊙ g, o ⊙ tanh(s).
    assert (counts["σ"], counts["tanh"], counts["⊙"], counts["+"]) == (3, 2, 3, 1)
    assert ("constant error carousel" in alt) != peepholes, "the carousel is the path without peepholes"
    assert ("p_i" in alt) == peepholes


def test_lstm_cell_rejects_a_non_boolean_flag():
    with pytest.raises(ValueError, match="lstm_cell: peepholes"):
        cells.lstm_cell(peepholes="yes")


# --------------------------------------------------------------------------- chapter 5

GRU = STEP | {"r(t)", "z(t)", "1-", "[Wr Ur]", "[Wz Uz]", "Wn", "Un"}


@pytest.mark.parametrize("variant", ["lecture", "torch"])
@pytest.mark.parametrize(("candidate", "name"), [("h_tilde", "h\u0303(t)"), ("n", "n(t)")])
def test_gru_cell(variant, candidate, name):
    found, alt = read_back(cells.gru_cell(variant=variant, candidate=candidate))
    assert set(found) == GRU | {name}
    counts = Counter(found)
    # σ for r and z, tanh for the candidate; ⊙ for r ⊙ h, and the two products of the update.
    assert (counts["σ"], counts["tanh"], counts["⊙"], counts["1-"]) == (2, 1, 3, 1)
    assert name in alt
    assert ("lecture" in alt) == (variant == "lecture")


@pytest.mark.parametrize("kwargs", [{"variant": "pytorch"}, {"candidate": "h"}, {"variant": None}])
def test_gru_cell_rejects_unknown_forms(kwargs):
    with pytest.raises(ValueError, match="gru_cell"):
        cells.gru_cell(**kwargs)


def test_gru_reset_placement():
    found, alt = read_back(cells.gru_reset_placement())
    panels = {"reset before the product (lecture)", "reset after the product (PyTorch)"}
    assert set(found) == {"h(t-1)", "x(t)", "r(t)", "h\u0303(t)", "tanh", "⊙", "Wn", "Un"} | panels
    counts = Counter(found)
    assert all(counts[label] == 2 for label in set(found) - panels), "the same parts in both panels"
    assert "before" in alt and "after" in alt


# --------------------------------------------------------------------------- in the book

BOOK = Path(__file__).resolve().parent.parent / "book"
FIGURE_CELL = re.compile(
    r"```\{code-cell\} python3\n---\n(?P<meta>(?:(?!```).)*?)\n---\n"
    r"from rnncore\.diagrams import \w+\n\n(?P<call>.*?)\n```",
    re.DOTALL,
)


def diagram_cells():
    for chapter in ("03_long_term.md", "04_lstm.md", "05_gru.md"):
        for match in FIGURE_CELL.finditer((BOOK / chapter).read_text(encoding="utf-8")):
            yield pytest.param(match["meta"], match["call"], id=f"{chapter}:{match['call']}")


@pytest.mark.parametrize(("meta", "call"), list(diagram_cells()))
def test_each_figure_in_the_book_carries_its_diagram_alt_text(meta, call):
    meta = yaml.safe_load(meta)
    diagram = eval(call, vars(cells))  # a call such as lstm_cell(peepholes=True), as the chapter writes it
    assert meta["mystnb"]["image"]["alt"] == diagram.alt
    assert meta["mystnb"]["figure"]["name"].startswith("fig-") and meta["mystnb"]["figure"]["caption"]


def test_every_cell_diagram_is_in_the_book():
    calls = {param.values[1].split("(")[0] for param in diagram_cells()}
    assert calls == {"leaky_unit", "skip_connections", "lstm_cell", "gru_cell", "gru_reset_placement"}
