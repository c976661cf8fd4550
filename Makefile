# `make run` and `make test` set everything up on a fresh machine: the virtualenv, then the pinned
# requirements, re-installed whenever a requirements file changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test test-fast check format bench clean

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

run: $(INSTALLED)
	exec $(BIN)/python -m chalicelib serve

test: $(INSTALLED)
	$(BIN)/python -m pytest -n auto

test-fast: $(INSTALLED)
	$(BIN)/python -m pytest -n auto -m "not slow"

check: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

bench: $(INSTALLED)
	$(BIN)/python -m bench
