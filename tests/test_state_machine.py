"""The state machine over the real store, on memory and on SQLite (``ci`` profile: 500 runs each)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from invariants.machine import ledger_machine

RUNS = 500 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 25
MACHINE = settings(
    max_examples=RUNS,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

TestLedgerOnMemory = ledger_machine("memory").TestCase
TestLedgerOnMemory.settings = MACHINE

TestLedgerOnSQLite = ledger_machine("sqlite").TestCase
TestLedgerOnSQLite.settings = MACHINE
