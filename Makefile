# Two entry points for a fresh machine: `make book` and `make test`.
# Both create .venv from pyproject.toml (the one place versions are pinned).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# nbgrader runs `alembic` as a subprocess: the venv's bin/ must be on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: venv test lint unit bench book browser release clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check rnncore tests benchmarks book/_ext

unit: venv browser
	$(BIN)/python -m pytest

test: lint unit

# Debian's Chromium for the browser checks of the book (Playwright drives it;
# `playwright install` cannot download browsers here). Needs root, as in CI.
browser:
	@command -v chromium >/dev/null || { \
	  [ "$$(id -u)" = 0 ] || { echo "make browser: chromium is missing; install Debian's chromium as root"; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

bench: venv
	$(BIN)/python -m benchmarks

book: venv
	@start=$$(date +%s); \
	$(BIN)/jupyter-book build . -W -n --keep-going || exit 1; \
	echo "Book built in $$(( $$(date +%s) - start )) s (chapters unchanged since the last build come from the cache)."
	@echo "Open the book at file://$(abspath _build/html/index.html)"

# Regenerate the student notebooks (exercises/) from the instructor's (solutions/).
release: venv
	@for dir in solutions/*/; do \
	  $(BIN)/nbgrader generate_assignment "$$(basename $$dir)" --log-level=WARN || exit 1; \
	done
	@echo "Regenerated exercises/ from solutions/; commit both."

clean:
	rm -rf _build .pytest_cache .ruff_cache
