"""Runs inside the sandbox: execute a student's answer code, make the planned calls, save float arrays.

This file is copied into the sandbox's read-only inbox and run by a plain
Python there; it imports nothing from the course but numpy and the values'
format, ``channel.py``, copied beside it. Its input, beside
it in the inbox, is ``plan.json`` and ``request.npz`` (the grader's arrays);
its output, in the working directory, is
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

INBOX = os.path.dirname(os.path.abspath(__file__))  # the grader's files, read-only; answers go to the cwd
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


def line_in(err, filename):
    """The line of the cell ``filename`` where ``err`` arose (its own line for a syntax error), or None."""
    if isinstance(err, SyntaxError):
        return err.lineno
    line, tb = None, err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def describe(err):
    return f"{type(err).__name__}: {str(err)[:500]}"


def main():
    sys.path[:0] = sys.argv[1].split(os.pathsep)  # site-packages and rnncore's parent, bound read-only
    if len(sys.argv) > 2 and sys.argv[2] == "serve":
        return serve()
    import numpy as np

    with open(os.path.join(INBOX, "plan.json")) as f:
        plan = json.load(f)
    with np.load(os.path.join(INBOX, "request.npz"), allow_pickle=False) as npz:
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
        with open(os.path.join(INBOX, "answer.py")) as f:
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


# --------------------------------------------------------------------------- session mode
#
# One process answers many calls, so that what a function returns (a cache, say)
# can stay here and be passed to the next call by handle. The trusted side sends
# "N\n" on stdin after writing req-N.json and req-N.npz; this side answers with
# resp-N.json and resp-N.npz, then "N\n" on the descriptor that was stdout.
#
# The values themselves travel in the format of channel.py (the grader's
# autograder/channel.py, copied beside this file): one module for both ends.


def serve():
    import importlib
    import importlib.util

    import numpy as np

    channel = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    printed = CappedText()
    sys.stdout = sys.stderr = printed
    kept, namespace = [], {"__name__": "__answer__"}
    main_pid = os.getpid()

    # The values' format, shared with the grader: channel.py, copied beside this file.
    spec = importlib.util.spec_from_file_location("channel", os.path.join(INBOX, "channel.py"))
    values = importlib.util.module_from_spec(spec)  # ("channel" below is the pipe to the grader)
    spec.loader.exec_module(values)

    def load(reference):
        """A trusted function the grader has just written into the inbox, by "module:qualname"."""
        module, name = reference.split(":")
        importlib.invalidate_caches()
        value = importlib.import_module(module)
        for part in name.split("."):
            value = getattr(value, part)
        return value

    for line in sys.stdin:
        n = line.strip()
        with open(os.path.join(INBOX, f"req-{n}.json")) as f:
            request = json.load(f)
        with np.load(os.path.join(INBOX, f"req-{n}.npz"), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        reply, out = {"status": "ok"}, {}
        try:
            op = request["op"]
            if op == "exec":
                exec(compile(request["code"], request.get("name", "answer"), "exec"), namespace)
            elif op == "call":
                fn = namespace.get(request["fn"])
                if not callable(fn):
                    raise NameError(f"{request['fn']} is not defined")
                args = [values.decode_argument(a, arrays, kept, load) for a in request["args"]]
                result = fn(*args)
                kept.append(result)
                reply["handle"] = len(kept) - 1
                reply["value"] = values.encode_result(result, out)
            elif op == "get":
                kept.append(namespace.get(request["name"], None))
                reply["handle"] = len(kept) - 1
                reply["exists"] = request["name"] in namespace
            elif op == "set":
                namespace[request["name"]] = values.decode_argument(request["value"], arrays, kept, load)
            elif op == "del":
                namespace.pop(request["name"], None)
        except BaseException as err:  # noqa: BLE001 - SystemExit and KeyboardInterrupt from student code too
            text = err.msg if isinstance(err, SyntaxError) else str(err)  # the line is sent on its own
            reply = {"status": "raised", "type": type(err).__name__, "error": str(text)[:500]}
            if request.get("op") == "exec":
                reply["line"] = line_in(err, request.get("name", "answer"))
        if os.getpid() != main_pid:
            os._exit(0)  # a process the student forked: only the driver itself answers
        reply["printed"] = "".join(printed.kept)[-2000:]
        reply["answers"] = int(n)  # which request this answers: a stray or forged file shows as malformed
        np.savez(f"resp-{n}.npz", **out)
        with open(f"resp-{n}.json", "w") as f:
            json.dump(reply, f)
        channel.write(n + "\n")
        channel.flush()


if __name__ == "__main__":
    main()
