# Waystation: `make run` to try it, `make test` to check it. Everything else is for developers.
SHELL := /bin/bash
.DEFAULT_GOAL := help
# uv from PATH, else the one installed in this Python (`python3 -m uv`), else its own virtual
# environment in .tools, made on first use by scripts/bootstrap-uv.sh (works on Debian's python3).
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || { python3 -m uv --version >/dev/null 2>&1 && echo "python3 -m uv"; } || echo $(TOOLS)/bin/uv)
DEMO_DIR ?= var
# The language of the demo's texts when it is first made (en, ru, de, uk): make run DEMO_LANGUAGE=ru
DEMO_LANGUAGE ?= en
PORT ?= 8000
# Under CI=true, pytest runs with no skip tolerated (see waystation/testing/plugin.py).
PYTEST_ARGS ?=

# Each half of `make test` writes one line about how it went here; both are printed at the end.
REPORTS := test-artifacts

.PHONY: help setup system-packages run demo-reset test test-embedded test-postgres \
	_test-embedded _test-postgres bench lint messages screenshots

help:
	@echo "make run    - install what is needed, create the demo instance, serve it on http://127.0.0.1:$(PORT)"
	@echo "make demo-reset - remove the demo instance ($(DEMO_DIR)), so that make run starts afresh"
	@echo "make test   - the whole test suite, on the embedded database and on PostgreSQL"
	@echo "              (installs Debian's postgresql, chromium and gettext first if missing)"
	@echo "make bench  - benchmarks (ratios against baselines measured in the same run)"
	@echo "make lint   - ruff, the import layers, the migrations check and the translations check"
	@echo "make messages    - extract and compile translations"
	@echo "make screenshots - refresh docs/screenshots from the end-to-end tests"

setup:
	@[ "$(UV)" != "$(TOOLS)/bin/uv" ] || scripts/bootstrap-uv.sh $(TOOLS)
	@echo "Installing the locked dependencies (uv sync)…"
	@$(UV) sync --locked --quiet

# Debian's postgresql, chromium and gettext for the tests: installed as root or with sudo,
# otherwise the command to run is printed (the same script .ci/run uses).
system-packages:
	@scripts/setup-system.sh

run: setup
	@if [ -e $(DEMO_DIR)/DEMO ]; then echo "Updating the demo instance in $(DEMO_DIR)…"; \
	else echo "Creating the demo instance in $(DEMO_DIR) (members, cases, files; about half a minute)…"; fi
	@WAYSTATION_DATA_DIR=$(DEMO_DIR) $(UV) run waystation demo --language $(DEMO_LANGUAGE)
	@echo "To start the demo afresh: make demo-reset, then make run."
	@echo "Starting the server…"
	@WAYSTATION_DATA_DIR=$(DEMO_DIR) $(UV) run waystation serve --port $(PORT)

# Only ever a demo: a directory without the demo's marker file is left alone.
demo-reset:
	@if [ ! -e $(DEMO_DIR) ]; then echo "There is no demo instance in $(DEMO_DIR)."; \
	elif [ -e $(DEMO_DIR)/DEMO ]; then rm -rf $(DEMO_DIR) && \
		echo "Removed the demo instance in $(DEMO_DIR); make run creates a new one."; \
	else echo "$(DEMO_DIR) holds a real instance, not a demo: not removed." >&2; exit 1; fi

# Both halves run even when the first fails; each says how it went at the end, and the
# target fails if either did.
test: setup system-packages
	@mkdir -p $(REPORTS) && rm -f $(REPORTS)/embedded.txt $(REPORTS)/postgresql.txt; \
	status=0; \
	echo "== The suite on the embedded database (SQLCipher) =="; \
	WAYSTATION_TEST_REPORT=$(CURDIR)/$(REPORTS)/embedded.txt \
		$(MAKE) --no-print-directory _test-embedded || status=1; \
	echo "== The suite on PostgreSQL =="; \
	WAYSTATION_TEST_REPORT=$(CURDIR)/$(REPORTS)/postgresql.txt \
		$(MAKE) --no-print-directory _test-postgres || status=1; \
	echo; echo "make test:"; \
	for half in "embedded:embedded SQLCipher" "postgresql:PostgreSQL"; do \
		report=$(REPORTS)/$${half%%:*}.txt; \
		if [ -s $$report ]; then sed 's/^/  /' $$report; \
		else echo "  $${half#*:}: did not finish (see above)"; status=1; fi; \
	done; \
	exit $$status

test-embedded: setup system-packages
	@$(MAKE) --no-print-directory _test-embedded

test-postgres: setup system-packages
	@$(MAKE) --no-print-directory _test-postgres

_test-embedded:
	$(UV) run pytest $(PYTEST_ARGS)

# A throwaway PostgreSQL cluster from Debian's pg_virtualenv, unless PG* variables already
# point at a server.
_test-postgres:
	@if [ -n "$$PGHOST" ]; then \
		WAYSTATION_DATABASE=postgresql $(UV) run pytest $(PYTEST_ARGS); \
	elif command -v pg_virtualenv >/dev/null 2>&1; then \
		pg_virtualenv env WAYSTATION_DATABASE=postgresql $(UV) run pytest $(PYTEST_ARGS); \
	else \
		echo "PostgreSQL is needed for the second half of the suite: run scripts/setup-system.sh (Debian's postgresql) or set PGHOST/PGUSER/PGPASSWORD/PGDATABASE." >&2; \
		exit 1; \
	fi

bench: setup
	$(UV) run python -m bench

lint: setup
	$(UV) run ruff check .
	@# The layers and the independence of the features (pyproject.toml, docs/architecture.md).
	$(UV) run lint-imports
	@# Sealed here on purpose: the history check against a database is skipped, the models are compared.
	@# The framework's commands are developer tools: WAYSTATION_DEVELOPER=1 (docs/operator.md).
	WAYSTATION_DEVELOPER=1 $(UV) run python -W ignore::RuntimeWarning -m waystation makemigrations --check --dry-run
	@# `make messages` must leave no entry empty or fuzzy in ru, de, uk, and the .mo files current.
	$(UV) run python scripts/check_translations.py

messages: setup
	WAYSTATION_DEVELOPER=1 $(UV) run waystation makemessages -l ru -l de -l uk --no-location --ignore=.venv --ignore=bench --ignore=tests
	WAYSTATION_DEVELOPER=1 $(UV) run waystation compilemessages --ignore=.venv

screenshots: setup
	WAYSTATION_SCREENSHOTS=docs/screenshots $(UV) run pytest tests/e2e -q
