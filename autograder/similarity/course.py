"""What the similarity report reads from an nbgrader course directory.

* the release, ``exercises/<assignment>/*.ipynb``: the given code, and which cells are answers;
* the instructor's notebooks, ``solutions/<assignment>/*.ipynb``: the solution a student could copy;
* the submissions, ``submitted/<student>/<assignment>/*.ipynb``, as ``nbgrader collect`` leaves them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.similarity.answers import given_code, notebook_answers
from autograder.similarity.references import given_imports, handout_sources, rnncore_reference, solution_reference

SOURCE, RELEASE, SUBMITTED = "solutions", "exercises", "submitted"


class CourseError(Exception):
    """The course directory cannot be compared: an unknown assignment, no submissions."""


@dataclass
class Assignment:
    """One assignment's documents: each student's answers, the references, and the boilerplate."""

    answers: dict[str, str]
    references: dict[str, str]
    boilerplate: list[str]
    unreadable: dict[str, str]  # student id -> why their notebook could not be read (left out of the comparison)


def assignments(course: Path) -> list[str]:
    """The assignments of the course: the folders of its source directory."""
    return sorted(p.name for p in (course / SOURCE).glob("*/") if p.is_dir())


def _notebooks(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.ipynb"))


def read(course: Path, assignment: str) -> Assignment:
    """Everything the report compares for ``assignment``; :class:`CourseError` when it cannot."""
    known = assignments(course)
    if assignment not in known:
        raise CourseError(f"unknown assignment {assignment!r}: {course / SOURCE} has {', '.join(known) or 'none'}")
    releases = {p.name: nbformat.read(p, as_version=4) for p in _notebooks(course / RELEASE / assignment)}
    if not releases:
        raise CourseError(f"{assignment} has no release in {course / RELEASE / assignment}: run `make release`")
    folders = sorted(p for p in (course / SUBMITTED).glob(f"*/{assignment}") if _notebooks(p))
    if not folders:
        raise CourseError(
            f"no submissions of {assignment}: nothing in {course / SUBMITTED}/<student>/{assignment}/ "
            f"(run `make collect A={assignment}` first)"
        )
    answers, unreadable = {}, {}
    for folder in folders:
        try:
            answers[folder.parent.name] = notebook_answers(_notebooks(folder), releases)
        except Exception as err:  # a notebook that is not one (truncated, not JSON): the student is left out, named
            unreadable[folder.parent.name] = f"{type(err).__name__}: {str(err)[:200]}"
    boilerplate = []
    for release in releases.values():
        boilerplate += given_code(release) + handout_sources(given_imports(release))
    references = {
        "rnncore": "\n".join(rnncore_reference(r) for r in releases.values()),
        "solution": "\n".join(solution_reference(p) for p in _notebooks(course / SOURCE / assignment)),
    }
    return Assignment(answers, references, boilerplate, unreadable)
