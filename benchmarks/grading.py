"""``python -m benchmarks.grading`` (``make bench-grading``): how long nbgrader takes to grade our assignments.

For each assignment, BATCH submissions of the instructor's solution are
autograded in one nbgrader run, and the time per submission is compared with
the floor: the same for a notebook with one trivial answer and one trivial
test, which measures nbgrader's and the kernel's own cost per notebook. Each
assignment is measured three ways: in nbgrader's kernel with the torch
autograd comparison (the default), in the kernel without it
(``RNN_GRADING_TORCH=0``), and isolated (``RNN_ISOLATED_GRADING=1``: the
student's code in the sandbox, the checks, torch included, in the grader's
process). Then a class of 30 submissions of the slowest assignment is graded
in one run, in the kernel and isolated, and so is the mixed corpus of each
assignment's test suite (the instructor's solution, the untouched release,
correct alternatives and mutants: ``tests/grading_corpus.py``). Everything
happens in a temporary course directory with real nbgrader, as
``make autograde`` runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
# The course directories made here import the grading machinery from this repository (nbgrader_config.py).
os.environ.setdefault("RNN_COURSE_REPO", str(ROOT))
BIN = Path(sys.executable).parent
BATCH = 4
CLASS_SIZE = 30
sys.path.insert(0, str(ROOT / "tests"))
from grading_cases import filled_release  # noqa: E402
from grading_corpus import mutant_suite, notebook  # noqa: E402

MODES = {
    "kernel": {"RNN_GRADING_TORCH": "1", "RNN_ISOLATED_GRADING": "0"},
    "kernel, no torch": {"RNN_GRADING_TORCH": "0", "RNN_ISOLATED_GRADING": "0"},
    "isolated": {"RNN_GRADING_TORCH": "1", "RNN_ISOLATED_GRADING": "1"},
}


def nbgrader(course: Path, *args: str, mode: str = "kernel") -> float:
    """Run nbgrader in ``course``; the wall time in seconds."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", RNN_GRADEBOOK=f"sqlite:///{course}/gb.db")
    env.update(MODES[mode])
    start = time.perf_counter()
    result = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return elapsed


def floor_notebook() -> nbformat.NotebookNode:
    def cell(source, grade_id, **meta):
        c = new_code_cell(source)
        c.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3, **meta}
        return c

    answer = cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "answer", grade=False, solution=True, locked=False)
    test = cell("assert x == 1", "test", grade=True, solution=False, locked=True, points=1)
    return new_notebook(cells=[answer, test], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})


def submit(course: Path, assignment: str, student: str) -> None:
    """The release with the instructor's answers filled in, as ``student``'s submission."""
    target = course / "submitted" / student / assignment
    target.mkdir(parents=True, exist_ok=True)
    nbformat.write(filled_release(course, assignment), target / f"{assignment}.ipynb")


def per_submission(course: Path, assignment: str, label: str, mode: str = "kernel") -> float:
    """Seconds per submission when BATCH submissions of ``assignment`` are autograded in one run."""
    students = [f"{label}{k}" for k in range(BATCH)]
    for student in students:
        submit(course, assignment, student)
    pattern = f"--CourseDirectory.student_id={label}*"
    return nbgrader(course, "autograde", assignment, pattern, mode=mode) / BATCH


def main() -> None:
    assignments = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "solutions", course / "solutions")
        (course / "solutions" / "floor").mkdir()
        nbformat.write(floor_notebook(), course / "solutions" / "floor" / "floor.ipynb")
        for assignment in ["floor", *assignments]:
            nbgrader(course, "generate_assignment", assignment)
        # The floor drifts with the machine's state: take the fastest of three runs.
        floor = min(per_submission(course, "floor", f"floor{k}_") for k in range(3))
        print(f"autograding, seconds per submission in runs of {BATCH}; floor (one trivial test): {floor:.2f} s\n")
        print(f"{'assignment':<15}" + "".join(f"{mode:>18}{'× floor':>9}" for mode in MODES))
        rows = {}
        for assignment in assignments:
            times = {mode: per_submission(course, assignment, f"m{k}", mode) for k, mode in enumerate(MODES)}
            rows[assignment] = times["kernel"]
            print(f"{assignment:<15}" + "".join(f"{t:>18.2f}{t / floor:>9.2f}" for t in times.values()))
        slowest = max(rows, key=rows.get)
        for k, mode in enumerate(("kernel", "isolated")):
            for n in range(CLASS_SIZE):
                submit(course, slowest, f"class{k}_{n:02d}")
            elapsed = nbgrader(course, "autograde", slowest, f"--CourseDirectory.student_id=class{k}_*", mode=mode)
            print(f"a class of {CLASS_SIZE} submissions of {slowest}, {mode}: {elapsed:.0f} s in one autograde run")
        print("\nthe mixed corpus of each assignment (correct, wrong and untouched submissions), one run each:")
        print(f"{'assignment':<15}{'submissions':>12}{'kernel':>10}{'isolated':>10}{'ratio':>8}")
        for assignment in assignments:
            corpus = mutant_suite(assignment)
            times = {}
            for mode in ("kernel", "isolated"):
                for name, submission in corpus.items():
                    target = course / "submitted" / f"{mode[0]}_{name}" / assignment
                    target.mkdir(parents=True, exist_ok=True)
                    nbformat.write(notebook(course, assignment, submission), target / f"{assignment}.ipynb")
                pattern = f"--CourseDirectory.student_id={mode[0]}_*"
                times[mode] = nbgrader(course, "autograde", assignment, pattern, mode=mode)
            ratio = times["isolated"] / times["kernel"]
            print(f"{assignment:<15}{len(corpus):>12}{times['kernel']:>9.0f}s{times['isolated']:>9.0f}s{ratio:>8.2f}")


if __name__ == "__main__":
    main()
