"""Every grading case, in process: the verdicts nbgrader gives, and the ones Validate gives first.

The end-to-end test (``test_assignments.py``) runs each case once through real
nbgrader. Here the notebook's cells run in this process once per case. Run as
grading runs them (each test cell's hidden part), each mutant fails exactly
its own test cell. Run as a student's Validate runs them (the released,
visible part, which makes the same calls), the wrong implementations of the
catalogue fail with the grader's diagnosis and every correct one passes. That a
check catches each mistake on every random draw, and passes each correct
answer on every one, is proven statistically in ``test_grading_draws.py``.
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


def run_cells(assignment: str, replace: dict[str, str], tests: str = "hidden") -> tuple[dict[str, str], dict]:
    """Run the instructor notebook with ``replace``d answers: ``(outcomes, namespace)``.

    ``outcomes`` maps each graded cell to its error ("" = passed). ``tests``
    says which part of each test cell runs: "hidden" (what grading runs),
    "visible" (what a student's Validate runs: the released cell), "both"
    (the instructor's whole cell) or "none" (only the namespace is wanted:
    the one a test would run in).
    """
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    namespace, outcomes = {}, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if cell.cell_type != "code" or meta is None:  # the ungraded demo at the end
            continue
        source = replace.get(meta["grade_id"], solution_code(cell.source))
        if meta.get("grade"):
            source = {
                "hidden": hidden_test(source) if HIDDEN.search(source) else "",
                "visible": without_hidden_tests(source),
                "both": source,
                "none": "",
            }[tests]
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


VALIDATION_TABLE: list[str] = []  # the measured table, for the run's summary

# What the wrong gradient is called in a message ("dW is wrong"), and which outputs are sequences over time.
NAMES_A_GRADIENT = re.compile(r"\bd\w+ is wrong")
TIME_MAJOR_WRONG = re.compile(r"\b(h|dh|dx|J) is wrong")


def validation_verdicts() -> dict[str, dict]:
    """Validate, as a student's kernel runs it, on every case of the catalogue.

    For each assignment: the message of each wrong implementation's own test
    cell ("" if validation passed it), and the visible failures of each correct
    alternative (none expected).
    """
    verdicts = {}
    for assignment in sorted(CASES):
        wrong = []
        for function, source in mutants(assignment):
            outcomes = run_cells(assignment, {function: source}, tests="visible")[0]
            wrong.append((function, outcomes[f"test_{function}"]))
        right = []
        for alternative in alternatives(assignment):
            outcomes = run_cells(assignment, alternative, tests="visible")[0]
            right.append({test: message for test, message in outcomes.items() if message})
        verdicts[assignment] = {"wrong": wrong, "right": right}
    return verdicts


def vague_messages(function: str, message: str) -> list[str]:
    """What a failing message leaves out of the diagnosis it owes the student."""
    missing = []
    if function not in message:
        missing.append("the function")
    if "backward" in function and not NAMES_A_GRADIENT.search(message):
        missing.append("the gradient")
    if "step" not in function and TIME_MAJOR_WRONG.search(message) and "t=" not in message:
        missing.append("the time step")
    return missing


def test_validate_gives_the_graders_diagnosis_before_the_deadline():
    """The released test cells (what Validate runs) catch wrong implementations and pass correct ones.

    Measured on the whole catalogue: at least 95 % of the wrong implementations
    fail validation, each with a message that names the function, and for a
    backward pass the gradient, and for a sequence the time step where it
    departs; every correct alternative passes. The table is printed for the record.
    """
    verdicts = validation_verdicts()
    rows, vague = [], []
    for assignment, v in verdicts.items():
        caught = sum(bool(message) for _, message in v["wrong"])
        passed = sum(not failures for failures in v["right"])
        rows.append((assignment, caught, len(v["wrong"]), passed, len(v["right"])))
        vague += [(fn, m, vague_messages(fn, m)) for fn, m in v["wrong"] if m and vague_messages(fn, m)]
    totals = [sum(row[k] for row in rows) for k in range(1, 5)]
    table = "\n".join(
        f"{name:14s} wrong caught {c:3d} / {w:3d} ({c / w:4.0%})   correct passed {p:2d} / {r:2d} ({p / r:4.0%})"
        for name, c, w, p, r in [*rows, ("all", *totals)]
    )
    VALIDATION_TABLE.append(table)  # printed at the end of the run (conftest.py)
    caught, wrong, passed, right = totals
    assert caught >= 0.95 * wrong, table
    assert passed == right, [f for v in verdicts.values() for f in v["right"] if f]
    assert not vague, vague


def test_the_released_check_is_the_hidden_check():
    """Validate runs what grading runs: the visible part of every test cell makes the hidden part's calls."""
    for notebook in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            if not cell.metadata.get("nbgrader", {}).get("grade"):
                continue
            hidden = hidden_test(cell.source)
            visible = textwrap.dedent("\n".join(without_hidden_tests(cell.source).splitlines()[1:]))
            assert hidden.strip() in visible, f"{notebook.name}: {cell.metadata['nbgrader']['grade_id']}"
