"""The instructor's term, through the Makefile's targets, in a temporary course directory.

release → lms-zip → (an LMS download of two students' submissions) → collect
→ autograde → feedback → grades, with the gradebook where RNN_GRADEBOOK says.
"""

import csv
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from grading_cases import filled_release
from make_targets import MAKE

# Runs a term of the course with nbgrader: the full suite only (make test).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "recurrence"


def make(target: str, course: Path, gradebook: Path, **variables) -> subprocess.CompletedProcess:
    args = [f"{k}={v}" for k, v in {"COURSE": course, **variables}.items()]
    env = dict(os.environ, RNN_GRADEBOOK=f"sqlite:///{gradebook}")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    # -o: the environment is built before the tests run; never rebuild it from here.
    command = [*MAKE, target, *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout}\n{result.stderr}"
    return result


def lms_download(course: Path, students: dict[str, nbformat.NotebookNode]) -> None:
    """What Moodle's "download all submissions" gives: one zip, files named <name>_<id>_assignsubmission_file_<nb>."""
    archive = course / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as zf:
        for student_id, nb in students.items():
            name = f"Ada Student{student_id}_{student_id}_assignsubmission_file_{ASSIGNMENT}.ipynb"
            zf.writestr(name, nbformat.writes(nb))


def test_a_term_through_the_make_targets(tmp_path):
    course, gradebook = tmp_path / "course", tmp_path / "elsewhere" / "rnn.db"
    gradebook.parent.mkdir()
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")

    make("release", course, gradebook)
    make("lms-zip", course, gradebook, A=ASSIGNMENT)
    with zipfile.ZipFile(course / "_build" / "lms" / f"{ASSIGNMENT}.zip") as zf:
        # the notebook, and the student kit with a README of its install command (tests/test_student_install.py)
        kit = [n for n in zf.namelist() if n.endswith(".whl") or n.endswith("README.txt")]
        assert sorted(zf.namelist()) == sorted([f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb", *kit]) and len(kit) == 2
        released = zf.read(f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb").decode()
    assert nbformat.reads(released, as_version=4) == nbformat.read(
        ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4
    )

    untouched = nbformat.reads(released, as_version=4)
    solved = filled_release(course, ASSIGNMENT)
    lms_download(course, {"1001": solved, "1002": untouched})

    make("collect", course, gradebook, A=ASSIGNMENT)
    for student in ("1001", "1002"):
        assert (course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    make("autograde", course, gradebook, A=ASSIGNMENT)
    make("feedback", course, gradebook, A=ASSIGNMENT)
    for student in ("1001", "1002"):
        assert (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").exists()
    make("grades", course, gradebook)

    assert gradebook.exists() and not (course / "gradebook.db").exists()
    worksheet = course / "_build" / "grades" / f"moodle-{ASSIGNMENT}.csv"
    with open(worksheet) as f:
        rows = {r["Identifier"]: r for r in csv.DictReader(f)}
    assert {s: float(r["Grade"]) for s, r in rows.items()} == {"Participant 1001": 7.0, "Participant 1002": 0.0}
    assert float(rows["Participant 1001"]["Maximum Grade"]) == 7.0

    # 1002 resubmits a finished notebook: collected again and regraded, the new score replaces the old.
    shutil.rmtree(course / "downloaded" / ASSIGNMENT / "archive")
    lms_download(course, {"1002": solved})
    make("collect", course, gradebook, A=ASSIGNMENT)
    make("autograde", course, gradebook, A=ASSIGNMENT, REGRADE=1)
    make("grades", course, gradebook)
    with open(worksheet) as f:
        rows = {r["Identifier"]: float(r["Grade"]) for r in csv.DictReader(f)}
    assert rows == {"Participant 1001": 7.0, "Participant 1002": 7.0}


def test_a_target_without_an_assignment_says_which_exist(tmp_path):
    command = [*MAKE, "autograde"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode != 0
    assert "set A to one of:" in result.stderr and "lstm" in result.stderr and "recurrence" in result.stderr


def test_students_validate_as_the_student_guide_says(tmp_path):
    """`nbgrader validate` on a student's machine: no course config, just the notebook."""
    nbformat.write(filled_release(ROOT, ASSIGNMENT), tmp_path / "solved.ipynb")
    shutil.copy(ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", tmp_path / "untouched.ipynb")

    def validate(name):
        nbgrader = Path(sys.executable).with_name("nbgrader")
        return subprocess.run([str(nbgrader), "validate", name], cwd=tmp_path, capture_output=True, text=True).stdout

    assert "Success! Your notebook passes all the tests." in validate("solved.ipynb")
    assert "VALIDATION FAILED ON 3 CELL(S)!" in validate("untouched.ipynb")
