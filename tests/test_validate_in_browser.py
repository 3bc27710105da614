"""The Validate button, as a student presses it: JupyterLab in headless Chromium.

JupyterLab (with nbgrader's extension, as the course installs it) serves a
folder holding two copies of a released notebook, one completed correctly and
one with a wrong backward pass. For each, the test opens the notebook, presses
the toolbar's Validate button, and reads the dialog nbgrader shows: success for
the first; for the second, the failing function and the gradient and time step
where it departs, in the grader's own words. Screenshots of both dialogs are
saved under ``_build/screenshots/``.

The server listens on 127.0.0.1 only, every request off this machine is
refused, and the server is stopped by its process group even if the test fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from grading_cases import BPTT_WRONG, filled_release

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "_build" / "screenshots"
ASSIGNMENT = "bptt"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 over a folder with a correct and a wrong notebook: ``(url, token)``."""
    home = tmp_path_factory.mktemp("student")
    work = home / "work"
    work.mkdir()
    nbformat.write(filled_release(ROOT, ASSIGNMENT), work / "correct.ipynb")
    wrong = filled_release(ROOT, ASSIGNMENT, {"rnn_backward": BPTT_WRONG["rnn_backward"]})
    nbformat.write(wrong, work / "wrong.ipynb")

    # JupyterLab asks whether to fetch Jupyter's news from the internet; answer no beforehand.
    notifications = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notifications.parent.mkdir(parents=True)
    notifications.write_text('{"fetchNews": "false"}')

    port, token = free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / "config"),  # nothing of the user's own Jupyter settings
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    command = [
        str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.allow_root=True",  # CI runs as root; the server still listens on 127.0.0.1 only
    ]  # fmt: skip
    log = (home / "server.log").open("w")
    server = subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n" + (home / "server.log").read_text()) from None
                time.sleep(0.5)
        yield url, token
    finally:
        stop(server)
        log.close()


def stop(server: subprocess.Popen) -> None:
    """Stop the server and the kernels it started (its process group), however the test ended."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, None)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:  # already gone
            pass
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def opened(browser, jupyterlab, notebook: str):
    """A page with ``notebook`` open in JupyterLab, its cells drawn; closed afterwards."""
    url, token = jupyterlab
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    def only_this_machine(route):
        # JupyterLab works offline; anything it would fetch from elsewhere is refused, never waited for.
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost") or route.request.url.startswith("data:"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_this_machine)
    try:
        # ?reset: a fresh workspace, so the notebook of an earlier test is not reopened beside this one.
        page.goto(f"{url}/lab/tree/{notebook}?reset&token={token}", wait_until="domcontentloaded")
        page.get_by_role("tab", name=notebook).wait_for(timeout=60_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        yield page
    finally:
        page.close()


def validate(browser, jupyterlab, notebook: str) -> str:
    """Open ``notebook`` in JupyterLab, press Validate, and return the text of the dialog nbgrader shows."""
    with opened(browser, jupyterlab, notebook) as page:
        button = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .validate-button")
        button.wait_for(state="visible", timeout=60_000)
        button.click()
        dialog = page.locator(".jp-Dialog-content")
        # Validation runs the whole notebook in a kernel: the grader's checks, and the demo.
        dialog.wait_for(state="visible", timeout=120_000)
        page.wait_for_timeout(300)  # let the dialog finish drawing before the screenshot
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"validate-{Path(notebook).stem}.png"))
        return dialog.inner_text()


def test_the_released_notebook_shows_its_diagram(browser, jupyterlab):
    """The recap's SVG (autograder/recap_diagram.py) loads in JupyterLab, with its alt text."""
    with opened(browser, jupyterlab, "correct.ipynb") as page:
        # The rendered markdown's picture (CodeMirror keeps hidden <img> buffers of its own in cells).
        image = page.locator('.jp-MarkdownCell .jp-RenderedMarkdown img[src^="data:image/svg+xml"]').first
        image.wait_for(state="visible", timeout=30_000)
        image.scroll_into_view_if_needed()
        loaded = image.evaluate("i => ({ok: i.complete && i.naturalWidth > 0, alt: i.alt, src: i.src.split(',')[0]})")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "jupyterlab-recap-diagram.png"))
    assert loaded["ok"] and loaded["src"] == "data:image/svg+xml;base64", loaded
    assert len(loaded["alt"].split()) >= 8, loaded


def test_validate_says_success_for_a_correct_notebook(browser, jupyterlab):
    text = validate(browser, jupyterlab, "correct.ipynb")
    assert "Success! Your notebook passes all the tests." in text, text


def test_validate_names_the_wrong_gradient_and_where_it_departs(browser, jupyterlab):
    text = validate(browser, jupyterlab, "wrong.ipynb")
    assert "The following cell failed" in text, text
    # The grader's diagnosis, whole (not cut at the dialog's line width).
    assert "GradingError: rnn_backward:" in text and " is wrong (relative error" in text, text
    assert "departs from t=" in text, text
    assert "Traceback" not in text and "engine.py" not in text, "the grader's internals are shown:\n" + text
