"""The sandbox that will run students' code: what it returns, what it withholds, and how it fails.

Every fault ends in a recorded status and leaves this process and the next run unharmed.
"""

import os
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from autograder import sandbox
from rnncore.grading.engine import RunnerDied

# Needs bubblewrap (installed as root by make sandbox): the full suite only (make test).
pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAST = sandbox.Limits(cpu_seconds=2, wall_seconds=6, memory_bytes=2**30, file_bytes=2**20, processes=32)


def call(answer: str, *args: np.ndarray, save=((None, "out"),), limits=FAST) -> sandbox.Outcome:
    arrays = {f"a{k}": a for k, a in enumerate(args)}
    plan = [{"fn": "f", "args": [{"array": k} for k in arrays], "save": [list(s) for s in save]}]
    return sandbox.run(answer, plan, arrays, limits)


def test_isolation_is_detected_and_strong():
    isolation = sandbox.detect_isolation()
    assert isolation.level == "bubblewrap", isolation.reason


def test_a_correct_answer_comes_back_as_float64_arrays():
    x = np.random.default_rng(0).standard_normal((3, 4))
    out = call("import numpy as np\ndef f(x):\n    return np.tanh(x), x.sum()", x, save=((0, "h"), (1, "s")))
    assert out.status == "ok" and out.calls == [{"status": "ok"}]
    np.testing.assert_array_equal(out.arrays["h"], np.tanh(x))
    assert out.arrays["s"].dtype == np.float64 and out.arrays["s"] == x.sum()


def test_a_cache_stays_inside_and_feeds_a_later_call():
    answer = "def fwd(x):\n    return x * 2, {'x': x}\ndef bwd(d, cache):\n    return d * 2 + 0 * cache['x']"
    plan = [
        {"fn": "fwd", "args": [{"array": "x"}], "save": [[0, "y"]]},
        {"fn": "bwd", "args": [{"array": "d"}, {"result": [0, 1]}], "save": [[None, "dx"]]},
    ]
    out = sandbox.run(answer, plan, {"x": np.ones(3), "d": np.full(3, 0.5)}, FAST)
    assert out.status == "ok"
    np.testing.assert_array_equal(out.arrays["dx"], np.ones(3))


@pytest.mark.parametrize(
    "answer, status, detail",
    [
        ("def f(x):\n    while True:\n        pass", "timed out", "CPU limit"),
        ("while True:\n    pass", "timed out", "CPU limit"),
        ("import time\ndef f(x):\n    time.sleep(60)", "timed out", "still running"),
        ("import os\ndef f(x):\n    os._exit(3)", "crashed", "exit code 3"),
        ("import ctypes\ndef f(x):\n    ctypes.string_at(0)", "crashed", "SIGSEGV"),
    ],
    ids=["loop in a function", "loop at top level", "sleeps past the limit", "os._exit", "segfault"],
)
def test_faults_that_end_the_process_are_recorded(answer, status, detail):
    start = time.monotonic()
    out = call(answer, np.ones(2))
    assert out.status == status and detail in out.detail, out
    assert time.monotonic() - start < FAST.wall_seconds + 3


@pytest.mark.parametrize(
    "answer, error",
    [
        ("import sys\ndef f(x):\n    sys.exit(0)", "SystemExit"),
        ("import numpy as np\ndef f(x):\n    return np.ones(2**31)", "MemoryError"),
        ("def f(x):\n    raise ValueError('my bug')", "ValueError: my bug"),
        ("def g(x):\n    return x", "f is not defined"),
    ],
    ids=["sys.exit", "memory bomb", "an exception", "missing function"],
)
def test_faults_inside_a_call_are_reported_for_that_call(answer, error):
    out = call(answer, np.ones(2))
    assert out.status == "ok" and out.calls[0]["status"] != "ok" and error in out.calls[0]["error"], out


def test_a_broken_answer_does_not_run_its_calls():
    out = call("def f(x):\n    return x\nraise SystemExit('bye')", np.ones(2))
    assert out.answer.startswith("SystemExit") and out.calls[0]["status"] == "not run"


def test_a_fork_bomb_is_contained():
    bomb = "import os\ndef f(x):\n    while True:\n        try:\n            os.fork()\n"
    out = call(bomb + "        except OSError:\n            pass", np.ones(2))
    assert out.status in ("timed out", "crashed"), out
    assert call("def f(x):\n    return x", np.ones(2)).status == "ok"  # the next run is unharmed


def test_a_fork_bomb_in_one_sandbox_leaves_a_sandbox_beside_it_unharmed():
    # Concurrent gradings (cores, Dask workers) run sandboxes side by side: the process limit must be each one's
    # own, not shared by a user they all run as, or one student's fork bomb would crash another's grading.
    bomb = "import os\ndef f(x):\n    while True:\n        try:\n            os.fork()\n        except OSError:\n"
    forks = "import os\ndef f(x):\n    for _ in range(8):\n        pid = os.fork()\n        if pid == 0:\n"
    forks += "            os._exit(0)\n        os.waitpid(pid, 0)\n    return x"
    with sandbox.Session(FAST) as bombed:
        assert bombed.user is not None, "the grader runs as root and gives each sandbox a uid of its own"
        bombed.request({"op": "exec", "code": bomb + "            pass"})
        ended: list[BaseException] = []
        running = threading.Thread(target=_call_until_it_dies, args=(bombed, ended))
        running.start()
        try:
            deadline = time.monotonic() + FAST.wall_seconds / 2
            while _processes_of(bombed.user.uid) < FAST.processes - 2:  # at its limit, or nearly
                assert time.monotonic() < deadline, "the bomb never reached the process limit"
                time.sleep(0.05)
            beside = call(forks, np.ones(2))
            assert _processes_of(bombed.user.uid) >= FAST.processes - 2, "the bomb stopped before the other ran"
        finally:
            running.join()
    assert [type(e) for e in ended] == [RunnerDied]  # the bomb's own session ended at its limits
    assert beside.status == "ok" and beside.calls == [{"status": "ok"}], beside


def _call_until_it_dies(session: sandbox.Session, ended: list) -> None:
    try:
        session.request({"op": "call", "fn": "f", "args": [{"a": "x0"}]}, {"x0": np.ones(2)})
    except BaseException as error:  # noqa: BLE001 - handed to the test's thread to assert on
        ended.append(error)


def _processes_of(uid: int) -> int:
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as status:
                count += any(line.split()[:2] == ["Uid:", str(uid)] for line in status)
        except OSError:
            continue
    return count


def _timed_call(code: str, timeout: float) -> tuple[str, float]:
    """Run ``f`` of ``code`` once in a session under a check's time limit: "ok" or the session's end, and seconds."""
    with sandbox.Session(FAST) as session:
        session.request({"op": "exec", "code": code})
        start = time.monotonic()
        try:
            session.request({"op": "call", "fn": "f", "args": [{"a": "x0"}]}, {"x0": np.ones(2)}, timeout=timeout)
            return "ok", time.monotonic() - start
        except RunnerDied as died:
            return f"{died.status}: {died.detail}", time.monotonic() - start


BURN = (  # spends ``seconds`` of CPU time, however long that takes on the wall clock
    "import os, time\ndef burn(seconds):\n    end = time.process_time() + seconds\n"
    "    while time.process_time() < end:\n        pass\n"
)


def test_a_checks_time_limit_counts_the_calls_cpu_time_not_the_wall_clock():
    # A grading machine busy with other gradings stretches the wall clock; only CPU time says how much a call computed.
    waits = "import time\ndef f(x):\n    time.sleep(1.5)\n    return x"
    assert _timed_call(waits, timeout=0.5)[0] == "ok"  # 1.5 s of wall clock, almost no CPU time
    computes = BURN + "def f(x):\n    burn(30)\n    return x"
    status, seconds = _timed_call(computes, timeout=0.5)
    assert status.startswith("too slow") and "CPU time" in status and seconds < 2, (status, seconds)


def test_cpu_time_spent_in_child_processes_counts_too():
    # Numerical differentiation spread over forked processes must not slip under the limit.
    forks = BURN + "def f(x):\n    kids = [os.fork() for _ in range(3)]\n    if 0 in kids:\n        burn(30)\n"
    forks += "        os._exit(0)\n    for kid in kids:\n        os.waitpid(kid, 0)\n    return x"
    status, seconds = _timed_call(forks, timeout=0.5)
    assert status.startswith("too slow") and "CPU time" in status and seconds < 2, (status, seconds)


def test_a_call_that_waits_is_stopped_by_the_wall_clock_at_last():
    waits = "import time\ndef f(x):\n    time.sleep(30)\n    return x"
    status, seconds = _timed_call(waits, timeout=0.4)
    assert status == f"too slow: no answer within {sandbox.SLOW_WALL_FACTOR * 0.4:g} s", status
    assert seconds < sandbox.SLOW_WALL_FACTOR * 0.4 + 1


def test_a_correct_call_on_a_loaded_machine_is_not_too_slow():
    # Three processes per core spin, each in a session of its own as a grading beside it would be (the kernel shares
    # the CPU between sessions first): the call gets about a third of a core, its wall time over the limit.
    spin = "print('spinning', flush=True)\nwhile True:\n    pass"
    hogs = [
        subprocess.Popen([sys.executable, "-c", spin], stdout=subprocess.PIPE, text=True, start_new_session=True)
        for _ in range(3 * len(os.sched_getaffinity(0)))
    ]
    try:
        assert all(hog.stdout.readline() == "spinning\n" for hog in hogs)
        quick = BURN + "def f(x):\n    burn(0.25)\n    return x"
        status, seconds = _timed_call(quick, timeout=0.5)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert status == "ok", (status, seconds)
    assert seconds > 0.5, "the machine was not loaded: this test would pass under a wall-clock limit too"


def test_floods_of_output_are_dropped():
    flood = "import sys, os\ndef f(x):\n    sys.stdout.write('line\\n' * 10**7)\n    print('x' * 10**8)\n"
    flood += "    os.write(1, b'y' * 10**6)\n    return x"
    out = call(flood, np.ones(2))
    assert out.status == "ok" and out.calls[0]["status"] == "ok" and len(out.printed) <= 10_000


@pytest.mark.parametrize(
    "value, status",
    [("np.full(2, np.nan)", "ok"), ("np.array(['a', 'b'])", "malformed"), ("{'a': 1}", "malformed")],
    ids=["NaN", "strings", "a dict"],
)
def test_returned_values_are_checked_in_form_only(value, status):
    out = call(f"import numpy as np\ndef f(x):\n    return {value}", np.ones(2))
    assert out.calls[0]["status"] == status, out
    if status == "ok":
        assert np.isnan(out.arrays["out"]).all()


def test_the_course_the_gradebook_torch_and_the_network_are_out_of_reach(tmp_path):
    gradebook = tmp_path / "gradebook.db"
    sqlite3.connect(gradebook).close()
    secrets = [os.path.join(ROOT, "nbgrader_config.py"), os.path.join(ROOT, "solutions"), str(gradebook), "/root"]
    probe = f"""import os, socket
def visible(x):
    return [float(os.path.exists(p)) for p in {secrets!r}]
def torch_importable(x):
    try:
        import torch

        torch.tensor(1.0, requires_grad=True)  # the package's code, not just its (empty) directory
        return 1.0
    except (ImportError, AttributeError):
        return 0.0
def connects(x):
    s = socket.socket()
    s.settimeout(1)
    return float(s.connect_ex(("1.1.1.1", 80)) == 0)
def uid(x):
    return float(os.getuid())
"""
    names = ["visible", "torch_importable", "connects", "uid"]
    plan = [{"fn": name, "args": [{"array": "x"}], "save": [[None, name]]} for name in names]
    out = sandbox.run(probe, plan, {"x": np.ones(1)}, FAST)
    assert out.status == "ok" and all(c["status"] == "ok" for c in out.calls), out
    assert dict(zip(secrets, out.arrays["visible"].tolist(), strict=True)) == dict.fromkeys(secrets, 0.0)
    assert out.arrays["torch_importable"] == 0.0 and out.arrays["connects"] == 0.0
    assert out.arrays["uid"] != 0.0, "student code must not run as root"


def test_the_graders_environment_is_not_passed_on(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("RNN_GRADEBOOK", "sqlite:////secret/gradebook.db")
    names = ("NBGRADER_EXECUTION", "RNN_GRADEBOOK", "PATH")
    out = call(f"import os\ndef f(x):\n    return [float(k in os.environ) for k in {names!r}]", np.ones(1))
    assert out.arrays["out"].tolist() == [0.0, 0.0, 1.0]


def _npz(save, **arrays) -> bytes:
    import io

    buffer = io.BytesIO()
    save(buffer, **arrays)
    return buffer.getvalue()


def test_replies_are_read_only_when_stored_and_small_enough_unpacked():
    small = {"a": np.ones(10)}
    assert sandbox._stored_within(_npz(np.savez, **small), 2**20)
    # a compressed member: a zip bomb would unpack to far more than its size on disk
    with pytest.raises(ValueError, match="compressed"):
        sandbox._stored_within(_npz(np.savez_compressed, **small), 2**20)
    # stored, but more than the limit once read
    with pytest.raises(ValueError, match="larger than"):
        sandbox._stored_within(_npz(np.savez, big=np.zeros(2**18)), 2**20)


def test_a_session_whose_answers_are_compressed_ends_malformed():
    """Student code can replace the driver's ``np.savez``; a compressed answer ends the session as malformed."""
    bomb = "import numpy as np\nnp.savez = np.savez_compressed\ndef f(x):\n    return np.zeros((64, 64))\n"
    with sandbox.Session(FAST) as session:
        session.request({"op": "exec", "code": bomb})  # answered before the replacement takes effect
        with pytest.raises(RunnerDied) as died:
            session.request({"op": "call", "fn": "f", "args": [{"a": "x0"}]}, {"x0": np.ones(2)})
    assert died.value.status == "malformed" and "compressed" in died.value.detail
