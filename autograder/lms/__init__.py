"""The course's side of an LMS: reading Moodle's and Canvas's bulk downloads, due dates, and grade files they import.

- :mod:`autograder.lms.names`: who a downloaded file belongs to and which notebook it is, from its path alone;
- :mod:`autograder.lms.collect`: ``make collect``, nbgrader's ``zip_collect`` with the two LMSs' layouts;
- :mod:`autograder.lms.late`: due dates from the course configuration, and the late penalty rule;
- :mod:`autograder.lms.grades`: ``make grades``, Moodle's grading worksheet and Canvas's gradebook import.
"""
