# vnegov — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean-data

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: the whole platform in one process on SQLite, demo data seeded, at http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/vnegov up

## test: the whole suite (SQLite; set VNEGOV_TEST_DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
test: $(STAMP)
	$(BIN)/python -m pytest

## lint: ruff, the import-linter contracts (component boundaries) and mypy
lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

## bench: performance figures; the last line printed is one JSON object
bench: $(STAMP)
	$(BIN)/python bench/run.py

## clean-data: forget the embedded instance's database, keys and demo credentials
clean-data:
	rm -rf data
