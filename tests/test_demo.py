"""The bundled 2025 history and ``loopledger demo``, the README's first command.

The dataset tests read the YAML itself (not the loaded events, whose ``confidence`` has a
default), so a row without an explicit source or confidence fails here.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from ledger.model.amounts import parse_decimal
from tests.conftest import EXAMPLE

CONFIDENCES = {"stated", "reported", "estimate"}


@pytest.fixture(scope="module")
def bundled() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return {e["id"]: e for e in data["events"]}


def test_every_bundled_event_has_a_source_and_a_confidence(bundled):
    missing = [
        i
        for i, e in bundled.items()
        if not str(e.get("source") or "").strip() or e.get("confidence") not in CONFIDENCES
    ]
    assert not missing, f"events without an explicit source or confidence: {missing}"
    assert len(bundled) >= 60


def test_headline_figures_appear_as_recorded(bundled):
    # NVIDIA's letter of intent: up to $100B, in $10B tranches per GW, for at least 10 GW.
    loi = bundled["n01-nvidia-openai-loi"]
    assert (loi["type"], loi["payer"], loi["payee"]) == ("commitment", "nvidia", "openai")
    assert parse_decimal(loi["amount"]) == Decimal("100000000000") and loi["binding"] is False
    assert {parse_decimal(t["amount"]) for t in loi["tranches"]} == {Decimal("10000000000")}
    assert Decimal(str(loi["capacity_gw"])) == 10
    systems = bundled["n02-openai-nvidia-10gw-systems"]
    assert Decimal(str(systems["capacity_gw"])) == 10
    # The later revision is an amendment of the letter, not a new deal.
    assert bundled["n10-nvidia-openai-30b-revision"]["of"] == "n01-nvidia-openai-loi"
    # AMD's warrant: 160,000,000 shares at $0.01, final hurdle $600, vesting on 6 GW.
    warrant = bundled["a05-amd-openai-warrant"]
    assert (warrant["issuer"], warrant["holder"]) == ("amd", "openai")
    assert int(warrant["shares"]) == 160_000_000
    assert parse_decimal(warrant["strike"]) == Decimal("0.01")
    conditions = [c for t in warrant["tranches"] for c in t["conditions"]]
    hurdles = [Decimal(str(c["at_least"])) for c in conditions if c["metric"] == "share_price"]
    assert max(hurdles) == 600
    deliveries = [Decimal(str(c["at_least"])) for c in conditions if c["metric"] == "delivered_gw"]
    assert max(deliveries) == 6
    assert (
        "not" in warrant["note"].lower()
    )  # the undisclosed tranche schedule is said, not invented
    ppa = bundled["a01-openai-amd-6gw-ppa"]
    assert Decimal(str(ppa["capacity_gw"])) == 6
    # OpenAI → Oracle ~$300B (4.5 GW); Stargate $500B; OpenAI's H1-2025 revenue ~$4.3B.
    oracle = bundled["o02-openai-oracle-300b-compute"]
    assert parse_decimal(oracle["amount"]) == Decimal("300000000000")
    assert Decimal(str(oracle["capacity_gw"])) == Decimal("4.5")
    assert parse_decimal(bundled["s01-stargate-500b-programme"]["amount"]) == Decimal(
        "500000000000"
    )
    h1 = bundled["r01-openai-revenue-h1-2025"]
    assert parse_decimal(h1["amount"]) == Decimal("4300000000")
    assert (str(h1["period_start"]), str(h1["period_end"])) == ("2025-01-01", "2025-06-30")


def test_the_source_articles_mistranslations_are_documented():
    docs = (Path(__file__).resolve().parent.parent / "docs").glob("*.md")
    text = "\n".join(p.read_text(encoding="utf-8") for p in docs)
    for wrong, right in (
        ("$5000 billion", "$500"),
        ("$1000 billion", "$100"),
        ("$45 billion", "4.3"),
    ):
        assert wrong in text and right in text


# --- the demo ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Any, Path]:
    """One demo run in a fresh directory, as a new user runs it (no --store, no --out)."""
    import os

    from tests.conftest import run_cli

    where = tmp_path_factory.mktemp("newuser")
    old = Path.cwd()
    saved = {k: os.environ.get(k) for k in ("LOOPLEDGER_LOAD_PLUGINS", "LOOPLEDGER_STORE")}
    os.environ["LOOPLEDGER_LOAD_PLUGINS"] = ""
    os.environ["LOOPLEDGER_STORE"] = str(where / "not-this.db")  # the demo makes its own store
    os.chdir(where)
    try:
        ran = run_cli("demo")
    finally:
        os.chdir(old)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return ran, where / "loopledger-demo"


def test_demo_reports_the_loop_and_writes_its_files(demo):
    ran, out = demo
    assert ran.code == 0, ran.err
    assert not (out.parent / "not-this.db").exists()
    for name in (
        "loopledger.db",
        "report.md",
        "loop.svg",
        "loop.png",
        "audit.json",
        "metrics.json",
        "value.json",
        "verify.json",
    ):
        assert (out / name).stat().st_size > 0, name
    # Progress goes to stderr, one line per step; the report to stdout.
    assert "verify" in ran.err and "14 of 14 checks hold" in ran.err.replace("\n", " ")
    for expected in (
        "All 14 checks hold",
        "NVIDIA → OpenAI → NVIDIA",
        "AMD → OpenAI → AMD",
        "29.74×",  # OpenAI: $594.7B binding and due ÷ $20B run-rate
        "65.14%",  # AMD: $13.03B warrant fair value ÷ $20B purchase commitment
        "$95,998,400,000",  # 160,000,000 × (600 − 0.01)
        "What to run next",
    ):
        assert expected in ran.out, expected


def test_demo_report_md_matches_the_json_it_rests_on(demo):
    _, out = demo
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "![Flows between the parties, loops highlighted](loop.svg)" in report
    audit = json.loads((out / "audit.json").read_text())
    paths = {(c["layer"], tuple(c["path"])) for c in audit["cycles"]}
    assert ("committed", ("nvidia", "openai", "nvidia")) in paths
    assert ("all", ("amd", "openai", "amd")) in paths
    value = json.loads((out / "value.json").read_text())
    [warrant] = [h for h in value["holdings"] if h.get("instrument") == "a05-amd-openai-warrant"]
    assert warrant["if_all_hurdles_met"]["value"] == "95998400000.00"
    assert "$96.0B = $95,998,400,000" in report
    metrics = json.loads((out / "metrics.json").read_text())
    coverage = [
        f
        for f in metrics["figures"]
        if (f["metric"], f["subject"]) == ("commitment_coverage.binding", "openai")
    ]
    assert coverage[0]["value"] == "29.736667" and "29.74×" in report
    assert json.loads((out / "verify.json").read_text())["ok"] is True
    # The rounding rule is printed with the figures.
    assert "half-even" in report


def test_demo_picture_names_every_party_and_the_png_opens(demo):
    import matplotlib.image

    _, out = demo
    svg = (out / "loop.svg").read_text(encoding="utf-8")
    for name in ("NVIDIA", "OpenAI", "AMD", "Oracle", "Microsoft", "CoreWeave", "Stargate"):
        assert re.search(re.escape(name), svg), name
    pixels = matplotlib.image.imread(out / "loop.png")
    assert pixels.shape[0] >= 600 and pixels.shape[1] >= 800


def test_demo_starts_fresh_each_time_unless_given_a_store(cli, tmp_path):
    first = cli("demo", "--out", "d")
    second = cli("demo", "--out", "d")
    assert first.code == second.code == 0
    assert "68 new, 0 already present" in first.err and "68 new, 0 already present" in second.err
    # With --store the demo keeps what is there: replaying the same file changes nothing.
    again = cli("demo", "--out", "d2", "--store", str(tmp_path / "d" / "loopledger.db"))
    assert again.code == 0 and "0 new, 68 already present" in again.err
    assert not (tmp_path / "d2" / "loopledger.db").exists()
    # The group's --store works the same way.
    group = cli("--store", str(tmp_path / "d" / "loopledger.db"), "demo", "--out", "d3")
    assert group.code == 0 and "0 new, 68 already present" in group.err


def test_demo_as_of_shows_the_letter_before_its_revision(cli):
    ran = cli("demo", "--out", "d", "--as-of", "2025-12-31")
    assert ran.code == 0, ran.err
    audit = json.loads(Path("d/audit.json").read_text())
    [loop] = [
        c
        for c in audit["cycles"]
        if (c["layer"], c["path"]) == ("committed", ["nvidia", "openai", "nvidia"])
    ]
    assert loop["bottleneck"] == "100000000000"  # n01 before n10 revised it to $30B
    assert "as of **2025-12-31**" in Path("d/report.md").read_text()


def test_demo_without_the_audit_plugin_still_reports_the_rest(cli, monkeypatch):
    monkeypatch.setenv("LOOPLEDGER_DISABLE_PLUGINS", "audit")
    ran = cli("demo", "--out", "d")
    assert ran.code == 0, ran.err
    assert "Skipped: the audit plugin is disabled." in ran.out
    assert "29.74×" in ran.out
    assert not Path("d/loop.svg").exists()


def test_verify_and_audit_on_the_bundled_store(cli, example):
    assert cli("replay", str(example)).code == 0
    assert cli("verify").code == 0
    ran = cli("audit", "--json")
    assert ran.code == 0
    cycles = json.loads(ran.out)["cycles"]
    loops = {frozenset(c["path"]): c for c in cycles if len(c["path"]) == 3}
    assert frozenset({"nvidia", "openai"}) in loops
    assert frozenset({"amd", "openai"}) in loops
    amd = loops[frozenset({"amd", "openai"})]
    # a01 OpenAI → AMD $20B committed; a05 AMD → OpenAI warrant (equity): the loop crosses layers.
    assert amd["layer"] == "all" and amd["bottleneck"] == "20000000000"
    # Each leg says which layers carry it: the warrant (equity) one way, the purchase
    # commitment (committed) the other — the loop lives in the committed/equity layers.
    legs = {(e["source"], e["target"]): e["layers"] for e in amd["edges"]}
    assert legs == {("amd", "openai"): ["equity"], ("openai", "amd"): ["committed"]}


def test_the_docs_page_shows_the_demos_current_figures(demo):
    """docs/the-2025-loop.md quotes the demo; if the data or a metric changes, this fails."""
    _, out = demo
    report = (out / "report.md").read_text(encoding="utf-8")
    page = (Path(__file__).resolve().parent.parent / "docs" / "the-2025-loop.md").read_text(
        encoding="utf-8"
    )
    for figure in re.findall(r"\| ([^|]*?(?:\$[\d,.]+B|[\d.]+×|[\d.]+%)[^|]*?) \|", report):
        if figure.strip():
            assert figure in page, f"docs/the-2025-loop.md does not show the demo's {figure!r}"
    for line in ("All 14 checks hold", "$95,998,400,000"):
        assert line in report
    ran, _ = demo
    for step in re.findall(r"^(✓ .*?) \(\d+\.\d+ s\)$", ran.err, flags=re.MULTILINE):
        assert step in page, f"docs/the-2025-loop.md does not show the demo's step {step!r}"


@pytest.mark.postgres
def test_demo_into_postgresql_gives_the_same_figures_as_sqlite(cli, pg_store_url):
    """--store with a PostgreSQL URL: the same report, figure for figure, as the SQLite run."""
    on_sqlite = cli("demo", "--out", "lite")
    on_postgres = cli("demo", "--out", "pg", "--store", pg_store_url)
    assert on_sqlite.code == on_postgres.code == 0, on_postgres.err
    assert "68 new, 0 already present" in on_postgres.err
    for name in ("audit.json", "metrics.json", "value.json"):
        assert Path("lite", name).read_text() == Path("pg", name).read_text(), name
    checks = json.loads(Path("pg/verify.json").read_text())
    assert checks["ok"] is True and checks["records"] == 80
    # The server's password never reaches the files or the terminal.
    from urllib.parse import urlparse

    password = urlparse(pg_store_url).password
    assert password and ":***@" in checks["store"]
    for name in ("report.md", "verify.json", "audit.json"):
        assert password not in Path("pg", name).read_text(), name
    assert password not in on_postgres.out + on_postgres.err


# --- loopledger report: the same report on any store ------------------------------------------


def test_report_on_a_store_records_nothing_and_matches_the_demo(cli, example):
    assert cli("replay", str(example)).code == 0
    ran = cli("report", "--out", "r", "--format", "text")
    assert ran.code == 0, ran.err
    assert "0 new" not in ran.err and "record into" not in ran.err  # nothing is recorded
    text = Path("r/report.txt").read_text(encoding="utf-8")
    assert text.startswith("Circular financing, audited\n")
    assert "holds 68 events about 12 parties" in text
    for figure in ("29.74×", "65.14%", "$95,998,400,000", "AMD → OpenAI → AMD"):
        assert figure in text and figure in ran.out, figure
    # The demo on the same history computes the same figures.
    assert cli("demo", "--out", "d").code == 0
    for name in ("audit.json", "metrics.json", "value.json"):
        assert Path("r", name).read_text() == Path("d", name).read_text(), name


def test_report_with_an_unknown_format_is_bad_input(cli, example):
    assert cli("replay", str(example)).code == 0
    ran = cli("report", "--format", "pdf")
    assert ran.code == 2
    assert "no renderer named 'pdf' (registered: markdown, text)" in ran.err
    assert not Path("loopledger-report").exists()


def test_report_on_an_empty_store_says_so(cli, store_path):
    from ledger.store import Store

    Store(str(store_path)).close()  # an empty store; a missing one is an error (test_backends)
    ran = cli("report", "--out", "r")
    assert ran.code == 0, ran.err
    report = Path("r/report.md").read_text(encoding="utf-8")
    assert "holds no events yet" in report
    assert "No warrant is recorded." in report


def test_report_exits_1_when_a_check_fails(cli, example, tmp_path):
    import sqlite3

    assert cli("replay", str(example)).code == 0
    with sqlite3.connect(tmp_path / "test.db") as db:
        [(table,)] = db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE '%events%' "
            "AND name NOT LIKE 'loopledger%' LIMIT 1"
        ).fetchall()
        db.execute(f"DELETE FROM {table} WHERE rowid = (SELECT max(rowid) FROM {table})")
    ran = cli("report", "--out", "r")
    assert ran.code == 1
    assert "checks FAILED" in Path("r/report.md").read_text(encoding="utf-8")


def test_demo_never_replaces_a_store_it_did_not_make(cli, example, tmp_path):
    """`demo --out .` beside the user's ./loopledger.db must not wipe it."""
    mine = tmp_path / "loopledger.db"
    assert cli("--store", str(mine), "replay", str(example)).code == 0
    before = mine.read_bytes()
    ran = cli("demo", "--out", ".")
    assert ran.code == 2
    assert "already exists and was not made by 'loopledger demo'" in ran.err
    assert f"--store {Path('.') / 'loopledger.db'}" in ran.err
    assert mine.read_bytes() == before
    assert not Path("report.md").exists()


def test_a_rerun_leaves_no_stale_files_and_touches_nothing_else(cli, monkeypatch):
    assert cli("demo", "--out", "d").code == 0
    Path("d/mine.txt").write_text("keep me")
    monkeypatch.setenv("LOOPLEDGER_DISABLE_PLUGINS", "audit")
    assert cli("demo", "--out", "d", "--as-of", "2025-06-30").code == 0
    for stale in ("audit.json", "loop.svg", "loop.png"):
        assert not Path("d", stale).exists(), stale  # they were as of 2026-02-20
    assert Path("d/mine.txt").read_text() == "keep me"
    assert json.loads(Path("d/metrics.json").read_text())["as_of"] == "2025-06-30"


def test_demo_without_valuation_says_which_metrics_it_skipped(cli, monkeypatch):
    monkeypatch.setenv("LOOPLEDGER_DISABLE_PLUGINS", "valuation")
    ran = cli("demo", "--out", "d")
    assert ran.code == 0, ran.err
    out = " ".join(ran.out.split())
    assert "Skipped: commitment_coverage (needs valuation.positions)" in out
    assert "Skipped: vendor_financing (needs valuation.positions)" in out
    assert "Skipped: the valuation plugin is disabled." in out


def test_coverage_lists_debtors_without_a_revenue_report(demo):
    _, out = demo
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| Anthropic | $30.0B | — | — | no revenue or run-rate report recorded |" in report
