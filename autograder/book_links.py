"""The release's links to the book, from one setting: ``html.baseurl`` in ``_config.yml``.

The instructor's notebooks link to sections of the published book
(``https://…/book/02_bptt.html#deriving-the-gradients``). Where the book is
published is said once, in ``_config.yml``; :class:`BookLinks` runs first
when ``nbgrader generate_assignment`` (``make release``) makes the student
notebooks, and rewrites every link to a page of the book so that it starts
with that base URL, whatever base the instructor's notebook had. Links to
anything else are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import yaml
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode


def configured_baseurl(config_file: Path) -> str:
    """``html.baseurl`` of a Jupyter Book ``_config.yml`` ("" if the file or the setting is missing)."""
    if not config_file.is_file():
        return ""
    config = yaml.safe_load(config_file.read_text()) or {}
    return (config.get("html") or {}).get("baseurl") or ""


def book_pages(book_dir: Path) -> list[str]:
    """The book's pages as paths from the site's root, without suffix: ``["book/01_recurrence", …]``."""
    return sorted(f"{book_dir.name}/{page.stem}" for page in book_dir.glob("*.md"))


def relinked(text: str, baseurl: str, pages: Iterable[str]) -> str:
    """``text`` with every URL of one of ``pages`` (``…/<page>.html``, any anchor) moved under ``baseurl``."""
    pages = sorted(pages, key=len, reverse=True)
    if not baseurl or not pages:
        return text
    # A URL ends at white space, a quote, a parenthesis or an angle bracket (markdown and HTML links).
    link = re.compile(r"https?://[^\s()<>\"']*?/(" + "|".join(map(re.escape, pages)) + r")\.html(?=[#\s()<>\"']|$)")
    return link.sub(lambda m: f"{baseurl.rstrip('/')}/{m.group(1)}.html", text)


class BookLinks(NbGraderPreprocessor):
    """Point every link to the book in a released notebook's markdown at ``baseurl``."""

    baseurl = Unicode("", help="where the book is published (html.baseurl of _config.yml)").tag(config=True)
    pages = List(Unicode(), help="the book's pages, e.g. book/02_bptt").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = relinked(cell.source, self.baseurl, self.pages)
        return cell, resources
