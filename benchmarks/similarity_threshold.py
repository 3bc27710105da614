"""The scores behind the similarity report's default threshold (``python -m benchmarks.similarity_threshold``).

Prints, over the test corpus of every assignment, the distribution of the
scores of copies (a classmate's answer or rnncore's functions in disguise,
mutants, rewrites and the disguised instructor's solution) and of independent
answers (against each other and against the references), computed as
``autograder/tests/test_similarity.py`` computes them, and where the default
threshold lies between them.
"""

from __future__ import annotations

import sys
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "autograder" / "tests")]
from similarity_corpus import (  # noqa: E402
    ASSIGNMENTS,
    as_answer,
    copies_of_solution,
    disguised_functions,
    handwritten_alternatives,
    rnncore_copies,
)
from similarity_independent import INDEPENDENT  # noqa: E402
from test_similarity import classmate_score, independent_answers, reference_score  # noqa: E402

from autograder.similarity import THRESHOLD  # noqa: E402
from autograder.similarity.scores import DEFAULT  # noqa: E402


def copies(assignment: str) -> list[float]:
    scores = []
    for functions in list(handwritten_alternatives(assignment).values()) + INDEPENDENT[assignment]:
        original = as_answer(assignment, functions)
        scores += [
            classmate_score(assignment, as_answer(assignment, disguised_functions(functions, s)), original)
            for s in range(3)
        ]
    rnncore = rnncore_copies(assignment)
    scores += [reference_score(assignment, as_answer(assignment, rnncore), "rnncore")]
    scores += [
        reference_score(assignment, as_answer(assignment, disguised_functions(rnncore, s)), "rnncore") for s in range(3)
    ]
    scores += [reference_score(assignment, code, "solution") for code in copies_of_solution(assignment).values()]
    return scores


def independent(assignment: str) -> list[float]:
    answers = independent_answers(assignment)
    scores = [classmate_score(assignment, a, b) for a, b in combinations(answers.values(), 2)]
    return scores + [reference_score(assignment, a, r) for a in answers.values() for r in ("rnncore", "solution")]


def summary(scores: list[float]) -> str:
    q = np.quantile(scores, [0, 0.1, 0.5, 0.9, 1])
    return f"n={len(scores):4d}  min {q[0]:.2f}  10% {q[1]:.2f}  median {q[2]:.2f}  90% {q[3]:.2f}  max {q[4]:.2f}"


def main() -> None:
    print(f"copydetect k = {DEFAULT.noise}, window {DEFAULT.window}; threshold {THRESHOLD}")
    every_copy, every_independent = [], []
    for assignment in ASSIGNMENTS:
        c, i = copies(assignment), independent(assignment)
        every_copy += c
        every_independent += i
        print(f"{assignment:14s} copies       {summary(c)}\n{'':14s} independent  {summary(i)}")
    print(f"{'all':14s} copies       {summary(every_copy)}\n{'':14s} independent  {summary(every_independent)}")


if __name__ == "__main__":
    main()
