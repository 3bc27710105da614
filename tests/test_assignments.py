"""The assignments end to end, with real nbgrader in a temporary course directory.

* ``exercises/`` is exactly what ``nbgrader generate_assignment`` makes from
  ``solutions/``, and holds no solution or hidden-test code.
* Submissions are graded by ``nbgrader autograde``, feedback is generated, and
  the scores read from the gradebook are compared exactly with what each
  submission deserves. The instructor's solutions earn full marks, the
  untouched release earns 0, each plausible wrong function loses exactly its
  own points, and correct implementations written differently earn full marks.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
SOLUTION = re.compile(r"[ \t]*### BEGIN SOLUTION\n(.*?)[ \t]*### END SOLUTION\n?", re.S)


def run_nbgrader(args: list[str], course: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", RNN_GRADEBOOK=gradebook_url(course))
    result = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def gradebook_url(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    for assignment in ASSIGNMENTS:
        run_nbgrader(["generate_assignment", assignment], course)
    return course


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
            hidden = re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S)
            for block in hidden:
                for line in block.strip().splitlines():
                    if len(line.strip()) > 12:
                        assert line.strip() not in release, f"hidden test leaked into the release: {line!r}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_are_stored_without_outputs(assignment):
    for folder in ("solutions", "exercises"):
        for path in (ROOT / folder / assignment).glob("*.ipynb"):
            nb = nbformat.read(path, as_version=4)
            assert all(not c.get("outputs") and not c.get("execution_count") for c in nb.cells if c.cell_type == "code")


# --------------------------------------------------------------------------- submissions

RECURRENCE_WRONG = {
    # W used untransposed: a classic shape-compatible mistake when H = H
    "rnn_step_forward": """def rnn_step_forward(x, h_prev, U, W, b):
    h = np.tanh(x @ U.T + h_prev @ W + b)
    return h, (x, h_prev, h, U, W)""",
    # the initial state ignored
    "rnn_forward": """def rnn_forward(x, U, W, b, h0):
    h, state = [], np.zeros_like(h0)
    for t in range(x.shape[0]):
        state, _ = rnn_step_forward(x[t], state, U, W, b)
        h.append(state)
    return np.stack(h), None""",
    # a mean where the sum is asked for
    "sequence_loss": """def sequence_loss(h, V, c, y):
    o = h @ V.T + c
    o = o - o.max(axis=-1, keepdims=True)
    log_p = o - np.log(np.exp(o).sum(axis=-1, keepdims=True))
    return float(-np.take_along_axis(log_p, y[..., None], axis=-1).mean())""",
}

RECURRENCE_ALTERNATIVE = {
    "rnn_step_forward": """def rnn_step_forward(x, h_prev, U, W, b):
    # float32 and einsum: different from the reference, still correct
    a = np.einsum("hd,nd->nh", U, x) + np.einsum("hk,nk->nh", W, h_prev) + b
    h = np.tanh(a.astype(np.float32)).astype(np.float64)
    return h, None""",
    "rnn_forward": """def rnn_forward(x, U, W, b, h0):
    T = x.shape[0]
    out = np.empty((T,) + h0.shape)
    h = h0
    for t in range(T):
        h = np.tanh(b + (W @ h.T).T + (U @ x[t].T).T)  # column form, transposed back
        out[t] = h
    return out, {"states": out}""",
    "sequence_loss": """def sequence_loss(h, V, c, y):
    total = 0.0
    for t in range(h.shape[0]):
        for n in range(h.shape[1]):
            o = V @ h[t, n] + c
            total += np.logaddexp.reduce(o) - o[y[t, n]]
    return total""",
}


def _solution_code(cell_source: str) -> str:
    return SOLUTION.sub(lambda m: m.group(1), cell_source)


def write_submission(course: Path, assignment: str, student: str, replace: dict[str, str], solved: bool) -> None:
    """The release notebook with its answer cells filled in: the instructor's code, then ``replace``."""
    name = f"{assignment}.ipynb"
    release = nbformat.read(course / "exercises" / assignment / name, as_version=4)
    source = nbformat.read(course / "solutions" / assignment / name, as_version=4)
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells if c.metadata["nbgrader"].get("solution")
    }
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions and solved:
            cell.source = _solution_code(solutions[grade_id])
        if grade_id in replace:
            cell.source = replace[grade_id]
    target = course / "submitted" / student / assignment
    target.mkdir(parents=True, exist_ok=True)
    nbformat.write(release, target / name)


def scores(course: Path, assignment: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(course)) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(assignment)}


BPTT_WRONG = {
    # the tanh derivative left out
    "rnn_step_backward": """def rnn_step_backward(dh, cache):
    da = dh
    return da @ cache.U, da @ cache.W, da.T @ cache.x, da.T @ cache.h_prev, da.sum(axis=0)""",
    # no gradient carried from h(t+1) to h(t): each step on its own
    "rnn_backward": """def rnn_backward(dh, caches):
    grads = [rnn_step_backward(dh[t], caches[t]) for t in range(dh.shape[0])]
    dx = np.stack([g[0] for g in grads])
    return dx, grads[0][1], sum(g[2] for g in grads), sum(g[3] for g in grads), sum(g[4] for g in grads)""",
    # the one-hot target never subtracted from dc
    "sequence_loss_backward": """def sequence_loss_backward(h, V, c, y):
    o = h @ V.T + c
    o = o - o.max(axis=-1, keepdims=True)
    p = np.exp(o) / np.exp(o).sum(axis=-1, keepdims=True)
    loss = float(-np.log(np.take_along_axis(p, y[..., None], axis=-1)).sum())
    do = p.copy()
    np.put_along_axis(do, y[..., None], np.take_along_axis(do, y[..., None], axis=-1) - 1, axis=-1)
    K, H = V.shape
    return loss, do @ V, do.reshape(-1, K).T @ h.reshape(-1, H), p.reshape(-1, K).sum(axis=0)""",
}

BPTT_ALTERNATIVE = {
    "rnn_step_backward": """def rnn_step_backward(dh, cache):
    x, h_prev, h, U, W = cache  # unpacked by position, float32 arithmetic
    da = (dh * (1 - h * h)).astype(np.float32)
    dU, dW = np.einsum("nh,nd->hd", da, x), np.einsum("nh,nk->hk", da, h_prev)
    return (da @ U).astype(float), (da @ W).astype(float), dU, dW, np.einsum("nh->h", da)""",
    "rnn_backward": """def rnn_backward(dh, caches):
    T = len(caches)
    x = np.stack([c.x for c in caches]); hs = np.stack([c.h for c in caches]); hp = np.stack([c.h_prev for c in caches])
    U, W = caches[0].U, caches[0].W
    da = np.zeros_like(hs); carry = np.zeros_like(hs[0])
    for t in range(T - 1, -1, -1):
        da[t] = (dh[t] + carry) * (1 - hs[t] ** 2)
        carry = da[t] @ W
    return da @ U, carry, np.einsum("tnh,tnd->hd", da, x), np.einsum("tnh,tnk->hk", da, hp), da.sum(axis=(0, 1))""",
}

LSTM_WRONG = {
    # the candidate squashed by σ instead of tanh
    "lstm_step_forward": """def lstm_step_forward(x, h_prev, c_prev, U, W, b):
    H = h_prev.shape[1]
    a = x @ U.T + h_prev @ W.T + b
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), sigmoid(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    c = f * c_prev + i * g
    return o * np.tanh(c), c, (x, h_prev, c_prev, i, f, g, o, c, U, W)""",
    # the carousel dropped: dc_prev is not multiplied by the forget gate
    "lstm_step_backward": """def lstm_step_backward(dh, dc, cache):
    x, h_prev, c_prev, i, f, g, o, c, U, W = cache
    tc = np.tanh(c)
    dc = dc + dh * o * (1 - tc**2)
    da_if = [dc * g * i * (1 - i), dc * c_prev * f * (1 - f)]
    da = np.concatenate(da_if + [dc * i * (1 - g**2), dh * tc * o * (1 - o)], axis=1)
    return da @ U, da @ W, dc, da.T @ x, da.T @ h_prev, da.sum(axis=0)""",
    # the cell state not carried: every step starts from c0
    "lstm_forward": """def lstm_forward(x, U, W, b, h0, c0):
    h, hs, caches = h0, [], []
    for t in range(x.shape[0]):
        h, _, cache = lstm_step_forward(x[t], h, c0, U, W, b)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs), caches""",
    # the cell-state gradient not passed back between steps
    "lstm_backward": """def lstm_backward(dh, caches):
    T = dh.shape[0]
    dx = [None] * T
    dh_next = np.zeros_like(dh[0])
    dU = dW = db = 0
    for t in reversed(range(T)):
        g = lstm_step_backward(dh[t] + dh_next, np.zeros_like(dh[0]), caches[t])
        dx[t], dh_next = g[0], g[1]
        dU, dW, db = dU + g[3], dW + g[4], db + g[5]
    return np.stack(dx), dh_next, g[2], dU, dW, db""",
}

LSTM_ALTERNATIVE = {
    "lstm_step_forward": """def lstm_step_forward(x, h_prev, c_prev, U, W, b):
    # one gate at a time, with its own slice of the weights
    H = h_prev.shape[1]
    gate = lambda k, f: f(x @ U[k * H : (k + 1) * H].T + h_prev @ W[k * H : (k + 1) * H].T + b[k * H : (k + 1) * H])
    i, f, g, o = gate(0, sigmoid), gate(1, sigmoid), gate(2, np.tanh), gate(3, sigmoid)
    c = f * c_prev + i * g
    return o * np.tanh(c), c, (x, h_prev, c_prev, i, f, g, o, c, U, W)""",
    "lstm_step_backward": """def lstm_step_backward(dh, dc, cache):
    x, h_prev, c_prev, i, f, g, o, c, U, W = cache
    tc = np.tanh(c)
    dct = dc + dh * o * (1 - tc * tc)
    da_i, da_f = dct * g * i * (1 - i), dct * c_prev * f * (1 - f)
    da_g, da_o = dct * i * (1 - g * g), dh * tc * o * (1 - o)
    da = np.hstack([da_i, da_f, da_g, da_o])
    dU, dW = np.einsum("ng,nd->gd", da, x), np.einsum("ng,nh->gh", da, h_prev)
    return da @ U, da @ W, dct * f, dU, dW, da.sum(0)""",
}

CASES = {
    "recurrence": {
        "points": {"rnn_step_forward": 2, "rnn_forward": 3, "sequence_loss": 2},
        "wrong": RECURRENCE_WRONG,
        "alternative": RECURRENCE_ALTERNATIVE,
        "feedback": {
            "rnn_step_forward": "rnn_step_forward: h is wrong",
            "rnn_forward": "rnn_forward: h is wrong from t=0",
            # the visible test catches the mean first; its message says what a term should be
            "sequence_loss": "each of the 6 terms is log 5",
        },
    },
    "lstm": {
        "points": {"lstm_step_forward": 2, "lstm_step_backward": 4, "lstm_forward": 2, "lstm_backward": 4},
        "wrong": LSTM_WRONG,
        "alternative": LSTM_ALTERNATIVE,
        "feedback": {
            "lstm_step_forward": "with zero weights c = f ⊙ c_prev",
            "lstm_step_backward": "dc_prev is wrong",
            "lstm_forward": "lstm_forward: h is wrong from t=1",
            "lstm_backward": "departs from t=",
        },
    },
    "bptt": {
        "points": {"rnn_step_backward": 3, "rnn_backward": 5, "sequence_loss_backward": 3},
        "wrong": BPTT_WRONG,
        "alternative": BPTT_ALTERNATIVE,
        "feedback": {
            "rnn_step_backward": "db is the sum of dh",
            # the visible test catches the missing carry first
            "rnn_backward": "the gradient must reach the first input through the recurrence",
            "sequence_loss_backward": "dc = softmax(o) − one_hot(y)",
        },
    },
}


def test_every_assignment_has_a_grading_case():
    assert sorted(CASES) == ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_submissions_are_graded_as_each_deserves(course, assignment):
    case = CASES[assignment]
    full = sum(case["points"].values())
    expected = {"instructor": full, "untouched": 0, "alternative": full}
    write_submission(course, assignment, "instructor", {}, solved=True)
    write_submission(course, assignment, "untouched", {}, solved=False)
    write_submission(course, assignment, "alternative", case["alternative"], solved=True)
    for function, wrong in case["wrong"].items():
        write_submission(course, assignment, f"wrong_{function}", {function: wrong}, solved=True)
        expected[f"wrong_{function}"] = full - case["points"][function]

    run_nbgrader(["autograde", assignment], course)
    run_nbgrader(["generate_feedback", assignment], course)
    assert scores(course, assignment) == expected

    for function, snippet in case["feedback"].items():
        page = course / "feedback" / f"wrong_{function}" / assignment / f"{assignment}.html"
        assert html.unescape(page.read_text()).count(snippet), f"{function}: feedback lacks {snippet!r}"
