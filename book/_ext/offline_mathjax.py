"""Serve MathJax from the book itself, so equations render with no network.

Sphinx loads MathJax from a CDN by default; offline, a reader would see raw
``\\(a^2\\)``. This extension copies MathJax 3's ``es5`` bundle from the
``django-static-mathjax`` package (pinned in ``pyproject.toml``) into
``_static/mathjax/`` of the HTML output and points ``mathjax_path`` at it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import mathjax

BUNDLE = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
TARGET = "mathjax"


def _use_local_mathjax(app, config) -> None:
    config.mathjax_path = f"{TARGET}/tex-chtml.js"


def _copy_bundle(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        shutil.copytree(BUNDLE, Path(app.outdir) / "_static" / TARGET, dirs_exist_ok=True)


def setup(app):
    if not (BUNDLE / "tex-chtml.js").is_file():
        raise RuntimeError(f"offline_mathjax: MathJax bundle not found at {BUNDLE}")
    app.connect("config-inited", _use_local_mathjax)
    app.connect("build-finished", _copy_bundle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
