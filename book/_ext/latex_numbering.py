"""Number the PDF's chapters as the HTML numbers them.

In the HTML only the parts of ``_toc.yml`` marked ``numbered: true`` (the
chapters) carry numbers: Recurrence is chapter 1, the preface and the guides
have none. sphinx-jupyterbook-latex turns each part into a LaTeX ``\\part`` and
each page into a ``\\chapter``, all numbered in one sequence, so the PDF would
call the preface chapter 1 and the LSTM chapter 6, and its equations (6.1).
This adds a hook to the LaTeX preamble that, at the start of each part, numbers
sections only in the parts that are numbered in ``_toc.yml``. A chapter of an
unnumbered part does not advance the chapter counter, so the numbered chapters
count from 1 and their equations and figures from (1.1).
"""

from __future__ import annotations


def numbered_parts(site_map) -> list[int]:
    """The 1-based indices of the ``_toc.yml`` parts marked ``numbered``."""
    return [k for k, tree in enumerate(site_map.root.subtrees, start=1) if tree.numbered]


def part_hook(numbered: list[int], depth: int = 2) -> str:
    """LaTeX run at each ``\\part``: the part counter still holds the previous part's number."""
    tests = "".join(f"\\ifnum\\value{{part}}={k - 1} \\setcounter{{secnumdepth}}{{{depth}}}\\fi" for k in numbered)
    return f"\n\\AddToHook{{cmd/part/before}}{{\\setcounter{{secnumdepth}}{{-1}}{tests}}}\n"


def _add_hook(app, config) -> None:
    site_map = getattr(config, "external_site_map", None)
    if site_map is None or len(site_map.root.subtrees) < 2:
        return  # no parts: Sphinx's own numbering applies
    elements = config.latex_elements
    elements["preamble"] = elements.get("preamble", "") + part_hook(numbered_parts(site_map))


def setup(app):
    app.connect("config-inited", _add_hook, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
