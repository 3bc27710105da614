"""Each released notebook shows the book's diagram of what it asks for (autograder/recap_diagram.py).

That the committed release is what ``make release`` generates (so the embedded
pictures are today's) is test_assignments.py's; that JupyterLab shows the
picture is test_validate_in_browser.py's.
"""

import base64
import re
from pathlib import Path

import nbformat
import pytest
import svg_labels

from autograder.recap_diagram import RECAPS, TAG, RecapDiagram
from rnncore.diagrams import DIAGRAMS

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
IMAGE = re.compile(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"')


def test_every_assignment_has_a_diagram_of_the_book():
    assert sorted(RECAPS) == ASSIGNMENTS
    for assignment, recaps in RECAPS.items():
        for name, _kwargs, _ in recaps:
            assert name in DIAGRAMS, f"{assignment}: no diagram {name!r} in rnncore.diagrams"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_release_shows_the_diagram_after_its_introduction(assignment):
    for path in (ROOT / "exercises" / assignment).glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        recaps = [i for i, cell in enumerate(nb.cells) if TAG in cell.metadata.get("tags", [])]
        assert recaps == [1], f"{path.name}: the diagram cell should follow the introduction, once"
        shown = IMAGE.findall(nb.cells[1].source)
        assert len(shown) == len(RECAPS[assignment])
        for (data, alt), (name, kwargs, _) in zip(shown, RECAPS[assignment], strict=True):
            svg = base64.b64decode(data).decode("utf-8")
            drawn = DIAGRAMS[name](**kwargs)
            assert svg == drawn.svg(), f"{path.name}: {name} is stale, run `make release`"
            assert svg_labels.labels(svg) and alt == drawn.alt.replace('"', "&quot;")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_instructors_notebook_has_no_copy_and_releasing_twice_adds_one(assignment):
    for path in (ROOT / "solutions" / assignment).glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert not any(TAG in cell.metadata.get("tags", []) for cell in nb.cells)
        resources = {"nbgrader": {"assignment": assignment}}
        once, _ = RecapDiagram().preprocess(nb, resources)
        count = len(once.cells)
        twice, _ = RecapDiagram().preprocess(once, resources)
        assert len(twice.cells) == count and sum(TAG in c.metadata.get("tags", []) for c in twice.cells) == 1
