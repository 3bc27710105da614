"""The deployment workflow (.github/workflows/publish.yml), checked here since it cannot run here.

actionlint checks its syntax, expressions, the actions' inputs and outputs and
their runtimes. The rest holds it to the local build: every command it runs is
a target of the Makefile, in the order a local build runs them (`make book`,
then `make pdf`, which puts the PDF beside the HTML), and it publishes the
directory `make book` writes. The base URL it checks against is the one in
``_config.yml``, through `make pages-url`, which is tried here both ways.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml
from make_targets import MAKE

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
# The tests run inside the environment already: `venv` would reinstall it whenever pyproject.toml is newer.


def steps() -> list[dict]:
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    return [step for job in jobs.values() for step in job["steps"]]


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def test_the_workflow_passes_actionlint():
    actionlint = Path(sys.executable).with_name("actionlint")
    result = subprocess.run([str(actionlint), str(WORKFLOW)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "", result.stdout


def test_the_workflow_builds_with_the_local_make_targets_in_their_order():
    commands = [shlex.split(step["run"]) for step in steps() if "run" in step]
    targets = []
    for command in commands:
        command = command[1:] if command[0] == "sudo" else command
        assert command[0] == "make", f"the workflow runs something that is not a make target: {command}"
        assert command[1] in make_targets(), f"make {command[1]}: no such target in the Makefile"
        targets.append(command[1])
    assert targets.index("book") < targets.index("pdf"), targets
    # TeX Live is installed before `make pdf` needs it, by the Makefile's own target.
    assert targets.index("latex") < targets.index("pdf"), targets
    # Nothing builds outside make: no jupyter-book, pip or apt-get of the workflow's own.
    assert not any(word in step.get("run", "") for step in steps() for word in ("jupyter-book", "pip", "apt"))


def test_the_workflow_publishes_what_make_book_writes_with_the_official_actions():
    uses = [step["uses"].split("@")[0] for step in steps() if "uses" in step]
    for action in ("actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"):
        assert action in uses, f"{action} is not used"
    upload = next(step for step in steps() if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    dry_run = subprocess.run([*MAKE, "-n", "book"], capture_output=True, text=True, cwd=ROOT).stdout
    assert upload["with"]["path"] == "_build/html" and "_build/html/index.html" in dry_run


def test_the_base_url_check_accepts_config_yml_and_refuses_another():
    baseurl = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"]
    ok = subprocess.run([*MAKE, "pages-url", f"URL={baseurl.rstrip('/')}"], capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    other = subprocess.run(
        [*MAKE, "pages-url", "URL=https://someone.github.io/a-fork"], capture_output=True, text=True, cwd=ROOT
    )
    assert other.returncode != 0
    assert "html.baseurl in _config.yml" in other.stderr and "https://someone.github.io/a-fork/" in other.stderr
