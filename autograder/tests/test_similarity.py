"""The similarity report: copies in disguise are flagged, independent answers are not, the command works.

The corpus is ``similarity_corpus`` (copies) and ``similarity_independent``
(answers written independently); every score here is computed by the report's
own pipeline (the release's given code as boilerplate, copydetect's
fingerprints, the default settings), and compared with the default
threshold, :data:`autograder.similarity.THRESHOLD`.
"""

from __future__ import annotations

import ast
import csv
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from itertools import combinations
from pathlib import Path

import nbformat
import pytest
from grading_cases import filled_release, instructor_code
from hypothesis import given, settings
from hypothesis import strategies as st
from make_targets import MAKE
from similarity_corpus import (
    ASSIGNMENTS,
    as_answer,
    copies_of_solution,
    disguised_functions,
    handwritten_alternatives,
    release,
    renamed,
    rnncore_copies,
)
from similarity_independent import INDEPENDENT

from autograder.similarity import THRESHOLD
from autograder.similarity.answers import answer_code, answer_ids, given_code
from autograder.similarity.references import (
    checks_called,
    given_imports,
    graded_cells,
    handed_out_names,
    handout_sources,
    reference_functions,
    rnncore_reference,
    solution_reference,
)
from autograder.similarity.scores import boilerplate_hashes, compare, fingerprint

ROOT = Path(__file__).resolve().parents[2]


@cache
def pipeline(assignment: str):
    """``(fingerprint of code, {reference: fingerprint})`` as the report makes them for ``assignment``."""
    rel = release(assignment)
    boilerplate = boilerplate_hashes(given_code(rel) + handout_sources(given_imports(rel)))
    solution = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    refs = {"rnncore": rnncore_reference(rel), "solution": solution_reference(solution)}

    def fp(code):
        return fingerprint(code, boilerplate=boilerplate)

    return fp, {name: fp(code) for name, code in refs.items()}


def classmate_score(assignment: str, a: str, b: str) -> float:
    fp, _ = pipeline(assignment)
    match = compare(fp(a), fp(b))
    return max(match.score_a, match.score_b)


def reference_score(assignment: str, answer: str, reference: str) -> float:
    fp, refs = pipeline(assignment)
    return compare(fp(answer), refs[reference]).score_a


def independent_answers(assignment: str) -> dict[str, str]:
    """The hand-written alternatives of grading_cases and this suite's own, as answer code."""
    found = {name: as_answer(assignment, fs) for name, fs in handwritten_alternatives(assignment).items()}
    found.update({f"independent {k}": as_answer(assignment, fs) for k, fs in enumerate(INDEPENDENT[assignment], 1)})
    return found


# --------------------------------------------------------------------------- copies are flagged


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_classmates_answer_in_disguise_is_flagged(assignment):
    originals = {**handwritten_alternatives(assignment), **dict(enumerate(INDEPENDENT[assignment]))}
    for name, functions in originals.items():
        original = as_answer(assignment, functions)
        for seed in range(3):
            copy = as_answer(assignment, disguised_functions(functions, seed))
            assert copy != original
            score = classmate_score(assignment, copy, original)
            assert score > THRESHOLD, f"{assignment}: {name} disguised (seed {seed}) scores {score:.2f}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_rnncore_copied_under_the_assignments_signatures_is_flagged(assignment):
    copies = rnncore_copies(assignment)
    for seed in range(3):
        for label, functions in {"as is": copies, "disguised": disguised_functions(copies, seed)}.items():
            score = reference_score(assignment, as_answer(assignment, functions), "rnncore")
            assert score > THRESHOLD, f"{assignment}: rnncore's functions copied {label} score {score:.2f}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_mutants_rewrites_and_the_disguised_solution_are_flagged_against_the_solution(assignment):
    copies = copies_of_solution(assignment)
    assert len(copies) > 5
    for name, answer in copies.items():
        score = reference_score(assignment, answer, "solution")
        assert score > THRESHOLD, f"{assignment}: {name} scores {score:.2f} against the solution"


@settings(max_examples=20, deadline=None)
@given(assignment=st.sampled_from(ASSIGNMENTS), seed=st.integers(0, 10**6))
def test_renaming_and_recommenting_never_change_a_score(assignment, seed):
    """Renamed locals and no comments leave the fingerprints, so every score, exactly as they were."""
    functions = {f: instructor_code(assignment, f) for f in answer_ids(release(assignment))}
    reformatted = as_answer(assignment, {f: ast.unparse(ast.parse(code)) for f, code in functions.items()})
    renamed_ = as_answer(assignment, {f: renamed(code, seed) for f, code in functions.items()})
    assert renamed_ != reformatted or not any(_assigns(code) for code in functions.values())
    for reference in ("rnncore", "solution"):
        expected = reference_score(assignment, reformatted, reference)
        assert reference_score(assignment, renamed_, reference) == expected


def _assigns(code: str) -> bool:
    return any(isinstance(n, ast.Assign) for n in ast.walk(ast.parse(code)))


# --------------------------------------------------------------------------- independent answers are not


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_independent_answers_are_not_flagged_against_each_other_or_the_references(assignment):
    answers = independent_answers(assignment)
    assert len(answers) >= 3 + len(handwritten_alternatives(assignment))
    scores = {}
    for (a, code_a), (b, code_b) in combinations(answers.items(), 2):
        scores[(a, b)] = classmate_score(assignment, code_a, code_b)
    for a, code in answers.items():
        for reference in ("rnncore", "solution"):
            scores[(a, reference)] = reference_score(assignment, code, reference)
    flagged = {pair: round(score, 2) for pair, score in scores.items() if score > THRESHOLD}
    assert not flagged, f"{assignment}: independent answers flagged: {flagged}"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_independent_answers_are_correct(assignment):
    """Each independent answer earns its functions' points from the grader's own checks (in process)."""
    from test_grading_cases import graded_outcomes

    for k, functions in enumerate(INDEPENDENT[assignment], start=1):
        outcomes = graded_outcomes(assignment, functions)
        failed = {f: outcomes[f"test_{f}"] for f in functions if outcomes[f"test_{f}"]}
        assert not failed, f"{assignment}: independent answer {k} fails: {failed}"


# --------------------------------------------------------------------------- what counts as the student's


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_release_untouched_has_no_answer_and_the_solution_has_all(assignment):
    rel = release(assignment)
    assert answer_code(rel, rel) == ""
    solved = answer_code(filled_release(ROOT, assignment), rel)
    for function in answer_ids(rel):
        assert f"# --- answer cell {function}\n# given: def {function}(" in solved


def test_the_references_are_what_the_checks_compare_with_less_the_handouts():
    def names(assignment):
        rel = release(assignment)
        found = reference_functions(checks_called(graded_cells(rel)), handed_out_names(given_imports(rel)))
        return {f"{f.__module__}.{f.__qualname__}" for f in found}

    assert {"rnncore.rnn.rnn_step_forward", "rnncore.rnn.rnn_forward"} <= names("recurrence")
    assert "rnncore.rnn.rnn_step_forward" not in names("bptt")  # bptt hands it out
    assert "rnncore.rnn.rnn_step_backward" in names("bptt")
    assert {"rnncore.rnn.rnn_forward", "rnncore.rnn.rnn_backward"}.isdisjoint(names("architectures"))
    assert "rnncore.attention.attention_forward" in names("attention")
    for assignment in ASSIGNMENTS:
        machinery = {n for n in names(assignment) if n.split(".")[1] in ("torch_ref", "gradcheck", "plotting")}
        checks = {n for n in names(assignment) if n.startswith("rnncore.grading.") and ".check_" in n}
        assert not machinery and not checks and not any(".engine." in n for n in names(assignment))


# --------------------------------------------------------------------------- the command


def new_course(tmp_path: Path, assignment: str) -> Path:
    course = tmp_path / "course"
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder / assignment, course / folder / assignment)
    return course


def submit(course: Path, assignment: str, student: str, functions: dict[str, str]) -> None:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(filled_release(ROOT, assignment, functions, solved=False), folder / f"{assignment}.ipynb")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder.similarity", *args], cwd=ROOT, capture_output=True, text=True
    )


@pytest.mark.slow
def test_make_similarity_reports_the_copies_of_a_small_class(tmp_path, browser):
    assignment = "recurrence"
    course = new_course(tmp_path, assignment)
    honest, other = INDEPENDENT[assignment][0], INDEPENDENT[assignment][2]
    submit(course, assignment, "1001", honest)
    submit(course, assignment, "1002", disguised_functions(honest, seed=5))  # copied from 1001
    submit(course, assignment, "1003", disguised_functions(rnncore_copies(assignment), seed=1))
    submit(course, assignment, "1004", other)
    broken = course / "submitted" / "1005" / assignment
    broken.mkdir(parents=True)
    (broken / f"{assignment}.ipynb").write_text('{"cells": [')  # an upload cut short
    result = subprocess.run(
        [*MAKE, "similarity", f"COURSE={course}", f"A={assignment}"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "left out 1005, whose notebook cannot be read" in result.stderr
    out = course / "_build" / "similarity" / assignment
    with open(out / "similarity.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["student_a", "student_b", "similarity", "source"]
    flagged = {(r["student_a"], r["student_b"], r["source"]) for r in rows if float(r["similarity"]) > THRESHOLD}
    assert flagged == {("1001", "1002", "classmate"), ("1003", "rnncore", "rnncore")}
    scores = [float(r["similarity"]) for r in rows]
    assert scores == sorted(scores, reverse=True) and len(rows) == 6 + 2 * 4
    page = (out / "report.html").read_text()
    assert "Similar is not proof" in page and page.count('<section class="pair"') == 2
    assert "http://" not in page and "https://" not in page and "<script" not in page  # works offline
    shown = [float(s) for s in re.findall(r'<span class="score">(\d+)%</span>', page)]
    assert len(shown) == 2 and shown == sorted(shown, reverse=True)  # highest first
    assert_reads_in_a_browser(browser, out / "report.html")


def assert_reads_in_a_browser(browser, report: Path) -> None:
    """Offline, each pair's two sides next to each other, matches highlighted, no line hidden past a pane's edge."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("request", lambda r: problems.append(f"request: {r.url}") if not r.url.startswith("file:") else None)
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    try:
        page.goto(report.as_uri(), wait_until="load")
        sides = page.evaluate(
            """() => [...document.querySelectorAll('section.pair')].map(s => [...s.querySelectorAll('pre')].map(p => {
                const r = p.getBoundingClientRect();
                return {left: r.left, right: r.right, top: r.top, width: r.width,
                        hidden: p.scrollWidth > p.clientWidth + 1, marks: p.querySelectorAll('.hl').length};
            }))"""
        )
    finally:
        page.close()
    assert not problems, problems
    assert len(sides) == 2
    for a, b in sides:
        assert a["right"] <= b["left"] and abs(a["top"] - b["top"]) < 1, "the two sides are not next to each other"
        assert min(a["width"], b["width"]) > 400, "a side is too narrow to read"
        assert a["marks"] > 0 and b["marks"] > 0, "no matching region is highlighted"
        assert not a["hidden"] and not b["hidden"], "a line runs past the edge of its pane"


def test_an_unknown_assignment_or_no_submissions_is_an_error(tmp_path):
    course = new_course(tmp_path, "gru")
    unknown = run_cli("nonesuch", "--course", str(course))
    assert unknown.returncode == 2 and "unknown assignment 'nonesuch'" in unknown.stderr and "gru" in unknown.stderr
    empty = run_cli("gru", "--course", str(course))
    assert empty.returncode == 2 and "no submissions of gru" in empty.stderr
    assert not (course / "_build").exists()
