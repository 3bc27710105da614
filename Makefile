# Two entry points for a fresh machine: `make book` and `make test`.
# Both create .venv from pyproject.toml (the one place versions are pinned).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# nbgrader runs `alembic` as a subprocess: the venv's bin/ must be on PATH.
export PATH := $(abspath $(BIN)):$(PATH)
# nbgrader_config.py imports the grading machinery (autograder/) from this repository, whatever COURSE is.
export RNN_COURSE_REPO := $(abspath .)

.PHONY: venv test test-fast lint unit bench bench-grading bench-grading-floor bench-isolated bench-validate book pdf latex pages-url launch-notebooks browser sandbox release student-kit lms-zip collect autograde feedback feedback-zip grades similarity bench-similarity clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check rnncore autograder tests benchmarks book/_ext conftest.py

unit: venv browser sandbox latex
	$(BIN)/python -m pytest --durations=25

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

# Debian's TeX Live for `make pdf`: xelatex and latexmk, the LaTeX packages Sphinx's output loads, the FreeFont
# faces it sets the text in and DejaVu Sans Mono for code; rsvg-convert for the SVG diagrams; poppler's pdftotext
# for the PDF's test. Needs root, as in CI.
LATEX_PACKAGES = texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
                 fonts-freefont-otf fonts-dejavu-core latexmk librsvg2-bin poppler-utils
latex:
	@dpkg -s $(LATEX_PACKAGES) >/dev/null 2>&1 || { \
	  [ "$$(id -u)" = 0 ] || { echo "make latex: install Debian's $(LATEX_PACKAGES) as root"; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    $(LATEX_PACKAGES) >/dev/null; }

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

# The whole book as one PDF, through Sphinx's LaTeX builder (xelatex; see `latex:` in _config.yml). The chapters
# come from the execution cache that `make book` filled (or are run here, once, and cached for it). After
# `make book`, the PDF is also put beside the HTML, where the published site offers it (<html.baseurl>rnn-book.pdf).
PDF := _build/latex/rnn-book.pdf
pdf: venv latex
	@start=$$(date +%s); \
	$(BIN)/jupyter-book build . --builder pdflatex -W -n --keep-going || exit 1; \
	test -s $(PDF) || { echo "make pdf: no $(PDF)"; exit 1; }; \
	echo "PDF built in $$(( $$(date +%s) - start )) s, $$(pdfinfo $(PDF) | awk '/^Pages:/ {print $$2}') pages: $(abspath $(PDF))"
	@if [ -d _build/html ]; then cp $(PDF) _build/html/ && echo "and beside the HTML: _build/html/$(notdir $(PDF))"; fi

# The deployment workflow's check: GitHub Pages publishes at URL, which must be html.baseurl in _config.yml
# (the assignment notebooks link to the book there).
pages-url: venv
	@$(BIN)/python -c "import sys, yaml; \
	configured = yaml.safe_load(open('_config.yml'))['html']['baseurl'].rstrip('/'); \
	pages = sys.argv[1].rstrip('/'); \
	sys.exit(None if configured == pages else \
	  f'html.baseurl in _config.yml is {configured}/, but GitHub Pages publishes this repository at {pages}/: set it there')" '$(URL)'

# ---------------------------------------------------------------- the instructor's workflow
# A term, one assignment A at a time (see the book's instructor guide):
#   make release; make lms-zip A=lstm; (students work and submit through the LMS)
#   make collect A=lstm; make autograde A=lstm; make feedback A=lstm; make grades A=lstm
# (Moodle or Canvas: autograder/lms/; due dates and the late penalty in nbgrader_config.py)
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

# The launch cell (installs rnncore where it is missing: Colab) in every chapter and solutions/ notebook, from
# repository.url in _config.yml, and the chapters as notebooks beside their sources for the launch buttons
# (book/_ext/launch_cell.py). Run it after changing the repository; then `make release`.
launch-notebooks: venv
	$(BIN)/python book/_ext/launch_cell.py

# What students install: rnncore as a wheel (its checks, not autograder/, solutions/ or any hidden test), whose
# `student` extra brings its pinned dependencies: $(COURSE)/_build/student-kit/rnncore-<version>-py3-none-any.whl.
KIT = $(COURSE)/_build/student-kit
student-kit: venv
	$(BIN)/python -m autograder.student_kit wheel --out $(KIT) --solutions $(COURSE)/solutions

# The student notebook of A, the student kit and a README with the one install command, as a zip to upload to
# the LMS: $(COURSE)/_build/lms/A.zip. Both refuse to be written if they hold anything of solutions/.
lms-zip: student-kit
	$(need_assignment)
	$(BIN)/python -m autograder.student_kit lms-zip $(A) --course $(COURSE) --kit $(KIT)

# Unpack the LMS download (Moodle's, either layout, or Canvas's) placed in $(COURSE)/downloaded/A/archive/ into
# submitted/<student>/A/, the newest file of each student, with its time (autograder/lms/collect.py).
collect: venv
	$(need_assignment)
	cd $(COURSE) && PYTHONPATH=$(RNN_COURSE_REPO) $(abspath $(BIN))/python -m autograder.lms.collect $(A)

# JOBS submissions at a time (default one per core, each sandbox as a uid of its own; JOBS=1 is nbgrader's
# serial autograde), or on the workers of a Dask cluster with SCHEDULER=tcp://host:port (see the instructor
# guide); S=<id> grades one student. A line per submission and a table at the end; ARGS=--log-level=INFO for
# nbgrader's whole log.
autograde: venv
	$(need_assignment)
	cd $(COURSE) && PYTHONPATH=$(RNN_COURSE_REPO) $(abspath $(BIN))/python -m autograder.autograde $(A) $(REGRADE_FLAG) \
	  $(if $(JOBS),--jobs=$(JOBS)) $(if $(SCHEDULER),--scheduler=$(SCHEDULER)) $(if $(S),--student=$(S)) $(ARGS)

# Feedback pages in $(COURSE)/feedback/<student>/A/, to return through the LMS; S=<id> one student's
# (with REGRADE=1 after regrading them, since their submission's time has not changed).
feedback: venv
	$(need_assignment)
	$(NBGRADER) generate_feedback $(A) $(REGRADE_FLAG) $(if $(S),--student=$(S))

# The feedback pages of A as the bulk zips the LMSs take back: $(COURSE)/_build/feedback/A-moodle.zip (Moodle's
# "Upload multiple feedback files in a zip") and, from a Canvas download, A-canvas.zip (Canvas's "Re-upload
# Submissions"); see autograder/feedback_zip.py and the instructor guide.
feedback-zip: venv
	$(need_assignment)
	$(BIN)/python -m autograder.feedback_zip $(A) --course $(COURSE)

# Each submission of A against every classmate, rnncore and the instructor's solution (copydetect's fingerprints):
# $(COURSE)/_build/similarity/A/report.html (the pairs above THRESHOLD, side by side) and similarity.csv (every pair).
similarity: venv
	$(need_assignment)
	$(BIN)/python -m autograder.similarity $(A) --course $(COURSE) $(if $(THRESHOLD),--threshold $(THRESHOLD),)

# The grades of A (default: every graded assignment) as Moodle's grading worksheet, $(COURSE)/_build/grades/moodle-A.csv,
# and Canvas's gradebook import, canvas.csv; graded submissions only (autograder/lms/grades.py).
grades: venv
	$(if $(A),$(need_assignment))
	cd $(COURSE) && PYTHONPATH=$(RNN_COURSE_REPO) $(abspath $(BIN))/python -m autograder.lms.grades $(A)

clean:
	rm -rf _build .pytest_cache .ruff_cache
