"""What a student reads when one of their own cells raised before a test ran (autograder.isolated)."""

from autograder.isolated import CellError, after_cell_errors

TYPO = CellError(
    "`lstm_step_forward`",
    "ImportError",
    "cannot import name 'tahn' from 'numpy' (/srv/grader/.venv/lib/python3.11/site-packages/numpy/__init__.py)",
    1,
    3,
)


def test_a_cell_error_names_the_cell_the_error_and_its_line_without_the_graders_paths():
    said = str(TYPO)
    assert said == "your cell `lstm_step_forward` raised ImportError at line 1: cannot import name 'tahn' from 'numpy'"


def test_a_function_never_defined_because_its_cell_raised_is_said_so_without_a_name_error():
    check = "lstm_step_forward raised NameError: lstm_step_forward is not defined"
    said = after_cell_errors(check, [TYPO])
    assert said.startswith(str(TYPO))
    assert "NameError" not in said and "lstm_step_forward was never defined" in said


def test_pythons_own_name_error_inside_a_student_function_is_traced_to_the_cell_too():
    check = "lstm_forward raised NameError: name 'lstm_step_forward' is not defined"
    said = after_cell_errors(check, [TYPO])
    assert "NameError" not in said and "lstm_step_forward was never defined" in said


def test_any_other_failure_after_a_cell_error_keeps_its_own_message():
    check = "lstm_step_forward: h is wrong from t=0"
    assert after_cell_errors(check, [TYPO]) == f"{TYPO}. After that, the test found: {check}"


def test_without_cell_errors_the_checks_message_is_unchanged():
    assert after_cell_errors("lstm_forward: h is wrong", []) == "lstm_forward: h is wrong"
    assert after_cell_errors(None, [TYPO]) is None


def test_a_locked_cell_the_student_edited_gets_a_note_that_it_was_graded_as_released():
    from autograder.isolated import Verdict, notes_for_tests

    verdict = Verdict(outcomes={}, status="graded", seconds=0.0, peak_bytes=0)
    notes = notes_for_tests(verdict, {"restored": ["imports"]})
    assert notes == {"imports": ["this cell is locked; it was graded as the assignment gives it, not edited"]}
