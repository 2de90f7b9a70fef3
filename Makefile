# ledgerbridge: the README's two set-up commands (demo, test) and their helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck contracts pytest screenshots bench bench-emulator faults lock clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,postgresql]'
	@touch $(STAMP)

# The emulator, ledgerbridge and a demo shop synced to QuickBooks; serves the console until
# Ctrl-C (ledgerbridge demo --help: size, time scale, port, --check).
demo: $(STAMP)
	$(BIN)/ledgerbridge demo

test: $(STAMP) lint typecheck contracts pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

contracts: $(STAMP)
	$(BIN)/lint-imports

# PostgreSQL and Redis (scripts/test-services installs and starts them) run the store, the
# governor and the jobs tests a second time; without them those variants are skipped.
# scripts/browser installs Debian's Chromium for the console's browser tests.
pytest: $(STAMP)
	scripts/test-services
	scripts/browser
	set -a && . ./.services/env && set +a && $(BIN)/pytest

# The console's pages as docs/screenshots/*.png, taken by its browser tests (Debian's Chromium).
screenshots: $(STAMP)
	scripts/browser
	LEDGERBRIDGE_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/browser

# A tenant's sync at Intuit's ceiling against the emulator, the python-quickbooks baseline, the
# job system with ten companies, and the engine's own overhead (figures, not a pass/fail test):
# a table, and benchmarks/results/latest.json. About seven minutes.
bench: $(STAMP)
	$(BIN)/python benchmarks/sync_throughput.py

# Throughput of the emulator on one core (figures, not a pass/fail test).
bench-emulator: $(STAMP)
	$(BIN)/python benchmarks/emulator_throughput.py

# The fault matrix at 1,000 records: a bulk sync under each fault the emulator injects, the
# table of synced, visibly failed, duplicated and lost records (benchmarks/results/faults.json).
faults: $(STAMP)
	$(BIN)/python benchmarks/faults.py

# Re-pin every dependency to what resolves today (commit the result).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | sort > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf .services $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
