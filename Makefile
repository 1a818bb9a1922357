# Two commands a newcomer needs: `make run` and `make test`. Each installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/libs:$(CURDIR)/services:$(CURDIR)

.PHONY: run test install lint typecheck lock bench clean demo

$(VENV)/.installed: requirements-dev.lock
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	@touch $@

install: $(VENV)/.installed

## Start the local broker and all five services with embedded defaults (SQLite under var/). Ctrl-C stops all.
run: install
	$(PY) scripts/devrun.py

## Run the whole suite (PostgreSQL-marked tests run when CV_TEST_POSTGRES_URL is set; .ci/run sets it).
test: install
	$(PY) -m ruff check libs services tests scripts bench tools
	$(PY) -m mypy libs/common services tools
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check libs services tests scripts bench tools

typecheck: install
	$(PY) -m mypy libs/common services tools

## Recompile the lock files after changing requirements*.in (needs uv on the PATH).
lock:
	uv pip compile --universal --generate-hashes --python-version 3.11 --no-header requirements.in -o requirements.lock
	uv pip compile --universal --generate-hashes --python-version 3.11 --no-header requirements-dev.in -o requirements-dev.lock

## Load the demo county into running services (`make run` does it on first start). SIZE=county for 111,000 households.
demo: install
	$(PY) -m tools.admin demo load --size $(or $(SIZE),small)

## Run every benchmark in bench/ and write BENCHMARKS.md (takes several minutes).
bench: install
	$(PY) bench/run_all.py $(BENCH)

clean:
	rm -rf var/*.db var/*.db-wal var/*.db-shm var/broker
