# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make demo   build .venv if missing, then grade a handful of demo submissions
#   make test   build .venv if missing, then lint and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# nbgrader runs the `alembic` executable when it creates a gradebook: it must be on PATH.
export PATH := $(abspath $(BIN)):$(PATH)
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup test lint demo lab release clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-sandbox.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "make: Python 3.11 or newer is needed, found " + sys.version.split()[0] + ". Run: make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-sandbox.txt
	@$(BIN)/python -m autograder sandbox || true
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

lint: setup
	$(BIN)/ruff check .

# Tests run on every core (pytest-xdist): most of their time is spent waiting on kernels.
test: lint
	$(BIN)/python -m pytest -n auto

demo: setup
	$(BIN)/python -m autograder demo

# The server's root is the course root (nbgrader's extension needs it); the learner's notebook opens.
# LAB_ARGS passes more options to jupyter lab (the browser test sets a port and a token).
lab: setup
	$(BIN)/jupyter lab $(ALLOW_ROOT) --ServerApp.root_dir=$(CURDIR) $(LAB_ARGS) \
		release/activation_derivatives/activation_derivatives.ipynb

# Regenerate release/ from source/ (release/ is never edited by hand), every assignment.
release: setup
	@for name in $(notdir $(wildcard source/*)); do \
		echo "nbgrader generate_assignment $$name"; \
		$(BIN)/nbgrader generate_assignment $$name --force --log-level=WARN || exit 1; \
	done

clean:
	rm -rf demo_output submitted autograded feedback gradebook.db
