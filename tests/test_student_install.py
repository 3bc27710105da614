"""A student's light install: `pip install '.[student]'` in a fresh virtual environment, then Validate.

The student extra brings rnncore, its checks, JupyterLab and nbgrader, and
nothing a student does not need (no torch, no Jupyter Book). In that
environment, `nbgrader validate` passes a completed notebook and names the
wrong gradient of a wrong one, with the torch comparison left out.

The package is installed from a copy of its sources (pyproject.toml, README,
rnncore), so that building it leaves nothing in the repository. pip fetches
the pinned packages from the package index, as a student's pip does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grading_cases import BPTT_WRONG, filled_release

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "bptt"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def student_env(tmp_path_factory) -> Path:
    """The ``bin/`` of a fresh virtual environment with ``.[student]`` installed."""
    base = tmp_path_factory.mktemp("student-install")
    source = base / "rnncore-source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    shutil.copytree(ROOT / "rnncore", source / "rnncore", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True)
    bin_dir = base / "venv" / "bin"
    install = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    result = subprocess.run([*install, f"{source}[student]"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return bin_dir


def run(bin_dir: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    # The student's environment only: its bin/ first, and none of this test run's Python settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "RNN_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True)


def test_the_student_extra_installs_rnncore_and_validate_but_not_torch_or_the_book(student_env):
    python = str(student_env / "python")
    modules = "'rnncore', 'nbgrader', 'jupyterlab', 'torch', 'jupyter_book'"
    probe = f"import importlib.util as u; print([m for m in ({modules}) if u.find_spec(m)])"
    found = run(student_env, python, "-c", probe).stdout.strip()
    assert found == "['rnncore', 'nbgrader', 'jupyterlab']", found
    # and rnncore there is the installed copy, not this repository
    where = run(student_env, python, "-c", "import rnncore; print(rnncore.__file__)", cwd=student_env).stdout
    assert str(student_env.parent) in where, where


def test_validate_works_in_the_student_install(student_env, tmp_path):
    nbformat.write(filled_release(ROOT, ASSIGNMENT), tmp_path / "solved.ipynb")
    wrong = filled_release(ROOT, ASSIGNMENT, {"rnn_backward": BPTT_WRONG["rnn_backward"]})
    nbformat.write(wrong, tmp_path / "wrong.ipynb")
    nbgrader = str(student_env / "nbgrader")

    solved = run(student_env, nbgrader, "validate", "solved.ipynb", cwd=tmp_path)
    assert "Success! Your notebook passes all the tests." in solved.stdout, solved.stdout + solved.stderr

    failed = run(student_env, nbgrader, "validate", "wrong.ipynb", cwd=tmp_path).stdout
    assert "VALIDATION FAILED ON 1 CELL(S)!" in failed, failed
    message = " ".join(failed.split("The error was:")[1].split())
    assert "GradingError: rnn_backward:" in message and "is wrong (relative error" in message, failed
    assert "departs from t=" in message and "torch" not in message, failed
