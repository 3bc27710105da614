"""Autograding with students' code in the sandbox (the default; RNN_ISOLATED_GRADING=1), through real nbgrader.

Every grading case scores exactly as it does in the kernel, and submissions
that attack the in-kernel grader or break the process score what their honest
content earns, with a recorded status, without touching anyone else's grades.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest
from test_assignments import (
    ASSIGNMENTS,
    gradebook_url,
    new_course,
    run_nbgrader,
    scores,
    write_case_submissions,
    write_submission,
)

ISOLATED = {"RNN_ISOLATED_GRADING": "1"}
# Tight limits for the submissions that loop or sleep, so that the test is quick.
TIGHT = {**ISOLATED, "RNN_GRADING_CPU_SECONDS": "3", "RNN_GRADING_WALL_SECONDS": "6"}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return new_course(tmp_path_factory, "isolated")


def needing_manual_grading(course: Path, assignment: str) -> list[str]:
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(course)) as gb:
        return [s.student.id for s in gb.assignment_submissions(assignment) if s.needs_manual_grade]


def statuses(log: str) -> dict[str, str]:
    """The status the isolated grader logged for each student."""
    return dict(re.findall(r"\] (\S+): (graded|timed out|crashed|malformed) \(isolation: bwrap", log))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_case_scores_as_in_the_kernel(course, assignment):
    expected = write_case_submissions(course, assignment)
    log = run_nbgrader(["autograde", assignment], course, **ISOLATED)
    assert scores(course, assignment) == expected
    assert statuses(log.stderr) == dict.fromkeys(expected, "graded")
    assert not needing_manual_grading(course, assignment)
    run_nbgrader(["generate_feedback", assignment], course)
    page = course / "feedback" / "wrong_rnn_step_forward" / assignment / f"{assignment}.html"
    if assignment == "recurrence":
        assert "rnn_step_forward: h is wrong" in page.read_text()


# Submissions of assignment 1 (7 points: rnn_step_forward 2, rnn_forward 3, sequence_loss 2) that
# do no work but attack the grader, or break; with the score their honest content earns.
STEP = "def rnn_step_forward(x, h_prev, U, W, b):\n    return np.tanh(x @ U.T + h_prev @ W.T + b), None"
HOSTILE = {
    "strips_asserts": (
        {
            "rnn_step_forward": """import ast
class NoAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
get_ipython().ast_transformers.append(NoAsserts())
def rnn_step_forward(x, h_prev, U, W, b):
    raise NotImplementedError""",
        },
        0,
        "graded",
    ),
    "patches_numpy_and_grader": (
        {
            "rnn_step_forward": """np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
import rnncore.grading.engine as engine
engine.compare = lambda *a, **k: None
engine.compare_states = lambda *a, **k: None
def rnn_step_forward(x, h_prev, U, W, b):
    return np.zeros_like(h_prev), None""",
        },
        0,
        "graded",
    ),
    "only_when_grading": (
        {
            "rnn_step_forward": """import os
def rnn_step_forward(x, h_prev, U, W, b):
    if os.environ.get("NBGRADER_EXECUTION"):
        from rnncore.rnn import rnn_step_forward as reference
        return reference(x, h_prev, U, W, b)
    raise NotImplementedError""",
        },
        0,
        "graded",
    ),
    "reads_the_source_and_the_gradebook": (
        {
            "rnn_step_forward": """import glob, os, sqlite3
for path in glob.glob("../../*.db") + glob.glob("../../../*.db") + glob.glob("/tmp/*/*/gradebook.db"):
    db = sqlite3.connect(path)
    db.execute("update grade set manual_score = 99")
    db.commit()
exec(open("../../solutions/recurrence/recurrence.ipynb").read())
def rnn_step_forward(x, h_prev, U, W, b):
    raise NotImplementedError""",
        },
        0,
        "graded",
    ),
    "wraps_cells_in_try": (
        {
            "rnn_step_forward": """def wrap(lines):
    return ["try:\\n"] + ["    " + line for line in lines] + ["except BaseException:\\n    pass\\n"]
get_ipython().input_transformers_post.append(wrap)
get_ipython().showtraceback = lambda *a, **k: None
def rnn_step_forward(x, h_prev, U, W, b):
    raise NotImplementedError""",
        },
        0,
        "graded",
    ),
    "returns_a_lying_array": (
        {
            "rnn_step_forward": """class Liar(np.ndarray):
    def __eq__(self, other):
        return True
    __ne__ = lambda self, other: False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __array_ufunc__(self, *args, **kwargs):
        return np.zeros(())
def rnn_step_forward(x, h_prev, U, W, b):
    return np.zeros_like(h_prev).view(Liar), None""",
        },
        0,
        "graded",
    ),
    "loops_forever_in_one_function": (
        {"rnn_step_forward": STEP, "sequence_loss": "def sequence_loss(h, V, c, y):\n    while True:\n        pass"},
        5,
        "timed out",
    ),
    "sleeps_at_top_level": ({"rnn_step_forward": "import time\ntime.sleep(3600)\n" + STEP}, 0, "timed out"),
    "exits": ({"rnn_step_forward": "import os\n" + STEP.replace("return", "os._exit(0)\n    return")}, 5, "crashed"),
    "does_not_parse": ({"rnn_step_forward": "def rnn_step_forward(x, h_prev, U, W, b)\n    return x"}, 0, "malformed"),
}


FAULTS_WITH_WORK = {"loops_forever_in_one_function", "exits"}


def test_hostile_and_broken_submissions(course):
    for student, (replace, _, _) in HOSTILE.items():
        # No work beyond what is shown: the other answers stay as released, except where a fault
        # case keeps the instructor's answers to show that only the broken function loses points.
        solved = student in FAULTS_WITH_WORK
        write_submission(course, "recurrence", f"hostile_{student}", replace, solved=solved)
    gradebook = course / "gradebook.db"
    with sqlite3.connect(gradebook) as db:
        before = db.execute("select * from grade order by id").fetchall()

    start = time.monotonic()
    log = run_nbgrader(["autograde", "recurrence", "--CourseDirectory.student_id=hostile_*"], course, **TIGHT)
    elapsed = time.monotonic() - start

    got = {s: v for s, v in scores(course, "recurrence").items() if s.startswith("hostile_")}
    assert not needing_manual_grading(course, "recurrence")
    assert got == {f"hostile_{s}": score for s, (_, score, _) in HOSTILE.items()}
    assert statuses(log.stderr) == {f"hostile_{s}": status for s, (_, _, status) in HOSTILE.items()}
    with sqlite3.connect(gradebook) as db:
        after = db.execute("select * from grade order by id").fetchall()
    assert before and set(before) <= set(after), "a submission changed other students' grades"
    # the limits, not the students, bound the run: at most a few wall-clock limits per submission
    assert elapsed < len(HOSTILE) * 3 * 6 + 30
