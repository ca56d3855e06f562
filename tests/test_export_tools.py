"""The real hledger, ledger-cli and beancount accept loopledger's exports — of the bundled
history and of a generated 10,000-event history — and compute exactly loopledger's balances,
per party, account and commodity."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from benchmarks.generate import history as generated_history
from tests.conftest import EXAMPLE, run_cli
from tests.support.tools import (
    beancount_balances,
    hledger_balances,
    ledger_balances,
    loopledger_balances,
)

pytestmark = pytest.mark.tools

TOOLS = {
    "hledger": (".journal", hledger_balances),
    "ledger": (".ledger", ledger_balances),
    "beancount": (".beancount", beancount_balances),
}
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """SQLite stores of the bundled history, every event type, and 10,000 generated events."""
    base = tmp_path_factory.mktemp("exports")
    doc = generated_history(10_000)
    # The header first: a JSON history is read as a stream, so parties come before events.
    generated = base / "generated-10k.json"
    generated.write_bytes(orjson.dumps({k: doc[k] for k in sorted(doc, key="events".__eq__)}))
    found = {}
    for name, files in {
        "bundled": [EXAMPLE],
        "every-type": [DATA / "every-type.yaml"],
        "generated-10k": [generated],
    }.items():
        url = str(base / f"{name}.db")
        ran = run_cli("--store", url, "replay", *map(str, files))
        assert ran.code == 0, ran.err
        found[name] = url
    return found


@pytest.fixture(scope="module")
def balances(stores: dict[str, str]) -> dict[str, dict]:
    """loopledger's own balances of each store (``balances --json``), computed once."""
    found = {}
    for name, url in stores.items():
        ran = run_cli("--store", url, "balances", "--json")
        assert ran.code == 0, ran.err
        found[name] = loopledger_balances(ran.out)
    return found


@pytest.mark.parametrize("history", ["bundled", "every-type", "generated-10k"])
@pytest.mark.parametrize("fmt", sorted(TOOLS))
def test_the_tool_accepts_the_export_and_its_balances_are_loopledgers(
    stores, balances, tmp_path, history, fmt
):
    suffix, balances_of = TOOLS[fmt]
    out = tmp_path / f"{history}{suffix}"
    ran = run_cli("--store", stores[history], "export", "--format", fmt, "--out", str(out))
    assert ran.code == 0, ran.err
    ours = balances[history]
    theirs = balances_of(out)
    assert ours, "nothing to compare"
    missing = {k: v for k, v in ours.items() if theirs.get(k) != v}
    extra = {k: v for k, v in theirs.items() if k not in ours}
    assert not missing and not extra, (list(missing.items())[:5], list(extra.items())[:5])


@pytest.mark.parametrize("fmt", sorted(TOOLS))
def test_an_export_as_of_a_date_balances_as_of_that_date(stores, tmp_path, fmt):
    suffix, balances_of = TOOLS[fmt]
    day = "2025-09-30"
    out = tmp_path / f"cut{suffix}"
    store = stores["bundled"]
    ran = run_cli("--store", store, "export", "--format", fmt, "--as-of", day, "--out", str(out))
    assert ran.code == 0, ran.err
    ours = loopledger_balances(run_cli("--store", store, "balances", "--as-of", day, "--json").out)
    everything = loopledger_balances(run_cli("--store", store, "balances", "--json").out)
    assert ours != everything  # the cut matters
    assert balances_of(out) == ours
    assert dt.date.fromisoformat(day)  # the same date both sides


def test_exports_carry_each_events_id_source_and_confidence(stores, tmp_path):
    store = stores["bundled"]
    event = "a05-amd-openai-warrant"
    for fmt in ("hledger", "ledger", "beancount"):
        text = run_cli("--store", store, "export", "--format", fmt).out
        block = text[text.index(event) - 200 : text.index(event) + 2500]
        assert "confidence" in block and "stated" in block and "ir.amd.com" in block
        assert "160000000" in block  # the exact share count, never rounded
    beancount = run_cli("--store", store, "export", "--format", "beancount").out
    assert f'id: "{event}"' in beancount
    assert "Equity:Amd:Warrants-Issued:Openai" in beancount


def test_csv_export_sums_to_the_balances(stores):
    import csv
    import io
    from decimal import Decimal

    store = stores["every-type"]
    rows = list(
        csv.DictReader(io.StringIO(run_cli("--store", store, "export", "--format", "csv").out))
    )
    sums: dict[tuple[str, str, str], Decimal] = {}
    for r in rows:
        key = (r["party"], r["account"], r["commodity"])
        sums[key] = sums.get(key, Decimal(0)) + Decimal(r["quantity"])
    assert {k: v for k, v in sums.items() if v} == loopledger_balances(
        run_cli("--store", store, "balances", "--json").out
    )
    assert {r["id"] for r in rows} >= {"buy-1", "ex-2"}
    assert "wrong-buy" not in {r["id"] for r in rows}  # a reversed event posts nothing


@pytest.mark.parametrize("fmt", sorted(TOOLS))
def test_the_comparison_catches_a_cent_moved_in_an_export_the_tool_still_accepts(
    stores, balances, tmp_path, fmt
):
    """The check is not vacuous: a balanced edit of one transaction (a cent more on both
    sides) is accepted by the tool, and its balances then differ from loopledger's at exactly
    the two accounts touched."""
    suffix, balances_of = TOOLS[fmt]
    text = run_cli("--store", stores["every-type"], "export", "--format", fmt).out
    cash = "assets:openai:cash" if fmt != "beancount" else "Assets:Openai:Cash"
    contributed = "equity:openai:contributed" if fmt != "beancount" else "Equity:Openai:Contributed"
    start = text.index("ob-openai")  # the opening balance's transaction
    end = text.index("\n\n", start)
    head, block, tail = text[:start], text[start:end], text[end:]
    for account, amount in ((cash, "10000000000"), (contributed, "-10000000000")):
        line = f"  {account}  {amount} USD\n"
        assert block.count(line) == 1, (account, fmt, block)
        block = block.replace(line, f"  {account}  {amount}.01 USD\n")
    text = head + block + tail
    tampered = tmp_path / f"tampered{suffix}"
    tampered.write_text(text, encoding="utf-8")
    theirs = balances_of(tampered)
    ours = balances["every-type"]
    differ = {k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k)}
    assert differ == {("openai", "assets:cash", "USD"), ("openai", "equity:contributed", "USD")}
    assert theirs[("openai", "assets:cash", "USD")] - ours[("openai", "assets:cash", "USD")] == (
        Decimal("0.01")
    )


COLLIDING = """loopledger: 1
parties:
  - {id: a_b, name: A underscore B}
  - {id: a.b, name: A dot B}
  - {id: a-b, name: A dash B}
  - {id: big, name: Big, ticker: USD}
events:
  - {id: ob-1, date: 2025-01-01, type: opening_balance, party: a_b, amount: "1.10"}
  - {id: ob-2, date: 2025-01-02, type: opening_balance, party: a.b, amount: "2.20"}
  - {id: ob-3, date: 2025-01-03, type: opening_balance, party: a-b, amount: "3.30"}
  - {id: inv, date: 2025-01-04, type: investment, investor: a-b, investee: big, amount: "1", shares: "7"}
"""


@pytest.mark.parametrize("fmt", sorted(TOOLS))
def test_names_that_collide_stay_apart_as_siblings(tmp_path, fmt):
    """``a_b``, ``a.b`` and ``a-b`` are one beancount component (``A-B``), and a ticker may
    spell a currency: the export keeps them apart, never as parent and child (ledger-cli's
    and beancount's totals of a parent include its children), and each tool's balances are
    still loopledger's."""
    suffix, balances_of = TOOLS[fmt]
    history = tmp_path / "colliding.yaml"
    history.write_text(COLLIDING, encoding="utf-8")
    store = str(tmp_path / "c.db")
    assert run_cli("--store", store, "replay", str(history)).code == 0
    out = tmp_path / f"colliding{suffix}"
    ran = run_cli("--store", store, "export", "--format", fmt, "--out", str(out))
    assert ran.code == 0, ran.err
    ours = loopledger_balances(run_cli("--store", store, "balances", "--json").out)
    assert balances_of(out) == ours
    text = out.read_text("utf-8")
    declared = re.findall(r"^(?:\d{4}-\d{2}-\d{2} open|account) (\S+)", text, re.MULTILINE)
    assert len(declared) == len(set(declared))
    parents = {":".join(a.split(":")[:i]) for a in declared for i in range(1, a.count(":") + 1)}
    assert not parents & set(declared), sorted(parents & set(declared))


def test_under_ci_a_missing_tool_is_a_failure_and_locally_a_skip(monkeypatch):
    from tests.support.tools import tool

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="under CI a missing tool is a failure"):
        tool("no-such-accounting-tool")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="is not installed"):
        tool("no-such-accounting-tool")
