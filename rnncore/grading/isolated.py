"""Autograding with the student's code in the sandbox and every comparison in the trusted process.

A test cell of an assignment holds visible tests and, between
``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, one call to a check in
:mod:`rnncore.grading` (inside ``grading.substitute(globals(), ...)`` where one
function is graded on its own). Here that hidden part is a declaration: it is
taken from the instructor's version of the cell (which nbgrader restores from
the gradebook, whatever the student did to it) and run in *this* process, with
every name it does not define standing for the student's function of that name
in a sandboxed session (:mod:`rnncore.grading.remote`). The student's code (the
notebook's code cells other than the tests) runs only in the sandbox, where of
rnncore only what the assignment's locked cells import exists
(:mod:`rnncore.grading.handouts`); the visible tests, which are for the
student's own checking, are not run at all.

Each graded cell gets either no output (its points) or an error output with
the check's message (no points), so nbgrader's ``SaveAutoGrades`` scores it and
its feedback shows the message. Each submission gets a status, "graded",
"timed out", "crashed" or "malformed", in the notebook's metadata and the log.
"""

from __future__ import annotations

import builtins
import logging
import os
import textwrap
import time
from dataclasses import dataclass

import nbformat
import numpy as np
from nbgrader.preprocessors import NbGraderPreprocessor

from rnncore import grading
from rnncore.grading import handouts
from rnncore.grading.engine import GradingError
from rnncore.grading.remote import RemoteFunction, RemoteNamespace, StudentError
from rnncore.grading.sandbox import Limits, SandboxDied, Session, detect_isolation

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STOPPED = "not graded: your code wrote over the grader's files in the sandbox, so grading stopped there"
SEVERITY = {"graded": 0, "malformed": 1, "crashed": 2, "timed out": 3}


def declaration(source: str) -> str:
    """The hidden-test region of a test cell's source, dedented; empty if it has none."""
    lines = source.splitlines()
    starts = [k for k, line in enumerate(lines) if BEGIN in line]
    ends = [k for k, line in enumerate(lines) if END in line]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        return ""
    return textwrap.dedent("\n".join(lines[starts[0] + 1 : ends[0]]))


def is_test_cell(cell) -> bool:
    return cell.cell_type == "code" and bool(cell.metadata.get("nbgrader", {}).get("grade"))


def handed_out(code_cells) -> dict:
    """What of rnncore the assignment hands out: the imports in its locked cells, which nbgrader restores.

    Whatever else a student imports from rnncore is not in the sandbox.
    """
    locked = [c.source for c in code_cells if c.metadata.get("nbgrader", {}).get("locked") and not is_test_cell(c)]
    return handouts.requested_by(locked)


def limits_from_environment() -> Limits:
    """The sandbox's limits; RNN_GRADING_CPU_SECONDS and RNN_GRADING_WALL_SECONDS override the defaults."""
    default = Limits()
    cpu = int(os.environ.get("RNN_GRADING_CPU_SECONDS", default.cpu_seconds))
    wall = float(os.environ.get("RNN_GRADING_WALL_SECONDS", default.wall_seconds))
    return Limits(cpu_seconds=cpu, wall_seconds=wall, memory_bytes=default.memory_bytes)


class StudentNames(dict):
    """The names of a declaration: a name it does not define is the student's function of that name."""

    def __init__(self, session: Session, trusted: dict):
        super().__init__()
        self.session, self.trusted = session, trusted

    def __missing__(self, name: str):
        if name in self.trusted or hasattr(builtins, name):
            raise KeyError(name)  # found in the declaration's globals or the builtins instead
        return RemoteFunction(self.session, name)


class Runner:
    """A sandboxed session that has run the notebook's code cells so far, restarted if it breaks."""

    def __init__(self, limits: Limits, handouts: dict | None = None):
        self.limits, self.handouts = limits, handouts or {}
        self.cells, self.session, self.status = [], None, "graded"
        self.peak_bytes = 0  # over every session this submission needed

    def run_cell(self, source: str) -> None:
        """Run an answer cell, as a kernel would: an error in it does not stop the next ones.

        A cell that ends the process or never finishes is left out when the session restarts.
        """
        self._run(source)
        self.cells.append(source)

    def live_session(self) -> Session:
        if self.session is None or self.session.dead:
            if self.session is not None:
                self.close()
            self.session = Session(self.limits, self.handouts)
            for source in self.cells:
                self._run(source)
        return self.session

    def _run(self, source: str) -> None:
        reply, _ = self.live_session().request({"op": "exec", "code": source})
        if reply.get("type") == "SyntaxError":
            self.record("malformed")

    def record(self, status: str) -> None:
        """The submission's status becomes ``status`` if that is worse than what it has."""
        self.status = max(self.status, status, key=SEVERITY.get)

    def close(self) -> None:
        if self.session is not None:
            self.peak_bytes = max(self.peak_bytes, self.session.peak_bytes)
            self.session.close()


def run_declaration(session: Session, text: str, cell_id: str) -> str | None:
    """None if the check passes, else the message the student sees."""
    trusted = {"grading": grading, "np": np, "globals": lambda: RemoteNamespace(session), "__builtins__": builtins}
    try:
        exec(compile(text, cell_id, "exec"), trusted, StudentNames(session, trusted))  # noqa: S102 - instructor's code
    except GradingError as err:
        return str(err)
    except AssertionError as err:
        return str(err) or "a hidden test failed"
    except StudentError as err:  # the student's code broke what the check set up in the sandbox
        return f"the test could not run: {err}"
    return None


def _stop(code_cells, outcomes: dict) -> None:
    """Every test not graded yet fails with :data:`STOPPED`."""
    for cell in code_cells:
        if is_test_cell(cell) and cell.metadata["nbgrader"]["grade_id"] not in outcomes:
            outcomes[cell.metadata["nbgrader"]["grade_id"]] = STOPPED


@dataclass
class Verdict:
    """A submission graded: each test cell's outcome (None = passed, else the message), status and cost."""

    outcomes: dict[str, str | None]
    status: str
    seconds: float
    peak_bytes: int  # the largest resident size of the student's processes, measured from outside


def grade_notebook(nb, limits: Limits | None = None) -> Verdict:
    """Grade a submission's test cells.

    Cells run in the notebook's order: answer cells in the sandbox, each test
    cell's declaration here. Cells after the last test (the ungraded demo)
    cannot change a score and are not run.
    """
    start = time.monotonic()
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    last_test = max((k for k, c in enumerate(code_cells) if is_test_cell(c)), default=-1)
    graded_part = code_cells[: last_test + 1]
    runner, outcomes = Runner(limits or limits_from_environment(), handed_out(graded_part)), {}
    try:
        for cell in graded_part:
            try:
                if not is_test_cell(cell):
                    runner.run_cell(cell.source)
                    continue
                grade_id, text = cell.metadata["nbgrader"]["grade_id"], declaration(cell.source)
                if not text:
                    outcomes[grade_id] = "this test cell has no hidden tests to run"
                    continue
                outcomes[grade_id] = run_declaration(runner.live_session(), text, grade_id)
            except SandboxDied as died:
                runner.record(died.status)
                if is_test_cell(cell):
                    outcomes[cell.metadata["nbgrader"]["grade_id"]] = f"your code {died.status}: {died.detail}"
                if died.status == "malformed":
                    # Only code that writes over the driver's files or channel gets here: what the
                    # sandbox says can no longer be trusted, so nothing after this point earns points.
                    _stop(graded_part, outcomes)
                    break
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
                # an answer that passed the protocol's checks but not its form: forged by the student's code
                logging.getLogger(__name__).warning("grading stopped on a malformed answer: %r", err)
                runner.record("malformed")
                _stop(graded_part, outcomes)
                break
    finally:
        runner.close()
    return Verdict(outcomes, runner.status, time.monotonic() - start, runner.peak_bytes)


class IsolatedExecute(NbGraderPreprocessor):
    """nbgrader's ``Execute`` replaced: grade a submission's test cells with :func:`grade_notebook`."""

    def preprocess(self, nb, resources):
        isolation = detect_isolation()
        verdict = grade_notebook(nb)
        outcomes, status = verdict.outcomes, verdict.status
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            cell.outputs, cell.execution_count = [], None
            message = outcomes.get(cell.metadata.get("nbgrader", {}).get("grade_id"))
            if is_test_cell(cell) and message is not None:
                error = nbformat.v4.new_output("error", ename="GradingError", evalue=message, traceback=[message])
                cell.outputs = [error]
        peak_mib = verdict.peak_bytes / 2**20
        nb.metadata["rnn_grading"] = {
            "status": status,
            "isolation": isolation.level,
            "seconds": round(verdict.seconds, 2),
            "peak_memory_mib": round(peak_mib, 1),
        }
        student = resources.get("nbgrader", {}).get("student", "?")
        self.log.info(
            "%s: %s in %.1f s, peak memory %.0f MiB (isolation: %s)",
            student,
            status,
            verdict.seconds,
            peak_mib,
            isolation.reason,
        )
        return nb, resources
