# Sifa — the two commands are `make run` and `make test` (see README.md).
# GNU make; needs only python3.11 with venv and pip (Debian 12: python3.11 python3.11-venv).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Written after a successful install; rebuilt only when the lock or the project metadata changes,
# so a second `make run` or `make test` starts at once.
STAMP := $(VENV)/.sifa-installed
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
PYTEST_ARGS ?=
LINT_PATHS := src bench tests

.PHONY: help install run test lint format docs bench clean

help:
	@echo "make run    - install, migrate, load data, serve on http://localhost:$${PORT:-8000}/ (Ctrl-C stops)"
	@echo "make test   - install and run the whole test suite (DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make lint   - ruff check + ruff format --check on $(LINT_PATHS)"
	@echo "make format - ruff format + ruff check --fix"
	@echo "make docs   - regenerate docs/configuration.md from src/sifa/conf/env.py"
	@echo "make bench  - run the benchmark harness, write docs/performance.md"
	@echo "make clean  - remove the venv, caches and local state (var/)"

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	@touch $@

run: $(STAMP)
	SIFA_DEBUG=1 SIFA_PARTNER_DATA=$${SIFA_PARTNER_DATA-exchange} $(BIN)/sifa run

test: $(STAMP)
	@if [ ! -f node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; fi
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

format: $(STAMP)
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

docs: $(STAMP)
	SIFA_DEBUG=1 $(BIN)/sifa config_docs

bench: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null 2>&1; } || echo "wrk not installed: using the Python load generator"
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis build src/*.egg-info
	find src bench tests -name __pycache__ -type d -prune -exec rm -rf {} +
