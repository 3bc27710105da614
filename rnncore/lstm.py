"""The LSTM layer: one step and a whole sequence, optionally with peepholes.

Book notation (chapter *LSTM*); the four gates are stacked in the order
``i, f, g, o`` in ``U (4H, D)``, ``W (4H, H)``, ``b (4H,)``, as PyTorch does.
The book writes the cell state ``s(t)`` (Goodfellow's and Graves' letter); the
code calls it ``c``, as PyTorch does (``c_n``)::

    a_i = b_i + U_i x(t) + W_i h(t-1) + p_i ⊙ s(t-1),   i(t) = σ(a_i)      input gate
    a_f = b_f + U_f x(t) + W_f h(t-1) + p_f ⊙ s(t-1),   f(t) = σ(a_f)      forget gate
    a_g = b_g + U_g x(t) + W_g h(t-1),                  g(t) = tanh(a_g)   candidate
    s(t) = f(t) ⊙ s(t-1) + i(t) ⊙ g(t)                                     cell state
    a_o = b_o + U_o x(t) + W_o h(t-1) + p_o ⊙ s(t),     o(t) = σ(a_o)      output gate
    h(t) = o(t) ⊙ tanh(s(t))

``b`` is one bias per gate, PyTorch's ``bias_ih + bias_hh``. The peephole
weights ``p (3, H)`` (rows ``p_i, p_f, p_o``; Gers & Schmidhuber 2000, "Recurrent
nets that time and count", and Gers, Schraudolph & Schmidhuber 2002) are
optional; without them those terms vanish and this is ``torch.nn.LSTM``.

Backward through the cell. ``δh(t)`` is the total gradient reaching ``h(t)``
(from the output at ``t`` and from step ``t+1``); the cell's total gradient is
written once::

    δs(t) = δs(t+1) ⊙ f(t+1) [+ p_i ⊙ ∇a_i(t+1) + p_f ⊙ ∇a_f(t+1)]
            + δh(t) ⊙ o(t) ⊙ (1 − tanh² s(t)) [+ p_o ⊙ ∇a_o(t)]
    ∇a_o = δh ⊙ tanh(s) ⊙ o (1 − o)      ∇a_i = δs ⊙ g ⊙ i (1 − i)
    ∇a_f = δs ⊙ s(t-1) ⊙ f (1 − f)       ∇a_g = δs ⊙ i ⊙ (1 − g²)
    δh(t-1) ⊇ Σ_gates W_gᵀ ∇a_g          ∇U = Σ_t ∇a xᵀ,  ∇W = Σ_t ∇a h(t-1)ᵀ,  ∇b = Σ_t ∇a
    ∇p_i = Σ_t ∇a_i ⊙ s(t-1),  ∇p_f = Σ_t ∇a_f ⊙ s(t-1),  ∇p_o = Σ_t ∇a_o ⊙ s(t)

(terms in brackets only with peepholes). Without peepholes the gradient passed
from ``s(t)`` to ``s(t-1)`` is multiplied by ``f(t)`` and nothing else: the
constant error carousel.

Two implementations, each for its reader. The step functions,
:func:`lstm_step_forward` and :func:`lstm_step_backward`, are the equations
above written out gate by gate, one line each with the equation beside it:
they are what the book shows and what the assignment's references are. The
sequence functions, :func:`lstm_forward` and :func:`lstm_backward`, are written
for speed: they compute every step's input projection in one matrix product,
activate all four gates with one ``tanh`` of pre-scaled pre-activations, keep
all gate activations in one preallocated ``(T, N, 4H)`` buffer, do the
elementwise work in place, and form ``dU, dW, dx`` after the loop as single
matrix products. ``tests/test_step_functions_match_kernels.py`` holds them to
the step functions composed over time, in every output and gradient.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from rnncore._checks import ShapeChecker, float_dtype
from rnncore._shared import weight_grads
from rnncore.activations import sigmoid

# --------------------------------------------------------------------------- kernels


@lru_cache(maxsize=32)
def _gate_rows(H: int, dtype_str: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows ``(4H,)`` that let one ``tanh`` activate all four gates at once.

    With ``σ(a) = ½ + ½ tanh(a/2)``: scale the pre-activations by ``SCALE``
    (½ for ``i, f, o``, 1 for ``g``), take ``tanh``, multiply by ``SCALE`` and
    add ``SHIFT`` (½ for ``i, f, o``, 0 for ``g``). ``G_ONE`` is 1 on ``g``'s
    columns only, used by the backward pass to form ``1 − g²``.
    """
    half = np.full(H, 0.5)
    one, zero = np.ones(H), np.zeros(H)
    rows = (
        np.concatenate([half, half, one, half]),
        np.concatenate([half, half, zero, half]),
        np.concatenate([zero, zero, one, zero]),
    )
    for r in rows:
        r.flags.writeable = False
    return tuple(r.astype(dtype_str) for r in rows)


def _cell_forward(a, c_prev, p, c, tc, h) -> None:
    """Finish one step of :func:`lstm_forward` in place.

    ``a (N, 4H)`` holds the pre-activations ``b + U x + W h(t-1)`` and is
    overwritten with the activations ``[i, f, g, o]``; ``c``, ``tc = tanh(c)``
    and ``h`` are written into the given ``(N, H)`` buffers. Without peepholes
    ``a`` must have been computed with weights already multiplied by ``SCALE``
    (see :func:`_gate_rows`), which saves one pass over ``a`` per step.
    """
    H = c_prev.shape[1]
    i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
    if p is None:
        # All four gates in three passes over one contiguous block (see _gate_rows).
        scale, shift, _ = _gate_rows(H, a.dtype.str)
        np.tanh(a, out=a)
        a *= scale
        a += shift
    else:
        # The output gate's peephole needs c(t), so o is activated after the cell.
        i += p[0] * c_prev
        f += p[1] * c_prev
        sigmoid(a[:, : 2 * H], out=a[:, : 2 * H])
        np.tanh(g, out=g)
    np.multiply(f, c_prev, out=c)
    np.multiply(i, g, out=tc)  # tc used as scratch before it holds tanh(c)
    c += tc
    if p is not None:
        o += p[2] * c
        sigmoid(o, out=o)
    np.tanh(c, out=tc)
    np.multiply(o, tc, out=h)


def _cell_backward(dh, dc, acts, c_prev, tc, p, da) -> np.ndarray:
    """Backward through one cell of :func:`lstm_backward`; writes ``∇_a (N, 4H)`` into ``da``, returns ``δc(t-1)``.

    ``dh``, ``dc`` are the total gradients reaching ``h(t)`` and ``c(t)``;
    ``acts`` the activations ``[i, f, g, o]``; ``tc = tanh(c(t))``.
    """
    H = tc.shape[1]
    i, f, g, o = acts[:, :H], acts[:, H : 2 * H], acts[:, 2 * H : 3 * H], acts[:, 3 * H :]
    da_i, da_f, da_g, da_o = da[:, :H], da[:, H : 2 * H], da[:, 2 * H : 3 * H], da[:, 3 * H :]
    # Derivatives of all four activations in one block: σ' = σ(1 − σ), tanh' = (1 − g)(1 + g).
    _, _, g_one = _gate_rows(H, acts.dtype.str)
    deriv = 1.0 - acts
    deriv *= acts + g_one
    # δo = δh ⊙ tanh(c);  δc = δc_next + δh ⊙ o ⊙ (1 − tanh²c)
    np.multiply(dh, tc, out=da_o)
    dct = tc * tc
    np.subtract(1.0, dct, out=dct)
    dct *= o
    dct *= dh
    dct += dc
    if p is not None:
        da_o *= deriv[:, 3 * H :]
        dct += p[2] * da_o
    # δi = δc ⊙ g,  δf = δc ⊙ c(t-1),  δg = δc ⊙ i
    np.multiply(dct, g, out=da_i)
    np.multiply(dct, c_prev, out=da_f)
    np.multiply(dct, i, out=da_g)
    if p is None:
        da *= deriv
    else:
        da[:, : 3 * H] *= deriv[:, : 3 * H]
    dct *= f  # now δc(t-1) along the carousel
    if p is not None:
        dct += p[0] * da_i
        dct += p[1] * da_f
    return dct


def _peephole_grads(da, c_prev, c) -> np.ndarray:
    """``dp (3, H)``: ``Σ ∇a_i ⊙ c(t-1)``, ``Σ ∇a_f ⊙ c(t-1)``, ``Σ ∇a_o ⊙ c(t)`` over all but H."""
    H = c.shape[-1]
    axes = tuple(range(c.ndim - 1))
    return np.stack(
        [
            (da[..., :H] * c_prev).sum(axis=axes),
            (da[..., H : 2 * H] * c_prev).sum(axis=axes),
            (da[..., 3 * H :] * c).sum(axis=axes),
        ]
    )


def _check_weights(s: ShapeChecker, U, W, b, p):
    U = s.array("U", U, ("4H", "D"))
    W = s.array("W", W, ("4H", "H"))
    if W.shape[0] != 4 * W.shape[1]:
        raise ValueError(f"{s.func}: W must have shape (4H, H), got {W.shape}")
    b = s.array("b", b, ("4H",))
    p = s.optional("p", p, (3, "H"))
    return U, W, b, p


# --------------------------------------------------------------------------- one step


class LSTMStepCache(NamedTuple):
    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    c_prev: np.ndarray  # (N, H)
    acts: np.ndarray  # (N, 4H) gate activations [i, f, g, o]
    c: np.ndarray  # (N, H)
    tc: np.ndarray  # (N, H) tanh(c)
    U: np.ndarray
    W: np.ndarray
    p: np.ndarray | None


class LSTMStepGrads(NamedTuple):
    dx: np.ndarray
    dh_prev: np.ndarray
    dc_prev: np.ndarray
    dU: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    dp: np.ndarray | None


def lstm_step_forward(x, h_prev, c_prev, U, W, b, p=None):
    """One LSTM step: the book's equations line by line.

    The book's cell state ``s`` is ``c`` here, as in PyTorch.

    Args:
        x: ``(N, D)``; h_prev, c_prev: ``(N, H)``.
        U: ``(4H, D)``; W: ``(4H, H)``; b: ``(4H,)``, gates in the order
            ``i, f, g, o``.
        p: optional peephole weights ``(3, H)``, rows ``p_i, p_f, p_o``.

    Returns:
        ``(h, c, cache)`` with ``h, c (N, H)``.
    """
    s = ShapeChecker("lstm_step_forward")
    U, W, b, p = _check_weights(s, U, W, b, p)
    x = s.array("x", x, ("N", "D"))
    h_prev = s.array("h_prev", h_prev, ("N", "H"))
    c_prev = s.array("c_prev", c_prev, ("N", "H"))
    # Computed in float32 if every input is float32, else in float64.
    b = b.astype(float_dtype(x, h_prev, c_prev, U, W, b, p), copy=False)

    U_i, U_f, U_g, U_o = np.split(U, 4)  # rows 0:H, H:2H, 2H:3H, 3H:4H
    W_i, W_f, W_g, W_o = np.split(W, 4)
    b_i, b_f, b_g, b_o = np.split(b, 4)
    # Without peepholes their terms vanish.
    p_i, p_f, p_o = (0, 0, 0) if p is None else p

    a_i = b_i + x @ U_i.T + h_prev @ W_i.T  # a_i = b_i + U_i x + W_i h(t-1)
    a_f = b_f + x @ U_f.T + h_prev @ W_f.T  # a_f = b_f + U_f x + W_f h(t-1)
    a_g = b_g + x @ U_g.T + h_prev @ W_g.T  # a_g = b_g + U_g x + W_g h(t-1)
    a_o = b_o + x @ U_o.T + h_prev @ W_o.T  # a_o = b_o + U_o x + W_o h(t-1)
    i = sigmoid(a_i + p_i * c_prev)  # i(t) = σ(a_i + p_i ⊙ s(t-1))
    f = sigmoid(a_f + p_f * c_prev)  # f(t) = σ(a_f + p_f ⊙ s(t-1))
    g = np.tanh(a_g)  # g(t) = tanh(a_g)
    c = f * c_prev + i * g  # s(t) = f(t) ⊙ s(t-1) + i(t) ⊙ g(t)
    o = sigmoid(a_o + p_o * c)  # o(t) = σ(a_o + p_o ⊙ s(t))
    tc = np.tanh(c)  # tanh(s(t))
    h = o * tc  # h(t) = o(t) ⊙ tanh(s(t))

    acts = np.concatenate([i, f, g, o], axis=1)  # in the order of U's rows
    return h, c, LSTMStepCache(x, h_prev, c_prev, acts, c, tc, U, W, p)


def lstm_step_backward(dh, dc, cache: LSTMStepCache) -> LSTMStepGrads:
    """Gradients of one step: the book's backward equations line by line.

    ``dh = ∇_h(t) L`` is the total gradient reaching ``h(t)``; ``dc`` is
    the part of ``∇_c(t) L`` that arrives from step ``t+1``,
    ``δs(t+1) ⊙ f(t+1)`` plus, with peepholes, ``p_i ⊙ ∇a_i(t+1) +
    p_f ⊙ ∇a_f(t+1)`` (zeros at the last step); both ``(N, H)``. The
    returned ``dc_prev`` is that part for step ``t-1``. The weight
    gradients are step ``t``'s terms of the sums over time (``+=``),
    summed over the batch's rows.
    """
    s = ShapeChecker("lstm_step_backward")
    dh = s.array("dh", dh, cache.c.shape)
    dc = s.array("dc", dc, cache.c.shape)
    x, h_prev, c_prev, acts, c, tc, U, W, p = cache
    i, f, g, o = np.split(acts, 4, axis=1)
    # Without peepholes their terms vanish.
    p_i, p_f, p_o = (0, 0, 0) if p is None else p

    da_o = dh * tc * o * (1 - o)  # ∇a_o = δh ⊙ tanh(s(t)) ⊙ o ⊙ (1 − o)
    # δs(t) = dc + δh ⊙ o ⊙ (1 − tanh² s(t)) + p_o ⊙ ∇a_o
    ds = dc + dh * o * (1 - tc**2) + p_o * da_o
    da_i = ds * g * i * (1 - i)  # ∇a_i = δs ⊙ g ⊙ i ⊙ (1 − i)
    da_f = ds * c_prev * f * (1 - f)  # ∇a_f = δs ⊙ s(t-1) ⊙ f ⊙ (1 − f)
    da_g = ds * i * (1 - g**2)  # ∇a_g = δs ⊙ i ⊙ (1 − g²)
    # Step t-1's dc: δs(t) ⊙ f(t) + p_i ⊙ ∇a_i + p_f ⊙ ∇a_f
    dc_prev = ds * f + p_i * da_i + p_f * da_f

    # The four gates' gradients side by side, in the order of U's rows.
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)
    dx = da @ U  # ∇x(t) = U_iᵀ∇a_i + U_fᵀ∇a_f + U_gᵀ∇a_g + U_oᵀ∇a_o
    dh_prev = da @ W  # δh(t-1) += W_iᵀ∇a_i + W_fᵀ∇a_f + W_gᵀ∇a_g + W_oᵀ∇a_o
    dU = da.T @ x  # ∇U += ∇a x(t)ᵀ
    dW = da.T @ h_prev  # ∇W += ∇a h(t-1)ᵀ
    db = da.sum(axis=0)  # ∇b += ∇a
    dp = None
    if p is not None:
        dp_i = (da_i * c_prev).sum(axis=0)  # ∇p_i += ∇a_i ⊙ s(t-1)
        dp_f = (da_f * c_prev).sum(axis=0)  # ∇p_f += ∇a_f ⊙ s(t-1)
        dp_o = (da_o * c).sum(axis=0)  # ∇p_o += ∇a_o ⊙ s(t)
        dp = np.stack([dp_i, dp_f, dp_o])
    return LSTMStepGrads(dx, dh_prev, dc_prev, dU, dW, db, dp)


# --------------------------------------------------------------------------- a sequence


class LSTMCache(NamedTuple):
    """Everything :func:`lstm_backward` needs; ``acts`` is also what gate plots show.

    ``hs`` and ``cs`` hold ``T + 1`` states: index 0 is the initial state.
    """

    x: np.ndarray  # (T, N, D)
    hs: np.ndarray  # (T + 1, N, H)
    cs: np.ndarray  # (T + 1, N, H)
    tcs: np.ndarray  # (T, N, H) tanh(c(t))
    acts: np.ndarray  # (T, N, 4H) gate activations [i, f, g, o]
    U: np.ndarray
    W: np.ndarray
    p: np.ndarray | None


class LSTMGrads(NamedTuple):
    dx: np.ndarray
    dh0: np.ndarray
    dc0: np.ndarray
    dU: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    dp: np.ndarray | None


def lstm_forward(x, U, W, b, h0=None, c0=None, p=None):
    """Run the LSTM over a sequence.

    Args:
        x: ``(T, N, D)``, time-major.
        U: ``(4H, D)``; W: ``(4H, H)``; b: ``(4H,)``, PyTorch's ``bias_ih + bias_hh``.
        h0, c0: initial states ``(N, H)``; zeros when omitted.
        p: optional peepholes ``(3, H)``.

    Returns:
        ``(h, cache)``: ``h (T, N, H)`` are ``h(1..T)``; the cell states are
        ``cache.cs[1:]`` and the final one ``cache.cs[-1]``.
    """
    s = ShapeChecker("lstm_forward")
    U, W, b, p = _check_weights(s, U, W, b, p)
    x = s.array("x", x, ("T", "N", "D"))
    h0 = s.optional("h0", h0, ("N", "H"))
    c0 = s.optional("c0", c0, ("N", "H"))
    T, N, D = x.shape
    H = W.shape[1]
    dtype = float_dtype(x, U, W, b, h0, c0, p)
    acts = np.empty((T, N, 4 * H), dtype=dtype)
    hs = np.empty((T + 1, N, H), dtype=dtype)
    cs = np.empty((T + 1, N, H), dtype=dtype)
    tcs = np.empty((T, N, H), dtype=dtype)
    hs[0] = 0.0 if h0 is None else h0
    cs[0] = 0.0 if c0 is None else c0
    # Without peepholes every gate is activated by one tanh of SCALE-scaled
    # pre-activations; scaling the weights once here saves a pass per step.
    scale = _gate_rows(H, np.dtype(dtype).str)[0] if p is None else np.ones(4 * H, dtype)
    U_s = (U * scale[:, None]).astype(dtype, copy=False)
    WT_s = np.ascontiguousarray((W * scale[:, None]).T, dtype=dtype)
    b_s = (b * scale).astype(dtype, copy=False)
    np.matmul(x.reshape(T * N, D), U_s.T, out=acts.reshape(T * N, 4 * H))
    rec = np.empty((N, 4 * H), dtype=dtype)
    for t in range(T):
        np.matmul(hs[t], WT_s, out=rec)
        rec += b_s  # the bias is added here, while rec is in cache, not in a pass over all T
        acts[t] += rec
        _cell_forward(acts[t], cs[t], p, cs[t + 1], tcs[t], hs[t + 1])
    return hs[1:], LSTMCache(x, hs, cs, tcs, acts, U, W, p)


def lstm_backward(dh, cache: LSTMCache, dc_last=None) -> LSTMGrads:
    """Backpropagation through time for the LSTM.

    Args:
        dh: ``∇_h(t) L`` from outside the recurrence, ``(T, N, H)``.
        dc_last: optional gradient on the final cell state ``c(T)`` ``(N, H)``
            (when ``c(T)`` is handed on, e.g. to a decoder).

    Returns:
        ``dx (T, N, D)``, ``dh0, dc0 (N, H)``, ``dU, dW, db`` and ``dp`` (``None``
        without peepholes), summed over time and batch.
    """
    x, hs, cs, tcs, acts, U, W, p = cache
    T, N, D = x.shape
    H = W.shape[1]
    s = ShapeChecker("lstm_backward")
    dh = s.array("dh", dh, (T, N, H))
    dc_last = s.optional("dc_last", dc_last, (N, H))
    dtype = np.result_type(acts, dh)
    da = np.empty((T, N, 4 * H), dtype=dtype)
    dh_carry = np.zeros((N, H), dtype=dtype)
    dc = np.zeros((N, H), dtype=dtype) if dc_last is None else dc_last.astype(dtype)
    dh_t = np.empty((N, H), dtype=dtype)
    W_c = np.ascontiguousarray(W, dtype=dtype)
    for t in range(T - 1, -1, -1):
        np.add(dh[t], dh_carry, out=dh_t)
        dc = _cell_backward(dh_t, dc, acts[t], cs[t], tcs[t], p, da[t])
        np.matmul(da[t], W_c, out=dh_carry)
    dx, dU, dW, db = weight_grads(da, x, hs[:-1], U)
    dp = None if p is None else _peephole_grads(da, cs[:-1], cs[1:])
    return LSTMGrads(dx=dx, dh0=dh_carry, dc0=dc, dU=dU, dW=dW, db=db, dp=dp)
