"""Similarity scores between answers, by copydetect's winnowed fingerprints (the method of MOSS).

copydetect (https://github.com/blingenf/copydetect) tokenizes Python with
Pygments and replaces every variable, attribute and function name with one
letter, drops comments and whitespace, hashes every run of ``k`` characters of
what is left (a *k-gram*), and keeps, in each window of ``window`` consecutive
hashes, the smallest: the document's fingerprints. Renaming, recommenting and
reformatting leave the fingerprints as they were; reordering independent lines
loses only the k-grams that straddle a moved line.

The score of an answer against another document is the share of the answer's
fingerprinted code that the other document also contains: 0 (nothing in
common) to 1 (all of it). Fingerprints of *boilerplate* (the code the release
gives every student) are dropped first, so they neither raise nor dilute a
score.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from copydetect import CodeFingerprint, compare_files

LANGUAGE = "python"
NOISE = 15  # k: the shortest match, in characters of filtered code, that counts (chosen on the corpus: see the guide)
GUARANTEE = 15  # a match this long is always found (window = GUARANTEE - NOISE + 1: every k-gram kept)


@dataclass(frozen=True)
class Settings:
    """copydetect's two lengths: ``noise`` (k) and ``guarantee`` (≥ noise; their difference sets the window)."""

    noise: int = NOISE
    guarantee: int = GUARANTEE

    @property
    def window(self) -> int:
        return self.guarantee - self.noise + 1


DEFAULT = Settings()


@dataclass
class Match:
    """Two documents compared: each one's score, and where in each the shared code is (character slices)."""

    score_a: float
    score_b: float
    slices_a: np.ndarray = field(default_factory=lambda: np.zeros((2, 0), int))
    slices_b: np.ndarray = field(default_factory=lambda: np.zeros((2, 0), int))


def boilerplate_hashes(sources: list[str], settings: Settings = DEFAULT) -> np.ndarray:
    """Every k-gram hash of the given code (all of them, not winnowed): what no score may count."""
    hashes: set[int] = set()
    for source in sources:
        hashes |= fingerprint(source, settings, window=1).hashes
    return np.array(sorted(hashes), dtype=np.int64)


def fingerprint(
    code: str, settings: Settings = DEFAULT, boilerplate: np.ndarray | None = None, window: int | None = None
) -> CodeFingerprint:
    """copydetect's fingerprint of ``code`` (Python), without the ``boilerplate`` hashes."""
    return CodeFingerprint(
        "answer.py",
        settings.noise,
        window or settings.window,
        boilerplate=boilerplate if boilerplate is not None and len(boilerplate) else None,
        language=LANGUAGE,
        fp=io.StringIO(code),
    )


def _share(value) -> float:
    """A copydetect similarity as a float in [0, 1]: 0 where a document has no fingerprints left (0/0)."""
    value = float(value)
    return value if np.isfinite(value) else 0.0


def compare(a: CodeFingerprint, b: CodeFingerprint) -> Match:
    """How much of ``a`` is in ``b`` and of ``b`` in ``a``; nothing in common is checked first, as it is cheap."""
    if not a.hashes & b.hashes:
        return Match(0.0, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        _, (score_a, score_b), (slices_a, slices_b) = compare_files(a, b)
    return Match(_share(score_a), _share(score_b), np.asarray(slices_a, int), np.asarray(slices_b, int))
