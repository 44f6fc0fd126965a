# Gongwu — two commands: `make run` (the platform with a demo fleet) and `make test` (every test).
# Both install what is missing first (system packages through apt, the Python venv, the web assets).

SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
RUN_PACKAGES := libsqlite3-mod-spatialite fonts-noto-cjk
TEST_PACKAGES := chromium fonts-noto-cjk
TEST_WORKERS ?= 2

.PHONY: run test check bench soak fuzz deps run-deps test-deps web clean help

help:
	@echo "make run    install what is missing, migrate, seed the demo bureau, serve on http://127.0.0.1:8000"
	@echo "make test   install what is missing, provision PostgreSQL+PostGIS and Redis, run every test"
	@echo "make bench  run the benchmarks in bench/ (long)"
	@echo "make soak   2,000 terminals for 10 minutes through killed gateways and consumers, then 10,000 idle ones (~20 min)"
	@echo "make fuzz   the codecs, the gateways over TCP and the API fuzzed for a bounded time (~10 min)"

run: run-deps
	$(BIN)/gongwu db upgrade
	$(BIN)/gongwu map import-demo --if-missing
	$(BIN)/gongwu demo seed
	GONGWU_AUTO_PROVISION=1 $(BIN)/gongwu serve --demo

test: run-deps test-deps
	$(BIN)/python scripts/testenv.py -- $(MAKE) --no-print-directory check

check:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

bench: run-deps
	$(BIN)/python scripts/testenv.py -- $(MAKE) --no-print-directory -C bench all

# reliability: figures in RELIABILITY.md, results in reliability/results/
soak: run-deps
	$(BIN)/python scripts/testenv.py -- $(BIN)/python reliability/soak.py
	GONGWU_SOAK_IDLE=10000 GONGWU_SOAK_REPORT=reliability/results/idle.json \
		$(BIN)/python scripts/testenv.py -- $(BIN)/pytest -q -p no:cacheprovider tests/faults

fuzz: run-deps
	$(BIN)/python scripts/testenv.py -- $(BIN)/python reliability/fuzz.py

run-deps: $(VENV)/.installed web
	@scripts/apt-ensure $(RUN_PACKAGES)

test-deps:
	@scripts/apt-ensure $(TEST_PACKAGES)

deps: run-deps test-deps

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or newer is needed (apt-get install python3)"; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || scripts/apt-ensure python3-venv
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev,bench]"
	@touch $@

web:
	@if [ -f web/package.json ]; then \
		command -v npm >/dev/null || scripts/apt-ensure nodejs npm; \
		if [ ! -f web/node_modules/.installed ] || [ web/package.json -nt web/node_modules/.installed ]; then \
			(cd web && npm ci --no-audit --no-fund --loglevel=error) && touch web/node_modules/.installed; \
		fi; \
	fi

clean:
	rm -rf $(VENV) web/node_modules .pytest_cache .mypy_cache .ruff_cache
