"""nbgrader configuration of the course.

``solutions/`` holds the instructor notebooks (nbgrader's source directory);
``exercises/`` holds the student versions generated from them (its release
directory), committed so students can take them from the repository. The
gradebook is SQLite; set RNN_GRADEBOOK to put it elsewhere (any SQLAlchemy URL).
"""

import os
import sys
import warnings
from pathlib import Path

from sqlalchemy.exc import SAWarning

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

# The grading machinery (autograder/) lives in the course repository, not in the rnncore package
# students install: import it from the repository this file is in, or, for a course directory
# elsewhere, from the repository RNN_COURSE_REPO names (the Makefile sets it).
COURSE_REPO = Path(os.environ.get("RNN_COURSE_REPO") or Path(__file__).resolve().parent)
if not (COURSE_REPO / "autograder" / "__init__.py").is_file():
    raise ImportError(f"no autograder/ in {COURSE_REPO}: set RNN_COURSE_REPO to the course repository")
sys.path.insert(0, str(COURSE_REPO))

c.CourseDirectory.course_id = "rnn"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.db_url = os.environ.get("RNN_GRADEBOOK", "sqlite:///gradebook.db")
# `make collect` reads Moodle's and Canvas's bulk downloads (autograder/lms/collect.py, nbgrader's
# zip_collect with a collector for both LMSs' file names). The times in an LMS's zip are its server's
# local times: name its zone here.
c.LmsCollector.timezone = "UTC"
# Each assignment's due date (a zone name or a UTC offset after the time; without one, UTC). A submission
# whose time is after it is late, and loses per_day of its score for each started day (autograder/lms/late.py;
# per_day = 0 records lateness without a penalty). An assignment without a due date is never late.
c.DueDates.dates = {
    # "lstm": "2026-03-02 23:59:00 Europe/Berlin",
}
c.LatePenalty.per_day = 0.1
# Canvas only: the column of each assignment in its gradebook import, "Name (assignment id)" (autograder/lms/grades.py);
# without it Canvas makes a new assignment of the column.
# c.LmsGrades.canvas_columns = {"lstm": "LSTM (123456)"}
from autograder.lms.late import LatePenalty  # noqa: E402

c.AssignLatePenalties.plugin_class = LatePenalty
# Restore the test cells of a submission without reporting the untouched ones
# as changed (nbgrader's own OverwriteCells does: jupyter/nbgrader#1961).
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, OverwriteKernelspec  # noqa: E402

from autograder.nbgrader_cells import RecordDuplicates, RestoreTestCells  # noqa: E402

c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    RecordDuplicates,
    OverwriteKernelspec,
    RestoreTestCells,
    CheckCellMetadata,
]
# Autograding runs students' code in a sandbox (bubblewrap, a uid of its own, no network, no course
# directory or gradebook) and the checks in nbgrader's own process; see autograder/isolated.py.
# It refuses to grade where no sandbox works. RNN_ISOLATED_GRADING=0 grades in nbgrader's kernel instead.
if os.environ.get("RNN_ISOLATED_GRADING", "1") == "1":
    from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
    from nbgrader.preprocessors import AssignLatePenalties, LimitOutput, SaveAutoGrades  # noqa: E402

    from autograder.isolated import IsolatedExecute  # noqa: E402

    c.Autograde.autograde_preprocessors = [
        IsolatedExecute,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
# Student notebooks run their own training loops at the end; give them time.
c.ExecutePreprocessor.timeout = 300
# The student notebooks link to the book where _config.yml says it is published (html.baseurl):
# change it there and `make release` moves every link (autograder/book_links.py).
from nbgrader.converters import GenerateAssignment  # noqa: E402

from autograder.book_links import BookLinks, book_pages, configured_baseurl  # noqa: E402
from autograder.recap_diagram import RecapDiagram  # noqa: E402

COURSE_ROOT = Path(__file__).resolve().parent
c.BookLinks.baseurl = configured_baseurl(COURSE_ROOT / "_config.yml")
c.BookLinks.pages = book_pages(COURSE_ROOT / "book")
# Each student notebook also shows the book's diagram of what it asks for (autograder/recap_diagram.py).
c.GenerateAssignment.preprocessors = [
    BookLinks,
    RecapDiagram,
    *GenerateAssignment.class_traits()["preprocessors"].default(),
]
# Regenerating a release must not fail because an older one exists.
c.GenerateAssignment.force = True
# nbgrader's autograde adds submissions through relationships of objects not yet in its session, and
# SQLAlchemy warns three times per student that it will not cascade them (nbgrader adds them itself
# right after; the rows are all there). Silenced by exact message, so that any other warning stands out.
warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session", category=SAWarning)
# The feedback page (autograder/feedback_page.py): equations rendered offline by the book's MathJax, inline;
# each test named by its function and marked passed or failed. The course's template is named "feedback" and
# found before nbgrader's, so the formgrader's feedback button (which asks for "feedback" by name) uses it too.
import nbgrader  # noqa: E402
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

from autograder.feedback_page import TEMPLATES, FeedbackPage  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, FeedbackPage]
c.HTMLExporter.extra_template_basedirs = [
    str(TEMPLATES),
    str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"),
]
