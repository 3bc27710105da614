"""Beam search for the encoder–decoder (``Seq2Seq.beam_search``).

Properties over random small models: width 1 is greedy decoding; the returned
score is the model's log-probability of the returned output, recomputed with
teacher forcing; a beam that keeps every prefix finds the exact argmax found by
enumerating all outputs. Beam search is *not* guaranteed to beat greedy
decoding: a hand-built model shows it losing, and the guarantee that does hold
(an exhaustive beam is at least as good as greedy) is tested instead.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnncore.seq2seq import Seq2Seq

BOS = 0

models = st.fixed_dictionaries(
    {
        "cell": st.sampled_from(["rnn", "gru", "lstm"]),
        "attention": st.sampled_from([None, "dot", "scaled_dot", "additive"]),
        "K": st.integers(2, 3),
        "S": st.integers(1, 4),
        "N": st.integers(1, 3),
        "seed": st.integers(0, 2**32 - 1),
    }
)


def make(d, sharpness=4.0):
    """A random model whose output distributions are far from uniform, and a masked batch."""
    rng = np.random.default_rng(d["seed"])
    model = Seq2Seq(d["cell"], 5, d["K"], hidden=4, embed=3, attention=d["attention"], seed=int(rng.integers(2**31)))
    model.params["V"] = model.params["V"] * sharpness
    model.params["c"] = rng.standard_normal(d["K"])
    S, N = d["S"], d["N"]
    src = rng.integers(0, 5, (S, N))
    lengths = rng.integers(1, S + 1, N)
    src_mask = np.arange(S)[::-1, None] < lengths[None, :]  # padding in front, as the book does
    return model, src, src_mask


def log_prob(model, src, src_mask, y, eos=None):
    """``log p(y | x)`` of one output ``y (L,)`` for source ``n``, by teacher forcing (public loss only)."""
    y = np.asarray(y)
    keep = np.ones(len(y), dtype=bool)
    if eos is not None and (y == eos).any():
        keep[int(np.argmax(y == eos)) + 1 :] = False  # tokens after EOS are padding
    tgt_in = np.concatenate([[BOS], y[:-1]])[:, None]
    loss, _ = model.loss_and_grads((src, tgt_in, y[:, None], src_mask, keep[:, None]))
    return -loss * keep.sum(), int(keep.sum())


def canonical(y, eos):
    """Pad every output after its first EOS with EOS, so each hypothesis is listed once."""
    y = list(y)
    if eos is not None and eos in y:
        i = y.index(eos)
        y = y[: i + 1] + [eos] * (len(y) - i - 1)
    return tuple(y)


@given(models, st.integers(1, 4))
def test_width_one_is_greedy(d, L):
    model, src, src_mask = make(d)
    greedy, _ = model.greedy(src, bos=BOS, length=L, src_mask=src_mask)
    result = model.beam_search(src, bos=BOS, length=L, beam=1, src_mask=src_mask)
    np.testing.assert_array_equal(result.tokens, greedy)


@given(models, st.integers(1, 3), st.integers(1, 6), st.sampled_from([None, 1]), st.sampled_from([0.0, 1.0]))
def test_score_is_the_log_probability_of_the_output(d, L, B, eos, alpha):
    model, src, src_mask = make(d)
    result = model.beam_search(src, bos=BOS, length=L, beam=B, src_mask=src_mask, eos=eos, length_norm=alpha)
    assert result.tokens.shape == (L, d["N"]) and result.score.shape == (d["N"],)
    assert result.beams.shape == (L, d["N"], B) and result.beam_scores.shape == (d["N"], B)
    for n in range(d["N"]):
        for b in range(min(B, d["K"] ** L)):  # the beam holds at most K^L distinct outputs
            y = result.beams[:, n, b]
            if not np.isfinite(result.beam_scores[n, b]):
                continue
            assert canonical(y, eos) == tuple(y), "after EOS a hypothesis is padded with EOS"
            logp, length = log_prob(model, src[:, n : n + 1], src_mask[:, n : n + 1], y, eos)
            np.testing.assert_allclose(result.beam_scores[n, b], logp, rtol=1e-10, atol=1e-10)
            assert result.lengths[n, b] == length


@given(models, st.integers(1, 4), st.sampled_from([None, 1]))
def test_log_prob_matches_the_loss(d, L, eos):
    model, src, src_mask = make(d)
    y = np.random.default_rng(d["seed"]).integers(0, d["K"], (L, d["N"]))
    batch = model.log_prob(src, y, bos=BOS, src_mask=src_mask, eos=eos)
    for n in range(d["N"]):
        expected, _ = log_prob(model, src[:, n : n + 1], src_mask[:, n : n + 1], y[:, n], eos)
        np.testing.assert_allclose(batch[n], expected, rtol=1e-10, atol=1e-10)


@given(models, st.integers(1, 3), st.sampled_from([None, 1]), st.sampled_from([0.0, 0.5, 1.0]))
def test_exhaustive_beam_finds_the_argmax(d, L, eos, alpha):
    model, src, src_mask = make(d)
    K = d["K"]
    B = K ** (L - 1)  # every prefix of length < L survives, so the last step sees all K^L outputs
    result = model.beam_search(src, bos=BOS, length=L, beam=B, src_mask=src_mask, eos=eos, length_norm=alpha)
    greedy, _ = model.greedy(src, bos=BOS, length=L, src_mask=src_mask)
    for n in range(d["N"]):
        one = (src[:, n : n + 1], src_mask[:, n : n + 1])
        outputs = sorted({canonical(y, eos) for y in itertools.product(range(K), repeat=L)})
        scored = [log_prob(model, *one, y, eos) for y in outputs]
        rank = [logp / length**alpha for logp, length in scored]
        best = int(np.argmax(rank))
        logp_beam, length_beam = log_prob(model, *one, result.tokens[:, n], eos)
        np.testing.assert_allclose(logp_beam / length_beam**alpha, rank[best], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(result.score[n], logp_beam, rtol=1e-10, atol=1e-10)
        if eos is None and alpha == 0.0:  # the guarantee that does hold: exact search is never worse than greedy
            logp_greedy, _ = log_prob(model, *one, greedy[:, n])
            assert result.score[n] >= logp_greedy - 1e-12


@given(models, st.integers(1, 4), st.integers(2, 5))
def test_beam_keeps_the_best_candidates(d, L, B):
    """The invariant beam search does guarantee: its final beam is sorted and its first entry is returned."""
    model, src, src_mask = make(d)
    result = model.beam_search(src, bos=BOS, length=L, beam=B, src_mask=src_mask)
    np.testing.assert_array_equal(result.beam_scores, -np.sort(-result.beam_scores, axis=1))
    np.testing.assert_array_equal(result.tokens, result.beams[:, :, 0])
    np.testing.assert_array_equal(result.score, result.beam_scores[:, 0])


def markov_model(next_probs):
    """A Seq2Seq whose decoder ignores the source: ``p(y(t) | y(t−1)) = next_probs[y(t−1)]``.

    The decoder is a plain RNN with ``W = 0`` and one-hot embeddings, so its state is
    ``tanh(2 e_y)`` for the previous token ``y``; ``V`` maps that state to the logits.
    """
    K = len(next_probs)
    model = Seq2Seq("rnn", 2, K, hidden=K, embed=K, seed=0)
    model.params["E_tgt"] = np.eye(K)
    model.params["dec.U"] = 2.0 * np.eye(K)
    model.params["dec.W"] = np.zeros((K, K))
    model.params["dec.b"] = np.zeros(K)
    model.params["c"] = np.zeros(K)
    model.params["V"] = np.log(np.maximum(next_probs, 1e-12)).T / np.tanh(2.0)
    return model


def test_beam_search_can_lose_to_greedy():
    """Width 2 prunes the greedy path at step 2 for two prefixes that lead nowhere.

    Tokens: 0 BOS, 1 a, 2 b, 3 a', 4 y, 5 z, 6..11 filler. From BOS: a 0.6, b 0.4.
    From a: a' 0.3, the rest spread over the fillers. From b: y 0.5, z 0.5. From
    a': a' again with certainty. From anything else: uniform. Greedy reads
    a a' a' (0.6 · 0.3 · 1 = 0.18); width 2 keeps b y and b z (0.2 each > 0.18)
    and ends near 0.2 / 12.
    """
    K = 12
    P = np.full((K, K), 1.0 / K)
    P[0] = 0.0
    P[0, 1], P[0, 2] = 0.6, 0.4
    P[1] = 0.0
    P[1, 3] = 0.3
    P[1, 6:] = 0.7 / 6
    P[2] = 0.0
    P[2, 4] = P[2, 5] = 0.5
    P[3] = 0.0
    P[3, 3] = 1.0
    model = markov_model(P)
    src = np.zeros((1, 1), dtype=np.int64)
    greedy, _ = model.greedy(src, bos=BOS, length=3)
    assert greedy[:, 0].tolist() == [1, 3, 3]
    beam2 = model.beam_search(src, bos=BOS, length=3, beam=2)
    beam12 = model.beam_search(src, bos=BOS, length=3, beam=K)
    np.testing.assert_allclose(np.exp(beam12.score), 0.18, rtol=1e-6)
    assert beam2.tokens[0, 0] == 2, "width 2 pruned the greedy prefix a a'"
    assert np.exp(beam2.score[0]) < 0.18 / 5, "and ends far less probable than greedy decoding"


def test_eos_freezes_a_hypothesis():
    """After EOS a hypothesis keeps its score and length; length normalisation can prefer a longer output."""
    K, EOS = 4, 3
    P = np.full((K, K), 1e-12)
    P[0] = [0.0, 0.45, 0.0, 0.55]  # from BOS: stop now (0.55) or go on with token 1 (0.45)
    P[1] = [0.0, 0.99, 0.0, 0.01]
    P[2] = [0.0, 0.0, 0.0, 1.0]
    P[3] = [0.0, 0.0, 0.0, 1.0]
    model = markov_model(P / P.sum(axis=1, keepdims=True))
    src = np.zeros((1, 1), dtype=np.int64)
    plain = model.beam_search(src, bos=BOS, length=4, beam=2, eos=EOS)
    assert plain.tokens[:, 0].tolist() == [EOS] * 4 and plain.lengths[0, 0] == 1
    normalised = model.beam_search(src, bos=BOS, length=4, beam=2, eos=EOS, length_norm=1.0)
    assert normalised.tokens[:, 0].tolist() == [1, 1, 1, 1]
    np.testing.assert_allclose(normalised.score[0], np.log(0.45 * 0.99**3), rtol=1e-6)


def test_rejects_bad_width():
    model = Seq2Seq("gru", 3, 3, hidden=2)
    with pytest.raises(ValueError, match="beam"):
        model.beam_search(np.zeros((2, 1), dtype=np.int64), bos=0, length=2, beam=0)
