"""register, stats, parties and accounts tell what the history file says: each figure is
checked against the bundled history read directly, or against ``balances``."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import pytest
import yaml

from tests.conftest import EXAMPLE


@pytest.fixture
def recorded(cli):
    ran = cli("replay", str(EXAMPLE))
    assert ran.code == 0, ran.err
    return cli


@pytest.fixture(scope="module")
def history() -> dict:
    return yaml.safe_load(EXAMPLE.read_text("utf-8"))


def as_json(cli, *args: str) -> dict:
    ran = cli(*args, "-O", "json")
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


def test_register_filters_by_party_account_and_commodity_and_runs_the_balance(recorded):
    rows = as_json(
        recorded, "register", "--party", "OpenAI", "--account", "assets", "--commodity", "usd"
    )["register"]
    assert rows
    assert {r["party"] for r in rows} == {"openai"}
    assert all(r["account"] == "assets" or r["account"].startswith("assets:") for r in rows)
    assert {r["commodity"] for r in rows} == {"USD"}
    running = Decimal(0)
    for r in rows:
        running += Decimal(r["amount"])
        assert Decimal(r["balance"]) == running, r
    assert [r["position"] for r in rows] == sorted(r["position"] for r in rows)
    held = as_json(recorded, "balances", "--party", "openai")["balances"]
    assert running == sum(
        Decimal(b["amount"])
        for b in held
        if b["commodity"] == "USD" and b["account"].split(":")[0] == "assets"
    )


def test_register_account_filter_takes_whole_components(recorded):
    assert as_json(recorded, "register", "--account", "asset")["register"] == []
    cash = as_json(recorded, "register", "--account", "assets:cash")["register"]
    assert cash and {r["account"] for r in cash} == {"assets:cash"}


def test_register_without_filters_holds_every_posting_of_the_accounts_listing(recorded):
    rows = as_json(recorded, "register")["register"]
    accounts = as_json(recorded, "accounts")["accounts"]
    assert len(rows) == sum(a["postings"] for a in accounts)
    assert Counter((r["party"], r["account"], r["commodity"]) for r in rows) == {
        (a["party"], a["account"], a["commodity"]): a["postings"] for a in accounts
    }
    # Every balance sits on a listed account (an account may also net to zero).
    balances = as_json(recorded, "balances")["balances"]
    listed = {(a["party"], a["account"], a["commodity"]) for a in accounts}
    assert {(b["party"], b["account"], b["commodity"]) for b in balances} <= listed


def test_stats_count_what_the_history_file_holds(recorded, history):
    stats = as_json(recorded, "stats")
    events = history["events"]
    assert stats["events"] == len(events) == 148
    assert stats["parties"] == len(history["parties"])
    assert stats["records"] == len(events) + len(history["parties"])
    dates = sorted(str(e["date"]) for e in events)
    assert (stats["first_date"], stats["last_date"]) == (dates[0], dates[-1])
    per_type = Counter(e["type"] for e in events)
    assert {t: v["events"] for t, v in stats["types"].items()} == dict(per_type)
    for kind, found in stats["types"].items():
        kind_dates = sorted(str(e["date"]) for e in events if e["type"] == kind)
        assert (found["first_date"], found["last_date"]) == (kind_dates[0], kind_dates[-1])


def test_stats_of_a_period_count_only_its_events(recorded, history):
    stats = as_json(recorded, "stats", "-p", "2025Q4")
    inside = [e for e in history["events"] if "2025-10-01" <= str(e["date"]) <= "2025-12-31"]
    assert stats["events"] == len(inside) > 0


def test_parties_lists_ids_names_and_tickers_as_recorded(recorded, history):
    listed = as_json(recorded, "parties")["parties"]
    assert [(p["id"], p["name"], p["ticker"]) for p in listed] == [
        (p["id"], p["name"], p.get("ticker")) for p in history["parties"]
    ]
    for p in listed[:3]:
        named = as_json(recorded, "events", "--party", p["id"])["events"]
        assert p["events"] == len(named), p["id"]
