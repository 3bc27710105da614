"""The grading engine: fresh inputs, calling student code safely, comparing three ways.

The checks of each assignment (``rnncore.grading.<assignment>``) are built
from these pieces. A backward pass is compared with rnncore's backward, with
central differences of rnncore's forward in float64, and with torch autograd
of rnncore's torch twin. A failure names the gradient, its relative error and
the tolerance, and for sequences the first time step (going backward) and the
gate where it departs; for an input's gradient, which path is wrong (the
gradient reaching the pre-activations or gates, or its last product back to the
input). Comparisons fail on NaN and cannot overflow. Messages never print hidden
inputs or reference values, nor internal class names.
"""

from __future__ import annotations

import contextvars
import functools
import importlib.util
import os
import signal
import textwrap
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from rnncore.gradcheck import contract, first_departure, numerical_gradients, relative_error

DIFFERENCES_TOL = 1e-5  # central differences of a float64 forward are only about this accurate
DIFFERENCES_STEP = 1e-6  # their step ε
ROUNDING_SIZED = 1e-5  # a float64 result off by less than this has lost precision, not made a mistake
GATE_NAMES = {4: ("input", "forget", "candidate", "output"), 3: ("reset", "update", "candidate")}


class GradingError(AssertionError):
    """A check failed; the message is what the student sees."""

    # nbgrader's Validate cuts every line of an error at 87 characters, after a 4-space indent.
    SHOWN_WIDTH = 80

    def _render_traceback_(self) -> list[str]:
        """What IPython shows for this error (in the notebook, and in Validate): the message, wrapped.

        The frames of the grader's internals say nothing to a student, and
        Validate would cut the one line that matters; IPython calls this method
        instead of formatting a traceback when an exception defines it.
        """
        text = f"{type(self).__name__}: {self}"
        return [line for paragraph in text.splitlines() for line in textwrap.wrap(paragraph, self.SHOWN_WIDTH) or [""]]


# --------------------------------------------------------------------------- runners
#
# A check calls the student's function. In a notebook that is a plain Python
# function; when autograding it is a proxy for code that runs elsewhere (the
# sandbox of ``autograder/``). Such a runner raises these, and marks the values
# it holds with RunnerValue; the checks know nothing else about it.


class StudentCodeError(Exception):
    """The student's code raised where a runner ran it; the message is "TypeName: text"."""


class RunnerDied(RuntimeError):
    """The process running the student's code ended or stopped answering; ``status`` says how.

    "timed out", "crashed", "malformed" (see :class:`MalformedAnswer`), or "too slow"
    when one call missed the check's own time limit (:func:`call_time_limit`).
    """

    def __init__(self, status: str, detail: str):
        super().__init__(f"{status}: {detail}")
        self.status, self.detail = status, detail


class MalformedAnswer(RunnerDied):
    """An answer not of the runner's format (forged by the student's code, or broken): the runner is done."""

    def __init__(self, detail: str):
        super().__init__("malformed", detail)


class RunnerValue:
    """Mixed into what a runner returns: ``remote`` says where the runner keeps the original.

    A check passes such a value back to the student's next function (a cache
    from forward to backward) as it is, so that the runner sends the original.
    ``remote`` is None for a value derived from it here (a slice), which goes by value.
    """

    remote: tuple | None = None


def _held_by_runner(value) -> bool:
    return isinstance(value, RunnerValue) and value.remote is not None


@dataclass(frozen=True)
class Shapes:
    T: int
    N: int
    D: int
    H: int


@dataclass(frozen=True)
class Precision:
    """How closely a student's results must match rnncore's when the inputs have ``dtype``.

    ``forward`` and ``backward`` are relative errors (``‖ref − got‖ / (‖ref‖ + ‖got‖)``);
    differences below ``floor`` everywhere never fail. With float64 inputs a
    correct implementation, whatever its order of loops and sums, agrees with
    rnncore to within 4e-15 (measured over every correct alternative of every
    assignment), so a float64 tolerance of 1e-12 fails float32 arithmetic passed
    off as float64 (relative error about 1e-8) and gradients by central
    differences instead of backpropagation (1e-11 at the best step size, 1e-10
    at the usual 1e-6).
    """

    dtype: type
    forward: float
    backward: float
    floor: float


FLOAT64 = Precision(np.float64, forward=1e-12, backward=1e-12, floor=1e-13)
FLOAT32 = Precision(np.float32, forward=1e-4, backward=1e-3, floor=1e-5)
_PRECISION: contextvars.ContextVar[Precision] = contextvars.ContextVar("grading_precision", default=FLOAT64)


def precision() -> Precision:
    """The precision of the check running now: the inputs' dtype and its tolerances."""
    return _PRECISION.get()


@contextmanager
def inputs_in(chosen: Precision):
    """Run checks with the student's inputs cast to ``chosen.dtype``, held to its tolerances."""
    token = _PRECISION.set(chosen)
    try:
        yield
    except GradingError as err:
        if chosen is FLOAT64:
            raise
        raise GradingError(f"with {np.dtype(chosen.dtype).name} inputs, {err}") from None
    finally:
        _PRECISION.reset(token)


_ONLY: contextvars.ContextVar[Precision | None] = contextvars.ContextVar("grading_only", default=None)
_AT_SCALE: contextvars.ContextVar[Shapes | None] = contextvars.ContextVar("grading_at_scale", default=None)

# Shapes on which a backward pass by backpropagation takes milliseconds, but differentiating the forward
# numerically needs 10^5 forward passes or more (two per input entry, more for higher orders), each
# costing a millisecond or more: about a minute at the least, against BACKPROP_SECONDS.
# Rows of a batch are independent, so complex steps along one column of an input for every row at once
# (2(D + H) passes for a step) are the cheapest numerical route there: 14 s at WIDE on this 2-core machine,
# where a correct LSTM step backward written one example at a time takes 0.17 s. Inner widths that no
# trick separates (a loss's vocabulary, attention's units) are wide at scale too (:func:`width`).
WIDE = Shapes(T=4, N=256, D=192, H=256)  # one step, a loss or attention
LONG = Shapes(T=12, N=32, D=96, H=128)  # a recurrence: W mixes the units, so every weight needs its own pass
# What any one call of the student's may take at scale (correct code: under 0.3 s): CPU seconds when the call
# runs in a grading sandbox, which a machine busy with other gradings cannot stretch; wall seconds in process.
BACKPROP_SECONDS = 2.0


def at_scale() -> bool:
    """Whether the check running now is the pass at scale, which times the student's backward."""
    return _AT_SCALE.get() is not None


@contextmanager
def only(chosen: Precision):
    """Checks run only with ``chosen`` inputs and not at scale: one draw of one precision per call.

    For the statistical tests of the checks' input generators, which repeat
    each check hundreds of times per precision.
    """
    token = _ONLY.set(chosen)
    try:
        yield
    finally:
        _ONLY.reset(token)


@contextmanager
def _scaled(shapes: Shapes):
    token = _AT_SCALE.set(shapes)
    try:
        with inputs_in(FLOAT64):
            yield
    except GradingError as err:
        raise GradingError(f"on large inputs ({_describe(shapes)}), {err}") from None
    finally:
        _AT_SCALE.reset(token)


def in_both_precisions(check: Callable | None = None, *, scale: Shapes | None = None) -> Callable:
    """A check run twice: with float64 inputs at float64 tolerances, then with float32 inputs.

    The second run grades code that must work in the inputs' precision (as
    numpy code does unless told otherwise) against rnncore in float64, at
    float32 tolerances; it does not repeat the comparisons with finite
    differences and torch.

    With ``scale`` (for a check of a backward pass: :data:`WIDE` or
    :data:`LONG`) it runs a third time, in float64 on inputs of those shapes,
    compared with rnncore's backward only, and every call of the student's
    functions must return within :data:`BACKPROP_SECONDS`:
    backpropagation does, while numerical differentiation of the forward, of
    any order, needs 10^5 forward passes or more there.
    """
    if check is None:
        return functools.partial(in_both_precisions, scale=scale)

    @functools.wraps(check)
    def both(*args, **kwargs):
        chosen_only = _ONLY.get()
        for chosen in (FLOAT64, FLOAT32):
            if chosen_only is None or chosen is chosen_only:
                with inputs_in(chosen):
                    check(*args, **kwargs)
        if scale is not None and chosen_only is None:
            with _scaled(scale):
                check(*args, **kwargs)

    return both


def _rounding_hint(err: float) -> str:
    if precision() is FLOAT64 and err < ROUNDING_SIZED:
        return (
            "; an error this small is lost precision, not a wrong formula: compute in the inputs' dtype "
            "(float64 here, not float32), and gradients by backpropagation, not by finite differences"
        )
    return ""


@contextmanager
def substitute(namespace: dict, **functions: Callable):
    """Temporarily replace names in a notebook's namespace (``globals()``) with reference functions.

    A function graded on its own must not lose points for a mistake in another
    function it calls: the test cell of ``rnn_forward`` runs it with rnncore's
    ``rnn_step_forward`` in place of the student's.
    """
    missing = object()
    saved = {name: namespace.get(name, missing) for name in functions}
    namespace.update(functions)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


# Set while the grader runs one submission's check (:func:`seeded_draws`): where its draws come from.
_DRAWS: contextvars.ContextVar[np.random.SeedSequence | None] = contextvars.ContextVar("grading_draws", default=None)


@contextmanager
def seeded_draws(entropy: int):
    """Within the block, :func:`fresh_rng` draws from one sequence seeded with ``entropy``.

    The autograder seeds each submission's check from a secret of the course's
    gradebook and the submission's content, so the draws stay unpredictable to
    a student, yet the same notebook gets the same draws, and so the same
    feedback, wherever and in whatever order it is graded (one core, many, a
    cluster) and when it is graded again.
    """
    token = _DRAWS.set(np.random.SeedSequence(entropy))
    try:
        yield
    finally:
        _DRAWS.reset(token)


def fresh_rng(seed: int | None = None) -> np.random.Generator:
    """A generator independent of ``np.random``'s global state; unpredictable unless ``seed`` is given.

    Inside :func:`seeded_draws`, each call takes the next generator of that block's sequence.
    """
    if seed is not None:
        return np.random.default_rng(seed)
    draws = _DRAWS.get()
    if draws is not None:
        return np.random.default_rng(draws.spawn(1)[0])
    return np.random.default_rng(int.from_bytes(os.urandom(8), "little"))


def _describe(s: Shapes) -> str:
    return f"T={s.T}, N={s.N}, D={s.D}, H={s.H}"


def width(rng: np.random.Generator, low: int, high: int, at_scale_width: int) -> int:
    """A small random width in ``[low, high)``, or ``at_scale_width`` in the pass at scale."""
    return at_scale_width if at_scale() else int(rng.integers(low, high))


def random_shapes(rng: np.random.Generator, max_T: int = 6) -> Shapes:
    """Small random shapes with T, N, D and H all different, so a transposed array is a shape error.

    In the pass at scale (:func:`at_scale`), the shapes of that pass.
    """
    if at_scale():
        return _AT_SCALE.get()
    T = int(rng.integers(2, max_T + 1))
    N = int(rng.choice([n for n in range(2, 5) if n != T]))
    D, H = (int(v) for v in rng.choice([v for v in range(2, 9) if v not in (T, N)], size=2, replace=False))
    return Shapes(T, N, D, H)


def _copied(value, dtype=np.float64):
    """Arrays copied, also inside tuples, lists and dicts (caches), so student code cannot change ours.

    Float64 arrays become ``dtype`` (the precision the check runs in).
    """
    if _held_by_runner(value):
        return value  # a value the student returned where a runner keeps it: it goes back by reference
    if isinstance(value, np.ndarray):
        return value.astype(dtype) if value.dtype == np.float64 else value.copy()
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_copied(v, dtype) for v in value))
    if isinstance(value, tuple | list):
        return type(value)(_copied(v, dtype) for v in value)
    if isinstance(value, dict):
        return {k: _copied(v, dtype) for k, v in value.items()}
    return value


@contextmanager
def warnings_ignored():
    """Silence warnings (numpy's floating-point ones included) inside a test cell.

    nbgrader gives a test cell 0 points if anything reaches stderr, and correct
    code may well warn (an overflow in ``exp``, say), so every graded cell runs
    its tests inside this.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


class _TooSlow(BaseException):
    """Raised in the student's code by the alarm of :func:`_alarm` (a BaseException: ``except Exception`` misses it)."""


@contextmanager
def _alarm(seconds: float | None):
    """Interrupt the code in the block after ``seconds`` (main thread only; elsewhere the time is checked after)."""
    usable = seconds is not None and hasattr(signal, "setitimer")
    usable = usable and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def ring(signum, frame):
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_CALL_LIMIT: contextvars.ContextVar[float | None] = contextvars.ContextVar("grading_call_limit", default=None)


def call_time_limit() -> float | None:
    """Seconds the student's call under way may take, or None; a sandboxed call enforces it itself."""
    return _CALL_LIMIT.get()


def _too_slow(name: str) -> GradingError:
    return GradingError(
        f"{name} took more than {BACKPROP_SECONDS:g} s, where the chain rule takes milliseconds; "
        "differentiating numerically (in the backward, or ahead of time in the forward) needs thousands "
        "of forward passes or more on inputs this large: compute the gradients by backpropagation"
    )


def call_student(name: str, fn: Callable, *args, **kwargs):
    """Call student code with warnings captured and copies of the inputs (so mutation cannot hide).

    Float64 inputs arrive in the precision of the check (:func:`precision`).
    In the pass at scale every call must return within :data:`BACKPROP_SECONDS`: the forward's
    too, which could otherwise differentiate numerically ahead of time and leave its results in the cache.
    """
    dtype = precision().dtype
    args, kwargs = _copied(args, dtype), _copied(kwargs, dtype)
    limit = BACKPROP_SECONDS if at_scale() else None
    # a function run in the sandbox has the sandbox stop it; here an alarm interrupts it
    in_process = not getattr(fn, "enforces_time_limit", False)
    token = _CALL_LIMIT.set(limit)
    start = time.perf_counter()
    with warnings_ignored():
        try:
            with _alarm(limit if in_process else None):
                result = fn(*args, **kwargs)
        except _TooSlow:
            raise _too_slow(name) from None
        except NotImplementedError:
            raise GradingError(f"{name} is not implemented yet") from None
        except RunnerDied as died:
            if died.status == "too slow":
                raise _too_slow(name) from None
            raise  # the process running the student's code is gone: the runner's owner records how
        except StudentCodeError as err:  # already "TypeName: text"
            raise GradingError(f"{name} raised {err}") from None
        except Exception as err:  # the student's traceback would show hidden values; keep the type and text
            raise GradingError(f"{name} raised {type(err).__name__}: {err}") from None
        finally:
            _CALL_LIMIT.reset(token)
    # in process the limit is wall time (the student's own kernel); a sandbox has measured the call's CPU time
    if in_process and limit is not None and time.perf_counter() - start > limit:
        raise _too_slow(name)
    return result


def describe(value) -> str:
    """What a returned value is, in words a student knows: never an internal class name such as ``Opaque``."""
    if value is None:
        return "None"
    if isinstance(value, str | bytes):
        return "a string"
    if isinstance(value, tuple):
        return "a tuple"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a dict"
    if isinstance(value, np.ndarray):
        return (
            f"an array of shape {value.shape}" if value.dtype.kind in "biuf" else "an array that does not hold numbers"
        )
    return "a Python object that is not an array"


def as_array(name: str, what: str, value, shape: tuple[int, ...]) -> np.ndarray:
    """``value`` as a finite float64 array of ``shape``, or a :class:`GradingError` saying what it is instead."""
    if value is None:
        raise GradingError(f"{name} returned None for {what}; expected an array of shape {shape}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise GradingError(f"{name}: {what} is not a numeric array (got {describe(value)})") from None
    if arr.shape != shape:
        raise GradingError(f"{name}: {what} has shape {arr.shape}, expected {shape}")
    if not np.all(np.isfinite(arr)):
        raise GradingError(f"{name}: {what} contains NaN or infinite values")
    return arr


def named_gradients(name: str, returned, order: Sequence[str]) -> dict:
    """Gradients from what a student's backward returned: a named tuple, a dict, or a tuple in ``order``."""
    if hasattr(returned, "_asdict"):
        returned = returned._asdict()
    if isinstance(returned, Mapping):
        missing = [k for k in order if k not in returned]
        if missing:
            raise GradingError(f"{name} did not return {', '.join(missing)}")
        return {k: returned[k] for k in order}
    if isinstance(returned, tuple | list):
        if len(returned) != len(order):
            raise GradingError(f"{name} returned {len(returned)} values, expected {len(order)}: {', '.join(order)}")
        return dict(zip(order, returned, strict=True))
    raise GradingError(f"{name} must return the gradients {', '.join(order)}, got {describe(returned)}")


def largest_difference(ref: np.ndarray, got: np.ndarray) -> float:
    """``max |ref − got|``; ``inf`` where that overflows or either holds a NaN or infinity (never NaN)."""
    if not (np.all(np.isfinite(ref)) and np.all(np.isfinite(got))):
        return float("inf")
    with np.errstate(over="ignore"):  # 1e308 − (−1e308) overflows to inf: a large difference, as it should be
        return float(np.abs(ref - got).max(initial=0.0))


def agrees(ref: np.ndarray, got: np.ndarray, err: float, tol: float, floor: float | None = None) -> bool:
    """``err ≤ tol`` (``err`` the relative error), or ``|ref − got| ≤ floor`` everywhere.

    ``floor`` defaults to ``precision().floor``. Written so that a NaN anywhere
    fails: ``NaN ≤ tol`` is False, where ``NaN > tol`` would also be False.
    """
    return err <= tol or largest_difference(ref, got) <= (precision().floor if floor is None else floor)


def differences_noise(forward: Callable, inputs: Mapping, dout, eps: float = DIFFERENCES_STEP) -> float:
    """How far rounding alone can move one entry of central differences of ``s = Σ forward(**inputs) ⊙ dout``.

    Evaluating ``s`` rounds by about ``ε_m Σ|out ⊙ dout|``, and a difference
    quotient divides two such roundings by ``2ε``; with a margin for the
    rounding inside the forward, ``32 ε_m Σ|out ⊙ dout| / ε``. A small gradient
    of a large sum (``∂L/∂h(0)`` of a loss over many tokens) can have entries not
    far above it, so the comparison with finite differences forgives that much.
    """
    scale = contract(_magnitudes(forward(**inputs)), _magnitudes(dout))
    return 32 * float(np.finfo(np.float64).eps) * max(1.0, scale) / eps


def _magnitudes(value):
    if isinstance(value, tuple | list):
        return type(value)(_magnitudes(v) for v in value)
    return np.abs(np.asarray(value, dtype=np.float64))


def _wrong_gates(ref: np.ndarray, got: np.ndarray, tol: float, gates: int | None) -> list[str]:
    """The gates whose block of rows (``gates`` blocks stacked on axis 0) is wrong; [] unless some are right."""
    if not gates or ref.shape[0] % gates or ref.shape[0] == 0:
        return []
    size = ref.shape[0] // gates
    blocks = [(ref[k * size : (k + 1) * size], got[k * size : (k + 1) * size]) for k in range(gates)]
    wrong = [GATE_NAMES[gates][k] for k, (r, g) in enumerate(blocks) if not agrees(r, g, relative_error(r, g), tol)]
    return wrong if len(wrong) < gates else []


def _where(ref: np.ndarray, got: np.ndarray, tol: float, time_major: bool, gates: int | None) -> str:
    """Where a wrong gradient departs: the first time step going backward, and the gate block."""
    parts = []
    if time_major and ref.ndim >= 2 and ref.shape[0] > 1:
        t = first_departure(ref, got, tol, direction="backward")
        if t is not None:
            parts.append(f"it departs from t={t}, going backward in time from the last step, t={ref.shape[0] - 1}")
    wrong = _wrong_gates(ref, got, tol, gates)
    if wrong:
        parts.append(f"the {' and '.join(wrong)} gate rows are wrong, the others are right")
    return ("; " + "; ".join(parts)) if parts else ""


@dataclass(frozen=True)
class Path:
    """How the gradient of an input is computed, for the message when that input's gradient is wrong.

    ``reaches`` maps each weight that sees the same gradient as the input to what
    that gradient reaches (``{"U": "a(t)"}``): ``∇U = Σ ∇a(t) x(t)ᵀ`` is right
    exactly when ``∇a(t)`` is (for inputs in general position), so when ``dU``
    is right and ``dx`` is not, the mistake is in ``carried``, the last product
    ``dx = ∇a(t) U``; when ``dU`` is wrong in some gates' rows, those gates'
    gradient is wrong.
    """

    reaches: Mapping[str, str]
    carried: str


def _path_hint(
    key: str, path: Path, expected: Mapping, actual: Mapping, tol: float, gated: Mapping, prefix: str
) -> str:
    """Which part of the input ``key``'s gradient is wrong, judged by the weights on its :class:`Path`."""
    wrong = {}
    for weight in path.reaches:
        if weight not in expected or weight not in actual:
            return ""
        ref = np.asarray(expected[weight], dtype=np.float64)
        try:
            got = np.asarray(actual[weight], dtype=np.float64)
        except (TypeError, ValueError):
            return ""  # not an array: the weight's own comparison says so
        if got.shape != ref.shape:
            return ""
        if not agrees(ref, got, relative_error(ref, got), tol):
            wrong[weight] = _wrong_gates(ref, got, tol, gated.get(weight))
    if not wrong:
        names = " and ".join(prefix + w for w in path.reaches)
        reached = " and ".join(path.reaches.values())
        if len(path.reaches) == 1:
            so = f"{names} is right, so the gradient reaching {reached} is right: the mistake is in carrying it"
        else:
            so = f"{names} are right, so the gradients reaching {reached} are right: the mistake is in carrying them"
        return f"; {so} back to {key}, {path.carried}"
    weight, gates = next(iter(wrong.items()))
    if gates:
        s = "s" if len(gates) > 1 else ""
        return (
            f"; {prefix}{weight} is wrong in the {' and '.join(gates)} gate rows only: "
            f"the gradient reaching the {' and '.join(gates)} gate{s} is wrong"
        )
    return f"; {prefix}{weight} is wrong too, so the gradient reaching {path.reaches[weight]} is already wrong"


def _mean_hint(ref: np.ndarray, got: np.ndarray, mean_over: int | None) -> str:
    """A hint when ``got`` is ``ref / mean_over``: the gradient of a mean loss where the sum is asked for."""
    if mean_over and relative_error(ref / mean_over, got) <= 1e-4:
        return (
            f"; it is the right gradient divided by {mean_over}, the gradient of the mean: "
            "the loss is a sum over t and n"
        )
    return ""


def compare(
    name: str,
    expected: Mapping[str, np.ndarray],
    actual: Mapping[str, np.ndarray],
    tol: float,
    against: str,
    time_major: Sequence[str] = (),
    gated: Mapping[str, int] | None = None,
    prefix: str = "",
    paths: Mapping[str, Path] | None = None,
    mean_over: int | None = None,
    floor: float | None = None,
) -> None:
    """Raise a :class:`GradingError` naming the first quantity that differs from ``expected``.

    Differences below ``floor`` everywhere (default: the precision's) never fail.

    ``prefix`` turns an argument's name into its gradient's (``"d"``: ``W`` → ``dW``).
    The message says where it departs (``time_major``: the time step; ``gated``:
    the gate rows), for an input on one of ``paths`` which part of its gradient
    is wrong, and whether it is the gradient of the mean over ``mean_over`` terms.
    """
    gated, paths = gated or {}, paths or {}
    for key, ref in expected.items():
        ref = np.asarray(ref, dtype=np.float64)
        got = as_array(name, prefix + key, actual[key], ref.shape)
        err = relative_error(ref, got)
        if not agrees(ref, got, err, tol, floor):
            where = _mean_hint(ref, got, mean_over)  # when it says all, nothing else is needed
            if not where:
                where = _where(ref, got, tol, key in time_major, gated.get(key))
                if key in paths:
                    where += _path_hint(key, paths[key], expected, actual, tol, gated, prefix)
                where += _rounding_hint(err)
            error = f"relative error {err:.1e} against {against}, tolerance {tol:.0e}"
            raise GradingError(f"{name}: {prefix}{key} is wrong ({error}){where}")


def compare_states(name: str, expected: np.ndarray, actual, reading: str = "forward") -> None:
    """States over time ``(T, N, H)``: raise naming the first step in reading order where they depart.

    ``reading="backward"`` is for states computed from t=T-1 down to 0 (a
    right-to-left direction): the first wrong step is then the latest one.
    """
    actual = as_array(name, "h", actual, expected.shape)
    err, tol = relative_error(expected, actual), precision().forward
    if not agrees(expected, actual, err, tol):
        t = first_departure(expected, actual, tol, direction=reading)
        last = expected.shape[0] - 1
        since = "" if t is None else f" from t={t} {'on' if reading == 'forward' else 'down'}, of t = 0..{last}"
        raise GradingError(f"{name}: h is wrong{since} (relative error {err:.1e}){_rounding_hint(err)}")


def torch_comparison_enabled() -> bool:
    """Whether backward passes are also compared with torch autograd.

    ``RNN_GRADING_TORCH=1`` requires the comparison, ``0`` leaves it out; unset,
    it is made where torch is installed (the course's and the grader's
    environment) and left out where it is not (a student's light install,
    ``pip install '.[student]'``). It never changes a verdict: a gradient that
    matches rnncore's backward matches torch too, because rnncore's tests hold
    its backward to torch's on random shapes. What it costs is importing torch,
    about 1.5 s in every graded notebook.
    """
    setting = os.environ.get("RNN_GRADING_TORCH", "")
    if setting in ("0", "1"):
        return setting == "1"
    return importlib.util.find_spec("torch") is not None


def _torch_twin_grads(twin: Callable | None, inputs: Mapping, dout, wrt: Sequence[str]):
    if twin is None or not torch_comparison_enabled():
        return None
    try:
        from rnncore.torch_ref import autograd
    except ImportError:
        raise RuntimeError(
            "torch is not installed, so gradients cannot be compared with torch autograd: "
            "install the course environment, or unset RNN_GRADING_TORCH"
        ) from None
    return autograd(twin, inputs, dout, wrt=list(wrt))


def check_backward_three_ways(
    name: str,
    student_grads: Mapping[str, np.ndarray],
    reference_grads: Mapping[str, np.ndarray],
    reference_forward: Callable,
    inputs: Mapping[str, np.ndarray],
    dout,
    twin: Callable | None = None,
    time_major: Sequence[str] = (),
    gated: Mapping[str, int] | None = None,
    tol: float | None = None,
    *,
    paths: Mapping[str, Path] | None = None,
    mean_over: int | None = None,
) -> None:
    """Student gradients against rnncore's backward, central differences and torch autograd, in that order.

    ``tol`` defaults to the backward tolerance of the check's precision; with
    float32 inputs only rnncore's backward is compared (the float64 run has
    compared the other two). ``time_major``, ``gated``, ``paths`` and
    ``mean_over`` shape the message (see :func:`compare`).
    """
    tol = precision().backward if tol is None else tol
    hints = {"paths": paths, "mean_over": mean_over}
    compare(name, reference_grads, student_grads, tol, "rnncore's backward", time_major, gated, "d", **hints)
    if precision() is not FLOAT64 or at_scale():
        return
    numeric = numerical_gradients(reference_forward, inputs, dout, wrt=list(reference_grads), eps=DIFFERENCES_STEP)
    noise = differences_noise(reference_forward, inputs, dout)
    against = "finite differences"
    compare(name, numeric, student_grads, DIFFERENCES_TOL, against, time_major, gated, "d", floor=noise, **hints)
    autograd_grads = _torch_twin_grads(twin, inputs, dout, list(reference_grads))
    if autograd_grads is not None:
        compare(name, autograd_grads, student_grads, tol, "torch autograd", time_major, gated, "d", **hints)


def rnn_params(rng, s: Shapes, gates: int = 1, scale: float = 0.5, fan_in: bool = False):
    """``U (gates·H, D)``, ``W (gates·H, H)``, ``b (gates·H,)``, entries of standard deviation ``scale``.

    At scale the weights are normalised by their fan-in instead, so that ``a(t)`` has about unit variance
    and ``W``'s spectral radius is below 1: no saturated gates, and no chaotic recurrence in which the
    rounding of two correct implementations would drift apart over 32 steps.

    With ``fan_in`` (the gated cells' checks) the small draws are normalised by fan-in too, ``U`` and ``W``
    entries of standard deviation ``1/√(2D)`` and ``1/√(2H)``: each gate's pre-activation has about unit
    variance whatever D and H (not up to 4 as with ``scale`` 0.5 at D = H = 8), so no gate is saturated
    and no path through a gate is hidden by a derivative near 0 (such as ``r ⊙ h_prev``'s through a closed
    update gate).
    """
    G = gates * s.H
    scale_U, scale_W, scale_b = (1 / np.sqrt(s.D), 0.7 / np.sqrt(s.H), 0.1) if at_scale() else (scale,) * 3
    if fan_in and not at_scale():
        scale_U, scale_W, scale_b = 1 / np.sqrt(2 * s.D), 1 / np.sqrt(2 * s.H), 0.3
    return {
        "U": rng.standard_normal((G, s.D)) * scale_U,
        "W": rng.standard_normal((G, s.H)) * scale_W,
        "b": rng.standard_normal(G) * scale_b,
    }


def grade_backward(
    name: str,
    returned,
    order: Sequence[str],
    reference: Mapping[str, np.ndarray],
    forward: Callable,
    inputs: Mapping[str, np.ndarray],
    dout,
    twin: Callable | None = None,
    time_major: Sequence[str] = (),
    gated: Mapping[str, int] | None = None,
    *,
    paths: Mapping[str, Path] | None = None,
    mean_over: int | None = None,
) -> None:
    """Grade what a student's backward returned, three ways.

    Args:
        returned: the student's return value (tuple in ``order``, dict or named tuple).
        order: gradient names in return order; ``"dX"`` is the gradient of ``inputs["X"]``.
        reference: rnncore's gradients under the same names (extra keys are ignored).
        forward: rnncore's forward, called as ``forward(**inputs)``, for central differences.
        dout: the upstream gradient ``forward``'s output was contracted with.
        twin: the torch version of ``forward`` for autograd.
        time_major, gated: input names whose gradients are reported by time step / by gate rows.
        paths: for input names (``"x"``), the :class:`Path` that tells which part of a wrong gradient is wrong.
        mean_over: the number of terms of a summed loss, to recognise the gradient of their mean.
    """
    got = named_gradients(name, returned, order)
    check_backward_three_ways(
        name,
        {k[1:]: got[k] for k in order},
        {k[1:]: reference[k] for k in order},
        forward,
        inputs,
        dout,
        twin,
        time_major,
        gated,
        paths=paths,
        mean_over=mean_over,
    )


def output_and_cache(name: str, out):
    """The cache of a forward that must return ``(output, cache)``; a clear message if it does not."""
    if not isinstance(out, tuple | list) or len(out) != 2:
        raise GradingError(f"{name} must return (output, cache), got {describe(out)}")
    return out[1]


def first_of(out):
    """The main output of a forward that returns either it alone or ``(out, cache, ...)``."""
    return out[0] if isinstance(out, tuple | list) else out


def compare_scalar(name: str, what: str, expected: float, actual, mean_over: int | None = None) -> None:
    """A scalar such as a loss, within ``precision().forward · max(1, |expected|)``.

    ``mean_over`` adds a hint when ``actual`` is the mean of that many terms instead of their sum.
    """
    try:
        got = float(np.asarray(actual, dtype=np.float64))
    except (TypeError, ValueError):
        raise GradingError(f"{name}: {what} must be a number, got {describe(actual)}") from None
    if not np.isfinite(got):
        raise GradingError(f"{name}: {what} is NaN or infinite")
    if not abs(got - expected) <= precision().forward * max(1.0, abs(expected)):  # NaN fails too
        error = abs(got - expected) / max(abs(expected), 1e-300)
        hint = _rounding_hint(error)
        if mean_over and abs(got - expected / mean_over) < 1e-6 * abs(expected / mean_over):
            hint = " (it looks like a mean; the loss is a sum over t and n)"
        raise GradingError(f"{name}: {what} is wrong (relative error {error:.1e}){hint}")


def check_states_on_fresh_inputs(
    name: str, student: Callable, make_inputs: Callable, reference: Callable, seed: int | None, trials: int
) -> None:
    """A sequence forward that returns ``h (T, N, H)`` (alone or first), on ``trials`` fresh inputs.

    ``make_inputs(rng)`` gives the arguments in the student's order, by name;
    ``reference(**inputs)`` gives the expected states.
    """
    rng = fresh_rng(seed)
    for _ in range(trials):
        inputs = make_inputs(rng)
        h = first_of(call_student(name, student, *inputs.values()))
        compare_states(name, reference(**inputs), h)
