# Two entry points for a fresh machine: `make book` and `make test`.
# Both create .venv from pyproject.toml (the one place versions are pinned).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# nbgrader runs `alembic` as a subprocess: the venv's bin/ must be on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: venv test lint unit bench book clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check rnncore tests benchmarks

unit: venv
	$(BIN)/python -m pytest

test: lint unit

bench: venv
	$(BIN)/python -m benchmarks

book: venv
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Open the book at file://$(abspath _build/html/index.html)"

clean:
	rm -rf _build .pytest_cache .ruff_cache
