# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make demo   build .venv if missing, then grade a handful of demo submissions
#   make test   build .venv if missing, then lint and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Every package `make setup` installs, each pinned with the sha256 of its files. `make lock`
# writes it from requirements.txt (the direct dependencies); it is never edited by hand.
LOCK   := requirements-lock.txt
# uv installs the lock; INSTALLER=pip installs it with pip alone. pip is also the fallback wherever
# uv's wheel cannot be installed (e.g. behind a package mirror that only pip is configured for).
INSTALLER ?= uv
# nbgrader runs the `alembic` executable when it creates a gradebook: it must be on PATH.
export PATH := $(abspath $(BIN)):$(PATH)
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup lock test lint demo lab release clean

# Both installers check hashes: a file whose sha256 is not in the lock is refused. A dependency
# missing from the lock stops the install too (pip refuses it unhashed; `uv pip check` finds it).
# uv compiles the bytecode as pip does, since the sandbox's Python cannot write it (read-only).
UV_SYNC  = $(BIN)/uv pip sync --quiet --require-hashes --compile-bytecode --python $(BIN)/python
UV_CHECK = $(BIN)/uv pip check --quiet --python $(BIN)/python
PIP_SYNC = $(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes
# The project itself is not in the lock: it is installed editable, built by the lock's setuptools.
UV_PROJECT  = $(BIN)/uv pip install --quiet --no-deps --no-build-isolation --python $(BIN)/python -e .
PIP_PROJECT = $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
# The lock's entry for uv (its pin and hashes, on backslash-continued lines), for pip to install
# uv alone; and the lock without it, for pip where uv is the package that could not be installed.
UV_ENTRY   = awk '/^uv==/ {p = 1} p {print} p && !/\\$$/ {exit}' $(LOCK)
WITHOUT_UV = awk '/^uv==/ {s = 1} !s {print} s && !/\\$$/ {s = 0}' $(LOCK)

setup: $(STAMP)

$(STAMP): $(LOCK) pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "make: Python 3.11 or newer is needed, found " + sys.version.split()[0] + ". Run: make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if [ "$(INSTALLER)" = uv ] && $(UV_ENTRY) > $(VENV)/uv-lock.txt \
			&& $(PIP_SYNC) --no-deps -r $(VENV)/uv-lock.txt; then \
		echo "$(UV_SYNC) $(LOCK)" && $(UV_SYNC) $(LOCK) && $(UV_CHECK) \
		&& echo "$(UV_PROJECT)" && $(UV_PROJECT); \
	else \
		if [ "$(INSTALLER)" = uv ]; then echo "make: uv could not be installed (see above), so" \
			"pip installs the lock instead (the same packages, more slowly)."; fi; \
		$(WITHOUT_UV) > $(VENV)/pip-lock.txt \
		&& echo "$(PIP_SYNC) -r $(LOCK) (all but uv)" && $(PIP_SYNC) -r $(VENV)/pip-lock.txt \
		&& echo "$(PIP_PROJECT)" && $(PIP_PROJECT); \
	fi
	@$(BIN)/python -m autograder sandbox || true
	@touch $@

# Resolve requirements.txt into the lock, for every platform and Python 3.11 onwards, with the
# sha256 of every file. The direct pins hold; the packages under them move to the newest versions
# the pins allow (LOCK_UPGRADE= keeps the lock's versions wherever they still fit). Then check that
# Linux x86_64 and aarch64 (glibc 2.28+) on Python 3.11 to 3.13 have a wheel of every package, so
# that no install there builds from source.
# (A compile for another Python version needs no interpreter of it: uv must not download one.)
LOCK_UPGRADE ?= --upgrade
LOCK_TARGETS := x86_64-manylinux_2_28 aarch64-manylinux_2_28
LOCK_PYTHONS := 3.11 3.12 3.13
UV_COMPILE    = $(BIN)/uv pip compile --quiet --no-python-downloads

lock: setup
	@test -x $(BIN)/uv || { echo "make lock: uv is needed, and make setup could not install it here."; exit 1; }
	$(UV_COMPILE) --universal --python-version 3.11 --generate-hashes $(LOCK_UPGRADE) \
		--custom-compile-command 'make lock' --output-file $(LOCK) requirements.txt
	@for target in $(LOCK_TARGETS); do for python in $(LOCK_PYTHONS); do \
		$(UV_COMPILE) --no-deps --only-binary :all: --python-platform $$target \
			--python-version $$python --output-file /dev/null $(LOCK) \
		|| { echo "make lock: $$target on Python $$python lacks the wheel named above."; exit 1; }; \
	done; done

lint: setup
	$(BIN)/ruff check .

# Tests run on every core (pytest-xdist). A module's tests stay on one worker (loadscope), so
# that a module-scoped fixture (a class graded once and read by many tests) is built once; the
# modules go in the order tests/conftest.py gives them (the long ones early).
test: lint
	$(BIN)/python -m pytest -n auto --dist loadscope --no-loadscope-reorder

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
