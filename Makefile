# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test fuzz lint typecheck conformance bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# htmx for the Case Management pages: from npm, pinned, checked against its SHA-256, copied into the package.
HTMX_VERSION := 2.0.8
HTMX_SHA256 := 22283ef68cb7545914f0a88a1bdedc7256a703d1d580c1d255217d0a50d31313
HTMX := src/arabesque/web/static/htmx.min.js

$(HTMX):
	@command -v npm >/dev/null || { echo "npm is needed to fetch htmx.org@$(HTMX_VERSION)" >&2; exit 1; }
	rm -rf build/htmx && mkdir -p build/htmx
	cd build/htmx && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null && tar xzf htmx.org-$(HTMX_VERSION).tgz package/dist/htmx.min.js
	echo "$(HTMX_SHA256)  build/htmx/package/dist/htmx.min.js" | sha256sum -c --quiet
	cp build/htmx/package/dist/htmx.min.js $(HTMX)

HOST ?= 127.0.0.1
PORT ?= 3000

# First start: migrates ./arabesque-data/arabesque.db (or $$ARABESQUE_DATABASE_URL), loads
# examples/definitions and prints an admin password and an API key once.
run: $(STAMP) $(HTMX)
	$(BIN)/arabesque serve --host $(HOST) --port $(PORT)

test: $(STAMP) $(HTMX)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/mypy --strict src/arabesque/engine
	$(BIN)/lint-imports
	$(BIN)/pytest -q

# Schemathesis against a real `arabesque serve` on SQLite and on PostgreSQL (the service tests' server,
# ARABESQUE_TEST_PG): every operation of the OpenAPI, 25 examples per operation and phase, fixed seed,
# all checks; fails on any server error, undocumented status or schema violation. Its own virtualenv:
# schemathesis pins jsonschema-rs below the version Arabesque needs.
SCHEMATHESIS_VERSION := 4.32.5
FUZZ_VENV := .venv-fuzz
FUZZ_STAMP := $(FUZZ_VENV)/.installed-$(SCHEMATHESIS_VERSION)

$(FUZZ_STAMP):
	$(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/pip install --quiet --upgrade pip
	$(FUZZ_VENV)/bin/pip install --quiet schemathesis==$(SCHEMATHESIS_VERSION)
	touch $(FUZZ_STAMP)

fuzz: $(STAMP) $(HTMX) $(FUZZ_STAMP)
	$(BIN)/python tests/fuzz_api.py --database sqlite --st $(FUZZ_VENV)/bin/st
	$(BIN)/python tests/fuzz_api.py --database postgresql --st $(FUZZ_VENV)/bin/st

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

conformance: $(STAMP)
	$(PYTHON) ../shared/tools/conformance.py --cmd '$(BIN)/arabesque simulate'

bench: $(STAMP)
	$(BIN)/python bench/engine_bench.py

clean:
	rm -rf $(VENV) $(FUZZ_VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
