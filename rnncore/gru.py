"""The GRU layer, in the lecture's form and in PyTorch's, one step and a sequence.

Gates are stacked in the order ``r, z, n`` (reset, update, candidate) in
``U (3H, D)``, ``W (3H, H)``, ``b (3H,)``, as PyTorch stacks them.

``variant="lecture"`` (the form of the lectures and of Chung et al. 2014: ``z``
weights the *new* candidate; reset *before* the recurrent product)::

    a_r = b_r + U_r x(t) + W_r h(t-1),              r(t) = σ(a_r)
    a_z = b_z + U_z x(t) + W_z h(t-1),              z(t) = σ(a_z)
    a_n = b_n + U_n x(t) + W_n (r(t) ⊙ h(t-1)),     h̃(t) = tanh(a_n)
    h(t) = (1 − z(t)) ⊙ h(t-1) + z(t) ⊙ h̃(t)

The book's candidate ``h̃`` is ``n`` in the code, as in PyTorch.

``variant="torch"`` (``torch.nn.GRU``; reset *after* the product, which needs a
second bias ``b_hn (H,)`` inside it, and ``z`` on the *old* state, as in Cho et
al. 2014)::

    h̃(t) = tanh(b_n + U_n x(t) + r(t) ⊙ (W_n h(t-1) + b_hn))
    h(t) = (1 − z(t)) ⊙ h̃(t) + z(t) ⊙ h(t-1)

Backward (lecture form), with ``δh`` the total gradient reaching ``h(t)``::

    δh̃ = δh ⊙ z,  δz = δh ⊙ (h̃ − h(t-1)),  ∇a_n = δh̃ ⊙ (1 − h̃²)
    δ(r⊙h) = W_nᵀ ∇a_n,  δr = δ(r⊙h) ⊙ h(t-1)
    ∇a_z = δz ⊙ z (1 − z),  ∇a_r = δr ⊙ r (1 − r)
    δh(t-1) = δh ⊙ (1 − z) + δ(r⊙h) ⊙ r + W_rᵀ ∇a_r + W_zᵀ ∇a_z
    ∇W_n = Σ_t ∇a_n (r ⊙ h(t-1))ᵀ   (paired with r ⊙ h(t-1), not h(t-1)),
    ∇W_r = Σ_t ∇a_r h(t-1)ᵀ,  ∇W_z = Σ_t ∇a_z h(t-1)ᵀ,  ∇U_g = Σ_t ∇a_g x(t)ᵀ

Backward (torch form), with ``a_hn = W_n h(t-1) + b_hn``::

    δh̃ = δh ⊙ (1 − z),  δz = δh ⊙ (h(t-1) − h̃),  ∇a_n = δh̃ ⊙ (1 − h̃²)
    ∇a_hn = r ⊙ ∇a_n,  ∇a_r = a_hn ⊙ ∇a_n ⊙ r (1 − r),  ∇a_z = δz ⊙ z (1 − z)
    δh(t-1) = δh ⊙ z + W_nᵀ ∇a_hn + W_rᵀ ∇a_r + W_zᵀ ∇a_z
    ∇W_n = Σ_t ∇a_hn h(t-1)ᵀ,  ∇b_hn = Σ_t ∇a_hn

Two implementations, each for its reader. The step functions,
:func:`gru_step_forward` and :func:`gru_step_backward`, are these equations
written out gate by gate, one line each with the equation beside it: they are
what the book shows and what the assignment's references are. The sequence
functions, :func:`gru_forward` and :func:`gru_backward`, are written for speed:
every step's input projection in one matrix product, the activations in one
preallocated ``(T, N, 3H)`` buffer, the elementwise work in place, and
``dU, dW, dx`` after the loop as single matrix products.
``tests/test_step_functions_match_kernels.py`` holds them to the step
functions composed over time, in every output and gradient.

Besides the activations, backward needs what the reset gate acted on, which
differs between the forms: ``rh = r ⊙ h(t-1)`` in the lecture's (the vector
``W_n`` multiplies), ``a_hn = W_n h(t-1) + b_hn`` in PyTorch's (the vector ``r``
multiplies). The caches keep it in their field ``aux``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnncore._checks import ShapeChecker, float_dtype
from rnncore.activations import sigmoid

VARIANTS = ("lecture", "torch")

# --------------------------------------------------------------------------- kernels


def _lecture_forward(a, h_prev, W, rh, h) -> None:
    """Finish one step of the lecture form in place.

    ``a (N, 3H)`` holds the input part ``b + U x`` and is overwritten with the
    activations ``[r, z, h̃]``; ``rh = r ⊙ h(t-1)`` and ``h`` are written into
    the given ``(N, H)`` buffers.
    """
    H = h_prev.shape[1]
    rz, n = a[:, : 2 * H], a[:, 2 * H :]
    r, z = a[:, :H], a[:, H : 2 * H]
    rz += h_prev @ W[: 2 * H].T
    sigmoid(rz, out=rz)
    np.multiply(r, h_prev, out=rh)
    n += rh @ W[2 * H :].T
    np.tanh(n, out=n)
    # h = h(t-1) + z ⊙ (h̃ − h(t-1))
    np.subtract(n, h_prev, out=h)
    h *= z
    h += h_prev


def _torch_forward(a, h_prev, W, b_hn, a_hn, h) -> None:
    """Finish one step of PyTorch's form in place.

    ``a (N, 3H)`` holds the input part ``b + U x`` and is overwritten with the
    activations ``[r, z, h̃]``; ``a_hn = W_n h(t-1) + b_hn`` and ``h`` are
    written into the given ``(N, H)`` buffers.
    """
    H = h_prev.shape[1]
    rz, n = a[:, : 2 * H], a[:, 2 * H :]
    r, z = a[:, :H], a[:, H : 2 * H]
    rec = h_prev @ W.T
    rz += rec[:, : 2 * H]
    sigmoid(rz, out=rz)
    np.add(rec[:, 2 * H :], b_hn, out=a_hn)
    n += r * a_hn
    np.tanh(n, out=n)
    # h = h̃ + z ⊙ (h(t-1) − h̃)
    np.subtract(h_prev, n, out=h)
    h *= z
    h += n


def _lecture_backward(dh, acts, h_prev, W, da) -> np.ndarray:
    """Backward through one step of the lecture form; returns ``δh(t-1)``.

    Writes the pre-activation gradients ``[∇a_r, ∇a_z, ∇a_n]`` into ``da (N, 3H)``.
    """
    H = h_prev.shape[1]
    r, z, n = acts[:, :H], acts[:, H : 2 * H], acts[:, 2 * H :]
    da_r, da_z, da_n = da[:, :H], da[:, H : 2 * H], da[:, 2 * H :]
    np.multiply(dh, z, out=da_n)
    np.subtract(n, h_prev, out=da_z)
    dh_prev = dh * (1.0 - z)
    da_z *= dh
    da_z *= z * (1.0 - z)
    da_n *= 1.0 - n * n
    d_rh = da_n @ W[2 * H :]
    np.multiply(d_rh, h_prev, out=da_r)
    dh_prev += d_rh * r
    da_r *= r * (1.0 - r)
    dh_prev += da[:, : 2 * H] @ W[: 2 * H]
    return dh_prev


def _torch_backward(dh, acts, h_prev, a_hn, W, da, da_hn) -> np.ndarray:
    """Backward through one step of PyTorch's form; returns ``δh(t-1)``.

    Writes the input-side pre-activation gradients ``[∇a_r, ∇a_z, ∇a_n]`` into
    ``da (N, 3H)`` and ``∇a_hn = r ⊙ ∇a_n``, the gradient of
    ``a_hn = W_n h(t-1) + b_hn``, into ``da_hn (N, H)``.
    """
    H = h_prev.shape[1]
    r, z, n = acts[:, :H], acts[:, H : 2 * H], acts[:, 2 * H :]
    da_r, da_z, da_n = da[:, :H], da[:, H : 2 * H], da[:, 2 * H :]
    np.multiply(dh, 1.0 - z, out=da_n)
    np.subtract(h_prev, n, out=da_z)
    dh_prev = dh * z
    da_z *= dh
    da_z *= z * (1.0 - z)
    da_n *= 1.0 - n * n
    np.multiply(da_n, a_hn, out=da_r)
    np.multiply(da_n, r, out=da_hn)
    dh_prev += da_hn @ W[2 * H :]
    da_r *= r * (1.0 - r)
    dh_prev += da[:, : 2 * H] @ W[: 2 * H]
    return dh_prev


def _check(s: ShapeChecker, U, W, b, b_hn, variant):
    if variant not in VARIANTS:
        raise ValueError(f"{s.func}: variant must be one of {VARIANTS}, got {variant!r}")
    U = s.array("U", U, ("3H", "D"))
    W = s.array("W", W, ("3H", "H"))
    if W.shape[0] != 3 * W.shape[1]:
        raise ValueError(f"{s.func}: W must have shape (3H, H), got {W.shape}")
    b = s.array("b", b, ("3H",))
    if variant == "torch":
        if b_hn is None:
            raise ValueError(f"{s.func}: variant='torch' needs b_hn of shape (H,)")
        b_hn = s.array("b_hn", b_hn, ("H",))
    elif b_hn is not None:
        raise ValueError(f"{s.func}: b_hn belongs to variant='torch' only")
    return U, W, b, b_hn


# --------------------------------------------------------------------------- one step


class GRUStepCache(NamedTuple):
    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    acts: np.ndarray  # (N, 3H) activations [r, z, h̃]
    aux: np.ndarray  # (N, H) rh = r ⊙ h(t-1) (lecture) or a_hn = W_n h(t-1) + b_hn (torch)
    U: np.ndarray
    W: np.ndarray
    variant: str


class GRUStepGrads(NamedTuple):
    dx: np.ndarray
    dh_prev: np.ndarray
    dU: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    db_hn: np.ndarray | None


def gru_step_forward(x, h_prev, U, W, b, b_hn=None, variant: str = "lecture"):
    """One GRU step: the book's equations line by line.

    ``x (N, D)``, ``h_prev (N, H)`` → ``(h (N, H), cache)``.
    ``U (3H, D)``, ``W (3H, H)``, ``b (3H,)`` in gate order ``r, z, n``;
    ``b_hn (H,)`` is required by, and only by, ``variant="torch"``.
    """
    s = ShapeChecker("gru_step_forward")
    U, W, b, b_hn = _check(s, U, W, b, b_hn, variant)
    x = s.array("x", x, ("N", "D"))
    h_prev = s.array("h_prev", h_prev, ("N", "H"))
    # Computed in float32 if every input is float32, else in float64.
    b = b.astype(float_dtype(x, U, W, b, h_prev, b_hn), copy=False)

    U_r, U_z, U_n = np.split(U, 3)  # rows 0:H, H:2H, 2H:3H
    W_r, W_z, W_n = np.split(W, 3)
    b_r, b_z, b_n = np.split(b, 3)

    a_r = b_r + h_prev @ W_r.T + x @ U_r.T  # a_r = b_r + W_r h(t-1) + U_r x
    r = sigmoid(a_r)  # r(t) = σ(a_r)
    a_z = b_z + h_prev @ W_z.T + x @ U_z.T  # a_z = b_z + W_z h(t-1) + U_z x
    z = sigmoid(a_z)  # z(t) = σ(a_z)
    if variant == "lecture":
        rh = r * h_prev  # r(t) ⊙ h(t-1): the reset comes before W_n
        # a_n = b_n + W_n (r(t) ⊙ h(t-1)) + U_n x
        a_n = b_n + rh @ W_n.T + x @ U_n.T
        n = np.tanh(a_n)  # h̃(t) = tanh(a_n)
        h = (1 - z) * h_prev + z * n  # h(t) = (1 − z) ⊙ h(t-1) + z ⊙ h̃(t)
        acts = np.hstack([r, z, n])
        return h, GRUStepCache(x, h_prev, acts, rh, U, W, variant)
    a_hn = h_prev @ W_n.T + b_hn  # a_hn = W_n h(t-1) + b_hn: reset after W_n
    a_n = b_n + x @ U_n.T + r * a_hn  # a_n = b_n + U_n x + r(t) ⊙ a_hn
    n = np.tanh(a_n)  # h̃(t) = tanh(a_n)
    h = (1 - z) * n + z * h_prev  # h(t) = (1 − z) ⊙ h̃(t) + z ⊙ h(t-1)
    acts = np.hstack([r, z, n])
    return h, GRUStepCache(x, h_prev, acts, a_hn, U, W, variant)


def gru_step_backward(dh, cache: GRUStepCache) -> GRUStepGrads:
    """Gradients of one step: the book's backward equations line by line.

    ``dh = ∇_h(t) L (N, H)`` is the total gradient reaching ``h(t)``. The
    weight gradients are step ``t``'s terms of the sums over time
    (``+=``), summed over the batch's rows.
    """
    x, h_prev, acts, aux, U, W, variant = cache
    dh = ShapeChecker("gru_step_backward").array("dh", dh, h_prev.shape)
    r, z, n = np.split(acts, 3, axis=1)  # r(t), z(t), h̃(t)
    W_r, W_z, W_n = np.split(W, 3)  # rows 0:H, H:2H, 2H:3H

    if variant == "lecture":
        rh = aux  # r(t) ⊙ h(t-1), what W_n multiplied
        da_n = dh * z * (1 - n**2)  # ∇a_n = δh ⊙ z ⊙ (1 − h̃²)
        # ∇a_z = δh ⊙ (h̃ − h(t-1)) ⊙ z ⊙ (1 − z)
        da_z = dh * (n - h_prev) * z * (1 - z)
        d_rh = da_n @ W_n  # W_nᵀ ∇a_n, the gradient of r ⊙ h(t-1)
        # ∇a_r = h(t-1) ⊙ (W_nᵀ ∇a_n) ⊙ r ⊙ (1 − r)
        da_r = h_prev * d_rh * r * (1 - r)
        # δh(t-1) += (1 − z) ⊙ δh + r ⊙ (W_nᵀ ∇a_n) + W_zᵀ∇a_z + W_rᵀ∇a_r
        dh_prev = dh * (1 - z) + r * d_rh + da_z @ W_z + da_r @ W_r
        dW_n = da_n.T @ rh  # ∇W_n += ∇a_n (r ⊙ h(t-1))ᵀ, not ∇a_n h(t-1)ᵀ
        db_hn = None
    else:
        a_hn = aux  # W_n h(t-1) + b_hn, what r multiplied
        da_n = dh * (1 - z) * (1 - n**2)  # ∇a_n = δh ⊙ (1 − z) ⊙ (1 − h̃²)
        # ∇a_z = δh ⊙ (h(t-1) − h̃) ⊙ z ⊙ (1 − z)
        da_z = dh * (h_prev - n) * z * (1 - z)
        da_hn = r * da_n  # ∇a_hn = r ⊙ ∇a_n
        da_r = a_hn * da_n * r * (1 - r)  # ∇a_r = a_hn ⊙ ∇a_n ⊙ r ⊙ (1 − r)
        # δh(t-1) += z ⊙ δh + W_nᵀ∇a_hn + W_zᵀ∇a_z + W_rᵀ∇a_r
        dh_prev = dh * z + da_hn @ W_n + da_z @ W_z + da_r @ W_r
        dW_n = da_hn.T @ h_prev  # ∇W_n += ∇a_hn h(t-1)ᵀ
        db_hn = da_hn.sum(axis=0)  # ∇b_hn += ∇a_hn

    # The three gradients side by side, in the order of U's rows.
    da = np.concatenate([da_r, da_z, da_n], axis=1)
    dx = da @ U  # ∇x(t) = U_rᵀ∇a_r + U_zᵀ∇a_z + U_nᵀ∇a_n
    dU = da.T @ x  # ∇U += ∇a x(t)ᵀ
    # ∇W_r += ∇a_r h(t-1)ᵀ, ∇W_z += ∇a_z h(t-1)ᵀ, and ∇W_n's term above
    dW = np.concatenate([da_r.T @ h_prev, da_z.T @ h_prev, dW_n])
    db = da.sum(axis=0)  # ∇b += ∇a
    return GRUStepGrads(dx, dh_prev, dU, dW, db, db_hn)


# --------------------------------------------------------------------------- a sequence


class GRUCache(NamedTuple):
    x: np.ndarray  # (T, N, D)
    hs: np.ndarray  # (T + 1, N, H), hs[0] = h(0)
    acts: np.ndarray  # (T, N, 3H) activations [r, z, h̃]
    aux: np.ndarray  # (T, N, H) rh = r ⊙ h(t-1) (lecture) or a_hn = W_n h(t-1) + b_hn (torch)
    U: np.ndarray
    W: np.ndarray
    variant: str


class GRUGrads(NamedTuple):
    dx: np.ndarray
    dh0: np.ndarray
    dU: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    db_hn: np.ndarray | None


def gru_forward(x, U, W, b, h0=None, b_hn=None, variant: str = "lecture"):
    """Run the GRU over ``x (T, N, D)``; returns ``(h (T, N, H), cache)``.

    ``h0 (N, H)`` defaults to zeros. See the module docstring for the variants.
    """
    s = ShapeChecker("gru_forward")
    U, W, b, b_hn = _check(s, U, W, b, b_hn, variant)
    x = s.array("x", x, ("T", "N", "D"))
    h0 = s.optional("h0", h0, ("N", "H"))
    T, N, D = x.shape
    H = W.shape[1]
    dtype = float_dtype(x, U, W, b, h0, b_hn)
    acts = np.empty((T, N, 3 * H), dtype=dtype)
    np.matmul(x.reshape(T * N, D), U.T, out=acts.reshape(T * N, 3 * H))
    acts += b
    hs = np.empty((T + 1, N, H), dtype=dtype)
    hs[0] = 0.0 if h0 is None else h0
    W_c = np.ascontiguousarray(W, dtype=dtype)
    if variant == "lecture":
        rh = np.empty((T, N, H), dtype=dtype)  # r ⊙ h(t-1) at every step
        for t in range(T):
            _lecture_forward(acts[t], hs[t], W_c, rh[t], hs[t + 1])
        return hs[1:], GRUCache(x, hs, acts, rh, U, W, variant)
    a_hn = np.empty((T, N, H), dtype=dtype)  # W_n h(t-1) + b_hn at every step
    for t in range(T):
        _torch_forward(acts[t], hs[t], W_c, b_hn, a_hn[t], hs[t + 1])
    return hs[1:], GRUCache(x, hs, acts, a_hn, U, W, variant)


def gru_backward(dh, cache: GRUCache) -> GRUGrads:
    """BPTT for the GRU given ``dh = ∇_h(t) L`` ``(T, N, H)`` from outside the recurrence.

    Returns ``dx (T, N, D)``, ``dh0 (N, H)``, ``dU, dW, db``, and ``db_hn`` (torch variant).
    """
    x, hs, acts, aux, U, W, variant = cache
    T, N, D = x.shape
    H = W.shape[1]
    dh = ShapeChecker("gru_backward").array("dh", dh, (T, N, H))
    dtype = np.result_type(acts, dh)
    da = np.empty((T, N, 3 * H), dtype=dtype)
    carry = np.zeros((N, H), dtype=dtype)
    W_c = np.ascontiguousarray(W, dtype=dtype)
    da2 = da.reshape(T * N, 3 * H)
    hprev2 = hs[:-1].reshape(T * N, H)
    if variant == "lecture":
        rh = aux  # r ⊙ h(t-1) at every step
        for t in range(T - 1, -1, -1):
            carry = _lecture_backward(dh[t] + carry, acts[t], hs[t], W_c, da[t])
        dW_n = da2[:, 2 * H :].T @ rh.reshape(T * N, H)  # Σ ∇a_n (r ⊙ h(t-1))ᵀ
        db_hn = None
    else:
        a_hn = aux  # W_n h(t-1) + b_hn at every step
        da_hn = np.zeros((T, N, H), dtype=dtype)
        for t in range(T - 1, -1, -1):
            carry = _torch_backward(dh[t] + carry, acts[t], hs[t], a_hn[t], W_c, da[t], da_hn[t])
        dW_n = da_hn.reshape(T * N, H).T @ hprev2  # Σ ∇a_hn h(t-1)ᵀ
        db_hn = da_hn.reshape(T * N, H).sum(axis=0)
    return GRUGrads(
        dx=(da2 @ U).reshape(T, N, D),
        dh0=carry,
        dU=da2.T @ x.reshape(T * N, D),
        dW=np.concatenate([da2[:, : 2 * H].T @ hprev2, dW_n]),
        db=da2.sum(axis=0),
        db_hn=db_hn,
    )
