"""Keep one copy of each inline script on a page.

sphinx-thebe 0.3.1 registers its configuration script (``const THEBE_JS_URL
= ...``) on ``env-before-read-docs``. Jupyter Book 1 fires that event more
than once per build, so every page declares the same ``const`` twice and the
browser reports "Identifier 'THEBE_JS_URL' has already been declared"
(sphinx-togglebutton's inline script is doubled the same way, harmlessly).
This removes exact duplicates from a page's scripts just before it is written.
"""

from __future__ import annotations


def _script_key(script) -> tuple:
    # The same script is registered once with filename None and once with "" (both mean inline).
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {}) or {}
    return (str(filename), getattr(script, "priority", 0), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _drop_duplicate_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
