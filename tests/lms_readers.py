"""How Moodle and Canvas read the names in a bulk feedback zip, for the tests of ``make feedback-zip``.

``moodle_reads`` follows Moodle's
``assignfeedback_file_zip_importer::is_valid_filename_for_import``
(mod/assign/feedback/file/importziplib.php), ``canvas_reads`` Canvas's
``Assignment#infer_comment_context_from_filename`` (app/models/assignment.rb).
"""

MOODLE_PLUGINS = {("assignsubmission", "file"), ("assignfeedback", "file")}


def moodle_reads(member: str) -> tuple[int, str] | None:
    """(participant id, file name) as Moodle's feedback import matches a member of the zip, or None."""
    if member.rsplit("/", 1)[-1].startswith((".", "~")):
        return None
    parts = member.split("/")
    while parts:
        info = parts.pop(0).split("_", 4)
        if len(info) < 4 or not info[1].isdigit() or (info[2], info[3]) not in MOODLE_PLUGINS:
            continue
        return int(info[1]), "/".join([info[4] if len(info) == 5 else "", *parts]).lstrip("/")
    return None


def canvas_reads(member: str) -> tuple[int, int] | None:
    """(user id, attachment id) as Canvas's re-upload reads a member's name: its first two all-digit parts."""
    numbers = [int(part) for part in member.rsplit("/", 1)[-1].split("_") if part.isdigit()][:2]
    return tuple(numbers) if len(numbers) == 2 else None
