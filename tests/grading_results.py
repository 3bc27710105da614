"""What autograding left for each student, in a form two gradings can be compared in.

The gradebook's rows carry ids made afresh at every run, so a serial and a
parallel grading of the same class are compared by what the rows say: each
cell's score and comment, each submission's late penalty and flags, and what
the autograded notebook shows (the outputs the feedback is made from, and the
grader's status). The seconds and memory a grading took are measurements, not
results, and are left out.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# What the isolated grader logs as it records a submission (autograder.isolated.IsolatedExecute).
LOG_LINE = re.compile(
    r"\] (\S+): (graded|timed out|crashed|malformed) in ([\d.]+) s, peak memory (\d+) MiB \(isolation: bwrap"
)

# Each query: (student, notebook, cell, what the row says) for one assignment, by name.
GRADEBOOK_QUERIES = {
    "grade": "select sa.student_id, nb.name, cell.name, g.auto_score, g.manual_score, g.extra_credit, "
    "g.needs_manual_grade from grade g join base_cell cell on cell.id = g.cell_id",
    "comment": "select sa.student_id, nb.name, cell.name, c.auto_comment, c.manual_comment "
    "from comment c join base_cell cell on cell.id = c.cell_id",
    "notebook": "select sa.student_id, nb.name, '', sn.flagged, sn.late_submission_penalty from submitted_notebook sn",
}
JOIN = {
    "grade": "join submitted_notebook sn on sn.id = g.notebook_id",
    "comment": "join submitted_notebook sn on sn.id = c.notebook_id",
    "notebook": "",
}
TO_ASSIGNMENT = (
    " join notebook nb on nb.id = sn.notebook_id join submitted_assignment sa on sa.id = sn.assignment_id"
    " join assignment a on a.id = sa.assignment_id where a.name = ?"
)


def gradebook_results(course: Path, assignment: str) -> dict[str, set[tuple]]:
    """Each student's gradebook rows for ``assignment``: (table, notebook, cell, what the row says)."""
    results: dict[str, set[tuple]] = {}
    with sqlite3.connect(course / "gradebook.db") as db:
        for table, query in GRADEBOOK_QUERIES.items():
            for student, *row in db.execute(f"{query} {JOIN[table]}{TO_ASSIGNMENT}", (assignment,)):
                results.setdefault(student, set()).add((table, *row))
    return results


def notebook_results(course: Path, assignment: str) -> dict[str, list]:
    """Each student's autograded notebooks: every cell's outputs, and the grader's status."""
    results = {}
    for student_dir in sorted((course / "autograded").iterdir()):
        shown = []
        for path in sorted((student_dir / assignment).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            status = nb.metadata.get("rnn_grading", {}).get("status")
            outputs = [[dict(o) for o in c.get("outputs", [])] for c in nb.cells if c.cell_type == "code"]
            shown.append((path.name, status, outputs))
        results[student_dir.name] = shown
    return results


def results(course: Path, assignment: str) -> dict[str, tuple]:
    """Everything a grading left for each student of ``assignment``: gradebook rows and autograded notebooks."""
    rows, notebooks = gradebook_results(course, assignment), notebook_results(course, assignment)
    return {student: (rows.get(student), notebooks.get(student)) for student in rows.keys() | notebooks.keys()}


def run_autograde(args: list[str], course: Path, **env_vars: str) -> subprocess.CompletedProcess:
    """``make autograde``'s command in ``course`` (``python -m autograder.autograde``), checked to succeed."""
    env = dict(
        os.environ,
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
        PYTHONPATH=str(ROOT),
        RNN_COURSE_REPO=str(ROOT),
        RNN_GRADEBOOK=f"sqlite:///{course / 'gradebook.db'}",
    )
    env.update(env_vars)
    command = [str(BIN / "python"), "-m", "autograder.autograde", "--log-level=INFO", *args]
    result = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"autograde {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result
