# The suite's commands. Each installs what it needs on a fresh machine first.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install run test test-mongodb test-unit test-integration bench lint docs demo reset eval-scoring system-deps clean help

help:
	@echo "make install       create .venv with the suite and its dev tools (SecantusDB included)"
	@echo "make run           start the embedded broker and the four services"
	@echo "make test          install what is missing and run the whole test suite"
	@echo "make test-mongodb  the same, with every MongoDB-capable module on SecantusDB too"
	@echo "make bench         benchmarks: a table and bench/results.json (targets reported, not asserted)"
	@echo "make lint          ruff, mypy and a dependency audit"
	@echo "make docs          AsyncAPI and OpenAPI documents into docs/api/"
	@echo "make demo          load a realistic year of calls and purchases into a running suite"
	@echo "make eval-scoring  precision/recall of the fraud score on synthetic populations"
	@echo "make reset         wipe the embedded data directory"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The virtualenv with the suite and its dev extras (SecantusDB's secantusd-py among them).
install: $(STAMP)

# Debian packages for the tests: Chromium (browser tests) and kcat (third-party Kafka client).
system-deps:
	@bash scripts/system-deps.sh

run: $(STAMP)
	$(BIN)/python -m shared.runtime run

test: $(STAMP) system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-mongodb: $(STAMP) system-deps
	CRM_TEST_MONGODB=all $(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check shared services tests benchmarks scripts evaluation
	$(BIN)/mypy shared services evaluation
	bash scripts/audit.sh

docs: $(STAMP)
	$(BIN)/python -m shared.docs docs/api

demo: $(STAMP)
	$(BIN)/python -m scripts.demo

eval-scoring: $(STAMP)
	$(BIN)/python -m evaluation.scoring --seeds 1 2 3 4 5

reset:
	rm -rf data

clean: reset
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts
