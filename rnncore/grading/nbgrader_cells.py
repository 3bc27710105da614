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
gradebook (nbgrader would otherwise stop on "Inconsistent checksums"), and
deleted test cells come back after their answer cells (``add_missing_cells``).
"""

from __future__ import annotations

from nbformat import NotebookNode
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells
from traitlets import Bool


def released_source(source: str) -> str:
    """What ``nbgrader generate_assignment`` leaves of a cell's source: the hidden tests removed."""
    cell = NotebookNode(source=source, cell_type="code", metadata={})
    ClearHiddenTests()._remove_hidden_test_region(cell)
    return cell.source


class RestoreTestCells(OverwriteCells):
    """``OverwriteCells`` that restores metadata and deleted test cells, and is quiet about untouched ones."""

    add_missing_cells = Bool(True, help="Put deleted test cells back (nbgrader's default is not to).").tag(config=True)

    def _find(self, finder, grade_id: str):
        """What ``finder`` (one of the gradebook's ``find_*_cell``) has for this cell, or None."""
        try:
            return finder(grade_id, self.notebook_id, self.assignment_id)
        except MissingEntry:
            return None

    def _restore_metadata(self, cell: NotebookNode, grade_id: str) -> None:
        """The cell's nbgrader flags and points as the gradebook has them, whatever the student set."""
        graded = self._find(self.gradebook.find_graded_cell, grade_id)
        meta = cell.metadata.nbgrader
        meta["grade"] = graded is not None
        meta["solution"] = self._find(self.gradebook.find_solution_cell, grade_id) is not None
        if graded is not None:
            meta["points"] = float(graded.max_score)
        else:
            meta.pop("points", None)

    def preprocess_cell(self, cell: NotebookNode, resources, cell_index: int):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        source_cell = None if grade_id is None else self._find(self.gradebook.find_source_cell, grade_id)
        if source_cell is not None:
            self._restore_metadata(cell, grade_id)
            # (a changed cell type is restored by OverwriteCells, and its source with it)
            if cell.cell_type == "code" and source_cell.locked and cell.source == released_source(source_cell.source):
                cell.source = source_cell.source
        return super().preprocess_cell(cell, resources, cell_index)
