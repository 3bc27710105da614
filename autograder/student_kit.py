"""What a student installs, and the zip of an assignment the LMS hands out (``make student-kit``, ``make lms-zip``).

The kit is rnncore as a wheel, built from the repository's ``rnncore/`` alone:
its checks (:mod:`rnncore.grading`) are in it, because the visible part of each
test cell calls them when the student validates; the grading machinery
(``autograder/``), the instructor's notebooks (``solutions/``) and the tests are
not. Its pinned dependencies come with it as the ``student`` extra of its
metadata (``pyproject.toml``), so one command installs everything an assignment
needs: ``pip install "rnncore-<version>-py3-none-any.whl[student]"``.

The LMS zip of an assignment holds, in a folder named after it, the student
notebook, the wheel and a short README with that command. Both the wheel and
the zip are searched before they are written out (:func:`leaks`): a file of
``solutions/``, or any line of a hidden test that the student notebook does not
show anyway, stops the build.

``python -m autograder.student_kit wheel --out DIR`` builds the wheel;
``python -m autograder.student_kit lms-zip ASSIGNMENT --course C --kit DIR``
writes ``C/_build/lms/ASSIGNMENT.zip``.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
EXTRA = "student"
# What the wheel is built from: the package and the two files its metadata reads.
SOURCES = ("pyproject.toml", "README.md")
PACKAGE = "rnncore"
# Where the course keeps what students must never get; no archive member may live under these.
PRIVATE_FOLDERS = ("solutions", "autograder", "tests")
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SHORTEST = 13  # lines shorter than this (``return h``) say nothing about a hidden test


def build_wheel(repo: Path, out_dir: Path) -> Path:
    """rnncore's wheel, built from a copy of its sources so that the build leaves nothing in the repository."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source, built = Path(tmp) / "source", Path(tmp) / "wheel"
        source.mkdir()
        for name in SOURCES:
            shutil.copy(repo / name, source)
        shutil.copytree(repo / PACKAGE, source / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        # Without build isolation where the course's environment has setuptools: the build then needs no network.
        isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
        pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation]
        subprocess.run([*pip, "--wheel-dir", str(built), str(source)], check=True)
        (wheel,) = built.glob(f"{PACKAGE}-*.whl")
        for old in out_dir.glob(f"{PACKAGE}-*.whl"):
            old.unlink()  # one kit at a time: the README names exactly one wheel
        return Path(shutil.move(str(wheel), out_dir / wheel.name))


def install_command(wheel_name: str) -> str:
    """The one command that installs the kit, run in the folder that holds the wheel."""
    return f'python3 -m pip install "{wheel_name}[{EXTRA}]"'


def lms_readme(assignment: str, notebook: str, wheel_name: str) -> str:
    """The README of an assignment's LMS zip: install once, open, validate, submit."""
    return f"""Assignment: {assignment}

1. Install the course's package (once per term; Python 3.11 or newer). In this folder, run

       {install_command(wheel_name)}

   It installs rnncore with its checks, JupyterLab and nbgrader (for Validate),
   at the versions the course is tested with. A virtual environment keeps them
   apart from your other work: python3 -m venv rnn, then activate it
   (source rnn/bin/activate, or rnn\\Scripts\\activate on Windows) before the command.

2. Open the notebook: jupyter lab {notebook}

3. Fill in each answer, run the cell below it, and press Validate (or run
   nbgrader validate {notebook}) before you submit.

4. Submit {notebook} under this name through the LMS.

The book's student guide says more.
"""


def hidden_lines(solutions: Path) -> set[str]:
    """Every line of a hidden test that its cell's visible part does not show anyway.

    A test cell's visible part makes the same call as its hidden part (the
    student's Validate runs the grader's check), so those lines are in the
    student notebook by design; any other line between the hidden-test markers
    must reach no student.
    """
    lines = set()
    for path in sorted(solutions.glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            visible = HIDDEN.sub("", cell.source)
            for block in HIDDEN.findall(cell.source):
                lines |= {line.strip() for line in block.splitlines() if len(line.strip()) >= SHORTEST}
            lines -= {line.strip() for line in visible.splitlines()}
    return lines


def _texts(name: str, data: bytes) -> list[str]:
    """What to search in an archive member: a notebook's cell sources (its JSON escapes quotes), else its text."""
    text = data.decode("utf-8", errors="replace")
    if name.endswith(".ipynb"):
        try:
            return [cell.source for cell in nbformat.reads(text, as_version=4).cells]
        except Exception:  # noqa: BLE001 - not a notebook after all: searched as text
            pass
    return [text]


def _members(archive: zipfile.ZipFile, prefix: str = ""):
    """``(name, bytes)`` of every file in an archive, and of every file in the archives (wheels) it holds."""
    for info in archive.infolist():
        if info.is_dir():
            continue
        data, name = archive.read(info), prefix + info.filename
        yield name, data
        if name.endswith((".zip", ".whl")):
            with zipfile.ZipFile(io.BytesIO(data)) as inner:
                yield from _members(inner, name + "!/")


def leaks(archive: Path, solutions: Path) -> list[str]:
    """What of the instructor's material an archive (the wheel, an LMS zip) holds; empty when it holds none.

    A member under a private folder, a member with the bytes of a file of
    ``solutions/``, a member with nbgrader's solution or hidden-test markers,
    or one with a line of :func:`hidden_lines`.
    """
    private = {path.read_bytes(): path.relative_to(solutions.parent) for path in solutions.rglob("*") if path.is_file()}
    forbidden = hidden_lines(solutions)
    found = []
    with zipfile.ZipFile(archive) as zf:
        for name, data in _members(zf):
            parts = re.split(r"[/!]+", name)
            if any(part in PRIVATE_FOLDERS for part in parts[:-1]):
                found.append(f"{name}: in a folder students must not get")
            if data in private:
                found.append(f"{name}: a copy of {private[data]}")
            for text in _texts(name, data):
                found += [f"{name}: holds {marker!r}" for marker in MARKERS if marker in text]
                found += [f"{name}: holds the hidden test line {line!r}" for line in sorted(forbidden) if line in text]
    return sorted(set(found))


def write_lms_zip(course: Path, assignment: str, wheel: Path, out: Path) -> Path:
    """``out``: the folder ``assignment/`` with the student notebook(s), the wheel and the README."""
    notebooks = sorted((course / "exercises" / assignment).glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no student notebook in {course / 'exercises' / assignment}: run `make release`")
    readme = lms_readme(assignment, " ".join(p.name for p in notebooks), wheel.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{assignment}/README.txt", readme)
        for path in notebooks:
            zf.write(path, f"{assignment}/{path.name}")
        zf.write(wheel, f"{assignment}/{wheel.name}")
    return out


def refuse_leaks(archive: Path, solutions: Path) -> None:
    """Remove ``archive`` and stop if it holds anything of the instructor's."""
    found = leaks(archive, solutions)
    if found:
        archive.unlink()
        sys.exit(
            f"{archive.name} was not written: it would give students the instructor's material:\n  "
            + "\n  ".join(found)
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograder.student_kit", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    wheel = commands.add_parser("wheel", help="build rnncore's wheel for students")
    wheel.add_argument("--out", type=Path, required=True)
    wheel.add_argument("--solutions", type=Path, default=REPO / "solutions")
    lms = commands.add_parser("lms-zip", help="the zip of an assignment to upload to the LMS")
    lms.add_argument("assignment")
    lms.add_argument("--course", type=Path, default=Path("."))
    lms.add_argument("--kit", type=Path, required=True, help="the folder `wheel` wrote")
    args = parser.parse_args(argv)

    if args.command == "wheel":
        built = build_wheel(REPO, args.out)
        refuse_leaks(built, args.solutions)
        print(f"Student kit: {built}\nInstall: {install_command(built.name)}")
    else:
        (wheel_path,) = args.kit.glob(f"{PACKAGE}-*.whl")
        out = write_lms_zip(
            args.course, args.assignment, wheel_path, args.course / "_build" / "lms" / f"{args.assignment}.zip"
        )
        refuse_leaks(out, args.course / "solutions")
        print(f"Upload {out} to the LMS: the notebook, the student kit and a README with the install command.")


if __name__ == "__main__":
    main()
