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
"""

from __future__ import annotations

from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells


def released_source(source: str) -> str:
    """What ``nbgrader generate_assignment`` leaves of a cell's source: the hidden tests removed."""
    cell = NotebookNode(source=source, cell_type="code", metadata={})
    ClearHiddenTests()._remove_hidden_test_region(cell)
    return cell.source


class RestoreTestCells(OverwriteCells):
    """``OverwriteCells`` that does not report an untouched test cell with hidden tests as changed."""

    def preprocess_cell(self, cell: NotebookNode, resources, cell_index: int):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and cell.cell_type == "code" and utils.is_locked(cell):
            try:
                source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source_cell = None
            if source_cell is not None and cell.source == released_source(source_cell.source):
                cell.source = source_cell.source
        return super().preprocess_cell(cell, resources, cell_index)
