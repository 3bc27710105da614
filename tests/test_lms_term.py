"""A term with each LMS, through the Makefile's targets and real nbgrader, on generated downloads.

Moodle: a download in folders (an on-time, an untouched, an import-error, a
late and misnamed, and a twice-uploaded submission), then a flat download of
one resubmission, regraded without touching the others, a one-student regrade,
and downloads that cannot be collected. Canvas: its file names, a LATE
marker, and a ``-1`` resubmission. Each ends in the grade file its LMS imports.
"""

from __future__ import annotations

import csv
import datetime
import math
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from dateutil.tz import gettz
from grading_cases import filled_release
from make_targets import MAKE
from nbgrader.api import Gradebook

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
A = "lstm"
PER_DAY = 0.1  # c.LatePenalty.per_day in nbgrader_config.py


def make(target: str, course: Path, ok: bool = True, **variables) -> subprocess.CompletedProcess:
    args = [f"{k}={v}" for k, v in {"COURSE": course, **variables}.items()]
    env = dict(os.environ, RNN_GRADEBOOK=f"sqlite:///{course / 'gradebook.db'}")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    # -o: the environment is built before the tests run; never rebuild it from here.
    command = [*MAKE, target, *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if ok:
        assert result.returncode == 0, f"make {target} failed:\n{result.stdout}\n{result.stderr}"
    return result


def new_course(tmp_path: Path, config: str) -> Path:
    """A course directory with the lstm assignment released and ``config`` added to its nbgrader_config.py."""
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copytree(ROOT / "solutions" / A, course / "solutions" / A)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    with open(course / "nbgrader_config.py", "a") as f:
        f.write("\n" + config)
    make("release", course)
    return course


def download(course: Path, name: str, entries: list[tuple[str, datetime.datetime, str]]) -> None:
    """An LMS's zip in downloaded/lstm/archive/: each file at its path, with the local time the LMS gives it."""
    archive = course / "downloaded" / A / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive / name, "w") as zf:
        for path, time, text in entries:
            zf.writestr(zipfile.ZipInfo(path, time.timetuple()[:6]), text)


def clear_downloads(course: Path) -> None:
    shutil.rmtree(course / "downloaded" / A / "archive")


def notebooks(course: Path) -> dict[str, str]:
    release = nbformat.read(course / "exercises" / A / f"{A}.ipynb", as_version=4)
    solved = filled_release(course, A)
    import_error = filled_release(course, A)
    for cell in import_error.cells:  # the student's first answer cell starts with a typo in an import
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "lstm_step_forward":
            cell.source = "from numpy import tahn\n" + cell.source
    return {k: nbformat.writes(v) for k, v in {"untouched": release, "solved": solved, "import": import_error}.items()}


def recorded(course: Path) -> dict[str, dict]:
    """What the gradebook holds for each student of lstm: names, score, maximum, penalty, time, each cell's score."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        out = {}
        for sub in gb.assignment_submissions(A):
            nb = gb.find_submission_notebook(A, A, sub.student.id)
            out[sub.student.id] = {
                "name": " ".join(p for p in (sub.student.first_name, sub.student.last_name) if p),
                "score": sub.score,
                "max": sub.max_score,
                "penalty": sub.late_submission_penalty or 0.0,
                "timestamp": sub.timestamp,
                "cells": {g.name: g.score for g in nb.grades},
                "lms": sub.student.lms_user_id,
            }
        return out


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def utc(local: datetime.datetime, zone: str) -> datetime.datetime:
    return local.replace(tzinfo=gettz(zone)).astimezone(datetime.UTC).replace(tzinfo=None)


def graded_lines(stdout: str) -> dict[str, str]:
    """make autograde's line per submission, by student id: ``[k/n] <id> <name> <score> …``."""
    return {line.split()[1]: line for line in stdout.splitlines() if line.startswith("[") and "/" in line.split()[0]}


BERLIN = "Europe/Berlin"
DUE = datetime.datetime(2026, 3, 2, 23, 59)  # in Berlin
MOODLE_CONFIG = (
    f'c.DueDates.dates = {{"lstm": "{DUE:%Y-%m-%d %H:%M:%S} {BERLIN}"}}\nc.LmsCollector.timezone = "{BERLIN}"\n'
)


def test_a_term_with_moodle(tmp_path):
    course = new_course(tmp_path, MOODLE_CONFIG)
    nb = notebooks(course)
    hour = datetime.timedelta(hours=1)
    folder = "{}_{}_assignsubmission_file_/{}"
    late_by = 36 * hour
    download(
        course,
        "moodle-in-folders.zip",
        [
            (folder.format("Ada Lovelace", 2001, "lstm.ipynb"), DUE - 4 * hour, nb["solved"]),
            (folder.format("Alan Turing", 2002, "lstm.ipynb"), DUE - 48 * hour, nb["untouched"]),
            (folder.format("Grace Hopper", 2003, "lstm.ipynb"), DUE - hour, nb["import"]),
            (folder.format("Edsger Dijkstra", 2004, "LSTM (1).ipynb"), DUE + late_by, nb["solved"]),
            # two uploads: the newer, misnamed by the browser, counts
            (folder.format("Barbara Liskov", 2005, "lstm.ipynb"), DUE - 30 * hour, nb["untouched"]),
            (folder.format("Barbara Liskov", 2005, "lstm (1).ipynb"), DUE - 2 * hour, nb["solved"]),
        ],
    )
    collected = make("collect", course, A=A)
    assert "Collected 5 submission(s) of lstm from moodle; late: 2004" in collected.stdout
    submitted = course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["2001", "2002", "2003", "2004", "2005"]
    assert (submitted / "2005" / A / "lstm.ipynb").read_text() == nb["solved"]
    assert (submitted / "2004" / A / "lstm.ipynb").read_text() == nb["solved"]

    graded = make("autograde", course, A=A, JOBS=1)
    lines = graded_lines(graded.stdout)
    assert sorted(lines) == ["2001", "2002", "2003", "2004", "2005"]
    assert sorted(line.split()[0] for line in lines.values()) == [f"[{k}/5]" for k in range(1, 6)]
    assert "SAWarning" not in graded.stderr and "INFO" not in graded.stderr

    rows = recorded(course)
    full = rows["2001"]["max"]
    assert {s: r["name"] for s, r in rows.items()} == {
        "2001": "Ada Lovelace",
        "2002": "Alan Turing",
        "2003": "Grace Hopper",
        "2004": "Edsger Dijkstra",
        "2005": "Barbara Liskov",
    }
    assert rows["2004"]["timestamp"] == utc(DUE + late_by, BERLIN)
    assert {s: r["score"] for s, r in rows.items()} == {
        "2001": full,
        "2002": 0.0,
        "2003": rows["2003"]["score"],
        "2004": full,
        "2005": full,
    }
    assert rows["2004"]["penalty"] == pytest.approx(full * PER_DAY * math.ceil(late_by / datetime.timedelta(days=1)))
    assert all(rows[s]["penalty"] == 0 for s in ("2001", "2002", "2003", "2005"))
    # the import error costs the function of the cell it is in, and the line names it
    assert rows["2003"]["cells"]["test_lstm_step_forward"] == 0
    assert "lstm_step_forward 0/2" in lines["2003"] and "Grace Hopper" in lines["2003"]
    assert f"late 2 d (-{rows['2004']['penalty']:.1f})" in lines["2004"]
    assert "5 graded: 2 full marks, 1 late" in graded.stdout.splitlines()  # 2004 has all points, less its penalty

    make("grades", course, A=A)
    worksheet = read_csv(course / "_build" / "grades" / "moodle-lstm.csv")
    assert [r["Identifier"] for r in worksheet] == [f"Participant {s}" for s in sorted(rows)]
    for r in worksheet:
        s = r["Identifier"].split()[1]
        assert r["Full name"] == rows[s]["name"]
        assert float(r["Grade"]) == pytest.approx(rows[s]["score"] - rows[s]["penalty"])
        assert float(r["Maximum Grade"]) == full and r["Last modified (grade)"]
    assert sorted(p.name for p in (course / "_build" / "grades").iterdir()) == ["moodle-lstm.csv"]

    # Alan Turing resubmits before the deadline: a flat download of his submission alone.
    before = {s: (submitted / s / A / "timestamp.txt").read_text() for s in rows}
    autograded_before = {s: (course / "autograded" / s / A / "lstm.ipynb").stat().st_mtime_ns for s in rows}
    clear_downloads(course)
    download(
        course, "moodle-flat.zip", [("Alan Turing_2002_assignsubmission_file_lstm.ipynb", DUE - hour, nb["solved"])]
    )
    make("collect", course, A=A)
    after = {s: (submitted / s / A / "timestamp.txt").read_text() for s in rows}
    assert {s for s in rows if before[s] != after[s]} == {"2002"}
    regraded = make("autograde", course, A=A, JOBS=1)  # no REGRADE: the newer submission alone is graded again
    assert list(graded_lines(regraded.stdout)) == ["2002"]
    assert graded_lines(regraded.stdout)["2002"].startswith(f"[1/1] 2002 Alan Turing {full:g}/{full:g} ")
    for s in ("2001", "2003", "2004", "2005"):
        assert (course / "autograded" / s / A / "lstm.ipynb").stat().st_mtime_ns == autograded_before[s]
    assert recorded(course)["2002"]["score"] == full

    # One student graded again on request, and their feedback page rewritten; the others untouched.
    make("feedback", course, A=A)
    page = {s: course / "feedback" / s / A / "lstm.html" for s in rows}
    pages_before = {s: p.stat().st_mtime_ns for s, p in page.items()}
    one = make("autograde", course, A=A, S="2001", REGRADE=1, JOBS=1)
    assert list(graded_lines(one.stdout)) == ["2001"]
    for s in ("2003", "2004", "2005"):
        assert (course / "autograded" / s / A / "lstm.ipynb").stat().st_mtime_ns == autograded_before[s]
    make("feedback", course, A=A, S="2001", REGRADE=1)
    assert {s for s, p in page.items() if p.stat().st_mtime_ns != pages_before[s]} == {"2001"}

    make("grades", course, A=A)
    worksheet = {r["Identifier"]: r for r in read_csv(course / "_build" / "grades" / "moodle-lstm.csv")}
    assert float(worksheet["Participant 2002"]["Grade"]) == full

    # Downloads that cannot be collected fail, naming the file, and collect nothing.
    kept = (submitted / "2002" / A / "timestamp.txt").read_text()
    clear_downloads(course)
    download(course, "stray.zip", [("Alan Turing_2002_assignsubmission_file_/Untitled.ipynb", DUE, nb["solved"])])
    failed = make("collect", course, ok=False, A=A)
    assert failed.returncode != 0 and "Untitled.ipynb  (student 2002)" in failed.stderr
    assert (submitted / "2002" / A / "timestamp.txt").read_text() == kept
    clear_downloads(course)
    download(course, "nobody.zip", [("notes.txt", DUE, "hello")])
    failed = make("collect", course, ok=False, A=A)
    assert failed.returncode != 0 and "notes.txt" in failed.stderr
    clear_downloads(course)
    (course / "downloaded" / A / "archive").mkdir()
    failed = make("collect", course, ok=False, A=A)
    assert failed.returncode != 0 and "No submission collected" in failed.stderr


NEW_YORK = "America/New_York"
CANVAS_CONFIG = (
    f'c.DueDates.dates = {{"lstm": "{DUE:%Y-%m-%d %H:%M:%S} {NEW_YORK}"}}\n'
    f'c.LmsCollector.timezone = "{NEW_YORK}"\n'
    'c.LmsGrades.canvas_columns = {"lstm": "LSTM (777)"}\n'
)


def test_a_term_with_canvas(tmp_path):
    course = new_course(tmp_path, CANVAS_CONFIG)
    nb = notebooks(course)
    hour = datetime.timedelta(hours=1)
    download(
        course,
        "submissions.zip",
        [
            ("lovelaceada_3001_501_lstm.ipynb", DUE - hour, nb["solved"]),
            ("turingalan_LATE_3002_502_lstm.ipynb", DUE + 3 * hour, nb["solved"]),
            # uploaded twice: Canvas names the second lstm-1.ipynb and gives it the higher attachment id
            ("hoppergrace_3003_503_lstm.ipynb", DUE - 2 * hour, nb["untouched"]),
            ("hoppergrace_3003_504_lstm-1.ipynb", DUE - 2 * hour, nb["solved"]),
        ],
    )
    collected = make("collect", course, A=A)
    assert "Collected 3 submission(s) of lstm from canvas; late: 3002" in collected.stdout
    assert (course / "submitted" / "3003" / A / "lstm.ipynb").read_text() == nb["solved"]

    graded = make("autograde", course, A=A, JOBS=1)
    assert sorted(graded_lines(graded.stdout)) == ["3001", "3002", "3003"]
    rows = recorded(course)
    full = rows["3001"]["max"]
    assert {s: r["lms"] for s, r in rows.items()} == {s: f"canvas:{s}" for s in ("3001", "3002", "3003")}
    assert rows["3002"]["penalty"] == pytest.approx(full * PER_DAY * math.ceil(3 / 24))
    assert rows["3002"]["timestamp"] == utc(DUE + 3 * hour, NEW_YORK)

    make("grades", course)
    out = course / "_build" / "grades"
    assert sorted(p.name for p in out.iterdir()) == ["canvas.csv"]
    imported = read_csv(out / "canvas.csv")
    assert list(imported[0]) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "LSTM (777)"]
    assert {r["ID"]: r["Student"] for r in imported} == {
        "3001": "lovelaceada",
        "3002": "turingalan",
        "3003": "hoppergrace",
    }
    for r in imported:
        assert float(r["LSTM (777)"]) == pytest.approx(rows[r["ID"]]["score"] - rows[r["ID"]]["penalty"])
