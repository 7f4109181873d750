# fhai_nb: `make demo` runs the main job, `make test` runs every test. Both set up .venv first.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-latest lock venv lint export clean-nbs bench browsers load-test
venv: $(STAMP)

# .venv installs the exact versions in requirements.lock (what CI tested), then the package itself without resolving.
$(STAMP): pyproject.toml constraints.txt requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

# Refresh requirements.lock from pyproject.toml's ranges (newest releases that fit), in a throw-away venv.
lock:
	PY=$(PY) bash scripts/lock.sh

# Not in CI: every test against the newest releases pyproject.toml allows (torch stays pinned), in .venv-latest.
LATEST := .venv-latest
test-latest:
	test -x $(LATEST)/bin/python || $(PY) -m venv $(LATEST)
	$(LATEST)/bin/pip install -q --upgrade pip
	$(LATEST)/bin/pip install -q -c constraints.txt torch==2.13.0
	$(LATEST)/bin/pip install -q -c constraints.txt --upgrade --upgrade-strategy eager -e ".[dev]"
	FHAI_VENV=$(LATEST) bash scripts/test.sh

# The main job: serve the dashboards (playground, heterogeneity explorer, why federate?, privacy) with workshop settings:
# pre-heated kernels, idle kernels culled after 5 minutes, one thread per kernel. Open the printed URL; Ctrl-C stops it.
# ROOM=N sizes and warms the pre-heated kernels for a workshop of N people first (fhai dashboards --room N).
PORT ?= 8866
POOL_SIZE ?= 2
ROOM ?=
demo: venv
	$(BIN)/python -m fhai_nb.cli dashboards --port $(PORT) $(if $(ROOM),--room $(ROOM),--pool-size $(POOL_SIZE))

test: venv
	bash scripts/test.sh

export: venv
	$(BIN)/nbdev-export

clean-nbs: venv
	$(BIN)/nbdev-clean

# Debian's chromium for the browser tests (scripts/test.sh installs it too when it is missing).
browsers:
	test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Not part of `make test`: a dry run of a workshop room of N (default 30) on this machine: N participants open the
# playground at once (5 in real Chromium, the rest over the kernel and widget protocols) and press Run within 10 s.
N ?= 30
load-test: venv browsers
	$(BIN)/python -m fhai_nb.cli room-check $(N) $(LOAD_ARGS)

# The speed benchmark (issue 4): fhai_nb vectorised vs sequential vs Flower's simulation engine, workloads W1-W4 and
# the scaling plot; results in benchmarks/results/. Flower runs in a loopback-only network namespace (needs root or
# user namespaces); BENCH_ARGS=--skip-flower leaves it out.
bench: venv
	$(BIN)/python -m fhai_nb.bench $(BENCH_ARGS)
