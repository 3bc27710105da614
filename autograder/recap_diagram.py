"""The diagram of what the student implements, embedded in each released notebook.

When ``nbgrader generate_assignment`` (``make release``) makes a student
notebook, :class:`RecapDiagram` puts a markdown cell after its introduction
that shows the book's diagram of the assignment's network, drawn by
:mod:`rnncore.diagrams` at release time. The instructor's notebook does not
carry a copy (one source: the diagram module), and the student's carries the
picture itself, so it shows offline, in the LMS zip and in the feedback.

The picture is an ``<img>`` with a ``data:`` URL of the SVG rather than a
markdown attachment: JupyterLab shows SVG attachments as broken images
(jupyterlab/jupyterlab#10464) but renders ``data:`` images, as does nbconvert.
"""

from __future__ import annotations

import base64

from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor

from rnncore import diagrams

TAG = "recap-diagram"

#: For each assignment, the diagrams to show: (function name, keyword arguments, what the student writes).
RECAPS: dict[str, list[tuple[str, dict, str]]] = {
    "recurrence": [("unrolled_rnn", {"T": 4, "losses": True}, "the forward pass and the loss of this graph")],
    "bptt": [("bptt_graph", {}, "the backward pass: every dashed path of this graph")],
    "long_term": [("leaky_unit", {}, "the leaky unit's forward and backward pass")],
    "lstm": [("lstm_cell", {}, "this cell, forward and backward, one step and a sequence")],
    "gru": [("gru_cell", {"candidate": "n"}, "this cell, forward and backward, one step and a sequence")],
    "architectures": [
        ("bidirectional_rnn", {}, "parts 1 and 2: the two chains and their gradients"),
        (
            "encoder_decoder",
            {"teacher_forcing": True},
            "parts 3 and 4: the decoder's teacher-forced loss, its gradients",
        ),
    ],
    "attention": [("attention_step", {}, "one decoder step with additive attention, and attention's gradients")],
}


def recap_cell(assignment: str):
    """The markdown cell showing the diagrams of ``assignment`` (``None`` if it has none)."""
    if assignment not in RECAPS:
        return None
    parts = ["### The picture\n"]
    for name, kwargs, what in RECAPS[assignment]:
        diagram = diagrams.DIAGRAMS[name](**kwargs)
        data = base64.b64encode(diagram.svg().encode("utf-8")).decode("ascii")
        alt = diagram.alt.replace('"', "&quot;")
        parts.append(f'<img src="data:image/svg+xml;base64,{data}" alt="{alt}" style="max-width: 100%">\n')
        parts.append(f"*What you implement: {what}. The book draws it with `rnncore.diagrams.{name}`.*\n")
    cell = new_markdown_cell("\n".join(parts), metadata={"tags": [TAG]})
    cell.id = TAG
    return cell


class RecapDiagram(NbGraderPreprocessor):
    """Insert the assignment's diagram after the notebook's first cell (its introduction)."""

    def preprocess(self, nb, resources):
        assignment = resources.get("nbgrader", {}).get("assignment")
        nb.cells = [cell for cell in nb.cells if TAG not in cell.metadata.get("tags", [])]
        cell = recap_cell(assignment)
        if cell is not None:
            nb.cells.insert(1, cell)
        return nb, resources
