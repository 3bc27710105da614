"""Checks of assignment 7 (attention): additive attention with a mask, forward and backward, in a decoder step.

Book notation (chapter *Attention*), one query per sequence::

    e(s) = v_aᵀ tanh(W_q q + W_k k(s))       masked positions get e(s) = −∞
    α = softmax_s(e),   context = Σ_s α(s) v(s)

Shapes: ``query (N, H_q)``, ``keys (S, N, H_k)``, ``values (S, N, H_v)``,
``mask (S, N)`` (True = may be attended), ``W_q (A, H_q)``, ``W_k (A, H_k)``,
``v_a (A,)``. The assignment fixes the cache as the inputs,
``(query, keys, values, mask, W_q, W_k, v_a)``; the backward recomputes what it needs.

The decoder step (Luong et al. 2015, as rnncore's ``Seq2Seq``)::

    h = tanh(b + W h_prev + U E[y_prev]),  context, α = attention(h, enc, enc)
    o = c + V tanh(b_c + W_c [context; h])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnncore import attention, rnn
from rnncore.grading.engine import (
    WIDE,
    GradingError,
    Path,
    as_array,
    call_student,
    compare,
    fresh_rng,
    grade_backward,
    in_both_precisions,
    precision,
    random_shapes,
    width,
)
from rnncore.layers import affine_forward

SCORE_NAMES = ("W_q", "W_k", "v_a")
# z(s) = W_q q + W_k k(s) is tanh's input; ∇z(s) the gradient reaching it.
ATTENTION_PATHS = {
    "query": Path({"W_q": "W_q q"}, "dquery = (Σ_s ∇z(s)) W_q, summed over the positions s"),
    "keys": Path({"W_k": "W_k k(s)"}, "dkeys(s) = ∇z(s) W_k"),
}


def _random_mask(rng, S: int, N: int) -> np.ndarray:
    """A padded batch's mask ``(S, N)`` that exercises every path of attention on every draw.

    Every sequence keeps at least one position, and most lose some (as padded
    batches do). Always: one sequence keeps at least two positions (were every
    sequence left with one, each softmax would be a single weight 1 whatever
    the scores, its backward exactly 0, and no mistake in the scores'
    gradients would show), and a different sequence loses at least one (else
    a mask ignored would go unnoticed). Needs ``S ≥ 2`` and ``N ≥ 2``, as
    :func:`random_shapes` gives.
    """
    mask = rng.random((S, N)) < 0.6
    mask[rng.integers(0, S, N), np.arange(N)] = True
    wide, short = rng.choice(N, size=2, replace=False)
    mask[rng.choice(S, size=2, replace=False), wide] = True
    dropped, kept = rng.choice(S, size=2, replace=False)
    mask[dropped, short], mask[kept, short] = False, True
    return mask


def _attention_inputs(rng, s):
    """Inputs of additive attention, by name, on which every mistake in its paths shows on every draw.

    The mask is :func:`_random_mask`'s. The weights are scaled by their fan-in:
    tanh's input ``W_q q + W_k k(s)`` has unit variance whatever ``H_q`` and
    ``H_k`` (tanh neither saturated, so that its derivative does not hide the
    scores' gradients, nor linear, so that the query still moves the weights),
    and the scores have a standard deviation of about 1: no softmax is nearly
    one-hot (its backward nearly 0), and a masked position would take a visible
    weight were the mask ignored.
    """
    A = width(rng, 2, 7, 256)  # wide at scale, with the values: no numerical pass per unit fits the time
    S, Hq, Hk, Hv = s.T, s.H, s.D, width(rng, 2, 7, 128)
    return {
        "query": rng.standard_normal((s.N, Hq)),
        "keys": rng.standard_normal((S, s.N, Hk)),
        "values": rng.standard_normal((S, s.N, Hv)),
        "mask": _random_mask(rng, S, s.N),
        "W_q": rng.standard_normal((A, Hq)) / np.sqrt(2 * Hq),
        "W_k": rng.standard_normal((A, Hk)) / np.sqrt(2 * Hk),
        "v_a": rng.standard_normal(A) * 1.5 / np.sqrt(A),
    }


def additive_attention_reference(query, keys, values, mask, W_q, W_k, v_a):
    """rnncore's additive attention with the assignment's signature: ``(context (N, H_v), weights (N, S), cache)``."""
    context, weights, _ = attention.attention_forward(query[None], keys, values, mask, "additive", W_q, W_k, v_a)
    return context[0], weights[0], (query, keys, values, mask, W_q, W_k, v_a)


@in_both_precisions
def check_additive_attention_forward(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``additive_attention_forward(query, keys, values, mask, W_q, W_k, v_a) -> (context, weights, cache)``."""
    name = "additive_attention_forward"
    rng = fresh_rng(seed)
    for _ in range(trials):
        inputs = _attention_inputs(rng, random_shapes(rng))
        out = call_student(name, student, *inputs.values())
        if not isinstance(out, tuple | list) or len(out) < 2:
            raise GradingError(f"{name} must return (context, weights, cache)")
        context, weights, _ = additive_attention_reference(**inputs)
        got = as_array(name, "weights", out[1], weights.shape)
        if not np.abs(got[~inputs["mask"].T]).max(initial=0.0) <= 1e-12:  # NaN is not 0 either
            raise GradingError(f"{name}: weights on masked positions must be 0; the mask is not applied")
        compare(
            name,
            {"weights": weights, "context": context},
            {"weights": got, "context": out[0]},
            precision().forward,
            "rnncore",
        )


@in_both_precisions(scale=WIDE)
def check_additive_attention_backward(student_backward: Callable, seed: int | None = None) -> None:
    """``additive_attention_backward(dcontext, cache) -> (dquery, dkeys, dvalues, dW_q, dW_k, dv_a)``."""
    from rnncore.torch_ref import attention_forward_torch

    rng = fresh_rng(seed)
    inputs = _attention_inputs(rng, random_shapes(rng))
    mask = inputs.pop("mask")
    _, _, cache = attention.attention_forward(inputs["query"][None], mask=mask, score="additive", **_rest(inputs))
    dcontext = rng.standard_normal((inputs["query"].shape[0], inputs["values"].shape[-1]))
    returned = call_student(
        "additive_attention_backward", student_backward, dcontext, additive_attention_reference(**inputs, mask=mask)[2]
    )
    g = attention.attention_backward(dcontext[None], cache)._asdict()
    reference = {**g, "dquery": g["dquery"][0]}

    def forward(query, **kw):
        return attention.attention_forward(query[None], mask=mask, score="additive", **kw)[0][0]

    def twin(query, **kw):
        return attention_forward_torch(query[None], mask=mask, score="additive", **kw)[0][0]

    order = ("dquery", "dkeys", "dvalues", "dW_q", "dW_k", "dv_a")
    grade_backward(
        "additive_attention_backward",
        returned,
        order,
        reference,
        forward,
        inputs,
        dcontext,
        twin,
        paths=ATTENTION_PATHS,
    )


def _rest(inputs: dict) -> dict:
    return {k: v for k, v in inputs.items() if k != "query"}


# --------------------------------------------------------------------------- a decoder step


def attention_decoder_step_reference(y_prev, h_prev, enc, mask, params):
    """One decoder step from rnncore's pieces: ``(o (N, K), h (N, H), weights (N, S))``."""
    x = params["E"][y_prev]
    h, _ = rnn.rnn_step_forward(x, h_prev, params["U"], params["W"], params["b"])
    context, weights, _ = additive_attention_reference(h, enc, enc, mask, *(params[k] for k in SCORE_NAMES))
    z = np.tanh(affine_forward(np.concatenate([context, h], axis=-1), params["W_c"], params["b_c"])[0])
    return affine_forward(z, params["V"], params["c"])[0], h, weights


@in_both_precisions
def check_attention_decoder_step(student: Callable, seed: int | None = None, trials: int = 3) -> None:
    """``attention_decoder_step(y_prev, h_prev, enc, mask, params) -> (o, h, weights)``."""
    name = "attention_decoder_step"
    rng = fresh_rng(seed)
    for _ in range(trials):
        s = random_shapes(rng)
        S, H, He, K, A = s.T, s.H, s.D, int(rng.integers(3, 8)), int(rng.integers(2, 7))
        D = int(rng.integers(2, 7))
        params = {
            "E": rng.standard_normal((K, D)),
            "U": rng.standard_normal((H, D)) * 0.5,
            "W": rng.standard_normal((H, H)) * 0.5,
            "b": rng.standard_normal(H) * 0.5,
            # tanh's input W_q h + W_k enc(s) of about unit variance, as in _attention_inputs (h = tanh(·) < enc)
            "W_q": rng.standard_normal((A, H)) * 1.5 / np.sqrt(H),
            "W_k": rng.standard_normal((A, He)) / np.sqrt(2 * He),
            "v_a": rng.standard_normal(A) * 1.5 / np.sqrt(A),
            "W_c": rng.standard_normal((H, He + H)) * 0.5,
            "b_c": rng.standard_normal(H) * 0.5,
            "V": rng.standard_normal((K, H)),
            "c": rng.standard_normal(K),
        }
        args = (rng.integers(0, K, s.N), rng.standard_normal((s.N, H)), rng.standard_normal((S, s.N, He)))
        mask = _random_mask(rng, S, s.N)
        out = call_student(name, student, *args, mask, params)
        if not isinstance(out, tuple | list) or len(out) != 3:
            raise GradingError(f"{name} must return (o, h, weights)")
        o, h, weights = attention_decoder_step_reference(*args, mask, params)
        # h first: a wrong state explains a wrong everything else.
        expected = {"h": h, "weights": weights, "o": o}
        compare(name, expected, dict(zip(("o", "h", "weights"), out, strict=True)), precision().forward, "rnncore")
