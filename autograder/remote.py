"""Student functions that run in the sandbox, called from the trusted grader as if they were local.

A :class:`RemoteFunction` sends its arguments to a :class:`~autograder.sandbox.Session`
and returns what the student's function returned, decoded: numbers and arrays
as float64 arrays, tuples, lists and dicts as such. Every decoded part remembers
where it came from (``.remote``), so passing it back to another student
function (a cache from forward to backward) sends a reference, and the student
gets back the very object they returned. A student's exception comes back as
:class:`~rnncore.grading.engine.StudentCodeError` (``NotImplementedError`` as itself), so the checks report
it as they do in a notebook.

:class:`RemoteNamespace` stands for the notebook's ``globals()`` in the checks'
``substitute``: names set to a trusted function (rnncore's reference, say) are
set inside the sandbox by import path.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from autograder import channel
from autograder.sandbox import Session
from rnncore.grading.engine import RunnerValue, StudentCodeError, call_time_limit


class RemoteArray(np.ndarray, RunnerValue):
    """A float64 view of an array the student returned; ``remote`` locates the original in the sandbox."""

    def __array_finalize__(self, obj):
        self.remote = None  # a slice or a result computed from it is not what the student returned


class RemoteTuple(tuple, RunnerValue):
    pass


class RemoteList(list, RunnerValue):
    pass


class RemoteDict(dict, RunnerValue):
    pass


class Opaque(RunnerValue):
    """Something the student returned that is not numbers (an object, a string): usable only as an argument."""

    def __init__(self, remote):
        self.remote = remote

    def __repr__(self):
        return "<an object in the sandbox>"


_KINDS = {"tuple": RemoteTuple, "list": RemoteList, "dict": RemoteDict}


def _adopt(kind: str, value, remote):
    """The grader's object for one decoded part of a result, remembering where it is kept."""
    if kind == "opaque":
        return Opaque(remote)
    adopted = value.view(RemoteArray) if kind == "array" else _KINDS[kind](value)
    adopted.remote = remote
    return adopted


def decode(encoded: dict, arrays: dict, handle: int):
    """The trusted view of a returned value (the format is :mod:`autograder.channel`'s)."""
    return channel.decode_result(encoded, arrays, handle, _adopt)


def encode(value, arrays: dict, session: Session) -> dict:
    """An argument for the sandbox: our arrays by value (dtype kept), the student's values by reference.

    One of rnncore's functions goes by import path, after ``session`` has made
    it (and only it) importable there.
    """

    def reference(part):
        if isinstance(part, RunnerValue) and part.remote is not None:
            return {channel.PART: part.remote}
        if callable(part) and getattr(part, "__module__", "").startswith("rnncore."):
            return {channel.IMPORT: session.provide(part)}
        return None

    return channel.encode_argument(value, arrays, reference)


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
    raise StudentCodeError(f"{reply.get('type', 'Error')}: {reply.get('error', '')}")


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
