"""The machinery that grades students' notebooks: it runs their code, isolated, and hands it to the checks.

Not part of the rnncore distribution students install: it lives in the course
repository, and ``nbgrader_config.py`` imports it from there. The checks
themselves, which the notebooks call, are :mod:`rnncore.grading`; they know
this machinery only through the types the engine defines for a runner
(:class:`~rnncore.grading.engine.StudentCodeError`,
:class:`~rnncore.grading.engine.RunnerDied`,
:class:`~rnncore.grading.engine.MalformedAnswer`,
:class:`~rnncore.grading.engine.RunnerValue`).

=========================  ========================================================
:mod:`.autograde`          ``make autograde``: nbgrader's autograde, with submissions
                           graded ahead on every core or a Dask cluster
:mod:`.executors`          where a submission is graded: here, a local cluster, Dask
:mod:`.isolated`           nbgrader's autograde preprocessor: each test cell's checks
                           run here, the student's code in the sandbox
:mod:`.sandbox`            bubblewrap: the isolated process, its limits and inbox
:mod:`.sandbox_driver`     runs inside the sandbox: the student's code, call by call
:mod:`.channel`            the values' format between the two, one module for both ends
:mod:`.remote`             the student's functions as the checks see them (proxies)
:mod:`.handouts`           the part of rnncore an assignment's code may import
:mod:`.nbgrader_cells`     restoring test cells of a submission, recording duplicates
:mod:`.book_links`         release: the notebooks' links to the published book
:mod:`.recap_diagram`      release: the book's diagram of what each notebook asks for
:mod:`.similarity`         after collection: each submission against classmates and references
=========================  ========================================================
"""
