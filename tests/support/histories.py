"""Deal-history files for the measured guarantees (crash, concurrency): many events, quick to
parse (JSON), each file's parties its own, and the exact balances they must leave.

Why not the bundled history: the guarantees are about volume and timing — a kill lands in the
middle of an import only if the import takes a while, and concurrent writers collide only if
they write at the same time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any


def history(prefix: str, events: int, *, start: int = 0) -> dict[str, Any]:
    """``events`` events of party ``prefix``: an opening balance and purchases from a supplier.

    Every amount is exact and distinct enough that a lost or duplicated event shows in the
    balances; ids are ``<prefix>-<n>`` so files of different prefixes never collide.
    """
    buyer, seller = f"{prefix}-buyer", f"{prefix}-seller"
    listed: list[dict[str, Any]] = [
        {
            "id": f"{prefix}-ob",
            "date": "2025-01-01",
            "type": "opening_balance",
            "party": buyer,
            "amount": "1000000000",
        }
    ]
    for n in range(start, start + events - 1):
        listed.append(
            {
                "id": f"{prefix}-{n}",
                "date": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "type": "purchase",
                "buyer": buyer,
                "seller": seller,
                "amount": f"{n % 997 + 1}.{n % 100:02d}",
                "item": "GPUs",
            }
        )
    return {
        "loopledger": 1,
        "parties": [{"id": buyer, "name": buyer.upper()}, {"id": seller, "name": seller.upper()}],
        "events": listed,
    }


def write_history(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def expected_cash(data: dict[str, Any]) -> dict[str, Decimal]:
    """Cash each party must hold after the file is recorded exactly once."""
    cash: dict[str, Decimal] = {}
    for e in data["events"]:
        amount = Decimal(e["amount"])
        if e["type"] == "opening_balance":
            cash[e["party"]] = cash.get(e["party"], Decimal(0)) + amount
        else:
            cash[e["buyer"]] = cash.get(e["buyer"], Decimal(0)) - amount
            cash[e["seller"]] = cash.get(e["seller"], Decimal(0)) + amount
    return cash


def cash_of(store_url: str) -> dict[str, Decimal]:
    """Cash per party as the store folds it (in this process, from scratch)."""
    import ledger

    with ledger.open(store_url) as book:
        rows = book.query("balances", result=book.run(use_checkpoint=False, save_checkpoint=False))
    return {
        r["party"]: Decimal(r["amount"])
        for r in rows
        if r["account"] == "assets:cash" and r["party"] != "world"
    }


def loopledger(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``loopledger ARGS`` as its own process (as a user would), output captured."""
    return subprocess.Popen(
        [sys.executable, "-c", "from ledger.faces.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LOOPLEDGER_LOAD_PLUGINS": "", **(env or {})},
    )


def finished(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err
