"""``python -m autograder.similarity ASSIGNMENT``: the similarity report of a class (``make similarity A=…``).

Writes ``<course>/_build/similarity/<assignment>/report.html`` and
``similarity.csv``; prints where, and how many pairs are above the threshold.
Exits with 2 and a message on an unknown assignment or when there are no
submissions.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from autograder.similarity import THRESHOLD
from autograder.similarity.course import CourseError, read
from autograder.similarity.pairs import score_pairs
from autograder.similarity.report import render, write_csv
from autograder.similarity.scores import DEFAULT, boilerplate_hashes


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m autograder.similarity", description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--course", type=Path, default=Path("."), help="the nbgrader course directory (default: .)")
    parser.add_argument(
        "--threshold", type=float, default=THRESHOLD, help=f"show pairs above this similarity (default {THRESHOLD})"
    )
    parser.add_argument("--out", type=Path, help="where to write (default: COURSE/_build/similarity/ASSIGNMENT)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if not 0 <= args.threshold <= 1:
        print(f"similarity: the threshold is a share between 0 and 1, not {args.threshold}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        work = read(args.course, args.assignment)
    except CourseError as err:
        print(f"similarity: {err}", file=sys.stderr)
        return 2
    for student, why in work.unreadable.items():
        print(f"similarity: left out {student}, whose notebook cannot be read ({why})", file=sys.stderr)
    settings = DEFAULT
    pairs = score_pairs(work.answers, work.references, boilerplate_hashes(work.boilerplate, settings), settings)
    out = args.out or args.course / "_build" / "similarity" / args.assignment
    out.mkdir(parents=True, exist_ok=True)
    page = render(args.assignment, pairs, work.answers, work.references, args.threshold, settings, len(work.answers))
    (out / "report.html").write_text(page)
    write_csv(pairs, out / "similarity.csv")
    flagged = sum(p.similarity > args.threshold for p in pairs)
    print(
        f"{len(work.answers)} submissions of {args.assignment} compared in {time.perf_counter() - start:.1f} s: "
        f"{flagged} pairs above {args.threshold:.0%}.\nReport: file://{(out / 'report.html').resolve()}\n"
        f"All pairs: {out / 'similarity.csv'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
