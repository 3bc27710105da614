"""Checks that grade a student's implementation against rnncore.

Each ``check_*`` function takes the student's function(s), calls them on
fresh random shapes and values from a local generator (never the global RNG
state, which the student's code may have changed), and raises
``AssertionError`` with a short message when something is wrong. An nbgrader
test cell is one call to one check; the grading logic lives here, in one
tested module.

A backward pass is compared three ways: with rnncore's backward, with
central differences of rnncore's forward in float64, and with torch
autograd of rnncore's torch twin (when torch is installed). A failure names
the gradient, its relative error and the tolerance, and for sequences the
first time step (going backward) and the gate where it departs. Messages
never print the hidden inputs or the reference values.

Warnings raised by a student's code (numpy overflow in ``exp``, say) are
captured: nbgrader counts any output on stderr as an error, and a warning
from correct code must not cost points.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from rnncore import lstm, rnn
from rnncore.gradcheck import first_departure, numerical_gradients, relative_error
from rnncore.layers import affine_backward, affine_forward
from rnncore.losses import softmax_cross_entropy

FORWARD_TOL = 1e-7
BACKWARD_TOL = 1e-6
GATE_NAMES = {4: ("input", "forget", "candidate", "output"), 3: ("reset", "update", "candidate")}


class GradingError(AssertionError):
    """A check failed; the message is what the student sees."""


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


# --------------------------------------------------------------------------- engine


def fresh_rng(seed: int | None = None) -> np.random.Generator:
    """A generator independent of ``np.random``'s global state; unpredictable unless ``seed`` is given."""
    return np.random.default_rng(seed if seed is not None else int.from_bytes(os.urandom(8), "little"))


@dataclass(frozen=True)
class Shapes:
    T: int
    N: int
    D: int
    H: int


def random_shapes(rng: np.random.Generator, max_T: int = 6) -> Shapes:
    """Small random shapes with T, N, D and H all different, so a transposed array is a shape error."""
    T = int(rng.integers(2, max_T + 1))
    N = int(rng.choice([n for n in range(2, 5) if n != T]))
    D, H = (int(v) for v in rng.choice([v for v in range(2, 9) if v not in (T, N)], size=2, replace=False))
    return Shapes(T, N, D, H)


def _call(name: str, fn: Callable, *args, **kwargs):
    """Call student code with warnings captured and copies of the inputs (so mutation cannot hide)."""
    args = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)
    kwargs = {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs)
        except NotImplementedError:
            raise GradingError(f"{name} is not implemented yet") from None
        except Exception as err:  # the student's traceback would show hidden values; keep the type and text
            raise GradingError(f"{name} raised {type(err).__name__}: {err}") from None


def _as_array(name: str, what: str, value, shape: tuple[int, ...]) -> np.ndarray:
    if value is None:
        raise GradingError(f"{name} returned None for {what}; expected an array of shape {shape}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise GradingError(f"{name}: {what} is not a numeric array (got {type(value).__name__})") from None
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
    raise GradingError(f"{name} must return the gradients {', '.join(order)}, got {type(returned).__name__}")


def _where(ref: np.ndarray, got: np.ndarray, tol: float, time_major: bool, gates: int | None) -> str:
    """Where a wrong gradient departs: the first time step going backward, and the gate block."""
    parts = []
    if time_major and ref.ndim >= 2 and ref.shape[0] > 1:
        t = first_departure(ref, got, tol, direction="backward")
        if t is not None:
            parts.append(f"it departs from t={t} going backward in time")
    if gates and ref.shape[0] % gates == 0 and ref.shape[0] > 0:
        size = ref.shape[0] // gates
        errors = [relative_error(ref[k * size : (k + 1) * size], got[k * size : (k + 1) * size]) for k in range(gates)]
        wrong = [GATE_NAMES[gates][k] for k, e in enumerate(errors) if e > tol]
        if wrong and len(wrong) < gates:
            parts.append(f"the {' and '.join(wrong)} gate rows are wrong, the others are right")
    return ("; " + "; ".join(parts)) if parts else ""


def compare(
    name: str,
    expected: Mapping[str, np.ndarray],
    actual: Mapping[str, np.ndarray],
    tol: float,
    against: str,
    time_major: Sequence[str] = (),
    gated: Mapping[str, int] | None = None,
    prefix: str = "",
) -> None:
    """Raise a :class:`GradingError` naming the first quantity that differs from ``expected``.

    ``prefix`` turns an argument's name into its gradient's (``"d"``: ``W`` → ``dW``).
    """
    gated = gated or {}
    for key, ref in expected.items():
        ref = np.asarray(ref, dtype=np.float64)
        got = _as_array(name, prefix + key, actual[key], ref.shape)
        err = relative_error(ref, got)
        if err > tol and np.abs(ref - got).max() > 1e-9:
            where = _where(ref, got, tol, key in time_major, gated.get(key))
            raise GradingError(
                f"{name}: {prefix}{key} is wrong "
                f"(relative error {err:.1e} against {against}, tolerance {tol:.0e}){where}"
            )


def compare_states(name: str, expected: np.ndarray, actual) -> None:
    """States over time ``(T, N, H)``: raise naming the first step, going forward, where they depart."""
    actual = _as_array(name, "h", actual, expected.shape)
    err = relative_error(expected, actual)
    if err > FORWARD_TOL:
        t = first_departure(expected, actual, FORWARD_TOL, direction="forward")
        raise GradingError(f"{name}: h is wrong from t={t} on (relative error {err:.1e})")


def _torch_twin_grads(twin: Callable | None, inputs: Mapping, dout, wrt: Sequence[str]):
    if twin is None:
        return None
    try:
        from rnncore.torch_ref import autograd
    except ImportError:  # pragma: no cover - torch is part of the course environment
        return None
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
    tol: float = BACKWARD_TOL,
) -> None:
    """Student gradients against rnncore's backward, central differences and torch autograd, in that order."""
    compare(name, reference_grads, student_grads, tol, "rnncore's backward", time_major, gated, "d")
    numeric = numerical_gradients(reference_forward, inputs, dout, wrt=list(reference_grads))
    compare(name, numeric, student_grads, 10 * tol, "finite differences", time_major, gated, "d")
    autograd_grads = _torch_twin_grads(twin, inputs, dout, list(reference_grads))
    if autograd_grads is not None:
        compare(name, autograd_grads, student_grads, tol, "torch autograd", time_major, gated, "d")


def _rnn_params(rng, s: Shapes, gates: int = 1, scale: float = 0.5):
    G = gates * s.H
    return {
        "U": rng.standard_normal((G, s.D)) * scale,
        "W": rng.standard_normal((G, s.H)) * scale,
        "b": rng.standard_normal(G) * scale,
    }


# --------------------------------------------------------------------------- assignment 1: recurrence


def check_rnn_step_forward(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``rnn_step_forward(x, h_prev, U, W, b) -> h`` (or ``(h, cache)``), on random shapes."""
    rng = fresh_rng(seed)
    for _ in range(trials):
        s = random_shapes(rng)
        p = _rnn_params(rng, s)
        x, h_prev = rng.standard_normal((s.N, s.D)), rng.standard_normal((s.N, s.H))
        out = _call("rnn_step_forward", student, x, h_prev, p["U"], p["W"], p["b"])
        h = out[0] if isinstance(out, tuple) else out
        ref, _ = rnn.rnn_step_forward(x, h_prev, **p)
        compare("rnn_step_forward", {"h": ref}, {"h": h}, FORWARD_TOL, "rnncore")


def check_rnn_forward(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``rnn_forward(x, U, W, b, h0) -> h (T, N, H)`` (or ``(h, cache)``)."""
    rng = fresh_rng(seed)
    for _ in range(trials):
        s = random_shapes(rng)
        p = _rnn_params(rng, s)
        x, h0 = rng.standard_normal((s.T, s.N, s.D)), rng.standard_normal((s.N, s.H))
        out = _call("rnn_forward", student, x, p["U"], p["W"], p["b"], h0)
        h = out[0] if isinstance(out, tuple) else out
        ref, _ = rnn.rnn_forward(x, **p, h0=h0)
        compare_states("rnn_forward", ref, h)


def check_sequence_loss(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``sequence_loss(h, V, c, y) -> L``: ``o = c + V h``, ``L = −Σ_t Σ_n log softmax(o)[y]``."""
    rng = fresh_rng(seed)
    for _ in range(trials):
        s = random_shapes(rng)
        K = int(rng.integers(3, 9))
        h = np.tanh(rng.standard_normal((s.T, s.N, s.H)))
        V, c = rng.standard_normal((K, s.H)), rng.standard_normal(K)
        y = rng.integers(0, K, (s.T, s.N))
        loss = _call("sequence_loss", student, h, V, c, y)
        loss = loss[0] if isinstance(loss, tuple) else loss
        o, _ = affine_forward(h, V, c)
        ref, _ = softmax_cross_entropy(o, y)
        got = float(np.asarray(loss, dtype=np.float64))
        if not np.isfinite(got) or abs(got - ref) > FORWARD_TOL * max(1.0, abs(ref)):
            mean = ref / (s.T * s.N)
            hint = (
                " (it looks like a mean; the loss is a sum over t and n)" if abs(got - mean) < 1e-6 * abs(mean) else ""
            )
            raise GradingError(f"sequence_loss is wrong (relative error {abs(got - ref) / abs(ref):.1e}){hint}")


# --------------------------------------------------------------------------- assignment 2: BPTT


def check_rnn_step_backward(student_forward: Callable, student_backward: Callable, seed: int | None = None) -> None:
    """The student's step backward, given the cache of the student's step forward."""
    rng = fresh_rng(seed)
    s = random_shapes(rng)
    p = _rnn_params(rng, s)
    x, h_prev = rng.standard_normal((s.N, s.D)), rng.standard_normal((s.N, s.H))
    h, cache = _call("rnn_step_forward", student_forward, x, h_prev, p["U"], p["W"], p["b"])
    dh = rng.standard_normal((s.N, s.H))
    order = ("dx", "dh_prev", "dU", "dW", "db")
    got = named_gradients("rnn_step_backward", _call("rnn_step_backward", student_backward, dh, cache), order)
    ref = rnn.rnn_step_backward(dh, rnn.rnn_step_forward(x, h_prev, **p)[1])._asdict()
    inputs = {"x": x, "h_prev": h_prev, **p}

    def forward(**kw):
        return rnn.rnn_step_forward(**kw)[0]

    from rnncore.torch_ref import rnn_step_forward_torch

    check_backward_three_ways(
        "rnn_step_backward",
        {k[1:]: v for k, v in got.items()},
        {k[1:]: v for k, v in ref.items()},
        forward,
        inputs,
        dh,
        rnn_step_forward_torch,
    )


def check_rnn_backward(student_forward: Callable, student_backward: Callable, seed: int | None = None) -> None:
    """BPTT: the student's ``rnn_backward(dh, cache)`` on the student's forward cache."""
    rng = fresh_rng(seed)
    s = random_shapes(rng)
    p = _rnn_params(rng, s)
    x, h0 = rng.standard_normal((s.T, s.N, s.D)), rng.standard_normal((s.N, s.H))
    _, cache = _call("rnn_forward", student_forward, x, p["U"], p["W"], p["b"], h0)
    dh = rng.standard_normal((s.T, s.N, s.H))
    order = ("dx", "dh0", "dU", "dW", "db")
    got = named_gradients("rnn_backward", _call("rnn_backward", student_backward, dh, cache), order)
    ref = rnn.rnn_backward(dh, rnn.rnn_forward(x, **p, h0=h0)[1])._asdict()

    def forward(**kw):
        return rnn.rnn_forward(**kw)[0]

    from rnncore.torch_ref import rnn_forward_torch

    check_backward_three_ways(
        "rnn_backward",
        {("h0" if k == "dh0" else k[1:]): v for k, v in got.items()},
        {("h0" if k == "dh0" else k[1:]): v for k, v in ref.items()},
        forward,
        {"x": x, **p, "h0": h0},
        dh,
        rnn_forward_torch,
        time_major=("x",),
    )


def check_sequence_loss_backward(student: Callable, seed: int | None = None) -> None:
    """``sequence_loss_backward(h, V, c, y) -> (L, dh, dV, dc)`` for ``o = c + V h`` and the summed cross-entropy."""
    rng = fresh_rng(seed)
    s = random_shapes(rng)
    K = int(rng.integers(3, 9))
    inputs = {
        "h": np.tanh(rng.standard_normal((s.T, s.N, s.H))),
        "V": rng.standard_normal((K, s.H)),
        "c": rng.standard_normal(K),
    }
    y = rng.integers(0, K, (s.T, s.N))
    out = _call("sequence_loss_backward", student, inputs["h"], inputs["V"], inputs["c"], y)
    if not isinstance(out, tuple | list) or len(out) != 4:
        raise GradingError("sequence_loss_backward must return (loss, dh, dV, dc)")
    o, cache = affine_forward(inputs["h"], inputs["V"], inputs["c"])
    loss, do = softmax_cross_entropy(o, y)
    got_loss = float(np.asarray(out[0], dtype=np.float64))
    if abs(got_loss - loss) > FORWARD_TOL * max(1.0, abs(loss)):
        raise GradingError(
            f"sequence_loss_backward: the loss is wrong (relative error {abs(got_loss - loss) / abs(loss):.1e})"
        )
    g = affine_backward(do, cache)

    def forward(h, V, c):
        return np.asarray(softmax_cross_entropy(affine_forward(h, V, c)[0], y)[0])

    def twin(h, V, c):
        from rnncore.torch_ref import affine_forward_torch, softmax_cross_entropy_torch

        return softmax_cross_entropy_torch(affine_forward_torch(h, V, c), y)

    check_backward_three_ways(
        "sequence_loss_backward",
        {"h": out[1], "V": out[2], "c": out[3]},
        {"h": g.dh, "V": g.dV, "c": g.dc},
        forward,
        inputs,
        1.0,
        twin,
        time_major=("h",),
    )


# --------------------------------------------------------------------------- assignment 4: LSTM


def check_lstm_step_forward(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``lstm_step_forward(x, h_prev, c_prev, U, W, b) -> (h, c, ...)``."""
    rng = fresh_rng(seed)
    for _ in range(trials):
        s = random_shapes(rng)
        p = _rnn_params(rng, s, gates=4)
        x = rng.standard_normal((s.N, s.D))
        h_prev, c_prev = rng.standard_normal((s.N, s.H)), rng.standard_normal((s.N, s.H))
        out = _call("lstm_step_forward", student, x, h_prev, c_prev, p["U"], p["W"], p["b"])
        if not isinstance(out, tuple) or len(out) < 2:
            raise GradingError("lstm_step_forward must return (h, c, cache)")
        h_ref, c_ref, _ = lstm.lstm_step_forward(x, h_prev, c_prev, **p)
        compare("lstm_step_forward", {"c": c_ref, "h": h_ref}, {"c": out[1], "h": out[0]}, FORWARD_TOL, "rnncore")


def check_lstm_forward(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``lstm_forward(x, U, W, b, h0, c0) -> (h (T, N, H), cache)``."""
    rng = fresh_rng(seed)
    for _ in range(trials):
        s = random_shapes(rng)
        p = _rnn_params(rng, s, gates=4)
        x = rng.standard_normal((s.T, s.N, s.D))
        h0, c0 = rng.standard_normal((s.N, s.H)), rng.standard_normal((s.N, s.H))
        out = _call("lstm_forward", student, x, p["U"], p["W"], p["b"], h0, c0)
        h = out[0] if isinstance(out, tuple) else out
        ref, _ = lstm.lstm_forward(x, **p, h0=h0, c0=c0)
        compare_states("lstm_forward", ref, h)


def lstm_forward_by_steps(x, U, W, b, h0, c0):
    """A reference ``lstm_forward`` built from rnncore's step, returning the list of step caches.

    Its caches have the assignment's form (:func:`lstm_step_cache`). Test cells
    use it, with :func:`lstm_step_backward_reference` substituted for the
    student's step, to grade ``lstm_backward`` on its own.
    """
    h, c, hs, caches = h0, c0, [], []
    for t in range(x.shape[0]):
        cache = lstm_step_cache(x[t], h, c, U, W, b)
        h, c = cache[6] * np.tanh(cache[7]), cache[7]
        hs.append(h)
        caches.append(cache)
    return np.stack(hs), caches


def lstm_step_backward_reference(dh, dc, cache):
    """rnncore's step backward on a cache of the assignment's form; ``(dx, dh_prev, dc_prev, dU, dW, db)``."""
    x, h_prev, c_prev, i, f, g, o, c, U, W = cache
    full = lstm.LSTMStepCache(x, h_prev, c_prev, np.concatenate([i, f, g, o], axis=1), c, np.tanh(c), U, W, None)
    return tuple(lstm.lstm_step_backward(dh, dc, full))[:6]


def lstm_step_cache(x, h_prev, c_prev, U, W, b) -> tuple:
    """The cache the LSTM assignment specifies: ``(x, h_prev, c_prev, i, f, g, o, c, U, W)``.

    With the cache's contents fixed, ``lstm_step_backward`` is graded on caches
    built here, so a wrong ``lstm_step_forward`` does not also cost the backward's points.
    """
    h, c, cache = lstm.lstm_step_forward(x, h_prev, c_prev, U, W, b)
    H = h_prev.shape[1]
    i, f, g, o = (cache.acts[:, k * H : (k + 1) * H].copy() for k in range(4))
    return (x, h_prev, c_prev, i, f, g, o, c, U, W)


def check_lstm_step_backward(student_backward: Callable, seed: int | None = None) -> None:
    """``lstm_step_backward(dh, dc, cache) -> (dx, dh_prev, dc_prev, dU, dW, db)`` on :func:`lstm_step_cache` caches."""
    rng = fresh_rng(seed)
    s = random_shapes(rng)
    p = _rnn_params(rng, s, gates=4)
    x = rng.standard_normal((s.N, s.D))
    h_prev, c_prev = rng.standard_normal((s.N, s.H)), rng.standard_normal((s.N, s.H))
    cache = lstm_step_cache(x, h_prev, c_prev, p["U"], p["W"], p["b"])
    dh, dc = rng.standard_normal((s.N, s.H)), rng.standard_normal((s.N, s.H))
    order = ("dx", "dh_prev", "dc_prev", "dU", "dW", "db")
    got = named_gradients("lstm_step_backward", _call("lstm_step_backward", student_backward, dh, dc, cache), order)
    ref = lstm.lstm_step_backward(dh, dc, lstm.lstm_step_forward(x, h_prev, c_prev, **p)[2])._asdict()
    ref.pop("dp")

    def forward(**kw):
        h, c, _ = lstm.lstm_step_forward(**kw)
        return h, c

    from rnncore.torch_ref import lstm_step_forward_torch

    check_backward_three_ways(
        "lstm_step_backward",
        {k[1:]: v for k, v in got.items()},
        {k[1:]: v for k, v in ref.items()},
        forward,
        {"x": x, "h_prev": h_prev, "c_prev": c_prev, **p},
        (dh, dc),
        lstm_step_forward_torch,
        gated={"U": 4, "W": 4, "b": 4},
    )


def check_lstm_backward(student_forward: Callable, student_backward: Callable, seed: int | None = None) -> None:
    """``lstm_backward(dh, cache) -> (dx, dh0, dc0, dU, dW, db)`` on the student's forward cache."""
    rng = fresh_rng(seed)
    s = random_shapes(rng)
    p = _rnn_params(rng, s, gates=4)
    x = rng.standard_normal((s.T, s.N, s.D))
    h0, c0 = rng.standard_normal((s.N, s.H)), rng.standard_normal((s.N, s.H))
    out = _call("lstm_forward", student_forward, x, p["U"], p["W"], p["b"], h0, c0)
    dh = rng.standard_normal((s.T, s.N, s.H))
    order = ("dx", "dh0", "dc0", "dU", "dW", "db")
    got = named_gradients("lstm_backward", _call("lstm_backward", student_backward, dh, out[-1]), order)
    ref = lstm.lstm_backward(dh, lstm.lstm_forward(x, **p, h0=h0, c0=c0)[1])._asdict()
    ref.pop("dp")
    rename = {"dx": "x", "dh0": "h0", "dc0": "c0", "dU": "U", "dW": "W", "db": "b"}

    def forward(**kw):
        return lstm.lstm_forward(**kw)[0]

    from rnncore.torch_ref import lstm_forward_torch

    check_backward_three_ways(
        "lstm_backward",
        {rename[k]: v for k, v in got.items()},
        {rename[k]: v for k, v in ref.items()},
        forward,
        {"x": x, **p, "h0": h0, "c0": c0},
        dh,
        lstm_forward_torch,
        time_major=("x",),
        gated={"U": 4, "W": 4, "b": 4},
    )
