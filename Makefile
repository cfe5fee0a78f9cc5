# careweave: two commands do all the set-up.
#   make demo   runs the main job on the embedded default (SQLite, one process)
#   make test   lints (ruff, import layers), type-checks and runs the test suite
# Both create .venv from uv.lock on first use; uv itself is bootstrapped into .uv/ with pip.

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: demo test lint typecheck unit bench clean

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

demo: $(VENV)/.synced
	$(VENV)/bin/careweave demo

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(VENV)/.synced
	$(VENV)/bin/mypy

test: lint typecheck
	$(VENV)/bin/pytest -q -p no:cacheprovider --durations=30

$(VENV)/.bench-synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON) --group bench
	touch $@

bench: $(VENV)/.bench-synced
	$(VENV)/bin/python bench/ingest.py
	$(VENV)/bin/python bench/queue.py
	$(VENV)/bin/python bench/hl7.py
	$(VENV)/bin/python bench/x12.py
	$(VENV)/bin/python bench/fhir_validate.py
	$(VENV)/bin/python bench/mllp_echo.py
	$(VENV)/bin/python bench/erp.py
	$(VENV)/bin/python bench/e2e.py
	$(VENV)/bin/python bench/mpi.py
	$(VENV)/bin/python bench/console_search.py
	$(VENV)/bin/python bench/realpath.py

clean:
	rm -rf $(VENV) .uv .mypy_cache .ruff_cache .pytest_cache
