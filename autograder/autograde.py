"""``make autograde``: nbgrader's autograde, with the submissions graded on every core or on a Dask cluster.

``python -m autograder.autograde ASSIGNMENT [--jobs N] [--scheduler tcp://host:port]``
takes every argument ``nbgrader autograde`` takes and reads the same
``nbgrader_config.py``. It differs in one thing: before nbgrader's loop runs,
each submission it is about to grade is sanitized (nbgrader's own sanitizing
preprocessors, read-only) and sent to a worker, which grades it in its sandbox
(:mod:`autograder.executors`). nbgrader's loop then runs unchanged, one
submission after another in this process, and takes each verdict as it comes;
so this process alone writes the gradebook and ``autograded/``, in the order
nbgrader always uses, and the gradebook, feedback and statuses are those of a
serial run.

By default there is one worker per core (:func:`autograder.executors.default_jobs`).
``--jobs 1`` (or a class of one) is nbgrader's own serial autograde. Where the
grading is not isolated (``RNN_ISOLATED_GRADING=0``), it is serial too: the
students' code then runs in nbgrader's kernel, which has no verdict to compute
ahead.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

import nbformat
from nbgrader import utils
from nbgrader.apps.autogradeapp import AutogradeApp
from nbgrader.apps.autogradeapp import aliases as nbgrader_autograde_aliases
from nbgrader.converters import Autograde, BaseConverter, NbGraderException
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm
from traitlets import Integer, Unicode, default

from autograder import grading_report
from autograder.executors import Where, computing_ahead, dask_client, default_jobs, submit
from autograder.isolated import IsolatedExecute, course_secret, release_from_gradebook, submission_key, submission_seed
from autograder.lms.late import DueDates, record_due_date

# nbgrader's messages about a late submission (three per student) and about removing what it regrades (one per
# student): the line printed per student says what was graded and how late.
LATE_NOISE = re.compile(
    r"is [\d.]+ seconds late|^Late submission penalty|^Using late submission penalty method"
    r"|^Removing existing assignment"
)


class QuietLate(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not LATE_NOISE.search(record.getMessage())


@dataclass(frozen=True)
class Planned:
    """A submission nbgrader's loop is about to grade: its ids and its notebooks' paths."""

    assignment: str
    student: str
    notebooks: tuple[str, ...]


@contextmanager
def logs_above(bar: tqdm, log: logging.Logger):
    """Route ``log``'s console output through tqdm, keeping each handler's level, so the bar stays at the bottom."""
    if bar.disable:
        yield
        return
    levels = [h.level for h in log.handlers if isinstance(h, logging.StreamHandler)]
    with logging_redirect_tqdm(loggers=[log]):
        for handler in log.handlers:
            if isinstance(handler, logging.StreamHandler) and levels:
                handler.setLevel(min(levels))
        yield


class ParallelAutograde(Autograde):
    """nbgrader's ``Autograde``, with each submission's verdict computed ahead by a worker."""

    jobs = Integer(
        0,
        help="Submissions graded at a time on this machine; 1 grades one after another, 0 (the default) one per core "
        "where each sandbox can run as a uid of its own (as root), else 1.",
    ).tag(config=True)
    scheduler = Unicode(
        "", help="Address of a Dask scheduler (tcp://host:port): grade on its workers instead of this machine's cores."
    ).tag(config=True)

    _bar: tqdm | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sanitized: dict[str, tuple[str, dict]] = {}  # path -> (notebook, resources), sanitized ahead
        self._results: list[grading_report.Graded] = []
        self._total = 0
        self.log.addFilter(QuietLate())

    @property
    def isolated(self) -> bool:
        return any(isinstance(p, type) and issubclass(p, IsolatedExecute) for p in self.autograde_preprocessors)

    def plan(self) -> list[Planned]:
        """The submissions nbgrader's loop will grade, asked of nbgrader itself (``init_destination``).

        Asking twice is harmless: where nbgrader is going to regrade, it
        removes the old results the first time and finds none the second.
        """
        planned = []
        regexp = self._format_source("(?P<assignment_id>.*)", "(?P<student_id>.*)", escape=True)
        for assignment in sorted(self.assignments):
            match = re.match(regexp, assignment)
            if match is None:
                continue  # nbgrader's loop reports it
            self.notebooks = sorted(self.assignments[assignment])
            ids = match.groupdict()
            if self.init_destination(ids["assignment_id"], ids["student_id"]):
                planned.append(Planned(ids["assignment_id"], ids["student_id"], tuple(self.notebooks)))
        return planned

    def sanitized(self, path: str) -> tuple[str, dict]:
        """The notebook at ``path`` as nbgrader's sanitizing preprocessors leave it (nbformat JSON), not written."""
        self._sanitizing = True
        self._init_preprocessors()
        resources = self.init_single_notebook_resources(path)
        return self.exporter.from_filename(path, resources=resources)

    def send_ahead(self, client, ahead, planned: list[Planned]) -> None:
        """Sanitize each planned notebook and send it to the cluster, in the order nbgrader will need them."""
        releases = {}
        for submission in planned:
            for path in submission.notebooks:
                try:
                    text, resources = self.sanitized(path)
                except Exception as err:  # noqa: BLE001 - nbgrader's loop meets it again and reports it
                    self.log.debug("not sent ahead: %s (%s)", path, err)
                    continue
                self._sanitized[path] = (text, resources)
                info = resources["nbgrader"]
                where = Where(info["student"], info["assignment"], info["notebook"])
                if (where.assignment, where.notebook) not in releases:
                    ids = (self.coursedir.db_url, where.notebook, where.assignment)
                    releases[where.assignment, where.notebook] = (release_from_gradebook(*ids), course_secret(*ids))
                release, secret = releases[where.assignment, where.notebook]
                nb = nbformat.reads(text, as_version=4)
                seed = submission_seed(secret, nb, release)
                name = f"{where.assignment}-{where.student}-{where.notebook}"
                ahead.add(where, submission_key(nb, release), submit(client, text, release, seed, name=name))

    def convert_single_notebook(self, notebook_filename: str) -> None:
        start = time.monotonic()
        try:
            done_ahead = self._sanitized.pop(notebook_filename, None)
            if done_ahead is None:
                super().convert_single_notebook(notebook_filename)
            else:
                self._autograde_sanitized(notebook_filename, *done_ahead)
            self._report(notebook_filename, time.monotonic() - start)
        finally:
            if self._bar is not None:
                self._bar.update(1)

    def _report(self, notebook_filename: str, seconds: float) -> None:
        """Print the line of a notebook just graded (:mod:`autograder.grading_report`)."""
        notebook = os.path.splitext(os.path.basename(notebook_filename))[0]
        autograded = os.path.join(self.writer.build_directory, os.path.basename(notebook_filename))
        ids = self._notebook_ids(notebook_filename)
        if ids is None:
            return
        assignment, student = ids
        status = grading_report.status_of(autograded)
        try:
            result = grading_report.from_gradebook(
                self.coursedir.db_url, assignment, student, notebook, status, seconds
            )
        except Exception as err:  # noqa: BLE001 - the report must never cost a submission its grading
            self.log.warning("%s: graded, but its line could not be reported (%s)", student, err)
            return
        self._results.append(result)
        text = grading_report.line(len(self._results), max(self._total, len(self._results)), result)
        if self._bar is not None and not self._bar.disable:
            self._bar.write(text, file=sys.stdout)
        else:
            print(text, flush=True)

    def _notebook_ids(self, notebook_filename: str) -> tuple[str, str] | None:
        """(assignment, student) of a submitted notebook's path, as nbgrader's own path format says."""
        regexp = self._format_source("(?P<assignment_id>[^/]+)", "(?P<student_id>[^/]+)", escape=True)
        match = re.match(regexp, os.path.dirname(os.path.abspath(notebook_filename)))
        return (match["assignment_id"], match["student_id"]) if match else None

    def _autograde_sanitized(self, notebook_filename: str, output: str, resources: dict) -> None:
        """``Autograde.convert_single_notebook``, with its first half (sanitizing) done ahead by :meth:`send_ahead`.

        The sanitized notebook is written where nbgrader writes it, then
        autograded from there exactly as nbgrader's own second half does.
        """
        self.log.info("Sanitized %s (ahead)", notebook_filename)
        self.write_single_notebook(output, resources)
        sanitized = os.path.join(self.writer.build_directory, os.path.basename(notebook_filename))
        self.log.info("Autograding %s", sanitized)
        self._sanitizing = False
        self._init_preprocessors()
        try:
            with utils.setenv(NBGRADER_EXECUTION="autograde"):
                BaseConverter.convert_single_notebook(self, sanitized)
        finally:
            self._sanitizing = True

    def convert_notebooks(self) -> None:
        if not self.isolated and os.environ.get("RNN_ISOLATED_GRADING", "1") == "1":
            # nbgrader only logs an error when nbgrader_config.py fails to load, and would then run
            # the students' code in its own kernel, unisolated.
            raise NbGraderException(
                "nbgrader_config.py did not set up isolated grading (see the error above; is RNN_COURSE_REPO "
                "the course repository?): refusing to run students' code outside the sandbox"
            )
        assignment = self.coursedir.assignment_id
        if assignment and not any(ch in assignment for ch in "*?["):  # the due date of the configuration counts
            record_due_date(self.coursedir.db_url, assignment, DueDates(parent=self).due(assignment))
        planned = self.plan()
        total = sum(len(p.notebooks) for p in planned)
        self._total, self._results = total, []
        workers = min(self.jobs or default_jobs(), total)
        parallel = self.isolated and total > 0 and (bool(self.scheduler) or workers > 1)
        if (self.jobs > 1 or self.scheduler) and not self.isolated:
            self.log.warning("grading is not isolated (RNN_ISOLATED_GRADING=0): grading one submission at a time")
        where = f"on {self.scheduler}" if self.scheduler else f"{workers} at a time" if parallel else "one at a time"
        self.log.info("grading %d notebook(s) %s", total, where)
        start = time.monotonic()
        # A bar where someone watches (a terminal); the log alone where it goes to a file.
        self._bar = tqdm(total=total, unit="notebook", desc="autograde", disable=None if total else True)
        try:
            with logs_above(self._bar, self.log):
                if parallel:
                    with dask_client(workers, self.scheduler) as client, computing_ahead() as ahead:
                        self.send_ahead(client, ahead, planned)
                        try:
                            super().convert_notebooks()
                        finally:
                            self._sanitized.clear()
                    self.log.info("%d verdict(s) computed by workers, %d here", ahead.used, ahead.missed)
                else:
                    super().convert_notebooks()
        finally:
            self._bar.close()
            self._bar = None
        if total:
            seconds = time.monotonic() - start
            if self._results:
                print(grading_report.table(self._results))
            print(f"graded {total} notebook(s) {where} in {seconds:.1f} s ({seconds / total:.2f} s each)")
        else:
            print("nothing to grade: every submission collected is graded (REGRADE=1 grades all again)")


class ParallelAutogradeApp(AutogradeApp):
    """``nbgrader autograde`` with :class:`ParallelAutograde` as its converter, and ``--jobs``, ``--scheduler``."""

    name = "rnn-autograde"
    description = "Autograde submissions, several at a time or on a Dask cluster"
    aliases = {
        **nbgrader_autograde_aliases,
        "jobs": "ParallelAutograde.jobs",
        "scheduler": "ParallelAutograde.scheduler",
    }

    def _classes_default(self):
        return [*super()._classes_default(), ParallelAutograde, DueDates]

    @default("log_level")
    def _log_level_default(self):
        # nbgrader's INFO is a dozen lines per student; the line printed per student says what matters.
        # --log-level=INFO brings them back.
        return logging.WARNING

    def start(self) -> None:
        # AutogradeApp.start, with ParallelAutograde in place of Autograde.
        super(AutogradeApp, self).start()
        if len(self.extra_args) > 1:
            self.fail("Only one argument (the assignment id) may be specified")
        elif len(self.extra_args) == 0 and self.coursedir.assignment_id == "":
            self.fail("An assignment id must be specified, either as an argument or with --assignment")
        elif len(self.extra_args) == 1:
            if self.coursedir.assignment_id != "":
                self.fail("The assignment cannot both be specified in config and as an argument")
            self.coursedir.assignment_id = self.extra_args[0]
        converter = ParallelAutograde(coursedir=self.coursedir, parent=self)
        try:
            converter.start()
        except NbGraderException:
            sys.exit(1)


main = ParallelAutogradeApp.launch_instance

if __name__ == "__main__":  # a local cluster's workers import this module again, as __mp_main__
    main()
