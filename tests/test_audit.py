"""The circular-flow audit plugin: the real store and fold, the Python API, the CLI, the invariants.

Every expected figure is derived by hand in the comment next to it. Amounts are USD; ``B`` is
10^9. JSON decimals are exact strings with trailing fractional zeros dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings

import plugins.audit.flows as flows_module
import plugins.audit.tracing as tracing_module
from invariants.history import fold_states
from invariants.strategies import histories
from invariants.violation import Context
from ledger import book as book_module
from ledger.engine import Engine, Result
from ledger.histories.recording import replay
from ledger.store import Store
from ledger.testing import check_projection, load_text, plugin_manager
from plugins.audit.api import audit, exact, trace_conservation
from plugins.audit.flows import NAME, PROJECTION, cash_moves, layer_edges
from plugins.audit.plugin import check_trace_conservation, check_trace_reconciles
from plugins.audit.render import short_name

B = D(10) ** 9

# --- helpers ---------------------------------------------------------------------------------------


def history_yaml(*events: str, parties: str = "nvidia: NVIDIA, openai: OpenAI") -> str:
    """A deal-history file: ``parties`` as ``id: Name, …``; each event one flow-style mapping."""
    declared = "\n".join(
        f"  - {{id: {pid.strip()}, name: {name.strip()}}}"
        for pid, name in (p.split(":") for p in parties.split(","))
    )
    listed = "\n".join(f"  - {e}" for e in events)
    return f"loopledger: 1\ncurrency: USD\nparties:\n{declared}\nevents:\n{listed}\n"


def run(text: str, as_of: dt.date | None = None) -> Result:
    """Record ``text`` in a fresh in-memory store and fold it with every built-in projection."""
    plugins = plugin_manager()
    with Store("memory:") as store:
        engine = Engine(store, plugins.projections())
        replay(engine, [load_text(text)])
        return engine.run(as_of=as_of, keep_entries=True)


def cli_audit(cli, write, text: str, *args: str) -> dict:
    path = write("history.yaml", text)
    replayed = cli("replay", str(path))
    assert replayed.code == 0, replayed.err
    ran = cli("audit", "--json", *args)
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


def cycles_of(report: dict, layer: str) -> list[tuple[list[str], str, bool]]:
    return [
        (c["path"], c["bottleneck"], c["time_respecting"])
        for c in report["cycles"]
        if c["layer"] == layer
    ]


def party(report: dict, pid: str) -> dict:
    [row] = [r for r in report["round_trips"] if r["party"] == pid]
    return row


# --- the issue's example ----------------------------------------------------------------------------

ISSUE = history_yaml(
    '{id: ob-openai, date: 2025-01-01, type: opening_balance, party: openai, amount: "10B"}',
    '{id: ob-nvidia, date: 2025-01-02, type: opening_balance, party: nvidia, amount: "50B"}',
    '{id: inv, date: 2025-01-03, type: investment, investor: nvidia, investee: openai, amount: "10B"}',
    '{id: po, date: 2025-01-04, type: purchase, buyer: openai, seller: nvidia, amount: "10B", item: systems}',
)


@pytest.mark.parametrize(
    ("rule", "returned", "share"),
    [
        # OpenAI's pool before it buys: $10B of its own (untagged, from the world) then NVIDIA's
        # $10B (tagged departed-NVIDIA). It spends $10B of that $20B pool on NVIDIA systems:
        # pro-rata: 10 × 10/20 = $5B of NVIDIA's money goes home → share 5/10 = 0.5;
        ("pro-rata", "5000000000", "0.5"),
        # fifo: the oldest $10B is OpenAI's own opening balance → $0 returns;
        ("fifo", "0", "0"),
        # lifo: the newest $10B is exactly NVIDIA's investment → all $10B returns.
        ("lifo", "10000000000", "1"),
    ],
)
def test_issue_example_money_returns_by_rule(cli, write, rule, returned, share):
    report = cli_audit(cli, write, ISSUE, "--rule", rule)
    assert report["rule"] == rule and report["as_of"] == "2025-01-04"  # the last event
    nvidia = party(report, "nvidia")
    assert nvidia == {
        "party": "nvidia",
        "departed": "10000000000",
        "returned": returned,
        "share": share,
    }
    # OpenAI paid $10B to NVIDIA; nothing came back to OpenAI under any rule.
    assert party(report, "openai")["departed"] == "10000000000"
    assert party(report, "openai")["returned"] == "0"
    # NVIDIA's purchase revenue is the $10B; the own-money part is what returned.
    [seller] = report["sellers"]
    assert seller["seller"] == "nvidia" and seller["purchase_revenue"] == "10000000000"
    assert seller["own_money_returned"] == returned
    # Cash layer: nvidia→openai $10B (inv, Jan 3), openai→nvidia $10B (po, Jan 4): one loop,
    # bottleneck min(10, 10) = $10B, in date order.
    [cash] = [c for c in report["cycles"] if c["layer"] == "cash"]
    assert cash["path"] == ["nvidia", "openai", "nvidia"]
    assert cash["bottleneck"] == "10000000000" and cash["time_respecting"] is True
    assert cash["events"] == ["inv", "po"]
    # Equity: only nvidia→openai (the stake) — no loop. All: the investment is cash and a stake
    # but counts once, so nvidia→openai is $10B (not $20B) and the loop's bottleneck is $10B.
    assert cycles_of(report, "equity") == []
    assert cycles_of(report, "all") == [(["nvidia", "openai", "nvidia"], "10000000000", True)]
    assert [(e["source"], e["amount"]) for e in report["edges"]["all"]] == [
        ("nvidia", "10000000000"),
        ("openai", "10000000000"),
    ]
    assert cycles_of(report, "committed") == []


def test_issue_example_lifo_pair_names_the_route(cli, write):
    report = cli_audit(cli, write, ISSUE, "--rule", "lifo")
    # The $10B that came home went nvidia → openai → nvidia; pro-rata cannot tell routes apart.
    assert report["pairs"] == [
        {
            "origin": "nvidia",
            "via": "openai",
            "amount": "10000000000",
            "paths": [{"path": ["nvidia", "openai", "nvidia"], "amount": "10000000000"}],
        }
    ]
    pro_rata = cli("audit", "--json")
    assert pro_rata.code == 0 and json.loads(pro_rata.out)["pairs"][0]["paths"] is None


@pytest.mark.parametrize(
    ("as_of", "loops", "returned"),
    [
        # Before the purchase (Jan 4) only the investment exists: no loop, nothing returned.
        ("2025-01-03", [], "0"),
        # On the day of the purchase the loop closes: pro-rata $5B (see above).
        ("2025-01-04", [(["nvidia", "openai", "nvidia"], "10000000000", True)], "5000000000"),
    ],
)
def test_as_of_cuts_before_and_after_the_closing_leg(cli, write, as_of, loops, returned):
    report = cli_audit(cli, write, ISSUE, "--as-of", as_of, "--layer", "cash")
    assert report["as_of"] == as_of and report["layers"] == ["cash"]
    assert cycles_of(report, "cash") == loops
    assert party(report, "nvidia")["returned"] == returned


def test_the_terminal_shows_loops_round_trips_and_sellers(cli, write):
    cli("replay", str(write("h.yaml", ISSUE)))
    ran = cli("audit")
    assert ran.code == 0, ran.err
    # Names, not ids; $B with one decimal; the rounding is stated.
    assert "NVIDIA → OpenAI → NVIDIA" in ran.out
    assert "$10.0B" in ran.out and "$5.0B" in ran.out  # bottleneck; pro-rata return
    assert "50.0%" in ran.out  # NVIDIA's share 0.5
    assert "rounded half-even" in ran.out
    for heading in ("Loops", "Round trips", "Sellers"):
        assert heading in ran.out


# --- more shapes through the real store -----------------------------------------------------------

THREE = history_yaml(
    '{id: ob-a, date: 2025-01-01, type: opening_balance, party: a, amount: "100"}',
    '{id: ob-b, date: 2025-01-02, type: opening_balance, party: b, amount: "50"}',
    '{id: ab, date: 2025-01-03, type: investment, investor: a, investee: b, amount: "40"}',
    '{id: bc, date: 2025-01-04, type: purchase, buyer: b, seller: c, amount: "30", item: chips}',
    '{id: ca, date: 2025-01-05, type: purchase, buyer: c, seller: a, amount: "30", item: chips}',
    parties="a: A, b: B, c: C",
)


def test_three_party_loop():
    result = run(THREE)
    # Cash: a→b 40, b→c 30, c→a 30: one loop a→b→c→a, bottleneck 30, dates Jan 3, 4, 5.
    report = audit(result, rule="pro-rata", layers="cash")
    [cycle] = report.cycles
    assert cycle.path == ("a", "b", "c", "a") and cycle.bottleneck == 30
    assert cycle.time_respecting and cycle.event_ids == ("ab", "bc", "ca")
    # pro-rata: b's pool is 50 own + 40 departed-a; b pays 30 → 30 × 40/90 = 13.333… → rounded
    # down at 1e-8: 13.33333333 of a's money reaches c, and c pays all of its pool back to a.
    assert report.trace.party("a").returned == D("13.33333333")
    assert report.to_json()["round_trips"][0] == {
        "party": "a",
        "departed": "40",
        "returned": "13.33333333",
        "share": "0.33333333325",  # 13.33333333 / 40
    }
    # lifo: b's newest dollars are a's 40 → 30 of them go round; fifo: b's oldest are its own.
    assert audit(result, rule="lifo").trace.party("a").returned == 30
    assert audit(result, rule="fifo").trace.party("a").returned == 0


def test_several_rounds_through_one_loop():
    legs = []
    for r in range(3):  # only a's 10 exists; it goes a→b→c→a three times
        for i, (payer, payee) in enumerate((("a", "b"), ("b", "c"), ("c", "a"))):
            legs.append(
                f"{{id: r{r}-{payer}{payee}, date: 2025-02-{1 + 3 * r + i:02d}, type: purchase,"
                f' buyer: {payer}, seller: {payee}, amount: "10", item: chips}}'
            )
    text = history_yaml(
        '{id: ob-a, date: 2025-01-01, type: opening_balance, party: a, amount: "10"}',
        *legs,
        parties="a: A, b: B, c: C",
    )
    result = run(text)
    for rule in ("pro-rata", "fifo", "lifo"):
        report = audit(result, rule=rule, layers="cash")
        # Each edge aggregates three payments of 10: bottleneck 30, nine events, in order.
        [cycle] = report.cycles
        assert cycle.bottleneck == 30 and len(cycle.event_ids) == 9 and cycle.time_respecting
        # Every dollar a pays comes back (3 × 10); b's first comes back in round 2 (20 of 30).
        assert report.trace.party("a").returned == report.trace.party("a").departed == 30
        assert report.trace.party("b").returned == 20
        # Sellers: a sold 30 to c, all of it a's own money coming home.
        assert report.trace.seller("a").own_money_returned == 30


def test_a_reversal_removes_the_edge_and_the_loop():
    reversed_ = ISSUE + (
        '  - {id: rev, date: 2025-02-01, type: reversal, of: po, reason: "booked twice"}\n'
    )
    report = audit(run(reversed_), layers=("cash", "all"))
    # The purchase is gone from the effective history: openai→nvidia has no edge, so no loop,
    # and nothing is revenue or returned.
    assert report.cycles == ()
    assert [(e.source, e.target) for e in report.edges["cash"]] == [("nvidia", "openai")]
    assert report.trace.party("nvidia").returned == 0 and report.trace.sellers == ()
    # As of the day before the reversal it has not happened yet: the loop is there.
    before = audit(run(reversed_, as_of=dt.date(2025, 1, 31)), layers="cash")
    assert [c.path for c in before.cycles] == [("nvidia", "openai", "nvidia")]


COMMITTED = history_yaml(
    # x promises to buy 5B of y's systems; y promises to invest 2B in x. No cash moves yet.
    '{id: cx, date: 2025-03-01, type: commitment, payer: x, payee: y, amount: "5B", kind: purchase}',
    '{id: cy, date: 2025-03-02, type: commitment, payer: y, payee: x, amount: "2B", kind: investment}',
    '{id: ob-y, date: 2025-04-01, type: opening_balance, party: y, amount: "1B"}',
    # y pays 0.5B of its promise: outstanding y→x 2 − 0.5 = 1.5B.
    '{id: dy, date: 2025-04-02, type: investment, investor: y, investee: x, amount: "0.5B", commitment: cy}',
    # x cancels: outstanding x→y 0, so the committed loop is gone.
    "{id: kx, date: 2025-05-01, type: amendment, of: cx, status: cancelled}",
    parties="x: X, y: Y",
)


def test_a_loop_that_only_exists_in_the_committed_layer():
    report = audit(run(COMMITTED, as_of=dt.date(2025, 3, 31)))
    # committed: x→y 5B, y→x 2B → loop, bottleneck 2B. No cash, no stakes: no other loop but
    # the union (all), which holds the same two edges.
    assert [(c.layer, c.path, c.bottleneck) for c in report.cycles] == [
        ("committed", ("x", "y", "x"), 2 * B),
        ("all", ("x", "y", "x"), 2 * B),
    ]
    assert report.trace.parties == ()  # no cash moved
    [edge] = [e for e in report.edges["committed"] if e.source == "y"]
    assert edge.event_ids == ("cy",) and edge.amount == 2 * B


def test_draw_downs_and_cancellations_net_the_committed_layer():
    drawn = audit(run(COMMITTED, as_of=dt.date(2025, 4, 30)))
    # After y's 0.5B draw: committed y→x = 1.5B (events cy, dy); bottleneck 1.5B.
    [committed] = drawn.cycles_in("committed")
    assert committed.bottleneck == D("1.5") * B
    assert committed.event_ids == ("cx", "cy", "dy")
    # all: y→x = 1.5B outstanding + 0.5B paid (cash; the same event as a stake counts once) = 2B.
    [union] = drawn.cycles_in("all")
    assert union.bottleneck == 2 * B
    # After x's cancellation nothing is owed x→y: no loop in any layer.
    assert audit(run(COMMITTED)).cycles == ()


def test_a_loop_out_of_time_order():
    # a→b in March, b→c in February, c→a in January: every rotation steps back in time.
    #   a→b(Mar) b→c(Feb)✗ · b→c(Feb) c→a(Jan)✗ · c→a(Jan) a→b(Mar) b→c(Feb)✗
    text = history_yaml(
        *(
            f'{{id: ob-{p}, date: 2025-01-01, type: opening_balance, party: {p}, amount: "100"}}'
            for p in "abc"
        ),
        '{id: ca, date: 2025-01-15, type: purchase, buyer: c, seller: a, amount: "7", item: x}',
        '{id: bc, date: 2025-02-15, type: purchase, buyer: b, seller: c, amount: "8", item: x}',
        '{id: ab, date: 2025-03-15, type: purchase, buyer: a, seller: b, amount: "9", item: x}',
        parties="a: A, b: B, c: C",
    )
    [cycle] = audit(run(text), layers="cash").cycles
    assert cycle.path == ("a", "b", "c", "a") and cycle.bottleneck == 7
    assert cycle.time_respecting is False


def test_repayment_with_interest_is_one_move_and_reconciles():
    text = history_yaml(
        '{id: ob-l, date: 2025-01-01, type: opening_balance, party: l, amount: "1000"}',
        '{id: ln, date: 2025-01-02, type: loan, lender: l, borrower: b, amount: "100"}',
        '{id: ob-b, date: 2025-01-03, type: opening_balance, party: b, amount: "50"}',
        # 110 = 100 principal + 10 interest, one payment b → l.
        '{id: rp, date: 2025-06-01, type: repayment, loan: ln, amount: "110"}',
        parties="l: Lender, b: Borrower",
    )
    result = run(text)
    assert [
        (m.event_id, m.payer, m.payee, m.amount, m.kind) for m in cash_moves(result.entries)
    ] == [
        ("ob-l", "world", "l", 1000, "opening_balance"),
        ("ln", "l", "b", 100, "loan"),
        ("ob-b", "world", "b", 50, "opening_balance"),
        ("rp", "b", "l", 110, "repayment"),
    ]
    # b's pool: 100 (l's) then 50 (own); it pays 110 of 150.
    # pro-rata: 110 × 100/150 = 73.333333333… → 73.33333333 returns to l;
    # fifo: the oldest 100 are l's → 100; lifo: 50 own first, then 60 of l's → 60.
    returned = {
        r: audit(result, rule=r).trace.party("l").returned for r in ("pro-rata", "fifo", "lifo")
    }
    assert returned == {"pro-rata": D("73.33333333"), "fifo": 100, "lifo": 60}
    context = context_of(result)
    assert check_trace_reconciles(context) == [] and check_trace_conservation(context) == []


def test_currencies_are_audited_apart():
    text = history_yaml(
        '{id: ob, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "5B EUR"}',
        '{id: inv, date: 2025-01-02, type: investment, investor: nvidia, investee: openai, amount: "3B EUR"}',
        '{id: po, date: 2025-01-03, type: purchase, buyer: openai, seller: nvidia, amount: "1B EUR", item: x}',
    )
    result = run(text)
    assert audit(result).cycles == () and audit(result).trace.parties == ()  # nothing in USD
    eur = audit(result, currency="EUR", layers="cash")
    # openai's pool is all nvidia's 3B; it pays 1B of it back under every rule.
    assert [c.bottleneck for c in eur.cycles] == [1 * B]
    assert eur.trace.party("nvidia").returned == 1 * B


# --- warrants in the equity layer -----------------------------------------------------------------


def warrant_history(price_line: str) -> str:
    return history_yaml(
        '{id: cm, date: 2025-10-05, type: commitment, payer: openai, payee: amd, amount: "20B", kind: purchase}',
        *([price_line] if price_line else []),
        "{id: w, date: 2025-10-05, type: warrant_grant, issuer: amd, holder: openai, shares: 1000,"
        ' strike: "0.01", expiry: 2030-10-05, tranches: [{id: all, shares: 1000}]}',
        '{id: late, date: 2025-10-06, type: price, party: amd, per_share: "203"}',
        parties="amd: AMD, openai: OpenAI",
    )


def test_warrants_are_valued_at_the_grant_date_intrinsic_value():
    report = audit(
        run(warrant_history('{id: p, date: 2025-10-03, type: price, party: amd, per_share: "164"}'))
    )
    # Last price on or before the grant date (Oct 5) is Oct 3's 164, not Oct 6's 203:
    # 1000 × (164 − 0.01) = 163,990.
    [w] = report.to_json()["warrants"]
    assert (w["value"], w["price"], w["price_date"], w["note"]) == (
        "163990",
        "164",
        "2025-10-03",
        None,
    )
    # all: openai→amd 20B committed, amd→openai 163,990 stake → loop with bottleneck 163,990.
    [loop] = report.cycles_in("all")
    assert loop.bottleneck == 163_990 and loop.path == ("amd", "openai", "amd")


def test_a_warrant_without_a_price_is_worth_zero_and_says_so():
    report = audit(run(warrant_history("")))
    [w] = report.to_json()["warrants"]
    assert w["value"] == "0" and w["price"] is None and "no price" in w["note"]
    [loop] = report.cycles_in("all")
    assert loop.bottleneck == 0
    assert report.to_json()["cycles"][0]["notes"] == [f"warrant 'w': {w['note']}"]


# --- the bundled 2025 example ---------------------------------------------------------------------


def loops(report: dict, layer: str) -> dict[tuple[str, ...], str]:
    return {tuple(c["path"]): c["bottleneck"] for c in report["cycles"] if c["layer"] == layer}


def test_bundled_example_loops(cli, example):
    assert cli("replay", str(example)).code == 0
    report = json.loads(cli("audit", "--json").out)
    committed, equity, union = (loops(report, layer) for layer in ("committed", "equity", "all"))
    # At head (2026-07-02): n10 NVIDIA→OpenAI $30B stake (n01's $100B letter is cancelled);
    # o02 OpenAI→Oracle $300B; o08 Oracle→NVIDIA $40B of planned spending — all promises, so the
    # loop is in the committed layer, bottleneck min(30, 300, 40) = $30B, and out of date order
    # (o08 May 2025, o02 Sep 2025, n10 Feb 2026).
    assert committed[("nvidia", "openai", "oracle", "nvidia")] == "30000000000"
    [oracle] = [
        c
        for c in report["cycles"]
        if c["path"] == ["nvidia", "openai", "oracle", "nvidia"] and c["layer"] == "committed"
    ]
    assert oracle["time_respecting"] is False
    # OpenAI's 10 GW of NVIDIA systems (n02) has no disclosed value: no NVIDIA ⇄ OpenAI loop.
    assert ("nvidia", "openai", "nvidia") not in committed | union
    # m01 Microsoft→OpenAI $13B, $11.6B funded → $1.4B outstanding; m03 OpenAI→Microsoft $250B.
    assert committed[("microsoft", "openai", "microsoft")] == "1400000000"
    # y02 Microsoft→Anthropic $5B; y03 Anthropic→Microsoft $30B.
    assert committed[("anthropic", "microsoft", "anthropic")] == "5000000000"
    # w02 Amazon→OpenAI $50B less the $15B paid (w03) = $35B promised; w01 + w05 = $138B of AWS.
    assert committed[("amazon", "openai", "amazon")] == "35000000000"
    # In the union the paid $15B counts too: min(15 + 35, 138) = $50B.
    assert union[("amazon", "openai", "amazon")] == "50000000000"
    # y10 Google→Anthropic $40B, $10B paid; y11 Anthropic→Google $200B: committed 30, all 40.
    assert committed[("anthropic", "google", "anthropic")] == "30000000000"
    assert union[("anthropic", "google", "anthropic")] == "40000000000"
    # CoreWeave's $350M of stock to OpenAI (c04, equity) against OpenAI's $22.4B of CoreWeave
    # compute (c03 + c05 + c06): only the union has it, at $0.35B, in date order.
    [coreweave] = [c for c in report["cycles"] if c["path"] == ["coreweave", "openai", "coreweave"]]
    assert (coreweave["layer"], coreweave["bottleneck"]) == ("all", "350000000")
    assert coreweave["time_respecting"] is True
    # AMD's warrant to OpenAI is worth 160,000,000 × (164 − 0.01) = $26,238,400,000 intrinsic
    # at the grant date (p04 is the last AMD price on or before 2025-10-05); the equity layer
    # carries its grant-date fair value instead — the valuation plugin's barrier model, the same
    # figure vendor financing deducts — and says so. The 6 GW it rests on (a01) has no
    # disclosed value, so no AMD ⇄ OpenAI loop has a bottleneck to show.
    [amd] = [w for w in report["warrants"] if w["grant"] == "a05-amd-openai-warrant"]
    assert amd["intrinsic_at_grant"] == "26238400000" and amd["price_date"] == "2025-10-03"
    metrics = json.loads(cli("metrics", "--json", "-m", "vendor_financing").out)
    [vf] = [
        f for f in metrics["figures"] if (f["metric"], f["subject"]) == ("vendor_financing", "amd")
    ]
    [fair] = [
        w
        for c in vf["detail"]["buyers_without_recorded_purchases"].values()
        for w in c["warrants"]
        if w["grant"] == "a05-amd-openai-warrant"
    ]
    assert D(amd["fair_value_at_grant"]) == D(fair["fair_value_at_grant"]) == D(amd["value"])
    assert amd["basis"] == "grant-date fair value"
    assert D(amd["value"]) < D(amd["intrinsic_at_grant"])
    assert ("amd", "openai", "amd") not in union
    assert equity == {}
    # Cash: nobody's money comes back in the recorded payments.
    assert loops(report, "cash") == {}
    assert all(r["returned"] == "0" for r in report["round_trips"])
    # Biggest first.
    amounts = [D(c["bottleneck"]) for c in report["cycles"]]
    assert amounts == sorted(amounts, reverse=True)


def test_bundled_example_as_of_end_2025(cli, example):
    assert cli("replay", str(example)).code == 0
    ran = cli("audit", "--json", "--as-of", "2025-12-31", "--layer", "committed")
    report = json.loads(ran.out)
    # Before the 2026 round NVIDIA's $100B letter (n01) is the NVIDIA → OpenAI leg:
    # min(100, 300, 40) = $40B, Oracle's planned NVIDIA spending (o08).
    assert loops(report, "committed")[("nvidia", "openai", "oracle", "nvidia")] == "40000000000"
    assert report["layers"] == ["committed"] and {c["layer"] for c in report["cycles"]} == {
        "committed"
    }
    # --min-amount hides the smaller loops (Anthropic ⇄ Microsoft $5B, Microsoft ⇄ OpenAI $1.4B).
    big = json.loads(cli("audit", "--json", "--min-amount", "10B", "--as-of", "2025-12-31").out)
    assert min(D(c["bottleneck"]) for c in big["cycles"]) >= 10 * B
    assert ("anthropic", "microsoft", "anthropic") not in loops(big, "committed")


def test_bundled_example_verifies_with_the_audit_invariants(cli, example):
    assert cli("replay", str(example)).code == 0
    ran = cli("verify", "--json")
    assert ran.code == 0, ran.out
    checks = {c["name"]: c for c in json.loads(ran.out)["checks"]}
    assert checks["audit.trace-conservation"]["ok"] and checks["audit.trace-reconciles"]["ok"]


def test_graph_svg_names_every_party_and_png_opens(cli, example, tmp_path):
    assert cli("replay", str(example)).code == 0
    ran = cli("graph", "--out", "loop.svg")
    assert ran.code == 0, ran.err
    svg = (tmp_path / "loop.svg").read_text(encoding="utf-8")
    texts = set(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    # Every declared party is on the picture (long names without their parenthetical
    # qualifier: "Stargate (OpenAI/SoftBank/Oracle/MGX venture)" → "Stargate").
    names = {p.name for p in load_text(example.read_text(encoding="utf-8")).parties}
    assert {short_name(n) for n in names} <= texts
    assert {"Stargate", "xAI", "SoftBank Group", "NVIDIA", "OpenAI", "AMD"} <= texts
    # NVIDIA → OpenAI outstanding, the biggest loop's weakest flow: a binding stake promise (B)
    assert "$30.0B B" in texts
    assert "only non-binding promises" in texts  # the dashed line's meaning, in the legend
    ran = cli("graph", "--out", "loop.svg", "--layer", "committed", "--as-of", "2025-12-31")
    assert ran.code == 0, ran.err
    lines = re.findall(r"<text[^>]*>([^<]*)</text>", (tmp_path / "loop.svg").read_text())
    before = set(lines)
    # At the end of 2025 NVIDIA's $100B letter of intent stands: its flow reads N, its loop
    # "partly non-binding" (o02 and o08 bind), never "firm".
    assert "$100.0B N" in before
    assert "partly non-binding" in " ".join(lines)  # the legend wraps its lines
    ran = cli("graph", "--out", "loop.png", "--layer", "committed", "--as-of", "2025-12-31")
    assert ran.code == 0, ran.err
    data = (tmp_path / "loop.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = pytest.importorskip("PIL.Image")
    with image.open(tmp_path / "loop.png") as png:
        png.verify()
        assert png.size == (1440, 1080)


@pytest.mark.parametrize(
    "args",
    [
        ("audit", "--layer", "stakes"),
        ("audit", "--rule", "random"),
        ("audit", "--min-amount", "1.5.0"),
        ("audit", "--min-amount", "-1"),
        ("audit", "--max-length", "0"),
        ("audit", "--max-cycles", "0"),
        ("graph", "--out", "loop.svg", "--max-cycles", "0"),
        ("graph", "--out", "loop.pdf"),
        ("graph",),
    ],
)
def test_bad_options_exit_2(cli, args):
    ran = cli(*args)
    assert ran.code == 2, (ran.out, ran.err)


def test_empty_store_audits_to_nothing(cli, store_path):
    Store(str(store_path)).close()  # an empty store (a missing one is an error: test_backends)
    report = json.loads(cli("audit", "--json").out)
    assert report["cycles"] == [] and report["round_trips"] == []
    assert "No loops" in cli("audit").out


# --- the Python API -------------------------------------------------------------------------------


def test_api_accepts_the_state_and_validates_arguments():
    result = run(ISSUE)
    state = result.states[NAME]
    traced = audit(result, rule="lifo").trace
    by_state = audit(state, rule="lifo", trace=traced)
    assert by_state.as_of is None and by_state.names == {}
    assert by_state.trace == traced == audit(result, rule="lifo", trace=traced).trace
    with pytest.raises(ValueError, match=r"audit\.trace\.pro-rata"):
        audit(state)  # the flows alone do not hold the round trips
    assert audit(result).names == {"nvidia": "NVIDIA", "openai": "OpenAI"}
    with pytest.raises(ValueError, match="layer"):
        audit(state, layers=("cash", "stakes"), trace=traced)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rule"):
        audit(state, rule="random")  # type: ignore[arg-type]
    assert audit(state, max_length=1, trace=traced).cycles == ()  # a loop needs two parties
    assert audit(state, min_amount=10 * B + 1, trace=traced).cycles == ()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("5000000000.00000000"), "5000000000"),
        (D("13.33333330"), "13.3333333"),
        (D("0E-8"), "0"),
        (D("1E+10"), "10000000000"),
        (D("0.5"), "0.5"),
        (
            D("123456789012345678901234567890.123456789012345678901234567890"),
            "123456789012345678901234567890.12345678901234567890123456789",
        ),
    ],
)
def test_exact_text_drops_only_trailing_zeros(value, text):
    assert exact(value) == text and D(text) == value


def test_short_names_only_drop_long_qualifiers():
    assert short_name("Stargate (OpenAI/SoftBank/Oracle/MGX venture)") == "Stargate"
    assert short_name("xAI (GPU SPV for Colossus 2)") == "xAI"
    assert short_name("SoftBank Group") == "SoftBank Group"
    assert short_name("A (b)") == "A (b)"


# --- invariants: hold on random histories, catch a broken tracer or fold ---------------------------


def context_of(result_or_events, parties=()) -> Context:
    """What ``loopledger verify`` hands an invariant: from an engine run, or the reference fold."""
    if isinstance(result_or_events, Result):
        result = result_or_events
        return Context(
            entries=result.entries,
            events=[e.event for e in result.entries],
            book=result.book,
            states=result.states,
            parties=list(result.parties.values()),
        )
    events = list(result_or_events)
    book, entries, problems = book_module.fold(events, parties)
    assert problems == []
    return Context(
        entries=entries,
        events=events,
        book=book,
        states=fold_states(events, parties, [PROJECTION]),
        parties=list(parties),
    )


def registered_checks():
    return {
        spec.name: spec.check
        for spec in plugin_manager().invariants()
        if spec.name.startswith("audit.")
    }


PROPERTY = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)


@PROPERTY
@given(histories(max_events=30))
def test_registered_trace_invariants_hold_on_random_histories(history):
    context = context_of(history.events, history.parties)
    checks = registered_checks()
    assert set(checks) == {"audit.trace-conservation", "audit.trace-reconciles"}
    for name, check in checks.items():
        assert check(context) == [], name
    # Without the projection's state or the balances, the invariants fold the entries themselves.
    bare = Context(entries=context.entries, events=context.events, book=context.book, states={})
    assert check_trace_conservation(bare) == [] and check_trace_reconciles(bare) == []


@PROPERTY
@given(histories(max_events=15))
def test_the_projection_keeps_the_ledger_laws(history):
    # Deterministic, a reversal cancels, every as-of cut equals the fold of the events up to it.
    assert check_projection(PROJECTION, history.events, history.parties) == []


THERE_AND_BACK = history_yaml(
    '{id: ob, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "10"}',
    '{id: inv, date: 2025-01-02, type: investment, investor: nvidia, investee: openai, amount: "4"}',
    '{id: po, date: 2025-01-03, type: purchase, buyer: openai, seller: nvidia, amount: "4", item: x}',
)


class ForgetfulTracer(tracing_module.Tracer):
    """A broken rule: money coming home keeps its tag and is never counted as returned."""

    def _returns_to(self, tag: str, payee: str) -> bool:
        return False


def test_a_broken_tracer_is_caught_by_the_registered_invariant(monkeypatch):
    history = load_text(THERE_AND_BACK)
    context = context_of(history.events, history.parties)
    check = registered_checks()["audit.trace-conservation"]
    assert check(context) == []
    monkeypatch.setattr(tracing_module, "Tracer", ForgetfulTracer)
    found = check(context)
    # Under every rule nvidia's own 4 comes home tagged departed-nvidia after 'po'.
    assert {v.message.split(":")[0] for v in found} == {"pro-rata", "fifo", "lifo"}
    assert all(v.event_ids == ("po",) and v.invariant == "audit.trace-conservation" for v in found)
    assert any("holds its own tag" in v.message for v in found)


def test_a_fold_that_loses_a_move_is_caught_by_reconciliation(monkeypatch):
    history = load_text(THERE_AND_BACK)
    original = flows_module._cash_legs

    def forgets_purchases(entry):
        if entry.event.TYPE != "purchase":
            yield from original(entry)

    monkeypatch.setattr(flows_module, "_cash_legs", forgets_purchases)
    found = registered_checks()["audit.trace-reconciles"](
        context_of(history.events, history.parties)
    )
    # Without 'po' the tracer thinks nvidia holds 6 and openai 4; the book says 10 and 0.
    assert sorted(v.message for v in found) == [
        "nvidia: the tracer's USD pool is 6 but assets:cash holds 10",
        "openai: the tracer's USD pool is 4 but assets:cash holds 0",
    ]


def test_long_histories_are_checked_within_a_budget(monkeypatch):
    # 600 moves > FULL_CHECK_MOVES: full checks at ever wider spaced moves and the last, the
    # touched pools after every move. A broken tracer is still caught.
    text = history_yaml(
        '{id: ob, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "1000"}',
        *(
            f'{{id: m{i}, date: 2025-01-02, type: purchase, buyer: {a}, seller: {b}, amount: "1", item: x}}'
            for i in range(600)
            for a, b in [("nvidia", "openai") if i % 2 == 0 else ("openai", "nvidia")]
        ),
    )
    result = run(text)
    cash = list(cash_moves(result.entries))
    assert len(cash) == 601 and trace_conservation(cash) == []
    monkeypatch.setattr(tracing_module, "Tracer", ForgetfulTracer)
    found = trace_conservation(cash)
    # pro-rata is caught at the first move home (#3, 'm1'): the touched-pool check runs there.
    [first] = [v for v in found if v.message.startswith("pro-rata")][:1]
    assert first.event_ids == ("m1",)
    assert {v.message.split(":")[0] for v in found} == {"pro-rata", "fifo", "lifo"}


def test_layer_edges_reject_unknown_layers():
    with pytest.raises(ValueError, match="unknown layer"):
        layer_edges(flows_module.initial(), "stakes")  # type: ignore[arg-type]


def test_project_command_describes_the_flows(cli, write):
    cli("replay", str(write("h.yaml", ISSUE)))
    ran = cli("project", "audit.flows", "--json")
    assert ran.code == 0, ran.err
    usd = json.loads(ran.out)["state"]["USD"]
    assert [(e["source"], e["target"], e["events"]) for e in usd["edges"]["cash"]] == [
        ("nvidia", "openai", ["inv"]),
        ("openai", "nvidia", ["po"]),
    ]
    assert usd["edges"]["equity"] == [
        {
            "source": "nvidia",
            "target": "openai",
            "amount": "10000000000",
            "first_date": "2025-01-03",
            "last_date": "2025-01-03",
            "events": ["inv"],
            "event_count": 1,
        }
    ]


# --- dense books: a bounded, truncated listing -------------------------------------------------------


def dense_history(n: int = 12) -> str:
    """``n`` parties, each paying each other one: $(i+1)B from party i, on one day."""
    ids = [f"p{i:02d}" for i in range(n)]
    events = [
        f'{{id: ob-{a}, date: 2025-01-01, type: opening_balance, party: {a}, amount: "100B"}}'
        for a in ids
    ] + [
        f'{{id: {a}-{b}, date: 2025-02-01, type: purchase, buyer: {a}, seller: {b}, amount: "{i + 1}B", item: chips}}'
        for i, a in enumerate(ids)
        for b in ids
        if a != b
    ]
    return history_yaml(*events, parties=", ".join(f"{a}: Party {a}" for a in ids))


def test_a_dense_book_audits_quickly_and_says_what_it_left_out(cli, write):
    # 12 parties all paying each other: 133,364 simple cycles of up to 6 parties in each of
    # the cash and all layers. The audit lists the biggest 1,000 and counts the rest.
    started = time.perf_counter()
    report = cli_audit(cli, write, dense_history())
    assert time.perf_counter() - started < 30  # ~2 s here, most of it the replay
    assert report["max_length"] == 6 and report["max_cycles"] == 1000
    assert report["truncated"] is True and len(report["cycles"]) == 1000
    # Counting stops at 100,000 a layer: at least 200,000 found, 199,000 not listed.
    assert (report["cycles_found"], report["cycles_found_exact"]) == (200_000, False)
    assert report["cycles_not_listed"] == 199_000
    # Biggest first: p10 ⇄ p11 (p10 pays $11B, p11 $12B) in both layers.
    first = [(c["layer"], c["path"], c["bottleneck"]) for c in report["cycles"][:2]]
    assert first == [
        ("cash", ["p10", "p11", "p10"], "11000000000"),
        ("all", ["p10", "p11", "p10"], "11000000000"),
    ]
    amounts = [D(c["bottleneck"]) for c in report["cycles"]]
    assert amounts == sorted(amounts, reverse=True)
    text = cli("audit", "--layer", "cash", "--max-cycles", "5", "--max-length", "3")
    assert text.code == 0, text.err
    # 66 two-party and 440 three-party loops in the cash layer: counted exactly.
    assert "truncated: 501 more cycles not listed (--max-cycles 5" in text.out
    narrow = json.loads(cli("audit", "--json", "--min-amount", "11B").out)
    assert narrow["truncated"] is False and narrow["cycles_not_listed"] == 0
    assert [c["path"] for c in narrow["cycles"]] == [["p10", "p11", "p10"]] * 2


def test_a_dense_book_draws_the_biggest_loops(cli, write, tmp_path):
    assert cli("replay", str(write("dense.yaml", dense_history()))).code == 0
    out = tmp_path / "dense.svg"
    ran = cli("graph", "--out", str(out), "--max-cycles", "20")
    assert ran.code == 0, ran.err
    assert "20 loops" in ran.out and "truncated: at least 99,980 more cycles not listed" in ran.out
    svg = out.read_text()
    assert "more cycles not drawn" in svg and "flow on no drawn cycle" in svg
