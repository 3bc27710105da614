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
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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
SERIAL, JOBS2, DASK = "serial (--jobs 1)", "JOBS=2 (local cluster)", "Dask: scheduler + 2 workers"


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


@dataclass
class Run:
    """One grading of the class: wall seconds, the share of the machine's cores busy, this command's own CPU."""

    seconds: float
    busy: float  # 0..1 of all cores, from /proc/stat: the workers' and sandboxes' CPU included
    command_cpu: float  # CPU seconds of the autograde process and its children (not of external workers)


def machine_cpu() -> tuple[int, int]:
    """(all jiffies, idle jiffies) of the machine since boot."""
    values = list(map(int, Path("/proc/stat").read_text().splitlines()[0].split()[1:]))
    return sum(values), values[3] + values[4]


def timed(course: Path, *args: str) -> Run:
    (total0, idle0), usage0, start = machine_cpu(), resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    run_autograde([ASSIGNMENT, "--force", *args], course)
    seconds = time.perf_counter() - start
    (total1, idle1), usage1 = machine_cpu(), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    return Run(seconds, 1 - (idle1 - idle0) / (total1 - total0), cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=CLASS_SIZE, help="submissions in the class")
    size = parser.parse_args().size
    cores = os.cpu_count()
    runs, graded = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        course = new_course(Path(tmp), size)
        runs[SERIAL] = timed(course, "--jobs", "1")
        graded[SERIAL] = results(course, ASSIGNMENT)
        runs[JOBS2] = timed(course, "--jobs", "2")
        graded[JOBS2] = results(course, ASSIGNMENT)
        (Path(tmp) / "dask").mkdir()
        with dask_cluster(Path(tmp) / "dask") as (address, _):
            runs[DASK] = timed(course, "--scheduler", address)
        graded[DASK] = results(course, ASSIGNMENT)
    serial = runs[SERIAL].seconds
    print(f"{size} submissions of {ASSIGNMENT}, isolated, one `make autograde` each (start-up included)", end="")
    print(f" on {cores} cores\n")
    print(f"{'grading':<30}{'seconds':>9}{'s/submission':>14}{'speed-up':>10}{'cores busy':>12}{'same results':>14}")
    for way, run in runs.items():
        same = "yes" if graded[way] == graded[SERIAL] else "NO"
        busy = f"{run.busy * cores:.2f}"
        speed_up = serial / run.seconds
        print(f"{way:<30}{run.seconds:>9.1f}{run.seconds / size:>14.2f}{speed_up:>10.2f}{busy:>12}{same:>14}")
    print(f"\nDask's speed-up is {runs[JOBS2].seconds / runs[DASK].seconds:.0%} of JOBS=2's")
    print(
        f"Serial grading already keeps {runs[SERIAL].busy * cores:.2f} cores busy (the next test's sandbox starts"
        f" while a check runs), so on {cores} cores no way of grading can beat it by more than"
        f" {1 / runs[SERIAL].busy:.2f}x."
    )
    core_seconds = runs[DASK].busy * cores * runs[DASK].seconds / size  # the whole machine's CPU per submission
    writer_seconds = runs[DASK].command_cpu / size  # the one process that records: its CPU per submission
    cohort, cluster = 10_000, 64
    print(
        f"Per submission: {core_seconds:.2f} core-seconds of grading in all, {writer_seconds:.2f} s of the recording"
        f" process. {cohort} submissions on {cluster} cores: about {cohort * core_seconds / cluster / 60:.0f} min of"
        f" grading, and the one recording process needs {cohort * writer_seconds / 60:.0f} min, so about"
        f" {max(cohort * core_seconds / cluster, cohort * writer_seconds) / 60:.0f} min"
        f" ({cohort * serial / size / 3600:.1f} h serially on one machine like this)."
    )
    if not all(graded[way] == graded[SERIAL] for way in graded):
        raise SystemExit("the ways of grading disagree")


if __name__ == "__main__":
    main()
