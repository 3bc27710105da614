"""The assignments end to end, with real nbgrader in a temporary course directory, graded in its kernel.

(``test_isolated_grading.py`` grades the same cases with the students' code in the sandbox.)

* ``exercises/`` is exactly what ``nbgrader generate_assignment`` makes from
  ``solutions/``, and holds no solution or hidden-test code.
* Submissions are graded by ``nbgrader autograde``, feedback is generated, and
  the scores read from the gradebook are compared exactly with what each
  submission deserves. The instructor's solutions earn full marks, the
  untouched release earns 0, each plausible wrong function loses exactly its
  own points, and correct implementations written differently earn full marks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grading_cases import CASES, SOLUTION, as_read, filled_release

# Runs nbgrader on every assignment: the full suite only (make test).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def run_nbgrader(args: list[str], course: Path, **env_vars: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", RNN_GRADEBOOK=gradebook_url(course))
    env.update(env_vars)
    result = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def gradebook_url(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


def new_course(tmp_path_factory, name: str) -> Path:
    """A temporary course directory with every assignment generated."""
    course = tmp_path_factory.mktemp(name)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    for assignment in ASSIGNMENTS:
        run_nbgrader(["generate_assignment", assignment], course)
    return course


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return new_course(tmp_path_factory, "course")


def _normalised(path: Path) -> list:
    nb = json.loads(path.read_text())
    return [(c["cell_type"], c.get("id"), "".join(c["source"]), c["metadata"]) for c in nb["cells"]]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_is_what_nbgrader_generates(course, assignment):
    generated = sorted((course / "exercises" / assignment).glob("*.ipynb"))
    committed = sorted((ROOT / "exercises" / assignment).glob("*.ipynb"))
    assert [p.name for p in generated] == [p.name for p in committed], "run `make release` and commit exercises/"
    for new, old in zip(generated, committed, strict=True):
        assert _normalised(new) == _normalised(old), f"{old.relative_to(ROOT)} is stale: run `make release`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_contains_no_solution_or_hidden_test(assignment):
    for source_path in (ROOT / "solutions" / assignment).glob("*.ipynb"):
        release = (ROOT / "exercises" / assignment / source_path.name).read_text()
        assert "BEGIN SOLUTION" not in release and "HIDDEN TESTS" not in release
        source = nbformat.read(source_path, as_version=4)
        for cell in source.cells:
            for block in SOLUTION.findall(cell.source):
                for line in block.strip().splitlines():
                    line = line.strip()
                    if len(line) > 12:  # skip trivial lines such as "return h"
                        assert line not in release, f"solution line leaked into the release: {line!r}"
            # The visible part makes the hidden part's calls (Validate runs the grader's check): what
            # must not reach the release is any line of the hidden part beyond those.
            visible = re.sub(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS", "", cell.source, flags=re.S)
            hidden = re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S)
            for block in hidden:
                for line in block.strip().splitlines():
                    if len(line.strip()) > 12 and line.strip() not in visible:
                        assert line.strip() not in release, f"hidden test leaked into the release: {line!r}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_are_stored_without_outputs(assignment):
    for folder in ("solutions", "exercises"):
        for path in (ROOT / folder / assignment).glob("*.ipynb"):
            nb = nbformat.read(path, as_version=4)
            assert all(not c.get("outputs") and not c.get("execution_count") for c in nb.cells if c.cell_type == "code")


# --------------------------------------------------------------------------- submissions


def write_submission(course: Path, assignment: str, student: str, replace: dict[str, str], solved: bool) -> None:
    """The release notebook with its answer cells filled in: the instructor's code, then ``replace``."""
    target = course / "submitted" / student / assignment
    target.mkdir(parents=True, exist_ok=True)
    nbformat.write(filled_release(course, assignment, replace, solved), target / f"{assignment}.ipynb")


def changed_cells_by_student(autograde_log: str) -> dict[str, set[str]]:
    """The cells autograde reported as changed ("Attribute … for cell X has changed!"), by student."""
    changed, student = {}, None
    for line in autograde_log.splitlines():
        if match := re.search(r"Sanitizing .*/submitted/([^/]+)/", line):
            student = match.group(1)
        elif match := re.search(r"for cell (\S+) has changed!", line):
            changed.setdefault(student, set()).add(match.group(1))
    return changed


def scores(course: Path, assignment: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(course)) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(assignment)}


def test_every_assignment_has_a_grading_case():
    assert sorted(CASES) == ASSIGNMENTS


def write_case_submissions(course: Path, assignment: str) -> dict[str, float]:
    """Every submission of the assignment's grading case, and the score each deserves."""
    case = CASES[assignment]
    full = sum(case["points"].values())
    expected = {"instructor": full, "untouched": 0}
    write_submission(course, assignment, "instructor", {}, solved=True)
    write_submission(course, assignment, "untouched", {}, solved=False)
    assert len(case["alternatives"]) >= 2
    for k, alternative in enumerate(case["alternatives"], start=1):
        write_submission(course, assignment, f"alternative_{k}", alternative, solved=True)
        expected[f"alternative_{k}"] = full
    for function, wrong in case["wrong"].items():
        write_submission(course, assignment, f"wrong_{function}", {function: wrong}, solved=True)
        expected[f"wrong_{function}"] = full - case["points"][function]
    # The instructor's answers with every visible test emptied: the tests are restored, and reported.
    emptied = {f"test_{function}": "pass" for function in case["points"]}
    write_submission(course, assignment, "emptied_tests", emptied, solved=True)
    expected["emptied_tests"] = full
    return expected


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_submissions_are_graded_as_each_deserves(course, assignment):
    case = CASES[assignment]
    expected = write_case_submissions(course, assignment)

    log = run_nbgrader(["autograde", assignment], course, RNN_ISOLATED_GRADING="0")  # in nbgrader's kernel
    changed = changed_cells_by_student(log.stderr)
    # Only "emptied_tests" touched test cells: nobody else's cells may be reported as changed.
    assert changed == {"emptied_tests": {f"test_{function}" for function in case["points"]}}, changed
    other_warnings = [w for w in re.findall(r"\| WARNING\] (.*)", log.stderr) if "has changed" not in w]
    assert not other_warnings, other_warnings
    run_nbgrader(["generate_feedback", assignment], course)
    assert scores(course, assignment) == expected

    for function, snippet in case["feedback"].items():
        page = course / "feedback" / f"wrong_{function}" / assignment / f"{assignment}.html"
        # Messages are wrapped to fit the page: compare the words, not the line breaks.
        assert " ".join(snippet.split()) in as_read(page), f"{function}: feedback lacks {snippet!r}"
