"""Offer the book as one PDF from every page of the published site.

`make pdf` puts the PDF beside the HTML (``_build/html/<name>.pdf``), and the
deployment workflow publishes both, so on the site the PDF lives at
``html.baseurl`` + its name. This extension adds a PDF icon ("The whole book
as one PDF") to the theme's icon links, which sphinx-book-theme shows under
the book's title on every page, pointing there. The address is
absolute: the pages sit at different depths of the site, and a local build
without `make pdf` has no PDF of its own to point at.
"""

from __future__ import annotations

from pathlib import Path, PurePath

import yaml

NAME = "The whole book as one PDF"


def pdf_name(book_config: dict) -> str:
    """The PDF's file name, from ``latex.latex_documents.targetname`` of ``_config.yml``: rnn-book.tex → rnn-book.pdf.

    Read from ``_config.yml`` itself because jupyter-book applies that name to
    Sphinx's ``latex_documents`` only after the extensions' set-up, and only
    for a LaTeX build.
    """
    return PurePath(book_config["latex"]["latex_documents"]["targetname"]).with_suffix(".pdf").name


def pdf_url(baseurl: str, book_config: dict) -> str:
    """Where the published site serves the PDF: the book's base URL, then the PDF's name."""
    return baseurl.rstrip("/") + "/" + pdf_name(book_config)


def _add_icon_link(app, config) -> None:
    if not config.html_baseurl:
        return  # no published site to point at
    options = dict(config.html_theme_options)
    options["icon_links"] = [
        *options.get("icon_links", []),
        {
            "name": NAME,
            "url": pdf_url(config.html_baseurl, yaml.safe_load((Path(app.confdir) / "_config.yml").read_text())),
            "icon": "fa-solid fa-file-pdf",
            "type": "fontawesome",
        },
    ]
    config.html_theme_options = options


def setup(app):
    # after jupyter-book has filled html_theme_options (launch buttons, repository) from _config.yml
    app.connect("config-inited", _add_icon_link, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
