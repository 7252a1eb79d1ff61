# Every target does its own setup, so `make test` or `make demo` alone works on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test check demo demo-prod bench format clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The whole revenue cycle on the embedded parts (SQLite, in-process jobs); reports in demo-out/.
demo: $(STAMP)
	$(BIN)/revcycle demo $(DEMO_ARGS)

# The same on PostgreSQL + Redis with two gateway and two worker processes. Point it elsewhere
# with REVCYCLE_DATABASE_URL (a server; a fresh database is made per run) and REVCYCLE_REDIS_URL.
demo-prod: $(STAMP)
	$(BIN)/revcycle demo --prod $(DEMO_ARGS)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache *.egg-info
