# `make run` and `make test` set everything up on a fresh machine: the virtualenv, then the pinned
# requirements, re-installed whenever a requirements file changes. `make run` installs only what
# serving needs (requirements-local.txt); tests, lint and benchmarks add requirements-dev.txt.
# uv installs them: it fetches in parallel and links from its cache, where pip took most of a
# minute. uv itself (pinned here) is put by the machine's pip in the user's cache folder, once per
# machine and version, like the packages in uv's cache beside it. The virtualenv is made without
# pip, which only `chalice package` needs (requirements-dev.txt).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
UV_HOME := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/shoreline/uv-$(UV_VERSION)
UV := $(UV_HOME)/bin/uv
PIP := $(UV) pip install --quiet --python $(BIN)/python
SERVING := $(VENV)/.installed-local
INSTALLED := $(VENV)/.installed

.PHONY: run test test-fast check format bench clean deploy-files package harden

# Into a folder of its own, then moved into place: two set-ups at once never see half of it.
$(UV):
	staged=$(UV_HOME).$$$$ && \
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $$staged uv==$(UV_VERSION) && \
	{ test -e $(UV_HOME) || mv $$staged $(UV_HOME); } && rm -rf $$staged

$(SERVING): requirements.txt requirements-local.txt | $(UV)
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	$(PIP) -r requirements-local.txt
	touch $(SERVING)

$(INSTALLED): $(SERVING) requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	touch $(INSTALLED)

# The browser test drives Debian's Chromium; installing it needs root (as in CI). Elsewhere,
# without it, that one test is skipped.
BROWSER := /usr/bin/chromedriver

$(BROWSER):
	-apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver

# The JavaScript the suite runs (tests/js: the graphql-http audit, Gadget's client for the browser
# test), pinned by its package-lock.json and installed exactly as locked.
JS := tests/js
JS_INSTALLED := $(JS)/node_modules/.installed

$(JS_INSTALLED): $(JS)/package.json $(JS)/package-lock.json
	cd $(JS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(JS_INSTALLED)

# The embedded DynamoDB's data is kept in .local/data across runs: `make run FRESH=1` starts empty,
# `make run SEED=examples/seed.jsonl` loads a JSON Lines file when the data holds no records.
run: $(SERVING)
	exec $(BIN)/python -m chalicelib serve $(if $(FRESH),--fresh) $(if $(SEED),--seed $(SEED))

test: $(INSTALLED) $(BROWSER) $(JS_INSTALLED)
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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(JS)/node_modules

bench: $(INSTALLED)
	$(BIN)/python -m bench

# What `chalice deploy` / `chalice package` need from the schema: the IAM policy of each stage
# (committed under .chalice/), and for a stage the tables' CloudFormation merged into the package.
STAGE ?= dev

deploy-files: $(INSTALLED)
	$(BIN)/python -m chalicelib policy --stage dev --out .chalice/policy-dev.json
	$(BIN)/python -m chalicelib policy --stage prod --out .chalice/policy-prod.json

# The package carries the schema its tables and policy come from (`SCHEMA`, default the stage's),
# the functions named as the policy expects (tooling/deploy/package.py), and what a cold start
# would otherwise redo: the stage's generated SDL parsed (chalicelib/.sdl-cache, by hash: never
# stale) and chalicelib's bytecode (checked against the source's hash, as Lambda's read-only file
# system lets no start write it).
package: deploy-files
	mkdir -p build
	rm -rf chalicelib/.sdl-cache
	$(BIN)/python -m chalicelib package-files --stage $(STAGE) --out build/template-$(STAGE).json
	$(BIN)/python -m compileall -q --invalidation-mode checked-hash chalicelib
	$(BIN)/chalice package --stage $(STAGE) --merge-template build/template-$(STAGE).json build/$(STAGE)

# Hardening figures: fuzzing and fault injection (counts printed), then the loopback load test.
harden: $(INSTALLED)
	FUZZ_RANDOM=1 $(BIN)/python -m pytest -q -s tests/functional/test_fuzz.py tests/functional/test_faults.py
	$(BIN)/python -m bench load
