"""Each running sandbox gets a uid no other running sandbox has, and gives it back when it ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import sandbox_users
from autograder.sandbox_users import NoFreeUser, claim, drop_to, uid_range

ROOT = Path(__file__).resolve().parents[2]
FIRST = 1_900_500_000  # a range of this test's own, apart from the default one a grading may be using


@pytest.fixture(autouse=True)
def own_range(tmp_path, monkeypatch):
    assert os.geteuid() == 0, "the grader drops to reserved uids only as root, which the course's tests run as"
    monkeypatch.setenv("RNN_SANDBOX_LOCKS", str(tmp_path / "locks"))
    monkeypatch.setenv("RNN_SANDBOX_UIDS", f"{FIRST}:4")


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_claims_are_distinct_and_a_released_uid_is_claimed_again():
    held = [claim() for _ in range(4)]
    assert sorted(u.uid for u in held) == list(uid_range())
    with pytest.raises(NoFreeUser, match="all 4 sandbox uids are in use"):
        claim()
    held[2].release()
    again = claim()
    assert again.uid == held[2].uid
    for user in [*held, again]:
        user.release()


def test_a_uid_held_by_another_process_is_skipped_until_that_process_ends():
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from autograder.sandbox_users import claim; u = claim(); print(u.uid, flush=True); "
            "import time; time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    try:
        assert int(holder.stdout.readline()) == FIRST
        mine = claim()
        assert mine.uid == FIRST + 1
        mine.release()
    finally:
        holder.kill()  # its lock goes with it, without a release
        holder.wait()
    again = claim()
    assert again.uid == FIRST
    again.release()


def test_a_uid_whose_processes_still_run_is_not_claimed():
    # the last processes of a killed sandbox outlive its lock by a moment: a uid is free only once they are gone
    straggler = subprocess.Popen([*drop_to(sandbox_users.SandboxUser(FIRST)), "sleep", "60"])
    try:
        wait_for(lambda: FIRST in sandbox_users.uids_with_processes())
        user = claim()
        assert user.uid == FIRST + 1
        user.release()
    finally:
        straggler.kill()
        straggler.wait()
    user = claim()
    assert user.uid == FIRST
    user.release()


def test_the_sandbox_runs_as_the_claimed_uid_without_groups_or_capabilities():
    user = claim()
    try:
        shown = subprocess.run(
            [*drop_to(user), "sh", "-c", "id -u; id -g; id -G; grep CapEff /proc/self/status"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    finally:
        user.release()
    assert shown[:3] == [str(user.uid)] * 3
    assert shown[3].split() == ["CapEff:", "0000000000000000"]


def test_not_root_the_sandbox_runs_as_the_graders_own_user(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert claim() is None and drop_to(None) == []


@pytest.mark.parametrize("text", ["0:10", "2000:0", f"{2**31 - 5}:10", "1000"])
def test_a_range_that_could_hit_real_users_or_overflow_is_refused(monkeypatch, text):
    monkeypatch.setenv("RNN_SANDBOX_UIDS", text)
    with pytest.raises(ValueError, match="RNN_SANDBOX_UIDS"):
        uid_range()
