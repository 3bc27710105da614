"""Checks of assignment 6 (architectures): a bidirectional RNN, and a decoder trained with teacher forcing.

Bidirectional (book, *Bidirectional networks*)::

    h→(t) = tanh(b_f + W_f h→(t-1) + U_f x(t)),   h←(t) = tanh(b_b + W_b h←(t+1) + U_b x(t))
    h(t) = [h→(t); h←(t)]                                              (T, N, 2H)

Both directions start from zero states. The assignment fixes the cache as
``(cache_f, cache_b)``: the caches of ``rnncore.rnn.rnn_forward`` on ``x`` and
on ``x[::-1]``.

Teacher forcing (book, *Teacher forcing and exposure bias*): the decoder
reads the previous target, ``y_in = [bos, y(1), …, y(T-1)]``, starting from
the encoder's summary ``h0``::

    x(t) = E[y_in(t)],  h = RNN(x; U, W, b, h0),  o(t) = c + V h(t),  L = −Σ_t Σ_n log softmax(o(t))[y(t)]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnncore import rnn
from rnncore.bidirectional import bidirectional_backward, bidirectional_forward
from rnncore.grading.engine import (
    LONG,
    GradingError,
    Path,
    as_array,
    call_student,
    compare_scalar,
    compare_states,
    first_of,
    fresh_rng,
    grade_backward,
    in_both_precisions,
    random_shapes,
    rnn_params,
)
from rnncore.layers import affine_backward, affine_forward, embedding_backward, embedding_forward
from rnncore.losses import softmax_cross_entropy

DIRECTIONS = ("f", "b")
BIDIRECTIONAL_PATHS = {
    "x": Path(
        {"U_f": "a_f(t) (left to right)", "U_b": "a_b(t) (right to left)"},
        "dx(t) = ∇a_f(t) U_f + ∇a_b(t) U_b, the right-to-left part put back in the order of x",
    )
}
DECODER_PATHS = {
    "h0": Path({"W": "a(t)"}, "dh0 = ∇a(0) W, from the first step"),
    "E": Path({"U": "a(t)"}, "dE[k] = the sum of ∇a(t) U over the positions whose input y_in is k"),
}


def _bidirectional_inputs(rng, s):
    inputs = {"x": rng.standard_normal((s.T, s.N, s.D))}
    for d in DIRECTIONS:
        inputs.update({f"{k}_{d}": v for k, v in rnn_params(rng, s).items()})
    return inputs


def _split(params: dict, d: str) -> dict:
    return {k: params[f"{k}_{d}"] for k in ("U", "W", "b")}


def bidirectional_reference(x, U_f, W_f, b_f, U_b, W_b, b_b):
    """rnncore's bidirectional RNN with the assignment's signature and cache: ``(h, (cache_f, cache_b))``."""
    h_f, cache_f = rnn.rnn_forward(x, U_f, W_f, b_f)
    h_b, cache_b = rnn.rnn_forward(x[::-1], U_b, W_b, b_b)
    return np.concatenate([h_f, h_b[::-1]], axis=-1), (cache_f, cache_b)


def _bidirectional_twin(x, U_f, W_f, b_f, U_b, W_b, b_b):
    import torch

    from rnncore.torch_ref import rnn_forward_torch

    h_b = rnn_forward_torch(torch.flip(x, [0]), U_b, W_b, b_b)
    return torch.cat([rnn_forward_torch(x, U_f, W_f, b_f), torch.flip(h_b, [0])], dim=-1)


@in_both_precisions
def check_bidirectional_forward(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``bidirectional_forward(x, U_f, W_f, b_f, U_b, W_b, b_b) -> (h (T, N, 2H), cache)``."""
    name = "bidirectional_forward"
    rng = fresh_rng(seed)
    for _ in range(trials):
        s = random_shapes(rng)
        inputs = _bidirectional_inputs(rng, s)
        ref = bidirectional_reference(**inputs)[0]
        h = as_array(name, "h", first_of(call_student(name, student, *inputs.values())), ref.shape)
        compare_states(f"{name} (left-to-right half h[..., :H])", ref[..., : s.H], h[..., : s.H])
        # The right-to-left half departs first at the latest step: it reads x from t=T-1 down to 0.
        compare_states(f"{name} (right-to-left half h[..., H:])", ref[..., s.H :], h[..., s.H :], reading="backward")


@in_both_precisions(scale=LONG)
def check_bidirectional_backward(student_backward: Callable, seed: int | None = None) -> None:
    """``bidirectional_backward(dh, cache) -> (dx, dU_f, dW_f, db_f, dU_b, dW_b, db_b)`` on ``(cache_f, cache_b)``."""
    rng = fresh_rng(seed)
    s = random_shapes(rng)
    inputs = _bidirectional_inputs(rng, s)
    dh = rng.standard_normal((s.T, s.N, 2 * s.H))
    returned = call_student("bidirectional_backward", student_backward, dh, bidirectional_reference(**inputs)[1])
    _, cache = bidirectional_forward(inputs["x"], _split(inputs, "f"), _split(inputs, "b"), "rnn")
    dx, g_f, g_b, _, _ = bidirectional_backward(dh, cache)
    reference = {"dx": dx, **{f"d{k}_f": v for k, v in g_f.items()}, **{f"d{k}_b": v for k, v in g_b.items()}}

    def forward(**kw):
        return bidirectional_reference(**kw)[0]

    order = ("dx", "dU_f", "dW_f", "db_f", "dU_b", "dW_b", "db_b")
    grade_backward(
        "bidirectional_backward",
        returned,
        order,
        reference,
        forward,
        inputs,
        dh,
        _bidirectional_twin,
        ("x",),
        paths=BIDIRECTIONAL_PATHS,
    )


# --------------------------------------------------------------------------- teacher forcing


def teacher_forced_inputs(y, bos: int):
    """``y_in = [bos, y(1), …, y(T-1)]``: the decoder reads the previous target; ``(T, N)``."""
    return np.concatenate([np.full((1, y.shape[1]), bos, dtype=y.dtype), y[:-1]])


def decoder_loss_and_grads(h0, y, E, U, W, b, V, c, bos):
    """rnncore's teacher-forced decoder: ``(L, grads)`` with grads named ``dh0, dE, dU, dW, db, dV, dc``."""
    x, emb_cache = embedding_forward(teacher_forced_inputs(y, bos), E)
    h, rnn_cache = rnn.rnn_forward(x, U, W, b, h0)
    o, out_cache = affine_forward(h, V, c)
    loss, do = softmax_cross_entropy(o, y)
    g_out = affine_backward(do, out_cache)
    g_rnn = rnn.rnn_backward(g_out.dh, rnn_cache)
    grads = {"dh0": g_rnn.dh0, "dE": embedding_backward(g_rnn.dx, emb_cache), "dU": g_rnn.dU, "dW": g_rnn.dW}
    return loss, {**grads, "db": g_rnn.db, "dV": g_out.dV, "dc": g_out.dc}


def _decoder_twin(y, bos):
    def twin(h0, E, U, W, b, V, c):
        from rnncore.torch_ref import (
            affine_forward_torch,
            embedding_forward_torch,
            rnn_forward_torch,
            softmax_cross_entropy_torch,
        )

        x = embedding_forward_torch(teacher_forced_inputs(y, bos), E)
        return softmax_cross_entropy_torch(affine_forward_torch(rnn_forward_torch(x, U, W, b, h0), V, c), y)

    return twin


def _decoder_inputs(rng, s):
    """``(y, weights, bos)`` on which a mistake in any path of the decoder shows on every draw.

    A vocabulary of K ≤ 5 tokens over T·N ≥ 3·2 = 6 input positions: some token of ``y_in`` repeats on
    every draw (pigeonhole), so ``dE`` must accumulate; T ≥ 3, so the recurrence and teacher forcing count.
    """
    K = int(rng.integers(3, 6))
    T = max(s.T, 3)
    y = rng.integers(0, K, (T, s.N))
    weights = {
        "h0": rng.standard_normal((s.N, s.H)),
        "E": rng.standard_normal((K, s.D)),
        **rnn_params(rng, s),
        "V": rng.standard_normal((K, s.H)) * 0.5,
        "c": rng.standard_normal(K) * 0.5,
    }
    return y, weights, int(rng.integers(0, K))


@in_both_precisions
def check_decoder_loss(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``decoder_loss(h0, y, E, U, W, b, V, c, bos) -> L``, the summed teacher-forced cross-entropy."""
    rng = fresh_rng(seed)
    for _ in range(trials):
        y, w, bos = _decoder_inputs(rng, random_shapes(rng))
        args = (w["h0"], y, w["E"], w["U"], w["W"], w["b"], w["V"], w["c"], bos)
        got = first_of(call_student("decoder_loss", student, *args))
        loss, _ = decoder_loss_and_grads(*args)
        try:
            compare_scalar("decoder_loss", "the loss", loss, got, mean_over=y.size)
        except GradingError as err:
            x, _ = embedding_forward(y, w["E"])  # reading y(t) itself: the answer it should predict
            peeking = softmax_cross_entropy(
                affine_forward(rnn.rnn_forward(x, w["U"], w["W"], w["b"], w["h0"])[0], w["V"], w["c"])[0], y
            )[0]
            if abs(float(np.asarray(got, dtype=np.float64)) - peeking) < 1e-7 * abs(peeking):
                raise GradingError(
                    "decoder_loss: the decoder reads y[t], the target it should predict; "
                    "with teacher forcing it reads y[t-1], and bos at t=0: y_in = [bos, y[0], …, y[T-2]]"
                ) from None
            raise err


@in_both_precisions(scale=LONG)
def check_decoder_backward(student: Callable, seed: int | None = None) -> None:
    """``decoder_backward(h0, y, E, U, W, b, V, c, bos) -> (L, dh0, dE, dU, dW, db, dV, dc)``."""
    rng = fresh_rng(seed)
    y, w, bos = _decoder_inputs(rng, random_shapes(rng))
    out = call_student("decoder_backward", student, w["h0"], y, w["E"], w["U"], w["W"], w["b"], w["V"], w["c"], bos)
    order = ("dh0", "dE", "dU", "dW", "db", "dV", "dc")
    if not isinstance(out, tuple | list) or len(out) != 1 + len(order):
        raise GradingError(f"decoder_backward must return (loss, {', '.join(order)})")
    loss, reference = decoder_loss_and_grads(w["h0"], y, w["E"], w["U"], w["W"], w["b"], w["V"], w["c"], bos)
    compare_scalar("decoder_backward", "the loss", loss, out[0], mean_over=y.size)

    def forward(h0, E, U, W, b, V, c):
        return np.asarray(decoder_loss_and_grads(h0, y, E, U, W, b, V, c, bos)[0])

    grade_backward(
        "decoder_backward",
        out[1:],
        order,
        reference,
        forward,
        w,
        1.0,
        _decoder_twin(y, bos),
        paths=DECODER_PATHS,
        mean_over=y.size,
    )
