# Anxin — run and test. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
STAMP  := $(VENV)/.stamp
PY     := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)

# Playwright drives Debian's /usr/bin/chromium; it must never download a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: help venv run test lint test-pg test-sqlite test-browser messages bench soak crash clean

help:
	@echo "make run           start Anxin (gunicorn + huey) on http://127.0.0.1:$${PORT:-8000}/ with demo data"
	@echo "make test          every stage: lint, PostgreSQL, SQLite, browser, soak (what CI runs)"
	@echo "make lint          ruff, ruff format --check, mypy, makemigrations --check"
	@echo "make test-pg       full suite (no browser tests) on a throwaway PostgreSQL"
	@echo "make test-sqlite   tests marked dbdep or smoke on SQLite"
	@echo "make test-browser  Playwright tests in headless Chromium on PostgreSQL"
	@echo "make bench         figures at city scale on PostgreSQL and SQLite (BENCH_SCALE=small|full)"
	@echo "make soak          2 minutes of 50 portal submitters + 20 staff readers on gunicorn + PostgreSQL + Huey, then make crash"
	@echo "make crash         kill -9 of the Huey consumer mid-escalation and of gunicorn on SQLite (WAL)"
	@echo "make messages      update anxin/locale/zh_Hans .po files and compile them"
	@echo "make clean         remove var/ (data!) and .venv"

# (Re)install only when pyproject.toml is newer than the stamp.
venv: $(STAMP)
	@:

$(STAMP): pyproject.toml
	@test -x $(PY) || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --disable-pip-version-check -q -e '.[test]'
	@touch $@

run: venv
	bash scripts/run.sh

test: venv
	bash scripts/test.sh all

lint: venv
	bash scripts/test.sh lint

test-pg: venv
	bash scripts/test.sh pg

test-sqlite: venv
	bash scripts/test.sh sqlite

test-browser: venv
	bash scripts/test.sh browser

# makemessages at the repository root writes into LOCALE_PATHS (anxin/locale).
messages: venv
	@command -v msgfmt >/dev/null || { echo "gettext is missing: apt-get install gettext" >&2; exit 1; }
	ANXIN_TESTING=1 $(PY) manage.py makemessages -l zh_Hans --no-obsolete -i .venv -i var -i node_modules
	ANXIN_TESTING=1 $(PY) manage.py compilemessages -i .venv -i var -i node_modules

clean:
	rm -rf var $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

bench: venv
	bash scripts/bench.sh

soak: venv
	bash scripts/soak.sh

crash: venv
	bash scripts/crash.sh
