"""Feedback the LMS takes back, end to end through the Makefile with real nbgrader, and read in Chromium offline.

A class of four hands in the lstm assignment through Moodle: a finished
notebook, one whose answer cell starts with a typo'd import
(``from numpy import tahn``), one with a cell of its own on top that makes
the same typo, and one who made it in the locked cell of imports. After
collect, autograde, feedback and feedback-zip:

- each student's page is in the Moodle zip under a name Moodle's import files
  to that student (read as ``lms_readers`` reads it);
- the typo is shown with its message, in the log and on the page, and the
  test it breaks says the function was never defined, with no NameError;
  the locked cell is graded as released, and the student told so;
- each test is named by its function and marked passed or failed;
- the page, opened in Chromium with every request outside the page refused,
  typesets its equations and asks for nothing.
"""

import html
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from grading_cases import filled_release
from lms_readers import moodle_reads
from make_targets import MAKE

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
A = "lstm"
TYPO = "from numpy import tahn"
SAID = "raised ImportError at line 1: cannot import name 'tahn' from 'numpy'"
FUNCTIONS = ["lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward"]


def make(target: str, course: Path, **variables) -> subprocess.CompletedProcess:
    args = [f"{k}={v}" for k, v in {"COURSE": course, "A": A, **variables}.items()]
    env = {k: v for k, v in os.environ.items() if k != "RNN_GRADEBOOK"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    # The suite runs in the environment `make` built: a test never rebuilds it (-o).
    command = [*MAKE, target, *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout}\n{result.stderr}"
    return result


def submissions(course: Path) -> dict[str, nbformat.NotebookNode]:
    solved = filled_release(course, A)
    typo_in_answer = filled_release(course, A)
    for cell in typo_in_answer.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "lstm_step_forward":
            cell.source = f"{TYPO}\n{cell.source}"
    own_cell_on_top = filled_release(course, A)
    own_cell_on_top.cells.insert(0, nbformat.v4.new_code_cell(TYPO))
    typo_in_locked_cell = filled_release(course, A)
    for cell in typo_in_locked_cell.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "imports":
            cell.source = f"{cell.source}\n{TYPO}"
    return {"3001": solved, "3002": typo_in_answer, "3003": own_cell_on_top, "3004": typo_in_locked_cell}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, str]:
    """The course directory after a term's steps, and the log of autograde."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    make("release", course)
    archive = course / "downloaded" / A / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "moodle.zip", "w") as zf:
        for student, nb in submissions(course).items():
            zf.writestr(f"Student_{student}_{student}_assignsubmission_file_{A}.ipynb", nbformat.writes(nb))
    make("collect", course)
    log = make("autograde", course, JOBS=1)
    make("feedback", course)
    make("feedback-zip", course)
    return course, log.stdout + log.stderr


def page(course: Path, student: str) -> Path:
    return course / "feedback" / student / A / f"{A}.html"


def page_text(path: Path) -> str:
    """What a student reads on a page: no scripts or styles (MathJax's code has its own "NameError"), no tags."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text(), flags=re.S | re.I)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def test_moodle_files_each_page_to_its_student(graded):
    course, _ = graded
    with zipfile.ZipFile(course / "_build" / "feedback" / f"{A}-moodle.zip") as zf:
        filed = {moodle_reads(name): zf.read(name) for name in zf.namelist()}
    assert filed == {(int(s), f"{A}.html"): page(course, s).read_bytes() for s in ("3001", "3002", "3003", "3004")}


CELLS = [("3002", "your cell `lstm_step_forward`"), ("3003", "your cell no. 1 among the code cells")]


@pytest.mark.parametrize(("student", "cell"), CELLS)
def test_a_typo_in_an_import_is_shown_with_its_message_not_as_a_name_error(graded, student, cell):
    course, log = graded
    assert f"WARNING] {student}: {cell} {SAID}" in log, log
    text = page_text(page(course, student))
    assert f"{cell} {SAID}" in text
    if student == "3002":  # the typo stopped the cell before it defined the function
        assert "so lstm_step_forward was never defined, and the test could not call it" in text
    assert "NameError" not in text and "is not defined" not in text
    assert str(ROOT) not in text and "site-packages" not in text  # no path of the grading machine


def test_a_typo_in_a_locked_cell_is_undone_for_grading_and_the_student_told(graded):
    course, _ = graded
    text = page_text(page(course, "3004"))
    assert "Note from the grader: this cell is locked; it was graded as the assignment gives it, not edited." in text
    for function in FUNCTIONS:
        assert f"Test of {function}: passed" in text


def test_each_test_is_named_by_its_function_and_marked(graded):
    course, _ = graded
    solved, typo = page_text(page(course, "3001")), page_text(page(course, "3002"))
    assert "Test cell" not in solved
    for function in FUNCTIONS:
        assert f"Test of {function}: passed" in solved
    assert "Test of lstm_step_forward: failed" in typo
    assert "Test of lstm_step_backward: passed" in typo


def test_the_page_typesets_its_equations_offline(graded, browser):
    course, _ = graded
    context = browser.new_context()
    asked = []

    def refuse(route):
        asked.append(route.request.url)
        route.abort()

    context.route("http*://**", refuse)  # no network: every request off the page fails, and is recorded
    errors = []
    view = context.new_page()
    view.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    view.goto(page(course, "3002").as_uri())
    view.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
    view.evaluate("() => MathJax.startup.promise")
    typeset = view.locator("mjx-container").count()
    raw = view.evaluate("() => document.body.innerText.includes('\\\\mathbf')")
    failed = view.locator("#toc li.test-failed").all_inner_texts()
    context.close()
    assert asked == [] and errors == []
    assert typeset > 10 and not raw
    assert [" ".join(t.split()) for t in failed] == ["Test of lstm_step_forward: failed (Score: 0.0 / 2.0)"]
