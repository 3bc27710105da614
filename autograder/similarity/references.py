"""The sources a student could copy an answer from: rnncore's own functions and the instructor's solution.

**rnncore.** The course publishes rnncore, and with it a correct version of
every function an assignment asks for. Which ones an assignment asks for is
what its checks compare the student's answers with: starting from the checks
its test cells call (``grading.check_rnn_forward``), every rnncore function
they reach, through the names they use, is a reference (``rnn.rnn_forward``,
``attention.attention_forward`` behind the attention assignment's
``additive_attention_reference``, ``affine_backward`` behind a loss's
gradient). The grading machinery itself (the engine, the torch bridge, the
gradient checker, input validation) is not: it computes no answer. Nor is
what the release hands out (``from rnncore.rnn import rnn_forward`` in a
locked cell): a student is meant to use it, and its source is boilerplate.

**The instructor's solution.** The answer cells of the source notebook, with
nbgrader's solution markers removed.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat

from autograder import handouts
from autograder.similarity.answers import answer_ids

GRADING = "rnncore.grading"
# rnncore's machinery: it compares, bridges to torch, validates and draws, but computes no answer.
MACHINERY = (
    "rnncore.grading.engine",
    "rnncore.torch_ref",
    "rnncore.gradcheck",
    "rnncore._checks",
    "rnncore.plotting",
    "rnncore.diagrams",
)
CHECK_CALL = re.compile(r"\bgrading\.(check_\w+)\b")
SOLUTION = re.compile(r"[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?")


def checks_called(sources: list[str]) -> list[Callable]:
    """The checks of :mod:`rnncore.grading` that the given test cells call, in order of first call."""
    grading = importlib.import_module(GRADING)
    names = dict.fromkeys(name for source in sources for name in CHECK_CALL.findall(source))
    return [getattr(grading, name) for name in names if hasattr(grading, name)]


def _in(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _functions_used(function: Callable) -> Iterator[Callable]:
    """The rnncore functions ``function``'s body names, directly (``f``) or through a module (``rnn.f``)."""
    function = inspect.unwrap(function)
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    scope = function.__globals__
    for node in ast.walk(tree):
        found = None
        if isinstance(node, ast.Name):
            found = scope.get(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            base = scope.get(node.value.id)
            found = getattr(base, node.attr, None) if inspect.ismodule(base) else None
        found = inspect.unwrap(found) if callable(found) else found
        if inspect.isfunction(found) and _in(found.__module__, ("rnncore",)):
            yield found


def _is_answer(function: Callable) -> bool:
    """Whether a reached function computes an answer a student could copy (not a check, an input or a twin)."""
    if function.__module__.startswith(GRADING + "."):
        return not function.__name__.startswith(("check_", "_"))
    return True


def reference_functions(checks: list[Callable], handed_out: set[tuple[str, str]]) -> list[Callable]:
    """Every rnncore function the checks reach, outside the machinery and the handouts, in source order.

    ``handed_out`` holds ``(module, name)`` pairs; a handed-out function is
    neither a reference nor followed further.
    """
    seen: dict[tuple[str, str], Callable] = {}
    pending = list(checks)
    while pending:
        function = pending.pop()
        key = (function.__module__, function.__qualname__)
        if key in seen or key in handed_out or _in(function.__module__, MACHINERY):
            continue
        seen[key] = function
        pending.extend(_functions_used(function))
    found = [f for f in seen.values() if _is_answer(f)]
    return sorted(found, key=lambda f: (f.__module__, inspect.getsourcelines(f)[1]))


def handed_out_names(locked_sources: list[str]) -> set[tuple[str, str]]:
    """``(module, name)`` of each rnncore function the release's locked cells import (whole modules: every name)."""
    names = set()
    for module, wanted in handouts.requested_by(locked_sources).items():
        if module == GRADING:
            continue
        if wanted is handouts.EVERYTHING:
            wanted = {n for n, f in vars(importlib.import_module(module)).items() if inspect.isfunction(f)}
        names.update((module, n) for n in wanted)
    return names


def handout_sources(locked_sources: list[str]) -> list[str]:
    """The source of what the release hands out, with what it needs: boilerplate, like the release's cells."""
    requests = handouts.requested_by(locked_sources)
    requests = {m: names for m, names in requests.items() if m != GRADING}
    return list(handouts.view(requests).values()) if requests else []


def _cells(release, *, tests: bool) -> list[str]:
    return [
        c.source
        for c in release.cells
        if c.cell_type == "code"
        and c.metadata.get("nbgrader", {}).get("locked")
        and bool(c.metadata["nbgrader"].get("grade")) == tests
    ]


def graded_cells(release) -> list[str]:
    """The sources of the release's test cells, which call the checks."""
    return _cells(release, tests=True)


def given_imports(release) -> list[str]:
    """The sources of the release's locked cells that are not tests: what they import is handed out."""
    return _cells(release, tests=False)


def rnncore_reference(release) -> str:
    """The rnncore functions an assignment asks for (see the module's docstring), as one listing."""
    handed_out = handed_out_names(given_imports(release))
    functions = reference_functions(checks_called(graded_cells(release)), handed_out)
    return "\n\n".join(
        f"# --- {f.__module__}.{f.__qualname__}\n{textwrap.dedent(inspect.getsource(f)).rstrip()}\n" for f in functions
    )


def solution_reference(solution_notebook: Path) -> str:
    """The instructor's answer cells, solution markers removed, each headed by its grade id."""
    nb = nbformat.read(solution_notebook, as_version=4)
    ids = set(answer_ids(nb))
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in ids]
    return "\n".join(
        f"# --- answer cell {c.metadata['nbgrader']['grade_id']}\n{SOLUTION.sub('', c.source).rstrip()}\n"
        for c in cells
    )
