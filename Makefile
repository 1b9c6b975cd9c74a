# The two commands of the README. `make local`: install everything and deploy the local stack.
# `make test`: run the tests (and the linters CI runs).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: local test install lint

local: install
	$(PY) -m ops local-db start
	$(PY) -m ops local-up

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@if [ -f functions/package.json ]; then (cd functions && npm install --no-audit --no-fund --silent); fi
	touch $@

lint:
	$(VENV)/bin/ruff check .

test: install lint
	$(VENV)/bin/pytest
