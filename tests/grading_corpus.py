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

import contextlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from grading_cases import CASES, alternatives, filled_release, instructor_code, mutants, solution_code

from autograder.nbgrader_cells import grade_id as cell_grade_id

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
    return next(c.source for c in nb.cells if cell_grade_id(c) == grade_id)


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


# Backward passes by numerical differentiation of the student's own forward, not by backprop.
# Each scheme gives the derivative along one coordinate, ``along(delta)`` being the function there.
DIFFERENCE_SCHEMES = {
    "two_point": """def derivative(along):
    return (along(1e-6) - along(-1e-6)) / 2e-6""",
    # two central differences combined by Richardson extrapolation: error O(h^4)
    "four_point_richardson": """def derivative(along):
    def central(h):
        return (along(h) - along(-h)) / (2 * h)
    return (4 * central(5e-4) - central(1e-3)) / 3""",
    # four central differences, three rounds of Richardson extrapolation: error O(h^8)
    "eight_point_richardson": """def derivative(along):
    row = [(along(h) - along(-h)) / (2 * h) for h in (1e-2, 5e-3, 2.5e-3, 1.25e-3)]
    for k in (1, 2, 3):
        row = [(4**k * fine - coarse) / (4**k - 1) for coarse, fine in zip(row, row[1:])]
    return row[0]""",
    # the complex step: exact to rounding, as the forward is analytic
    "complex_step": """def derivative(along):
    return along(1e-30j).imag / 1e-30""",
}

NUMERICAL_BACKWARD = """
def numerical_gradients(f, inputs):
    grads = []
    for name, value in inputs.items():
        grad = np.zeros(value.shape)
        for index in np.ndindex(value.shape):
            def along(delta):
                moved = dict(inputs)
                moved[name] = value.astype(complex)
                moved[name][index] += delta
                return np.real_if_close(f(**moved)) if isinstance(delta, float) else f(**moved)
            grad[index] = np.real(derivative(along))
        grads.append(grad)
    return grads


def rnn_step_backward(dh, cache):
    b = (np.arctanh(cache.h) - cache.x @ cache.U.T - cache.h_prev @ cache.W.T)[0]
    inputs = {"x": cache.x, "h_prev": cache.h_prev, "U": cache.U, "W": cache.W, "b": b}
    def step(x, h_prev, U, W, b):
        return (np.tanh(x @ U.T + h_prev @ W.T + b) * dh).sum()
    return tuple(numerical_gradients(step, inputs))


def sequence_loss_backward(h, V, c, y):
    def loss(h, V, c):
        o = h @ V.T + c
        return -(np.take_along_axis(o, y[..., None], -1)[..., 0] - np.log(np.exp(o).sum(-1))).sum()
    return (float(np.real(loss(h, V, c))), *numerical_gradients(loss, {"h": h, "V": V, "c": c}))
"""


# The backward's work done ahead of time in the step forward, which the check of rnn_step_backward calls:
# Jacobians by complex steps along one column for every row at once (rows and units are independent),
# 2(D + H) + 1 passes, left in a side table for a backward that only contracts them with dh. Only on a
# large batch (the check's pass at scale), so that rnn_backward, which calls this forward, stays honest.
JACOBIANS_IN_THE_FORWARD = """from rnncore.rnn import rnn_step_forward as _given_forward

_SIDE = {}

def _step(x, h_prev, U, W, b):
    return np.tanh(x @ U.T + h_prev @ W.T + b)

def _jacobians(x, h_prev, U, W, b):
    x, h_prev, U, W, b = (np.asarray(a, dtype=complex) for a in (x, h_prev, U, W, b))
    def along(name, k):
        args = {"x": x, "h_prev": h_prev, "U": U, "W": W, "b": b}
        args[name] = args[name].copy()
        args[name][..., k] += 1e-30j
        return _step(**args).imag / 1e-30
    jac = {name: np.stack([along(name, k) for k in range(a.shape[-1])])
           for name, a in (("x", x), ("h_prev", h_prev), ("U", U), ("W", W))}
    jac["b"] = _step(x, h_prev, U, W, b + 1e-30j).imag / 1e-30
    return jac

def rnn_step_forward(x, h_prev, U, W, b):
    h, cache = _given_forward(x, h_prev, U, W, b)
    _SIDE[id(cache)] = _jacobians(x, h_prev, U, W, b) if x.shape[0] >= 128 else None
    return h, cache

def rnn_step_backward(dh, cache):
    jac = _SIDE.get(id(cache))
    if jac is None:
        da = dh * (1 - cache.h**2)
        return da @ cache.U, da @ cache.W, da.T @ cache.x, da.T @ cache.h_prev, da.sum(axis=0)
    return (np.einsum("nj,knj->nk", dh, jac["x"]), np.einsum("nj,knj->nk", dh, jac["h_prev"]),
            np.einsum("ni,kni->ik", dh, jac["U"]), np.einsum("ni,kni->ik", dh, jac["W"]),
            np.einsum("ni,ni->i", dh, jac["b"]))
"""


def numerical_differentiation(scheme: str) -> dict[str, str]:
    """Assignment 2 with both backward passes by numerical differentiation; rnn_backward honest (5 points)."""
    code = DIFFERENCE_SCHEMES[scheme] + "\n" + NUMERICAL_BACKWARD
    return {"rnn_step_backward": code, "sequence_loss_backward": "# defined with rnn_step_backward"}


# --------------------------------------------------------------------------- order, captured references, flags

SUBSTITUTION = re.compile(r"grading\.substitute\(globals\(\), (\w+)=")


def substitutions(assignment: str) -> list[tuple[str, str]]:
    """``(graded function, function its hidden test substitutes a reference for)``, from the instructor's notebook."""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    pairs = []
    for cell in nb.cells:
        name = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if name.startswith("test_"):
            pairs += [(name.removeprefix("test_"), victim) for victim in SUBSTITUTION.findall(cell.source)]
    return pairs


# No implementation: calls a reference that a check substituted, found in the sandbox's packages or
# saved in STOLEN by the accomplice below while its own check ran.
THIEF = """STOLEN = globals().setdefault("STOLEN", {{}})

def {victim}(*args):
    import importlib, pkgutil
    if "{victim}" in STOLEN:
        return STOLEN["{victim}"](*args)
    for k in range(1, 20):
        try:
            package = importlib.import_module(f"reference_{{k}}")
        except ImportError:
            break
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for name in ("{victim}", "{victim}_reference"):
                if callable(getattr(module, name, None)):
                    return getattr(module, name)(*args)
    raise NotImplementedError
"""

# Honest, but keeps what it finds under the victim's name while it is graded: the substituted reference.
ACCOMPLICE = """{honest}

_honest_{function} = {function}

def {function}(*args):
    globals().setdefault("STOLEN", {{}})["{victim}"] = globals()["{victim}"]
    return _honest_{function}(*args)
"""


def cell_named(nb, name: str):
    return next(c for c in nb.cells if cell_grade_id(c) == name)


def moved_to_the_end(name: str) -> Callable:
    def reshape(nb):
        cell = cell_named(nb, name)
        nb.cells.remove(cell)
        nb.cells.append(cell)

    return reshape


def deleted(name: str) -> Callable:
    def reshape(nb):
        nb.cells.remove(cell_named(nb, name))

    return reshape


def _test_deleted_and_answer_moved_to_the_end(victim: str) -> Callable:
    """nbgrader puts a deleted test cell back after its answer cell: here, at the end."""

    def reshape(nb):
        deleted(f"test_{victim}")(nb)
        moved_to_the_end(victim)(nb)

    return reshape


def flagged(name: str, **flags) -> Callable:
    def reshape(nb):
        cell_named(nb, name).metadata["nbgrader"].update(flags)

    return reshape


def honest_score(assignment: str, replace: dict[str, str]) -> float:
    """What the instructor's notebook with ``replace``d answers earns as the isolated grader grades it.

    In process and in the release's order: the answer cells run, and each test
    cell's hidden tests alone decide its points (its visible part is the
    student's own check).
    """
    from test_grading_cases import hidden_test

    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    points, namespace, score = CASES[assignment]["points"], {}, 0.0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if cell.cell_type != "code" or meta is None:
            continue
        graded = bool(meta.get("grade"))
        source = hidden_test(cell.source) if graded else replace.get(meta["grade_id"], solution_code(cell.source))
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(source, meta["grade_id"], "exec"), namespace)  # noqa: S102 - the notebook's own code
        except Exception:  # noqa: BLE001 - a failing test, or an answer cell that raises, as in a kernel
            continue
        if graded:
            score += points[meta["grade_id"].removeprefix("test_")]
    return score


def order_attacks(assignment: str) -> dict[str, Submission]:
    """Each substituted reference, captured by a moved, or deleted and restored, test of the function it stands for.

    The thief earns nothing when checks run in the release's order, each in a fresh sandbox: it earns
    what the notebook earns with the victim left unanswered.
    """
    suite = {}
    for function, victim in substitutions(assignment):
        replace = {
            victim: THIEF.format(victim=victim),
            function: ACCOMPLICE.format(honest=instructor_code(assignment, function), function=function, victim=victim),
        }
        score = honest_score(assignment, {victim: released_code(assignment, victim)})
        for how, reshape in (
            ("moves_the_test_of", moved_to_the_end(f"test_{victim}")),
            ("deletes_the_test_and_moves", _test_deleted_and_answer_moved_to_the_end(victim)),
        ):
            suite[f"{how}_{victim}"] = Submission(replace, score, reshape=reshape, suite="hostile")
    return suite


# In an answer cell the student flags as locked: imports of rnncore's implementations and the grader's
# references, which a grader reading handouts from the submission's locked cells would hand out.
LOCKED_IMPORTS = """import importlib
for _module in ("rnn", "lstm", "gru", "leaky", "jacobians", "optim", "attention", "bidirectional", "seq2seq",
                "grading.recurrence", "grading.bptt", "grading.long_term", "grading.lstm", "grading.gru",
                "grading.architectures", "grading.attention"):
    try:
        _found = importlib.import_module("rnncore." + _module)
    except ImportError:
        continue
    for _name in {functions}:
        for _candidate in (_name, _name + "_reference"):
            if callable(getattr(_found, _candidate, None)):
                globals()[_name] = getattr(_found, _candidate)
import rnncore.rnn, rnncore.lstm, rnncore.gru, rnncore.attention, rnncore.bidirectional, rnncore.seq2seq
import rnncore.grading.bptt, rnncore.grading.lstm, rnncore.grading.gru, rnncore.grading.attention
"""


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
    # a syntax error is the student's mistake, reported as such, not tampering
    suite["does_not_parse"] = Submission({first: stub.replace("):", ")", 1)}, 0, solved=False, suite="hostile")
    if assignment == "bptt":
        for scheme in DIFFERENCE_SCHEMES:
            suite[f"numerical_{scheme}"] = Submission(numerical_differentiation(scheme), 5, suite="hostile")
        suite["jacobians_in_the_forward"] = Submission(
            {"rnn_step_backward": JACOBIANS_IN_THE_FORWARD}, 8, suite="hostile"
        )
    suite.update(order_attacks(assignment))
    suite["locks_its_answer_cell"] = Submission(
        {first: LOCKED_IMPORTS.format(functions=functions)},
        honest_score(assignment, {first: stub}),
        solved=True,
        reshape=flagged(first, locked=True),
        suite="hostile",
    )
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


def _planted(a, value):
    a = a.copy()
    if a.size:
        a.flat[a.size // 2] = value
    return a
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
    # right everywhere but one entry, so large that the norms of a naive relative error overflow to NaN
    "plants_one_huge_entry": ("return _mapped(honest(*args), lambda a: _planted(a, 1e200))", True, "graded"),
    "plants_one_huge_negative_entry": ("return _mapped(honest(*args), lambda a: _planted(a, -1e300))", True, "graded"),
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
    if assignment == "bptt":
        # an honest mistake, not tampering: the given forward redefined to return h alone. Only the check
        # that uses it (rnn_backward) fails, with a message; the submission stays graded.
        wrong_forward = (
            "\n\n_given_rnn_forward = rnn_forward\n\ndef rnn_forward(*args):\n    return _given_rnn_forward(*args)[0]\n"
        )
        suite["redefines_a_given_forward_wrongly"] = Submission(
            {"rnn_step_backward": instructor_code(assignment, "rnn_step_backward") + wrong_forward},
            full - points["rnn_backward"],
            suite="faults",
        )
    # a loop at the top level of the cell: the cell never finishes, so the function is never defined
    suite["loops_forever_at_top_level"] = Submission(
        {last: "while True:\n    pass\n\n" + honest}, full - points[last], status="timed out", suite="faults"
    )
    return suite


def corpus(assignment: str) -> dict[str, Submission]:
    return {**mutant_suite(assignment), **hostile_suite(assignment), **fault_suite(assignment)}
