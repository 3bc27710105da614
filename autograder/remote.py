"""Student functions that run in the sandbox, called from the trusted grader as if they were local.

A :class:`RemoteFunction` sends its arguments to a :class:`~rnncore.grading.sandbox.Session`
and returns what the student's function returned, decoded: numbers and arrays
as float64 arrays, tuples, lists and dicts as such. Every decoded part remembers
where it came from (``.remote``), so passing it back to another student
function (a cache from forward to backward) sends a reference, and the student
gets back the very object they returned. A student's exception comes back as
:class:`StudentError` (``NotImplementedError`` as itself), so the checks report
it as they do in a notebook.

:class:`RemoteNamespace` stands for the notebook's ``globals()`` in the checks'
``substitute``: names set to a trusted function (rnncore's reference, say) are
set inside the sandbox by import path.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from rnncore.grading.engine import call_time_limit
from rnncore.grading.sandbox import Session


class StudentError(Exception):
    """An exception raised by the student's code in the sandbox, as "TypeName: message"."""


class RemoteArray(np.ndarray):
    """A float64 view of an array the student returned; ``remote`` locates the original in the sandbox."""

    remote: tuple | None = None

    def __array_finalize__(self, obj):
        self.remote = None  # a slice or a result computed from it is not what the student returned


class RemoteTuple(tuple):
    remote: tuple | None = None


class RemoteList(list):
    remote: tuple | None = None


class RemoteDict(dict):
    remote: tuple | None = None


class Opaque:
    """Something the student returned that is not numbers (an object, a string): usable only as an argument."""

    def __init__(self, remote):
        self.remote = remote

    def __repr__(self):
        return "<an object in the sandbox>"


def _with_remote(value, remote):
    value.remote = remote
    return value


def decode(encoded: dict, arrays: dict, handle: int, path: tuple = ()):
    """The trusted view of a returned value (see the driver's encoding)."""
    remote = (handle, list(path))
    if "a" in encoded:
        return _with_remote(np.asarray(arrays[encoded["a"]], dtype=np.float64).view(RemoteArray), remote)
    if "t" in encoded:
        return _with_remote(
            RemoteTuple(decode(v, arrays, handle, (*path, k)) for k, v in enumerate(encoded["t"])), remote
        )
    if "l" in encoded:
        return _with_remote(
            RemoteList(decode(v, arrays, handle, (*path, k)) for k, v in enumerate(encoded["l"])), remote
        )
    if "d" in encoded:
        items = {k: decode(v, arrays, handle, (*path, k)) for k, v in encoded["d"].items()}
        return _with_remote(RemoteDict(items), remote)
    if "n" in encoded:
        return None
    return Opaque(remote)


def encode(value, arrays: dict, session: Session) -> dict:
    """An argument for the sandbox: our arrays by value (dtype kept), the student's values by reference.

    One of rnncore's functions goes by import path, after ``session`` has made
    it (and only it) importable there.
    """
    remote = getattr(value, "remote", None)
    if remote is not None:
        return {"r": remote}
    if callable(value) and getattr(value, "__module__", "").startswith("rnncore."):
        return {"i": session.provide(value)}
    if isinstance(value, np.ndarray | np.generic | float | int | bool):
        key = f"x{len(arrays)}"
        arrays[key] = np.asarray(value)
        return {"a": key}
    if isinstance(value, tuple | list):
        return {"t" if isinstance(value, tuple) else "l": [encode(v, arrays, session) for v in value]}
    if isinstance(value, dict):
        return {"d": {str(k): encode(v, arrays, session) for k, v in value.items()}}
    if value is None:
        return {"n": None}
    if isinstance(value, str):
        return {"s": value}
    raise TypeError(f"cannot send a {type(value).__name__} to the sandbox")


@contextmanager
def _in_protocol(session: Session):
    """A reply that cannot be decoded was forged by the student's code: the session ends as malformed."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as err:
        raise session.malformed(f"an answer not of the protocol's form ({type(err).__name__})") from None


def _raise_student_error(reply: dict):
    if reply.get("type") == "NotImplementedError":
        raise NotImplementedError
    raise StudentError(f"{reply.get('type', 'Error')}: {reply.get('error', '')}")


class RemoteFunction:
    """The student's function ``name``, run in ``session``."""

    enforces_time_limit = True  # the grader stops waiting, and the sandbox, when the check's limit is up

    def __init__(self, session: Session, name: str):
        self.session, self.__name__ = session, name

    def __call__(self, *args):
        arrays: dict = {}
        payload = {"op": "call", "fn": self.__name__, "args": [encode(a, arrays, self.session) for a in args]}
        reply, values = self.session.request(payload, arrays, timeout=call_time_limit())
        if reply.get("status") != "ok":
            _raise_student_error(reply)
        with _in_protocol(self.session):
            return decode(reply["value"], values, reply["handle"])


class RemoteNamespace:
    """The sandbox's module namespace, with the few mapping methods ``grading.substitute`` uses."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, name: str, default=None):
        reply, _ = self.session.request({"op": "get", "name": name})
        with _in_protocol(self.session):
            return Opaque((int(reply["handle"]), [])) if reply.get("exists") else default

    def update(self, values=(), **more):
        for name, value in dict(values, **more).items():
            self[name] = value

    def __setitem__(self, name: str, value):
        arrays: dict = {}
        payload = {"op": "set", "name": name, "value": encode(value, arrays, self.session)}
        reply, _ = self.session.request(payload, arrays)
        if reply.get("status") != "ok":
            _raise_student_error(reply)

    def pop(self, name: str, default=None):
        self.session.request({"op": "del", "name": name})
        return default
