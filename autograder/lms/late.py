"""Due dates and the late penalty, through nbgrader's own late-submission machinery.

The due date of each assignment is set in ``nbgrader_config.py``::

    c.DueDates.dates = {"lstm": "2026-03-02 23:59:00 Europe/Berlin"}

``make collect`` and ``make autograde`` write it into the gradebook's
assignment (nbgrader's ``Assignment.duedate``), where nbgrader compares it
with each submission's ``timestamp.txt`` (written by ``make collect``) and,
when a submission is late, asks the plugin of its ``AssignLatePenalties``
preprocessor for the penalty. That plugin is :class:`LatePenalty`:

    penalty = score × min(1, per_day × ⌈seconds late ÷ 86 400⌉)

with ``per_day`` 0.1 by default: 10 % of the score for each day or part of a
day after the due date, nothing left from the tenth started day. ``per_day = 0`` records
a submission as late (in the gradebook and the formgrader) without penalty.
"""

from __future__ import annotations

import math

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.utils import parse_utc
from traitlets import Dict, Float
from traitlets.config import Configurable

DAY = 86400.0


def late_fraction(seconds_late: float, per_day: float) -> float:
    """The share of the score a submission ``seconds_late`` after its due date loses."""
    if seconds_late <= 0:
        return 0.0
    return min(1.0, per_day * math.ceil(seconds_late / DAY))


class LatePenalty(LateSubmissionPlugin):
    """``per_day`` of the score for each started day late (nbgrader's ``AssignLatePenalties`` calls it)."""

    per_day = Float(0.1, help="Share of the score lost for each day, or part of a day, after the due date.").tag(
        config=True
    )

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        fraction = late_fraction(total_seconds_late, self.per_day)
        days = math.ceil(total_seconds_late / DAY)
        self.log.info("%s is late by %d day(s): penalty %.0f %% of %s", student_id, days, 100 * fraction, score)
        return score * fraction


class DueDates(Configurable):
    """Each assignment's due date, as ``c.DueDates.dates`` in ``nbgrader_config.py`` gives it."""

    dates = Dict(
        {},
        help="Assignment name -> due date, e.g. '2026-03-02 23:59:00 Europe/Berlin' (a zone name or a UTC offset; "
        "without one, UTC).",
    ).tag(config=True)

    def due(self, assignment: str):
        """The due date of ``assignment`` as nbgrader stores it (naive UTC), or None."""
        text = self.dates.get(assignment)
        return parse_utc(text) if text else None


def record_due_date(db_url: str, assignment: str, due) -> bool:
    """Write ``due`` (naive UTC, or None) into the gradebook's ``assignment``; False where it has no such assignment.

    nbgrader reads it from there, in ``make autograde`` and in the formgrader
    alike, so a due date changed in the configuration counts once either runs.
    """
    with Gradebook(db_url) as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            return False
        if record.duedate != due:
            record.duedate = due
            gb.db.commit()
    return True
