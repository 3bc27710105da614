"""Checks of assignment 3 (long-term dependencies): Jacobian products, their norms, clipping, leaky units.

Book notation::

    ∂h(T)/∂h(t) = ∏_{k=T}^{t+1} diag(1 − h(k)²) W          (the Jacobian products)
    g ← g · min(1, max_norm / ‖g‖),  ‖g‖² = Σ_θ ‖∇θ‖²     (clipping by global norm)
    ĥ(t) = tanh(b + W h(t-1) + U x(t)),  h(t) = α ⊙ h(t-1) + (1 − α) ⊙ ĥ(t)   (leaky units)

The leaky unit's cache is fixed as ``(x, hs, h_hat, U, W, alpha)`` with
``hs (T + 1, N, H)`` holding ``h(0)`` first, so the backward is graded on caches
built by rnncore.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import SimpleNamespace

import numpy as np

from rnncore import leaky, rnn
from rnncore.grading.engine import (
    DIFFERENCES_TOL,
    FLOAT64,
    LONG,
    GradingError,
    Path,
    as_array,
    call_student,
    check_states_on_fresh_inputs,
    compare,
    compare_scalar,
    fresh_rng,
    grade_backward,
    in_both_precisions,
    precision,
    random_shapes,
    rnn_params,
    torch_comparison_enabled,
)
from rnncore.jacobians import rnn_jacobians
from rnncore.optim import clip_by_global_norm, global_norm

JACOBIAN_EPS = 1e-6
LEAKY_PATHS = {
    "x": Path({"U": "a(t)"}, "dx(t) = ∇a(t) U"),
    "h0": Path(
        {"W": "a(t)"}, "dh0 = α ⊙ δh(0) + ∇a(0) W, δh(0) the total gradient reaching the first state: the leak and W"
    ),
}


def _run_from(h_t: np.ndarray, t: int, x: np.ndarray, U, W, b) -> np.ndarray:
    """``h(T)`` of one sequence when the state at step ``t`` is ``h_t (H,)``; ``x (T, D)``."""
    h = h_t
    for k in range(t, x.shape[0]):  # h(k+1) reads x(k+1), stored at x[k]
        h = np.tanh(b + W @ h + U @ x[k])
    return h


def _jacobians_by_differences(hs, x, U, W, b) -> np.ndarray:
    """``∂h(T)/∂h(t)`` for every t, column by column from central differences; ``(T + 1, H, H)``."""
    T, H = x.shape[0], W.shape[0]
    J = np.empty((T + 1, H, H))
    for t in range(T + 1):
        for j in range(H):
            step = np.zeros(H)
            step[j] = JACOBIAN_EPS
            J[t, :, j] = (_run_from(hs[t] + step, t, x, U, W, b) - _run_from(hs[t] - step, t, x, U, W, b)) / (
                2 * JACOBIAN_EPS
            )
    return J


def _jacobians_by_autograd(hs, x, U, W, b) -> np.ndarray:
    import torch

    x_, U_, W_, b_ = (torch.tensor(a) for a in (x, U, W, b))

    def run_from(t):
        def run(h):
            for k in range(t, x.shape[0]):
                h = torch.tanh(b_ + W_ @ h + U_ @ x_[k])
            return h

        return run

    return np.stack(
        [torch.autograd.functional.jacobian(run_from(t), torch.tensor(hs[t])).numpy() for t in range(len(hs))]
    )


@in_both_precisions
def check_jacobians(student: Callable, seed: int | None = None, trials: int = 2) -> None:
    """``jacobians(h, W) -> J (T + 1, H, H)`` with ``J[t] = ∂h(T)/∂h(t)``; ``h (T + 1, H)`` holds ``h(0)..h(T)``."""
    rng = fresh_rng(seed)
    for _ in range(trials):
        s = random_shapes(rng)
        p = rnn_params(rng, s, scale=0.8)
        x = rng.standard_normal((s.T, s.D))
        h, cache = rnn.rnn_forward(x[:, None], **p, h0=rng.standard_normal((1, s.H)))
        hs = cache.hs[:, 0]
        J = call_student("jacobians", student, hs, p["W"])
        expected = {"rnncore": rnn_jacobians(SimpleNamespace(hs=cache.hs, W=p["W"]))}
        if precision() is FLOAT64:  # the float32 run compares with rnncore alone
            expected["finite differences"] = _jacobians_by_differences(hs, x, **p)
            if torch_comparison_enabled():
                expected["torch autograd"] = _jacobians_by_autograd(hs, x, **p)
        for against, ref in expected.items():
            tol = DIFFERENCES_TOL if against == "finite differences" else precision().forward
            compare("jacobians", {"J": ref}, {"J": J}, tol, against, time_major=("J",))


@in_both_precisions
def check_jacobian_norms(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``jacobian_norms(J) -> (T + 1,)``: the spectral norm (largest singular value) of each ``J[t]``."""
    rng = fresh_rng(seed)
    for _ in range(trials):
        s = random_shapes(rng)
        J = rng.standard_normal((s.T + 1, s.H, s.H))
        got = as_array("jacobian_norms", "the norms", call_student("jacobian_norms", student, J), (s.T + 1,))
        ref = np.linalg.norm(J, ord=2, axis=(1, 2))
        if np.allclose(got, np.linalg.norm(J, axis=(1, 2))):
            raise GradingError("jacobian_norms: these are Frobenius norms; the book plots the spectral norm")
        compare("jacobian_norms", {"norms": ref}, {"norms": got}, precision().forward, "numpy's spectral norm")


def _random_gradients(rng) -> dict[str, np.ndarray]:
    names = ["U", "W", "b", "V", "c"][: int(rng.integers(2, 6))]
    return {
        k: rng.standard_normal(tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(1, 3))))) for k in names
    }


@in_both_precisions
def check_clip_by_global_norm(student: Callable, seed: int | None = None) -> None:
    """``clip_by_global_norm(grads, max_norm) -> (clipped, norm)``: a dict of arrays scaled by one factor."""
    name = "clip_by_global_norm"
    rng = fresh_rng(seed)
    for factor in (0.3, 2.0, 0.05):  # clip, leave alone, clip hard
        grads = _random_gradients(rng)
        max_norm = factor * global_norm(grads)
        out = call_student(name, student, grads, max_norm)
        if not isinstance(out, tuple | list) or len(out) != 2 or not isinstance(out[0], Mapping):
            raise GradingError(f"{name} must return (clipped, norm) with clipped a dict")
        clipped, norm = out
        expected, expected_norm = clip_by_global_norm(grads, max_norm)
        compare_scalar(name, "the returned norm (the global norm before clipping)", expected_norm, norm)
        if sorted(clipped) != sorted(expected):
            raise GradingError(f"{name}: clipped must have the same keys as grads")
        per_array = {k: v * min(1.0, max_norm / max(np.linalg.norm(v), 1e-300)) for k, v in grads.items()}
        for key, ref in expected.items():
            got = as_array(name, f"clipped[{key!r}]", clipped[key], ref.shape)
            if not np.allclose(got, ref, rtol=precision().forward, atol=precision().floor):
                hint = (
                    "; each array was clipped by its own norm, but all must be scaled by one factor"
                    if np.allclose(got, per_array[key])
                    else ""
                )
                what = "left alone" if factor >= 1 else "clipped"
                raise GradingError(f"{name}: clipped[{key!r}] is wrong when the gradient should be {what}{hint}")


def _leaky_inputs(rng, s):
    return {
        "x": rng.standard_normal((s.T, s.N, s.D)),
        **rnn_params(rng, s),
        "alpha": rng.uniform(0.1, 0.9, s.H),
        "h0": rng.standard_normal((s.N, s.H)),
    }


@in_both_precisions
def check_leaky_forward(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``leaky_forward(x, U, W, b, alpha, h0) -> (h (T, N, H), cache)`` with ``alpha (H,)``."""

    def reference(**inputs):
        return leaky.leaky_forward(**inputs)[0]

    check_states_on_fresh_inputs(
        "leaky_forward", student, lambda rng: _leaky_inputs(rng, random_shapes(rng)), reference, seed, trials
    )


@in_both_precisions(scale=LONG)
def check_leaky_backward(student_backward: Callable, seed: int | None = None) -> None:
    """``leaky_backward(dh, cache) -> (dx, dh0, dU, dW, db, dalpha)`` on caches ``(x, hs, h_hat, U, W, alpha)``."""
    from rnncore.torch_ref import leaky_forward_torch

    rng = fresh_rng(seed)
    s = random_shapes(rng)
    inputs = _leaky_inputs(rng, s)
    _, cache = leaky.leaky_forward(**inputs)
    dh = rng.standard_normal((s.T, s.N, s.H))
    returned = call_student("leaky_backward", student_backward, dh, tuple(cache))
    reference = leaky.leaky_backward(dh, cache)._asdict()

    def forward(**kw):
        return leaky.leaky_forward(**kw)[0]

    order = ("dx", "dh0", "dU", "dW", "db", "dalpha")
    grade_backward(
        "leaky_backward",
        returned,
        order,
        reference,
        forward,
        inputs,
        dh,
        leaky_forward_torch,
        ("x",),
        paths=LEAKY_PATHS,
    )
