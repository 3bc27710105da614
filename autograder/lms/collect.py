"""``make collect A=…``: nbgrader's ``zip_collect`` for Moodle's and Canvas's bulk downloads.

``python -m autograder.lms.collect ASSIGNMENT`` is ``nbgrader zip_collect``
with three of its parts replaced through nbgrader's own plugin points:

- :class:`KeepTimesExtractor` (``ZipCollectApp.extractor_plugin``) unpacks
  every zip of ``downloaded/<assignment>/archive/`` as nbgrader's does, but
  keeps each file's time from the zip: the time the LMS stored with it.
- :class:`LmsCollector` (``ZipCollectApp.collector_plugin``) reads the
  student, name and notebook from each file's path in either LMS's layout
  (:mod:`autograder.lms.names`), mapping a misnamed notebook (``LSTM.ipynb``,
  ``lstm (1).ipynb``, ``lstm-1.ipynb``) to the released one.
- :class:`LmsZipCollectApp` keeps, of the files of one student and notebook,
  the newest (see :func:`newest`) instead of stopping at the second, writes
  each submission's time to ``submitted/<student>/<assignment>/timestamp.txt``
  for nbgrader's late penalties, the students' names to the gradebook, and
  the due date of the configuration (:mod:`autograder.lms.late`). It fails,
  naming the files, when a file fits neither LMS's layout or no released
  notebook, and when it collects nothing.

Only the students in the download are touched: a download of one
resubmission replaces that student's submission and no other.
"""

from __future__ import annotations

import datetime
import logging
import os
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dateutil.tz import gettz
from nbgrader.api import Gradebook
from nbgrader.apps.zipcollectapp import ZipCollectApp
from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin
from nbgrader.utils import find_all_notebooks
from traitlets import Unicode, default

from autograder.lms.late import DueDates, record_due_date
from autograder.lms.names import LmsFile, parse, released_notebook, split_name


class KeepTimesExtractor(ExtractorPlugin):
    """nbgrader's extractor, keeping each file's time from its zip (nbgrader's own sets the time of extraction)."""

    def extract(self, archive_path: str, extracted_path: str) -> None:
        for root, _, files in os.walk(archive_path):
            for name in sorted(files):
                source = Path(root, name)
                target = Path(extracted_path, os.path.relpath(root, archive_path))
                if zipfile.is_zipfile(source):
                    self.log.info("Extracting %s", source)
                    unzip_keeping_times(source, target / source.stem)
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, target / name)  # copy2: the file's own time


def unzip_keeping_times(archive: Path, target: Path) -> None:
    """Extract ``archive`` under ``target``, each file with the modification time its zip entry records."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            path = Path(zf.extract(info, target))
            stamp = datetime.datetime(*info.date_time).timestamp()  # a zip's times are local, without a zone
            os.utime(path, (stamp, stamp))


@dataclass(frozen=True)
class Collected:
    """One file of the download that maps to a student's notebook."""

    path: str
    lms_file: LmsFile
    notebook: str  # the released notebook's name, without .ipynb
    time: datetime.datetime  # when the LMS says the file was stored (aware)


def newest(files: list[Collected]) -> Collected:
    """The file that counts when a student has several for one notebook.

    The latest time the LMS stored with a file decides; between equal times,
    Canvas's higher attachment id (a later upload), then the later path in
    the download (Canvas's ``-2`` after ``-1``; a later archive's name).
    """
    return max(files, key=lambda f: (f.time, f.lms_file.attachment, f.path))


class LmsCollector(FileNameCollectorPlugin):
    """Reads the student and notebook from a file's path in Moodle's (either layout) or Canvas's download."""

    timezone = Unicode(
        "UTC", help="The time zone of the LMS's server: the times in its zips are local times without a zone."
    ).tag(config=True)
    released: list[str] = []
    extracted_root = ""

    def file_time(self, path: str) -> datetime.datetime:
        local = datetime.datetime.fromtimestamp(os.path.getmtime(path))
        return local.replace(tzinfo=gettz(self.timezone))

    def collect(self, submitted_file: str) -> dict | None:
        relative = os.path.relpath(submitted_file, self.extracted_root).replace(os.sep, "/")
        lms_file = parse(relative)
        if lms_file is None:
            return None
        notebook = released_notebook(lms_file.file_name, self.released)
        if notebook is None:
            return {"student_id": lms_file.student_id, "lms_file": lms_file, "notebook": None}
        return {
            "student_id": lms_file.student_id,
            "file_id": f"{notebook}.ipynb",
            "lms_file": lms_file,
            "notebook": notebook,
            "time": self.file_time(submitted_file),
        }


class CollectError(Exception):
    """The download cannot be collected as it is: the message says which files and why."""


def choose(collected: list[Collected]) -> dict[str, dict[str, Collected]]:
    """Student -> notebook -> the file that counts (:func:`newest`)."""
    by_student: dict[str, dict[str, list[Collected]]] = {}
    for c in collected:
        by_student.setdefault(c.lms_file.student_id, {}).setdefault(c.notebook, []).append(c)
    return {s: {nb: newest(files) for nb, files in nbs.items()} for s, nbs in by_student.items()}


def unmapped_message(unknown: list[str], misnamed: list[tuple[str, str]], released: list[str]) -> str:
    """What the instructor reads when files of the download cannot be collected, and what to do."""
    lines = []
    if unknown:
        lines.append("These files fit neither Moodle's nor Canvas's download layout (whose are they?):")
        lines += [f"  {p}" for p in unknown]
    if misnamed:
        names = ", ".join(f"{n}.ipynb" for n in released)
        lines.append(f"These files are not a notebook of the release ({names}):")
        lines += [f"  {p}  (student {s})" for p, s in misnamed]
    lines.append(
        "Rename or remove them in downloaded/<assignment>/archive/ (after grading them by hand if need be) "
        "and run make collect again; nothing was collected."
    )
    return "\n".join(lines)


class LmsZipCollectApp(ZipCollectApp):
    """``nbgrader zip_collect`` for Moodle's and Canvas's downloads (see the module's docstring)."""

    name = "rnn-collect"

    @default("extractor_plugin")
    def _extractor_default(self):
        return KeepTimesExtractor

    @default("collector_plugin")
    def _collector_default(self):
        return LmsCollector

    @default("log_level")
    def _log_level_default(self):
        return logging.WARNING  # nbgrader's INFO is a line per file copied; the report below says what was done

    def _mkdirs_if_missing(self, path):
        os.makedirs(path, exist_ok=True)  # nbgrader warns for every student's new directory

    def _clear_existing_files(self, path):
        shutil.rmtree(path)  # a student's earlier submission, or the last extraction: replaced, as --force does
        os.makedirs(path)

    @default("force")
    def _force_default(self):
        return True  # a collect replaces what the last one extracted, and the submissions in this download

    @default("classes")
    def _classes_default(self):
        return [*super()._classes_default(), KeepTimesExtractor, LmsCollector, DueDates]

    def init_plugins(self):
        super().init_plugins()
        self.extractor_plugin_inst.force = True
        released_path = self.coursedir.format_path(self.coursedir.release_directory, ".", self.coursedir.assignment_id)
        released = sorted(Path(p).stem for p in find_all_notebooks(released_path))
        if not released:
            self.fail(f"No released notebook of {self.coursedir.assignment_id} in {released_path}: run make release")
        self.collector_plugin_inst.released = released
        self.collector_plugin_inst.extracted_root = self._format_collect_path(self.extracted_directory)

    def process_extracted_files(self):
        extracted = Path(self._format_collect_path(self.extracted_directory))
        paths = sorted(str(p) for p in extracted.rglob("*") if p.is_file()) if extracted.is_dir() else []
        collector = self.collector_plugin_inst
        collected, unknown, misnamed = [], [], []
        for path in paths:
            info = collector.collect(path)
            relative = os.path.relpath(path, extracted)
            if info is None:
                unknown.append(relative)
            elif info["notebook"] is None:
                misnamed.append((relative, info["student_id"]))
            else:
                collected.append(Collected(path, info["lms_file"], info["notebook"], info["time"]))
        if unknown or misnamed:
            self.fail(unmapped_message(unknown, misnamed, collector.released))
        if not collected:
            archive = self._format_collect_path(self.archive_directory)
            self.fail(f"No submission collected: put the LMS's download (its zip) in {archive}")
        chosen = choose(collected)
        for c in collected:
            kept = chosen[c.lms_file.student_id][c.notebook]
            if c is not kept:
                older, newer = os.path.relpath(c.path, extracted), os.path.relpath(kept.path, extracted)
                self.log.warning("%s: replaced by the newer %s", older, newer)
            elif c.lms_file.file_name.split("/")[-1] != f"{c.notebook}.ipynb":
                self.log.warning("%s: collected as %s.ipynb", os.path.relpath(c.path, extracted), c.notebook)
        self._transfer_files(self.transfer_data(chosen))
        self.record_students(chosen)
        self.report(chosen)

    def transfer_data(self, chosen: dict[str, dict[str, Collected]]) -> dict:
        """nbgrader's data for ``_transfer_files``: each student's files, destinations and submission time."""
        data = {}
        for student, notebooks in sorted(chosen.items()):
            submitted = self.coursedir.format_path(
                self.coursedir.submitted_directory, student, self.coursedir.assignment_id
            )
            files = sorted(notebooks.values(), key=lambda c: c.notebook)
            data[student] = {
                "src_files": [c.path for c in files],
                "dest_files": [os.path.join(submitted, f"{c.notebook}.ipynb") for c in files],
                "file_ids": [f"{c.notebook}.ipynb" for c in files],
                # nbgrader writes it as given; an aware time keeps its offset, which nbgrader's parse_utc reads.
                "timestamp": max(c.time for c in files).replace(microsecond=0),
            }
        return data

    def record_students(self, chosen: dict[str, dict[str, Collected]]) -> None:
        """The students' names from the download, and the LMS they came from, into nbgrader's gradebook."""
        due = DueDates(parent=self).due(self.coursedir.assignment_id)
        if not record_due_date(self.coursedir.db_url, self.coursedir.assignment_id, due):
            self.log.warning("the gradebook has no assignment %s yet (make release)", self.coursedir.assignment_id)
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            for student, notebooks in chosen.items():
                lms_file = next(iter(notebooks.values())).lms_file
                first, last = split_name(lms_file.lms, lms_file.name)
                gb.update_or_create_student(
                    student, first_name=first, last_name=last, lms_user_id=f"{lms_file.lms}:{student}"
                )

    def report(self, chosen: dict[str, dict[str, Collected]]) -> None:
        """One line for the instructor: how many submissions, from which LMS, how many late."""
        due = DueDates(parent=self).due(self.coursedir.assignment_id)
        late = []
        for student, notebooks in sorted(chosen.items()):
            time = max(c.time for c in notebooks.values())
            utc = time.astimezone(datetime.UTC).replace(tzinfo=None)
            marked = any(c.lms_file.late for c in notebooks.values())
            if (due is not None and utc > due) or marked:
                late.append(student)
            if marked and (due is None or utc <= due):
                self.log.warning(
                    "%s: Canvas marks the submission LATE, but its time (%s) is not after the due date in "
                    "nbgrader_config.py (%s UTC): no penalty is applied; check the due dates agree",
                    student,
                    time.isoformat(" "),
                    due,
                )
        lms = sorted({c.lms_file.lms for nbs in chosen.values() for c in nbs.values()})
        print(
            f"Collected {len(chosen)} submission(s) of {self.coursedir.assignment_id} from {' and '.join(lms)}"
            + (f"; late: {', '.join(late)}" if late else "")
        )


def main(argv=None) -> None:
    LmsZipCollectApp.launch_instance(argv)


if __name__ == "__main__":
    sys.exit(main())
