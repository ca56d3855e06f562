"""Long listings are written as plain aligned text with every row, like the rich table's."""

from __future__ import annotations

import io
import json
from decimal import Decimal

from ledger.faces import long_table
from ledger.faces.long_table import write_long_table
from ledger.faces.output import grouped


def test_columns_are_aligned_and_numbers_flush_right():
    out = io.StringIO()
    n = write_long_table(
        "T", ["party", "amount"], [("a", "1.00"), ("longer", "1,000.00")], right=["amount"], out=out
    )
    assert n == 2
    assert out.getvalue().splitlines() == [
        "T",
        "party     amount",
        "------  --------",
        "a           1.00",
        "longer  1,000.00",
    ]


def test_balances_past_the_threshold_lists_what_json_lists(cli, example, monkeypatch):
    assert cli("replay", str(example)).code == 0
    listing = json.loads(cli("balances", "--json").out)["balances"]
    monkeypatch.setattr(long_table, "LONG", 1)
    monkeypatch.setattr("plugins.balances.commands.LONG", 1)
    text = cli("balances").out.splitlines()
    assert text[1].split() == ["party", "account", "commodity", "amount"]
    rows = [line.split() for line in text[3:]]
    expected = [
        [r["party"], r["account"], r["commodity"], grouped(Decimal(r["amount"]), r["commodity"])]
        for r in listing
    ]
    assert rows == expected and len(rows) > 100
