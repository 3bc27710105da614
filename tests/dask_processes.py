"""A Dask cluster of real processes on 127.0.0.1, as an instructor would start one: for tests and benchmarks.

``dask scheduler`` and single-threaded ``dask worker`` processes, each in its
own process group, all stopped when the block ends, however it ends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
# What a worker of a grading cluster needs beside the course's environment (the instructor guide says the same):
# the course repository's autograder/ importable, and one BLAS thread, as a grading is one thread.
WORKER_ENV = {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _start(command: list[str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        env = dict(os.environ, **WORKER_ENV)
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_for(condition, what: str, seconds: float = 120):
    """Poll ``condition`` until it returns something true, and return that; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def dask_cluster(directory: Path, workers: tuple[str, ...] = ("w1", "w2")) -> Iterator[tuple[str, dict]]:
    """Start a scheduler and ``workers`` (logs in ``directory``); yield (address, {name: worker process})."""
    file = directory / "scheduler.json"
    processes = []
    try:
        processes.append(
            _start(
                [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
                + ["--scheduler-file", str(file)],
                directory / "scheduler.log",
            )
        )
        address = wait_for(lambda: file.exists() and json.loads(file.read_text() or "{}").get("address"), "scheduler")
        started = {}
        for name in workers:
            started[name] = _start(
                [str(BIN / "dask"), "worker", address, "--name", name, "--nthreads", "1", "--no-nanny"]
                + ["--host", "127.0.0.1", "--no-dashboard"],
                directory / f"{name}.log",
            )
            processes.append(started[name])
        yield address, started
    finally:
        for process in reversed(processes):
            _stop(process)
