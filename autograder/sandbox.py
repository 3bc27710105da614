"""Run a student's answer code in an isolated process and get back plain float arrays.

The trusted grader writes the inputs and a plan of calls (see
:mod:`autograder.sandbox_driver`) into a fresh inbox, which the sandbox
sees read-only, runs the driver with the student's code, and reads back
``response.json`` and ``response.npz`` from the sandbox's outbox with
``allow_pickle=False``, never following a link planted there. All comparisons
happen in the trusted process.

Isolation, strongest available first (:func:`detect_isolation`):

``bubblewrap``
    Debian's ``bwrap``, started as an unprivileged uid of its own
    (:mod:`autograder.sandbox_users`; the grader's user when not root), with new
    user, PID, network, IPC and UTS namespaces and no capabilities. The sandbox
    sees the system's ``/usr`` and libraries read-only, numpy's
    ``site-packages`` read-only (without torch), the assignment's view of
    rnncore (:mod:`autograder.handouts`, not the package), a private
    ``/tmp``, and its in- and outbox; not the rest of the course directory,
    the gradebook or anyone's home.

Without it, :func:`run` refuses (:class:`IsolationUnavailable`) rather than
grading in-process. In every case the process gets resource limits on CPU
time, address space, file size and number of processes, and a wall-clock
timeout, and each outcome is one of :data:`STATUSES`.
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from autograder import handouts as handouts_module
from autograder import sandbox_users
from rnncore.grading.engine import MalformedAnswer, RunnerDied

DRIVER = Path(__file__).with_name("sandbox_driver.py")
# The values' format, shared by both ends; copied beside the driver (it imports nothing from the course).
CHANNEL = Path(__file__).with_name("channel.py")
STATUSES = ("ok", "timed out", "crashed", "malformed", "refused")
# A call under a check's own time limit (CPU seconds) is also stopped after this many times as long in wall time.
SLOW_WALL_FACTOR = 5


class IsolationUnavailable(RuntimeError):
    """No adequate isolation on this machine: grading is refused rather than done unisolated."""


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 20
    wall_seconds: float = 40.0
    memory_bytes: int = 2 * 2**30
    file_bytes: int = 64 * 2**20
    processes: int = 64


@dataclass
class Outcome:
    """What happened to one run: ``status`` (one of STATUSES), per-call reports and the saved arrays."""

    status: str
    calls: list[dict] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    answer: str = ""
    printed: str = ""
    detail: str = ""
    seconds: float = 0.0
    isolation: str = ""


@dataclass(frozen=True)
class Isolation:
    level: str  # "bubblewrap" or "none"
    python: str  # the interpreter the sandbox runs
    reason: str  # why this level (or why nothing)


def _site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def _bwrap_command(inbox: Path, outbox: Path, python: str) -> list[str]:
    """bwrap running ``/in/driver.py`` with ``inbox`` read-only at ``/in`` and ``outbox`` writable at ``/sandbox``.

    The grader writes only into ``inbox``, which the student's code cannot
    change, and only reads from ``outbox`` (see :func:`_read_own_file`): a
    symbolic link planted there can never make the grader write through it.
    """
    site = _site_packages()
    command = [
        "bwrap",
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--clearenv",  # nothing of the grader's environment (NBGRADER_EXECUTION, paths, tokens)
        "--setenv",
        "PATH",
        "/usr/bin:/bin",
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/usr",
        "/usr",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--ro-bind",
        str(site),
        str(site),
        # torch is the course's reference for gradients, not a tool for answers
        "--tmpfs",
        str(site / "torch"),
        "--ro-bind",
        str(inbox),
        "/in",
        "--bind",
        str(outbox),
        "/sandbox",
        "--chdir",
        "/sandbox",
        "--setenv",
        "HOME",
        "/sandbox",
        "--setenv",
        "OPENBLAS_NUM_THREADS",
        "1",
    ]
    for link in ("/bin", "/lib", "/lib64", "/sbin"):
        if Path(link).is_symlink():
            command += ["--symlink", os.readlink(link), link]
        elif Path(link).exists():
            command += ["--ro-bind", link, link]
    for etc in ("/etc/ld.so.cache", "/etc/alternatives"):
        if Path(etc).exists():
            command += ["--ro-bind", etc, etc]
    # rnncore itself is not there: only the view of it in /in/lib that the assignment hands out (handouts.py)
    return command + [python, "-I", "-S", "-B", "/in/driver.py", f"{site}{os.pathsep}/in/lib"]


def _work_directories(tmp: Path) -> tuple[Path, Path]:
    """``tmp/in`` (the grader's, read-only inside) and ``tmp/out`` (the sandbox's), reachable by the sandbox's uid."""
    inbox, outbox = tmp / "in", tmp / "out"
    inbox.mkdir()
    (inbox / "lib").mkdir()
    outbox.mkdir()
    os.chmod(tmp, 0o711)
    os.chmod(inbox, 0o755)
    os.chmod(outbox, 0o777)
    return inbox, outbox


def _read_own_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file the sandbox wrote, never following a link or blocking on a pipe."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"{path.name} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ValueError(f"{path.name} is larger than {limit} bytes")
    return data


JSON_BYTES = 4 * 2**20  # a reply's JSON holds structure and a little printed text, never data


def _stored_within(data: bytes, limit: int) -> bytes:
    """``data``, an npz, if its members are stored uncompressed and add up to at most ``limit`` bytes.

    ``np.savez`` stores; a compressed member could unpack to far more than its
    size on disk (a zip bomb written by student code that replaced the
    driver's ``np.savez``), in the grader's memory.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
    if any(m.compress_type != zipfile.ZIP_STORED for m in members):
        raise ValueError("compressed arrays")
    if sum(m.file_size for m in members) > limit:
        raise ValueError(f"arrays larger than {limit} bytes")
    return data


def _read_reply(outbox: Path, stem: str, limit: int) -> tuple[object, dict[str, np.ndarray]]:
    """``stem.json`` and the float64 arrays of ``stem.npz`` from the sandbox (no pickles, no compression)."""
    reply = json.loads(_read_own_file(outbox / f"{stem}.json", min(limit, JSON_BYTES)))
    data = _stored_within(_read_own_file(outbox / f"{stem}.npz", limit), limit)
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return reply, {k: np.asarray(npz[k], dtype=np.float64) for k in npz.files}


def _candidate_pythons() -> list[str]:
    """Interpreters of this Python version that an unprivileged uid may be able to run, this one first."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    names = [os.path.realpath(sys.executable), f"/usr/bin/{version}", f"/usr/local/bin/{version}"]
    return [p for p in dict.fromkeys(names) if Path(p).exists() and p.startswith("/usr/")]


@cache
def detect_isolation() -> Isolation:
    """The strongest isolation that works here, checked by running numpy inside it."""
    if shutil.which("bwrap") is None:
        return Isolation("none", "", "bubblewrap (bwrap) is not installed: run `make sandbox` as root")
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return Isolation("none", "", "setpriv is missing, so the sandbox cannot drop root")
    reasons = []
    for python in _candidate_pythons():
        probe = "import sys, os; sys.path[:0] = sys.argv[-1].split(os.pathsep); import numpy; print(os.getuid())"
        with sandbox_users.claimed() as user, tempfile.TemporaryDirectory() as tmp:
            inbox, outbox = _work_directories(Path(tmp))
            (inbox / "driver.py").write_text(probe)
            command = sandbox_users.drop_to(user) + _bwrap_command(inbox, outbox, python)
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=60)
            except subprocess.TimeoutExpired:
                reasons.append(f"{python}: timed out")
                continue
        if done.returncode == 0 and done.stdout.strip() == str(user.uid if user else os.getuid()):
            return Isolation("bubblewrap", python, f"bwrap as uid {done.stdout.strip()}, no network, {python}")
        reasons.append(f"{python}: {done.stderr.strip()[-300:]}")
    return Isolation("none", "", "bwrap did not run numpy: " + "; ".join(reasons or ["no usable interpreter"]))


def _limit(limits: Limits):
    def apply():
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _start(command: list[str], limits: Limits, **popen) -> subprocess.Popen:
    """Start the sandbox in its own process group (so it can be killed whole), under ``limits``."""
    return subprocess.Popen(
        command,
        preexec_fn=_limit(limits),  # noqa: PLW1509 - limits must be set between fork and exec
        start_new_session=True,
        **popen,
    )


def _exit_reason(code: int) -> tuple[str, int | None]:
    """Describe an exit status; bwrap passes on a child killed by signal s as 128 + s."""
    sig = -code if code < 0 else code - 128 if code > 128 else None
    if sig is not None and sig in signal.Signals._value2member_map_:
        return f"killed by signal {sig} ({signal.Signals(sig).name})", sig
    return f"exit code {code}", None


def _read_response(outbox: Path, n_calls: int, limit: int) -> tuple[dict, dict[str, np.ndarray], str]:
    """The driver's report and arrays; any departure from the format makes the run malformed."""
    try:
        report, arrays = _read_reply(outbox, "response", limit)
        calls = report["calls"]
        if not isinstance(calls, list) or len(calls) != n_calls or not all(isinstance(c, dict) for c in calls):
            return {}, {}, "the response lists the wrong calls"
    except Exception as err:  # noqa: BLE001 - whatever the sandbox left there, it is only malformed
        return {}, {}, f"unreadable response: {type(err).__name__}: {err}"
    return report, arrays, ""


def run(
    answer: str,
    calls: list[dict],
    arrays: Mapping[str, np.ndarray],
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass
) -> Outcome:
    """Run ``answer`` (the student's code) and the planned ``calls`` in the sandbox; see the module docstring."""
    isolation = detect_isolation()
    if isolation.level == "none":
        raise IsolationUnavailable(f"refusing to run student code without isolation: {isolation.reason}")
    with sandbox_users.claimed() as user:
        return _run_as(user, isolation, answer, calls, arrays, limits)


def _run_as(
    user: sandbox_users.SandboxUser | None, isolation: Isolation, answer: str, calls, arrays, limits: Limits
) -> Outcome:
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rnn-sandbox-") as tmp:
        inbox, outbox = _work_directories(Path(tmp))
        _copy_driver(inbox)
        (inbox / "answer.py").write_text(answer)
        (inbox / "plan.json").write_text(json.dumps({"calls": calls}))
        np.savez(inbox / "request.npz", **{k: np.asarray(v) for k, v in arrays.items()})
        command = sandbox_users.drop_to(user) + _bwrap_command(inbox, outbox, isolation.python)
        process = _start(command, limits, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _, stderr = process.communicate(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return Outcome(
                "timed out",
                detail=f"still running after {limits.wall_seconds:g} s",
                isolation=isolation.level,
                seconds=time.monotonic() - start,
            )
        seconds = time.monotonic() - start
        if process.returncode != 0:
            why, killed_by = _exit_reason(process.returncode)
            status = "crashed"
            if killed_by in (signal.SIGXCPU, signal.SIGKILL) and seconds < limits.wall_seconds:
                status, why = "timed out", f"{why}; the CPU limit is {limits.cpu_seconds} s"
            return Outcome(
                status,
                detail=f"{why}: {stderr.decode(errors='replace')[-500:]}",
                isolation=isolation.level,
                seconds=seconds,
            )
        report, saved, problem = _read_response(outbox, len(calls), limits.file_bytes)
    if problem:
        return Outcome("malformed", detail=problem, isolation=isolation.level, seconds=seconds)
    return Outcome(
        "ok",
        calls=report["calls"],
        arrays=saved,
        answer=str(report.get("answer", ""))[:500],
        printed=str(report.get("printed", ""))[:10_000],
        isolation=isolation.level,
        seconds=seconds,
    )


# --------------------------------------------------------------------------- a session of many calls


def _remove_when_released(path: Path, attempts: int = 100) -> None:
    """Remove a session's directory once the sandbox's last processes, killed with bwrap, stop writing in it.

    They die a moment after bwrap itself (``--die-with-parent``), so a first
    attempt can find the outbox still filling; it never raises.
    """
    for _ in range(attempts):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return
        time.sleep(0.02)


def _process_tree(pid: int):
    """``pid`` and its descendants alive now, as ``/proc/<pid>`` directories (read by the grader, not reported)."""
    pending = [pid]
    while pending:
        current = pending.pop()
        proc = Path(f"/proc/{current}")
        try:
            for task in (proc / "task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue  # it ended while we looked
        yield proc


def _peak_memory(pid: int) -> int:
    """The largest peak resident size (VmHWM) among ``pid`` and its descendants, in bytes; 0 if gone.

    Read from ``/proc`` by the grader, so the student's code cannot misreport it.
    """
    peak = 0
    for proc in _process_tree(pid):
        try:
            status = (proc / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) * 1024)
    return peak


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) spent so far by ``pid``'s tree: the live processes and the children they reaped.

    Fields 14 to 17 of ``/proc/<pid>/stat`` (utime, stime, cutime, cstime), counted after the command
    name's closing parenthesis, which may itself hold spaces.
    """
    ticks = 0
    for proc in _process_tree(pid):
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks += sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _copy_driver(inbox: Path) -> None:
    shutil.copy(DRIVER, inbox / "driver.py")
    shutil.copy(CHANNEL, inbox / "channel.py")


class Session:
    """One sandboxed process that runs a student's code and answers calls until closed.

    ``request`` writes ``req-N.json``/``req-N.npz`` into the read-only inbox,
    wakes the driver, and waits at most ``limits.wall_seconds`` for ``resp-N``
    in the outbox. Results stay in the sandbox under handles; only the JSON
    reply and float64 arrays come back. ``handouts`` (``{module: names}``, see
    :mod:`autograder.handouts`) is all of rnncore the student's code can import.
    """

    def __init__(self, limits: Limits = Limits(), handouts: Mapping | None = None):  # noqa: B008 - frozen
        isolation = detect_isolation()
        if isolation.level == "none":
            raise IsolationUnavailable(f"refusing to run student code without isolation: {isolation.reason}")
        self.limits, self.isolation, self.count = limits, isolation, 0
        self._tmp = tempfile.TemporaryDirectory(prefix="rnn-session-", ignore_cleanup_errors=True)
        self.inbox, self.outbox = _work_directories(Path(self._tmp.name))
        self.provided: dict[str, str] = {}
        _copy_driver(self.inbox)
        handouts_module.write_view(handouts_module.view(dict(handouts or {})), self.inbox / "lib")
        self.user = sandbox_users.claim()  # a uid no other running sandbox has: its process limit is its own
        command = sandbox_users.drop_to(self.user) + _bwrap_command(self.inbox, self.outbox, isolation.python)
        command += ["serve"]
        self.process = _start(
            command, limits, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.dead: RunnerDied | None = None
        self.peak_bytes = 0  # the largest resident size any of its processes reached, as far as measured
        self._unread = b""  # bytes read from the channel, not yet split into lines

    def request(
        self, payload: dict, arrays: Mapping[str, np.ndarray] | None = None, timeout: float | None = None
    ) -> tuple[dict, dict]:
        """Send one request; return the reply and its arrays (float64), or raise :class:`RunnerDied`.

        ``timeout`` (seconds), when shorter than the wall limit, ends the session with the status
        "too slow" once the call has spent that much CPU time (or SLOW_WALL_FACTOR times as much wall
        time): the check's own limit on one call, not the sandbox's.
        """
        if self.dead:
            raise self.dead
        n = self.count = self.count + 1
        cpu_start = _cpu_seconds(self.process.pid) if timeout is not None else 0.0
        (self.inbox / f"req-{n}.json").write_text(json.dumps(payload))
        np.savez(self.inbox / f"req-{n}.npz", **dict(arrays or {}))
        try:
            self.process.stdin.write(f"{n}\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise self._died("crashed", "the process had already ended") from None
        own_limit = timeout is not None and timeout < self.limits.wall_seconds
        if own_limit:
            # The check's limit is on the CPU time the call spends, so that a machine busy with other
            # gradings cannot make a correct answer too slow; a call that waits instead of computing
            # is stopped by the wall clock, at SLOW_WALL_FACTOR times as long.
            wall = min(self.limits.wall_seconds, SLOW_WALL_FACTOR * timeout)
            answered = self._wait_for(n, wall, cpu_seconds=timeout, cpu_start=cpu_start)
        else:
            answered = self._wait_for(n, self.limits.wall_seconds)
        self.peak_bytes = max(self.peak_bytes, _peak_memory(self.process.pid))
        if answered == "ended":
            raise self._died("crashed", "the process ended")
        if answered == "too slow":
            raise self._died("too slow", f"it used more than the check's {timeout:g} s of CPU time")
        if answered != "answered" and own_limit:
            raise self._died("too slow", f"no answer within {wall:g} s")
        if answered != "answered":
            raise self._died("timed out", f"no answer within {self.limits.wall_seconds:g} s")
        try:
            reply, values = _read_reply(self.outbox, f"resp-{n}", self.limits.file_bytes)
        except Exception as err:  # noqa: BLE001 - half-written, forged or not an npz at all (EOFError, BadZipFile, ...)
            raise self._died("malformed", f"unreadable answer: {type(err).__name__}: {str(err)[:200]}") from None
        if not isinstance(reply, dict) or reply.get("answers") != n:
            raise self._died("malformed", "the answer is not the driver's answer to this request")
        return reply, values

    def provide(self, function) -> str:
        """Make rnncore's ``function`` importable in the sandbox from now on; its ``"module:qualname"`` there.

        It comes as a view of its own (:func:`handouts.view`) under a new
        ``reference_<k>`` package, so nothing else of rnncore comes with it.
        """
        key = f"{function.__module__}:{function.__qualname__}"
        if key in self.provided:
            return self.provided[key]
        prefix = f"reference_{len(self.provided) + 1}."
        top = function.__qualname__.split(".")[0]
        files = handouts_module.view({function.__module__: {top}}, prefix=prefix)
        handouts_module.write_view(files, self.inbox / "lib")
        self.provided[key] = prefix + key
        return self.provided[key]

    def _wait_for(self, n: int, seconds: float, cpu_seconds: float | None = None, cpu_start: float = 0.0) -> str:
        """ "answered", "ended" (the process is gone), "timeout" after ``seconds``, or "too slow" once the
        sandbox's processes have spent ``cpu_seconds`` of CPU time since ``cpu_start`` (checked at each wake,
        at most 0.25 s apart).

        Reads the channel's raw bytes and splits lines itself: a buffered
        ``readline`` would take several lines at once and then wait on the
        descriptor for lines it already holds.
        """
        import selectors

        deadline = time.monotonic() + seconds
        fd = self.process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                while b"\n" in self._unread:
                    line, self._unread = self._unread.split(b"\n", 1)
                    if line.strip() == str(n).encode():
                        return "answered"
                left = deadline - time.monotonic()
                if left <= 0:
                    return "timeout"
                if cpu_seconds is not None and _cpu_seconds(self.process.pid) - cpu_start > cpu_seconds:
                    return "too slow"
                if not selector.select(timeout=min(left, 0.25)):
                    # still working: sample its memory now, as a process killed later can no longer be read
                    self.peak_bytes = max(self.peak_bytes, _peak_memory(self.process.pid))
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    return "ended"
                self._unread = (self._unread + chunk)[-65536:]  # a flood of junk cannot grow without bound

    def malformed(self, detail: str) -> MalformedAnswer:
        """End the session over an answer that passed the channel's checks but is not of the protocol's form."""
        return self._died("malformed", detail)

    def _died(self, status: str, detail: str) -> RunnerDied:
        self.close()
        code = self.process.returncode
        if status == "crashed" and code is not None:
            why, killed_by = _exit_reason(code)
            if killed_by in (signal.SIGXCPU, signal.SIGKILL):  # RLIMIT_CPU's signals: out of CPU time
                status, why = "timed out", f"{why}; the CPU limit is {self.limits.cpu_seconds} s"
            detail = why
        self.dead = MalformedAnswer(detail) if status == "malformed" else RunnerDied(status, detail)
        return self.dead

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except (BrokenPipeError, OSError):
                pass
        _remove_when_released(Path(self._tmp.name))
        if self.user is not None:
            self.user.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
