# GovReach: the two commands of the README, and the rest of the developer loop.
# `make demo` sets everything up and serves GovReach; `make test` is exactly what CI runs.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
# uv from PATH; else the one pip installs for this Python (installed on first use, see $(VENV)/.synced).
UV ?= $(or $(shell command -v uv 2>/dev/null),$(PYTHON) -m uv)
VENV := .venv
RUN := $(UV) run --frozen --no-sync
export GOVREACH_VAR_DIR ?= $(CURDIR)/var
export UV_LINK_MODE ?= copy

.PHONY: audit-deps help env services demo serve demo-data test lint types pytest pytest-postgres packs-test check bench format clean messages \
	loadtest loadtest-smoke

help:
	@echo "make demo   set up everything and serve GovReach on http://127.0.0.1:8000"
	@echo "make test   everything CI runs: lint, types, tests, pack tests"
	@echo "make bench  benchmarks (figures and ratios against a baseline in the same run)"
	@echo "make loadtest  a few hundred simulated citizens against gunicorn + PostgreSQL, then checks"

$(VENV)/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || { echo "uv not found: installing it with pip"; $(PYTHON) -m pip install --quiet uv; }
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

env: $(VENV)/.synced

demo-data: env
	@mkdir -p $(GOVREACH_VAR_DIR)
	GOVREACH_DEBUG=1 $(RUN) govreach migrate --no-input
	GOVREACH_DEBUG=1 $(RUN) govreach packs load packs/
	GOVREACH_DEBUG=1 $(RUN) govreach demo setup

demo: demo-data
	@echo "GovReach is starting on http://127.0.0.1:8000 (Ctrl+C to stop)"
	GOVREACH_DEBUG=1 $(RUN) govreach runserver 127.0.0.1:8000

lint: env
	$(RUN) ruff check src tests
	$(RUN) ruff format --check src tests

types: env
	$(RUN) mypy

# PostgreSQL and Chromium from Debian's packages, installed once per machine.
services:
	scripts/ensure-test-services.sh

pytest: env services
	$(RUN) pytest -p xdist -n 2 --dist loadgroup

# The same suite on a throwaway PostgreSQL server; the pure libraries (rules, packs, population,
# linkage) never touch the database, so they run once, above. So do the checks whose answer does not
# depend on the database: the browser tests (axe, keyboard, no-JavaScript and page weight look at the
# pages the same views draw from the same queries; the views' own tests run on both) and the Spark/DuckDB
# equivalence of the cycle (both engines read the same registry files); and the kill -9 tests and the
# cycle benchmark's, whose child processes run on a SQLite file of their own whatever the suite's database.
pytest-postgres: env services
	scripts/with-postgres.sh $(RUN) pytest -p xdist -n 2 --dist loadgroup \
		--ignore=tests/rules --ignore=tests/packs --ignore=tests/population --ignore=tests/linkage \
		--ignore=tests/browser --ignore=tests/entitlements/test_spark.py \
		--ignore=tests/entitlements/test_resume.py --ignore=tests/entitlements/test_bench.py \
		--ignore=tests/notify/test_crash.py \
		--ignore=tests/registry/test_import_kill.py

packs-test: env
	GOVREACH_ALLOW_INSECURE_KEY=1 $(RUN) govreach packs check packs/
	GOVREACH_ALLOW_INSECURE_KEY=1 $(RUN) govreach packs test packs/

test: lint types pytest pytest-postgres packs-test loadtest-smoke audit-deps

check: test

format: env
	$(RUN) ruff format src tests
	$(RUN) ruff check --fix src tests

bench: env
	GOVREACH_ALLOW_INSECURE_KEY=1 $(RUN) govreach bench eligibility --pack pt-social-energy-tariff --households 1000000

# The load test (loadtest/README.md): gunicorn with production settings on a throwaway PostgreSQL,
# loopback only, bounded in time; then every accepted submission is checked and the figures printed.
# Set USERS, SPAWN_RATE, RUN_TIME, PROBE_USERS, PROBE_TIME, WORKERS in the environment: `USERS=50 make loadtest`.
loadtest: env services
	CHECK_ARGS="--min-ratio 0.5" loadtest/run.sh

# The same, short, for CI: 10 citizens for 30 s; no failed request, at least one submission checked.
loadtest-smoke: env services
	USERS=10 SPAWN_RATE=10 RUN_TIME=30s PROBE_USERS=4 PROBE_TIME=5s WORKERS=2 \
		LOADTEST_OUT=$(CURDIR)/var/loadtest-smoke CHECK_ARGS="--max-errors 0 --min-submissions 1" loadtest/run.sh

# Known vulnerabilities in the locked dependencies (pip-audit); see the script for what it does offline.
audit-deps: env
	UV="$(UV)" scripts/audit-deps.sh

# Interface catalogues: extract, update src/govreach/locale/*/django.po, compile .mo (no GNU gettext needed).
messages: env
	$(RUN) python scripts/messages.py all

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
