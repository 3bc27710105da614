"""Runs inside the sandbox: execute a student's answer code, make the planned calls, save float arrays.

This file is copied into the sandbox's work directory and run by a plain
Python there; it imports nothing from the course but numpy. Its input is
``plan.json`` and ``request.npz`` (the grader's arrays); its output is
``response.json`` (what happened to each call) and ``response.npz`` (the
returned values, as float64 arrays). It never unpickles anything, and the
trusted grader reads the response with ``allow_pickle=False``.

A plan is a list of calls. Each call names a function the answer defines and
its arguments, each one of ``{"array": key}`` (from the request),
``{"value": json}`` (a number, string or list), or ``{"result": [call, index]}``
(something an earlier call returned, such as a cache, which never leaves the
sandbox). ``"save"`` lists the parts of the result to send back, by index
(``null`` for the whole result) and name.
"""

import io
import json
import os
import sys
import traceback

OUTPUT_KEPT = 10_000  # characters of the student's printing kept for the log


class CappedText(io.TextIOBase):
    """A text stream that keeps the first OUTPUT_KEPT characters and drops the rest."""

    def __init__(self):
        self.kept = []
        self.size = 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        if self.size < OUTPUT_KEPT:
            self.kept.append(text[: OUTPUT_KEPT - self.size])
        self.size += len(text)
        return len(text)


def resolve(arg, arrays, results):
    if "array" in arg:
        return arrays[arg["array"]].copy()
    if "value" in arg:
        return arg["value"]
    call, index = arg["result"]
    value = results[call]
    return value if index is None else value[index]


def describe(err):
    return f"{type(err).__name__}: {str(err)[:500]}"


def main():
    sys.path.insert(0, sys.argv[1])  # numpy's site-packages, bound read-only into the sandbox
    import numpy as np

    with open("plan.json") as f:
        plan = json.load(f)
    with np.load("request.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    # C-level writes to stdout and stderr go nowhere; Python-level printing is capped.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    printed = CappedText()
    sys.stdout = sys.stderr = printed

    report = {"answer": "ok", "calls": [], "printed": ""}
    namespace = {"__name__": "__answer__"}
    try:
        with open("answer.py") as f:
            exec(compile(f.read(), "answer", "exec"), namespace)
    except BaseException as err:  # noqa: BLE001 - the student's code may raise anything, SystemExit included
        report["answer"] = describe(err)
    saved, results = {}, []
    for call in plan["calls"]:
        outcome = {"status": "ok"}
        result = None
        if report["answer"] != "ok":
            outcome = {"status": "not run", "error": "the answer code did not run"}
        elif not callable(namespace.get(call["fn"])):
            outcome = {"status": "missing", "error": f"{call['fn']} is not defined"}
        else:
            try:
                args = [resolve(a, arrays, results) for a in call["args"]]
                result = namespace[call["fn"]](*args)
            except BaseException as err:  # noqa: BLE001
                outcome = {"status": "raised", "error": describe(err), "trace": traceback.format_exc()[-2000:]}
        results.append(result)
        if outcome["status"] == "ok":
            for index, name in call.get("save", []):
                try:
                    value = result if index is None else result[index]
                    saved[name] = np.asarray(value, dtype=np.float64)
                except BaseException as err:  # noqa: BLE001
                    outcome = {"status": "malformed", "error": f"{name}: {describe(err)}"}
                    break
        report["calls"].append(outcome)
    report["printed"] = "".join(printed.kept)
    np.savez("response.npz", **saved)
    with open("response.json", "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main()
