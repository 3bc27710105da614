"""Every pair worth a look in a class: each student against each classmate and against each reference.

A pair's similarity is the larger of its two scores (:mod:`.scores`): the share
of one side's answer that the other side also has. Against a reference
(rnncore, the instructor's solution) only the student's share counts: the
reference is long, and a student who copied one function from it has a small
share of the reference but a large share of their own answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from autograder.similarity.scores import DEFAULT, Match, Settings, compare, fingerprint

CLASSMATE = "classmate"


@dataclass
class Pair:
    """Two documents compared: ``a`` is always a student; ``b`` a classmate or a reference (``source``)."""

    student_a: str
    student_b: str
    similarity: float
    source: str
    match: Match


def score_pairs(
    answers: dict[str, str],
    references: dict[str, str],
    boilerplate: np.ndarray,
    settings: Settings = DEFAULT,
) -> list[Pair]:
    """Every student against every classmate and every reference, highest similarity first.

    ``answers`` maps a student id to the student's answer code, ``references``
    a source's name (``rnncore``, ``solution``) to its code. Ties are ordered
    by the names, so that the order is reproducible.
    """
    prints = {name: fingerprint(code, settings, boilerplate) for name, code in answers.items()}
    pairs = []
    for a, b in combinations(sorted(prints), 2):
        match = compare(prints[a], prints[b])
        pairs.append(Pair(a, b, max(match.score_a, match.score_b), CLASSMATE, match))
    for source, code in references.items():
        reference = fingerprint(code, settings, boilerplate)
        for a in sorted(prints):
            match = compare(prints[a], reference)
            pairs.append(Pair(a, source, match.score_a, source, match))
    return sorted(pairs, key=lambda p: (-p.similarity, p.student_a, p.student_b))
