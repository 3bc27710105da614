"""``make feedback-zip A=…``: the students' feedback pages as the bulk zips Moodle and Canvas take back.

Each LMS matches a file of an uploaded zip to a student by its name, in the
form of that LMS's own "download all submissions":

- **Moodle** (*View all submissions → Upload multiple feedback files in a
  zip*, with *Feedback files* enabled in the assignment): a file whose name, or
  the name of a folder above it, reads ``<full name>_<participant id>_<plugin
  type>_<plugin name>[_<file>]``. Moodle takes the participant id (the second
  part) and the plugin; the name is not read, and a name with ``_`` in it would
  shift the parts, so it is written without. Here, as in Moodle's flat
  download: ``Ada Student_1001_assignsubmission_file_lstm.html``. The student
  id of ``make collect`` is the participant id.
- **Canvas** (*Gradebook → the assignment's menu → Re-upload Submissions*):
  a file named ``<name>_<user id>_<attachment id>_<anything>``, where the two
  numbers are those of the student's submitted file in the download (Canvas
  takes the first two all-digit parts, and ignores a file whose attachment is
  not one of the student's current submission). Canvas has no upload of
  feedback files under names of their own: it attaches each file as a comment,
  "See attached file", under the display name of the submission it answers
  (so a student sees ``lstm.ipynb``, which holds the HTML page). The guide
  says so, and how to attach a page by hand in SpeedGrader instead.

Names and Canvas's attachment ids are read from the download that ``make
collect`` unpacked (``downloaded/<assignment>/archive/``): a zip, its members
and any files beside it.
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from autograder.lms.names import parse


@dataclass(frozen=True)
class Downloaded:
    """What an LMS's download says of one student: a name, and for Canvas the attachment to answer."""

    name: str
    attachment: int | None = None


def downloaded_names(archive: Path) -> list[str]:
    """Every file name of an LMS download: the files in ``archive`` and the members of the zips among them."""
    names = []
    for path in sorted(p for p in archive.rglob("*") if p.is_file()):
        names.append(path.relative_to(archive).as_posix())
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names += [n for n in zf.namelist() if not n.endswith("/")]
    return names


def students_in_download(names: list[str]) -> dict[str, Downloaded]:
    """Student id → name (and Canvas attachment), from a download's file names; the newest attachment wins.

    Canvas numbers attachments in the order they were made, so the largest id
    is the student's latest submission, the one a comment must answer.
    """
    found: dict[str, Downloaded] = {}
    for lms_file in filter(None, map(parse, names)):  # read as `make collect` reads them (autograder/lms/names.py)
        student, old = lms_file.student_id, found.get(lms_file.student_id)
        if lms_file.lms == "moodle":
            found.setdefault(student, Downloaded(lms_file.name))
        elif old is None or (old.attachment or -1) < lms_file.attachment:
            found[student] = Downloaded(lms_file.name, lms_file.attachment)
    return found


def moodle_name(student: str, downloaded: Downloaded | None, page: Path) -> str:
    """The member name Moodle's feedback import assigns to participant ``student``."""
    name = downloaded.name if downloaded else "Student"
    name = re.sub(r"[_/\\]+", " ", name).lstrip(".~ ") or "Student"  # "_" would shift Moodle's parts
    return f"{name}_{student}_assignsubmission_file_{page.name}"


def canvas_name(student: str, downloaded: Downloaded, page: Path) -> str:
    """The member name Canvas's re-upload attaches to user ``student``'s submission."""
    name = re.sub(r"[^A-Za-z]", "", downloaded.name).lower() or "student"  # digits or "_" would be misread
    return f"{name}_{student}_{downloaded.attachment}_{page.stem}_feedback{page.suffix}"


def feedback_pages(course: Path, assignment: str) -> dict[str, list[Path]]:
    """Student id → their feedback pages of ``assignment`` (``make feedback`` wrote them)."""
    pages: dict[str, list[Path]] = {}
    for page in sorted((course / "feedback").glob(f"*/{assignment}/*.html")):
        pages.setdefault(page.parent.parent.name, []).append(page)
    return pages


def write_zips(course: Path, assignment: str, out_dir: Path) -> tuple[Path, Path | None, list[str]]:
    """The Moodle zip, the Canvas zip (None when the download names no Canvas attachment) and who is missing.

    A student is missing from the Canvas zip when the download gives no
    attachment id for them (a Moodle course, or a student it did not list).
    """
    pages = feedback_pages(course, assignment)
    if not pages:
        raise FileNotFoundError(f"no feedback pages in {course / 'feedback'}/*/{assignment}/: run `make feedback`")
    archive = course / "downloaded" / assignment / "archive"
    known = students_in_download(downloaded_names(archive)) if archive.is_dir() else {}
    out_dir.mkdir(parents=True, exist_ok=True)
    moodle = out_dir / f"{assignment}-moodle.zip"
    with zipfile.ZipFile(moodle, "w", zipfile.ZIP_DEFLATED) as zf:
        for student, student_pages in pages.items():
            for page in student_pages:
                zf.write(page, moodle_name(student, known.get(student), page))
    on_canvas = {s: d for s, d in known.items() if d.attachment is not None}
    missing = sorted(set(pages) - set(on_canvas)) if on_canvas else []
    canvas = None
    if on_canvas:
        canvas = out_dir / f"{assignment}-canvas.zip"
        with zipfile.ZipFile(canvas, "w", zipfile.ZIP_DEFLATED) as zf:
            for student in sorted(set(pages) & set(on_canvas)):
                for page in pages[student]:
                    zf.write(page, canvas_name(student, on_canvas[student], page))
    return moodle, canvas, missing


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograder.feedback_zip", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--course", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    try:
        moodle, canvas, missing = write_zips(args.course, args.assignment, args.course / "_build" / "feedback")
    except FileNotFoundError as err:
        sys.exit(f"make feedback-zip: {err}")
    print(f"Moodle: {moodle} (Upload multiple feedback files in a zip)")
    if canvas is None:
        print("Canvas: no Canvas download in downloaded/ names the submissions to answer, so no Canvas zip")
    else:
        print(f"Canvas: {canvas} (Re-upload Submissions)")
    if missing:
        sys.exit(f"not in the Canvas zip (the download has no submission of theirs to answer): {', '.join(missing)}")


if __name__ == "__main__":
    main()
