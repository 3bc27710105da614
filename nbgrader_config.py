"""nbgrader configuration of the course.

``solutions/`` holds the instructor notebooks (nbgrader's source directory);
``exercises/`` holds the student versions generated from them (its release
directory), committed so students can take them from the repository. The
gradebook is SQLite; set RNN_GRADEBOOK to put it elsewhere (any SQLAlchemy URL).
"""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "rnn"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.db_url = os.environ.get("RNN_GRADEBOOK", "sqlite:///gradebook.db")
# Student notebooks run their own training loops at the end; give them time.
c.ExecutePreprocessor.timeout = 300
# Regenerating a release must not fail because an older one exists.
c.GenerateAssignment.force = True
