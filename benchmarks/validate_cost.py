"""``python -m benchmarks.validate_cost``: seconds a student waits for Validate, per assignment.

For each assignment the released notebook, completed with the instructor's
answers, is validated with ``nbgrader validate`` (a fresh kernel runs the
whole notebook: the grader's checks in the test cells, and the demo at the
end) REPEATS times. The median is printed with its share of the budget the
course sets for it (30 s, issue 14); the torch comparison is timed both ways,
with torch (the course's environment) and without (a student's light install,
``RNN_GRADING_TORCH=0``), since that is what differs between the two.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 3
BUDGET_SECONDS = 30.0
sys.path.insert(0, str(ROOT / "tests"))
from grading_cases import CASES, filled_release  # noqa: E402


def seconds_to_validate(notebook: Path, torch: bool) -> float:
    env = dict(os.environ, RNN_GRADING_TORCH="1" if torch else "0")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    nbgrader = str(Path(sys.executable).with_name("nbgrader"))
    start = time.perf_counter()
    result = subprocess.run([nbgrader, "validate", notebook.name], cwd=notebook.parent, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    if b"Success!" not in result.stdout:
        raise RuntimeError(f"{notebook.name} did not validate:\n{result.stdout.decode()}")
    return elapsed


def median_seconds(notebook: Path, torch: bool) -> float:
    return statistics.median(seconds_to_validate(notebook, torch) for _ in range(REPEATS))


def main() -> None:
    print(f"{'assignment':<14} {'with torch s':>13} {'without s':>10} {'of 30 s':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for assignment in sorted(CASES):
            notebook = Path(folder) / f"{assignment}.ipynb"
            nbformat.write(filled_release(ROOT, assignment), notebook)
            medians = [median_seconds(notebook, torch) for torch in (True, False)]
            print(f"{assignment:<14} {medians[0]:13.1f} {medians[1]:10.1f} {max(medians) / BUDGET_SECONDS:8.0%}")


if __name__ == "__main__":
    main()
