"""The student notebooks' links to the book come from one setting, html.baseurl in _config.yml."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from autograder.book_links import book_pages, configured_baseurl, relinked

ROOT = Path(__file__).resolve().parents[2]
PAGES = book_pages(ROOT / "book")
BOOK_LINK = re.compile(r"https?://[^\s()<>\"'\\]*?/(book/\w+\.html(?:#[\w-]+)?)")


def test_relinked_moves_book_links_and_nothing_else():
    rng = np.random.default_rng(0)
    for _ in range(200):
        old, new = (
            f"https://{''.join(rng.choice(list('abcxyz'), 5))}.org/{rng.choice(['', 'course/', 'a/b/'])}" for _ in "on"
        )
        page = str(rng.choice(PAGES))
        anchor = str(rng.choice(["", "#deriving-the-gradients", "#a-b-c"]))
        text = (
            f"See [the section]({old}{page}.html{anchor}) and <{old}{page}.html>, "
            f"not [PyTorch](https://pytorch.org/docs/stable/generated/torch.nn.GRU.html), "
            f"<https://d2l.ai/chapter/{page.split('/')[1]}.html> nor {old}book/unknown.html."
        )
        moved = relinked(text, new, PAGES)
        assert f"]({new}{page}.html{anchor})" in moved and f"<{new}{page}.html>" in moved
        untouched = ["https://pytorch.org/docs/stable/generated/torch.nn.GRU.html", f"{old}book/unknown.html"]
        assert all(link in moved for link in untouched) and f"https://d2l.ai/chapter/{page.split('/')[1]}" in moved
        assert relinked(moved, new, PAGES) == moved  # already there: nothing changes
    assert relinked("text [x](https://a.org/book/02_bptt.html)", "", PAGES).endswith(
        "(https://a.org/book/02_bptt.html)"
    )


def links(course: Path) -> dict[str, list[str]]:
    """Every link to a book page in each released notebook, in order."""
    return {nb.name: BOOK_LINK.findall(nb.read_text()) for nb in sorted((course / "exercises").glob("*/*.ipynb"))}


@pytest.mark.slow  # runs nbgrader generate_assignment
def test_changing_the_baseurl_and_releasing_moves_every_link(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    for name in ("nbgrader_config.py", "_config.yml"):
        shutil.copy(ROOT / name, course)
    for folder in ("solutions", "book"):
        shutil.copytree(ROOT / folder, course / folder)
    config = yaml.safe_load((course / "_config.yml").read_text())
    old_base, new_base = config["html"]["baseurl"], "https://teaching.example.edu/rnn-2027/"
    (course / "_config.yml").write_text((course / "_config.yml").read_text().replace(old_base, new_base))
    assert configured_baseurl(course / "_config.yml") == new_base

    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    nbgrader = Path(sys.executable).with_name("nbgrader")
    for assignment in sorted(p.name for p in (course / "solutions").iterdir()):
        subprocess.run(
            [str(nbgrader), "generate_assignment", assignment, "--log-level=ERROR"], cwd=course, env=env, check=True
        )

    released, committed = links(course), links(ROOT)
    assert released.keys() == committed.keys() and all(released.values())
    text = "".join(nb.read_text() for nb in (course / "exercises").glob("*/*.ipynb"))
    assert old_base not in text, "a link still points at the old base URL"
    # The same pages and sections as the committed release, each under the new base.
    assert released == committed
    assert len(re.findall(re.escape(new_base) + r"book/\w+\.html", text)) == sum(map(len, released.values()))
