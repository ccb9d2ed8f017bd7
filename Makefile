# Two commands from a fresh clone: `make run` and `make test`. Both create .venv from the pinned lock first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
APP    ?= actors-examples/app.yaml
CHAOS_MINUTES ?= 5

.PHONY: venv test lint typecheck unit run actors node-deps registry-deps browser-deps bench bench-scripts soak chaos clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy

unit: venv
	$(BIN)/pytest tests/unit -q

test: lint typecheck node-deps registry-deps browser-deps
	$(BIN)/pytest -q

# The actor rebuild tests need the pinned AssemblyScript toolchain; without npm they skip, saying so.
node-deps:
	@if command -v npm >/dev/null 2>&1; then bash actors-examples/build.sh --deps; \
	else echo "npm not found: the tests that rebuild actors will be skipped"; fi

# The OCI tests run the CNCF distribution registry (Debian's docker-registry); without it they skip, saying so.
registry-deps:
	@if command -v docker-registry >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >/dev/null) \
		|| echo "could not install docker-registry: the OCI registry tests will be skipped"; \
	else echo "docker-registry not found (apt-get as root installs it): the OCI registry tests will be skipped"; fi

# The dashboard's browser tests drive Debian's chromium (never a downloaded browser); without it they skip, saying so.
browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		(DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null)) \
		|| echo "could not install chromium: the dashboard's browser tests will be skipped"; \
	else echo "chromium not found and apt-get is not usable here: the dashboard's browser tests will be skipped"; fi

run: venv
	$(BIN)/lattice up --app $(APP)

actors: venv
	bash actors-examples/build.sh

# One table of the performance measures (bench/table.py runs every bench/rows/*.py), a few minutes at most.
bench: venv
	$(BIN)/python bench/table.py

# The standalone benchmark scripts (codec, compile cache, OCI pulls, live fuzz, …), each with its own report.
bench-scripts: venv
	@for b in $(filter-out bench/soak.py bench/chaos.py bench/table.py,$(wildcard bench/*.py)); do echo "== $$b"; $(BIN)/python $$b || exit 1; done

soak: venv
	$(BIN)/python bench/soak.py

# Random SIGKILLs of hosts, providers and NATS nodes under load (docs/reliability.md); CHAOS_ARGS="--json --seed N".
chaos: venv
	$(BIN)/python bench/chaos.py --minutes $(CHAOS_MINUTES) $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
