# Two set-up-and-run commands (see README.md):
#   make demo   creates .venv, installs spacerange, runs the main job on the embedded default
#   make test   creates .venv with the dev extras, runs the whole test suite
# Both are idempotent: the venv is rebuilt only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench clean web wheel

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The demo installs the 'fast' extra: numba compiles the screening sieve (pure numpy without).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[fast]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/spacerange demo

# Web console assets: CesiumJS pinned in web/package-lock.json, copied next to the server.
WEB_ASSETS := src/spacerange/server/static/cesium/Cesium.js

$(WEB_ASSETS): web/package.json web/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  cd web && npm ci --no-audit --no-fund --loglevel=error && node copy-assets.mjs; \
	else echo "npm not found: the web console will run without the 3D globe"; fi

web: $(WEB_ASSETS)

# The wheel carries the scenarios and the Cesium assets (setup.py builds them; needs npm).
wheel: $(BIN)/python
	$(BIN)/python -m pip wheel --no-deps -w dist .

test: $(VENV)/.installed-dev web
	$(BIN)/python -m pytest -q -n auto --dist loadgroup --durations=25

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

bench: $(VENV)/.installed-dev
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache
