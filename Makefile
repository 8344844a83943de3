# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint setup fixtures clean bench soak mutations mutmut

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

# Seed plans go in once: a plan already in the database is skipped, so what staff entered stays.
fixtures: setup
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py import_plan --only-new fixtures/*.json
	$(PY) manage.py create_demo_users

run: fixtures
	@echo "Portal: http://$(HOST):$(PORT)/   admin: http://$(HOST):$(PORT)/manage/"
	$(PY) manage.py runserver $(HOST):$(PORT)

# The suite in two stages on every core (pytest-xdist, one test database per worker): everything but
# the browser, then the browser tests (Debian's chromium), so a slow or missing browser shows apart.
PYTEST_WORKERS ?= auto
test: setup
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m "not browser" $(PYTEST_ARGS)
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m browser $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# Not part of `make test`: gunicorn + wrk on loopback, SQLite and PostgreSQL (docs/performance.md).
# BENCH_ARGS="--scales 1,50,1741" for the national scale.
bench: setup
	$(PY) bench/run.py $(BENCH_ARGS)

# 60 s of public traffic with staff writes, imports, a killed worker and a killed database connection.
soak: setup
	$(PY) bench/soak.py

# Not part of `make test`: issue 19's targeted mutations (each must be caught by a named test), applied
# one at a time to a copy of HEAD (MUTATION_ARGS="--worktree" for uncommitted changes, "--only NAME").
mutations: setup
	$(PY) bench/mutations.py $(MUTATION_ARGS)

# Not part of `make test`: mutmut 3 over the engine, access rules, entry and importer ([tool.mutmut] in
# pyproject.toml), in a copy under bench-results/mutmut/. MUTMUT_ARGS="--files kpis/engine.py --tests
# tests/test_engine.py" for a quicker run on part of it.
mutmut: setup
	$(PY) bench/mutmut_run.py $(MUTMUT_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
