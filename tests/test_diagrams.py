"""The diagrams' visual language, and what every diagram of the book must satisfy.

The per-diagram tests (which labels each one draws) are in
test_diagrams_graphs.py, test_diagrams_cells.py and test_diagrams_architectures.py.
"""

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pytest
import svg_labels
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rnncore.diagrams import DIAGRAMS, Canvas, Diagram, plain
from rnncore.diagrams._canvas import FILL, FORWARD, GRADIENT, UNIT

# ------------------------------------------------------------------ colour

# Machado, Oliveira & Fernandes (2009), severity 1: linear-RGB matrices that
# simulate the three dichromacies.
DICHROMACY = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
VECTOR_ROLES = ["input", "state", "cell", "output", "loss", "context", "weight"]


def linear_rgb(hex_colour):
    c = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def cielab(rgb):
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def contrast_with_black(hex_colour):
    """WCAG's contrast ratio of black text on this fill."""
    return (linear_rgb(hex_colour) @ [0.2126, 0.7152, 0.0722] + 0.05) / 0.05


@pytest.mark.parametrize("role", sorted(FILL))
def test_black_labels_read_on_every_fill(role):
    assert contrast_with_black(FILL[role]) >= 9.0


@pytest.mark.parametrize("vision", ["normal", *DICHROMACY])
def test_vector_roles_stay_apart_for_colour_blind_readers(vision):
    matrix = np.eye(3) if vision == "normal" else np.array(DICHROMACY[vision])
    seen = {role: cielab(np.clip(matrix @ linear_rgb(FILL[role]), 0, 1)) for role in VECTOR_ROLES}
    closest = min((np.linalg.norm(seen[a] - seen[b]), a, b) for a, b in itertools.combinations(VECTOR_ROLES, 2))
    assert closest[0] >= 10.0, f"{vision}: {closest[1]} and {closest[2]} are only ΔE {closest[0]:.1f} apart"


def test_gradients_are_dashed_and_forward_arrows_solid():
    """So that a gradient path reads as one in grey print, not by its colour alone."""
    c = Canvas(4, 2)
    a, b = c.vector((1, 1), "$a$"), c.vector((3, 1), "$b$")
    forward, backward = c.arrow(a, b), c.arrow(b, a, gradient=True, bend=0.3)
    assert forward.get_linestyle() in ("-", "solid")
    assert backward.get_linestyle() not in ("-", "solid")
    assert forward.get_edgecolor()[:3] != backward.get_edgecolor()[:3]
    assert FORWARD != GRADIENT


# ------------------------------------------------------------------ labels


@pytest.mark.parametrize(
    "label, text",
    [
        (r"$\mathbf{h}^{(t-1)}$", "h(t-1)"),
        (r"$\mathbf{s}^{(t)}$", "s(t)"),
        (r"$\tilde{\mathbf{h}}^{(t)}$", "h\u0303(t)"),
        (r"$\sigma$", "σ"),
        (r"$\odot$", "⊙"),
        (r"$\mathbf{W}_d$", "Wd"),
        (r"$\alpha^{(t,j)}$", "α(t,j)"),
        (r"$\mathbf{h}^{(t)}_{\ell}$", "h(t)ℓ"),
        ("copy", "copy"),
    ],
)
def test_plain_text_of_a_label(label, text):
    assert plain(label) == text


# ------------------------------------------------------------------ every diagram of the book


@pytest.fixture(scope="module", params=sorted(DIAGRAMS))
def drawn(request):
    """Each diagram at its defaults: (name, Diagram, its SVG text)."""
    before = plt.get_fignums()
    diagram = DIAGRAMS[request.param]()
    assert plt.get_fignums() == before, "a diagram must not open a pyplot figure (a notebook would show it twice)"
    return request.param, diagram, diagram.svg()


def test_there_are_diagrams():
    assert len(DIAGRAMS) >= 11


def test_returns_a_figure_with_alt_text(drawn):
    name, diagram, svg = drawn
    assert isinstance(diagram, Diagram) and isinstance(diagram.figure, Figure)
    assert len(diagram.alt.split()) >= 8, f"{name}: the alt text should be a sentence a listener can follow"
    assert svg_labels.alt_text(svg) == diagram.alt


def test_svg_is_small_vector_and_every_label_has_its_text(drawn):
    name, diagram, svg = drawn
    assert "<image" not in svg, f"{name}: no raster images inside"
    assert len(svg) < 250_000, f"{name}: {len(svg)} bytes"
    labels = svg_labels.labels(svg)
    assert labels == diagram.labels and all(labels), name


def test_is_deterministic(drawn):
    name, diagram, svg = drawn
    assert DIAGRAMS[name]().svg() == svg


def test_fits_the_text_column(drawn):
    name, diagram, _ = drawn
    width, height = diagram.figure.get_size_inches()
    assert width <= 14.5 * UNIT and height <= 10 * UNIT, f"{name}: {width:.1f} × {height:.1f} in"


def test_labels_do_not_overlap_or_leave_the_picture(drawn):
    """Layout check: no two labels' boxes overlap, and every label lies inside the figure."""
    name, diagram, _ = drawn
    figure = diagram.figure
    renderer = FigureCanvasAgg(figure).get_renderer()
    boxes = []
    for text in figure.axes[0].texts:
        if text.get_gid() and text.get_gid().startswith("label-") and text.get_text().strip():
            boxes.append((text.get_text(), text.get_window_extent(renderer)))
    frame = figure.bbox
    for label, box in boxes:
        assert frame.x0 - 1 <= box.x0 and box.x1 <= frame.x1 + 1, f"{name}: {label!r} leaves the picture"
        assert frame.y0 - 1 <= box.y0 and box.y1 <= frame.y1 + 1, f"{name}: {label!r} leaves the picture"
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        overlap_w = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        overlap_h = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        assert overlap_w <= 1 or overlap_h <= 1, f"{name}: labels {a!r} and {b!r} overlap"
