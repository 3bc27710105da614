"""Clipping, optimizers and the training loop (truncated BPTT: test_truncated_bptt.py)."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from rnncore import optim
from rnncore.models import SequenceModel
from rnncore.train import train

grad_dicts = st.integers(0, 2**32 - 1).map(
    lambda seed: {
        k: np.random.default_rng(seed + i).standard_normal(s) * 10 ** np.random.default_rng(seed).uniform(-3, 3)
        for i, (k, s) in enumerate({"W": (3, 4), "b": (4,), "U": (2, 2)}.items())
    }
)


@given(grad_dicts, st.floats(1e-3, 1e3))
def test_clip_by_global_norm_caps_the_norm_and_keeps_the_direction(grads, max_norm):
    clipped, norm = optim.clip_by_global_norm(grads, max_norm)
    assert norm == pytest.approx(np.sqrt(sum((g**2).sum() for g in grads.values())))
    assert optim.global_norm(clipped) <= max_norm * (1 + 1e-12)
    scale = min(1.0, max_norm / norm)
    for k in grads:
        np.testing.assert_allclose(clipped[k], grads[k] * scale)
    assert all(clipped[k] is not grads[k] for k in grads)  # pure: new arrays


@given(grad_dicts, st.floats(1e-3, 10))
def test_clip_by_value_bounds_every_entry(grads, limit):
    clipped = optim.clip_by_value(grads, limit)
    for k in grads:
        assert np.all(np.abs(clipped[k]) <= limit)
        inside = np.abs(grads[k]) <= limit
        np.testing.assert_array_equal(clipped[k][inside], grads[k][inside])


def test_clipping_refuses_non_finite_gradients_and_bad_limits():
    with pytest.raises(ValueError, match="NaN"):
        optim.clip_by_global_norm({"W": np.array([np.nan])}, 1.0)
    with pytest.raises(ValueError, match="positive"):
        optim.clip_by_global_norm({"W": np.ones(2)}, 0.0)


def _torch_run(opt_cls, kwargs, params, grads_seq):
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    opt = opt_cls(tp.values(), **kwargs)
    for grads in grads_seq:
        for k, p in tp.items():
            p.grad = torch.tensor(grads[k])
        opt.step()
    return {k: v.detach().numpy() for k, v in tp.items()}


@pytest.mark.parametrize(
    "ours,theirs,kwargs",
    [
        (lambda: optim.SGD(lr=0.1), torch.optim.SGD, {"lr": 0.1}),
        (lambda: optim.SGD(lr=0.1, momentum=0.9), None, None),
        (lambda: optim.Adam(lr=0.01), torch.optim.Adam, {"lr": 0.01}),
    ],
)
def test_optimizers_match_torch(ours, theirs, kwargs):
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    grads_seq = [{k: rng.standard_normal(v.shape) for k, v in params.items()} for _ in range(6)]
    mine = {k: v.copy() for k, v in params.items()}
    opt = ours()
    for grads in grads_seq:
        opt.step(mine, grads)
    if theirs is None:  # heavy-ball momentum: torch's SGD uses v ← μv + g, θ ← θ − ηv, the same path
        theirs, kwargs = torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}
    ref = _torch_run(theirs, kwargs, params, grads_seq)
    for k in params:
        np.testing.assert_allclose(mine[k], ref[k], rtol=1e-6, atol=1e-9)


def test_optimizers_refuse_mismatched_keys():
    with pytest.raises(ValueError, match="missing"):
        optim.Adam().step({"W": np.zeros(2), "b": np.zeros(1)}, {"W": np.zeros(2)})


def _model_and_batches(seed=0):
    model = SequenceModel("rnn", n_in=3, hidden=8, n_out=3, seed=seed)
    rng = np.random.default_rng(seed)

    def batches():
        while True:
            x = rng.integers(0, 3, (6, 8))
            yield x, x  # predict the current token: easy, must be learned

    return model, batches()


def test_training_lowers_the_loss_and_records_history(capsys):
    model, batches = _model_and_batches()
    history = train(model, batches, optim.Adam(lr=0.05), steps=60, clip=5.0, updates=3)
    assert len(history.loss) == len(history.grad_norm) == 60
    assert np.mean(history.loss[-10:]) < 0.5 * np.mean(history.loss[:10])
    running = history.loss[0]
    for loss in history.loss[1:]:
        running = 0.9 * running + 0.1 * loss
    shown = capsys.readouterr().err  # tqdm's bar: the steps done and the running loss at the end
    assert "60/60" in shown and f"loss={running:.4f}" in shown


def test_no_progress_bar_is_shown_when_asked_not_to(capsys):
    model, batches = _model_and_batches()
    train(model, batches, optim.SGD(), steps=5, progress=False)
    assert capsys.readouterr() == ("", "")


def test_training_stops_clearly_when_batches_run_out_or_the_loss_diverges():
    model, batches = _model_and_batches()
    with pytest.raises(ValueError, match="ran out after 2 of 5"):
        train(model, [next(batches), next(batches)], optim.SGD(), steps=5, progress=False)
    with pytest.raises(FloatingPointError, match="step 1"):
        bad = SequenceModel("rnn", 3, 4, 3, input="vectors", loss="squared")
        x = np.full((2, 1, 3), np.inf)
        with np.errstate(invalid="ignore"):
            train(bad, [(x, np.zeros((2, 1, 3)))], optim.SGD(), steps=1, progress=False)
