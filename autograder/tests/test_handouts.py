"""The sandbox's view of rnncore: what an assignment hands out works, and nothing else is there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import handouts
from autograder.isolated import handed_out

# Runs code in subprocesses against the handed-out view: the full suite only (make test).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def run_in_view(files: dict[str, str], code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """``code`` run by a fresh Python that finds numpy, and of rnncore only the view."""
    handouts.write_view(files, tmp_path)
    import numpy

    numpy_home = str(Path(numpy.__file__).parents[1])
    prelude = f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {numpy_home!r}]\n"
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", prelude + code], capture_output=True, text=True, cwd=tmp_path
    )


def test_imports_are_read_from_code():
    requested = handouts.requested_by(
        ["from rnncore import grading\nfrom rnncore.rnn import rnn_forward, rnn_backward\nimport rnncore.losses"]
    )
    assert requested == {
        "rnncore.grading": handouts.EVERYTHING,
        "rnncore.rnn": {"rnn_forward", "rnn_backward"},
        "rnncore.losses": handouts.EVERYTHING,
    }


def test_a_handed_out_function_works_and_its_neighbours_are_absent(tmp_path):
    files = handouts.view({"rnncore.rnn": {"rnn_step_forward"}, "rnncore.grading": handouts.EVERYTHING})
    code = """
import numpy as np
from rnncore.rnn import rnn_step_forward
rng = np.random.default_rng(0)
h, cache = rnn_step_forward(rng.standard_normal((2, 3)), np.zeros((2, 4)), np.ones((4, 3)), np.eye(4), np.zeros(4))
print(repr(h.sum()))
for name in ("rnn_step_backward", "rnn_backward", "rnn_forward"):
    try:
        exec(f"from rnncore.rnn import {name}")
        print("found", name)
    except ImportError:
        pass
import rnncore.grading
print(sorted(n for n in vars(rnncore.grading) if not n.startswith("__")))
for module in ("rnncore.lstm", "rnncore.gru", "rnncore.grading.bptt", "rnncore.torch_ref"):
    try:
        __import__(module)
        print("found", module)
    except ImportError:
        pass
"""
    done = run_in_view(files, code, tmp_path)
    assert done.returncode == 0, done.stderr
    import numpy as np

    from rnncore.rnn import rnn_step_forward

    h, _ = rnn_step_forward(
        np.random.default_rng(0).standard_normal((2, 3)), np.zeros((2, 4)), np.ones((4, 3)), np.eye(4), np.zeros(4)
    )
    assert done.stdout.splitlines() == [repr(h.sum()), "[]"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignments_view_imports_and_holds_no_graded_function(assignment, tmp_path):
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    requested = handed_out(code_cells)
    files = handouts.view(requested)
    graded = [c.metadata["nbgrader"]["grade_id"] for c in code_cells if c.metadata.get("nbgrader", {}).get("solution")]
    imports = [f"from {m} import {', '.join(sorted(n))}" for m, n in requested.items() if n is not handouts.EVERYTHING]
    imports += [f"import {m}" for m, n in requested.items() if n is handouts.EVERYTHING]
    probe = (
        "\n".join(imports)
        + f"""
import importlib, pkgutil, rnncore
found = []
for info in pkgutil.walk_packages(rnncore.__path__, "rnncore."):
    module = importlib.import_module(info.name)
    found += [name for name in {graded!r} if hasattr(module, name) or hasattr(module, name + "_reference")]
print(found)
"""
    )
    done = run_in_view(files, probe, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_substituted_reference_brings_only_itself(tmp_path):
    from rnncore import grading

    function = grading.gru_step_backward_reference
    files = handouts.view({function.__module__: {function.__name__}}, prefix="reference_1.")
    code = f"""
from reference_1.rnncore.grading.gru import {function.__name__} as ref
import reference_1.rnncore.gru as g
print(sorted(n for n in vars(g) if n.startswith("gru_")))
"""
    done = run_in_view(files, code, tmp_path)
    assert done.returncode == 0, done.stderr
    # the step backward it wraps, but neither the sequence functions nor the step forward
    assert done.stdout.strip() == "['gru_step_backward']"
