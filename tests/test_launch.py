"""The launch buttons' environments: Binder's (binder/) and the launch cell for Colab.

* Every chapter and every assignment notebook (source and release) starts
  its code with the launch cell (``book/_ext/launch_cell.py``), which installs
  rnncore from the repository in ``_config.yml`` where it is missing and does
  nothing where it is present; it hands nothing of rnncore to the grader's
  sandbox. The chapters' notebooks beside their sources are what jupytext
  makes of them, and the built pages' launch buttons open them.
* ``binder/requirements.txt`` installs, as repo2docker runs it, in a fresh
  virtual environment, with the versions pinned in pyproject.toml, and a
  chapter's notebook runs there from its launch cell to its end.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import launch_cell  # noqa: E402
from make_targets import MAKE  # noqa: E402

from autograder import handouts  # noqa: E402


def first_code_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.cell_type == "code")


def test_every_chapter_starts_its_code_with_the_launch_cell():
    chapters = launch_cell.chapters()
    assert {p.stem for p in chapters} >= {"01_recurrence", "04_lstm", "07_attention", "rnncore"}
    for path in chapters:
        cell = first_code_cell(jupytext.read(path))
        assert cell.source == launch_cell.source(launch_cell.CHAPTER_EXTRA), path.name
        assert cell.metadata.get("tags") == ["remove-cell"], f"{path.name}: the launch cell shows on the page"


def test_every_assignment_notebook_starts_its_code_with_the_locked_launch_cell():
    notebooks = sorted((ROOT / "solutions").glob("*/*.ipynb")) + sorted((ROOT / "exercises").glob("*/*.ipynb"))
    assert len(notebooks) == 14
    for path in notebooks:
        cell = first_code_cell(nbformat.read(path, as_version=4))
        assert cell.source == launch_cell.source(launch_cell.NOTEBOOK_EXTRA), path
        assert cell.metadata["nbgrader"]["locked"] and not cell.metadata["nbgrader"]["grade"], path


def test_the_chapters_notebooks_are_what_jupytext_makes_of_their_sources():
    chapters = launch_cell.chapters()
    stale = [p.name for p in chapters if p.with_suffix(".ipynb").read_text() != launch_cell.chapter_notebook(p)]
    assert not stale, f"run `make launch-notebooks`: these notebooks differ from their chapters: {stale}"
    orphans = {p.stem for p in (ROOT / "book").glob("*.ipynb")} - {p.stem for p in chapters}
    assert not orphans, f"notebooks in book/ without a chapter: {orphans}"


def run_cell(code: str, monkeypatch, rnncore_installed: bool) -> list[list[str]]:
    """Run the launch cell in this process, with ``subprocess.run`` recording instead of running."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: calls.append(command))
    if not rnncore_installed:
        find_spec = importlib.util.find_spec
        monkeypatch.setattr(
            importlib.util, "find_spec", lambda name, *a: None if name == "rnncore" else find_spec(name, *a)
        )
    exec(compile(code, "launch cell", "exec"), {})
    return calls


@pytest.mark.parametrize("extra", [launch_cell.CHAPTER_EXTRA, launch_cell.NOTEBOOK_EXTRA])
def test_the_launch_cell_does_nothing_where_rnncore_is_installed_and_installs_it_elsewhere(extra, monkeypatch):
    code = launch_cell.source(extra)
    assert importlib.util.find_spec("rnncore") is not None
    assert run_cell(code, monkeypatch, rnncore_installed=True) == []
    calls = run_cell(code, monkeypatch, rnncore_installed=False)
    name = f"rnncore[{extra}]" if extra else "rnncore"
    repository = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    requirement = f"{name} @ git+{repository['url']}@{repository['branch']}"
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", requirement]]


def test_the_launch_cell_follows_the_repository_in_config(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://github.com/someone/fork/\n  branch: term-2\n")
    assert "rnncore @ git+https://github.com/someone/fork@term-2" in launch_cell.source(None, config)


def test_the_launch_cell_hands_nothing_of_rnncore_to_the_sandbox():
    # The grader runs locked cells in the sandbox and hands out what they import of rnncore.
    assert handouts.requested_by([launch_cell.source(None)]) == {}


def test_launch_cell_tool_is_idempotent(tmp_path):
    text = (ROOT / "book" / "04_lstm.md").read_text()
    code = launch_cell.source(launch_cell.CHAPTER_EXTRA)
    assert launch_cell.with_cell_in_markdown(text, code) == text
    nb = nbformat.read(ROOT / "solutions" / "lstm" / "lstm.ipynb", as_version=4)
    again = launch_cell.with_cell_in_notebook(nbformat.from_dict(nb), launch_cell.source(None))
    assert nbformat.writes(again) == nbformat.writes(nb)


# ------------------------------------------------------------------ slow: Binder's environment, the built buttons


def pinned() -> dict[str, str]:
    """Every ``name==version`` of pyproject.toml."""
    return dict(re.findall(r'"([A-Za-z0-9_.-]+)==([^"]+)"', (ROOT / "pyproject.toml").read_text()))


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory) -> Path:
    """A fresh virtual environment with binder/requirements.txt installed from a copy of the repository.

    repo2docker runs ``pip install -r binder/requirements.txt`` at the
    repository's root, after copying the repository (the requirement starts with
    "."): the copy holds what building rnncore reads. pip fetches from the same
    package index as a student's pip (torch's pin from this machine's disk).
    """
    base = tmp_path_factory.mktemp("binder")
    repo = base / "repo"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, repo)
    for name in ("rnncore", "binder", "book"):
        shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__", "_build"))
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True)
    python = base / "venv" / "bin" / "python"
    result = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            "binder/requirements.txt",
        ],
        capture_output=True,
        text=True,
        cwd=repo,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return base


def in_env(base: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """A command in the Binder environment only: its bin/ first, its own Jupyter kernels, none of our settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "RNN_", "JUPYTER"))}
    env["PATH"] = f"{base / 'venv' / 'bin'}{os.pathsep}{env['PATH']}"
    env["JUPYTER_DATA_DIR"] = str(base / "jupyter-data")  # no kernel of this machine's user
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True)


@pytest.mark.slow
def test_binder_installs_the_pinned_student_environment_with_torch_and_rnncore_from_the_repository(binder_env):
    python = str(binder_env / "venv" / "bin" / "python")
    names = ("numpy", "matplotlib", "torch", "nbgrader", "jupyterlab", "myst-nb")
    probe = (
        "import importlib.metadata as m, rnncore; print(rnncore.__file__); "
        f"print(*(f'{{d}}=={{m.version(d)}}' for d in {names}))"
    )
    result = in_env(binder_env, python, "-c", probe, cwd=binder_env)  # not the copy, whose rnncore/ would shadow
    assert result.returncode == 0, result.stderr
    where, versions = result.stdout.splitlines()
    # rnncore is the repository's (installed from its copy), not a package from an index
    assert "site-packages/rnncore" in where
    pins = pinned()
    for installed in versions.split():
        name, version = installed.split("==")
        # `==2.13.0` admits a local build label (torch's `2.13.0+cpu` from this machine's disk), as pip does
        assert pins[name] == version.split("+")[0], f"Binder has {installed}, pyproject.toml pins {name}=={pins[name]}"
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert runtime == "python-3.11" and 'requires-python = ">=3.11"' in (ROOT / "pyproject.toml").read_text()


@pytest.mark.slow
def test_a_chapter_notebook_runs_on_binder_from_its_launch_cell(binder_env, tmp_path):
    # The smallest chapter page that is a notebook: it imports rnncore, draws a diagram and a plot.
    result = in_env(
        binder_env,
        str(binder_env / "venv" / "bin" / "jupyter"),
        "nbconvert", "--to", "notebook", "--execute", "book/rnncore.ipynb", "--output", str(tmp_path / "out.ipynb"),
        cwd=binder_env / "repo",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert first_code_cell(nb).source.startswith(launch_cell.FIRST_LINE)
    assert all(o.output_type != "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
def test_the_built_pages_launch_buttons_open_the_chapters_notebooks():
    result = subprocess.run(
        [*MAKE, "book"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for chapter in launch_cell.chapters():
        page = (ROOT / "_build" / "html" / "book" / f"{chapter.stem}.html").read_text()
        colab = re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', page)
        binder = re.findall(r'href="(https://mybinder\.org/[^"]+)"', page)
        assert colab and binder, f"{chapter.name}: no launch buttons"
        for link in colab + binder:
            assert link.endswith(f"book/{chapter.stem}.ipynb"), link
        assert chapter.with_suffix(".ipynb").is_file()
