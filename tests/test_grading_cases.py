"""Every grading case, in process, on fresh random inputs: the same verdicts as nbgrader gives.

The end-to-end test (``test_assignments.py``) runs each case once through real
nbgrader. Here the notebook's cells run in this process, hidden tests
included, several times over, so that a tolerance too tight for a correct
float32 answer or a check that only sometimes catches a mistake shows up.
"""

import contextlib
import io
from pathlib import Path

import nbformat
import pytest
from grading_cases import CASES, alternatives, mutants, solution_code

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 2


def graded_outcomes(assignment: str, replace: dict[str, str]) -> dict[str, str]:
    """Run the instructor notebook with ``replace``d answers; the outcome of each graded cell ("" = passed)."""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    namespace, outcomes = {}, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if cell.cell_type != "code" or meta is None:  # the ungraded demo at the end
            continue
        source = replace.get(meta["grade_id"], solution_code(cell.source))
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
    return outcomes


@pytest.mark.parametrize("assignment", sorted(CASES))
def test_each_case_fails_exactly_its_own_test(assignment):
    case = CASES[assignment]
    tests = {f"test_{fn}" for fn in case["points"]}
    for _ in range(REPEATS):
        assert graded_outcomes(assignment, {}) == dict.fromkeys(tests, "")
        for k, alternative in enumerate(alternatives(assignment), start=1):
            failed = {k: v for k, v in graded_outcomes(assignment, alternative).items() if v}
            assert not failed, f"correct alternative {k} failed: {failed}"
        for k, (function, wrong) in enumerate(mutants(assignment), start=1):
            failed = {k for k, v in graded_outcomes(assignment, {function: wrong}).items() if v}
            assert failed == {f"test_{function}"}, f"mutant {k} of {function}: failed {failed}"
