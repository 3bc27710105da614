"""Planted values: a correct answer with one entry replaced by a huge, tiny or non-finite number must fail.

Every ``check_*`` of :mod:`rnncore.grading` is run in process on the
instructor's solution (the answer cells of ``solutions/<assignment>``), with
the graded function wrapped so that one entry of one of the values the check
compares (each returned array, loss or norm in turn) is replaced by each of
:data:`PLANTED`. A value that overflows the norms of a relative error (any
entry above about 1e154) once made the error NaN, and ``NaN > tolerance`` is
False: such answers passed every comparison.
"""

import math
from pathlib import Path

import nbformat
import numpy as np
import pytest
from grading_cases import solution_code

from rnncore import grading, rnn
from rnncore.grading import engine

ROOT = Path(__file__).resolve().parents[1]
TINY = (1e-320, 5e-324)  # subnormal: put in place of the largest entry, so that the answer is really wrong
PLANTED = (1e200, -1e300, *TINY, math.nan, math.inf, -math.inf)

# Each check: its assignment, and its arguments, the graded function last (a name in the solution's namespace,
# or a callable passed as is).
CHECKS = {
    "check_rnn_step_forward": ("recurrence", ["rnn_step_forward"]),
    "check_rnn_forward": ("recurrence", ["rnn_forward"]),
    "check_sequence_loss": ("recurrence", ["sequence_loss"]),
    "check_rnn_step_backward": ("bptt", ["rnn_step_forward", "rnn_step_backward"]),
    "check_rnn_backward": ("bptt", ["rnn_forward", "rnn_backward"]),
    "check_sequence_loss_backward": ("bptt", ["sequence_loss_backward"]),
    "check_jacobians": ("long_term", ["jacobians"]),
    "check_jacobian_norms": ("long_term", ["jacobian_norms"]),
    "check_clip_by_global_norm": ("long_term", ["clip_by_global_norm"]),
    "check_leaky_forward": ("long_term", ["leaky_forward"]),
    "check_leaky_backward": ("long_term", ["leaky_backward"]),
    "check_lstm_step_forward": ("lstm", ["lstm_step_forward"]),
    "check_lstm_forward": ("lstm", ["lstm_forward"]),
    "check_lstm_step_backward": ("lstm", ["lstm_step_backward"]),
    "check_lstm_backward": ("lstm", [grading.lstm_forward_by_steps, "lstm_backward"]),
    "check_gru_step_forward": ("gru", ["gru_step_forward"]),
    "check_gru_forward": ("gru", ["gru_forward"]),
    "check_gru_step_backward": ("gru", ["gru_step_backward"]),
    "check_gru_backward": ("gru", [grading.gru_forward_by_steps, "gru_backward"]),
    "check_bidirectional_forward": ("architectures", ["bidirectional_forward"]),
    "check_bidirectional_backward": ("architectures", ["bidirectional_backward"]),
    "check_decoder_loss": ("architectures", ["decoder_loss"]),
    "check_decoder_backward": ("architectures", ["decoder_backward"]),
    "check_additive_attention_forward": ("attention", ["additive_attention_forward"]),
    "check_additive_attention_backward": ("attention", ["additive_attention_backward"]),
    "check_attention_decoder_step": ("attention", ["attention_decoder_step"]),
}
_SOLUTIONS: dict[str, dict] = {}


def solution(assignment: str) -> dict:
    """The namespace of the instructor's notebook after its setup and answer cells (not its tests)."""
    if assignment not in _SOLUTIONS:
        nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
        namespace = {}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if cell.cell_type == "code" and meta is not None and not meta.get("grade"):
                exec(compile(solution_code(cell.source), meta["grade_id"], "exec"), namespace)  # noqa: S102
        _SOLUTIONS[assignment] = namespace
    return _SOLUTIONS[assignment]


def arguments(check: str) -> list:
    assignment, args = CHECKS[check]
    namespace = solution(assignment)
    return [namespace[a] if isinstance(a, str) else a for a in args]


def _is_number(value) -> bool:
    return isinstance(value, float | np.floating) or (isinstance(value, np.ndarray) and value.dtype.kind == "f")


def compared(result) -> list[tuple]:
    """Where the numbers a check compares sit in a result: the result itself, its top-level items, a dict's values.

    Nested tuples and lists (caches) are left alone: no check compares them.
    """
    if _is_number(result):
        return [()]
    items = result.items() if isinstance(result, dict) else enumerate(result)
    found = []
    for key, item in items:
        if _is_number(item):
            found.append((key,))
        elif isinstance(item, dict):
            found += [(key, k) for k, v in item.items() if _is_number(v)]
    return found


def with_entry(value, planted: float):
    """``value`` (an array or a number) as float64 with one entry replaced by ``planted``.

    A tiny ``planted`` replaces the entry of largest magnitude, anything else the last entry.
    Float64 even when the check's inputs are float32, where 1e200 would become inf.
    """
    arr = np.array(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.float64(planted)
    arr.flat[int(np.argmax(np.abs(arr))) if planted in TINY else -1] = planted  # flat: in C order, in place
    return arr


def planted_at(result, path: tuple, planted: float):
    """``result`` with the number at ``path`` (see :func:`compared`) changed by :func:`with_entry`."""
    if not path:
        return with_entry(result, planted)
    head, rest = path[0], path[1:]
    if isinstance(result, dict):
        return {**result, head: planted_at(result[head], rest, planted)}
    items = list(result)
    items[head] = planted_at(items[head], rest, planted)
    return type(result)(items) if not hasattr(result, "_fields") else type(result)(*items)


def planting(fn, path: tuple, planted: float, planted_in: list):
    """``fn`` whose every result has ``planted`` at ``path``; ``planted_in`` counts the results changed."""

    def answer(*args, **kwargs):
        result = fn(*args, **kwargs)
        if path in compared(result):  # a dict's keys vary from call to call
            planted_in.append(path)
            return planted_at(result, path, planted)
        return result

    return answer


def recording(fn, seen: list):
    """``fn`` unchanged, noting where the numbers sit in each of its results."""

    def answer(*args, **kwargs):
        result = fn(*args, **kwargs)
        seen.extend(p for p in compared(result) if p not in seen)
        return result

    return answer


def test_every_check_is_covered():
    assert set(CHECKS) == {name for name in grading.__all__ if name.startswith("check_")}


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_a_planted_value_fails_where_the_correct_answer_passes(check):
    *given, graded = arguments(check)
    run = getattr(grading, check)
    seen = []
    with grading.warnings_ignored(), engine.only(engine.FLOAT64):
        run(*given, recording(graded, seen), seed=0)  # the correct answer passes
        assert seen, f"{check}: no number to plant a value in"
        passed = []
        for path in seen:
            for value in PLANTED:
                planted_in = []
                try:
                    run(*given, planting(graded, path, value, planted_in), seed=0)
                    passed.append((path, value))
                except grading.GradingError:
                    pass
                assert planted_in, f"{check}: {value} was never planted at {path}"
    assert not passed, f"{check} passed answers with a planted value (where in the result, value): {passed}"


def _dx_planted_in(which: str):
    """rnncore's step backward, with 1e200 in ``dx`` in one pass only: "float64", "float32" or "at scale"."""

    def backward(dh, cache):
        grads = rnn.rnn_step_backward(dh, cache)
        current = "at scale" if engine.at_scale() else np.dtype(engine.precision().dtype).name
        return grads._replace(dx=with_entry(grads.dx, 1e200)) if current == which else grads

    return backward


@pytest.mark.parametrize(
    ("which", "said"), [("float64", "rnn_step_backward"), ("float32", "with float32 inputs"), ("at scale", "on large")]
)
def test_a_full_check_fails_a_planted_value_in_each_of_its_passes(which, said):
    with grading.warnings_ignored():
        grading.check_rnn_step_backward(rnn.rnn_step_forward, rnn.rnn_step_backward, seed=0)
        with pytest.raises(grading.GradingError, match=rf"^{said}.*dx is wrong"):
            grading.check_rnn_step_backward(rnn.rnn_step_forward, _dx_planted_in(which), seed=0)
