"""The book as one PDF (`make pdf`), checked against the HTML book it is built from.

`make book` builds the HTML and `make pdf` the PDF after it, each with
warnings as errors, as the deployment workflow runs them; the PDF build takes
every chapter from the execution cache the HTML build filled, and puts the
PDF beside the HTML for the site, where an icon on every page links to it.
Then, from the PDF:

* its text (``pdftotext``) has every page of ``_toc.yml`` under its title, the
  chapters with the HTML's numbers ("Chapter 4. Long short-term memory");
* every equation the text refers to has the number the HTML gives it, and
  that number is printed in the PDF; no reference is left unresolved (``??``);
* the bibliography is there, with every entry of ``references.bib``;
* each chapter has as many figures (images and converted SVG diagrams) as
  its HTML page;
* no character was dropped for want of a glyph, and the log has no overfull
  line of code or output.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from make_targets import MAKE

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
LATEX = ROOT / "_build" / "latex"
PDF = LATEX / "rnn-book.pdf"


def make(target: str) -> subprocess.CompletedProcess:
    """`make book` or `make pdf`, as a local build and the deployment workflow run them.

    The tests run inside the environment already: ``-o venv`` keeps make from
    reinstalling it when pyproject.toml is newer.
    """
    command = [*MAKE, target]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    warnings = [line for line in result.stdout.splitlines() + result.stderr.splitlines() if "WARNING:" in line]
    assert result.returncode == 0, f"make {target} failed:\n" + "\n".join(
        warnings or (result.stdout + result.stderr).splitlines()[-40:]
    )
    return result


@pytest.fixture(scope="module")
def builds() -> dict[str, subprocess.CompletedProcess]:
    return {"html": make("book"), "pdf": make("pdf")}


@pytest.fixture(scope="module")
def text(builds) -> str:
    return subprocess.run(["pdftotext", "-layout", str(PDF), "-"], capture_output=True, text=True, check=True).stdout


def toc_stems() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [Path(chapter["file"]).name for part in toc["parts"] for chapter in part["chapters"]]


def html_titles() -> dict[str, str]:
    """Each page's title as the HTML's navigation shows it, with the chapter number where it has one."""
    nav = (HTML / "book" / "index.html").read_text(encoding="utf-8")
    titles = {}
    for stem in toc_stems():
        found = re.search(rf'href="{stem}\.html">([^<]+)</a>', nav)
        assert found, f"{stem} is not in the HTML's navigation"
        titles[stem] = " ".join(found.group(1).split())
    return titles


def test_the_pdf_build_runs_no_chapter_again_and_puts_the_pdf_beside_the_html(builds):
    # The HTML build, just before, ran what had changed; the PDF takes every chapter from that cache.
    assert "Executed notebook" not in builds["pdf"].stdout, "the PDF build executed chapters the HTML build had cached"
    assert (HTML / PDF.name).read_bytes() == PDF.read_bytes(), "the published site would not offer this PDF"


def test_every_page_of_the_site_links_to_where_it_publishes_the_pdf(builds):
    # The workflow uploads _build/html, so the PDF beside index.html is served at html.baseurl + its name.
    baseurl = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"]
    published = baseurl.rstrip("/") + "/" + PDF.name
    for page in sorted((HTML / "book").glob("*.html")):
        assert f'href="{published}"' in page.read_text(encoding="utf-8"), f"{page.name} does not link to {published}"


def test_every_page_is_in_the_pdf_under_its_title_and_number(text):
    flat = " ".join(text.split())
    titles = html_titles()
    numbered = {stem: title for stem, title in titles.items() if re.match(r"\d+\. ", title)}
    assert len(numbered) == 7, f"the HTML numbers these pages: {numbered}"
    for stem, title in titles.items():
        if stem in numbered:
            number, name = title.split(". ", 1)
            # the running head of the chapter's even pages
            assert f"Chapter {number}. {name}" in flat, f"no 'Chapter {number}. {name}' in the PDF"
        else:
            assert title in flat, f"{stem}: no '{title}' in the PDF"
            assert not re.search(rf"Chapter \d+\. {re.escape(title)}", flat), f"{stem} is numbered in the PDF"


def html_equation_numbers() -> dict[str, str]:
    """``{docname:label: (n.m)}`` for every numbered equation of the HTML book."""
    numbers = {}
    for page in (HTML / "book").glob("*.html"):
        for number, label in re.findall(
            r'<span class="eqno">(\([^)]*\))<a class="headerlink" href="#equation-([^"]+)"', page.read_text()
        ):
            numbers[f"book/{page.stem}:{label}"] = number
    return numbers


def test_every_referenced_equation_has_its_html_number_in_the_pdf(text):
    tex = (LATEX / "rnn-book.tex").read_text(encoding="utf-8")
    aux = (LATEX / "rnn-book.aux").read_text(encoding="utf-8")
    latex_numbers = {label: f"({n})" for label, n in re.findall(r"\\newlabel\{equation:([^}]+)\}\{\{([^}]*)\}", aux)}
    referenced = sorted(set(re.findall(r"\\ref\{equation:([^}]+)\}", tex)))
    html = html_equation_numbers()
    assert len(referenced) >= 20, f"the text refers to only {len(referenced)} equations"
    for label in referenced:
        assert label in latex_numbers, f"equation {label} is referred to but not defined in the PDF"
        pdf_number = latex_numbers[label]
        assert pdf_number == html[label], f"{label} is {pdf_number} in the PDF, {html[label]} in the HTML"
        # printed once beside the equation and once more, at least, where the text refers to it
        assert text.count(pdf_number) >= 2, f"{pdf_number} ({label}) is not printed in the PDF"
    assert "??" not in text, "an unresolved reference (??) is printed in the PDF"


def test_the_bibliography_is_at_the_end_with_every_entry(text):
    from pybtex.database import parse_file

    flat = re.sub(r"[^a-z0-9]", "", text.lower())
    start = text.rfind("BIBLIOGRAPHY")
    assert start > len(text) * 0.9, "no bibliography at the end of the PDF"
    end_matter = re.sub(r"[^a-z0-9]", "", text[start:].lower())
    entries = parse_file(str(ROOT / "references.bib")).entries
    assert len(entries) >= 11
    for key, entry in entries.items():
        title = re.sub(r"[^a-z0-9]", "", entry.fields["title"].replace("{", "").replace("}", "").lower())
        assert title in end_matter, f"{key}: '{entry.fields['title']}' is not in the bibliography"
        assert title in flat
    # Each entry's label is BibTeX's alpha form, the authors' initials and the year ([HS97], [CvMG+14]). A name
    # written with a TeX accent in references.bib ({\v{n}}) would come out as [LHTivnoG96] instead.
    labels = re.findall(r"^\s*\[([^\]\s]+)\]", text[start:], re.M)
    assert len(labels) == len(entries), labels
    odd = [label for label in labels if not re.fullmatch(r"[A-Z][A-Za-z]{0,3}\+?\d\d[a-z]?", label)]
    assert not odd, f"bibliography labels that are not author initials and a year: {odd}"


def html_figures() -> dict[str, int]:
    """The number of figures (images of the book's own, not the theme's icons) on each chapter's HTML page."""
    return {
        stem: len(re.findall(r'<img [^>]*src="\.\./_images/', (HTML / "book" / f"{stem}.html").read_text()))
        for stem in toc_stems()
    }


def pdf_figures() -> dict[str, int]:
    """The number of figures drawn in each chapter of the PDF, by the chapter's title in the PDF's outline.

    A figure is an image (the PNG plots) or a form (an SVG diagram converted
    to PDF) that a page draws; each is counted once, on the page that draws it.
    """
    from pypdf import PdfReader

    reader = PdfReader(PDF)
    starts = []  # (first page, title) of each chapter: the outline's second level, under the parts
    for item in reader.outline:
        if isinstance(item, list):
            starts += [(reader.get_destination_page_number(c), c.title) for c in item if not isinstance(c, list)]
    starts.sort()
    counts = {title: 0 for _, title in starts}
    for index, page in enumerate(reader.pages):
        owners = [title for first, title in starts if first <= index]
        xobjects = page["/Resources"].get("/XObject")
        if owners and xobjects:
            content = _content(page)
            drawn = {
                obj.idnum
                for name, obj in xobjects.get_object().items()
                if obj.get_object()["/Subtype"] in ("/Image", "/Form") and re.search(rf"/{name[1:]}\s+Do", content)
            }
            counts[owners[-1]] += len(drawn)
    return counts


def _content(page) -> str:
    contents = page.get_contents()  # a stream object, which is falsy when its dictionary is empty
    return "" if contents is None else contents.get_data().decode("latin-1")


def test_every_figure_of_the_html_is_in_the_pdf(builds):
    in_html = html_figures()
    in_pdf = pdf_figures()
    titles = {stem: title.split(". ", 1)[-1] for stem, title in html_titles().items()}
    assert sum(in_html.values()) >= 30, in_html
    per_chapter = {titles[stem]: (n, in_pdf.get(titles[stem])) for stem, n in in_html.items()}
    missing = {title: counts for title, counts in per_chapter.items() if counts[0] != counts[1]}
    assert not missing, f"figures (HTML, PDF) that differ by chapter: {missing}"


def test_no_character_is_missing_and_no_line_runs_off_the_page(builds):
    log = (LATEX / "rnn-book.log").read_text(encoding="utf-8", errors="replace")
    missing = sorted(set(re.findall(r"Missing character: There is no (.*?) in font", log)))
    assert not missing, f"characters the PDF's fonts lack: {missing}"
    # A line of code, output or display math wider than the text is an overfull box "detected at" its line
    # (Sphinx's code boxes wrap long lines, so none should be). Text in a table's cell may overrun it by a
    # few points ("in paragraph"), which stays inside the page.
    too_wide = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\) detected at line", log)]
    assert not [w for w in too_wide if w > 1], f"lines wider than the page by (pt): {too_wide}"
    in_cells = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\) in paragraph", log)]
    assert all(w < 36 for w in in_cells), f"table cells overrun by (pt): {in_cells}"
