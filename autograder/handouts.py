"""What of rnncore a student's code may import in the sandbox: the assignment's handouts and nothing more.

An assignment hands out a few of rnncore's functions in its locked cells (for
example ``from rnncore.rnn import rnn_forward, rnn_backward`` in the
architectures assignment) and forbids the rest: a student who imported
``rnncore.rnn.rnn_step_backward`` in the backpropagation assignment would
hand in the course's own answer. So the sandbox never sees the rnncore
package. It sees a *view* of it, written here as source: each handed-out name
with exactly the top-level definitions it needs (its closure), module by
module, and an empty ``rnncore.grading`` (the checks run in the grader).

When a check grades one function on its own, it substitutes rnncore's
reference for another one (``grading.substitute``). That reference reaches the
sandbox the same way, as its own view under a fresh top-level package
``reference_<k>``, written only when the substitution is made, so nothing of
it is importable while the function it stands for is being graded.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = "rnncore"
GRADING = "rnncore.grading"
EVERYTHING = None  # a request for a whole module
GRADING_STUB = '"""The checks run in the grader, not in the sandbox: nothing of them is here."""\n'


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _merge(requests: dict, module: str, names: set[str] | None) -> None:
    """Add ``names`` of ``module`` (``EVERYTHING`` for the whole module) to ``requests``."""
    if names is EVERYTHING or requests.get(module, set()) is EVERYTHING:
        requests[module] = EVERYTHING
    else:
        requests.setdefault(module, set()).update(names)


def requested_by(sources: list[str]) -> dict[str, set[str] | None]:
    """What the given code imports from rnncore: ``{module: names or EVERYTHING}``."""
    requests: dict = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == ROOT:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    if _is_module(submodule):
                        _merge(requests, submodule, EVERYTHING)
                    else:
                        _merge(requests, node.module, {alias.name})
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == ROOT:
                        _merge(requests, alias.name, EVERYTHING)
    return requests


def _defined_by(statement: ast.stmt) -> set[str]:
    """The top-level names a statement binds."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {statement.name}
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in statement.names}
    if isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _names_used(statement: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(statement) if isinstance(n, ast.Name)}


def _attributes_used(statements: list[ast.stmt], alias: str) -> set[str]:
    """The attributes read from the name ``alias`` (``gru.gru_step_forward`` -> ``gru_step_forward``)."""
    return {
        n.attr
        for s in statements
        for n in ast.walk(s)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == alias
    }


def restrict(module: str, names: set[str] | None) -> tuple[ast.Module, dict[str, set[str] | None]]:
    """``module``'s source cut down to ``names`` and their closure, and what that needs of other rnncore modules.

    A statement is kept if it defines a name that is needed; a name is needed if
    it was asked for or a kept statement uses it. ``__all__`` is dropped (it
    would name what was cut).
    """
    path = Path(importlib.util.find_spec(module).origin)
    tree = ast.parse(path.read_text())
    body = tree.body
    docstring = body[:1] if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) else []
    definers: dict[str, list[int]] = {}
    for k, statement in enumerate(body):
        for name in _defined_by(statement) - {"__all__"}:
            definers.setdefault(name, []).append(k)
    wanted = set(definers) if names is EVERYTHING else set(names)
    missing = wanted - set(definers)
    if missing:
        raise ImportError(f"{module} defines no {', '.join(sorted(missing))}")
    kept: set[int] = set()
    queue = list(wanted)
    while queue:
        for k in definers.get(queue.pop(), []):
            if k not in kept:
                kept.add(k)
                queue.extend(_names_used(body[k]))
    future = [s for s in body if isinstance(s, ast.ImportFrom) and s.module == "__future__"]
    statements = [s for k, s in enumerate(body) if k in kept and s not in future]
    needs: dict = {}
    used = set().union(*(_names_used(s) for s in statements)) if statements else set()
    for statement in statements:
        if isinstance(statement, ast.ImportFrom) and (statement.module or "").split(".")[0] == ROOT:
            statement.names = [a for a in statement.names if (a.asname or a.name) in used]
            for alias in statement.names:
                submodule = f"{statement.module}.{alias.name}"
                if _is_module(submodule):
                    _merge(needs, submodule, _attributes_used(statements, alias.asname or alias.name))
                else:
                    _merge(needs, statement.module, {alias.name})
        elif isinstance(statement, ast.Import) and any(a.name.split(".")[0] == ROOT for a in statement.names):
            raise NotImplementedError(f"{module}: `import rnncore...` is not supported in a view; use `from`")
    statements = [s for s in statements if not (isinstance(s, ast.ImportFrom) and not s.names)]
    return ast.Module(body=docstring + future + statements, type_ignores=[]), needs


def _renamed(tree: ast.Module, prefix: str) -> ast.Module:
    """Point the view's imports of rnncore at ``prefix + "rnncore..."``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == ROOT:
            node.module = prefix + node.module
    return tree


def view(requests: dict[str, set[str] | None], prefix: str = "") -> dict[str, str]:
    """The view's files, ``{relative path: source}``, for ``requests`` and everything they need.

    Every package on the way is an empty ``__init__.py``; ``rnncore.grading``
    itself is a stub, whatever was asked of it.
    """
    pending = dict(requests)
    done: dict[str, set[str] | None] = {}
    while pending:
        module, names = pending.popitem()
        before = done.get(module, set())
        if module in done and (before is EVERYTHING or (names is not EVERYTHING and names <= before)):
            continue
        _merge(done, module, names)
        if module == GRADING:
            continue
        for other, more in restrict(module, done[module])[1].items():
            _merge(pending, other, more)
    files: dict[str, str] = {}
    packages = {prefix.rstrip(".")} if prefix else set()
    for module, names in done.items():
        parts = module.split(".")
        for depth in range(1, len(parts)):
            packages.add(prefix + ".".join(parts[:depth]))
        is_package = Path(importlib.util.find_spec(module).origin).name == "__init__.py"
        relative = prefix + module
        path = relative.replace(".", "/") + ("/__init__.py" if is_package else ".py")
        if module == GRADING:
            files[path] = GRADING_STUB
        else:
            files[path] = ast.unparse(_renamed(restrict(module, names)[0], prefix)) + "\n"
    for package in packages - {prefix + m for m in done}:
        files[package.replace(".", "/") + "/__init__.py"] = '"""Handed out by the assignment."""\n'
    return files


def write_view(files: dict[str, str], root: Path) -> None:
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
