"""On every one of hundreds of fresh draws, each check fails every mutant and passes every correct answer.

A check draws fresh random shapes and values on every call. A draw that misses
a path (every sequence of a batch with one valid position, so that the softmax
backward is zero; T = 1; saturated gates; no repeated token) can let a wrong
answer through, and a test that repeats the checks a few times would catch
that only sometimes. Here, per assignment and graded function, the hidden
test of the function's test cell (the code between ``### BEGIN HIDDEN TESTS``
and ``### END HIDDEN TESTS``) runs :data:`DRAWS` times under
``only(FLOAT64)`` and :data:`DRAWS` times under ``only(FLOAT32)``, in the
namespace in which the notebook's other cells have run (``run_cells``, as the
in-process grading test does), with the answer cell under test replaced:

- the instructor's solution passes every draw of every check;
- each correct alternative passes every draw of the checks of the functions it
  rewrites (the rest of its notebook is the instructor's, drawn above);
- each mutant fails every draw of its own function's check, in both
  precisions; except a mutant whose slip is float32 arithmetic passed off as
  float64 (it casts to ``np.float32`` where the instructor's code does not):
  with float32 inputs it is the instructor's computation, so it must fail
  every float64 draw and pass every float32 draw.

With 200 draws, a mistake caught in only 99% of draws slips through with
probability 1 − 0.99²⁰⁰ ≈ 87%, one caught in 98% with 98%. No nbgrader, and
each draw is one precision's pass of the check (no pass at scale).

Draw i of a precision is the same for every case of an assignment (the
checks' ``fresh_rng`` is seeded per draw from one random base seed per run,
printed on failure): the solution, each alternative and each mutant are
graded on the same 200 fresh inputs. Every comparison of every draw runs; the
central differences and torch autograd gradients of the reference forward,
which a float64 draw compares with and which depend on the draw's inputs
alone, are computed once per distinct input (a cache keyed on the inputs, the
upstream gradient and the forward with what it closes over), not once per
case: that is what keeps the correct cases' 200 full float64 draws fast.
"""

import contextlib
import io
import os
import sys
import time
import types

import nbformat
import numpy as np
import pytest
from grading_cases import CASES, alternatives, instructor_code, mutants
from test_grading_cases import ROOT, hidden_test, run_cells

from rnncore.grading import engine

DRAWS = 200
PRECISIONS = {"float64": engine.FLOAT64, "float32": engine.FLOAT32}
TABLE: dict[str, dict] = {}


def hidden_checks(assignment: str) -> dict[str, object]:
    """The compiled hidden test of each graded function's test cell, by function name."""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    checks = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            checks[meta["grade_id"].removeprefix("test_")] = compile(hidden_test(cell.source), meta["grade_id"], "exec")
    assert sorted(checks) == sorted(CASES[assignment]["points"])
    return checks


class Memo:
    """A pure function's results cached by :func:`fingerprint` of its arguments (unfingerprintable: computed)."""

    def __init__(self, function):
        self.function, self.results, self.computed, self.reused = function, {}, 0, 0

    def __call__(self, *args, **kwargs):
        try:
            key = fingerprint((args, kwargs))
        except TypeError:
            key = None
        if key is None or key not in self.results:
            self.computed += 1
            result = self.function(*args, **kwargs)
            if key is not None:
                self.results[key] = result
        else:
            self.reused += 1
            result = self.results[key]
        return {k: np.array(v, copy=True) for k, v in result.items()}

    def __str__(self) -> str:
        return f"{self.computed}+{self.reused}"


class SharedDraws:
    """Checks' random draws seeded per draw; central differences and torch autograd once per distinct input.

    While installed, ``fresh_rng()`` (without a seed) in the grading modules
    returns generators spawned from ``(base, precision, draw)``: draw ``i`` of a
    precision gives the same inputs whichever implementation is graded. The
    engine's ``numerical_gradients`` and rnncore's torch ``autograd`` are
    :class:`Memo` s in front of the real ones: their results depend on the
    reference forward, its inputs and the upstream gradient alone, never on
    the implementation graded.
    """

    def __init__(self, monkeypatch):
        import rnncore.torch_ref

        self.base = int.from_bytes(os.urandom(8), "little")
        self.draw: np.random.SeedSequence | None = None
        self._fresh_rng = engine.fresh_rng
        for name, module in list(sys.modules.items()):
            if name.startswith("rnncore.grading") and getattr(module, "fresh_rng", None) is self._fresh_rng:
                monkeypatch.setattr(module, "fresh_rng", self.fresh_rng)
        self.differences = Memo(engine.numerical_gradients)
        self.autograd = Memo(rnncore.torch_ref.autograd)
        monkeypatch.setattr(engine, "numerical_gradients", self.differences)
        monkeypatch.setattr(rnncore.torch_ref, "autograd", self.autograd)  # imported by the engine when it is used

    def fresh_rng(self, seed: int | None = None) -> np.random.Generator:
        if seed is not None or self.draw is None:
            return self._fresh_rng(seed)
        return np.random.default_rng(self.draw.spawn(1)[0])

    @contextlib.contextmanager
    def seeded(self, precision: int, draw: int):
        self.draw = np.random.SeedSequence([self.base, precision, draw])
        try:
            yield
        finally:
            self.draw = None


def fingerprint(value):
    """A hashable key equal for equal values; raises TypeError for what it cannot tell apart by value."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, np.generic | int | float | complex | str | bytes | bool | type(None)):
        return (type(value).__name__, value)
    if isinstance(value, tuple | list):
        return (type(value).__name__, tuple(fingerprint(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, fingerprint(v)) for k, v in value.items()))
    if isinstance(value, types.FunctionType):  # the same code closing over equal values
        cells = tuple(fingerprint(c.cell_contents) for c in value.__closure__ or ())
        return (
            "function",
            value.__module__,
            value.__qualname__,
            value.__code__,
            cells,
            fingerprint(value.__defaults__),
        )
    if isinstance(value, types.ModuleType | types.BuiltinFunctionType):
        return ("object", id(value))
    raise TypeError(f"no fingerprint for {type(value).__name__}")


def draw_errors(check, namespace: dict, chosen: engine.Precision, draws: SharedDraws) -> list[str]:
    """Run ``check`` :data:`DRAWS` times with ``chosen`` inputs only: the error of each draw ("" = passed)."""
    errors = []
    for i in range(DRAWS):
        try:
            with draws.seeded(int(chosen is engine.FLOAT32), i), engine.only(chosen), engine.warnings_ignored():
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(check, namespace)  # noqa: S102 - the notebook's own hidden test
            errors.append("")
        except Exception as err:  # nbgrader fails a cell on any error, not only assertions
            errors.append(f"{type(err).__name__}: {err}")
    return errors


def float32_by_construction(assignment: str, function: str, source: str) -> bool:
    """The slip is float32 arithmetic passed off as float64: the mutant casts to float32, the solution never does."""
    return "np.float32" in source and "np.float32" not in instructor_code(assignment, function)


COLUMNS = {  # heading: (key in TABLE's rows, width)
    "checks": ("checks", 7),
    "mutants": ("mutants", 9),
    "of them f32": ("float32", 12),
    "alternatives": ("alternatives", 13),
    "check runs": ("runs", 12),
    "slipped": ("slipped", 9),
    "differences": ("differences", 13),
    "autograd": ("autograd", 12),
    "seconds": ("seconds", 9),
}


def table_lines() -> list[str]:
    """:data:`TABLE` as text: per assignment, the cases drawn and what it took."""
    lines = [
        f"Grading draws: {DRAWS} per precision (float64, float32) per check and case, the same draws for every case;",
        "central differences and torch autograd of the references: computed + reused on a case's identical draw",
        f"{'assignment':<15}" + "".join(f"{h:>{w}}" for h, (_, w) in COLUMNS.items()),
    ]
    for assignment, row in sorted(TABLE.items()):
        cells = {k: f"{row[k]:.1f}" if k == "seconds" else str(row[k]) for k, _ in COLUMNS.values()}
        lines.append(f"{assignment:<15}" + "".join(f"{cells[k]:>{w}}" for k, w in COLUMNS.values()))
    total = {k: sum(r[k] for r in TABLE.values()) for k in ("runs", "slipped", "seconds")}
    lines.append(f"all: {total['runs']} check runs, {total['slipped']} slipped, {total['seconds']:.1f} s")
    return lines


@pytest.fixture(scope="module", autouse=True)
def draws_table(request):
    """Print :data:`TABLE` at the end of the session (in the terminal summary, also without ``-s``)."""

    class Summary:
        @staticmethod
        def pytest_terminal_summary(terminalreporter):
            if TABLE:
                terminalreporter.write_line("")
                for line in table_lines():
                    terminalreporter.write_line(line)

    plugins = request.config.pluginmanager
    if not plugins.has_plugin("grading-draws-table"):
        plugins.register(Summary(), "grading-draws-table")
    yield


# Two minutes of draws: the full suite's (make test), not the fast path's.
@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(CASES))
def test_every_draw_grades_every_case_right(assignment, monkeypatch):
    start = time.perf_counter()
    draws = SharedDraws(monkeypatch)
    checks = hidden_checks(assignment)
    problems, runs = [], 0

    def drawn(replace: dict[str, str], function: str) -> dict[str, list[str]]:
        nonlocal runs
        namespace = run_cells(assignment, replace, tests="none")[1]
        runs += 2 * DRAWS
        return {name: draw_errors(checks[function], namespace, chosen, draws) for name, chosen in PRECISIONS.items()}

    def passes_every_draw(what: str, replace: dict[str, str], function: str) -> None:
        for name, errors in drawn(replace, function).items():
            failed = [e for e in errors if e]
            if failed:
                problems.append(f"{what}: {function} failed {len(failed)} of {DRAWS} {name} draws: {failed[0]}")

    for function in checks:
        passes_every_draw("the instructor's solution", {}, function)
    for k, alternative in enumerate(alternatives(assignment), start=1):
        for function in alternative:
            passes_every_draw(f"correct alternative {k}", alternative, function)
    slipped = f32 = 0
    for k, (function, source) in enumerate(mutants(assignment), start=1):
        by_construction = float32_by_construction(assignment, function, source)
        f32 += by_construction
        for name, errors in drawn({function: source}, function).items():
            passed = errors.count("")
            if by_construction and name == "float32":
                if passed != DRAWS:
                    problems.append(
                        f"mutant {k} of {function} (float32 arithmetic, the instructor's computation with float32 "
                        f"inputs) failed {DRAWS - passed} of {DRAWS} float32 draws: {next(e for e in errors if e)}"
                    )
            elif passed:
                slipped += passed
                problems.append(f"mutant {k} of {function} passed {passed} of {DRAWS} {name} draws")
    TABLE[assignment] = {
        "checks": len(checks),
        "mutants": len(mutants(assignment)),
        "float32": f32,
        "alternatives": len(alternatives(assignment)),
        "runs": runs,
        "slipped": slipped,
        "seconds": time.perf_counter() - start,
        "differences": str(draws.differences),
        "autograd": str(draws.autograd),
    }
    assert not problems, f"draws seeded from base {draws.base}:\n" + "\n".join(problems)


def test_generators_keep_their_promises():
    """What the input generators guarantee on every draw, checked on many: the paths the mutants rely on."""
    from rnncore.grading import architectures, attention, gru, lstm

    rng = np.random.default_rng()
    pre_activations = []
    for _ in range(2000):
        s = engine.random_shapes(rng)
        assert s.T >= 2 and s.N >= 2 and len({s.T, s.N, s.D, s.H}) == 4
        mask = attention._random_mask(rng, s.T, s.N)
        valid = mask.sum(axis=0)
        assert valid.min() >= 1, "every sequence keeps a position"
        wide, short = np.flatnonzero(valid >= 2), np.flatnonzero(valid < s.T)
        assert any(w != v for w in wide for v in short), "one sequence keeps two positions, another loses one"
        y, _, bos = architectures._decoder_inputs(rng, s)
        y_in = architectures.teacher_forced_inputs(y, bos)
        assert y.shape[0] >= 3 and len(np.unique(y_in)) < y_in.size, "a token of y_in repeats"
        for inputs in (lstm._step_inputs(rng, s), gru._step_inputs(rng, s)):
            pre_activations.append(
                (inputs["x"] @ inputs["U"].T + inputs["h_prev"] @ inputs["W"].T + inputs["b"]).ravel()
            )
    a = np.concatenate(pre_activations)
    assert a.std() < 1.3 and np.mean(np.abs(a) > 4) < 1e-3, "gates of about unit-variance pre-activation, unsaturated"
