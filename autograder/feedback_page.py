"""The feedback page a student gets back (``make feedback``): offline equations, each test named and marked.

nbgrader's own feedback page loads MathJax 2 from a CDN, so offline, or where
a campus network blocks it, a student reads raw LaTeX; and it lists every test
as "Test cell". The course's template (``autograder/templates/feedback``, in
place of nbgrader's, and so also used by the formgrader's feedback button)
differs in three things:

- it carries MathJax inline: the same MathJax 3 the book ships
  (``django-static-mathjax``, see ``book/_ext/offline_mathjax.py``), in its
  SVG build with every TeX extension (``tex-svg-full.js``), which needs no
  font files or other components beside the page, because a page returned
  through an LMS travels alone;
- each test is named by the function it grades, as the check in its hidden
  part calls it (``grading.check_lstm_step_forward(lstm_step_forward)``);
- a test that lost points is marked as failed, in the summary and on its
  cell, and its message is shown as an error.

:class:`FeedbackPage` is the preprocessor that gives the template what it
needs; ``nbgrader_config.py`` puts it after nbgrader's ``GetGrades``.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

TEMPLATES = Path(__file__).resolve().parent / "templates"
MATHJAX_BUILD = "tex-svg-full.js"


@cache
def mathjax_script() -> str:
    """MathJax's SVG build from the book's MathJax package, safe to put between ``<script>`` tags."""
    try:
        import mathjax  # django-static-mathjax, in the course's environment (pyproject's `book` extra)
    except ImportError as err:
        raise ImportError("the feedback page needs django-static-mathjax (pip install 'rnncore[book]')") from err
    path = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / MATHJAX_BUILD
    # "</script" inside the code would end the element early; "<\/" means the same to JavaScript.
    return re.sub(r"</(script)", r"<\\/\1", path.read_text(encoding="utf-8"), flags=re.I)


def _checked_names(tree: ast.AST) -> list[str]:
    """The first argument of every ``grading.check_*(...)`` call, in order."""
    names = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr.startswith("check_")
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            names.append(node.args[0].id)
    return names


def tested_function(source: str, grade_id: str) -> str:
    """The function a test cell grades: what its checks are called on, else its grade id without ``test_``."""
    try:
        names = _checked_names(ast.parse(source))
    except SyntaxError:
        names = []
    unique = list(dict.fromkeys(names))
    if unique:
        return ", ".join(unique)
    return grade_id.removeprefix("test_")


def is_test_cell(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


class FeedbackPage(NbGraderPreprocessor):  # nbgrader's preprocessors run when registered; nbconvert's do not
    """Names each test cell by its function, and hands the template the inline MathJax."""

    def preprocess(self, nb, resources):
        resources["rnn_mathjax"] = mathjax_script()
        for cell in nb.cells:
            if is_test_cell(cell):
                meta = cell.metadata["nbgrader"]
                cell.metadata["rnn_feedback"] = {"function": tested_function(cell.source, meta.get("grade_id", ""))}
        return nb, resources
