"""``make grades A=…``: the grades of the graded assignments, in the files Moodle and Canvas import.

For each assignment named (by default every assignment with a graded
submission), only the students whose submission was graded get a row: an
assignment not yet released or collected never appears, and a student who
submitted nothing gets an empty cell in the LMS, not a 0 from here. A grade is
nbgrader's score less its late penalty (:mod:`autograder.lms.late`).

**Moodle** imports a *grading worksheet* per assignment (*Assignment →
Upload grading worksheet*, with *Offline grading worksheet* enabled among the
assignment's feedback types). Its importer
(``mod/assign/feedback/offline/importgradeslib.php``) needs three columns by
these headers: ``Identifier`` ("Participant <participant id>", the id in the
download's file names), ``Grade`` and ``Last modified (grade)`` (a grade
Moodle changed after that time is left alone unless the upload allows it);
``Full name``, ``Email address`` and ``Maximum Grade`` are there for the
reader, as in the worksheet Moodle exports. Moodle takes the grade as given,
so set the Moodle assignment's maximum grade to the assignment's points.

**Canvas** imports one CSV for the whole gradebook (*Grades → Import*). It
needs the columns ``Student``, ``ID`` (Canvas's user id, the id in the
download's file names), ``SIS User ID``, ``SIS Login ID`` and ``Section``
(the last three may be empty), then a column per assignment, headed by its
name in Canvas followed by its Canvas id in parentheses, ``LSTM (123456)``
(see the Ohio State University's guide to Canvas grade imports,
teaching.resources.osu.edu, "Import a CSV file to Carmen Grades"). A header
Canvas does not know creates a new assignment there, so set each header in
``c.LmsGrades.canvas_columns``.

Students are sorted to their LMS by what ``make collect`` recorded
(``lms_user_id`` in the gradebook, "moodle:1001" or "canvas:4242"); a file is
written only for an LMS that has students.
"""

from __future__ import annotations

import csv
import datetime
import sys
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.apps.baseapp import NbGrader
from traitlets import Dict, Unicode, default

MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Last modified (grade)"]
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


@dataclass(frozen=True)
class Graded:
    """One graded submission, as the grade files need it."""

    assignment: str
    student: str
    lms: str  # "moodle", "canvas" or "" (not collected from an LMS)
    name: str
    email: str
    grade: float
    max_score: float


def graded_submissions(db_url: str, assignments: list[str] | None) -> list[Graded]:
    """Every graded submission of ``assignments`` (None: of every assignment that has one) in the gradebook."""
    rows = []
    with Gradebook(db_url) as gb:
        names = assignments if assignments is not None else [a.name for a in gb.assignments]
        for assignment in names:
            for sub in gb.assignment_submissions(assignment):
                if not sub.notebooks:  # recorded (an extension, say) but not graded yet: no grade, not a 0
                    continue
                student = sub.student
                lms = (student.lms_user_id or "").partition(":")[0]
                name = " ".join(p for p in (student.first_name, student.last_name) if p)
                penalty = sub.late_submission_penalty or 0.0
                grade = round(max(0.0, sub.score - penalty), 6)
                rows.append(Graded(assignment, student.id, lms, name, student.email or "", grade, sub.max_score))
    return sorted(rows, key=lambda g: (g.assignment, g.student))


def number(x: float) -> str:
    """A grade as both LMSs read it: ``8`` or ``7.2``, a point for the decimals."""
    return f"{x:.6g}"


def moodle_rows(graded: list[Graded], now: datetime.datetime) -> list[dict]:
    """The grading worksheet's rows of one assignment's Moodle students."""
    modified = now.strftime("%A, %d %B %Y, %I:%M %p")  # as Moodle writes it; its importer reads it with strtotime
    return [
        {
            "Identifier": f"Participant {g.student}",
            "Full name": g.name,
            "Email address": g.email,
            "Grade": number(g.grade),
            "Maximum Grade": number(g.max_score),
            "Last modified (grade)": modified,
        }
        for g in graded
        if g.lms == "moodle"
    ]


def canvas_rows(graded: list[Graded], columns: dict[str, str]) -> tuple[list[str], list[dict]]:
    """Canvas's import: its header and one row per Canvas student, a column per assignment (empty where ungraded)."""
    canvas = [g for g in graded if g.lms == "canvas"]
    assignments = sorted({g.assignment for g in canvas})
    header = CANVAS_COLUMNS + [columns.get(a, a) for a in assignments]
    rows: dict[str, dict] = {}
    for g in canvas:
        row = rows.setdefault(g.student, {"Student": g.name, "ID": g.student, **{c: "" for c in CANVAS_COLUMNS[2:]}})
        row[columns.get(g.assignment, g.assignment)] = number(g.grade)
    return header, [rows[s] for s in sorted(rows)]


def write_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)


class LmsGrades(NbGrader):
    """``python -m autograder.lms.grades [ASSIGNMENT …]``: the grade files of the graded assignments."""

    name = "rnn-grades"
    output = Unicode("_build/grades", help="Where the grade files are written.").tag(config=True)
    canvas_columns = Dict(
        {}, help="Assignment name -> its column header in Canvas's gradebook, 'LSTM (123456)' (default: the name)."
    ).tag(config=True)

    @default("classes")
    def _classes_default(self):
        return [*super()._classes_default(), LmsGrades]

    def start(self):
        super().start()
        assignments = list(self.extra_args) or None
        graded = graded_submissions(self.coursedir.db_url, assignments)
        if not graded:
            self.fail(f"No graded submission of {' '.join(assignments or ['any assignment'])}: run make autograde")
        out = Path(self.coursedir.root, self.output)
        written = []
        for assignment in sorted({g.assignment for g in graded}):
            rows = moodle_rows([g for g in graded if g.assignment == assignment], datetime.datetime.now())
            if rows:
                write_csv(out / f"moodle-{assignment}.csv", MOODLE_COLUMNS, rows)
                written.append((out / f"moodle-{assignment}.csv", len(rows)))
        header, rows = canvas_rows(graded, self.canvas_columns)
        if rows:
            write_csv(out / "canvas.csv", header, rows)
            written.append((out / "canvas.csv", len(rows)))
        others = sorted({g.student for g in graded if g.lms not in ("moodle", "canvas")})
        if others:
            self.log.warning("not collected from Moodle or Canvas, so in no grade file: %s", ", ".join(others))
        for path, n in written:
            print(f"Wrote {path} ({n} students)")


main = LmsGrades.launch_instance

if __name__ == "__main__":
    sys.exit(main())
