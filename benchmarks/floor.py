"""The floor: read a SQLite store's rows with sqlite3 + orjson and fold each party's cash in Decimal.

Why: it is the least any command that answers from the stored records must do — read every
row, decode it, add up exact amounts — with no validation, no book and no projections. The
benchmark prints it beside loopledger's commands so their cost can be read against it.

It knows only the record layout: rows ``(originator_version, state)`` of the eventsourcing table,
each state the orjson bytes ``{"k": kind, "r": event, ...}``, amounts as ``"<decimal> <CUR>"``.
It prints ``{party: cash}`` (USD, as exact decimal text) as JSON, so the benchmark can check it.

    python benchmarks/floor.py STORE.db
"""

from __future__ import annotations

import sqlite3
import sys
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

import orjson

BATCH = 10_000


def _table(db: sqlite3.Connection) -> str:
    """The eventsourcing records table: the one with originator_version and state columns."""
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({name})")}
        if {"originator_version", "state"} <= columns:
            return str(name)
    raise SystemExit(f"no records table in {db}")


def _rows(db: sqlite3.Connection, table: str) -> Iterator[bytes]:
    cursor = db.execute(f"SELECT state FROM {table} ORDER BY originator_version")
    while True:
        page = cursor.fetchmany(BATCH)
        if not page:
            return
        for (state,) in page:
            yield state


def _reversed(db: sqlite3.Connection, table: str) -> set[str]:
    """Ids that a reversal cancels (they and their reversals move no cash).

    Found through the store's event-id index when it has one (a few rows), else by a scan.
    """
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    if "loopledger_ids" in tables:
        positions = [
            p for (p,) in db.execute("SELECT position FROM loopledger_ids WHERE type = 'reversal'")
        ]
        states: list[bytes] = []
        for i in range(0, len(positions), 500):
            chunk = positions[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            query = f"SELECT state FROM {table} WHERE originator_version IN ({marks})"
            states += [s for (s,) in db.execute(query, chunk)]
    else:
        states = [s for s in _rows(db, table) if b'"type":"reversal"' in s]
    targets: set[str] = set()
    for state in states:
        event = orjson.loads(state)["r"]
        if event.get("type") == "reversal":
            targets.add(event["of"])
    return targets


def _usd(text: str) -> Decimal | None:
    amount, _, currency = text.partition(" ")
    return Decimal(amount) if currency in ("", "USD") else None


def fold_cash(path: str) -> dict[str, Decimal]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    table = _table(db)
    skip = _reversed(db, table)
    cash: dict[str, Decimal] = defaultdict(Decimal)
    loans: dict[str, tuple[str, str]] = {}
    grants: dict[str, tuple[str, str, Decimal | None]] = {}
    for state in _rows(db, table):
        record = orjson.loads(state)
        if record["k"] != "event":
            continue
        e = record["r"]
        kind = e["type"]
        if kind == "reversal" or e["id"] in skip:
            continue
        payer = payee = None
        amount: Decimal | None = None
        if kind == "opening_balance":
            payer, payee, amount = "world", e["party"], _usd(e["amount"])
        elif kind == "purchase":
            payer, payee, amount = e["buyer"], e["seller"], _usd(e["amount"])
        elif kind == "investment":
            payer, payee, amount = e["investor"], e["investee"], _usd(e["amount"])
        elif kind == "loan":
            loans[e["id"]] = (e["lender"], e["borrower"])
            payer, payee, amount = e["lender"], e["borrower"], _usd(e["amount"])
        elif kind == "repayment":
            lender, borrower = loans[e["loan"]]
            payer, payee, amount = borrower, lender, _usd(e["amount"])
        elif kind == "warrant_grant":
            grants[e["id"]] = (e["holder"], e["issuer"], _usd(e["strike"]))
        elif kind == "warrant_exercise" and not e.get("cashless"):
            holder, issuer, strike = grants[e["grant"]]
            if strike is not None:
                payer, payee, amount = holder, issuer, Decimal(e["shares"]) * strike
        if amount:
            cash[payer] -= amount  # type: ignore[index]
            cash[payee] += amount  # type: ignore[index]
    db.close()
    return dict(cash)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: floor.py STORE.db")
    cash = fold_cash(sys.argv[1])
    sys.stdout.buffer.write(
        orjson.dumps({p: str(v) for p, v in sorted(cash.items())}, option=orjson.OPT_INDENT_2)
    )


if __name__ == "__main__":
    main()
