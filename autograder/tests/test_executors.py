"""The parts of parallel grading that need no sandbox: matching verdicts computed ahead, keys, seeds, dead workers."""

from __future__ import annotations

import copy
import itertools
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import nbformat
import pytest
from distributed import KilledWorker
from grading_corpus import ROOT

from autograder import executors
from autograder.executors import Ahead, Where, computing_ahead, verdict_for, worker_died_verdict
from autograder.isolated import Verdict, release_from_notebook, submission_key, submission_seed
from autograder.nbgrader_cells import grade_id

ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def release_notebook(assignment: str):
    return nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)


class Done:
    """A future already finished with ``value`` (or raising it, if it is an exception)."""

    def __init__(self, value):
        self.value, self.cancelled = value, False

    def result(self):
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value

    def cancel(self):
        self.cancelled = True


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_key_changes_with_what_grading_reads_and_only_with_that(assignment):
    nb = release_notebook(assignment)
    release = release_from_notebook(nb)
    key = submission_key(nb, release)
    assert submission_key(nbformat.reads(nbformat.writes(nb), as_version=4), release) == key  # written and read

    outputs = copy.deepcopy(nb)
    for cell in outputs.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x")]
    assert submission_key(outputs, release) == key  # outputs are cleared before grading and never read

    for k, cell in enumerate(nb.cells):
        changed = copy.deepcopy(nb)
        changed.cells[k].source += "\n# one more line"
        assert submission_key(changed, release) != key, f"cell {k}'s source is not in the key"
        if grade_id(cell):
            changed = copy.deepcopy(nb)
            changed.cells[k].metadata["nbgrader"]["points"] = 99
            assert submission_key(changed, release) != key, f"cell {k}'s nbgrader flags are not in the key"
    other = release_from_notebook(release_notebook(next(a for a in ASSIGNMENTS if a != assignment)))
    assert submission_key(nb, other) != key


KEYS_IN_A_NEW_PROCESS = """
import json, sys
import nbformat
from autograder.isolated import release_from_notebook, submission_key
keys = {}
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    keys[path] = submission_key(nb, release_from_notebook(nb))
print(json.dumps(keys))
"""


def test_the_key_is_the_same_in_every_process_whatever_its_string_hashing():
    # The grader and a Dask worker, or two gradings of a class, are different processes: a key (and so the
    # seed of the draws) that followed a set's order would give the same notebook different draws.
    paths = [str(ROOT / "exercises" / a / f"{a}.ipynb") for a in ASSIGNMENTS]
    releases = [release_from_notebook(release_notebook(a)) for a in ASSIGNMENTS]
    assert any(len(names or ()) > 1 for r in releases for names in r.handouts.values()), "no set to reorder"
    keys = []
    for hash_seed in range(4):
        env = dict(os.environ, PYTHONHASHSEED=str(hash_seed), PYTHONPATH=str(ROOT))
        run = subprocess.run(
            [sys.executable, "-c", KEYS_IN_A_NEW_PROCESS, *paths], env=env, capture_output=True, text=True, check=True
        )
        keys.append(json.loads(run.stdout))
    here = {p: submission_key(release_notebook(a), r) for p, a, r in zip(paths, ASSIGNMENTS, releases, strict=True)}
    assert all(k == here for k in keys)


def test_seeds_differ_between_courses_and_notebooks_and_repeat_for_the_same():
    notebooks = [release_notebook(a) for a in ASSIGNMENTS]
    seeds = {
        (secret, k): submission_seed(secret, nb, release_from_notebook(nb))
        for secret, (k, nb) in itertools.product(["course-a", "course-b"], enumerate(notebooks))
    }
    assert len(set(seeds.values())) == len(seeds)
    nb = notebooks[0]
    assert submission_seed("course-a", nb, release_from_notebook(nb)) == seeds["course-a", 0]


def test_a_verdict_computed_ahead_is_used_only_for_the_notebook_it_was_computed_for():
    nb = release_notebook("lstm")
    release = release_from_notebook(nb)
    where, key = Where("ada", "lstm", "lstm"), submission_key(nb, release)
    ahead = Ahead()
    sent = Done("verdict")
    ahead.add(where, key, sent)
    assert ahead.take(Where("bob", "lstm", "lstm"), key) is None  # another student's identical notebook
    assert ahead.take(where, "another key") is None  # changed since it was sent: graded again, here
    assert sent.cancelled and ahead.pending == {}
    ahead.add(where, key, sent)
    assert ahead.take(where, key) is sent
    assert ahead.take(where, key) is None  # taken once only
    assert (ahead.used, ahead.missed) == (1, 3)


def test_a_submission_that_kept_killing_workers_is_recorded_as_crashed_and_the_class_goes_on(caplog):
    nb = release_notebook("gru")
    release = release_from_notebook(nb)
    where = Where("ada", "gru", "gru")
    with computing_ahead() as ahead:
        ahead.add(
            where,
            submission_key(nb, release),
            Done(KilledWorker("grade-gru-ada", SimpleNamespace(address="tcp://127.0.0.1:1"), 3)),
        )
        verdict = verdict_for(nb, release, seed=1, where=where)
    assert verdict.status == "crashed"
    assert set(verdict.outcomes) == set(release.tests)
    assert all(message == executors.WORKER_DIED for message in verdict.outcomes.values())
    assert "regrade" in caplog.text
    assert executors._ahead is None  # nothing is left for a later grading to pick up


def test_a_test_missing_from_a_notebook_whose_worker_died_is_reported_missing():
    nb = release_notebook("gru")
    release = release_from_notebook(nb)
    first_test = release.tests[0]
    nb.cells = [c for c in nb.cells if grade_id(c) != first_test]
    verdict = worker_died_verdict(nb, release, "KilledWorker")
    assert verdict.outcomes[first_test] == "it is missing"
    assert all(verdict.outcomes[t] == executors.WORKER_DIED for t in release.tests[1:])


@pytest.mark.parametrize("status", ["crashed", "graded", "timed out", "malformed"])
def test_only_a_crash_on_a_worker_is_graded_again_here(monkeypatch, status):
    # a worker that is not root shares its user's process limit with every sandbox of its machine: a crash
    # there may be another student's fork bomb, so it is graded again here; any other verdict stands
    nb = release_notebook("gru")
    release = release_from_notebook(nb)
    where = Where("ada", "gru", "gru")
    from_worker = Verdict(dict.fromkeys(release.tests, "from the worker"), status, 1.0, 0)
    here = Verdict(dict.fromkeys(release.tests), "graded", 1.0, 0)
    graded_here = []
    monkeypatch.setattr(executors, "grade_notebook", lambda *a, **k: graded_here.append(k["seed"]) or here)
    with computing_ahead() as ahead:
        ahead.add(where, submission_key(nb, release), Done(from_worker))
        verdict = verdict_for(nb, release, seed=7, where=where)
    assert (verdict, graded_here) == ((here, [7]) if status == "crashed" else (from_worker, []))
