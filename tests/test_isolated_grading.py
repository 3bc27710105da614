"""Autograding with students' code in the sandbox (the default), proven on a corpus through real nbgrader.

For each assignment the corpus of ``grading_corpus.py`` (mutants and correct
alternatives, hostile submissions, faults) is autograded, then graded again
under new student ids in a random order. Every submission must get its
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
from grading_cases import CASES
from grading_corpus import corpus, notebook
from test_assignments import ASSIGNMENTS, new_course, run_nbgrader, scores

from rnncore.grading.sandbox import Limits

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


LOG_LINE = re.compile(
    r"\] (\S+): (graded|timed out|crashed|malformed) in ([\d.]+) s, peak memory (\d+) MiB \(isolation: bwrap"
)


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


def write(course: Path, assignment: str, student: str, submission) -> None:
    target = course / "submitted" / student / assignment
    target.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(course, assignment, submission), target / f"{assignment}.ipynb")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_corpus_scores_as_intended_twice_in_shuffled_order(course, assignment):
    submissions = corpus(assignment)
    for name, submission in submissions.items():
        write(course, assignment, name, submission)
    first = logged(run_nbgrader(["autograde", assignment], course, **LIMITS).stderr)
    before = gradebook_rows(course)

    # the same corpus again under new ids, whose random part puts it in a shuffled order
    again = {f"again_{secrets.token_hex(4)}_{name}": name for name in submissions}
    for student, name in again.items():
        write(course, assignment, student, submissions[name])
    second = logged(
        run_nbgrader(["autograde", assignment, "--CourseDirectory.student_id=again_*"], course, **LIMITS).stderr
    )
    after = gradebook_rows(course)
    got = scores(course, assignment)

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
    assert CASES[assignment]["feedback"][function] in page.read_text().replace("&#x27;", "'")
