"""``python -m benchmarks.parallel_grading`` (``make bench-grading``): a class graded serially, on every core, on Dask.

One class of CLASS_SIZE submissions (the instructor's answers, correct
alternatives and mutants of ASSIGNMENT, repeated) is autograded isolated in one
temporary course, three ways, each with ``--force`` so each grades the whole
class: ``--jobs 1`` (nbgrader's own serial loop), ``--jobs 2`` (a local
cluster of two worker processes), and ``--scheduler`` on a Dask cluster of
real processes started for it (a scheduler and two workers on 127.0.0.1, as
an instructor starts them on other machines). Each time is the whole command,
start-up included, as ``make autograde`` runs it. Every way must leave the
same results (scores, comments, statuses, feedback); the benchmark checks it.
Then it says what the measured rate predicts for a larger cohort.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("RNN_COURSE_REPO", str(ROOT))
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))
from dask_processes import dask_cluster  # noqa: E402
from grading_corpus import mutant_suite, notebook  # noqa: E402
from grading_results import results, run_autograde  # noqa: E402

ASSIGNMENT = "lstm"
CLASS_SIZE = 60


def new_course(directory: Path, size: int) -> Path:
    course = directory / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    command = [str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--log-level=WARN"]
    subprocess.run(command, cwd=course, env=env, check=True)
    suite = list(mutant_suite(ASSIGNMENT).items())
    for k in range(size):
        name, submission = suite[k % len(suite)]
        target = course / "submitted" / f"s{k:03d}_{name}" / ASSIGNMENT
        target.mkdir(parents=True)
        nbformat.write(notebook(course, ASSIGNMENT, submission), target / f"{ASSIGNMENT}.ipynb")
    return course


def timed(course: Path, *args: str) -> float:
    start = time.perf_counter()
    run_autograde([ASSIGNMENT, "--force", *args], course)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=CLASS_SIZE, help="submissions in the class")
    size = parser.parse_args().size
    with tempfile.TemporaryDirectory() as tmp:
        course = new_course(Path(tmp), size)
        seconds, graded = {}, {}
        seconds["serial (--jobs 1)"] = timed(course, "--jobs", "1")
        graded["serial (--jobs 1)"] = results(course, ASSIGNMENT)
        seconds["JOBS=2 (local cluster)"] = timed(course, "--jobs", "2")
        graded["JOBS=2 (local cluster)"] = results(course, ASSIGNMENT)
        (Path(tmp) / "dask").mkdir()
        with dask_cluster(Path(tmp) / "dask") as (address, _):
            seconds["Dask: scheduler + 2 workers"] = timed(course, "--scheduler", address)
        graded["Dask: scheduler + 2 workers"] = results(course, ASSIGNMENT)
    serial = seconds["serial (--jobs 1)"]
    print(f"{size} submissions of {ASSIGNMENT}, isolated, one `make autograde` each (start-up included)\n")
    print(f"{'grading':<30}{'seconds':>9}{'s/submission':>14}{'speed-up':>10}{'same results':>14}")
    for way, elapsed in seconds.items():
        same = graded[way] == graded["serial (--jobs 1)"]
        print(f"{way:<30}{elapsed:>9.1f}{elapsed / size:>14.2f}{serial / elapsed:>10.2f}{'yes' if same else 'NO':>14}")
    jobs2 = serial / seconds["JOBS=2 (local cluster)"]
    dask = serial / seconds["Dask: scheduler + 2 workers"]
    print(f"\nDask against JOBS=2: {dask / jobs2:.2f} of its speed-up")
    efficiency = dask / 2
    cohort, cores = 10_000, 64
    hours = cohort * serial / size / (cores * efficiency) / 3600
    print(
        f"At this rate ({serial / size:.2f} s per submission on one core, {efficiency:.0%} of each added core used),"
        f" {cohort} submissions on {cores} cores take about {hours:.1f} h"
        f" ({cohort * serial / size / 3600:.1f} h on one core)."
    )
    if not all(graded[way] == graded["serial (--jobs 1)"] for way in graded):
        raise SystemExit("the ways of grading disagree")


if __name__ == "__main__":
    main()
