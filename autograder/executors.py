"""Where submissions are graded: in nbgrader's process, on every core, or on a Dask cluster.

Grading a submission (:func:`autograder.isolated.grade_notebook`) is a pure
function of four values: the sanitized notebook, the release it is graded
against, the sandbox's limits and the seed of the checks' draws. It needs the
course's environment and bubblewrap, but neither the course directory nor the
gradebook. So
:class:`autograder.autograde.ParallelAutograde` sanitizes every submission
first, sends those three values to workers (:func:`grade_submission`), and then
lets nbgrader's own loop run as usual, one submission after another, in the one
process that writes the gradebook and ``autograded/``. When that loop reaches
a submission, :class:`~autograder.isolated.IsolatedExecute` asks
:func:`verdict_for` for its verdict, which by then is usually computed.

Workers are Dask's (``distributed``): a local cluster of ``jobs`` processes, or
the cluster of a scheduler given by address. A worker that dies mid-task has
its tasks run again elsewhere (Dask's own rescheduling); a submission whose
task kills workers repeatedly (Dask's ``allowed-failures``) is recorded as
"crashed" with a message, and the class goes on.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import nbformat

from autograder.isolated import (
    Release,
    Verdict,
    grade_notebook,
    is_test_cell,
    limits_from_environment,
    submission_key,
)
from autograder.nbgrader_cells import grade_id
from autograder.sandbox import Limits

log = logging.getLogger(__name__)

WORKER_DIED = (
    "the grader's worker stopped while grading this notebook, every time it tried; "
    "your instructor has been told and will grade it again"
)


def default_jobs() -> int:
    """How many submissions to grade at a time by default: one per core this process may use.

    Only as root, where each sandbox runs as a uid of its own (:mod:`autograder.sandbox_users`): as
    any other user, every sandbox runs as that user, whose process limit they would share, so that
    a fork bomb in one could stop another from starting; one at a time is then the default.
    """
    return len(os.sched_getaffinity(0)) if os.geteuid() == 0 else 1


def grade_submission(notebook_json: str, release: Release, limits: Limits, seed: int) -> Verdict:
    """The task a worker runs: grade one sanitized notebook (given as nbformat JSON)."""
    return grade_notebook(nbformat.reads(notebook_json, as_version=4), limits=limits, release=release, seed=seed)


def worker_died_verdict(nb, release: Release, reason: str) -> Verdict:
    """The verdict of a submission whose task kept killing the workers that ran it: every test unearned."""
    tests = [name for name, kind in release.cells if kind == "test"]
    found = {grade_id(c) for c in nb.cells if is_test_cell(c)}
    log.warning("grading stopped on a dead worker every time (%s); regrade this submission", reason)
    outcomes = {name: WORKER_DIED if name in found else "it is missing" for name in tests}
    return Verdict(outcomes, "crashed", 0.0, 0)


@dataclass(frozen=True)
class Where:
    """Which notebook of which submission: nbgrader's (student, assignment, notebook) ids."""

    student: str
    assignment: str
    notebook: str


class Ahead:
    """Verdicts being computed ahead of nbgrader's loop: futures by submission, with the key of what was sent."""

    def __init__(self):
        self.pending: dict[Where, tuple[str, object]] = {}
        self.used = 0
        self.missed = 0

    def add(self, where: Where, key: str, future) -> None:
        self.pending[where] = (key, future)

    def take(self, where: Where, key: str):
        """The future computed for exactly this notebook, or None (then it is graded here)."""
        entry = self.pending.pop(where, None)
        if entry is None or entry[0] != key:
            self.missed += 1
            if entry is not None:
                entry[1].cancel()
            return None
        self.used += 1
        return entry[1]

    def cancel_rest(self) -> None:
        for _, future in self.pending.values():
            future.cancel()
        self.pending.clear()


_ahead: Ahead | None = None  # set while a ParallelAutograde runs; None in nbgrader's own autograde


@contextmanager
def computing_ahead() -> Iterator[Ahead]:
    """Make :func:`verdict_for` use the verdicts added to the yielded :class:`Ahead` while the block runs."""
    global _ahead
    ahead = _ahead = Ahead()
    try:
        yield ahead
    finally:
        ahead.cancel_rest()
        _ahead = None


def verdict_for(nb, release: Release | None, seed: int | None, where: Where | None) -> Verdict:
    """The verdict of a sanitized notebook: computed ahead by a worker if it was, else graded here and now."""
    future = _ahead.take(where, submission_key(nb, release)) if _ahead and release and where else None
    if future is None:
        return grade_notebook(nb, release=release, seed=seed)
    from distributed import KilledWorker

    try:
        verdict = future.result()
    except KilledWorker as died:
        return worker_died_verdict(nb, release, str(died))
    if verdict.status == "crashed":
        # A worker that is not root runs its sandboxes as its own user, whose process limit every sandbox of
        # that machine shares: there, another student's fork bomb can stop this one's sandbox from starting.
        # A crash is rare and its grading short, so it is graded again here, one submission at a time.
        log.info("%s crashed on a worker; graded again here", where.student)
        return grade_notebook(nb, release=release, seed=seed)
    return verdict


@contextmanager
def dask_client(jobs: int, scheduler: str = "") -> Iterator[object]:
    """A Dask client: of the cluster at ``scheduler`` (``tcp://host:port``), else of a local cluster of ``jobs``.

    The local cluster's workers are processes with one thread each, since a
    submission's grading is one Python thread plus its sandbox, and they listen
    on 127.0.0.1 only.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=jobs,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # Dask's scheduler serves HTTP whatever the dashboard; on port 8787 by default, and where another cluster has
        # it, with a warning. Any free port will do: no one looks at this cluster's dashboard.
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def submit(client, notebook_json: str, release: Release, seed: int, name: str = "", limits: Limits | None = None):
    """Send one submission to the cluster; the future's result is its :class:`Verdict`.

    ``pure=False`` because two students' identical notebooks are still two
    submissions, each graded (and timed) on its own.
    """
    limits = limits or limits_from_environment()
    key = f"grade-{name}-{hashlib.sha1(notebook_json.encode()).hexdigest()[:8]}" if name else None
    return client.submit(grade_submission, notebook_json, release, limits, seed, key=key, pure=False)
