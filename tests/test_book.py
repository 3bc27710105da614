"""The built book, checked in a real browser (Debian's Chromium driven by Playwright).

The book is built once per session with warnings as errors (a chapter that
raises, a broken cross-reference or a missing citation fails here). Then
every page is served from localhost and opened in headless Chromium:

* no console errors and no failed or off-machine requests (the book must
  work with no network, MathJax included);
* every equation typeset by MathJax, and no raw TeX left in the text;
* every image loaded, with alt text;
* no line of code or output cut off at the text column's right edge;
* every internal link pointing at a page that exists, and at an anchor that
  exists on it.

A full-page screenshot of each page is saved under ``_build/screenshots/``, and
of each page with figures also in dark mode (``<page>-dark.png``) and at 200 %
(``<page>@2x.png``), to look at.
"""

from __future__ import annotations

import functools
import html
import http.server
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
import yaml

# Builds the book and opens every page in Chromium: the full suite only (make test).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"


def toc_pages() -> list[str]:
    """Every page listed in ``_toc.yml``, as paths relative to the HTML root."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return [f"{f}.html" for f in files]


@pytest.fixture(scope="session")
def built_book():
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jb), "build", str(ROOT), "-W", "-n", "--keep-going"], capture_output=True, text=True, cwd=ROOT
    )
    warnings = [line for line in result.stdout.splitlines() + result.stderr.splitlines() if "WARNING:" in line]
    assert result.returncode == 0, "the book build failed:\n" + "\n".join(warnings or result.stdout.splitlines()[-30:])
    return HTML


@pytest.fixture(scope="session")
def server(built_book):
    handler = functools.partial(QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_every_toc_page_was_built(built_book):
    missing = [p for p in toc_pages() if not (built_book / p).is_file()]
    assert not missing, f"pages in _toc.yml with no HTML: {missing}"


@pytest.mark.parametrize("page_path", toc_pages())
def test_page_in_browser(page_path, server, browser, built_book):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.on("request", lambda r: problems.append(f"off-machine request: {r.url}") if not _local(r.url) else None)

    page.goto(urljoin(server, page_path), wait_until="load")
    # Sphinx loads MathJax only on pages that contain math.
    if page.evaluate("() => document.querySelectorAll('span.math, div.math').length > 0"):
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
        page.evaluate("MathJax.startup.promise")
    page.wait_for_load_state("networkidle")

    math = page.evaluate(
        """() => ({
            total: document.querySelectorAll('span.math, div.math').length,
            typeset: document.querySelectorAll('span.math mjx-container, div.math mjx-container').length,
            errors: document.querySelectorAll('mjx-merror').length,
            text: document.querySelector('main, article, body').innerText,
        })"""
    )
    assert math["total"] == math["typeset"], f"{math['total'] - math['typeset']} equations not typeset"
    assert math["errors"] == 0, f"{math['errors']} MathJax errors"
    raw = re.findall(r"\\\(|\\\[|\$\$|\\begin\{", math["text"])
    assert not raw, f"raw TeX left in the page text: {raw[:5]}"

    images = page.evaluate(
        """() => [...document.images].map(i => ({
            src: i.src, ok: i.complete && i.naturalWidth > 0, alt: (i.getAttribute('alt') || '').trim()}))"""
    )
    broken = [i["src"] for i in images if not i["ok"]]
    assert not broken, f"images that did not load: {broken}"
    # The theme's logo and icons are decorative only if marked so; every figure needs words.
    no_alt = [i["src"] for i in images if not i["alt"]]
    assert not no_alt, f"images without alt text: {no_alt}"

    cut_off = page.evaluate(
        """() => [...document.querySelectorAll('.bd-article pre')]
            .filter(p => p.scrollWidth > p.clientWidth + 1)
            .map(p => p.innerText.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), ''))"""
    )
    assert not cut_off, f"code or output lines cut off at the right edge: {cut_off[:3]}"

    links = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    bad_links = [link for link in links if _local(link) and not _resolves(link, server, built_book)]
    assert not bad_links, f"internal links that do not resolve: {sorted(set(bad_links))}"

    SHOTS.mkdir(parents=True, exist_ok=True)
    stem = Path(page_path).stem
    page.screenshot(path=str(SHOTS / f"{stem}.png"), full_page=True)
    if page.evaluate("() => document.querySelectorAll('figure img').length > 0"):
        page.evaluate("() => document.documentElement.setAttribute('data-theme', 'dark')")
        page.screenshot(path=str(SHOTS / f"{stem}-dark.png"), full_page=True)
        # 200 % zoom on a 1280-pixel screen: half as many CSS pixels, each drawn twice as large.
        zoomed = browser.new_page(viewport={"width": 640, "height": 900}, device_scale_factor=2)
        zoomed.goto(urljoin(server, page_path), wait_until="networkidle")
        zoomed.screenshot(path=str(SHOTS / f"{stem}@2x.png"), full_page=True)
        zoomed.close()
    page.close()
    assert not problems, "\n".join(problems)


def _local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob", "about") or parsed.hostname in ("127.0.0.1", "localhost")


@functools.cache
def _ids(path: Path) -> frozenset[str]:
    return frozenset(re.findall(r'id="([^"]+)"', path.read_text(encoding="utf-8")))


def _resolves(link: str, server: str, root: Path) -> bool:
    url, fragment = urldefrag(link)
    if urlparse(url).scheme in ("data", "blob", "about"):
        return True
    rel = urlparse(url).path.lstrip("/")
    target = root / rel
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return False
    return not fragment or target.suffix != ".html" or fragment in _ids(target)


def test_a_chapter_that_raises_fails_the_build(tmp_path):
    # The book's own execution settings, on a one-page book whose code cell raises.
    execute = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]
    (tmp_path / "_config.yml").write_text(yaml.safe_dump({"title": "t", "execute": execute}))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (tmp_path / "page.md").write_text(
        "---\njupytext:\n  text_representation:\n    format_name: myst\n"
        "kernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n# Page\n\n"
        "```{code-cell} python3\nraise RuntimeError('chapter bug')\n```\n"
    )
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jb), "build", str(tmp_path), "-W", "-n", "--keep-going"], capture_output=True, text=True
    )
    assert result.returncode != 0
    # The traceback goes to the execution report that the build's warning names.
    report = tmp_path / "_build" / "html" / "reports" / "page.err.log"
    plain = re.sub(r"\x1b\[[0-9;]*m", "", report.read_text())  # drop terminal colours
    assert "RuntimeError: chapter bug" in plain


def test_every_image_a_chapter_asks_for_is_on_its_page(built_book):
    """Each code cell's alt text (``mystnb: image: alt``) names an image that must be on the built page.

    A cell whose plot silently fails to draw (a kernel without the inline
    backend, a figure closed too early) leaves no error, only a missing image.
    """
    for source in sorted((ROOT / "book").glob("*.md")):
        alts = [
            meta["mystnb"]["image"]["alt"]
            for block in re.findall(r"^```\{code-cell\}[^\n]*\n---\n(.*?)\n---\n", source.read_text(), re.S | re.M)
            if (meta := yaml.safe_load(block)) and "alt" in meta.get("mystnb", {}).get("image", {})
        ]
        if not alts:
            continue
        page = (built_book / "book" / f"{source.stem}.html").read_text(encoding="utf-8")
        shown = {html.unescape(a) for a in re.findall(r'<img alt="([^"]*)"', page)}
        missing = [a for a in alts if a not in shown]
        assert not missing, f"{source.name}: images with this alt text are not on the page: {missing}"


def test_assignment_links_into_the_book_resolve(built_book):
    """Every link from a student notebook to the published book names a page and section that exist."""
    base = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"]
    links = set()
    for notebook in (ROOT / "exercises").glob("*/*.ipynb"):
        links |= set(re.findall(re.escape(base) + r"[^)\s\"]+", notebook.read_text()))
    assert len(links) >= 14, f"expected the notebooks to link their book sections, found {sorted(links)}"
    broken = [link for link in sorted(links) if not _resolves(link.removeprefix(base), "", built_book)]
    assert not broken, f"links to pages or sections that do not exist: {broken}"


def test_the_book_offers_every_assignment_for_download(built_book):
    page = (built_book / "book" / "assignments.html").read_text()
    for notebook in (ROOT / "exercises").glob("*/*.ipynb"):
        downloads = list((built_book / "_downloads").glob(f"*/{notebook.name}"))
        assert downloads and downloads[0].read_bytes() == notebook.read_bytes(), notebook.name
        assert f"/{notebook.name}" in page
