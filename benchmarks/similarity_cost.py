"""Seconds for the similarity report of a generated class (``python -m benchmarks.similarity_cost``).

A class of ``--students`` (300 by default) submissions of one assignment is
written as nbgrader's ``submitted/`` folder of a temporary course directory:
each student's answer to each function is one of the versions the tests know
(the instructor's, the hand-written alternatives, the independent answers of
the similarity tests, rnncore's), disguised with the student's own names, line
order and comments. Then ``python -m autograder.similarity`` runs on it, as
``make similarity`` does, and the wall-clock time is printed.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "autograder" / "tests")]
from grading_cases import CASES, filled_release, instructor_code  # noqa: E402
from similarity_corpus import disguised, release, rnncore_copies  # noqa: E402
from similarity_independent import INDEPENDENT  # noqa: E402

from autograder.similarity.answers import answer_ids  # noqa: E402


def versions(assignment: str) -> dict[str, list[str]]:
    """Every version of each function the tests know."""
    functions = answer_ids(release(assignment))
    found = {f: [instructor_code(assignment, f)] for f in functions}
    for alternative in CASES[assignment]["alternatives"] + INDEPENDENT[assignment]:
        for f, code in alternative.items():
            found[f].append(code)
    for f, code in rnncore_copies(assignment).items():
        found[f].append(code)
    return found


def generated_class(course: Path, assignment: str, students: int, seed: int = 0) -> None:
    """``students`` submissions in ``course/submitted/<id>/<assignment>/``, each function a disguised version."""
    rng = random.Random(seed)
    pool = versions(assignment)
    for k in range(students):
        answers = {f: disguised(rng.choice(codes), seed=rng.randrange(10**6)) for f, codes in pool.items()}
        folder = course / "submitted" / f"s{k:04d}" / assignment
        folder.mkdir(parents=True)
        nbformat.write(filled_release(ROOT, assignment, answers, solved=False), folder / f"{assignment}.ipynb")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="lstm")
    parser.add_argument("--students", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        for folder in ("solutions", "exercises"):
            shutil.copytree(ROOT / folder / args.assignment, course / folder / args.assignment)
        generated_class(course, args.assignment, args.students)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "autograder.similarity", args.assignment, "--course", str(course)],
            check=True,
            cwd=ROOT,
        )
        seconds = time.perf_counter() - start
        print(f"similarity report of {args.students} submissions of {args.assignment}: {seconds:.1f} s wall clock")


if __name__ == "__main__":
    main()
