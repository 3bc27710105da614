"""The student kit's guard (autograder.student_kit): what it finds of the instructor's material in an archive."""

import io
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.student_kit import hidden_lines, install_command, leaks, lms_readme

ROOT = Path(__file__).resolve().parents[2]
VISIBLE = "grading.check_rnn_forward(rnn_forward)"
SECRET = "assert rnn_forward(x)[0].shape == (9, 4, 7)"  # a hidden line the visible part does not show


@pytest.fixture
def solutions(tmp_path) -> Path:
    """A course's solutions/ with one test cell whose hidden part holds one line more than its visible part."""
    folder = tmp_path / "solutions" / "toy"
    folder.mkdir(parents=True)
    cell = f"{VISIBLE}\n### BEGIN HIDDEN TESTS\n{VISIBLE}\n{SECRET}\n### END HIDDEN TESTS\n"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    nbformat.write(nb, folder / "toy.ipynb")
    return tmp_path / "solutions"


def archive(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def wheel_holding(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def released(source: str) -> bytes:
    return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])).encode()


def test_the_hidden_lines_are_those_the_visible_part_does_not_show(solutions):
    assert hidden_lines(solutions) == {SECRET}


def test_a_clean_release_and_package_hold_nothing(solutions, tmp_path):
    clean = archive(
        tmp_path / "a.zip", {"toy/toy.ipynb": released(VISIBLE), "toy/pkg.whl": wheel_holding({"m.py": b"x=1"})}
    )
    assert leaks(clean, solutions) == []


@pytest.mark.parametrize(
    ("members", "said"),
    [
        ({"toy/toy.ipynb": released(f"{VISIBLE}\n{SECRET}")}, "holds the hidden test line"),
        (
            {"toy/pkg.whl": wheel_holding({"pkg/checks.py": SECRET.encode()})},
            "toy/pkg.whl!/pkg/checks.py: holds the hidden",
        ),
        ({"toy/notes.ipynb": None}, "a copy of solutions/toy/toy.ipynb"),
        ({"solutions/readme.txt": b"nothing"}, "in a folder students must not get"),
        ({"pkg/autograder/x.py": b"pass"}, "in a folder students must not get"),
        ({"toy/toy.ipynb": released("### BEGIN SOLUTION\nh = 1\n### END SOLUTION")}, "holds 'BEGIN SOLUTION'"),
    ],
)
def test_each_kind_of_leak_is_found_and_named(solutions, tmp_path, members, said):
    copy = (solutions / "toy" / "toy.ipynb").read_bytes()
    members = {name: copy if data is None else data for name, data in members.items()}
    found = leaks(archive(tmp_path / "leaky.zip", members), solutions)
    assert any(said in line for line in found), found


def test_the_course_release_holds_no_hidden_test(tmp_path):
    notebooks = {str(p.relative_to(ROOT)): p.read_bytes() for p in (ROOT / "exercises").glob("*/*.ipynb")}
    assert leaks(archive(tmp_path / "release.zip", notebooks), ROOT / "solutions") == []


def test_the_readme_gives_the_one_command_for_the_wheel_it_ships_beside():
    readme = lms_readme("lstm", "lstm.ipynb", "rnncore-0.1.0-py3-none-any.whl")
    assert install_command("rnncore-0.1.0-py3-none-any.whl") in readme
    assert 'pip install "rnncore-0.1.0-py3-none-any.whl[student]"' in readme
