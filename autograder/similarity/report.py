"""The similarity report: the flagged pairs side by side, as one self-contained HTML page, and the CSV.

The page needs nothing from the network (no CDN, no script): its style is
inline, and it opens from disk, offline, in any browser. The matching regions
are marked with copydetect's own highlighter on the code as the student wrote
it (names, comments and layout included), so the instructor reads what was
submitted, not its fingerprint.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from copydetect.utils import highlight_overlap

from autograder.similarity.pairs import CLASSMATE, Pair
from autograder.similarity.scores import Settings

CSV_FIELDS = ("student_a", "student_b", "similarity", "source")
REFERENCE_CONTEXT = 6  # lines of a reference shown around each of its matches
SHOWN = 200  # pairs shown side by side at most; the CSV has them all
SOURCES = {CLASSMATE: "a classmate", "rnncore": "rnncore's functions", "solution": "the instructor's solution"}

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1400px; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin: 0; }
.note { background: #f4f6fa; border-left: 4px solid #5470a8; padding: .6em 1em; }
table.summary td { padding: .1em 1em .1em 0; }
.histogram { display: flex; align-items: flex-end; gap: 2px; height: 90px; border-bottom: 1px solid #888; }
.histogram div { flex: 1; background: #9fb3d9; position: relative; min-height: 1px; }
.histogram div.flagged { background: #d97b6c; }
.axis { display: flex; justify-content: space-between; font-size: .8em; color: #555; }
section.pair { border: 1px solid #ccc; border-radius: 6px; margin: 1.2em 0; padding: .8em; }
.score { font-weight: bold; color: #a33; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: .8em; margin-top: .6em; }
.sides > div { min-width: 0; }
.sides h3 { font-size: .95em; margin: 0 0 .3em; }
/* long lines wrap: the two sides are read together, and a pane scrolled on its own would hide a match */
pre { background: #fafafa; border: 1px solid #e2e2e2; padding: .5em; font-size: 12.5px;
      line-height: 1.35; margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.hl { background: #ffd36b; }
"""

HOW_TO_READ = """
<div class="note">
<p><b>How to read a score.</b> A pair's similarity is the share of one side's answer (0 to 100 %)
that the other side also contains, after every name is made anonymous and comments, blank lines
and layout are dropped (copydetect's winnowed fingerprints, as MOSS computes them). Code the release
gives every student (locked cells, signatures, docstrings, handed-out rnncore functions) counts for
no one. Against a classmate the larger of the two shares is shown; against rnncore or the
instructor's solution, the student's share. Matching regions are <span class="hl">highlighted</span>.</p>
<p><b>Similar is not proof.</b> Short functions have few ways to be written, and two students can
arrive at the same lines on their own, above all where an assignment fixes the shapes and names.
A high score says: read these two side by side. Judge from what you read (identical oddities,
the same unusual order, the same slip), talk to the students, and follow your institution's rules.
A low score proves nothing either: a student who rewrote a reference from scratch, or copied an
answer from somewhere this report does not see, scores low.</p>
</div>
"""


def write_csv(pairs: Sequence[Pair], path: Path) -> None:
    """Every pair scored, highest first: ``student_a, student_b, similarity, source`` (similarity in [0, 1])."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_FIELDS)
        for p in pairs:
            writer.writerow([p.student_a, p.student_b, f"{p.similarity:.4f}", p.source])


def highlighted(code: str, slices: np.ndarray, context: int = -1) -> str:
    """``code`` as HTML with the ``slices`` (copydetect's character ranges) marked.

    With ``context`` ≥ 0, only that many lines around each match are kept (``...`` for the rest).
    """
    if slices.size == 0:
        return html.escape(code)
    return highlight_overlap(code, slices, "<span class='hl'>", "</span>", truncate=context, escape_html=True)[0]


def histogram(pairs: Sequence[Pair], threshold: float, bins: int = 20) -> str:
    """The class's classmate scores as a bar chart of counts (log-scaled heights), the flagged bins red."""
    scores = [p.similarity for p in pairs if p.source == CLASSMATE]
    counts, edges = np.histogram(scores, bins=bins, range=(0.0, 1.0))
    top = np.log1p(counts.max()) if len(scores) else 1.0
    bars = "".join(
        f'<div class="{"flagged" if edges[k + 1] > threshold else ""}" style="height:{100 * np.log1p(c) / top:.0f}%"'
        f' title="{edges[k]:.0%}–{edges[k + 1]:.0%}: {c} pairs"></div>'
        for k, c in enumerate(counts)
    )
    return (
        f"<p>Scores of all {len(scores)} pairs of classmates (heights on a log scale; red: above the threshold):</p>"
        f'<div class="histogram" role="img" aria-label="histogram of the pairs\' scores">{bars}</div>'
        '<div class="axis"><span>0 %</span><span>50 %</span><span>100 %</span></div>'
    )


def _pair_section(k: int, pair: Pair, answers: dict[str, str], references: dict[str, str]) -> str:
    m = pair.match
    a = html.escape(pair.student_a)
    b = html.escape(pair.student_b if pair.source == CLASSMATE else SOURCES.get(pair.source, pair.source))
    classmate = pair.source == CLASSMATE
    other = answers[pair.student_b] if classmate else references[pair.source]
    share_b = f" ({m.score_b:.0%} of it in common)" if classmate else ""
    # a reference is long: only the lines around its matches are shown
    context_b = -1 if classmate else REFERENCE_CONTEXT
    note_b = "" if classmate else f" <small>(the {REFERENCE_CONTEXT} lines around each match)</small>"
    return f"""
<section class="pair" id="pair-{k}">
<h2>{k}. {a} and {b}: <span class="score">{pair.similarity:.0%}</span></h2>
<div class="sides">
<div><h3>{a} ({m.score_a:.0%} of it in common)</h3><pre>{highlighted(answers[pair.student_a], m.slices_a)}</pre></div>
<div><h3>{b}{share_b}{note_b}</h3><pre>{highlighted(other, m.slices_b, context_b)}</pre></div>
</div>
</section>"""


def render(
    assignment: str,
    pairs: Sequence[Pair],
    answers: dict[str, str],
    references: dict[str, str],
    threshold: float,
    settings: Settings,
    students: int,
    shown: int = SHOWN,
) -> str:
    """The report's HTML: what was compared, how to read it, then the pairs above ``threshold``, highest first.

    At most ``shown`` pairs are drawn side by side; a note says how many more the CSV lists.
    """
    flagged = [p for p in pairs if p.similarity > threshold]
    sections = "".join(_pair_section(k, p, answers, references) for k, p in enumerate(flagged[:shown], start=1))
    if not flagged:
        sections = f"<p>No pair is above the threshold of {threshold:.0%}.</p>"
    elif len(flagged) > shown:
        sections += (
            f"<p>{len(flagged) - shown} more pairs are above the threshold: the CSV beside this page lists "
            "every pair with its score.</p>"
        )
    title = f"Similarity report: {html.escape(assignment)}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head>
<body>
<h1>{title}</h1>
<table class="summary">
<tr><td>Submissions compared</td><td>{students}, each with every classmate, rnncore's functions and the
instructor's solution</td></tr>
<tr><td>Pairs above the threshold of {threshold:.0%}</td><td>{len(flagged)}</td></tr>
<tr><td>Fingerprints</td><td>copydetect, k = {settings.noise} characters of anonymised code,
window {settings.window}</td></tr>
</table>
{HOW_TO_READ}
{histogram(pairs, threshold)}
{sections}
</body></html>
"""
