"""The one gradient checker used by the tests, the book and the autograder.

A function ``f(**inputs) -> out`` is turned into the scalar
``s = Σ out ⊙ dout`` for a fixed upstream gradient ``dout``; then
``∂s/∂input`` is exactly what a backward pass returns when it is handed
``dout``, and central differences

    ∂s/∂θ_k ≈ (s(θ + ε e_k) − s(θ − ε e_k)) / (2ε)

estimate it entry by entry. Analytic and numerical gradients are compared by
the relative error ``‖a − n‖ / (‖a‖ + ‖n‖)``, which is scale free, is 0 for
two zero arrays, and is computed so that it neither overflows nor underflows.
For sequence arguments (time on axis 0) the report also says which time
steps disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np


def relative_error(expected: np.ndarray, actual: np.ndarray) -> float:
    """``‖expected − actual‖ / (‖expected‖ + ‖actual‖)``, computed so that it cannot overflow or underflow.

    Both arrays are divided by their largest absolute entry ``m`` before any
    norm is taken (the ratio does not change), so entries near 1e308 or below
    1e-308 compare like any others; the difference is rescaled by its own
    largest entry before its norm. Returns 0 for two all-zero (or empty)
    arrays and ``inf`` when either holds a NaN or an infinity: such a result
    is never within a tolerance. Otherwise in ``[0, 1]`` (the triangle inequality).
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    if e.shape != a.shape:
        raise ValueError(f"relative_error: shapes differ, {e.shape} vs {a.shape}")
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(a))):
        return float("inf")
    m = max(np.abs(e).max(initial=0.0), np.abs(a).max(initial=0.0))
    if m == 0.0:
        return 0.0
    e, a = e / m, a / m  # entries in [-1, 1], at least one of them ±1
    return float(_norm(e - a) / (_norm(e) + _norm(a)))


def _norm(v: np.ndarray) -> float:
    """``‖v‖`` of an array with entries in ``[-2, 2]``, rescaled so that tiny entries do not underflow."""
    m = np.abs(v).max(initial=0.0)
    return float(m * np.linalg.norm(v / m)) if m > 0.0 else 0.0


def contract(out, dout) -> float:
    """``Σ out ⊙ dout`` for an array or a tuple of arrays (with a matching tuple ``dout``)."""
    if isinstance(out, tuple | list):
        return float(sum(contract(o, d) for o, d in zip(out, dout, strict=True)))
    return float(np.sum(np.asarray(out, dtype=np.float64) * dout))


def numerical_gradients(
    f: Callable,
    inputs: Mapping[str, np.ndarray],
    dout,
    wrt: list[str] | None = None,
    eps: float = 1e-6,
) -> dict[str, np.ndarray]:
    """Central-difference gradients of ``Σ f(**inputs) ⊙ dout`` with respect to ``wrt``.

    Args:
        f: called as ``f(**inputs)``; returns an array or a tuple of arrays.
        inputs: the arguments; those in ``wrt`` are copied to float64 and perturbed.
        dout: upstream gradient, same structure as ``f``'s output.
        wrt: names of the arguments to differentiate (default: every float array).
        eps: the step ``ε``; 1e-6 balances truncation and round-off in float64.

    Returns:
        ``{name: gradient}`` with each gradient shaped like its input. The caller's
        arrays are never modified.
    """
    point = {k: (np.array(v, dtype=np.float64) if _is_float(v) else v) for k, v in inputs.items()}
    names = wrt if wrt is not None else [k for k, v in point.items() if _is_float(v)]
    grads = {}
    for name in names:
        theta = point[name]
        grad = np.zeros_like(theta)
        flat, gflat = theta.reshape(-1), grad.reshape(-1)
        for k in range(flat.size):
            saved = flat[k]
            flat[k] = saved + eps
            plus = contract(f(**point), dout)
            flat[k] = saved - eps
            minus = contract(f(**point), dout)
            flat[k] = saved
            gflat[k] = (plus - minus) / (2 * eps)
        grads[name] = grad
    return grads


@dataclass(frozen=True)
class GradientReport:
    """How one gradient compares with its reference.

    ``worst_index`` is the entry with the largest absolute difference;
    ``time_step`` is set for sequence arguments (time on axis 0): the latest
    step, scanning backward from the end, whose slice is off by more than the
    tolerance — where an error in a backward pass through time first shows.
    """

    name: str
    relative_error: float
    tolerance: float
    worst_index: tuple[int, ...]
    time_step: int | None = None
    max_abs_error: float = float("inf")
    abs_tolerance: float = 0.0

    @property
    def ok(self) -> bool:
        """Relative error within tolerance, or every entry within the absolute floor.

        The floor matters only for gradients so small that round-off in the
        differences (about ``1e-16 · |s| / ε`` per entry) is a visible share of them.
        """
        return self.relative_error <= self.tolerance or self.max_abs_error <= self.abs_tolerance

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "WRONG"
        where = f" worst at {self.worst_index}" if self.worst_index else ""
        when = f", departs at t={self.time_step}" if self.time_step is not None else ""
        return (
            f"{self.name:>8}: relative error {self.relative_error:.2e} "
            f"(tolerance {self.tolerance:.0e}) {verdict}{where}{when}"
        )


def first_departure(expected: np.ndarray, actual: np.ndarray, tol: float, direction: str = "backward") -> int | None:
    """The first time step (axis 0) whose slice has relative error above ``tol``.

    ``direction="backward"`` scans from the last step to the first, the order in
    which a backward pass through time computes; ``"forward"`` scans from t=0.
    Returns ``None`` when every step agrees.
    """
    steps = range(expected.shape[0])
    order = reversed(steps) if direction == "backward" else steps
    for t in order:
        if not relative_error(expected[t], actual[t]) <= tol:  # NaN is a departure, not agreement
            return t
    return None


def compare_gradients(
    expected: Mapping[str, np.ndarray],
    actual: Mapping[str, np.ndarray],
    tol: float = 1e-6,
    time_major: frozenset[str] | set[str] = frozenset(),
    atol: float = 0.0,
) -> list[GradientReport]:
    """Compare gradients by name; names in ``time_major`` get a time step in their report.

    ``atol`` is an absolute floor: a gradient whose every entry is within it passes
    whatever its relative error (see :attr:`GradientReport.ok`).

    A name missing from ``actual``, or with the wrong shape, is reported with an
    infinite error rather than raising, so one bad gradient does not hide the others.
    """
    reports = []
    for name, ref in expected.items():
        ref = np.asarray(ref, dtype=np.float64)
        got = actual.get(name)
        got = None if got is None else np.asarray(got, dtype=np.float64)
        if got is None or got.shape != ref.shape:
            reports.append(GradientReport(name, float("inf"), tol, (), None, float("inf"), atol))
            continue
        err = relative_error(ref, got)
        with np.errstate(over="ignore", invalid="ignore"):  # 1e308 − (−1e308) is inf: a large difference
            diff = np.abs(ref - got)
        worst = tuple(int(i) for i in np.unravel_index(np.argmax(diff), diff.shape)) if diff.size else ()
        max_abs = float(diff.max()) if diff.size else 0.0
        step = first_departure(ref, got, tol) if name in time_major and not err <= tol else None
        reports.append(GradientReport(name, err, tol, worst, step, max_abs, atol))
    return reports


@dataclass(frozen=True)
class CheckResult:
    """All gradient reports of one check; ``worst`` is the one with the largest error."""

    reports: tuple[GradientReport, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)

    @property
    def worst(self) -> GradientReport:
        return max(self.reports, key=lambda r: r.relative_error)

    def __str__(self) -> str:
        return "\n".join(str(r) for r in self.reports)


def check_gradients(
    f: Callable,
    inputs: Mapping[str, np.ndarray],
    analytic: Mapping[str, np.ndarray],
    dout,
    tol: float = 1e-6,
    time_major: frozenset[str] | set[str] = frozenset(),
    eps: float = 1e-6,
    atol: float = 1e-8,
) -> CheckResult:
    """Check analytic gradients against central differences.

    Args:
        f: the forward function, called as ``f(**inputs)``.
        inputs: its arguments (float64 gives meaningful differences).
        analytic: ``{argument name: gradient}``, e.g. ``{"x": dx, "W": dW}``.
        dout: the upstream gradient the analytic gradients were computed with.
        tol: largest acceptable relative error.
        time_major: argument names whose axis 0 is time, reported per step.
        atol: absolute floor for gradients too small for a relative comparison
            against differences (round-off there is about 1e-10 per entry).

    Returns:
        A :class:`CheckResult`; ``str()`` of it is a readable table.
    """
    numeric = numerical_gradients(f, inputs, dout, wrt=list(analytic), eps=eps)
    return CheckResult(tuple(compare_gradients(numeric, analytic, tol, time_major, atol)))


def _is_float(v) -> bool:
    return isinstance(v, np.ndarray | float) and np.asarray(v).dtype.kind == "f"
