"""Reading the LMSs' downloads, the late rule, the grade files and the report lines: pure functions, no nbgrader run.

The whole term through nbgrader, on generated Moodle and Canvas downloads, is
``tests/test_lms_term.py``.
"""

from __future__ import annotations

import csv
import datetime
import math
import os
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import grading_report
from autograder.lms.collect import Collected, choose, newest, unmapped_message, unzip_keeping_times
from autograder.lms.grades import (
    CANVAS_COLUMNS,
    MOODLE_COLUMNS,
    Graded,
    canvas_rows,
    graded_submissions,
    moodle_rows,
    write_csv,
)
from autograder.lms.late import DAY, late_fraction
from autograder.lms.names import LmsFile, notebook_stem, parse, released_notebook, split_name

# ---------------------------------------------------------------- who a file belongs to


@pytest.mark.parametrize(
    "path, expected",
    [
        # Moodle, flat: <full name>_<participant id>_assignsubmission_file_<file>
        (
            "download/Ada Lovelace_1001_assignsubmission_file_lstm.ipynb",
            LmsFile("moodle", "1001", "Ada Lovelace", "lstm.ipynb"),
        ),
        # Moodle, in folders: the same prefix and a trailing _ name the student's folder
        (
            "download/Ada Lovelace_1001_assignsubmission_file_/LSTM (1).ipynb",
            LmsFile("moodle", "1001", "Ada Lovelace", "LSTM (1).ipynb"),
        ),
        # a folder inside the student's submission is kept with the file
        (
            "Ada Lovelace_1001_assignsubmission_file_/work/lstm.ipynb",
            LmsFile("moodle", "1001", "Ada Lovelace", "work/lstm.ipynb"),
        ),
        # a name with digits of its own: the id is the number before the plugin
        (
            "Jean-Luc O Neil 2_77_assignsubmission_file_lstm.ipynb",
            LmsFile("moodle", "77", "Jean-Luc O Neil 2", "lstm.ipynb"),
        ),
        # Canvas: <name>_<user id>_<attachment id>_<file>
        (
            "canvas/lovelaceada_4242_987654_lstm.ipynb",
            LmsFile("canvas", "4242", "lovelaceada", "lstm.ipynb", False, 987654),
        ),
        # Canvas's LATE marker and its -1 resubmission suffix
        (
            "canvas/lovelaceada_LATE_4242_987655_lstm-1.ipynb",
            LmsFile("canvas", "4242", "lovelaceada", "lstm-1.ipynb", True, 987655),
        ),
        # a file name with underscores of its own
        ("turingalan_7_8_long_term.ipynb", LmsFile("canvas", "7", "turingalan", "long_term.ipynb", False, 8)),
    ],
)
def test_a_download_path_names_the_student_and_the_file(path, expected):
    assert parse(path) == expected


@pytest.mark.parametrize(
    "path", ["lstm.ipynb", "notes/readme.txt", "Ada_assignsubmission_file_lstm.ipynb", "a_b_c.ipynb"]
)
def test_a_path_of_no_lms_layout_names_no_one(path):
    assert parse(path) is None


@pytest.mark.parametrize(
    "name", ["lstm.ipynb", "LSTM.ipynb", "lstm (1).ipynb", "lstm-1.ipynb", "Lstm (2)-1.ipynb", "lstm copy.ipynb"]
)
def test_misnamed_copies_of_the_notebook_are_the_notebook(name):
    assert released_notebook(name, ["lstm"]) == "lstm"


@pytest.mark.parametrize("name", ["Untitled.ipynb", "lstm.py", "lstm.html", "gru.ipynb", "lstm_notes.ipynb"])
def test_other_files_are_no_notebook_of_the_release(name):
    assert released_notebook(name, ["lstm"]) is None


def test_a_name_with_underscores_is_compared_whole():
    assert released_notebook("Long_Term (1).ipynb", ["long_term"]) == "long_term"
    assert notebook_stem("long_term.ipynb") == notebook_stem("Long_Term-3.ipynb")


def test_names_for_the_gradebook():
    assert split_name("moodle", "Ada King Lovelace") == ("Ada", "King Lovelace")
    assert split_name("canvas", "lovelaceada") == ("", "lovelaceada")


# ---------------------------------------------------------------- the newest file counts

T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)


def collected(path, student="1", time=T0, attachment=0, notebook="lstm"):
    return Collected(path, LmsFile("canvas", student, "x", "lstm.ipynb", False, attachment), notebook, time)


def test_the_later_time_counts_then_the_later_attachment_then_the_later_path():
    early, late = collected("b", time=T0), collected("a", time=T0 + datetime.timedelta(minutes=1))
    assert newest([early, late]) is late
    first, second = collected("z", attachment=11), collected("a", attachment=12)
    assert newest([second, first]) is second
    plain, resubmitted = collected("x/lstm.ipynb"), collected("x/lstm-1.ipynb")
    assert newest([plain, resubmitted]) is max([plain, resubmitted], key=lambda c: c.path)


def test_each_student_and_notebook_keeps_one_file():
    files = [collected("a", "1", attachment=1), collected("b", "1", attachment=2), collected("c", "2", attachment=3)]
    chosen = choose(files)
    assert {s: {nb: c.path for nb, c in nbs.items()} for s, nbs in chosen.items()} == {
        "1": {"lstm": "b"},
        "2": {"lstm": "c"},
    }


def test_unmapped_files_are_named_with_what_to_do():
    message = unmapped_message(["x/stray.pdf"], [("x/Untitled.ipynb", "1001")], ["lstm"])
    assert "x/stray.pdf" in message and "x/Untitled.ipynb  (student 1001)" in message and "lstm.ipynb" in message
    assert "nothing was collected" in message


def test_extraction_keeps_each_files_time_from_its_zip(tmp_path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(zipfile.ZipInfo("A_1_assignsubmission_file_/lstm.ipynb", (2026, 3, 2, 23, 58, 30)), "{}")
    unzip_keeping_times(archive, tmp_path / "out")
    path = tmp_path / "out" / "A_1_assignsubmission_file_" / "lstm.ipynb"
    assert datetime.datetime.fromtimestamp(path.stat().st_mtime) == datetime.datetime(2026, 3, 2, 23, 58, 30)


# ---------------------------------------------------------------- late


@pytest.mark.parametrize("hours", [0.001, 1, 23.9, 24, 24.1, 60, 239, 241, 1000])
def test_each_started_day_late_costs_per_day_of_the_score_up_to_all(hours):
    started_days = math.ceil(hours / 24)
    assert late_fraction(hours * 3600, 0.1) == pytest.approx(min(1.0, started_days / 10))
    assert late_fraction(hours * 3600, 0.0) == 0.0


def test_on_time_costs_nothing():
    assert late_fraction(0, 0.5) == 0.0 and late_fraction(-DAY, 0.5) == 0.0


# ---------------------------------------------------------------- grade files

GRADED = [
    Graded("lstm", "1001", "moodle", "Ada Lovelace", "ada@example.org", 8.0, 12.0),
    Graded("lstm", "1002", "moodle", "Alan Turing", "", 10.8, 12.0),
    Graded("lstm", "4242", "canvas", "lovelaceada", "", 12.0, 12.0),
    Graded("gru", "4242", "canvas", "lovelaceada", "", 5.5, 10.0),
    Graded("gru", "4243", "canvas", "hoppergrace", "", 0.0, 10.0),
]


def test_moodles_worksheet_has_the_columns_its_importer_needs_and_only_moodles_students():
    rows = moodle_rows([g for g in GRADED if g.assignment == "lstm"], datetime.datetime(2026, 3, 9, 14, 5))
    assert {"Identifier", "Grade", "Last modified (grade)"} <= set(MOODLE_COLUMNS)
    assert [(r["Identifier"], r["Full name"], r["Grade"]) for r in rows] == [
        ("Participant 1001", "Ada Lovelace", "8"),
        ("Participant 1002", "Alan Turing", "10.8"),
    ]
    assert rows[0]["Last modified (grade)"] == "Monday, 09 March 2026, 02:05 PM"


def test_canvas_import_has_a_column_per_graded_assignment_and_no_zero_for_what_was_not_graded():
    header, rows = canvas_rows(GRADED, {"lstm": "LSTM (777)"})
    assert header == [*CANVAS_COLUMNS, "gru", "LSTM (777)"]
    by_id = {r["ID"]: r for r in rows}
    assert by_id["4242"]["LSTM (777)"] == "12" and by_id["4242"]["gru"] == "5.5"
    assert "LSTM (777)" not in by_id["4243"] and by_id["4243"]["gru"] == "0"


def test_written_csv_leaves_ungraded_cells_empty(tmp_path):
    header, rows = canvas_rows(GRADED, {})
    write_csv(tmp_path / "canvas.csv", header, rows)
    with open(tmp_path / "canvas.csv", newline="") as f:
        read = {r["ID"]: r for r in csv.DictReader(f)}
    assert read["4243"]["lstm"] == "" and read["4243"]["gru"] == "0"


def test_a_submission_recorded_but_not_graded_gets_no_row(tmp_path, monkeypatch):
    # the guide's extension (a submission row with a longer deadline) made before grading is no grade of 0
    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")  # its alembic
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url, "rnn") as gb:
        gb.add_assignment("lstm")
        gb.add_student("2004", first_name="Ada", last_name="Lovelace")
        gb.update_or_create_submission("lstm", "2004", extension=datetime.timedelta(days=2))
        assert [s.student.id for s in gb.assignment_submissions("lstm")] == ["2004"]
    assert graded_submissions(url, ["lstm"]) == []


# ---------------------------------------------------------------- what make autograde prints


def result(**changes):
    base = dict(
        student="1003",
        name="Grace Hopper",
        score=8.0,
        max_score=12.0,
        penalty=0.0,
        days_late=0,
        lost=(("lstm_step_backward", 0.0, 4.0),),
        status="graded",
        seconds=1.44,
    )
    return grading_report.Graded(**{**base, **changes})


def test_a_line_per_submission_says_score_what_was_lost_status_and_time():
    assert (
        grading_report.line(3, 200, result()) == "[3/200] 1003 Grace Hopper 8/12 (lstm_step_backward 0/4) graded 1.4 s"
    )


def test_a_late_line_says_how_late_and_what_it_cost():
    late = result(score=12.0, penalty=1.2, days_late=1, lost=())
    assert grading_report.line(1, 1, late) == "[1/1] 1003 Grace Hopper 10.8/12 late 1 d (-1.2) graded 1.4 s"


def test_the_table_has_a_row_per_submission_and_counts_what_needs_a_look():
    results = [
        result(),
        result(student="1001", score=12.0, lost=()),
        result(student="1002", status="timed out", score=0.0, lost=(("lstm_forward", 0.0, 2.0),)),
    ]
    text = grading_report.table(results)
    lines = text.splitlines()
    assert [line.split()[0] for line in lines[2:5]] == ["1001", "1002", "1003"]
    assert lines[-1] == "3 graded: 1 full marks, 0 late; not graded to the end (see their feedback): 1002"
