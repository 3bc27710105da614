"""The corpus the similarity report is tested on: copies in disguise, and answers written independently.

A copy is disguised the way a student hides one (:func:`disguised`): every
local name renamed, independent neighbouring statements swapped, comments and
docstrings replaced, the code reformatted. What is copied, per assignment:

* a classmate's answer (each hand-written alternative of ``grading_cases``);
* rnncore's own functions, put under the assignment's signatures
  (:func:`rnncore_copy`);
* the instructor's solution: its rewrites and mutants in ``grading_cases``
  (edits of it) and the solution itself in disguise.

The independent answers are the hand-written alternatives of
``grading_cases`` and those of :data:`INDEPENDENT` (in
``similarity_independent``), each written for its own style.
"""

from __future__ import annotations

import ast
import inspect
import random
import textwrap

import nbformat
from grading_cases import CASES, ROOT, alternatives, filled_release, instructor_code, mutants

from autograder.similarity.answers import answer_code, answer_ids

ASSIGNMENTS = sorted(CASES)


def release(assignment: str):
    return nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)


def as_answer(assignment: str, functions: dict[str, str], solved: bool = False) -> str:
    """The answer code of a submission whose answer cells are ``functions`` (the rest unanswered, or solved)."""
    return answer_code(filled_release(ROOT, assignment, functions, solved=solved), release(assignment))


# --------------------------------------------------------------------------- disguise


class _Renamer(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]):
        self.names = names

    def visit_Name(self, node):
        node.id = self.names.get(node.id, node.id)
        return node

    def visit_arg(self, node):
        node.arg = self.names.get(node.arg, node.arg)
        return node


def _locals(tree: ast.AST) -> set[str]:
    """The names a function binds: its parameters and everything it assigns."""
    names = {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return names


def _reads(statement: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _writes(statement: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _independent(first: ast.stmt, second: ast.stmt) -> bool:
    """Whether two neighbouring assignments can swap places without changing what the code computes."""
    simple = (ast.Assign, ast.AugAssign, ast.AnnAssign)
    if not (isinstance(first, simple) and isinstance(second, simple)):
        return False
    w1, w2 = _writes(first), _writes(second)
    return not (w1 & w2 or w1 & _reads(second) or w2 & _reads(first))


def _reordered(body: list[ast.stmt]) -> list[ast.stmt]:
    """``body`` with each pair of independent neighbouring assignments swapped (nested bodies too)."""
    body = list(body)
    k = 0
    while k + 1 < len(body):
        if _independent(body[k], body[k + 1]):
            body[k], body[k + 1] = body[k + 1], body[k]
            k += 2
        else:
            k += 1
    for statement in body:
        for attr in ("body", "orelse"):
            if isinstance(getattr(statement, attr, None), list) and getattr(statement, attr):
                setattr(statement, attr, _reordered(getattr(statement, attr)))
    return body


WORDS = ["acc", "tmp", "val", "res", "buf", "arr", "out", "part", "item", "cur", "prev", "step", "mat", "vec"]


def disguised(code: str, seed: int = 0) -> str:
    """``code`` as a student hides a copy: names, order of independent lines, comments and layout changed.

    Each function's parameters and local names get new names (consistently),
    each pair of independent neighbouring assignments is swapped, docstrings
    are replaced and comments dropped (``ast.unparse``), and a comment of the
    student's own heads each function. Function names stay: the assignment
    fixes them.
    """
    rng = random.Random(seed)
    tree = ast.parse(textwrap.dedent(code))
    for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        local = sorted(_locals(function))
        words = rng.sample(WORDS, len(WORDS))
        names = {name: f"{words[k % len(words)]}_{k}" for k, name in enumerate(local)}
        _Renamer(names).visit(function)
        body = function.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        function.body = [ast.Expr(ast.Constant("My own implementation."))] + _reordered(body)
    lines = ast.unparse(tree).splitlines()
    return "\n".join(f"# worked this out myself\n{line}" if line.startswith("def ") else line for line in lines)


def renamed(code: str, seed: int = 0) -> str:
    """``code`` with its functions' local variables renamed (parameters, docstrings, order kept), reformatted."""
    rng = random.Random(seed)
    tree = ast.parse(textwrap.dedent(code))
    for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        local = sorted(_locals(function) - {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)})
        _Renamer({name: f"{rng.choice(WORDS)}_{k}" for k, name in enumerate(local)}).visit(function)
    return ast.unparse(tree)


def disguised_functions(functions: dict[str, str], seed: int = 0) -> dict[str, str]:
    return {name: disguised(code, seed + k) for k, (name, code) in enumerate(functions.items())}


# --------------------------------------------------------------------------- rnncore's functions, copied

# Where an assignment's function has no namesake in rnncore, the rnncore function a student would copy for it.
RNNCORE_SOURCES = {
    "sequence_loss": ["rnncore.losses.softmax_cross_entropy"],
    "sequence_loss_backward": ["rnncore.losses.softmax_cross_entropy", "rnncore.layers.affine_backward"],
    "jacobians": ["rnncore.jacobians.rnn_jacobians"],
    "jacobian_norms": ["rnncore.jacobians.jacobian_norms"],
    "decoder_loss": ["rnncore.grading.architectures.decoder_loss_and_grads"],
    "decoder_backward": ["rnncore.grading.architectures.decoder_loss_and_grads"],
    "additive_attention_forward": ["rnncore.attention.attention_forward"],
    "additive_attention_backward": ["rnncore.attention.attention_backward"],
    "attention_decoder_step": ["rnncore.grading.attention.attention_decoder_step_reference"],
}


def _function(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)


def _signature(assignment: str, function: str) -> str:
    """The ``def`` line the release gives for ``function``."""
    stub = next(
        c.source for c in release(assignment).cells if c.metadata.get("nbgrader", {}).get("grade_id") == function
    )
    return next(line for line in stub.splitlines() if line.startswith("def "))


def rnncore_copy(assignment: str, function: str) -> str:
    """rnncore's code for ``function``, under the assignment's signature: its namesake's body, or helpers called.

    The namesake (``rnncore.rnn.rnn_forward`` for ``rnn_forward``) keeps its
    body under the assignment's ``def`` line; for a function without one, the
    rnncore functions of :data:`RNNCORE_SOURCES` are copied whole beside it and
    the answer calls the first.
    """
    header = _signature(assignment, function)
    names = RNNCORE_SOURCES.get(function)
    if names is None:
        module = next(m for m in ("rnn", "lstm", "gru", "leaky", "optim", "bidirectional") if _has(m, function))
        source = textwrap.dedent(inspect.getsource(_function(f"rnncore.{module}.{function}")))
        start = ast.parse(source).body[0].body[0].lineno - 1  # the body's first line, after the signature
        return header + "\n" + "\n".join(source.splitlines()[start:])
    helpers = [textwrap.dedent(inspect.getsource(_function(n))) for n in names]
    call = names[0].rpartition(".")[2]
    arguments = header[header.index("(") + 1 : header.rindex(")")]
    return "\n\n".join(helpers) + f"\n\n{header}\n    return {call}({arguments})"


def _has(module: str, function: str) -> bool:
    m = __import__(f"rnncore.{module}", fromlist=[function])
    return getattr(getattr(m, function, None), "__module__", None) == m.__name__


def rnncore_copies(assignment: str) -> dict[str, str]:
    """Every answer of the assignment copied from rnncore."""
    return {f: rnncore_copy(assignment, f) for f in answer_ids(release(assignment))}


# --------------------------------------------------------------------------- the corpus


def copies_of_solution(assignment: str) -> dict[str, str]:
    """Edits of the instructor's solution, as whole submissions: its mutants, its rewrites, itself disguised."""
    found = {}
    for k, (function, source) in enumerate(mutants(assignment), start=1):
        found[f"mutant {k} ({function})"] = as_answer(assignment, {function: source}, solved=True)
    handwritten = len(CASES[assignment]["alternatives"])
    for k, rewrite in enumerate(alternatives(assignment)[handwritten:], start=1):
        found[f"rewrite {k}"] = as_answer(assignment, rewrite, solved=True)
    solved = {f: instructor_code(assignment, f) for f in answer_ids(release(assignment))}
    found["the solution disguised"] = as_answer(assignment, disguised_functions(solved))
    return found


def handwritten_alternatives(assignment: str) -> dict[str, dict[str, str]]:
    """The hand-written correct alternatives of ``grading_cases`` (without the rewrites of the solution)."""
    return {f"alternative {k}": alt for k, alt in enumerate(CASES[assignment]["alternatives"], start=1)}
