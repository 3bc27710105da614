# Two entry points for a fresh machine: `make book` and `make test`.
# Both create .venv from pyproject.toml (the one place versions are pinned).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# nbgrader runs `alembic` as a subprocess: the venv's bin/ must be on PATH.
export PATH := $(abspath $(BIN)):$(PATH)
# nbgrader_config.py imports the grading machinery (autograder/) from this repository, whatever COURSE is.
export RNN_COURSE_REPO := $(abspath .)

.PHONY: venv test test-fast lint unit bench bench-grading bench-grading-floor bench-isolated bench-validate book browser sandbox release lms-zip collect autograde feedback grades similarity bench-similarity clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check rnncore autograder tests benchmarks book/_ext conftest.py

unit: venv browser sandbox
	$(BIN)/python -m pytest

test: lint unit

# rnncore, the checks in process, the diagrams, the release in sync: no root, no browser, no nbgrader runs.
test-fast: lint
	$(BIN)/python -m pytest -m "not slow"

# Debian's Chromium for the browser checks of the book (Playwright drives it;
# `playwright install` cannot download browsers here). Needs root, as in CI.
browser:
	@command -v chromium >/dev/null || { \
	  [ "$$(id -u)" = 0 ] || { echo "make browser: chromium is missing; install Debian's chromium as root"; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

# Debian's bubblewrap, which isolates students' code (autograder/sandbox.py). Needs root, as in CI.
sandbox:
	@command -v bwrap >/dev/null || { \
	  [ "$$(id -u)" = 0 ] || { echo "make sandbox: bwrap is missing; install Debian's bubblewrap as root"; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }

bench: venv
	$(BIN)/python -m benchmarks

# A class of 60 graded serially, with JOBS=2 and on a Dask cluster of two workers: seconds and speed-up (5 minutes).
bench-grading: venv sandbox
	$(BIN)/python -m benchmarks.parallel_grading

# Seconds per autograded submission of each assignment against nbgrader's floor (several minutes).
bench-grading-floor: venv
	$(BIN)/python -m benchmarks.grading

# Seconds to grade one submission of each assignment isolated, in process and through nbgrader (about a minute).
bench-isolated: venv sandbox
	$(BIN)/python -m benchmarks.isolated_cost --nbgrader

# Seconds a student waits for Validate on each assignment, with and without torch (a few minutes).
bench-validate: venv
	$(BIN)/python -m benchmarks.validate_cost

# The scores behind the similarity report's threshold, and its seconds on a generated class of 300 (about a minute).
bench-similarity: venv
	$(BIN)/python -m benchmarks.similarity_threshold
	$(BIN)/python -m benchmarks.similarity_cost

book: venv
	@start=$$(date +%s); \
	$(BIN)/jupyter-book build . -W -n --keep-going || exit 1; \
	echo "Book built in $$(( $$(date +%s) - start )) s (a chapter is re-run when it or rnncore changed; others come from the cache)."
	@echo "Open the book at file://$(abspath _build/html/index.html)"

# ---------------------------------------------------------------- the instructor's workflow
# A term, one assignment A at a time (see the book's instructor guide):
#   make release; make lms-zip A=lstm; (students work and submit through the LMS)
#   make collect A=lstm; make autograde A=lstm; make feedback A=lstm; make grades
# COURSE is the nbgrader course directory (default: this repository); the
# gradebook is $(COURSE)/gradebook.db unless RNN_GRADEBOOK names another.
COURSE  ?= .
NBGRADER = cd $(COURSE) && $(abspath $(BIN))/nbgrader
ASSIGNMENTS = $(notdir $(patsubst %/,%,$(wildcard $(COURSE)/solutions/*/)))
# nbgrader skips submissions it has graded already; REGRADE=1 grades (and writes feedback for) all afresh.
REGRADE_FLAG = $(if $(REGRADE),--force,)
need_assignment = $(if $(filter $(A),$(ASSIGNMENTS)),,$(error set A to one of: $(ASSIGNMENTS)))

# Regenerate the student notebooks (exercises/) from the instructor's (solutions/).
release: venv
	@for a in $(ASSIGNMENTS); do $(NBGRADER) generate_assignment "$$a" --log-level=WARN || exit 1; done
	@echo "Regenerated exercises/ from solutions/; commit both."

# The student notebook of A as a zip to upload to the LMS: $(COURSE)/_build/lms/A.zip
lms-zip: venv
	$(need_assignment)
	@mkdir -p $(COURSE)/_build/lms && rm -f $(COURSE)/_build/lms/$(A).zip
	cd $(COURSE)/exercises && $(abspath $(BIN))/python -m zipfile -c ../_build/lms/$(A).zip $(A)
	@echo "Upload $(COURSE)/_build/lms/$(A).zip to the LMS."

# Unpack the LMS download placed in $(COURSE)/downloaded/A/archive/ into submitted/<student>/A/.
collect: venv
	$(need_assignment)
	$(NBGRADER) zip_collect $(A) --force

# JOBS submissions at a time (default: one per core; JOBS=1 is nbgrader's serial autograde), or on the
# workers of a Dask cluster with SCHEDULER=tcp://host:port (see the instructor guide); S=<id> grades one student.
autograde: venv
	$(need_assignment)
	cd $(COURSE) && PYTHONPATH=$(RNN_COURSE_REPO) $(abspath $(BIN))/python -m autograder.autograde $(A) $(REGRADE_FLAG) \
	  $(if $(JOBS),--jobs=$(JOBS)) $(if $(SCHEDULER),--scheduler=$(SCHEDULER)) $(if $(S),--student=$(S))

# Feedback pages in $(COURSE)/feedback/<student>/A/, to return through the LMS.
feedback: venv
	$(need_assignment)
	$(NBGRADER) generate_feedback $(A) $(REGRADE_FLAG)

# Each submission of A against every classmate, rnncore and the instructor's solution (copydetect's fingerprints):
# $(COURSE)/_build/similarity/A/report.html (the pairs above THRESHOLD, side by side) and similarity.csv (every pair).
similarity: venv
	$(need_assignment)
	$(BIN)/python -m autograder.similarity $(A) --course $(COURSE) $(if $(THRESHOLD),--threshold $(THRESHOLD),)

# Every score of every assignment in $(COURSE)/grades.csv.
grades: venv
	$(NBGRADER) export --to grades.csv
	@echo "Wrote $(COURSE)/grades.csv"

clean:
	rm -rf _build .pytest_cache .ruff_cache
