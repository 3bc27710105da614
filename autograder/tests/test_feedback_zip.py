"""The bulk feedback zips (autograder.feedback_zip), read back the way Moodle and Canvas read an upload."""

import zipfile

import pytest
from lms_readers import canvas_reads, moodle_reads

from autograder.feedback_zip import Downloaded, students_in_download, write_zips

MOODLE_DOWNLOAD = [
    "Ada Lovelace_1001_assignsubmission_file_lstm.ipynb",  # the flat layout
    "Grace_Hopper_1002_assignsubmission_file/lstm.ipynb",  # in folders, a name with "_" in it
]
CANVAS_DOWNLOAD = [
    "lovelaceada_2001_501_lstm.ipynb",
    "hoppergrace_2002_502_lstm.ipynb",
    "hoppergrace_LATE_2002_777_lstm-1.ipynb",  # a late resubmission: the attachment to answer
]


def test_names_and_the_latest_attachment_are_read_from_either_download():
    assert students_in_download(MOODLE_DOWNLOAD) == {
        "1001": Downloaded("Ada Lovelace"),
        "1002": Downloaded("Grace_Hopper"),
    }
    assert students_in_download(CANVAS_DOWNLOAD) == {
        "2001": Downloaded("lovelaceada", 501),
        "2002": Downloaded("hoppergrace", 777),
    }


def course_with(tmp_path, download: list[str], students: list[str]):
    for student in students:
        page = tmp_path / "feedback" / student / "lstm" / "lstm.html"
        page.parent.mkdir(parents=True)
        page.write_text(f"<html>feedback of {student}</html>")
    archive = tmp_path / "downloaded" / "lstm" / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as zf:
        for name in download:
            zf.writestr(name, "{}")
    return tmp_path


def members(path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name).decode() for name in zf.namelist()}


def test_moodle_files_each_students_page_to_that_participant(tmp_path):
    course = course_with(tmp_path, MOODLE_DOWNLOAD, ["1001", "1002"])
    moodle, canvas, missing = write_zips(course, "lstm", tmp_path / "out")
    assert canvas is None and missing == []
    read = {moodle_reads(name): text for name, text in members(moodle).items()}
    assert read == {
        (1001, "lstm.html"): "<html>feedback of 1001</html>",
        (1002, "lstm.html"): "<html>feedback of 1002</html>",
    }


def test_canvas_attaches_each_page_to_the_students_latest_submission(tmp_path):
    course = course_with(tmp_path, CANVAS_DOWNLOAD, ["2001", "2002"])
    _, canvas, missing = write_zips(course, "lstm", tmp_path / "out")
    assert missing == []
    read = {canvas_reads(name): text for name, text in members(canvas).items()}
    assert read == {(2001, 501): "<html>feedback of 2001</html>", (2002, 777): "<html>feedback of 2002</html>"}


def test_a_student_canvas_cannot_place_is_reported(tmp_path):
    course = course_with(tmp_path, CANVAS_DOWNLOAD[:1], ["2001", "2002"])
    _, canvas, missing = write_zips(course, "lstm", tmp_path / "out")
    assert missing == ["2002"] and [canvas_reads(n) for n in members(canvas)] == [(2001, 501)]


def test_no_feedback_pages_is_an_error_that_says_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="make feedback"):
        write_zips(tmp_path, "lstm", tmp_path / "out")
