# Waystation: `make run` to try it, `make test` to check it. Everything else is for developers.
SHELL := /bin/bash
.DEFAULT_GOAL := help
# uv from PATH, else the one pip installs into this Python (`python3 -m uv`).
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
DEMO_DIR ?= var
PORT ?= 8000
# Under CI=true, pytest runs with no skip tolerated (see waystation/testing/plugin.py).
PYTEST_ARGS ?=

.PHONY: help setup run test test-embedded test-postgres bench lint messages screenshots

help:
	@echo "make run    - install what is needed, create the demo instance, serve it on http://127.0.0.1:$(PORT)"
	@echo "make test   - the whole test suite, on the embedded database and on PostgreSQL"
	@echo "make bench  - benchmarks (ratios against baselines measured in the same run)"
	@echo "make lint   - ruff and the migrations check"
	@echo "make messages    - extract and compile translations"
	@echo "make screenshots - refresh docs/screenshots from the end-to-end tests"

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --locked --quiet

run: setup
	@WAYSTATION_DATA_DIR=$(DEMO_DIR) $(UV) run waystation demo
	@WAYSTATION_DATA_DIR=$(DEMO_DIR) $(UV) run waystation serve --port $(PORT)

test: setup test-embedded test-postgres

test-embedded:
	$(UV) run pytest $(PYTEST_ARGS)

# A throwaway PostgreSQL cluster from Debian's pg_virtualenv, unless PG* variables already
# point at a server.
test-postgres:
	@if [ -n "$$PGHOST" ]; then \
		WAYSTATION_DATABASE=postgresql $(UV) run pytest $(PYTEST_ARGS); \
	elif command -v pg_virtualenv >/dev/null 2>&1; then \
		pg_virtualenv env WAYSTATION_DATABASE=postgresql $(UV) run pytest $(PYTEST_ARGS); \
	else \
		echo "PostgreSQL is needed for the second half of the suite: install Debian's postgresql package (see .ci/run) or set PGHOST/PGUSER/PGPASSWORD/PGDATABASE." >&2; \
		exit 1; \
	fi

bench: setup
	$(UV) run python -m bench

lint: setup
	$(UV) run ruff check .
	@# Sealed here on purpose: the history check against a database is skipped, the models are compared.
	$(UV) run python -W ignore::RuntimeWarning -m waystation makemigrations --check --dry-run

messages: setup
	$(UV) run waystation makemessages -l ru -l de -l uk --no-location --ignore=.venv --ignore=bench --ignore=tests
	$(UV) run waystation compilemessages --ignore=.venv

screenshots: setup
	WAYSTATION_SCREENSHOTS=docs/screenshots $(UV) run pytest tests/e2e -q
