"""The corpus the isolated autograder is proven on, per assignment, in three suites.

* **mutants**: the instructor's solution, the untouched release, the
  instructor's answers with the visible tests emptied, every correct
  alternative (full marks) and every mutant of ``grading_cases`` (which loses
  exactly its function's points);
* **hostile**: submissions that do no work but attack the grader, or do their
  work by a forbidden route; each earns what its honest content earns;
* **faults**: the instructor's answers, with the assignment's last graded
  function broken in one way (a loop, a crash, a flood of output, a bad
  return, ...); each loses that function's points, or nothing when the
  function still returns the right answer, and gets the status it deserves.

A :class:`Submission` says what to change in the released notebook, the score
it deserves and the status the grader must record for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from grading_cases import CASES, alternatives, filled_release, instructor_code, mutants

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Submission:
    replace: dict[str, str]  # answer or test cell grade id -> new source
    score: float
    status: str = "graded"
    solved: bool = True  # start from the instructor's answers (else from the release)
    reshape: Callable | None = None  # a change to the notebook's cells themselves
    suite: str = "mutants"


def notebook(course: Path, assignment: str, submission: Submission):
    nb = filled_release(course, assignment, submission.replace, submission.solved)
    if submission.reshape is not None:
        submission.reshape(nb)
    return nb


def released_code(assignment: str, grade_id: str) -> str:
    nb = nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def full_marks(assignment: str) -> float:
    return float(sum(CASES[assignment]["points"].values()))


# --------------------------------------------------------------------------- suite 1: mutants and alternatives


def mutant_suite(assignment: str) -> dict[str, Submission]:
    points, full = CASES[assignment]["points"], full_marks(assignment)
    suite = {
        "instructor": Submission({}, full),
        "untouched": Submission({}, 0, solved=False),
        # the visible tests emptied: nbgrader restores them, and they still pass
        "emptied_tests": Submission({f"test_{fn}": "pass" for fn in points}, full),
    }
    for k, alternative in enumerate(alternatives(assignment), start=1):
        suite[f"alternative_{k}"] = Submission(alternative, full)
    for k, (function, source) in enumerate(mutants(assignment), start=1):
        suite[f"mutant_{k:02d}_{function}"] = Submission({function: source}, full - points[function])
    return suite


# --------------------------------------------------------------------------- suite 2: hostile

# Each is code put before the (unanswered) released first answer cell: no work, so 0 points.
ATTACKS = {
    "strips_asserts": """import ast
class NoAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
get_ipython().ast_transformers.append(NoAsserts())
""",
    "wraps_cells_in_try": """def wrap(lines):
    return ["try:\\n"] + ["    " + line for line in lines] + ["except BaseException:\\n    pass\\n"]
get_ipython().input_transformers_post.append(wrap)
""",
    "overrides_showtraceback": """import sys
get_ipython().showtraceback = lambda *a, **k: None
sys.excepthook = lambda *a: None
""",
    "patches_numpy": """np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.isfinite = lambda a, *r, **k: np.ones(np.shape(a), bool)
np.linalg.norm = lambda *a, **k: 0.0
""",
    "patches_the_grader": """from rnncore import grading
for name in dir(grading):
    if name.startswith("check_"):
        setattr(grading, name, lambda *a, **k: None)
import rnncore.grading.engine as engine
engine.compare = engine.compare_states = engine.compare_scalar = lambda *a, **k: None
""",
    "returns_lying_arrays": """class Liar(np.ndarray):
    def __eq__(self, other):
        return True
    __ne__ = lambda self, other: False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __array_ufunc__(self, *args, **kwargs):
        return np.zeros(())
    def __float__(self):
        return float("nan")
def liar(*args, **kwargs):
    return tuple(np.zeros(3).view(Liar) for _ in range(8))
for name in {functions}:
    globals()[name] = liar
""",
    "cheats_only_when_grading": """import os
if os.environ.get("NBGRADER_EXECUTION") or os.environ.get("NBGRADER_VALIDATING"):
    from rnncore import grading
    for name in {functions}:
        globals()[name] = getattr(grading, name + "_reference")
""",
    "reads_the_instructors_notebook": """import glob, json
paths = ["../../solutions/*/*.ipynb", "/work/*/solutions/*/*.ipynb", "/tmp/pytest-of-*/*/*/solutions/*/*.ipynb"]
for path in [found for pattern in paths for found in glob.glob(pattern)]:
    for cell in json.load(open(path))["cells"]:
        if cell["cell_type"] == "code":
            try:
                exec("".join(cell["source"]))
            except Exception:
                pass
""",
    "rewrites_the_gradebook": """import glob, sqlite3
paths = ["../../*.db", "/work/*/gradebook.db", "/tmp/pytest-of-*/*/*/gradebook.db", "/root/**/*.db"]
for path in [found for pattern in paths for found in glob.glob(pattern, recursive=True)]:
    db = sqlite3.connect(path)
    db.execute("update grade set manual_score = 99")
    db.commit()
""",
    "touches_the_global_rng": """np.random.seed(0)
np.random.default_rng = lambda *a, **k: np.random.Generator(np.random.PCG64(0))
np.random.standard_normal = lambda *a, **k: np.zeros(a[0] if a else ())
""",
    "forges_results_files": """import json, os
for k in range(1, 400):
    for name in (f"resp-{{k}}.json", "response.json"):
        try:
            with open(name, "w") as f:
                json.dump({{"status": "ok", "value": {{"n": None}}, "handle": 0}}, f)
        except OSError:
            pass
for fd in range(3, 20):
    try:
        os.write(fd, "".join(f"{{k}}\\n" for k in range(1, 400)).encode())
    except OSError:
        pass
""",
    "opens_a_network_socket": """import socket
for address in (("1.1.1.1", 80), ("127.0.0.1", 8888), ("pypi.org", 443)):
    socket.create_connection(address, timeout=2).sendall(b"answers?")
""",
    "calls_torch_autograd": """import torch
def autograd_backward(*args):
    return torch.autograd.grad(*args)
""",
    "calls_rnncore_reference": """import importlib
for name in {functions}:
    for module in ("rnn", "lstm", "gru", "leaky", "jacobians", "optim", "attention", "bidirectional", "seq2seq",
                   "grading", "grading.{assignment}"):
        try:
            found = importlib.import_module("rnncore." + module)
        except ImportError:
            continue
        for candidate in (name, name + "_reference"):
            if hasattr(found, candidate):
                globals()[name] = getattr(found, candidate)
""",
}


def _test_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _to_markdown(nb):
    for cell in _test_cells(nb):
        cell.cell_type = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _more_points(nb):
    for cell in _test_cells(nb):
        cell.metadata["nbgrader"]["points"] = 100
        cell.metadata["nbgrader"]["grade"] = False


def _without_tests(nb):
    nb.cells = [c for c in nb.cells if c not in _test_cells(nb)]


FINITE_DIFFERENCES = {
    # Assignment 2 by central differences of the handed-out step, not by backprop; rnn_backward honest (5 points).
    "bptt": (
        {
            "rnn_step_backward": """def central_differences(f, inputs):
    grads = []
    for name, value in inputs.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            moved = [dict(inputs, **{name: value.copy()}) for _ in range(2)]
            moved[0][name][index] += 1e-6
            moved[1][name][index] -= 1e-6
            grad[index] = (f(**moved[0]) - f(**moved[1])) / 2e-6
        grads.append(grad)
    return grads

def rnn_step_backward(dh, cache):
    b = (np.arctanh(cache.h) - cache.x @ cache.U.T - cache.h_prev @ cache.W.T)[0]
    inputs = {"x": cache.x, "h_prev": cache.h_prev, "U": cache.U, "W": cache.W, "b": b}
    return tuple(central_differences(lambda **kw: (rnn_step_forward(**kw)[0] * dh).sum(), inputs))""",
            "sequence_loss_backward": """def sequence_loss_backward(h, V, c, y):
    def loss(h, V, c):
        o = h @ V.T + c
        o = o - o.max(axis=-1, keepdims=True)
        return -(np.take_along_axis(o, y[..., None], -1)[..., 0] - np.log(np.exp(o).sum(-1))).sum()
    return (loss(h, V, c), *central_differences(loss, {"h": h, "V": V, "c": c}))""",
        },
        5,
    ),
}


def hostile_suite(assignment: str) -> dict[str, Submission]:
    functions = list(CASES[assignment]["points"])
    first = functions[0]
    stub = released_code(assignment, first)

    def attack(code: str) -> Submission:
        prefix = code.format(functions=functions, assignment=assignment)
        return Submission({first: prefix + "\n" + stub}, 0, solved=False, suite="hostile")

    suite = {name: attack(code) for name, code in ATTACKS.items()}
    # forged answers are caught and end the grading of the submission
    suite["forges_results_files"].status = "malformed"
    suite["edits_the_test_cells"] = Submission(
        {f"test_{fn}": "assert True" for fn in functions}, 0, solved=False, suite="hostile"
    )
    suite["turns_tests_into_markdown"] = Submission({}, 0, solved=False, reshape=_to_markdown, suite="hostile")
    suite["changes_test_metadata"] = Submission({}, 0, solved=False, reshape=_more_points, suite="hostile")
    suite["deletes_the_test_cells"] = Submission({}, 0, solved=False, reshape=_without_tests, suite="hostile")
    suite["does_not_parse"] = Submission(
        {first: stub.replace("):", ")", 1)}, 0, status="malformed", solved=False, suite="hostile"
    )
    if assignment in FINITE_DIFFERENCES:
        replace, score = FINITE_DIFFERENCES[assignment]
        suite["finite_differences"] = Submission(replace, score, suite="hostile")
    return suite


# --------------------------------------------------------------------------- suite 3: faults

MAPPED = """
def _mapped(value, change):
    if isinstance(value, tuple | list):
        return type(value)(_mapped(v, change) for v in value)
    if isinstance(value, dict):
        return {k: _mapped(v, change) for k, v in value.items()}
    if isinstance(value, np.ndarray | np.generic | float):
        return change(np.asarray(value, dtype=np.float64))
    return value
"""

# Body of a wrapper around the honest function; (body, loses its points, status).
FAULTS = {
    "loops_forever": ("while True:\n        pass", True, "timed out"),
    "sleeps_past_the_limit": ("import time\n    time.sleep(3600)", True, "timed out"),
    # asks for 64 GiB: the address-space limit refuses it at once
    "memory_bomb": ("hoard = [np.empty(2**30) for _ in range(8)]\n    return hoard", True, "graded"),
    "sys_exit": ("import sys\n    sys.exit(1)", True, "graded"),
    "os_exit": ("import os\n    os._exit(0)", True, "crashed"),
    "segfault": ("import ctypes\n    return ctypes.string_at(0)", True, "crashed"),
    "fork_bomb": ("import os\n    while True:\n        os.fork()", True, "graded"),
    "returns_nan": ("return _mapped(honest(*args), lambda a: np.full(a.shape, np.nan))", True, "graded"),
    "returns_inf": ("return _mapped(honest(*args), lambda a: np.full(a.shape, np.inf))", True, "graded"),
    "returns_wrong_shapes": ("return _mapped(honest(*args), lambda a: np.zeros(a.size + 1))", True, "graded"),
    "returns_float16": ("return _mapped(honest(*args), lambda a: a.astype(np.float16))", True, "graded"),
    # floods of output that the grader must drop, from a function that is right
    "prints_ten_million_lines": (
        "print('line\\n' * 10**7)\n    import os\n    os.write(1, b'x\\n' * 10**7)\n    return honest(*args)",
        False,
        "graded",
    ),
    "prints_one_100MB_line": ("print('x' * 10**8)\n    return honest(*args)", False, "graded"),
}


def fault_suite(assignment: str) -> dict[str, Submission]:
    points, full = CASES[assignment]["points"], full_marks(assignment)
    last = list(points)[-1]
    honest = instructor_code(assignment, last)
    suite = {}
    for name, (body, loses, status) in FAULTS.items():
        wrapper = f"{honest}\n\nhonest = {last}\n{MAPPED}\n\ndef {last}(*args):\n    {body}\n"
        suite[name] = Submission({last: wrapper}, full - points[last] * loses, status=status, suite="faults")
    # a loop at the top level of the cell: the cell never finishes, so the function is never defined
    suite["loops_forever_at_top_level"] = Submission(
        {last: "while True:\n    pass\n\n" + honest}, full - points[last], status="timed out", suite="faults"
    )
    return suite


def corpus(assignment: str) -> dict[str, Submission]:
    return {**mutant_suite(assignment), **hostile_suite(assignment), **fault_suite(assignment)}
