"""The model layer and the encoder–decoder: whole-model gradients and learning."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnncore import data
from rnncore.gradcheck import check_gradients
from rnncore.models import SequenceModel
from rnncore.optim import Adam
from rnncore.seq2seq import Seq2Seq
from rnncore.train import train


def param_check(model, batch, tol=1e-6):
    loss, grads = model.loss_and_grads(batch)
    assert set(grads) == set(model.params)
    original = {k: v.copy() for k, v in model.params.items()}

    def f(**params):
        model.params = params
        return np.asarray(model.loss_and_grads(batch)[0])

    try:
        result = check_gradients(f, original, grads, 1.0, tol=tol)
    finally:
        model.params = original
    assert result.ok, str(result)


CONFIGS = [
    ("tokens", "all", "ce"),
    ("vectors", "last", "squared"),
    ("vectors", "all", "squared"),
    ("tokens", "last", "ce"),
]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("config", CONFIGS)
@given(seed=st.integers(0, 2**32 - 1), T=st.integers(1, 4), N=st.integers(1, 3))
def test_sequence_model_gradients(cell, config, seed, T, N):
    inp, readout, loss = config
    rng = np.random.default_rng(seed)
    model = SequenceModel(cell, n_in=4, hidden=3, n_out=3, input=inp, readout=readout, loss=loss, seed=seed)
    x = rng.integers(0, 4, (T, N)) if inp == "tokens" else rng.standard_normal((T, N, 4))
    out_shape = (T, N) if readout == "all" else (N,)
    y = rng.integers(0, 3, out_shape) if loss == "ce" else rng.standard_normal((*out_shape, 3))
    batch = (x, y)
    if readout == "all":
        mask = rng.random((T, N)) < 0.7
        mask[0, 0] = True
        batch = (x, y, mask)
    param_check(model, batch)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "gru_torch"])
@pytest.mark.parametrize("attention", [None, "dot", "scaled_dot", "additive"])
@given(seed=st.integers(0, 2**32 - 1), S=st.integers(1, 4), T=st.integers(1, 3), N=st.integers(1, 2))
def test_seq2seq_gradients(cell, attention, seed, S, T, N):
    rng = np.random.default_rng(seed)
    model = Seq2Seq(cell, src_vocab=5, tgt_vocab=4, hidden=3, embed=2, attention=attention, seed=seed)
    src = rng.integers(0, 5, (S, N))
    tgt = rng.integers(0, 4, (T + 1, N))
    src_mask = np.arange(S)[:, None] < rng.integers(1, S + 1, N)[None]
    tgt_mask = rng.random((T, N)) < 0.8
    tgt_mask[0] = True
    param_check(model, (src, tgt[:-1], tgt[1:], src_mask, tgt_mask))


def test_greedy_decoding_agrees_with_teacher_forcing_on_its_own_output():
    # Feeding the greedy output back as teacher-forced input reproduces it exactly.
    rng = np.random.default_rng(1)
    for attention in (None, "additive"):
        model = Seq2Seq("lstm", 6, 5, hidden=4, attention=attention, seed=2)
        src = rng.integers(3, 6, (5, 3))
        tokens, weights = model.greedy(src, bos=1, length=4)
        tgt_in = np.concatenate([np.full((1, 3), 1), tokens[:-1]])
        np.testing.assert_array_equal(model.teacher_forced_predictions(src, tgt_in), tokens)
        if attention:
            assert weights.shape == (4, 3, 5)
            np.testing.assert_allclose(weights.sum(-1), 1.0)


def test_sequence_model_learns_the_adding_problem_at_short_range():
    model = SequenceModel("lstm", n_in=2, hidden=16, n_out=1, input="vectors", readout="last", loss="squared")

    def batches():
        seed = 0
        while True:
            seed += 1
            yield data.adding_problem(10, 32, seed)

    history = train(model, batches(), Adam(lr=0.01), steps=300, clip=1.0, progress=False)
    x, y = data.adding_problem(10, 500, seed=10**6)
    mse = float(np.mean((model.predict(x) - y) ** 2))
    assert mse < 0.1 * (1 / 6), f"test MSE {mse:.4f}, baseline 1/6"
    assert np.mean(history.loss[-20:]) < np.mean(history.loss[:20])


def test_seq2seq_learns_to_reverse_short_sequences():
    rng = np.random.default_rng(0)
    model = Seq2Seq("gru", src_vocab=8, tgt_vocab=8, hidden=24, embed=8, attention="dot", seed=0)

    def batch(n):
        src = rng.integers(3, 8, (4, n))
        tgt = np.concatenate([np.full((1, n), 1), src[::-1]])
        return src, tgt[:-1], tgt[1:]

    train(model, (batch(32) for _ in range(10**9)), Adam(lr=0.02), steps=400, clip=1.0, progress=False)
    src, _, tgt_out = batch(200)
    tokens, _ = model.greedy(src, bos=1, length=4)
    assert np.mean(tokens == tgt_out) > 0.9


def test_sampling_is_reproducible_and_stays_in_the_vocabulary():
    model = SequenceModel("gru", n_in=7, hidden=5, n_out=7, seed=3)
    a = model.sample(0, 20, np.random.default_rng(5))
    b = model.sample(0, 20, np.random.default_rng(5))
    assert a == b and all(0 <= t < 7 for t in a)
    with pytest.raises(ValueError, match="only a token language model"):
        SequenceModel("rnn", 2, 3, 1, input="vectors", readout="last", loss="squared").sample(
            0, 3, np.random.default_rng()
        )
