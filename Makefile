# Two commands a newcomer needs: `make run` and `make test`. Each installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/libs:$(CURDIR)/services:$(CURDIR)

.PHONY: run test install lint typecheck lock bench clean demo test-cluster run-cluster cluster-start cluster-stop

$(VENV)/.installed: requirements-dev.lock
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	@touch $@

# The console's third-party scripts (echarts, axe-core): from the committed package-lock.json, into
# services/console/node_modules (gitignored); the county intranet has no CDN. Without npm the pages
# still work, without charts.
CONSOLE_MODULES := services/console/node_modules/.package-lock.json
$(CONSOLE_MODULES): services/console/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix services/console --ignore-scripts --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the console runs without its charts (install Node.js and npm, then make install)"; fi

install: $(VENV)/.installed $(CONSOLE_MODULES)

## Start the local broker and all five services with embedded defaults (SQLite under var/). Ctrl-C stops all.
run: install
	$(PY) scripts/devrun.py

## Run the whole suite (PostgreSQL-marked tests run when CV_TEST_POSTGRES_URL is set; .ci/run sets it).
test: install
	$(PY) -m ruff check libs services tests scripts bench tools
	$(PY) -m mypy libs/common services tools bench
	$(PY) -m pytest $(PYTEST_ARGS)

## The cluster tier: starts a 3-node Apache Kafka cluster (deploy/local/kafka.sh: Kafka from Maven Central,
## needs java 17 and mvn) unless it runs already, runs tests/cluster on it, and stops it again if it started it.
test-cluster: install
	@was_running=0; deploy/local/kafka.sh status >/dev/null 2>&1 && was_running=1; \
	started=$$(deploy/local/kafka.sh start) || exit 1; echo "$$started" >&2; bootstrap=$$(echo "$$started" | tail -n 1); \
	CV_TEST_KAFKA_BOOTSTRAP=$$bootstrap $(PY) -m pytest tests/cluster -m cluster $(PYTEST_ARGS); rc=$$?; \
	if [ $$was_running = 0 ]; then deploy/local/kafka.sh stop; fi; exit $$rc

## The five services (SQLite under var/cluster-run) on the local Apache Kafka cluster; `make cluster-stop` stops Kafka.
run-cluster: install
	bootstrap=$$(deploy/local/kafka.sh start | tail -n 1) && \
	CV_KAFKA_BOOTSTRAP=$$bootstrap CV_VAR_DIR=$(CURDIR)/var/cluster-run $(PY) scripts/devrun.py

cluster-start: install
	deploy/local/kafka.sh start

cluster-stop:
	deploy/local/kafka.sh stop

lint: install
	$(PY) -m ruff check libs services tests scripts bench tools

typecheck: install
	$(PY) -m mypy libs/common services tools bench

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
