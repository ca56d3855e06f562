# Two commands do all set-up on a fresh machine (see README.md):
#   make demo   — replay the bundled 2025 deal history into SQLite and report on the loop
#   make test   — lint, type-check and run the whole test suite (CI runs exactly this)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

.PHONY: install demo test lint bench bench-micro reliability clean
install: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/loopledger demo

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	HYPOTHESIS_PROFILE=ci $(BIN)/pytest

# The user's path at 100k and 1M events, each command paired with ledger-cli and hledger
# (installed with apt when absent); e.g. make bench BENCH_ARGS="--sizes 100000 --out bench.md"
BENCH_ARGS ?=
bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_cli.py $(BENCH_ARGS)

# In-process figures of single layers (load, append, fold, checkpoints, tracing, cycles)
bench-micro: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_replay.py
	$(BIN)/python benchmarks/bench_checkpoints.py
	$(BIN)/python benchmarks/bench_audit.py
	$(BIN)/python benchmarks/bench_scenarios.py

# Crash, concurrency, tampering, hostile input, fuzz, secrets, encryption: the guarantee tests
# run with their figures recorded, and docs/reliability.md written from them
reliability: $(BIN)/.installed
	$(BIN)/python benchmarks/reliability.py

clean:
	rm -rf $(VENV) loopledger.db* loopledger-demo .pytest_cache .mypy_cache .ruff_cache .hypothesis
