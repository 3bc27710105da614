"""Autograding with the student's code in the sandbox and every comparison in the trusted process.

A test cell of an assignment holds visible tests and, between
``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, one call to a check in
:mod:`rnncore.grading` (inside ``grading.substitute(globals(), ...)`` where one
function is graded on its own). Here that hidden part is a declaration: it is
taken from the instructor's version of the cell (which nbgrader restores from
the gradebook, whatever the student did to it) and run in *this* process, with
every name it does not define standing for the student's function of that name
in a sandboxed session (:mod:`autograder.remote`). The student's code (the
notebook's code cells other than the tests) runs only in the sandbox, where of
rnncore only what the assignment's locked cells import exists
(:mod:`autograder.handouts`); the visible tests, which are for the
student's own checking, are not run at all.

Each graded cell gets either no output (its points) or an error output with
the check's message (no points), so nbgrader's ``SaveAutoGrades`` scores it and
its feedback shows the message. Each submission gets a status, "graded",
"timed out", "crashed" or "malformed", in the notebook's metadata and the log.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import logging
import os
import re
import textwrap
import time
from dataclasses import dataclass, field

import nbformat
import numpy as np
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder import handouts
from autograder.nbgrader_cells import SANITIZED, grade_id, released_cells
from autograder.remote import RemoteFunction, RemoteNamespace
from autograder.sandbox import IsolationUnavailable, Limits, Session, detect_isolation
from rnncore import grading
from rnncore.grading.engine import GradingError, RunnerDied, StudentCodeError, seeded_draws

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# A path in an error message (the sandbox's /in/..., the grading machine's numpy) means nothing to a student.
MACHINE_PATH = re.compile(r" \(/[^)]*\)")
# What a check says when it calls a function the student's code never defined (the sandbox's own NameError,
# or Python's, raised by a function of the student's that calls it).
UNDEFINED = re.compile(r"^(?P<called>\w+) raised NameError: (?:name ')?(?P<name>\w+)'? is not defined")
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
    """What of rnncore a notebook's locked cells import (for a notebook graded without its gradebook).

    Whatever else a student imports from rnncore is not in the sandbox.
    """
    locked = [c.source for c in code_cells if c.metadata.get("nbgrader", {}).get("locked") and not is_test_cell(c)]
    return handouts.requested_by(locked)


@dataclass(frozen=True)
class Release:
    """The instructor's notebook as released: its nbgrader cells in order, and what of rnncore it hands out.

    ``cells`` is ``(grade_id, kind)`` in the release's order, ``kind`` one of
    "test", "answer" or "locked". Taken from the gradebook, never from the
    submission, so neither a moved cell nor a forged flag can change the order
    in which checks run or what the sandbox is handed.
    """

    cells: tuple[tuple[str, str], ...]
    handouts: dict

    @property
    def tests(self) -> list[str]:
        return [name for name, kind in self.cells if kind == "test"]

    @property
    def rank(self) -> dict[str, int]:
        """Each cell's place in the release, by grade id."""
        return {name: k for k, (name, _) in enumerate(self.cells)}

    def positions(self, cells) -> list[int]:
        """Where in the release each of a submission's ``cells`` belongs.

        An nbgrader cell of the release belongs where the release has it,
        wherever the student moved it; any other cell (a student's own helper,
        the ungraded demo) belongs with the nearest such cell above it.
        """
        rank, current, positions = self.rank, -1, []
        for cell in cells:
            current = rank.get(grade_id(cell), current)
            positions.append(current)
        return positions


def _kind(graded: bool, solution: bool) -> str:
    return "test" if graded and not solution else "answer" if solution else "locked"


def release_from_gradebook(db_url: str, notebook: str, assignment: str) -> Release:
    """The release as the gradebook recorded it at ``nbgrader generate_assignment``.

    The gradebook lists a notebook's source cells in the order they were
    recorded, which is the release's (nbgrader's ``add_missing_cells`` relies
    on the same order); :func:`~autograder.nbgrader_cells.released_cells` keeps it.
    """
    release = released_cells(db_url, notebook, assignment)
    graded, answers = release.graded.keys(), release.solutions
    cells = tuple((name, _kind(name in graded, name in answers)) for name in release.sources)
    locked = [
        cell.source
        for name, cell in release.sources.items()
        if cell.locked and cell.cell_type == "code" and name not in graded and name not in answers
    ]
    return Release(cells, handouts.requested_by(locked))


def release_from_notebook(nb) -> Release:
    """The notebook itself taken as the release: for notebooks graded without a gradebook (tests, benchmarks)."""
    cells = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id"):
            cells.append((meta["grade_id"], _kind(bool(meta.get("grade")), bool(meta.get("solution")))))
    return Release(tuple(cells), handed_out([c for c in nb.cells if c.cell_type == "code"]))


def course_secret(db_url: str, notebook: str, assignment: str) -> str:
    """A value of the course's gradebook no student sees: the notebook's id, random since generate_assignment."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return gb.find_notebook(notebook, assignment).id


def submission_key(nb, release: Release) -> str:
    """A digest of everything :func:`grade_notebook` reads of a notebook, with the release it is graded against."""
    cells = [[c.cell_type, c.source, c.metadata.get("nbgrader", {})] for c in nb.cells]
    # A set's order depends on the process's string hashing (PYTHONHASHSEED): sorted, the key is the same everywhere.
    handouts = {module: names if names is None else sorted(names) for module, names in release.handouts.items()}
    text = json.dumps([cells, release.cells, handouts], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def submission_seed(secret: str, nb, release: Release) -> int:
    """The seed of a submission's draws: the same notebook, the same draws; unpredictable without the secret."""
    return int(hashlib.sha256(f"{secret}:{submission_key(nb, release)}".encode()).hexdigest()[:32], 16)


def _test_seed(seed: int, test: str) -> int:
    """Each test's own seed, so that its draws do not depend on which tests ran before it."""
    return int(hashlib.sha256(f"{seed}:{test}".encode()).hexdigest()[:32], 16)


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


@dataclass(frozen=True)
class CellError:
    """An error a student's cell raised while it ran: shown with the checks that fail after it."""

    cell: str  # how the student knows the cell: its answer cell's name, or its place among the code cells
    kind: str  # the exception's type, e.g. "SyntaxError"
    message: str
    line: int | None
    index: int  # the cell's place among the notebook's code cells

    def __str__(self) -> str:
        where = f" at line {self.line}" if self.line else ""
        message = MACHINE_PATH.sub("", self.message)
        hint = ""
        if self.kind in ("ImportError", "ModuleNotFoundError") and "rnncore" in self.message:
            hint = " (of rnncore, only what the assignment's given cells import is there when grading)"
        return f"your cell {self.cell} raised {self.kind}{where}: {message}{hint}"


class Sessions:
    """Sandboxed sessions for one submission, each started one ahead so it is ready when a test needs it."""

    def __init__(self, limits: Limits, handouts: dict):
        self.limits, self.handouts = limits, handouts
        self.spare: Session | None = None
        self.peak_bytes = 0

    def start(self) -> Session:
        session, self.spare = self.spare, None
        return session if session is not None else Session(self.limits, self.handouts)

    def start_ahead(self) -> None:
        if self.spare is None:
            self.spare = Session(self.limits, self.handouts)

    def retire(self, session: Session | None) -> None:
        if session is not None:
            session.close()
            self.peak_bytes = max(self.peak_bytes, session.peak_bytes)

    def close(self) -> None:
        self.retire(self.spare)
        self.spare = None


class Runner:
    """A fresh sandboxed session that runs the answer cells one test needs, restarted if it breaks.

    A cell that ends the process or never finishes is left out when the
    session restarts, and (``broken``, shared by the submission's runners) in
    every later session too.
    """

    def __init__(self, sessions: Sessions, broken: set[int]):
        self.sessions, self.broken = sessions, broken
        self.cells: list[tuple[int, str, str]] = []  # (index among code cells, label, source) run so far
        self.session: Session | None = None
        self.status = "graded"
        self.errors: list[CellError] = []

    def run_cell(self, index: int, label: str, source: str) -> None:
        """Run an answer cell, as a kernel would: an error in it does not stop the next ones."""
        if index in self.broken:
            return
        try:
            self._run(index, label, source, report=True)
        except RunnerDied:
            self.broken.add(index)
            raise
        self.cells.append((index, label, source))

    def live_session(self) -> Session:
        if self.session is None or self.session.dead:
            self.sessions.retire(self.session)
            self.session = self.sessions.start()
            for index, label, source in self.cells:
                self._run(index, label, source, report=False)
        return self.session

    def _run(self, index: int, label: str, source: str, report: bool) -> None:
        reply, _ = self.live_session().request({"op": "exec", "code": source, "name": label})
        if report and reply.get("status") == "raised":
            kind, message = str(reply.get("type", "Error")), str(reply.get("error", ""))
            line = reply.get("line") if isinstance(reply.get("line"), int) else None
            self.errors.append(CellError(label, kind, message, line, index))

    def record(self, status: str) -> None:
        """The status becomes ``status`` if that is worse than what it has."""
        self.status = max(self.status, status, key=SEVERITY.get)

    def close(self) -> None:
        self.sessions.retire(self.session)
        self.session = None


def run_declaration(session: Session, text: str, cell_id: str) -> str | None:
    """None if the check passes, else the message the student sees."""
    trusted = {"grading": grading, "np": np, "globals": lambda: RemoteNamespace(session), "__builtins__": builtins}
    try:
        exec(compile(text, cell_id, "exec"), trusted, StudentNames(session, trusted))  # noqa: S102 - instructor's code
    except GradingError as err:
        return str(err)
    except AssertionError as err:
        return str(err) or "a hidden test failed"
    except StudentCodeError as err:  # the student's code broke what the check set up in the sandbox
        return f"the test could not run: {err}"
    except (RunnerDied, IsolationUnavailable):
        raise
    except Exception as err:  # noqa: BLE001 - the check tripped over what the student's code returned
        logging.getLogger(__name__).warning("%s: the check could not use a returned value: %r", cell_id, err)
        return f"the test could not use what your code returned ({type(err).__name__}: {err})"
    return None


def out_of_order(release_order: list[str], submitted_order: list[str]) -> list[str]:
    """The test cells a submission moved: those outside a longest run it keeps in the release's order."""
    rank = {name: k for k, name in enumerate(release_order)}
    ranks = [rank[name] for name in submitted_order if name in rank]
    best: list[list[int]] = []  # best[k]: a longest increasing run ending at ranks[k]
    for k, r in enumerate(ranks):
        before = [best[j] for j in range(k) if ranks[j] < r]
        best.append(max(before, key=len, default=[]) + [r])
    kept = set(max(best, key=len, default=[]))
    return [release_order[r] for r in ranks if r not in kept]


@dataclass
class Verdict:
    """A submission graded: each test cell's outcome (None = passed, else the message), status and cost."""

    outcomes: dict[str, str | None]
    status: str
    seconds: float
    peak_bytes: int  # the largest resident size of the student's processes, measured from outside
    moved: list[str] = field(default_factory=list)  # test cells not where the release has them
    errors: list[CellError] = field(default_factory=list)  # what the student's cells raised, once each


def _label(cell, index: int) -> str:
    name = grade_id(cell)
    if name and cell.metadata["nbgrader"].get("solution"):
        return f"`{name}`"
    return f"no. {index + 1} among the code cells"


def grade_notebook(
    nb, limits: Limits | None = None, release: Release | None = None, seed: int | None = None
) -> Verdict:
    """Grade a submission's test cells, each in a fresh sandboxed session, in the release's order.

    For each test of the release, a new session runs the submission's code
    cells other than tests that belong before that test in the release
    (:meth:`Release.positions`), in the submission's order; then the test
    cell's declaration runs here. Nothing a student function did while one
    test ran, nor a reference that test substituted, reaches the next; cells
    that belong after every test (the ungraded demo) are not run. With a
    ``seed`` (:func:`submission_seed`) the checks' draws are reproducible;
    without one they are fresh.
    """
    start = time.monotonic()
    release = release or release_from_notebook(nb)
    positions = dict(zip(map(id, nb.cells), release.positions(nb.cells), strict=True))
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    found = {}
    for cell in code_cells:
        if is_test_cell(cell):
            found.setdefault(grade_id(cell), cell)
    rank = release.rank
    sessions = Sessions(limits or limits_from_environment(), release.handouts)
    broken: set[int] = set()
    outcomes: dict[str, str | None] = {}
    status, errors = "graded", []
    tests = release.tests
    try:
        for number, test in enumerate(tests):
            text = declaration(found[test].source) if test in found else ""
            if not text:
                outcomes[test] = "this test cell has no hidden tests to run" if test in found else "it is missing"
                continue
            needed = [(k, c) for k, c in enumerate(code_cells) if not is_test_cell(c) and positions[id(c)] < rank[test]]
            runner = Runner(sessions, broken)
            try:
                draws = seeded_draws(_test_seed(seed, test)) if seed is not None else contextlib.nullcontext()
                with draws:
                    outcomes[test] = _grade_one(runner, needed, text, test, more=number + 1 < len(tests))
            finally:
                runner.close()
                status = max(status, runner.status, key=SEVERITY.get)
                errors += [e for e in runner.errors if e not in errors]
            if runner.status == "malformed":
                # Only code that writes over the driver's files or channel gets here: what the
                # sandbox says can no longer be trusted, so nothing after this point earns points.
                for later in tests[number + 1 :]:
                    outcomes.setdefault(later, STOPPED)
                break
    finally:
        sessions.close()
    moved = out_of_order(tests, list(found))
    return Verdict(outcomes, status, time.monotonic() - start, sessions.peak_bytes, moved, errors)


def _grade_one(runner: Runner, cells, text: str, test: str, more: bool) -> str | None:
    """Run ``cells`` (``(index among code cells, cell)``), then one test's declaration, in a fresh session."""
    try:
        for index, cell in cells:
            try:
                runner.run_cell(index, _label(cell, index), cell.source)
            except RunnerDied as died:
                runner.record(died.status)
                if died.status == "malformed":
                    return STOPPED
        session = runner.live_session()
        if more:
            runner.sessions.start_ahead()  # the next test's sandbox starts while this one is checked
        message = run_declaration(session, text, test)
    except RunnerDied as died:
        runner.record(died.status)
        return STOPPED if died.status == "malformed" else f"your code {died.status}: {died.detail}"
    return after_cell_errors(message, runner.errors)


def after_cell_errors(message: str | None, errors: list[CellError]) -> str | None:
    """A failed check's message, led by what the student's cells raised before it ran.

    When the check failed only because a function was never defined (the
    cell that defines it raised first), the NameError says nothing the cell's
    error does not: the message then names the error and the function it cost.
    """
    if message is None or not errors:
        return message
    raised = "; ".join(str(e) for e in errors)
    undefined = UNDEFINED.match(message)
    if undefined:
        return f"{raised}; so {undefined['name']} was never defined, and the test could not call it"
    return f"{raised}. After that, the test found: {message}"


def notes_for_tests(verdict: Verdict, sanitized: dict) -> dict[str, list[str]]:
    """What the grader changed or noticed about each test cell, for the student's feedback and the log.

    ``sanitized`` is what the sanitizing preprocessors recorded
    (:mod:`autograder.nbgrader_cells`): test cells deleted and put back,
    duplicated, or with nbgrader flags changed and restored; locked code cells
    whose edits were undone.
    """
    notes: dict[str, list[str]] = {}
    for test in verdict.moved:
        notes.setdefault(test, []).append("this test cell was moved; it was graded in the assignment's order")
    for test in sanitized.get("deleted", []):
        notes.setdefault(test, []).append("this test cell was deleted; the grader put it back and graded it")
    for test in sanitized.get("duplicated", []):
        notes.setdefault(test, []).append("this test cell was duplicated; only this copy was graded, once")
    for cell, flags in sanitized.get("flags", {}).items():
        notes.setdefault(cell, []).append(f"its nbgrader settings were changed ({', '.join(flags)}) and restored")
    for cell in sanitized.get("restored", []):
        # Validate ran the student's version (an import with a typo, say); grading runs the release's.
        notes.setdefault(cell, []).append("this cell is locked; it was graded as the assignment gives it, not edited")
    return notes


def shown(message: str) -> list[str]:
    """A message as the lines of an error output: the feedback page shows them unwrapped, so wrap them here."""
    return textwrap.wrap(message, width=100, break_long_words=False, break_on_hyphens=False) or [message]


class IsolatedExecute(NbGraderPreprocessor):
    """nbgrader's ``Execute`` replaced: grade a submission's test cells with :func:`grade_notebook`.

    The release's order and handouts come from the gradebook; notes on cells
    the student moved, deleted, duplicated or re-flagged are printed in the
    test cell (as output that costs no points) and logged.
    """

    def preprocess(self, nb, resources):
        from autograder.executors import Where, verdict_for  # it imports this module

        isolation = detect_isolation()
        info = resources.get("nbgrader", {})
        release, seed, where = None, None, None
        if {"db_url", "notebook", "assignment"} <= set(info):
            release = release_from_gradebook(info["db_url"], info["notebook"], info["assignment"])
            seed = submission_seed(course_secret(info["db_url"], info["notebook"], info["assignment"]), nb, release)
            where = Where(info.get("student", "?"), info["assignment"], info["notebook"])

        verdict = verdict_for(nb, release, seed, where)  # graded here, or ahead by a worker (autograder.executors)
        outcomes, status = verdict.outcomes, verdict.status
        sanitized = nb.metadata.pop(SANITIZED, {})
        notes = notes_for_tests(verdict, sanitized if isinstance(sanitized, dict) else {})
        raised = {error.index: error for error in verdict.errors}
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        for index, cell in enumerate(code_cells):
            cell.outputs, cell.execution_count = [], None
            if index in raised and not is_test_cell(cell):  # shown where it arose; an answer cell has no points
                error = raised[index]
                cell.outputs.append(
                    nbformat.v4.new_output("error", ename=error.kind, evalue=error.message, traceback=shown(str(error)))
                )
            name = grade_id(cell)
            if name in notes:
                text = "".join(f"Note from the grader: {note}.\n" for note in notes[name])
                cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=text))
            message = outcomes.get(name)
            if is_test_cell(cell) and message is not None:
                error = nbformat.v4.new_output("error", ename="GradingError", evalue=message, traceback=shown(message))
                cell.outputs.append(error)
        peak_mib = verdict.peak_bytes / 2**20
        nb.metadata["rnn_grading"] = {
            "status": status,
            "isolation": isolation.level,
            "seconds": round(verdict.seconds, 2),
            "peak_memory_mib": round(peak_mib, 1),
        }
        student = info.get("student", "?")
        self.log.info(
            "%s: %s in %.1f s, peak memory %.0f MiB (isolation: %s)",
            student,
            status,
            verdict.seconds,
            peak_mib,
            isolation.reason,
        )
        for error in verdict.errors:
            self.log.warning("%s: %s", student, error)  # the student's own error: seen at any log level
        for cell, cell_notes in notes.items():
            self.log.info("%s: %s: %s", student, cell, "; ".join(cell_notes))
        return nb, resources
