"""The Makefile's targets as the tests run them: in the environment ``make`` built, never rebuilding it.

``-o`` takes ``venv`` and ``.venv/.installed`` as made, so that a target run
by a test cannot reinstall the environment the test runs in (which it would
try whenever ``pyproject.toml`` is newer than the environment, as in a fresh
worktree); ``-C`` runs the repository's Makefile from anywhere.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE = ["make", "--no-print-directory", "-C", str(ROOT), "-o", "venv", "-o", ".venv/.installed"]
