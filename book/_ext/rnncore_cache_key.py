"""Re-run every chapter when rnncore changes.

The chapters are executed at build time and cached (``execute_notebooks:
cache``): myst-nb's cache is keyed on a notebook's own text, and Sphinx
re-reads only the pages whose source changed. Both miss a change to rnncore,
which every chapter imports: an edited diagram or layer would keep showing
its old output. This extension keys the build on rnncore's source too. When
the hash of ``rnncore/**/*.py`` differs from the one the last successful build
recorded, it empties the execution cache and has Sphinx re-read every page.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

STAMP = "rnncore.sha256"


def rnncore_hash(package: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _cache_dir(app) -> Path:
    # Where myst-nb puts it when the configuration does not say (myst_nb.sphinx_ext).
    configured = getattr(app.config, "nb_execution_cache_path", "")
    return Path(configured) if configured else Path(app.outdir).parent / ".jupyter_cache"


def _on_config(app, config):
    package = Path(app.confdir) / "rnncore"
    app.rnncore_hash = rnncore_hash(package) if package.is_dir() else ""
    stamp = _cache_dir(app) / STAMP
    app.rnncore_changed = not stamp.is_file() or stamp.read_text() != app.rnncore_hash
    if app.rnncore_changed and _cache_dir(app).is_dir():
        shutil.rmtree(_cache_dir(app))


def _outdated(app, env, added, changed, removed):
    return sorted(env.found_docs) if app.rnncore_changed else []


def _record(app, exception):
    if exception is None and app.rnncore_hash:
        _cache_dir(app).mkdir(parents=True, exist_ok=True)
        (_cache_dir(app) / STAMP).write_text(app.rnncore_hash)


def setup(app):
    app.connect("config-inited", _on_config)
    app.connect("env-get-outdated", _outdated)
    app.connect("build-finished", _record)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
