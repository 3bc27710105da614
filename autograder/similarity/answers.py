"""What a submission answered: the code of its answer cells, apart from what the release gave.

A student's answer to an assignment is the code of the notebook's answer cells
(nbgrader's ``solution`` cells, found by their grade id wherever the student
moved them) and of any code cell the student added. Everything else is given:
the release's locked cells, its test cells, its ungraded demo, and the stubs of
the answer cells (the signature, the docstring, ``raise NotImplementedError()``).
Given code is *boilerplate*: it is in every submission, so it must not make two
honest students look alike.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.nbgrader_cells import grade_id


def _code_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def answer_ids(release) -> list[str]:
    """The grade ids of the release's answer cells, in the release's order."""
    return [grade_id(cell) for cell in _code_cells(release) if cell.metadata.get("nbgrader", {}).get("solution")]


def given_code(release) -> list[str]:
    """Every code cell of the release, as released: the boilerplate of the assignment."""
    return [cell.source for cell in _code_cells(release) if cell.source.strip()]


GIVEN = "# given: "  # what a given line of an answer cell becomes: a comment, which fingerprints ignore


def without_given_lines(source: str, stub: str) -> str:
    """An answer cell's source with each line the release's stub has (signature, docstring, ...) commented out.

    The lines stay, so the report still shows them, but as comments they are
    no part of any fingerprint. An answer left as released is all given: "".
    """
    given = {line.strip() for line in stub.splitlines() if line.strip()}
    lines = [GIVEN + line if line.strip() in given else line for line in source.rstrip().splitlines()]
    return "\n".join(lines) if any(not line.startswith(GIVEN) and line.strip() for line in lines) else ""


def answer_code(submission, release) -> str:
    """The code a student wrote: the submission's answer cells and own cells, each headed by a comment.

    A cell is the student's when it carries one of the release's answer grade
    ids, or no grade id and a source that is not a cell of the release (the
    ungraded demo, for example, has no grade id). Cells carrying the grade id
    of a locked or test cell are the grader's, whatever the student wrote there.
    In an answer cell, the lines the release gave are commented out
    (:func:`without_given_lines`); an answer cell left as released is left out.
    """
    stubs = {grade_id(cell): cell.source for cell in _code_cells(release) if grade_id(cell) in answer_ids(release)}
    released = set(given_code(release))
    parts = []
    for cell in _code_cells(submission):
        name = grade_id(cell)
        if name in stubs:
            code = without_given_lines(cell.source, stubs[name])
            if code:
                parts.append(f"# --- answer cell {name}\n{code}\n")
        elif name is None and cell.source.strip() and cell.source not in released:
            parts.append(f"# --- a cell of the student's own\n{cell.source.rstrip()}\n")
    return "\n".join(parts)


def notebook_answers(notebooks: list[Path], releases: dict[str, object]) -> str:
    """The answers of one student's notebooks, each read against the release notebook of the same name.

    A notebook the release does not have is not read (nbgrader ignores it too).
    """
    parts = []
    for path in sorted(notebooks):
        if path.name in releases:
            parts.append(answer_code(nbformat.read(path, as_version=4), releases[path.name]))
    return "\n".join(p for p in parts if p)
