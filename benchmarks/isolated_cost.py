"""``python -m benchmarks.isolated_cost``: seconds to grade one submission isolated, without nbgrader.

For each assignment the instructor's answers, in the released notebook, are
graded by :func:`autograder.isolated.grade_notebook` (the sandbox, the
checks in this process, as ``nbgrader autograde`` runs them) REPEATS times; the
median and the spread are printed with the number of sandbox sessions started.
This is the figure issue notes compare before and after a change to the
isolated grader, free of nbgrader's own cost per notebook. With ``--nbgrader``
it also prints the seconds per submission through ``nbgrader autograde``
(isolated, in runs of four, as ``make bench-grading`` measures them), which is
what an instructor waits for.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
# The course directories made here import the grading machinery from this repository (nbgrader_config.py).
os.environ.setdefault("RNN_COURSE_REPO", str(ROOT))
REPEATS = 3
sys.path.insert(0, str(ROOT / "tests"))
from grading_cases import CASES, filled_release  # noqa: E402

from autograder import isolated, sandbox  # noqa: E402


def with_hidden_tests(nb, assignment: str):
    """The test cells as nbgrader restores them from the gradebook: the instructor's, hidden tests included."""
    source = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    tests = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in tests:
            cell.source = tests[grade_id]
    return nb


def main() -> None:
    started = {"count": 0}
    original = sandbox.Session.__init__

    def counting(self, *args, **kwargs):
        started["count"] += 1
        original(self, *args, **kwargs)

    sandbox.Session.__init__ = counting
    print(f"{'assignment':<14} {'median s':>9} {'min s':>7} {'max s':>7} {'sessions':>9}")
    total = 0.0
    for assignment in sorted(CASES):
        times = []
        started["count"] = 0
        for _ in range(REPEATS):
            nb = with_hidden_tests(filled_release(ROOT, assignment), assignment)
            start = time.perf_counter()
            verdict = isolated.grade_notebook(nb)
            times.append(time.perf_counter() - start)
            failed = {k: v for k, v in verdict.outcomes.items() if v}
            assert not failed and verdict.status == "graded", (assignment, verdict.status, failed)
        total += statistics.median(times)
        print(
            f"{assignment:<14} {statistics.median(times):9.2f} {min(times):7.2f} {max(times):7.2f} "
            f"{started['count'] / REPEATS:9.0f}"
        )
    print(f"{'all':<14} {total:9.2f}")
    if "--nbgrader" in sys.argv:
        through_nbgrader()


def through_nbgrader() -> None:
    import shutil
    import tempfile

    from benchmarks.grading import nbgrader, per_submission

    print(f"\n{'assignment':<14} {'s per submission through nbgrader':>34}")
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "solutions", course / "solutions")
        total = 0.0
        for assignment in sorted(CASES):
            nbgrader(course, "generate_assignment", assignment)
            seconds = per_submission(course, assignment, "s", mode="isolated")
            total += seconds
            print(f"{assignment:<14} {seconds:34.2f}")
        print(f"{'all':<14} {total:34.2f}")


if __name__ == "__main__":
    main()
