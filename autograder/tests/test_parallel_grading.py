"""Grading on a Dask cluster of real processes gives what grading one submission after another gives.

A ``dask scheduler`` and two ``dask worker`` processes are started on
127.0.0.1 (and stopped, whatever happens). A class from the corpus is graded
on them while one worker is killed in the middle of a submission; the class is
then graded again with ``--jobs 1`` (nbgrader's own serial loop) in the same
course, and every score, comment, status and feedback output must be the same.
The isolated corpus (``test_isolated_grading.py``) compares serial and
``--jobs 2`` on every assignment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from dask_processes import dask_cluster, wait_for
from grading_corpus import mutant_suite, notebook
from grading_results import LOG_LINE, results, run_autograde
from test_assignments import run_nbgrader

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "gru"


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-threaded workers on 127.0.0.1: (address, {name: worker process})."""
    with dask_cluster(tmp_path) as started:
        yield started


def a_class(course: Path) -> list[str]:
    """The corpus's instructor answers, alternatives and mutants: submissions that finish in a second or two."""
    students = []
    for name, submission in mutant_suite(ASSIGNMENT).items():
        target = course / "submitted" / name / ASSIGNMENT
        target.mkdir(parents=True)
        nbformat.write(notebook(course, ASSIGNMENT, submission), target / f"{ASSIGNMENT}.ipynb")
        students.append(name)
    return students


def test_a_class_graded_on_a_cluster_losing_a_worker_matches_serial_grading(tmp_path, cluster):
    from distributed import Client

    address, workers = cluster
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text())
    (course / "solutions").symlink_to(ROOT / "solutions")
    run_nbgrader(["generate_assignment", ASSIGNMENT], course)
    students = a_class(course)

    with Client(address, timeout="30s") as client:
        wait_for(lambda: len(client.scheduler_info()["workers"]) == 2, "two workers")
        env = dict(os.environ, PYTHONPATH=str(ROOT), RNN_GRADEBOOK=f"sqlite:///{course / 'gradebook.db'}")
        env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
        grading = subprocess.Popen(
            # INFO: the log lines of each submission recorded, which are counted below
            [str(BIN / "python"), "-m", "autograder.autograde", ASSIGNMENT, "--scheduler", address, "--log-level=INFO"],
            cwd=course,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # Kill w1 while it is grading a submission, once a few are done.
            graded = lambda: len(list((course / "autograded").glob(f"*/{ASSIGNMENT}/*.ipynb")))  # noqa: E731
            wait_for(lambda: graded() >= 3, "three graded notebooks", seconds=300)
            by_name = {info["name"]: addr for addr, info in client.scheduler_info()["workers"].items()}
            wait_for(lambda: client.processing().get(by_name["w1"]), "w1 to be grading", seconds=60)
            os.kill(workers["w1"].pid, signal.SIGKILL)
            out, err = grading.communicate(timeout=900)
        finally:
            if grading.poll() is None:
                grading.kill()
                grading.wait()
        assert grading.returncode == 0, err[-5000:]
        assert [info["name"] for info in client.scheduler_info()["workers"].values()] == ["w2"]
    on_the_cluster = results(course, ASSIGNMENT)
    assert sorted(on_the_cluster) == sorted(students), "a submission was lost"
    recorded = [m[0] for m in LOG_LINE.findall(err)]
    assert sorted(recorded) == sorted(students), "a submission was not recorded exactly once"
    assert f"{len(students)} verdict(s) computed by workers, 0 here" in err

    run_autograde([ASSIGNMENT, "--force", "--jobs", "1"], course)
    one_after_another = results(course, ASSIGNMENT)
    differing = [s for s in students if on_the_cluster[s] != one_after_another[s]]
    assert differing == []
