"""What ``make autograde`` prints: a line per submission as it is graded, and a table of the class at the end.

    [3/30] 1003 Grace Hopper 8/12 (lstm_step_backward 0/4) graded 1.4 s
    [4/30] 1004 Alan Turing 10.8/12 late 1 d (-1.2) graded 4.3 s

Scores come from nbgrader's gradebook after nbgrader has written them (the
points of each test cell, its late penalty); the status (graded, timed out,
crashed, malformed) from what the isolated grader recorded in the autograded
notebook. A test cell's grade id is ``test_<function>``, so a lost cell is
named by the function it checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import nbformat
from nbgrader.api import Gradebook

DAY = 86400.0


@dataclass(frozen=True)
class Graded:
    """One notebook's result, as the instructor reads it."""

    student: str
    name: str
    score: float
    max_score: float
    penalty: float
    days_late: int
    lost: tuple[tuple[str, float, float], ...]  # (function, points got, points possible) of each cell short of full
    status: str
    seconds: float


def function_of(grade_id: str) -> str:
    """The function a test cell checks, from its grade id (``test_lstm_step_backward``)."""
    return grade_id.removeprefix("test_")


def points(x: float) -> str:
    """8, 10.8: points as short as they are exact to a tenth."""
    return f"{x:.1f}".removesuffix(".0")


def from_gradebook(db_url: str, assignment: str, student: str, notebook: str, status: str, seconds: float) -> Graded:
    """The result nbgrader recorded for ``student``'s ``notebook`` of ``assignment``."""
    with Gradebook(db_url) as gb:
        record = gb.find_submission_notebook(notebook, assignment, student)
        person = gb.find_student(student)
        name = " ".join(p for p in (person.first_name, person.last_name) if p)
        lost = tuple(
            (function_of(g.name), g.score, g.max_score)
            for g in record.grades  # the gradebook keeps the release's order
            if g.max_score and g.score < g.max_score
        )
        late = gb.find_submission(assignment, student).total_seconds_late
        penalty = record.late_submission_penalty or 0.0
        return Graded(
            student, name, record.score, record.max_score, penalty, math.ceil(late / DAY), lost, status, seconds
        )


def status_of(autograded_path: str) -> str:
    """The isolated grader's status of an autograded notebook ("graded" where it recorded none)."""
    try:
        nb = nbformat.read(autograded_path, as_version=4)
    except (OSError, ValueError):
        return "not written"
    return nb.metadata.get("rnn_grading", {}).get("status", "graded")


def score_text(g: Graded) -> str:
    """``8/12``, or ``10.8/12 late 1 d (-1.2)`` where a late penalty was taken."""
    text = f"{points(g.score - g.penalty)}/{points(g.max_score)}"
    if g.days_late:
        text += f" late {g.days_late} d" + (f" (-{points(g.penalty)})" if g.penalty else "")
    return text


def lost_text(g: Graded) -> str:
    """The functions short of full points, with their points; "no test passed" where every one is at 0."""
    if g.lost and g.score == 0 and all(got == 0 for _, got, _ in g.lost):
        return "no test passed"
    return ", ".join(f"{fn} {points(got)}/{points(of)}" for fn, got, of in g.lost)


def line(index: int, total: int, g: Graded) -> str:
    """The line printed as a notebook is graded."""
    lost = f" ({lost_text(g)})" if g.lost else ""
    who = f"{g.student} {g.name}".strip()
    return f"[{index}/{total}] {who} {score_text(g)}{lost} {g.status} {g.seconds:.1f} s"


def table(results: list[Graded]) -> str:
    """The class at the end: one row per notebook graded, by student id, and a count of what needs a look."""
    header = ("student", "name", "score", "lost", "status")
    rows = [
        (g.student, g.name, score_text(g), lost_text(g) or "-", g.status)
        for g in sorted(results, key=lambda g: g.student)
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    full = sum(1 for g in results if not g.lost and not g.penalty)
    late = sum(1 for g in results if g.days_late)
    odd = [g.student for g in results if g.status != "graded"]
    summary = f"{len(results)} graded: {full} full marks, {late} late"
    if odd:
        summary += f"; not graded to the end (see their feedback): {', '.join(odd)}"
    return "\n".join([*lines, summary])
