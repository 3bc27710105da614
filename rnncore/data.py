"""Seeded synthetic tasks and on-machine text, so nothing is downloaded.

Every generator takes a ``seed`` (or a ``numpy.random.Generator``) and returns
the same data for the same seed. Arrays are time-major like the rest of rnncore.

* :func:`adding_problem` — sum the two marked numbers of a long sequence.
* :func:`copy_task` — reproduce a symbol string after a delay.
* :func:`embedded_reber` — strings of the embedded Reber grammar.
* :func:`noisy_sines`, :func:`ar_process` — real-valued sequences to predict.
* :func:`date_pairs` — dates written in words, and their ISO form (translation).
* :func:`stdlib_text` — Python's own standard-library source, a character corpus.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import inspect
from collections.abc import Iterable, Sequence

import numpy as np


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


# --------------------------------------------------------------------------- vocabulary


class Vocab:
    """A mapping between symbols and integer ids, with padding and sequence markers.

    Ids ``0, 1, 2`` are ``<pad>``, ``<bos>`` and ``<eos>``; the symbols follow in
    sorted order, so the same symbol set always gives the same ids.
    """

    PAD, BOS, EOS = 0, 1, 2
    SPECIALS = ("<pad>", "<bos>", "<eos>")

    def __init__(self, symbols: Iterable[str]):
        self.itos = list(self.SPECIALS) + sorted(set(symbols) - set(self.SPECIALS))
        self.stoi = {s: i for i, s in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: Sequence[str]) -> list[int]:
        try:
            return [self.stoi[ch] for ch in text]
        except KeyError as err:
            raise ValueError(f"Vocab.encode: symbol {err.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Iterable[int], stop_at_eos: bool = True) -> str:
        out = []
        for i in ids:
            i = int(i)
            if stop_at_eos and i == self.EOS:
                break
            if i >= len(self.SPECIALS):
                out.append(self.itos[i])
        return "".join(out)

    def batch(
        self, texts: Sequence[str], bos: bool = False, eos: bool = False, pad_front: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Encode and pad ``texts`` into ``(T, N)`` ids and a ``(T, N)`` boolean mask.

        ``pad_front`` puts the padding before each text rather than after, so that
        every sequence ends at the last step (where an encoder's final state is read).
        """
        seqs = [([self.BOS] if bos else []) + self.encode(t) + ([self.EOS] if eos else []) for t in texts]
        T = max(len(s) for s in seqs)
        ids = np.full((T, len(seqs)), self.PAD, dtype=np.int64)
        mask = np.zeros((T, len(seqs)), dtype=bool)
        for n, s in enumerate(seqs):
            rows = slice(T - len(s), T) if pad_front else slice(0, len(s))
            ids[rows, n] = s
            mask[rows, n] = True
        return ids, mask


# --------------------------------------------------------------------------- long-range tasks


def adding_problem(T: int, N: int, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem, in the simplified form common since Hochreiter & Schmidhuber 1997.

    (Their original draws values from ``[-1, 1]``, marks one among the first ten
    steps and one before ``T/2``, varies the length, and targets
    ``0.5 + (X1 + X2)/4``; chapter *Long-term dependencies* says how they differ.)
    Input ``x (T, N, 2)``: channel 0 holds numbers drawn uniformly from ``[0, 1)``,
    channel 1 marks two positions with 1 — one in the first half, one in the
    second. Target ``y (N, 1)``: the sum of the two marked numbers. Predicting
    the mean (1.0) gives a mean squared error of about 1/6, the baseline to beat.
    """
    if T < 2:
        raise ValueError(f"adding_problem: T must be at least 2, got {T}")
    rng = _rng(seed)
    values = rng.uniform(0.0, 1.0, (T, N))
    marks = np.zeros((T, N))
    half = T // 2
    first = rng.integers(0, half, N)
    second = rng.integers(half, T, N)
    cols = np.arange(N)
    marks[first, cols] = 1.0
    marks[second, cols] = 1.0
    y = (values[first, cols] + values[second, cols])[:, None]
    return np.stack([values, marks], axis=-1), y


def copy_task(length: int, delay: int, N: int, n_symbols: int = 8, seed=0):
    """The copy task: read ``length`` symbols, wait ``delay`` steps, write them back.

    Symbols are ``0..n_symbols-1``; ``blank = n_symbols`` and ``go = n_symbols + 1``.
    Input: the symbols, ``delay`` blanks, one ``go``, then ``length − 1`` blanks.
    Target: blanks until ``go``, then the symbols. ``mask`` is True on the steps
    that must reproduce a symbol (where the loss counts).

    Returns ``(x (T, N), y (T, N), mask (T, N))`` with ``T = 2·length + delay``.
    """
    rng = _rng(seed)
    blank, go = n_symbols, n_symbols + 1
    T = 2 * length + delay
    symbols = rng.integers(0, n_symbols, (length, N))
    x = np.full((T, N), blank, dtype=np.int64)
    y = np.full((T, N), blank, dtype=np.int64)
    x[:length] = symbols
    x[length + delay] = go
    y[length + delay :] = symbols
    mask = np.zeros((T, N), dtype=bool)
    mask[length + delay :] = True
    return x, y, mask


# --------------------------------------------------------------------------- Reber grammar

# The Reber grammar as a graph: state -> [(symbol, next state)]; state 6 must emit E.
_REBER = {
    0: [("T", 1), ("P", 2)],
    1: [("S", 1), ("X", 3)],
    2: [("T", 2), ("V", 4)],
    3: [("X", 2), ("S", 5)],
    4: [("P", 3), ("V", 5)],
}


def reber_string(seed=0) -> str:
    """One string of the Reber grammar, e.g. ``BTSSXXTVVE``, each branch taken with probability ½."""
    rng = _rng(seed)
    state, out = 0, ["B"]
    while state != 5:
        symbol, state = _REBER[state][rng.integers(2)]
        out.append(symbol)
    out.append("E")
    return "".join(out)


def embedded_reber(seed=0) -> str:
    """One string of the embedded Reber grammar: ``B T <reber> T E`` or ``B P <reber> P E``.

    The second-to-last symbol repeats the second one across the whole inner
    string — the long-range dependency a network has to carry.
    """
    rng = _rng(seed)
    wrap = "TP"[rng.integers(2)]
    return "B" + wrap + reber_string(rng) + wrap + "E"


def is_reber(s: str) -> bool:
    """Whether ``s`` is a string of the (plain) Reber grammar."""
    if len(s) < 2 or s[0] != "B" or s[-1] != "E":
        return False
    state = 0
    for symbol in s[1:-1]:
        moves = dict(_REBER.get(state, []))
        if symbol not in moves:
            return False
        state = moves[symbol]
    return state == 5


def is_embedded_reber(s: str) -> bool:
    """Whether ``s`` is a string of the embedded Reber grammar."""
    return len(s) >= 5 and s[0] == "B" and s[-1] == "E" and s[1] in "TP" and s[-2] == s[1] and is_reber(s[2:-2])


def reber_next_symbols(s: str) -> list[set[str]]:
    """For each prefix ``s[:k+1]`` of an embedded Reber string, the symbols that may follow.

    A network predicting the next symbol is right when its choices are in these
    sets; the set after the inner string's ``E`` has one member, the repeated wrapper.
    """
    if not is_embedded_reber(s):
        raise ValueError(f"reber_next_symbols: {s!r} is not an embedded Reber string")
    wrap, inner = s[1], s[2:-2]
    allowed = [{"T", "P"}, {"B"}]  # after the outer B; after the wrapper
    state = 0
    allowed.append({sym for sym, _ in _REBER[state]})  # after the inner B
    for symbol in inner[1:-1]:
        state = dict(_REBER[state])[symbol]
        allowed.append({"E"} if state == 5 else {sym for sym, _ in _REBER[state]})
    allowed.append({wrap})  # after the inner E: only the wrapper that opened the string
    allowed.append({"E"})
    return allowed


# --------------------------------------------------------------------------- real-valued series


def noisy_sines(T: int, N: int, noise: float = 0.05, seed=0) -> np.ndarray:
    """``(T, N, 1)`` sines with random frequency, phase and amplitude plus Gaussian noise."""
    rng = _rng(seed)
    t = np.arange(T)[:, None]
    freq = rng.uniform(0.02, 0.1, N)
    phase = rng.uniform(0, 2 * np.pi, N)
    amp = rng.uniform(0.5, 1.0, N)
    clean = amp * np.sin(2 * np.pi * freq * t + phase)
    return (clean + noise * rng.standard_normal((T, N)))[..., None]


def ar_process(coeffs: Sequence[float], T: int, N: int, noise: float = 0.1, seed=0) -> np.ndarray:
    """An autoregressive process ``y(t) = Σ_k φ_k y(t−k) + ε(t)``, ``ε ~ N(0, noise²)``; ``(T, N, 1)``.

    Starts from zeros and discards a burn-in of ``10·p`` steps so the series is stationary
    (when the coefficients allow it).
    """
    phi = np.asarray(coeffs, dtype=np.float64)
    rng = _rng(seed)
    p = len(phi)
    burn = 10 * p
    y = np.zeros((T + burn + p, N))
    eps = noise * rng.standard_normal((T + burn, N))
    for t in range(p, T + burn + p):
        y[t] = phi @ y[t - p : t][::-1] + eps[t - p]
    return y[-T:, :, None]


# --------------------------------------------------------------------------- dates

MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DATE_FORMATS = ("d month yyyy", "month d, yyyy", "weekday, d month yyyy", "dd.mm.yy", "mon d yyyy")


def format_date(date: _dt.date, style: str) -> str:
    """Write ``date`` in one of :data:`DATE_FORMATS` (English names, no locale involved)."""
    month = MONTHS[date.month - 1]
    if style == "d month yyyy":
        return f"{date.day} {month} {date.year}"
    if style == "month d, yyyy":
        return f"{month} {date.day}, {date.year}"
    if style == "weekday, d month yyyy":
        return f"{WEEKDAYS[date.weekday()]}, {date.day} {month} {date.year}"
    if style == "dd.mm.yy":
        return f"{date.day:02d}.{date.month:02d}.{date.year % 100:02d}"
    if style == "mon d yyyy":
        return f"{month[:3]} {date.day} {date.year}"
    raise ValueError(f"format_date: style must be one of {DATE_FORMATS}, got {style!r}")


def date_pairs(N: int, seed=0, styles: Sequence[str] = DATE_FORMATS, years=(1950, 2049)) -> list[tuple[str, str]]:
    """``N`` pairs ``(date in words, ISO date)``, e.g. ``("21 november 2026", "2026-11-21")``.

    Two-digit years (``dd.mm.yy``) are read within ``years``, so every source has one answer.
    """
    rng = _rng(seed)
    start = _dt.date(years[0], 1, 1).toordinal()
    end = _dt.date(years[1], 12, 31).toordinal()
    if "dd.mm.yy" in styles and years[1] - years[0] >= 100:
        raise ValueError("date_pairs: with 'dd.mm.yy' the year range must span under 100 years")
    pairs = []
    for _ in range(N):
        date = _dt.date.fromordinal(int(rng.integers(start, end + 1)))
        style = styles[rng.integers(len(styles))]
        pairs.append((format_date(date, style), date.isoformat()))
    return pairs


# --------------------------------------------------------------------------- text

DEFAULT_MODULES = ("textwrap", "string", "shlex", "fnmatch", "glob", "this", "bisect", "heapq")


def stdlib_text(modules: Sequence[str] = DEFAULT_MODULES, max_chars: int | None = None) -> str:
    """The source code of standard-library modules, concatenated: a corpus on every machine.

    ``this`` (the Zen of Python) is stored ROT13-encoded; its source is used as it is.
    The text depends only on the Python version, so results are reproducible per version.
    """
    parts = []
    for name in modules:
        module = importlib.import_module(name) if name != "this" else _quiet_import_this()
        parts.append(inspect.getsource(module))
    text = "\n".join(parts)
    return text[:max_chars] if max_chars is not None else text


def _quiet_import_this():
    """Import ``this`` without letting it print the Zen to stdout."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        return importlib.import_module("this")
