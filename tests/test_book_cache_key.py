"""book/_ext/rnncore_cache_key.py: a change to rnncore re-runs the chapters; no change keeps the cache."""

import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))

import rnncore_cache_key as key  # noqa: E402


def _app(root: Path):
    return SimpleNamespace(confdir=str(root), outdir=str(root / "_build" / "html"), config=SimpleNamespace())


def _build(root: Path, docs=("a", "b")):
    """One pass of the extension's hooks, as Sphinx calls them; returns the pages it forced to re-read."""
    app = _app(root)
    key._on_config(app, app.config)
    outdated = key._outdated(app, SimpleNamespace(found_docs=set(docs)), set(), set(), set())
    key._record(app, None)
    return outdated


def test_a_change_to_rnncore_empties_the_cache_and_rereads_every_page(tmp_path):
    (tmp_path / "rnncore").mkdir()
    (tmp_path / "rnncore" / "layer.py").write_text("x = 1\n")
    cache = tmp_path / "_build" / ".jupyter_cache"
    assert _build(tmp_path) == ["a", "b"]  # first build: nothing recorded yet
    (cache / "executed.db").write_text("cached outputs")
    assert _build(tmp_path) == [] and (cache / "executed.db").exists()  # unchanged: the cache stays
    (tmp_path / "rnncore" / "layer.py").write_text("x = 2\n")
    assert _build(tmp_path) == ["a", "b"] and not (cache / "executed.db").exists()


def test_a_failed_build_records_nothing(tmp_path):
    (tmp_path / "rnncore").mkdir()
    (tmp_path / "rnncore" / "layer.py").write_text("x = 1\n")
    app = _app(tmp_path)
    key._on_config(app, app.config)
    key._record(app, RuntimeError("a chapter raised"))
    assert not (tmp_path / "_build" / ".jupyter_cache" / key.STAMP).exists()
