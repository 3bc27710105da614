"""The grading catalogue's mutants and rewrites are edits of the solution notebooks: each must apply.

A reformatted solution notebook must break the edit that no longer matches here,
by name, in seconds, rather than somewhere far away in the grading suites.
"""

import pytest
from grading_cases import CASES, MUTANTS, EditDoesNotApply, alternatives, mutants, rewritten


@pytest.mark.parametrize("assignment", sorted(CASES))
def test_every_mutant_and_rewrite_applies_and_changes_the_code(assignment):
    from grading_cases import instructor_code

    for function, source in mutants(assignment)[len(CASES[assignment]["wrong"]) :]:
        assert source != instructor_code(assignment, function)
    assert len(mutants(assignment)) == len(CASES[assignment]["wrong"]) + len(MUTANTS[assignment])
    assert alternatives(assignment)


def test_an_edit_that_does_not_apply_says_which_and_what():
    function, old, _ = MUTANTS["lstm"][0]
    with pytest.raises(EditDoesNotApply) as error:
        rewritten("lstm", function, (old + " # not in the solution", "x"), name="mutant_99_" + function)
    message = str(error.value)
    assert "mutant_99_" + function in message and "not in the solution" in message
    assert "solutions/lstm/lstm.ipynb" in message
