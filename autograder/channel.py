"""The format of the values the grader and the sandbox send each other: one module, both ends.

The grader (:mod:`autograder.remote`) and the driver that runs inside the
sandbox (:mod:`autograder.sandbox_driver`, which gets a copy of this file beside
it in its inbox) both import it, so the two sides cannot disagree. It needs
only numpy and the standard library.

A value travels as JSON with its arrays in an ``.npz`` beside it. Each part is
a one-key object; the key says what it is:

====  ==========================  ===============================================
key   value                       meaning
====  ==========================  ===============================================
a     name in the npz             an array or a number
t     list of parts               a tuple
l     list of parts               a list
d     object of parts             a dict with string keys
s     string                      a string (arguments only)
n     null                        ``None``
h     handle or null              something kept in the sandbox, by handle
                                  (in a result: not numbers, usable only whole)
r     [handle, path]              a part of a kept value (arguments only)
i     "module:qualname"           a trusted function to import (arguments only)
====  ==========================  ===============================================

Arguments go from the grader to the sandbox (:func:`encode_argument`,
:func:`decode_argument`); results come back (:func:`encode_result`,
:func:`decode_result`). Every result also gets a handle, so any part of it can
be sent back as an argument (a cache from forward to backward) by ``r``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ARRAY, TUPLE, LIST, DICT, STRING, NONE, KEPT, PART, IMPORT = "a", "t", "l", "d", "s", "n", "h", "r", "i"

#: Results nest at most this deep and this long; beyond, a value comes back opaque.
RESULT_DEPTH, RESULT_ITEMS, RESULT_KEYS = 4, 10_000, 1000


def encode_argument(value, arrays: dict, reference: Callable[[object], dict | None]) -> dict:
    """The grader's side: ``value`` as an argument, its arrays added to ``arrays`` (dtype kept).

    ``reference(value)`` returns the encoding of a value the grader sends by
    reference (``r`` or ``i``), or None to send it by value.
    """
    by_reference = reference(value)
    if by_reference is not None:
        return by_reference
    if isinstance(value, np.ndarray | np.generic | float | int | bool):
        key = f"x{len(arrays)}"
        arrays[key] = np.asarray(value)
        return {ARRAY: key}
    if isinstance(value, tuple | list):
        return {TUPLE if isinstance(value, tuple) else LIST: [encode_argument(v, arrays, reference) for v in value]}
    if isinstance(value, dict):
        return {DICT: {str(k): encode_argument(v, arrays, reference) for k, v in value.items()}}
    if value is None:
        return {NONE: None}
    if isinstance(value, str):
        return {STRING: value}
    raise TypeError(f"cannot send a {type(value).__name__} to the sandbox")


def decode_argument(encoded: dict, arrays: dict, kept: list, load: Callable[[str], object]):
    """The sandbox's side: the argument itself (arrays copied, so the student cannot change ours).

    ``kept`` holds the values returned so far, by handle; ``load("module:qualname")``
    imports a trusted function.
    """
    if ARRAY in encoded:
        return arrays[encoded[ARRAY]].copy()
    if TUPLE in encoded:
        return tuple(decode_argument(x, arrays, kept, load) for x in encoded[TUPLE])
    if LIST in encoded:
        return [decode_argument(x, arrays, kept, load) for x in encoded[LIST]]
    if DICT in encoded:
        return {k: decode_argument(x, arrays, kept, load) for k, x in encoded[DICT].items()}
    if STRING in encoded:
        return encoded[STRING]
    if NONE in encoded:
        return None
    if KEPT in encoded:
        return kept[encoded[KEPT]]
    if PART in encoded:
        handle, path = encoded[PART]
        value = kept[handle]
        for step in path:
            value = value[step]
        return value
    return load(encoded[IMPORT])


def encode_result(value, arrays: dict, depth: int = 0) -> dict:
    """The sandbox's side: what a student's function returned, numbers as float64 arrays.

    Anything else (an object, a string, a structure too deep or too long) comes
    back opaque: the grader can pass it back whole but not look inside.
    """
    if isinstance(value, np.ndarray | np.generic | float | int | bool) and not isinstance(value, str):
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return {KEPT: None}
        key = f"v{len(arrays)}"
        arrays[key] = array
        return {ARRAY: key}
    if depth < RESULT_DEPTH and isinstance(value, tuple | list) and len(value) <= RESULT_ITEMS:
        tag = TUPLE if isinstance(value, tuple) else LIST
        return {tag: [encode_result(x, arrays, depth + 1) for x in value]}
    if (
        depth < RESULT_DEPTH
        and isinstance(value, dict)
        and all(isinstance(k, str) for k in value)
        and len(value) <= RESULT_KEYS
    ):
        return {DICT: {k: encode_result(x, arrays, depth + 1) for k, x in value.items()}}
    if value is None:
        return {NONE: None}
    return {KEPT: None}


def decode_result(encoded: dict, arrays: dict, handle: int, adopt: Callable, path: tuple = ()):
    """The grader's side: a result, each part passed to ``adopt(kind, value, (handle, path))``.

    ``kind`` is "array", "tuple", "list", "dict" or "opaque" (``value`` None);
    ``adopt`` returns the grader's object for it, remembering where in the
    sandbox it came from. Raises KeyError or TypeError on what is not of this form.
    """
    where = (handle, list(path))
    if ARRAY in encoded:
        return adopt("array", np.asarray(arrays[encoded[ARRAY]], dtype=np.float64), where)
    if TUPLE in encoded:
        parts = (decode_result(v, arrays, handle, adopt, (*path, k)) for k, v in enumerate(encoded[TUPLE]))
        return adopt("tuple", tuple(parts), where)
    if LIST in encoded:
        parts = [decode_result(v, arrays, handle, adopt, (*path, k)) for k, v in enumerate(encoded[LIST])]
        return adopt("list", parts, where)
    if DICT in encoded:
        items = {k: decode_result(v, arrays, handle, adopt, (*path, k)) for k, v in encoded[DICT].items()}
        return adopt("dict", items, where)
    if NONE in encoded:
        return None
    return adopt("opaque", None, where)
