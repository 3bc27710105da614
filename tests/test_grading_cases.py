"""Every grading case, in process: the same verdicts as nbgrader gives.

The end-to-end test (``test_assignments.py``) runs each case once through real
nbgrader. Here the notebook's cells run in this process, hidden tests
included, once per case: the visible tests pass, and each mutant fails exactly
its own test cell. That a check catches each mistake on every random draw, and
passes each correct answer on every one, is proven statistically in
``test_grading_draws.py``.
"""

import contextlib
import io
import re
import textwrap
from pathlib import Path

import nbformat
import pytest
from grading_cases import CASES, alternatives, mutants, solution_code

ROOT = Path(__file__).resolve().parents[1]


def run_cells(assignment: str, replace: dict[str, str], hidden: bool = True) -> tuple[dict[str, str], dict]:
    """Run the instructor notebook with ``replace``d answers: ``(outcomes, namespace)``.

    ``outcomes`` maps each graded cell to its error ("" = passed). Without
    ``hidden``, the hidden part of each test cell is left out (its visible part
    still runs), and the namespace is the one a hidden test would run in.
    """
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    namespace, outcomes = {}, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if cell.cell_type != "code" or meta is None:  # the ungraded demo at the end
            continue
        source = replace.get(meta["grade_id"], solution_code(cell.source))
        if not hidden:
            source = without_hidden_tests(source)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(source, meta["grade_id"], "exec"), namespace)  # noqa: S102 - the notebook's own code
            error = ""
        except Exception as err:  # nbgrader fails a cell on any error, not only assertions
            error = f"{type(err).__name__}: {err}"
        if meta.get("grade"):
            outcomes[meta["grade_id"]] = error
        else:
            assert not error, f"{meta['grade_id']} failed: {error}"
    return outcomes, namespace


HIDDEN = re.compile(r"^([ \t]*)### BEGIN HIDDEN TESTS\n(.*?)^[ \t]*### END HIDDEN TESTS[^\n]*(\n|$)", re.S | re.M)


def hidden_test(cell_source: str) -> str:
    """The code between a test cell's ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, dedented."""
    return textwrap.dedent(HIDDEN.search(cell_source).group(2))


def without_hidden_tests(cell_source: str) -> str:
    """A cell's source with its hidden tests replaced by ``pass`` (a cell without them unchanged)."""
    return HIDDEN.sub(lambda m: f"{m.group(1)}pass\n", cell_source)


def graded_outcomes(assignment: str, replace: dict[str, str]) -> dict[str, str]:
    """Run the instructor notebook with ``replace``d answers; the outcome of each graded cell ("" = passed)."""
    return run_cells(assignment, replace)[0]


@pytest.mark.parametrize("assignment", sorted(CASES))
def test_each_case_fails_exactly_its_own_test(assignment):
    case = CASES[assignment]
    tests = {f"test_{fn}" for fn in case["points"]}
    assert graded_outcomes(assignment, {}) == dict.fromkeys(tests, "")
    for k, alternative in enumerate(alternatives(assignment), start=1):
        failed = {k: v for k, v in graded_outcomes(assignment, alternative).items() if v}
        assert not failed, f"correct alternative {k} failed: {failed}"
    for k, (function, wrong) in enumerate(mutants(assignment), start=1):
        failed = {k for k, v in graded_outcomes(assignment, {function: wrong}).items() if v}
        assert failed == {f"test_{function}"}, f"mutant {k} of {function}: failed {failed}"
