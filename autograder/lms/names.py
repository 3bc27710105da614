"""Who a file of an LMS's bulk download belongs to, and which notebook of the assignment it is.

Both LMSs say who submitted a file only in its name (path), so everything here
is a pure function of the path inside the download.

**Moodle** (``mod/assign/locallib.php``, ``assign::download_submissions``): a
file's name starts with a prefix ``clean_filename(<full name> . '_' .
<participant id>)`` (underscores in the full name become spaces), then the
plugin, ``_assignsubmission_file_``. Where the teacher ticked *Download
submissions in folders* (the default since Moodle 3.1) that prefix, plugin
and a trailing ``_`` name a folder holding the student's files as uploaded,
``Ada Lovelace_1001_assignsubmission_file_/lstm.ipynb``; otherwise each file
is flat, ``Ada Lovelace_1001_assignsubmission_file_lstm.ipynb``. The
participant id is Moodle's id of the student *in that assignment*, which its
grading worksheet's ``Identifier`` column ("Participant 1001") names too.

**Canvas** (*Download Submissions* on an assignment): each file is
``<name>_<user id>_<attachment id>_<file name>``, with ``_LATE`` after the
name when Canvas counts the submission late, for instance
``lovelaceada_LATE_4242_987654_lstm.ipynb``; ``<name>`` is the student's
sortable name, lower case, without spaces or punctuation. A file uploaded
under a name the student had already uploaded gets ``-1``, ``-2``, … before
its extension (``lstm-1.ipynb``; reported by students in
github.com/IIC1253/IIC1253-2025-1 issue 34). Attachment ids grow with every
upload, so of two files of one student the higher id is the later upload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

MOODLE_FLAT = re.compile(r"^(?P<name>.*)_(?P<id>\d+)_assignsubmission_file_(?P<file>.+)$")
MOODLE_FOLDER = re.compile(r"^(?P<name>.*)_(?P<id>\d+)_assignsubmission_file_?$")
CANVAS = re.compile(r"^(?P<name>[^_]*?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<attachment>\d+)_(?P<file>.+)$")
# What browsers, operating systems and Canvas add to a file name the student already has or uploaded:
# "lstm (1).ipynb", "lstm-1.ipynb", "lstm copy.ipynb", "lstm_2.ipynb".
COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|-\d+|_\d+|\s+copy(\s*\d+)?)$", re.IGNORECASE)


@dataclass(frozen=True)
class LmsFile:
    """One file of a download: the student it belongs to and what the LMS said about it."""

    lms: str  # "moodle" or "canvas"
    student_id: str  # Moodle's participant id or Canvas's user id
    name: str  # the student's name as the download gives it
    file_name: str  # the file's own name, as the student uploaded it (with any folder inside the submission)
    late: bool = False  # Canvas marked it LATE
    attachment: int = 0  # Canvas's attachment id (0 for Moodle): later uploads have higher ids


def parse(path: str) -> LmsFile | None:
    """The student and file a path inside an extracted download names, or None where no LMS's layout fits.

    ``path`` is relative to the download (forward slashes); the name of the
    archive it was extracted from may come first.
    """
    parts = PurePosixPath(path).parts
    for i, part in enumerate(parts[:-1]):  # Moodle's folders layout: the student's folder, then their files
        match = MOODLE_FOLDER.match(part)
        if match:
            return LmsFile("moodle", match["id"], match["name"].strip(), "/".join(parts[i + 1 :]))
    base = parts[-1]
    match = MOODLE_FLAT.match(base)
    if match:
        return LmsFile("moodle", match["id"], match["name"].strip(), match["file"])
    match = CANVAS.match(base)
    if match:
        late = bool(match["late"])
        return LmsFile("canvas", match["id"], match["name"], match["file"], late, int(match["attachment"]))
    return None


def notebook_stem(file_name: str) -> str:
    """A notebook's name as compared with the release's: no folder, extension, copy suffix, case or spaces."""
    stem = PurePosixPath(file_name).name
    if stem.lower().endswith(".ipynb"):
        stem = stem[: -len(".ipynb")]
    previous = None
    while previous != stem:  # "lstm (1)-1" has two suffixes
        previous, stem = stem, COPY_SUFFIX.sub("", stem)
    return re.sub(r"\s+", "", stem).lower()


def released_notebook(file_name: str, released: list[str]) -> str | None:
    """The released notebook (its name, without ``.ipynb``) a submitted file is, or None.

    ``LSTM.ipynb``, ``lstm (1).ipynb`` and Canvas's ``lstm-1.ipynb`` are
    ``lstm``; a file that is no notebook, or a notebook of another name
    (``Untitled.ipynb``), is none: guessing could grade the wrong file.
    """
    if not file_name.lower().endswith(".ipynb"):
        return None
    stem = notebook_stem(file_name)
    matches = [n for n in released if notebook_stem(n) == stem]
    return matches[0] if len(matches) == 1 else None


def split_name(lms: str, name: str) -> tuple[str, str]:
    """(first name, last name) for nbgrader's gradebook from the name a download gives.

    Moodle gives the full name ("Ada King Lovelace": first name "Ada", the rest
    the last name, which is a guess for some names, but only ever displayed);
    Canvas a compacted sortable name ("lovelaceada"), kept whole as the last name.
    """
    if lms == "moodle":
        first, _, last = name.partition(" ")
        return first, last
    return "", name
