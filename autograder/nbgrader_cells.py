"""An nbgrader preprocessor: restore test cells without reporting untouched ones as changed.

nbgrader records a test cell's checksum *before* it removes the hidden tests
from the release, so at autograde every untouched test cell that has hidden
tests differs from the recorded checksum, and nbgrader warns "Attribute
'checksum' for cell … has changed!" for each of them (jupyter/nbgrader#1961).
The warning then means nothing, and a real change is lost among them.

:class:`RestoreTestCells` recognises a cell that is exactly its released form
(the source with the hidden tests removed, as ``ClearHiddenTests`` removes
them), puts the hidden tests back, and lets nbgrader's own check run on the
result: an untouched cell passes silently, an edited one is still reported
and restored. ``nbgrader_config.py`` puts it in place of ``OverwriteCells``.

It also restores what ``OverwriteCells`` leaves as the student made it, so
that no change to a notebook's structure can stop a submission from being
graded or change what is graded: a graded or answer cell's nbgrader metadata
(``grade``, ``solution``, ``locked``, ``points``) comes back from the
gradebook (nbgrader would otherwise stop on "Inconsistent checksums"; an
answer cell flagged ``locked`` would have its imports handed to the sandbox
by a grader that read them from the submission), a cell whose grade id the
release does not have loses its nbgrader flags, and deleted test cells come
back after their answer cells (``add_missing_cells``).

What was restored (and any locked code cell whose edit ``OverwriteCells``
undoes) is recorded in the notebook's metadata under ``rnn_sanitized``
(reset first, so a submission cannot forge it), with the duplicates
:class:`RecordDuplicates` found; the isolated grader turns it into notes in
the student's feedback and the log.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbformat import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.preprocessors import ClearHiddenTests, DeduplicateIds, OverwriteCells
from traitlets import Bool

SANITIZED = "rnn_sanitized"  # the record in the notebook's metadata (read by autograder.isolated)
FLAGS = ("grade", "solution", "locked", "points")


def grade_id(cell) -> str | None:
    """The cell's nbgrader grade id, or None for a cell nbgrader does not manage."""
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _record(nb: NotebookNode, key: str, name: str, detail: str | None = None) -> None:
    record = nb.metadata.setdefault(SANITIZED, {})
    if detail is None:
        record.setdefault(key, [])
        if name not in record[key]:
            record[key].append(name)
    else:
        record.setdefault(key, {}).setdefault(name, []).append(detail)


class RecordDuplicates(DeduplicateIds):
    """nbgrader's ``DeduplicateIds`` (the last copy of a cell keeps its flags) that records what it found.

    It runs first among the sanitizing preprocessors, so it also starts the record afresh.
    """

    def preprocess(self, nb: NotebookNode, resources):
        nb.metadata[SANITIZED] = {}
        self._notebook = nb
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources, cell_index: int):
        meta = cell.metadata.get("nbgrader", {})
        seen = meta.get("grade_id") in getattr(self, "grade_ids", set())
        if seen and (meta.get("grade") or meta.get("solution") or meta.get("locked")):
            _record(self._notebook, "duplicated", meta["grade_id"])
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.metadata.get("nbgrader") == {}:
            # the copy is a plain cell now; an empty record would break nbgrader's add_missing_cells
            del cell.metadata["nbgrader"]
        return cell, resources


def released_source(source: str) -> str:
    """What ``nbgrader generate_assignment`` leaves of a cell's source: the hidden tests removed."""
    cell = NotebookNode(source=source, cell_type="code", metadata={})
    ClearHiddenTests()._remove_hidden_test_region(cell)
    return cell.source


@dataclass(frozen=True)
class SourceCell:
    """What the gradebook recorded of one cell of the release."""

    cell_type: str
    locked: bool
    source: str


@dataclass(frozen=True)
class ReleasedCells:
    """The release's cells as the gradebook recorded them, by grade id, read in one query per kind."""

    sources: dict[str, SourceCell]
    graded: dict[str, float]  # grade id -> points
    solutions: frozenset[str]


def released_cells(db_url: str, notebook: str, assignment: str) -> ReleasedCells:
    """The gradebook's record of a notebook's cells (asking it cell by cell costs a second a notebook)."""
    with Gradebook(db_url) as gb:
        source = gb.find_notebook(notebook, assignment)
        return ReleasedCells(
            {c.name: SourceCell(c.cell_type, bool(c.locked), c.source) for c in source.source_cells},
            {c.name: float(c.max_score) for c in source.grade_cells},
            frozenset(c.name for c in source.solution_cells),
        )


class RestoreTestCells(OverwriteCells):
    """``OverwriteCells`` that restores metadata and deleted test cells, and is quiet about untouched ones."""

    add_missing_cells = Bool(True, help="Put deleted test cells back (nbgrader's default is not to).").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources):
        self._notebook = nb
        nb.metadata.setdefault(SANITIZED, {})
        info = resources["nbgrader"]
        self._release = released_cells(info["db_url"], info["notebook"], info["assignment"])
        return super().preprocess(nb, resources)

    def add_missing_grade_cells(self, nb: NotebookNode, resources):
        present = {grade_id(c) for c in nb.cells}
        nb, resources = super().add_missing_grade_cells(nb, resources)
        for cell in nb.cells:
            name = grade_id(cell)
            if name not in present:
                _record(nb, "deleted", name)
        return nb, resources

    def _restore_metadata(self, cell: NotebookNode, grade_id: str, source_cell) -> list[str]:
        """The cell's nbgrader flags and points as the gradebook has them, whatever the student set.

        Returns the flags that differed.
        """
        graded = self._release.graded.get(grade_id)
        meta = cell.metadata.nbgrader
        before = {flag: meta.get(flag) for flag in FLAGS}
        meta["grade"] = graded is not None
        meta["solution"] = grade_id in self._release.solutions
        meta["locked"] = bool(source_cell.locked)
        if graded is not None:
            meta["points"] = graded
        else:
            meta.pop("points", None)
        changed = [
            f for f in FLAGS if bool(before[f]) != bool(meta.get(f)) or (f == "points" and before[f] != meta.get(f))
        ]
        if cell.cell_type != source_cell.cell_type:
            changed.append("cell type")
        return changed

    def preprocess_cell(self, cell: NotebookNode, resources, cell_index: int):
        name = grade_id(cell)
        source_cell = None if name is None else self._release.sources.get(name)
        if name is not None and source_cell is None:
            # flags on a cell the release does not have: it is the student's own cell, nothing more
            cell.metadata.nbgrader = {}
            _record(self._notebook, "unknown", name)
            return cell, resources
        if source_cell is not None:
            for flag in self._restore_metadata(cell, name, source_cell):
                _record(self._notebook, "flags", name, flag)
            # (a changed cell type is restored by OverwriteCells, and its source with it)
            if cell.cell_type == "code" and source_cell.locked and cell.source == released_source(source_cell.source):
                cell.source = source_cell.source
            elif cell.cell_type == "code" and source_cell.locked and name not in self._release.graded:
                if cell.source != source_cell.source:  # OverwriteCells undoes the edit: the student should know
                    _record(self._notebook, "restored", name)
        return super().preprocess_cell(cell, resources, cell_index)
