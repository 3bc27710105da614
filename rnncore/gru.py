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
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnncore._checks import ShapeChecker, float_dtype
from rnncore.activations import sigmoid

VARIANTS = ("lecture", "torch")

# --------------------------------------------------------------------------- kernels


def _cell_forward(a, h_prev, W, b_hn, variant, aux, h) -> None:
    """Finish one step in place.

    ``a (N, 3H)`` holds the input part ``b + U x`` and is overwritten with the
    activations ``[r, z, h̃]``. ``aux (N, H)`` receives what backward needs
    besides the activations: ``r ⊙ h(t-1)`` (lecture) or ``W_n h(t-1) + b_hn`` (torch).
    """
    H = h_prev.shape[1]
    rz, n = a[:, : 2 * H], a[:, 2 * H :]
    r, z = a[:, :H], a[:, H : 2 * H]
    if variant == "lecture":
        rz += h_prev @ W[: 2 * H].T
        sigmoid(rz, out=rz)
        np.multiply(r, h_prev, out=aux)
        n += aux @ W[2 * H :].T
    else:
        rec = h_prev @ W.T
        rz += rec[:, : 2 * H]
        sigmoid(rz, out=rz)
        np.add(rec[:, 2 * H :], b_hn, out=aux)
        n += r * aux
    np.tanh(n, out=n)
    # lecture: h = h(t-1) + z ⊙ (h̃ − h(t-1));  torch: h = h̃ + z ⊙ (h(t-1) − h̃)
    start, end = (h_prev, n) if variant == "lecture" else (n, h_prev)
    np.subtract(end, start, out=h)
    h *= z
    h += start


def _cell_backward(dh, acts, h_prev, aux, W, variant, da, dhn) -> np.ndarray:
    """Backward through one step; returns ``δh(t-1)``.

    Writes the input-side pre-activation gradients ``[∇a_r, ∇a_z, ∇a_n]`` into
    ``da (N, 3H)``; in the torch variant also ``dhn = r ⊙ ∇a_n``, the gradient
    of ``W_n h(t-1) + b_hn``, into ``dhn (N, H)``.
    """
    H = h_prev.shape[1]
    r, z, n = acts[:, :H], acts[:, H : 2 * H], acts[:, 2 * H :]
    da_r, da_z, da_n = da[:, :H], da[:, H : 2 * H], da[:, 2 * H :]
    if variant == "lecture":
        np.multiply(dh, z, out=da_n)
        np.subtract(n, h_prev, out=da_z)
        dh_prev = dh * (1.0 - z)
    else:
        np.multiply(dh, 1.0 - z, out=da_n)
        np.subtract(h_prev, n, out=da_z)
        dh_prev = dh * z
    da_z *= dh
    da_z *= z * (1.0 - z)
    da_n *= 1.0 - n * n
    if variant == "lecture":
        d_rh = da_n @ W[2 * H :]
        np.multiply(d_rh, h_prev, out=da_r)
        dh_prev += d_rh * r
    else:
        np.multiply(da_n, aux, out=da_r)
        np.multiply(da_n, r, out=dhn)
        dh_prev += dhn @ W[2 * H :]
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
    aux: np.ndarray  # (N, H) r ⊙ h(t-1) (lecture) or W_n h(t-1) + b_hn (torch)
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
    """One GRU step: ``x (N, D)``, ``h_prev (N, H)`` → ``(h (N, H), cache)``.

    ``U (3H, D)``, ``W (3H, H)``, ``b (3H,)`` in gate order ``r, z, n``;
    ``b_hn (H,)`` is required by, and only by, ``variant="torch"``.
    """
    s = ShapeChecker("gru_step_forward")
    U, W, b, b_hn = _check(s, U, W, b, b_hn, variant)
    x = s.array("x", x, ("N", "D"))
    h_prev = s.array("h_prev", h_prev, ("N", "H"))
    a = (x @ U.T + b).astype(float_dtype(x, U, W, b, h_prev, b_hn), copy=False)
    aux = np.empty_like(h_prev, dtype=a.dtype)
    h = np.empty_like(aux)
    _cell_forward(a, h_prev, W, b_hn, variant, aux, h)
    return h, GRUStepCache(x, h_prev, a, aux, U, W, variant)


def gru_step_backward(dh, cache: GRUStepCache) -> GRUStepGrads:
    """Gradients of one step given ``dh = ∇_h(t) L`` ``(N, H)``."""
    x, h_prev, acts, aux, U, W, variant = cache
    dh = ShapeChecker("gru_step_backward").array("dh", dh, h_prev.shape)
    H = h_prev.shape[1]
    da = np.empty_like(acts, dtype=np.result_type(acts, dh))
    dhn = np.empty_like(h_prev, dtype=da.dtype)
    dh_prev = _cell_backward(dh, acts, h_prev, aux, W, variant, da, dhn)
    rec_n = aux if variant == "lecture" else h_prev
    d_rec_n = da[:, 2 * H :] if variant == "lecture" else dhn
    dW = np.concatenate([da[:, : 2 * H].T @ h_prev, d_rec_n.T @ rec_n])
    return GRUStepGrads(
        dx=da @ U,
        dh_prev=dh_prev,
        dU=da.T @ x,
        dW=dW,
        db=da.sum(axis=0),
        db_hn=dhn.sum(axis=0) if variant == "torch" else None,
    )


# --------------------------------------------------------------------------- a sequence


class GRUCache(NamedTuple):
    x: np.ndarray  # (T, N, D)
    hs: np.ndarray  # (T + 1, N, H), hs[0] = h(0)
    acts: np.ndarray  # (T, N, 3H) activations [r, z, h̃]
    aux: np.ndarray  # (T, N, H)
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
    aux = np.empty((T, N, H), dtype=dtype)
    W_c = np.ascontiguousarray(W, dtype=dtype)
    for t in range(T):
        _cell_forward(acts[t], hs[t], W_c, b_hn, variant, aux[t], hs[t + 1])
    return hs[1:], GRUCache(x, hs, acts, aux, U, W, variant)


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
    dhn = np.zeros((T, N, H), dtype=dtype)
    carry = np.zeros((N, H), dtype=dtype)
    W_c = np.ascontiguousarray(W, dtype=dtype)
    for t in range(T - 1, -1, -1):
        carry = _cell_backward(dh[t] + carry, acts[t], hs[t], aux[t], W_c, variant, da[t], dhn[t])
    da2 = da.reshape(T * N, 3 * H)
    hprev2 = hs[:-1].reshape(T * N, H)
    if variant == "lecture":
        dW_n = da2[:, 2 * H :].T @ aux.reshape(T * N, H)
    else:
        dW_n = dhn.reshape(T * N, H).T @ hprev2
    return GRUGrads(
        dx=(da2 @ U).reshape(T, N, D),
        dh0=carry,
        dU=da2.T @ x.reshape(T * N, D),
        dW=np.concatenate([da2[:, : 2 * H].T @ hprev2, dW_n]),
        db=da2.sum(axis=0),
        db_hn=dhn.reshape(T * N, H).sum(axis=0) if variant == "torch" else None,
    )
