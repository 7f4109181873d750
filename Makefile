# fhai_nb: `make demo` runs the main job, `make test` runs every test. Both set up .venv first.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test venv lint export clean-nbs bench browsers
venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: venv
	$(BIN)/python -m fhai_nb.cli demo

test: venv
	bash scripts/test.sh

export: venv
	$(BIN)/nbdev-export

clean-nbs: venv
	$(BIN)/nbdev-clean

# The speed benchmark (issue 4): fhai_nb vectorised vs sequential vs Flower's simulation engine, workloads W1-W4 and
# the scaling plot; results in benchmarks/results/. Flower runs in a loopback-only network namespace (needs root or
# user namespaces); BENCH_ARGS=--skip-flower leaves it out.
bench: venv
	$(BIN)/python -m fhai_nb.bench $(BENCH_ARGS)
