"""A student's install from the student kit in a fresh virtual environment, then Validate.

The LMS zip of an assignment (``make lms-zip``) holds the notebook, rnncore's
wheel (``make student-kit``) and a README whose one command installs the wheel
with its ``student`` extra: rnncore, its checks, JupyterLab and nbgrader, and
nothing a student does not need (no torch, no Jupyter Book, no grading
machinery). The test runs that command as the README gives it, in the unzipped
folder. In that environment, `nbgrader validate` passes a completed notebook
and names the wrong gradient of a wrong one, with the torch comparison left out;
neither the wheel nor the zip holds a file of ``solutions/`` or a hidden test.

pip fetches the pinned packages from the package index, as a student's pip does.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from grading_cases import BPTT_WRONG, filled_release
from make_targets import MAKE

from autograder.student_kit import leaks

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "bptt"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lms_zip(tmp_path_factory) -> Path:
    """The LMS zip of the assignment, made by the Makefile in a course directory of its own."""
    course = tmp_path_factory.mktemp("course")
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder, course / folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RNN_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    for target in ("student-kit", "lms-zip"):
        result = subprocess.run(
            [*MAKE, target, f"COURSE={course}", f"A={ASSIGNMENT}"], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
    return course / "_build" / "lms" / f"{ASSIGNMENT}.zip"


@pytest.fixture(scope="module")
def student_env(lms_zip, tmp_path_factory) -> Path:
    """The ``bin/`` of a fresh virtual environment where the README's command installed the kit."""
    base = tmp_path_factory.mktemp("student-install")
    with zipfile.ZipFile(lms_zip) as zf:
        zf.extractall(base / "unzipped")
    folder = base / "unzipped" / ASSIGNMENT
    readme = (folder / "README.txt").read_text()
    (command,) = [line.strip() for line in readme.splitlines() if "pip install" in line]
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True)
    bin_dir = base / "venv" / "bin"
    args = shlex.split(command)
    assert args[0] == "python3", command
    install = [str(bin_dir / "python"), *args[1:], "--quiet", "--disable-pip-version-check"]
    result = subprocess.run(install, cwd=folder, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return bin_dir


def run(bin_dir: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    # The student's environment only: its bin/ first, and none of this test run's Python settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "RNN_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True)


def test_the_student_extra_installs_rnncore_and_validate_but_not_torch_or_the_book(student_env):
    python = str(student_env / "python")
    modules = "'rnncore', 'nbgrader', 'jupyterlab', 'torch', 'jupyter_book', 'autograder'"
    probe = f"import importlib.util as u; print([m for m in ({modules}) if u.find_spec(m)])"
    # run outside this repository, where `python -c` would import its autograder/ from the working directory
    found = run(student_env, python, "-c", probe, cwd=student_env).stdout.strip()
    assert found == "['rnncore', 'nbgrader', 'jupyterlab']", found
    # and rnncore there is the installed wheel, not this repository
    where = run(student_env, python, "-c", "import rnncore; print(rnncore.__file__)", cwd=student_env).stdout
    assert str(student_env.parent / "lib") in where, where


def test_the_zip_holds_the_notebook_the_kit_and_a_readme_with_the_install_command(lms_zip):
    with zipfile.ZipFile(lms_zip) as zf:
        names = sorted(zf.namelist())
        readme = zf.read(f"{ASSIGNMENT}/README.txt").decode()
    (wheel,) = [n for n in names if n.endswith(".whl")]
    assert names == sorted([f"{ASSIGNMENT}/README.txt", f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb", wheel]), names
    assert f'pip install "{Path(wheel).name}[student]"' in readme and f"{ASSIGNMENT}.ipynb" in readme
    with zipfile.ZipFile(lms_zip) as zf:
        assert (
            zf.read(f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
            == (ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes()
        )


def test_neither_the_wheel_nor_the_zip_holds_solutions_or_hidden_tests(lms_zip, tmp_path):
    assert leaks(lms_zip, ROOT / "solutions") == []
    with zipfile.ZipFile(lms_zip) as zf:
        (wheel,) = [n for n in zf.namelist() if n.endswith(".whl")]
        zf.extract(wheel, tmp_path)
        with zipfile.ZipFile(tmp_path / wheel) as whl:
            packages = {name.split("/")[0] for name in whl.namelist()}
    assert leaks(tmp_path / wheel, ROOT / "solutions") == []
    assert packages == {"rnncore", f"{Path(wheel).name.split('-py3')[0]}.dist-info"}, packages


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
