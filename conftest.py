"""Shared test settings: a headless matplotlib backend, hypothesis profiles, and the browser.

CI runs a derandomized profile (the same examples every run); a developer's
run draws fresh shapes and seeds each time. Set HYPOTHESIS_PROFILE to choose.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
# Course directories the tests make elsewhere import the grading machinery from this repository.
os.environ.setdefault("RNN_COURSE_REPO", os.path.dirname(os.path.abspath(__file__)))

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


# Debian's Chromium, driven by Playwright (`playwright install` cannot download browsers here).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session's browser tests (the book's pages, Validate in JupyterLab)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def pytest_terminal_summary(terminalreporter):
    """The measured tables of the grading suites that ran: Validate on the catalogue, the isolated corpus."""
    import sys

    validation = getattr(sys.modules.get("test_grading_cases"), "VALIDATION_TABLE", None)
    if validation:
        terminalreporter.write_line("")
        terminalreporter.write_line(
            "Validate (the released test cells, in a student's kernel) on the grading catalogue:"
        )
        for line in validation[-1].splitlines():
            terminalreporter.write_line(line)
    module = sys.modules.get("test_isolated_grading")
    tally = getattr(module, "TALLY", None)
    if not tally:
        return
    write = terminalreporter.write_line
    write("")
    write("Isolated grading corpus: cases per suite, scored as intended (twice, the second time shuffled)")
    write(f"{'assignment':<15}{'mutants':>12}{'hostile':>12}{'faults':>12}")
    totals = {}
    for assignment, suites in sorted(tally.items()):
        cells = []
        for suite in ("mutants", "hostile", "faults"):
            cases, right = suites.get(suite, (0, 0))
            totals[suite] = tuple(a + b for a, b in zip(totals.get(suite, (0, 0)), (cases, right), strict=True))
            cells.append(f"{right}/{cases}")
        write(f"{assignment:<15}" + "".join(f"{c:>12}" for c in cells))
    write(
        f"{'all':<15}" + "".join(f"{f'{r}/{c}':>12}" for c, r in (totals[s] for s in ("mutants", "hostile", "faults")))
    )
