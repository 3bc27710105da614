"""The similarity report: each submission against its classmates, rnncore and the instructor's solution.

``make similarity A=<assignment>`` (``python -m autograder.similarity``).

=====================  ==============================================================
:mod:`.answers`        what a student wrote: answer cells without the given code
:mod:`.references`     what a student could copy: rnncore's functions, the solution
:mod:`.course`         reading the release, the solution and the submissions
:mod:`.scores`         copydetect's winnowed fingerprints and a pair's scores
:mod:`.pairs`          every pair of a class, highest first
:mod:`.report`         the HTML report and the CSV
=====================  ==============================================================
"""

# A pair above this similarity is shown. Measured on the test corpus (autograder/tests/test_similarity.py)
# with k = 15: independent correct answers score at most 0.55 against each other and the references,
# copies in disguise and edits of the solution at least 0.69; 0.6 lies between the two.
THRESHOLD = 0.6
