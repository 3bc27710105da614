"""The committed release is what ``make release`` makes of solutions/: checked in process, in seconds.

The same preprocessors ``nbgrader generate_assignment`` runs, as nbgrader_config.py
configures them, applied here without nbgrader's command or gradebook (the one
step left out, SaveCells, writes the gradebook and leaves the notebook as it is).
test_assignments.py checks the same through nbgrader itself, in the full suite.
"""

from pathlib import Path

import nbformat
import pytest
from nbgrader.preprocessors import SaveCells
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def course_config():
    loader = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT))
    return loader.load_config()


def released(assignment: str, config) -> nbformat.NotebookNode:
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    resources = {"nbgrader": {"assignment": assignment, "notebook": assignment}}
    for preprocessor in config.GenerateAssignment.preprocessors:
        if preprocessor is not SaveCells:
            nb, resources = preprocessor(config=config).preprocess(nb, resources)
    return nb


def cells(nb):
    return [(c.cell_type, c.get("id"), c.source, c.metadata) for c in nb.cells]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_is_what_the_release_preprocessors_make(assignment):
    config = course_config()
    committed = nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    assert cells(released(assignment, config)) == cells(committed), f"exercises/{assignment} is stale: make release"
