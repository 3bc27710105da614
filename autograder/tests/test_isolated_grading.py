"""Autograding with students' code in the sandbox (the default), proven on a corpus through real nbgrader.

For each assignment the corpus of ``grading_corpus.py`` (mutants and correct
alternatives, hostile submissions, faults) is autograded one at a time by
nbgrader, then graded again under new student ids in a random order, two at a
time (``make autograde``'s parallel grading, fork bombs and all beside other
submissions). Both gradings must leave the same results; every submission must get its
intended score and status both times, nothing may be left for manual
grading, the second run must leave every row the first one wrote in the
gradebook byte for byte as it was, each submission must finish within
(tests × wall limit) + a fixed allowance, and no sandbox may grow past the
memory limit. The tally per suite is printed at the end of the test run.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from pathlib import Path

import nbformat
import pytest
from grading_cases import CASES, as_read
from grading_corpus import cell_named, corpus, deleted, flagged, moved_to_the_end, notebook
from grading_results import LOG_LINE, results, run_autograde
from test_assignments import ASSIGNMENTS, new_course, run_nbgrader, scores

from autograder.sandbox import Limits

# Grades the corpus in bubblewrap sandboxes: the full suite only (make test).
pytestmark = pytest.mark.slow

WALL_SECONDS = 6
LIMITS = {"RNN_ISOLATED_GRADING": "1", "RNN_GRADING_CPU_SECONDS": "4", "RNN_GRADING_WALL_SECONDS": str(WALL_SECONDS)}
ALLOWANCE = 20  # seconds per submission beyond tests × wall limit: sandboxes starting, nbgrader's own work
TALLY: dict[str, dict[str, tuple[int, int]]] = {}  # assignment -> suite -> (cases, scored as intended)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return new_course(tmp_path_factory, "isolated")


def needing_manual_grading(course: Path, assignment: str) -> list[str]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return [s.student.id for s in gb.assignment_submissions(assignment) if s.needs_manual_grade]


def logged(log: str) -> dict[str, tuple[str, float, int]]:
    """What the isolated grader logged for each student: status, seconds and peak memory (MiB)."""
    return {m[0]: (m[1], float(m[2]), int(m[3])) for m in LOG_LINE.findall(log)}


def gradebook_rows(course: Path) -> set[tuple]:
    with sqlite3.connect(course / "gradebook.db") as db:
        return {
            (table, *row)
            for table in ("grade", "comment", "submitted_notebook", "submitted_assignment")
            for row in db.execute(f"select * from {table}")  # noqa: S608 - fixed table names
        }


# A submission stopped by a time limit, or caught racing the sandbox's channel, gets the same score and status
# however the machine is loaded; but which limit hit first (CPU or wall clock), or at which test the race was
# caught, depends on the load, even between two serial gradings: its messages are left out of the comparison.
TIMING_DEPENDENT = {"timed out", "malformed"}


def comparable(result: tuple) -> tuple:
    """What of a student's results (``grading_results.results``) must not depend on how the class was graded."""
    rows, notebooks = result
    if any(status in TIMING_DEPENDENT for _, status, _ in notebooks or []):
        return rows, [(name, status) for name, status, _ in notebooks]
    return result


def write(course: Path, assignment: str, student: str, submission) -> None:
    target = course / "submitted" / student / assignment
    target.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(course, assignment, submission), target / f"{assignment}.ipynb")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_corpus_scores_as_intended_twice_in_shuffled_order(course, assignment):
    submissions = corpus(assignment)
    for name, submission in submissions.items():
        write(course, assignment, name, submission)
    first = logged(run_nbgrader(["autograde", assignment], course, **LIMITS).stderr)  # nbgrader's own
    before = gradebook_rows(course)

    # the same corpus again under new ids, whose random part puts it in a shuffled order
    again = {f"again_{secrets.token_hex(4)}_{name}": name for name in submissions}
    for student, name in again.items():
        write(course, assignment, student, submissions[name])
    second = logged(
        run_autograde([assignment, "--jobs", "2", "--CourseDirectory.student_id=again_*"], course, **LIMITS).stderr
    )
    after = gradebook_rows(course)
    got = scores(course, assignment)
    graded = {student: comparable(result) for student, result in results(course, assignment).items()}
    # everything either grading left (scores, comments, statuses, feedback outputs) is the same
    assert {s: graded[s] for s in again} == {s: graded[name] for s, name in again.items()}

    first_pass = {name: (got[name], first[name][0]) for name in submissions}
    second_pass = {name: (got[student], second[student][0]) for student, name in again.items()}
    intended = {name: (s.score, s.status) for name, s in submissions.items()}
    TALLY[assignment] = {}
    for suite in ("mutants", "hostile", "faults"):
        names = [n for n, s in submissions.items() if s.suite == suite]
        right = sum(first_pass[n] == intended[n] == second_pass[n] for n in names)
        TALLY[assignment][suite] = (len(names), right)

    assert {n: v for n, v in first_pass.items() if v != intended[n]} == {}
    assert second_pass == first_pass
    assert not needing_manual_grading(course, assignment)
    assert before <= after, "grading again changed rows of the first run in the gradebook"
    bound = len(CASES[assignment]["points"]) * WALL_SECONDS + ALLOWANCE
    slow = {s: v[1] for s, v in {**first, **second}.items() if v[1] > bound}
    assert not slow, f"over {bound} s: {slow}"
    heavy = {s: v[2] for s, v in {**first, **second}.items() if v[2] * 2**20 > Limits().memory_bytes}
    assert not heavy, f"over the memory limit: {heavy}"

    # the feedback of a mutant names what is wrong, as in the kernel
    function = next(iter(CASES[assignment]["wrong"]))
    student = f"mutant_01_{function}"
    run_nbgrader(["generate_feedback", assignment, f"--CourseDirectory.student_id={student}"], course)
    page = course / "feedback" / student / assignment / f"{assignment}.html"
    assert CASES[assignment]["feedback"][function] in as_read(page)


# --------------------------------------------------------------------------- what the student is told

TAMPERED = "bptt"


def _as_markdown(name: str):
    def reshape(nb):
        cell = cell_named(nb, name)
        cell.cell_type = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)

    return reshape


def _duplicated(name: str):
    def reshape(nb):
        cell = cell_named(nb, name)
        copy = nbformat.from_dict(cell)
        copy["id"] = f"{cell.get('id', 'cell')}-copy"
        nb.cells.insert(nb.cells.index(cell), copy)

    return reshape


# Each nbgrader flag or cell type a student can change on an answer or test cell, and each change of
# structure: (reshape, cell the note is about, what the log says of it). Every one earns full marks.
STEP, TEST = "rnn_step_backward", "test_rnn_step_backward"
RESTORED = {
    "answer_locked": (flagged(STEP, locked=True), STEP, "changed (locked) and restored"),
    "answer_graded": (flagged(STEP, grade=True, points=100), STEP, "changed (grade, points) and restored"),
    "answer_not_solution": (flagged(STEP, solution=False), STEP, "changed (solution) and restored"),
    "test_not_graded": (flagged(TEST, grade=False), TEST, "changed (grade) and restored"),
    "test_solution": (flagged(TEST, solution=True), TEST, "changed (solution) and restored"),
    "test_unlocked": (flagged(TEST, locked=False), TEST, "changed (locked) and restored"),
    "test_more_points": (flagged(TEST, points=100), TEST, "changed (points) and restored"),
    "test_markdown": (_as_markdown(TEST), TEST, "changed (cell type) and restored"),
    "test_moved": (moved_to_the_end(TEST), TEST, "was moved; it was graded in the assignment's order"),
    "test_deleted": (deleted(TEST), TEST, "was deleted; the grader put it back"),
    "test_duplicated": (_duplicated(TEST), TEST, "was duplicated; only this copy was graded"),
}


def test_changed_flags_and_cells_are_restored_and_reported(course):
    from grading_corpus import Submission, full_marks

    for name, (reshape, _, _) in RESTORED.items():
        write(course, TAMPERED, f"restored_{name}", Submission({}, full_marks(TAMPERED), reshape=reshape))
    log = run_nbgrader(["autograde", TAMPERED, "--CourseDirectory.student_id=restored_*"], course, **LIMITS).stderr
    got = scores(course, TAMPERED)
    assert {n: got[f"restored_{n}"] for n in RESTORED} == dict.fromkeys(RESTORED, full_marks(TAMPERED))
    notes = dict(re.findall(r"\] (restored_\w+: \w+): (.*)", log))
    for name, (_, cell, said) in RESTORED.items():
        assert said in notes.get(f"restored_{name}: {cell}", ""), (name, notes)
    # the note reaches the student's feedback, in the test cell, and costs nothing
    run_nbgrader(["generate_feedback", TAMPERED, "--CourseDirectory.student_id=restored_test_moved"], course)
    page = course / "feedback" / "restored_test_moved" / TAMPERED / f"{TAMPERED}.html"
    assert "Note from the grader: this test cell was moved" in as_read(page)


def test_a_students_own_errors_are_reported_with_their_line(course):
    from grading_corpus import Submission, full_marks, released_code

    stub = released_code(TAMPERED, STEP)
    wrong = {
        "syntax": (stub.replace("):", ")", 1), "your cell `rnn_step_backward` raised SyntaxError at line 1"),
        "import": (
            "from rnncore.rnn import rnn_step_backward\n",
            "raised ImportError at line 1: cannot import name 'rnn_step_backward'",
        ),
    }
    points = CASES[TAMPERED]["points"][STEP]
    for name, (source, _) in wrong.items():
        write(course, TAMPERED, f"own_{name}", Submission({STEP: source}, full_marks(TAMPERED) - points))
    log = run_nbgrader(["autograde", TAMPERED, "--CourseDirectory.student_id=own_*"], course, **LIMITS).stderr
    got = scores(course, TAMPERED)
    for name, (_, said) in wrong.items():
        assert got[f"own_{name}"] == full_marks(TAMPERED) - points
        assert f"own_{name}: graded in" in log, "a student's own error is no reason to call the submission malformed"
        assert said in log
        run_nbgrader(["generate_feedback", TAMPERED, f"--CourseDirectory.student_id=own_{name}"], course)
        assert said in as_read(course / "feedback" / f"own_{name}" / TAMPERED / f"{TAMPERED}.html")
    assert "SAWarning" not in log and "SADeprecationWarning" not in log


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_release_read_from_the_gradebook_is_the_instructors_notebook(course, assignment):
    """Its order (in which tests run) and its handouts (what the sandbox gets) are the instructor's."""
    from autograder.isolated import release_from_gradebook, release_from_notebook

    db = f"sqlite:///{course / 'gradebook.db'}"
    recorded = release_from_gradebook(db, assignment, assignment)
    instructors = release_from_notebook(nbformat.read(course / "solutions" / assignment / f"{assignment}.ipynb", 4))
    assert recorded.cells == instructors.cells
    assert recorded.tests == [f"test_{fn}" for fn in CASES[assignment]["points"]]
    assert recorded.handouts == instructors.handouts
