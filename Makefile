# Sifa — the two commands are `make run` and `make test` (see README.md).
# GNU make; needs python3.11 with venv and pip (Debian 12: python3.11 python3.11-venv) and, for the
# PDFs, the Debian packages in RUNTIME_DEBS, which `make run` installs when run as root.

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
# Debian packages the app needs at run time: CJK fonts and HarfBuzz subsetting for the PDFs
# (WeasyPrint), Pango which WeasyPrint lays text out with, fontconfig's fc-match for the seal's font.
RUNTIME_DEBS ?= fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fontconfig libssl3

.PHONY: help install runtime-debs run test lint format docs bench clean

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

# Installs the missing RUNTIME_DEBS quietly when run as root on Debian; otherwise names them.
runtime-debs:
	@missing=(); \
	if command -v dpkg-query >/dev/null; then \
	  for pkg in $(RUNTIME_DEBS); do \
	    dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$$pkg"); \
	  done; \
	fi; \
	if (( $${#missing[@]} )); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make run: 安装运行所需的 Debian 软件包：$${missing[*]}"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq --no-install-recommends "$${missing[@]}" >/dev/null 2>&1 \
	      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$${missing[@]}" >/dev/null; }; \
	  else \
	    echo "make run: 缺少运行所需的 Debian 软件包（生成 PDF 需要）：$${missing[*]}；请以 root 运行 make run，或执行 sudo apt-get install $${missing[*]}" >&2; \
	  fi; \
	fi

# The public address (QR codes, printed verification addresses, the guide's 网上办理地址, links in
# notifications) is this server's own unless SIFA_PUBLIC_URL is given: PORT=8765 make run → :8765.
run: $(STAMP) runtime-debs
	SIFA_DEBUG=1 SIFA_PARTNER_DATA=$${SIFA_PARTNER_DATA-exchange} \
	  SIFA_PUBLIC_URL=$${SIFA_PUBLIC_URL:-http://localhost:$${PORT:-8000}} $(BIN)/sifa run --port $${PORT:-8000}

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

# Generated cases of the second bench pass (issue 16): 1 M on PostgreSQL, 100 k on the embedded
# SQLite (a county-level node's size; 1 M there takes long to generate). BENCH_CASES=0: demo data only.
BENCH_CASES ?= $(if $(BENCH_DATABASE_URL),1000000,100000)
# The public page cache's store on PostgreSQL: Redis, as a PostgreSQL deployment runs it
# (docs/deploy.md); the database store is measured beside it (W1cd/W1hcd/W2cd). SQLite: the
# database store, the embedded default. BENCH_CACHE_URL= (empty) measures the database store only.
BENCH_CACHE_URL ?= $(if $(BENCH_DATABASE_URL),redis://127.0.0.1:6379/15,)

bench: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null 2>&1; } || echo "wrk not installed: using the Python load generator"
	BENCH_CASES=$(BENCH_CASES) BENCH_CACHE_URL=$(BENCH_CACHE_URL) $(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis build src/*.egg-info
	find src bench tests -name __pycache__ -type d -prune -exec rm -rf {} +
