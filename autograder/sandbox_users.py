"""A user of its own for each running sandbox, so that no sandbox's limits are another's.

The kernel counts ``RLIMIT_NPROC`` over every process of a user, not of one
process tree: had all sandboxes run as ``nobody``, a fork bomb at its limit in
one sandbox would stop the next sandbox of a concurrent grading (another core,
another Dask worker on the same machine) from starting at all. So, when the
grader runs as root, each sandbox runs as a uid of a reserved range that no
account and no other sandbox uses while it runs.

A uid is claimed with an exclusive ``flock`` on its lock file in
:func:`locks` (every grading process of the machine sees the same files, and
the kernel drops the lock of a process that dies) and only if no process of
that uid is still alive: the last processes of a killed sandbox die a moment
after it. The range is ``RNN_SANDBOX_UIDS=first:count`` (default
:data:`DEFAULT_RANGE`), chosen above systemd's container range and below
2³¹; the uids need no account in ``/etc/passwd``.

Not root (a student validating on their laptop, a test run as a user), the
sandbox runs as the grader's own user, as before: one grading at a time is
then the safe choice.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEFAULT_RANGE = (1_900_000_000, 1024)  # (first uid, how many)
DEFAULT_LOCKS = "/run/lock/rnn-sandbox-uids"  # one directory for every grading process of the machine


class NoFreeUser(RuntimeError):
    """Every uid of the range is held by a running sandbox (or still has processes)."""


@dataclass
class SandboxUser:
    """A claimed uid; :meth:`release` (or the process's end) gives it back."""

    uid: int
    _fd: int | None = None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file drops its flock
            self._fd = None


def uid_range() -> range:
    """The reserved uids, from ``RNN_SANDBOX_UIDS`` (``first:count``) or :data:`DEFAULT_RANGE`."""
    text = os.environ.get("RNN_SANDBOX_UIDS", "")
    try:
        first, count = (int(part) for part in text.split(":")) if text else DEFAULT_RANGE
    except ValueError:
        first, count = 0, 0
    if not (1000 <= first and 0 < count and first + count < 2**31):
        raise ValueError(f"RNN_SANDBOX_UIDS={text!r}: want first:count, uids from 1000 to 2**31 - 1")
    return range(first, first + count)


def locks() -> Path:
    """Where the uids' lock files are: ``RNN_SANDBOX_LOCKS`` or :data:`DEFAULT_LOCKS`."""
    return Path(os.environ.get("RNN_SANDBOX_LOCKS", DEFAULT_LOCKS))


def uids_with_processes() -> set[int]:
    """The real uids of every process alive now (read from ``/proc``)."""
    uids = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/status", "rb") as status:
                    for line in status:
                        if line.startswith(b"Uid:"):
                            uids.add(int(line.split()[1]))
                            break
            except OSError:  # it ended while we looked
                continue
    return uids


def claim() -> SandboxUser | None:
    """A free uid of the range, held until released; ``None`` when not root (the sandbox runs as this user)."""
    if os.geteuid() != 0:
        return None
    directory = locks()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    busy = uids_with_processes()
    for uid in uid_range():
        if uid in busy:
            continue
        fd = os.open(directory / str(uid), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        if uid in uids_with_processes():  # a sandbox of it was ending as we looked: not free yet
            os.close(fd)
            continue
        return SandboxUser(uid, fd)
    raise NoFreeUser(f"all {len(uid_range())} sandbox uids are in use (RNN_SANDBOX_UIDS sets the range)")


@contextmanager
def claimed() -> Iterator[SandboxUser | None]:
    """A uid (:func:`claim`) held while the block runs, and given back however it ends."""
    user = claim()
    try:
        yield user
    finally:
        if user is not None:
            user.release()


def drop_to(user: SandboxUser | None) -> list[str]:
    """The command prefix that runs the sandbox as ``user`` with no groups and no capabilities (nothing if None)."""
    if user is None:
        return []
    return ["setpriv", f"--reuid={user.uid}", f"--regid={user.uid}", "--clear-groups", "--inh-caps=-all"]
