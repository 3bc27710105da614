"""The data generators: deterministic for a seed, and they produce what they claim."""

import datetime as dt
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnncore import data

seeds = st.integers(0, 2**32 - 1)


@given(st.integers(2, 40), st.integers(1, 8), seeds)
def test_adding_problem_target_is_the_sum_of_the_two_marked_numbers(T, N, seed):
    x, y = data.adding_problem(T, N, seed)
    assert x.shape == (T, N, 2) and y.shape == (N, 1)
    marks = x[..., 1]
    np.testing.assert_array_equal(marks.sum(axis=0), 2.0)
    first, second = np.argmax(marks[: T // 2], axis=0), T // 2 + np.argmax(marks[T // 2 :], axis=0)
    assert np.all(marks[first, range(N)] == 1) and np.all(marks[second, range(N)] == 1)
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * marks).sum(axis=0))
    x2, y2 = data.adding_problem(T, N, seed)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)


@given(st.integers(1, 6), st.integers(0, 10), st.integers(1, 4), st.integers(2, 9), seeds)
def test_copy_task_targets_repeat_the_symbols_after_go(length, delay, N, n_symbols, seed):
    x, y, mask = data.copy_task(length, delay, N, n_symbols, seed)
    T = 2 * length + delay
    assert x.shape == y.shape == mask.shape == (T, N)
    go = n_symbols + 1
    assert np.all(x[length + delay] == go) and np.sum(x == go) == N
    np.testing.assert_array_equal(y[mask].reshape(length, N), x[:length])
    assert np.all(y[~mask] == n_symbols) and mask.sum() == length * N


@given(seeds)
def test_embedded_reber_strings_are_in_the_grammar(seed):
    s = data.embedded_reber(seed)
    assert data.is_embedded_reber(s)
    assert s == data.embedded_reber(seed)
    allowed = data.reber_next_symbols(s)
    assert len(allowed) == len(s) - 1
    assert all(s[k + 1] in allowed[k] for k in range(len(allowed)))
    assert allowed[-2] == {s[1]}  # the long-range dependency


@pytest.mark.parametrize("bad", ["BTBTXXETE", "BTBTSSXSEPE", "BPBTXSE", "TBTXSETE", "BTBXSETE"])
def test_strings_outside_the_grammar_are_rejected(bad):
    assert not data.is_embedded_reber(bad)


@given(st.integers(1, 50), st.integers(1, 4), seeds)
def test_series_shapes_and_determinism(T, N, seed):
    s = data.noisy_sines(T, N, seed=seed)
    assert s.shape == (T, N, 1) and np.all(np.abs(s) < 1.5)
    np.testing.assert_array_equal(s, data.noisy_sines(T, N, seed=seed))
    a = data.ar_process([0.5, -0.2], T, N, seed=seed)
    assert a.shape == (T, N, 1)


def test_ar_process_has_its_coefficients():
    y = data.ar_process([0.6, -0.3], 20000, 1, noise=1.0, seed=0)[:, 0, 0]
    X = np.stack([y[1:-1], y[:-2]], axis=1)
    phi, *_ = np.linalg.lstsq(X, y[2:], rcond=None)
    np.testing.assert_allclose(phi, [0.6, -0.3], atol=0.03)


def _parse(source: str) -> dt.date:
    months = {m: i + 1 for i, m in enumerate(data.MONTHS)}
    short = {m[:3]: i + 1 for i, m in enumerate(data.MONTHS)}
    if m := re.fullmatch(r"(?:\w+, )?(\d+) (\w+) (\d{4})", source):
        return dt.date(int(m[3]), months[m[2]], int(m[1]))
    if m := re.fullmatch(r"(\w+) (\d+), (\d{4})", source):
        return dt.date(int(m[3]), months[m[1]], int(m[2]))
    if m := re.fullmatch(r"(\w{3}) (\d+) (\d{4})", source):
        return dt.date(int(m[3]), short[m[1]], int(m[2]))
    if m := re.fullmatch(r"(\d\d)\.(\d\d)\.(\d\d)", source):
        yy = int(m[3])
        return dt.date(1900 + yy if yy >= 50 else 2000 + yy, int(m[2]), int(m[1]))
    raise AssertionError(f"unparsed: {source}")


@given(st.integers(1, 30), seeds)
def test_date_pairs_say_the_same_date_twice(N, seed):
    pairs = data.date_pairs(N, seed)
    assert pairs == data.date_pairs(N, seed)
    for source, iso in pairs:
        date = _parse(source)
        assert date.isoformat() == iso
        if source[0].isalpha() and "," in source.split(" ")[0]:
            assert source.startswith(data.WEEKDAYS[date.weekday()])


def test_stdlib_text_is_deterministic_and_quiet(capsys):
    text = data.stdlib_text()
    assert len(text) > 10000 and "def " in text and text == data.stdlib_text()
    assert capsys.readouterr().out == ""
    assert len(data.stdlib_text(max_chars=100)) == 100


@given(st.lists(st.text(alphabet="abc-", min_size=1, max_size=6), min_size=1, max_size=5))
def test_vocab_round_trip_and_padding(texts):
    vocab = data.Vocab("".join(texts))
    ids, mask = vocab.batch(texts, bos=True, eos=True)
    assert ids.shape == mask.shape == (max(map(len, texts)) + 2, len(texts))
    for n, t in enumerate(texts):
        assert vocab.decode(ids[1:, n]) == t
        assert mask[:, n].sum() == len(t) + 2
    assert np.all(ids[~mask] == vocab.PAD)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("z")


@given(st.lists(st.text(alphabet="xyz", min_size=1, max_size=5), min_size=1, max_size=4))
def test_front_padding_ends_every_text_at_the_last_step(texts):
    vocab = data.Vocab("xyz")
    back, back_mask = vocab.batch(texts)
    front, front_mask = vocab.batch(texts, pad_front=True)
    assert front_mask[-1].all()
    for n, t in enumerate(texts):
        assert vocab.decode(front[front_mask[:, n], n]) == vocab.decode(back[back_mask[:, n], n]) == t
        assert not front_mask[: front.shape[0] - len(t), n].any()
