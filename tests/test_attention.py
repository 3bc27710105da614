"""Attention: additive, dot and scaled-dot scores, with masks."""

import numpy as np
import pytest
from checks import assert_gradients, normal
from hypothesis import given
from hypothesis import strategies as st

from rnncore import attention
from rnncore import torch_ref as tr

shapes = st.fixed_dictionaries(
    {
        "T": st.integers(1, 3),
        "N": st.integers(1, 3),
        "S": st.integers(1, 5),
        "H": st.integers(1, 4),
        "A": st.integers(1, 4),
        "seed": st.integers(0, 2**32 - 1),
    }
)


def make(d, score, masked):
    rng = np.random.default_rng(d["seed"])
    T, N, S, H = d["T"], d["N"], d["S"], d["H"]
    inputs = {
        "query": normal(rng, T, N, H, scale=1.0),
        "keys": normal(rng, S, N, H, scale=1.0),
        "values": normal(rng, S, N, H + 1, scale=1.0),
    }
    if score == "additive":
        inputs.update(W_q=normal(rng, d["A"], H), W_k=normal(rng, d["A"], H), v_a=normal(rng, d["A"]))
    mask = None
    if masked:
        lengths = rng.integers(1, S + 1, N)  # every sequence keeps at least one key
        mask = np.arange(S)[:, None] < lengths[None, :]
    return rng, inputs, mask


@pytest.mark.parametrize("score", attention.SCORES)
@given(d=shapes, masked=st.booleans())
def test_backward(score, d, masked):
    rng, inputs, mask = make(d, score, masked)
    ctx, weights, cache = attention.attention_forward(**inputs, mask=mask, score=score)
    dctx = normal(rng, *ctx.shape, scale=1.0)
    g = attention.attention_backward(dctx, cache)
    analytic = {"query": g.dquery, "keys": g.dkeys, "values": g.dvalues}
    if score == "additive":
        analytic.update(W_q=g.dW_q, W_k=g.dW_k, v_a=g.dv_a)
    assert_gradients(
        lambda **kw: attention.attention_forward(**kw, mask=mask, score=score)[0],
        inputs,
        analytic,
        dctx,
        lambda **kw: tr.attention_forward_torch(**kw, mask=mask, score=score)[0],
    )


@pytest.mark.parametrize("score", attention.SCORES)
@given(d=shapes)
def test_weights_are_a_distribution_that_ignores_masked_keys(score, d):
    rng, inputs, mask = make(d, score, masked=True)
    ctx, weights, cache = attention.attention_forward(**inputs, mask=mask, score=score)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-12)
    assert np.all(weights[:, ~mask.T] == 0)
    # changing a masked key or value changes nothing
    keys = inputs["keys"].copy()
    keys[~mask] += 100.0
    ctx2, _, _ = attention.attention_forward(**{**inputs, "keys": keys}, mask=mask, score=score)
    np.testing.assert_allclose(ctx2, ctx, rtol=1e-12, atol=1e-12)


def test_a_mask_with_nothing_to_attend_to_is_refused():
    q, k = np.zeros((1, 2, 3)), np.zeros((4, 2, 3))
    mask = np.ones((4, 2), bool)
    mask[:, 1] = False
    with pytest.raises(ValueError, match="nothing to attend"):
        attention.attention_forward(q, k, k, mask)


def test_dot_scores_need_matching_sizes():
    with pytest.raises(ValueError, match="H_q = H_k"):
        attention.attention_forward(np.zeros((1, 1, 3)), np.zeros((2, 1, 4)), np.zeros((2, 1, 4)))
