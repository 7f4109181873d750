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
