"""The bundled 2025–2026 history and ``loopledger demo``, the README's first command.

The dataset tests read the YAML itself (not the loaded events, whose ``confidence`` has a
default), so a row without an explicit source or confidence fails here.
"""

from __future__ import annotations

import decimal
import html
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
    assert len(bundled) >= 140


def test_headline_figures_appear_as_recorded(bundled):
    # NVIDIA's letter of intent: up to $100B, in $10B tranches per GW, for at least 10 GW.
    loi = bundled["n01-nvidia-openai-loi"]
    assert (loi["type"], loi["payer"], loi["payee"]) == ("commitment", "nvidia", "openai")
    assert parse_decimal(loi["amount"]) == Decimal("100000000000") and loi["binding"] is False
    assert {parse_decimal(t["amount"]) for t in loi["tranches"]} == {Decimal("10000000000")}
    assert Decimal(str(loi["capacity_gw"])) == 10
    systems = bundled["n02-openai-nvidia-10gw-systems"]
    assert Decimal(str(systems["capacity_gw"])) == 10 and systems["amount"] == "undisclosed"
    # The letter is superseded by a binding $30B stake, its own commitment; the letter cancelled.
    stake = bundled["n10-nvidia-openai-30b-equity"]
    assert parse_decimal(stake["amount"]) == Decimal("30000000000") and "binding" not in stake
    superseded = bundled["n10-nvidia-openai-loi-superseded"]
    assert (superseded["of"], superseded["status"]) == ("n01-nvidia-openai-loi", "cancelled")
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
    assert Decimal(str(ppa["capacity_gw"])) == 6 and ppa["amount"] == "undisclosed"
    # Meta's warrant mirrors it: 160,000,000 shares at $0.01 on a 6 GW deal of undisclosed value.
    meta = bundled["a15-amd-meta-warrant"]
    assert (meta["issuer"], meta["holder"], meta["shares"]) == ("amd", "meta", 160_000_000)
    assert bundled["a14-meta-amd-6gw"]["amount"] == "undisclosed"
    # OpenAI's round closed at $122B ($852B post-money); Amazon's $35B waits on a trigger.
    assert parse_decimal(bundled["w06-openai-valuation-852b"]["valuation"]) == Decimal(
        "852000000000"
    )
    conditional = bundled["w02-amazon-openai-50b"]["tranches"][1]
    assert parse_decimal(conditional["amount"]) == Decimal("35000000000")
    assert str(conditional["expires"]) == "2028-12-31" and conditional["trigger"]
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
        "report.html",
        "loop.svg",
        "loop.png",
        "audit.json",
        "metrics.json",
        "value.json",
        "verify.json",
    ):
        assert (out / name).stat().st_size > 0, name
    # Progress goes to stderr, one line per step; the report to stdout.
    assert "verify" in ran.err and "17 of 17 checks hold" in ran.err.replace("\n", " ")
    for expected in (
        "All 17 checks hold",
        "Loops, by layer",
        "32.42×",  # OpenAI: $749.4B binding and due ÷ ($5.7B × 365 ÷ 90)
        "31.51%",  # Amazon: $75B paid + promised to OpenAI and Anthropic ÷ their $238B of AWS
        "Meta's warrant on AMD",
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
    assert ("committed", ("nvidia", "openai", "oracle", "nvidia")) in paths
    assert ("all", ("coreweave", "openai", "coreweave")) in paths
    assert not {p for _, p in paths if set(p) == {"amd", "openai"}}  # a01 has no disclosed value
    value = json.loads((out / "value.json").read_text())
    [warrant] = [h for h in value["holdings"] if h.get("instrument") == "a05-amd-openai-warrant"]
    assert warrant["if_all_hurdles_met"]["value"] == "95998400000.00"
    assert "$96.0B = $95,998,400,000" in report
    for loop in ("NVIDIA → OpenAI → Oracle → NVIDIA", "CoreWeave → OpenAI → CoreWeave"):
        assert f"| {loop} |" in report, loop
    metrics = json.loads((out / "metrics.json").read_text())
    coverage = [
        f
        for f in metrics["figures"]
        if (f["metric"], f["subject"]) == ("commitment_coverage.binding", "openai")
    ]
    assert coverage[0]["value"] == "32.418169" and "32.42×" in report
    assert json.loads((out / "verify.json").read_text())["ok"] is True
    # The rounding rule is printed with the figures.
    assert "half-even" in report


def test_demo_picture_names_every_party_and_the_png_opens(demo):
    import matplotlib.image

    _, out = demo
    svg = (out / "loop.svg").read_text(encoding="utf-8")
    for name in ("NVIDIA", "OpenAI", "Oracle", "Microsoft", "CoreWeave", "Amazon", "Anthropic"):
        assert re.search(re.escape(name), svg), name
    pixels = matplotlib.image.imread(out / "loop.png")
    assert pixels.shape[0] >= 600 and pixels.shape[1] >= 800


def test_demo_starts_fresh_each_time_unless_given_a_store(cli, tmp_path):
    first = cli("demo", "--out", "d")
    second = cli("demo", "--out", "d")
    assert first.code == second.code == 0
    assert "148 new, 0 already present" in first.err and "148 new, 0 already present" in second.err
    # With --store the demo keeps what is there: replaying the same file changes nothing.
    again = cli("demo", "--out", "d2", "--store", str(tmp_path / "d" / "loopledger.db"))
    assert again.code == 0 and "0 new, 148 already present" in again.err
    assert not (tmp_path / "d2" / "loopledger.db").exists()
    # The group's --store works the same way.
    group = cli("--store", str(tmp_path / "d" / "loopledger.db"), "demo", "--out", "d3")
    assert group.code == 0 and "0 new, 148 already present" in group.err


def test_demo_as_of_shows_the_letter_before_the_round(cli):
    ran = cli("demo", "--out", "d", "--as-of", "2025-12-31")
    assert ran.code == 0, ran.err
    audit = json.loads(Path("d/audit.json").read_text())
    [loop] = [
        c
        for c in audit["cycles"]
        if (c["layer"], c["path"]) == ("committed", ["nvidia", "openai", "oracle", "nvidia"])
    ]
    # The $100B letter (n01) is the NVIDIA → OpenAI leg until 2026-02-27, so Oracle's $40B of
    # planned NVIDIA spending (o08) is the bottleneck; at head it is NVIDIA's $30B stake (n10).
    assert loop["bottleneck"] == "40000000000"
    assert "as of **2025-12-31**" in Path("d/report.md").read_text()


def test_demo_without_the_audit_plugin_still_reports_the_rest(cli, monkeypatch):
    monkeypatch.setenv("LOOPLEDGER_DISABLE_PLUGINS", "audit")
    ran = cli("demo", "--out", "d")
    assert ran.code == 0, ran.err
    assert "Skipped: the audit plugin is disabled." in ran.out
    assert "32.42×" in ran.out
    assert not Path("d/loop.svg").exists()


def test_verify_and_audit_on_the_bundled_store(cli, example):
    assert cli("replay", str(example)).code == 0
    assert cli("verify").code == 0
    ran = cli("audit", "--json")
    assert ran.code == 0
    cycles = json.loads(ran.out)["cycles"]
    loops = {(c["layer"], frozenset(c["path"])): c for c in cycles if len(c["path"]) == 3}
    assert ("committed", frozenset({"amazon", "openai"})) in loops
    coreweave = loops[("all", frozenset({"coreweave", "openai"}))]
    # c04 CoreWeave → OpenAI $0.35B of stock (equity); c03 + c05 + c06 OpenAI → CoreWeave
    # $22.4B of compute (committed): the loop crosses layers, so only `all` has it.
    assert coreweave["bottleneck"] == "350000000"
    # Each leg says which layers carry it: the stock (equity) one way, the compute contracts
    # (committed) the other; no cash either way.
    legs = {(e["source"], e["target"]): e["layers"] for e in coreweave["edges"]}
    assert legs == {("coreweave", "openai"): ["equity"], ("openai", "coreweave"): ["committed"]}


def test_the_docs_page_shows_the_demos_current_figures(demo):
    """docs/the-2025-2026-loop.md quotes the demo; if the data or a metric changes, this fails."""
    _, out = demo
    report = (out / "report.md").read_text(encoding="utf-8")
    page = (Path(__file__).resolve().parent.parent / "docs" / "the-2025-2026-loop.md").read_text(
        encoding="utf-8"
    )
    for figure in re.findall(r"\| ([^|]*?(?:\$[\d,.]+B|[\d.]+×|[\d.]+%)[^|]*?) \|", report):
        if figure.strip():
            assert figure in page, f"docs/the-2025-2026-loop.md does not show the demo's {figure!r}"
    for line in ("All 17 checks hold", "$95,998,400,000"):
        assert line in report
    ran, _ = demo
    for step in re.findall(r"^(✓ .*?) \(\d+\.\d+ s\)$", ran.err, flags=re.MULTILINE):
        assert step in page, f"docs/the-2025-2026-loop.md does not show the demo's step {step!r}"


@pytest.mark.postgres
def test_demo_into_postgresql_gives_the_same_figures_as_sqlite(cli, pg_store_url):
    """--store with a PostgreSQL URL: the same report, figure for figure, as the SQLite run."""
    on_sqlite = cli("demo", "--out", "lite")
    on_postgres = cli("demo", "--out", "pg", "--store", pg_store_url)
    assert on_sqlite.code == on_postgres.code == 0, on_postgres.err
    assert "148 new, 0 already present" in on_postgres.err
    for name in ("audit.json", "metrics.json", "value.json"):
        assert Path("lite", name).read_text() == Path("pg", name).read_text(), name
    checks = json.loads(Path("pg/verify.json").read_text())
    assert checks["ok"] is True and checks["records"] == 171
    # The server's password never reaches the files or the terminal.
    from urllib.parse import urlparse

    password = urlparse(pg_store_url).password
    assert password and ":***@" in checks["store"]
    for name in ("report.md", "report.html", "verify.json", "audit.json"):
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
    assert "holds 148 events about 23 parties" in text
    for figure in ("32.42×", "31.51%", "$95,998,400,000", "Meta's warrant on AMD"):
        assert figure in text and figure in ran.out, figure
    # The demo on the same history computes the same figures.
    assert cli("demo", "--out", "d").code == 0
    for name in ("audit.json", "metrics.json", "value.json"):
        assert Path("r", name).read_text() == Path("d", name).read_text(), name


def test_report_with_an_unknown_format_is_bad_input(cli, example):
    assert cli("replay", str(example)).code == 0
    ran = cli("report", "--format", "pdf")
    assert ran.code == 2
    assert "no renderer named 'pdf' (registered: html, markdown, text)" in ran.err
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
        assert not Path("d", stale).exists(), stale  # they were as of 2026-07-02
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
    assert "| SoftBank Group | $49.0B | — | — | no revenue report recorded |" in report
    # Amazon's promises wait on triggers (an IPO filing, milestones): none is due.
    assert "| Amazon (AWS) | — | $55.0B | — | no revenue report recorded |" in report


def test_demo_loops_say_what_each_leg_stands_on_and_firm_ones_lead(demo):
    """At head every listed loop is firm (the $100B letter was replaced by a binding stake);
    each cycle and each of its edges in audit.json carries its standing, and the report's loop
    table says it per leg, e.g. Amazon ⇄ OpenAI in `all`: $15B paid + $35B promised, then AWS."""
    _, out = demo
    audit = json.loads((out / "audit.json").read_text())
    assert audit["cycles"] and all(c["standing"] == "firm" for c in audit["cycles"])
    [amazon] = [
        c
        for c in audit["cycles"]
        if (c["layer"], c["path"]) == ("all", ["amazon", "openai", "amazon"])
    ]
    assert [e["standing"] for e in amazon["edges"]] == ["paid+binding", "binding"]
    assert amazon["edges"][0]["parts"] == {"paid": "15000000000", "binding": "35000000000"}
    assert all("standing" in e for e in audit["edges"]["committed"])
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| firm: paid+binding · binding |" in report
    assert "Loops by standing: 18 firm, 0 partly non-binding, 0 non-binding only." in report


def test_demo_before_the_round_labels_the_letter_of_intent_loop(cli):
    ran = cli("demo", "--out", "d", "--as-of", "2025-12-31")
    assert ran.code == 0, ran.err
    report = Path("d/report.md").read_text(encoding="utf-8")
    row = next(
        line
        for line in report.splitlines()
        if line.startswith("| committed | NVIDIA → OpenAI → Oracle → NVIDIA |")
    )
    assert "partly non-binding (firm ≥ $0.0B): non-binding · binding · binding" in row
    # Listed after every firm loop of that date.
    loops = [line for line in report.splitlines() if line.startswith(("| committed |", "| all |"))]
    assert all("| firm:" in line for line in loops[: loops.index(row)])


def test_demo_warrants_side_by_side_with_dilution_and_no_headline_zero(demo):
    _, out = demo
    report = (out / "report.md").read_text(encoding="utf-8")
    header = next(line for line in report.splitlines() if "warrant on AMD (`a15" in line)
    assert "OpenAI's warrant on AMD (`a05-amd-openai-warrant`)" in header  # one table, beside
    # 160,000,000 ÷ 1,630,000,000 = 9.82%; ÷ (1,630,000,000 + 320,000,000) = 8.21%.
    assert report.count("9.82% of AMD's 1,630,000,000 shares; 8.21% with every recorded AMD") == 2
    assert "now, expected" not in report
    assert (
        "| now, deliveries met, price hurdle not touched (barrier model at spot) | $74.9B | $74.5B |"
        in report
    )
    assert "**stale**: 35 days before 2026-07-02" in report  # AMD's last mark is 2026-05-28
    value = json.loads((out / "value.json").read_text())
    [openai] = [h for h in value["holdings"] if h.get("instrument") == "a05-amd-openai-warrant"]
    assert openai["scenarios"]["deliveries_not_met"] == "0"
    assert openai["intrinsic_at_spot"]["stale"] is True
    audit = json.loads((out / "audit.json").read_text())
    fair = {w["grant"]: w for w in audit["warrants"]}
    assert fair["a05-amd-openai-warrant"]["basis"] == "grant-date fair value"
    assert Decimal(fair["a15-amd-meta-warrant"]["value"]) < Decimal(
        fair["a15-amd-meta-warrant"]["intrinsic_at_grant"]
    )


def test_demo_coverage_has_one_denominator_and_a_schedule(demo):
    _, out = demo
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "binding, owed over the terms" in report and "binding, due" not in report
    assert "a stated run-rate is never used" in report
    assert "| OpenAI | $7.0B | $74.0B | $74.2B | $66.0B | $66.0B | $71.0B | $391.4B |" in report
    metrics = json.loads((out / "metrics.json").read_text())
    [openai] = [
        f
        for f in metrics["figures"]
        if (f["metric"], f["subject"]) == ("commitment_coverage.binding", "openai")
    ]
    due = openai["detail"]["falls_due"]
    with decimal.localcontext(decimal.Context(prec=200)):  # 50-digit parts: sum them exactly
        assert sum(Decimal(v) for v in due.values()) == Decimal(openai["detail"]["owed"])
    [anthropic] = [
        f
        for f in metrics["figures"]
        if (f["metric"], f["subject"]) == ("commitment_coverage.binding", "anthropic")
    ]
    assert anthropic["value"] is None and "run_rate_reference" in anthropic["detail"]


def test_demo_concentration_never_rests_on_one_booking(demo):
    _, out = demo
    metrics = json.loads((out / "metrics.json").read_text())
    for f in metrics["figures"]:
        if f["metric"].startswith("customer_concentration") and f["value"] is not None:
            assert f["detail"]["sales_base"]["sales"] >= 3, f["subject"]
    nvidia = [
        f
        for f in metrics["figures"]
        if (f["metric"], f["subject"]) == ("customer_concentration.top1", "nvidia")
    ]
    assert not nvidia or nvidia[0]["value"] != "1.000000"


def test_demo_lists_the_sources_of_its_figures_in_every_format(demo):
    _, out = demo
    report = (out / "report.md").read_text(encoding="utf-8")
    sources = report[report.index("## Sources") :]
    # The Markdown report writes '&' as '&amp;' (safe text); a link destination decodes it.
    links = [html.unescape(u) for u in re.findall(r"\[[^\]]+\]\((https://[^)]+)\)", sources)]
    assert len(links) > 20
    # The loops' and warrants' events are among them, with their confidence.
    assert "| stated | w02-amazon-openai-50b" in sources
    assert "a05-amd-openai-warrant" in sources
    listed = json.loads((out / "sources.json").read_text())["sources"]
    assert {s["url"] for s in listed} >= set(links)
    assert {s["confidence"] for s in listed} <= {
        "stated",
        "reported",
        "estimate",
        "stated, reported",
        "stated, estimate",
        "reported, estimate",
        "stated, reported, estimate",
    }
    page = (out / "report.html").read_text(encoding="utf-8")
    assert all(f'href="{html.escape(u, quote=True)}"' in page for u in links)
