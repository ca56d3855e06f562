"""``loopledger metrics``: every metric on a small history whose figures are worked out by hand.

The history (HISTORY below), as of 2025-03-31:

* AMD sells GPUs to OpenAI (2B), to Oracle (1B) and to buyers outside the model (world, 5B);
  it invested 0.3B in OpenAI, lent it 0.1B, and granted it warrants on 1,000,000 shares with a
  0.01 strike when AMD traded at 100.01. The tests price with volatility 0 and rate 0
  (``loopledger.toml``), so a warrant is worth its intrinsic value and the grant-date fair value
  is exactly 1,000,000 × (100.01 − 0.01) = 0.1B;
* OpenAI owes Oracle 73B (binding) and AMD 36.5B (non-binding); SoftBank committed 40B of
  investment to OpenAI and paid 10B; OpenAI reported 9B of revenue for Q1 (90 days, so 36.5B
  annualised) and later a 50B run rate;
* AMD reported 10B of revenue for Q1.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
from decimal import Decimal

import pytest
from hypothesis import given

from invariants.strategies import histories
from ledger.plugin.figures import Figure, quarter_end, quarter_ends, ratio
from ledger.testing import check_projection, fold
from plugins.metrics import plugin as metrics
from plugins.valuation.positions import PROJECTION as POSITIONS
from plugins.valuation.pricing import up_and_in_call

HISTORY = """\
loopledger: 1
parties:
  - {id: amd, name: AMD, ticker: AMD}
  - {id: openai, name: OpenAI}
  - {id: oracle, name: Oracle}
  - {id: softbank, name: SoftBank}
events:
  - {id: ob-openai, date: 2025-01-01, type: opening_balance, party: openai, amount: "10B"}
  - {id: ob-amd, date: 2025-01-01, type: opening_balance, party: amd, amount: "1B"}
  - {id: ob-oracle, date: 2025-01-01, type: opening_balance, party: oracle, amount: "5B"}
  - {id: ob-sb, date: 2025-01-01, type: opening_balance, party: softbank, amount: "20B"}
  - {id: px-amd, date: 2025-01-02, type: price, party: amd, per_share: "100.01"}
  - id: wg
    date: 2025-01-02
    type: warrant_grant
    issuer: amd
    holder: openai
    shares: 1000000
    strike: "0.01"
    expiry: 2026-01-02
    tranches: [{id: all, shares: 1000000}]
  - {id: com-oracle, date: 2025-01-05, type: commitment, payer: openai, payee: oracle, amount: "73B", kind: compute}
  - {id: com-amd, date: 2025-01-05, type: commitment, payer: openai, payee: amd, amount: "36.5B", kind: purchase, binding: false}
  - {id: com-sb, date: 2025-01-05, type: commitment, payer: softbank, payee: openai, amount: "40B", kind: investment}
  - {id: inv, date: 2025-01-10, type: investment, investor: amd, investee: openai, amount: "0.3B"}
  - {id: loan, date: 2025-01-10, type: loan, lender: amd, borrower: openai, amount: "0.1B"}
  - {id: buy-1, date: 2025-02-01, type: purchase, buyer: openai, seller: amd, amount: "2B", item: GPUs}
  - {id: inv-sb, date: 2025-02-01, type: investment, investor: softbank, investee: openai, amount: "10B", commitment: com-sb}
  - {id: buy-2, date: 2025-02-15, type: purchase, buyer: world, seller: amd, amount: "5B", item: GPUs}
  - {id: buy-3, date: 2025-03-01, type: purchase, buyer: oracle, seller: amd, amount: "1B", item: GPUs}
  - {id: rev-amd, date: 2025-03-31, type: revenue_report, party: amd, period_start: 2025-01-01, period_end: 2025-03-31, amount: "10B"}
  - {id: rev-oa, date: 2025-03-31, type: revenue_report, party: openai, period_start: 2025-01-01, period_end: 2025-03-31, amount: "9B"}
  - {id: rr-oa, date: 2025-06-30, type: revenue_report, party: openai, period_start: 2025-04-01, period_end: 2025-06-30, amount: "50B", measure: run_rate}
"""


@pytest.fixture
def ledger(cli, write):
    write("loopledger.toml", '[plugins.valuation]\nvolatility = "0"\nrate = "0"\n')
    assert cli("replay", str(write("m.yaml", HISTORY))).code == 0
    return cli


def figures(cli, *args: str) -> dict[tuple[str, str], dict]:
    ran = cli("metrics", "--json", *args)
    assert ran.code == 0, ran.err
    data = json.loads(ran.out)
    return {(f["metric"], f["subject"]): f for f in data["figures"]}


def test_vendor_financing(ledger):
    f = figures(ledger, "--as-of", "2025-03-31")[("vendor_financing", "amd")]
    # Customers = modelled buyers: openai (2B) and oracle (1B); world is not a customer.
    # Financing of openai: invested 0.3B + lent 0.1B + warrants 0.1B = 0.5B; of oracle: 0.
    # 0.5B / 3B = 1/6 = 0.1666… — but it rests on two sales (buy-1, buy-3), and one day's
    # bookings (buy-1, 2B) are 2/3 of the 3B: too few to mean anything (plugins.metrics.thin_sales:
    # at least 3 sales, no day above 50%), so no value; the exact quotient is kept as "computed".
    assert f["value"] is None
    assert f["detail"]["reason"].startswith("too few recorded sales to mean anything: 2")
    assert Decimal(f["detail"]["computed"]) == ratio(Decimal("0.5"), Decimal(3))
    assert f["detail"]["sales_base"]["sales"] == 2
    assert f["detail"]["sales_base"]["biggest_day"] == "2000000000"
    assert Decimal(f["detail"]["financing"]) == Decimal("500000000")
    assert f["detail"]["revenue_from_customers"] == "3000000000"
    openai = f["detail"]["customers"]["openai"]
    assert Decimal(openai["warrants_fair_value_at_grant"]) == Decimal("100000000")
    assert openai["warrants"][0]["spot"] == "100.01"
    assert {"buy-1", "buy-3", "inv", "loan", "wg", "px-amd"} <= set(f["inputs"])
    assert "buy-2" not in f["inputs"]  # world's purchase is not from a customer


def test_vendor_financing_without_revenue_from_customers_is_none_and_says_why(ledger):
    f = figures(ledger, "--as-of", "2025-01-31")[("vendor_financing", "amd")]
    assert f["value"] is None
    assert f["detail"]["reason"].startswith("no recorded revenue from customers")
    # OpenAI had committed to buy from AMD and holds its warrant, but bought nothing yet.
    waiting = f["detail"]["buyers_without_recorded_purchases"]["openai"]
    assert Decimal(waiting["total"]) == Decimal("500000000")  # 0.3B + 0.1B + 0.1B
    assert waiting["purchase_commitments"] == ["com-amd"]


def test_net_revenue_after_consideration_payable(ledger):
    found = figures(ledger, "--as-of", "2025-03-31")
    # 2B of GPUs − 0.1B grant-date fair value of the warrants AMD granted OpenAI.
    amd_openai = found[("net_revenue", "amd→openai")]
    assert Decimal(amd_openai["value"]) == Decimal("1900000000")
    assert amd_openai["unit"] == "USD"
    assert Decimal(amd_openai["detail"]["consideration_payable"]) == Decimal("100000000")
    assert "ASC 606-10-32-25" in amd_openai["detail"]["rule"]
    assert found[("net_revenue", "amd→oracle")]["value"] == "1000000000"
    # Before any sale, the whole fair value exceeds the revenue: negative, with a note.
    early = figures(ledger, "--as-of", "2025-01-31")[("net_revenue", "amd→openai")]
    assert Decimal(early["value"]) == Decimal("-100000000")
    assert "ASC 606-10-32-27" in early["detail"]["note"]


def test_customer_concentration(ledger):
    found = figures(ledger, "--as-of", "2025-03-31")
    # Revenue 8B: world 5B, openai 2B, oracle 1B — three sales, but the world's 5B on one day
    # (2025-02-15) is 62.5% of it: above the 50% a day may make (plugins.metrics.thin_sales),
    # so no value is shown; the exact quotients are kept as "computed".
    top1 = found[("customer_concentration.top1", "amd")]
    assert top1["value"] is None and top1["detail"]["reason"].startswith(
        "rests on one day's bookings: 62.50%"
    )
    assert Decimal(top1["detail"]["computed"]) == Decimal("0.625")  # 5/8
    assert top1["detail"]["customers"] == ["world"]
    top3 = found[("customer_concentration.top3", "amd")]
    assert Decimal(top3["detail"]["computed"]) == 1  # 8/8
    hhi = found[("customer_concentration.hhi", "amd")]
    assert Decimal(hhi["detail"]["computed"]) == Decimal("0.46875")  # (5² + 2² + 1²) / 8²
    assert hhi["detail"]["scale"].startswith("0–1")


def test_commitment_coverage(ledger):
    q1 = figures(ledger, "--as-of", "2025-03-31")
    # Q1 revenue 9B over 90 days → 9B × 365 / 90 = 36.5B a year.
    binding = q1[("commitment_coverage.binding", "openai")]
    assert binding["value"] == "2.000000"  # 73B / 36.5B
    assert binding["detail"]["revenue"]["report"] == "rev-oa"
    assert binding["detail"]["revenue"]["period_days"] == 90
    assert Decimal(binding["detail"]["revenue"]["annualised"]) == Decimal("36500000000")
    assert {"com-oracle", "rev-oa"} <= set(binding["inputs"])
    assert q1[("commitment_coverage.non_binding", "openai")]["value"] == "1.000000"  # 36.5/36.5
    # One denominator rule in every period: the later run-rate report (50B, period ending
    # 2025-06-30) is not the denominator — Q1's reported revenue still is (73B / 36.5B = 2) —
    # and it is shown beside for reference: 73B / 50B = 1.46.
    h1 = figures(ledger, "--as-of", "2025-06-30")
    later = h1[("commitment_coverage.binding", "openai")]
    assert later["value"] == "2.000000" and later["detail"]["revenue"]["report"] == "rev-oa"
    assert later["detail"]["denominator"].startswith("the same in every period")
    reference = later["detail"]["run_rate_reference"]
    assert reference["report"] == "rr-oa" and Decimal(reference["owed_over_run_rate"]) == Decimal(
        "1.46"
    )
    assert h1[("commitment_coverage.non_binding", "openai")]["value"] == "1.000000"
    # com-oracle states no term: all of it is "term not stated" in the schedule.
    assert binding["detail"]["falls_due"] == {"term not stated": "73000000000"}
    # SoftBank owes 30B but reports nothing: no figure can be computed, and it says so.
    softbank = q1[("commitment_coverage.binding", "softbank")]
    assert softbank["value"] is None and "no revenue report" in softbank["detail"]["reason"]


TERMS = """\
loopledger: 1
parties: [{id: openai, name: OpenAI}, {id: oracle, name: Oracle}, {id: msft, name: Microsoft}]
events:
  - {id: five, date: 2025-01-05, type: commitment, payer: openai, payee: oracle, amount: "300B", kind: compute, start: 2027-01-01, end: 2031-12-31}
  - {id: run, date: 2025-01-05, type: commitment, payer: openai, payee: msft, amount: "73B", kind: compute, start: 2025-01-01, end: 2026-12-31}
  - {id: old, date: 2025-01-05, type: commitment, payer: openai, payee: msft, amount: "1B", kind: compute, end: 2025-03-31}
  - {id: rev, date: 2025-06-30, type: revenue_report, party: openai, period_start: 2025-01-01, period_end: 2025-06-30, amount: "18.1B"}
"""


def test_binding_commitments_fall_due_by_year_over_their_terms(cli, write):
    assert cli("replay", str(write("terms.yaml", TERMS))).code == 0
    f = figures(cli, "--as-of", "2025-06-30")[("commitment_coverage.binding", "openai")]
    # five: 300B evenly over 2027-01-01..2031-12-31 (1826 days: 365 × 4 + 366 for 2028):
    #   2027 300B × 365/1826, 2028 × 366/1826, 2029 and 2030 × 365/1826, 2031 the rest.
    # run: 73B over what remains, 2025-07-01..2026-12-31 (549 days): 2025 184 days → 73B ×
    #   184/549, 2026 the rest (73B × 365/549).
    # old: its end (2025-03-31) has passed with 1B outstanding.
    due = {k: Decimal(v) for k, v in f["detail"]["falls_due"].items()}
    B = Decimal(10) ** 9
    assert list(due) == [
        "2025",
        "2026",
        "2027",
        "2028",
        "2029",
        "2030",
        "2031",
        "past its stated end",
    ]
    assert due["2025"] == ratio(73 * B * 184, Decimal(549))
    assert due["2025"] + due["2026"] == 73 * B
    assert due["2027"] == due["2029"] == due["2030"] == ratio(300 * B * 365, Decimal(1826))
    assert due["2028"] == ratio(300 * B * 366, Decimal(1826))
    assert sum(due[y] for y in ("2027", "2028", "2029", "2030", "2031")) == 300 * B
    assert due["past its stated end"] == B
    assert sum(due.values()) == Decimal(f["detail"]["owed"]) == 374 * B
    assert "spread evenly by day" in f["detail"]["falls_due_rule"]
    # 18.1B over 181 days → 18.1B × 365 / 181 = 36.5B a year; 374 / 36.5 = 10.246575…
    assert f["value"] == "10.246575"


def test_funding_gap(ledger):
    gap = figures(ledger, "--as-of", "2025-03-31")[("funding_gap", "openai")]
    # Owed 73B + 36.5B = 109.5B. Cash 10B + 0.3B + 0.1B + 10B − 2B = 18.4B.
    # SoftBank still owes 40B − 10B = 30B of investment. 109.5 − (18.4 + 30) = 61.1B.
    assert Decimal(gap["value"]) == Decimal("61100000000")
    assert Decimal(gap["detail"]["cash"]) == Decimal("18400000000")
    assert Decimal(gap["detail"]["investment_commitments_owed_to_it"]) == Decimal("30000000000")
    assert Decimal(gap["detail"]["binding_only"]) == Decimal("24600000000")  # 73 − 48.4
    assert {"com-oracle", "com-amd", "com-sb", "inv-sb", "ob-openai", "buy-1"} <= set(gap["inputs"])


def test_loop_share(ledger):
    share = figures(ledger, "--as-of", "2025-03-31")[("loop_share", "amd")]
    # Q1 reported 10B; the ledger records 2B (openai) + 1B (oracle) from modelled parties.
    assert share["value"] == "0.300000"
    assert Decimal(share["detail"]["from_outside"]) == Decimal("5000000000")
    assert set(share["inputs"]) == {"rev-amd", "buy-1", "buy-3"}


def test_by_quarter_json_and_csv(ledger):
    ran = ledger("metrics", "--by", "quarter", "--json", "--metric", "commitment_coverage")
    assert ran.code == 0, ran.err
    data = json.loads(ran.out)
    assert data["precision"]["ratios"].endswith("rounded half-even to 6 decimals")
    assert [s["as_of"] for s in data["series"]] == ["2025-03-31", "2025-06-30"]
    binding = [
        f["value"]
        for s in data["series"]
        for f in s["figures"]
        if (f["metric"], f["subject"]) == ("commitment_coverage.binding", "openai")
    ]
    assert binding == ["2.000000", "2.000000"]  # one denominator rule: no switch to the run-rate
    ran = ledger("metrics", "--by", "quarter", "--csv", "--metric", "loop_share")
    rows = list(csv.DictReader(io.StringIO(ran.out)))
    assert {(r["as_of"], r["subject"], r["value"]) for r in rows} >= {
        ("2025-03-31", "amd", "0.300000"),
        ("2025-03-31", "openai", "0.000000"),
    }


def test_human_output_and_bad_options(ledger):
    ran = ledger("metrics", "--as-of", "2025-03-31")
    assert ran.code == 0, ran.err
    assert "vendor_financing" in ran.out and "too few recorded sales" in " ".join(ran.out.split())
    assert ledger("metrics", "--json", "--csv").code == 2
    ran = ledger("metrics", "--metric", "nope")
    assert ran.code == 2 and "no metric named 'nope'" in ran.err


def test_without_the_valuation_plugin_only_the_flow_metrics_run(ledger, monkeypatch):
    monkeypatch.setenv("LOOPLEDGER_DISABLE_PLUGINS", "valuation")
    ran = ledger("metrics", "--json", "--as-of", "2025-03-31")
    assert ran.code == 0, ran.err
    names = {f["metric"] for f in json.loads(ran.out)["figures"]}
    assert names == {
        "loop_share",
        "customer_concentration.top1",
        "customer_concentration.top3",
        "customer_concentration.hhi",
    }
    assert "metric vendor_financing (needs valuation.positions) was skipped" in ran.err


# --- the bundled example -------------------------------------------------------------------------


def test_the_bundled_example(cli, example):
    assert cli("replay", str(example)).code == 0
    found = figures(cli)
    # At 2026-07-02 OpenAI owes 749.4B under binding contracts, all due (no tranche of them waits
    # on deliveries or a trigger): o02 300 + m03 250 + w01 38 + w05 100 + s03 19 + c03 11.9 +
    # c05 4 + c06 6.5 + e01 raised to 20 by e04. Its latest report is Q1 2026 revenue of 5.7B
    # (r15, 2026-01-01..2026-03-31 = 90 days): 749.4 × 90 ÷ (5.7 × 365) = 67,446 ÷ 2,080.5 =
    # 32.4181686… → 32.418169. Its 6 GW from AMD, 10 GW from NVIDIA and 10 GW from Broadcom have
    # no disclosed value: they add nothing, binding or not.
    binding = found[("commitment_coverage.binding", "openai")]
    assert binding["value"] == "32.418169"
    assert binding["detail"]["owed"] == "749400000000"
    assert binding["detail"]["revenue"]["report"] == "r15-openai-revenue-q1-2026"
    assert {"e04-openai-cerebras-20b", "o02-openai-oracle-300b-compute"} <= set(binding["inputs"])
    assert ("commitment_coverage.contingent", "openai") not in found
    assert found[("commitment_coverage.non_binding", "openai")]["detail"]["owed"] == "0"
    # Amazon's promises wait on triggers: OpenAI's $35B (an IPO filing, until 2028-12-31) and
    # Anthropic's $20B (commercial milestones) — contingent, none due; no revenue report.
    amazon = found[("commitment_coverage.contingent", "amazon")]
    assert amazon["detail"]["owed"] == "55000000000" and amazon["value"] is None
    waiting = {c["id"]: c["tranches_waiting"] for c in amazon["detail"]["commitments"]}
    assert waiting == {
        "w02-amazon-openai-50b": ["w04-conditional"],
        "y08-amazon-anthropic-25b": ["milestones"],
    }
    assert found[("commitment_coverage.binding", "amazon")]["detail"]["owed"] == "0"
    # NVIDIA owes c01 1.3 + c07 6.3 + x01 2 + y01 10 + n10 30 + g01 20 = 69.6B against FY27 Q1
    # revenue of 81.6B over 91 days (r18): 69.6 × 91 ÷ (81.6 × 365) = 0.2126511… → 0.212651.
    assert found[("commitment_coverage.binding", "nvidia")]["value"] == "0.212651"
    # No modelled party has bought from NVIDIA for cash (Oracle's Abilene order o08 is planned
    # spending): no paid ratio, and no customer makes up 100% of anything.
    nvidia = found[("vendor_financing", "nvidia")]
    assert nvidia["value"] is None
    assert nvidia["detail"]["reason"].startswith("no recorded revenue from customers")
    # CoreWeave's $350M of stock to OpenAI (c04) counts as financing of a customer: 0.35 ÷
    # (OpenAI 22.4 + Meta 35.2 + NVIDIA 7.6 of compute owed) = 0.35 ÷ 65.2 = 0.0053680… .
    coreweave = found[("vendor_financing.committed", "coreweave")]
    assert coreweave["value"] == "0.005368"
    assert "c04-coreweave-openai-shares" in coreweave["inputs"]
    # AMD has no recorded sale and no dollar purchase commitment: no ratio either way; both
    # warrants show up as financing of buyers who have not bought yet.
    amd = found[("vendor_financing", "amd")]
    assert amd["value"] is None
    assert amd["detail"]["reason"].startswith("no recorded revenue from customers")
    assert found[("vendor_financing.committed", "amd")]["value"] is None
    assert {"a05-amd-openai-warrant", "p04-amd-price-2025-10-03", "a15-amd-meta-warrant"} <= set(
        amd["inputs"]
    )
    # Grant-date fair value: spot 164 (p04, the last price before 2025-10-05), barrier 600,
    # 1826 days to expiry, volatility 0.50, rate 0.04; Meta's: spot 213.84 (p16, the grant
    # day's close), 1826 days (2026-02-24 → 2031-02-24).
    years = decimal.Context(prec=50).divide(Decimal(1826), Decimal(365))
    for holder, spot in (("openai", Decimal(164)), ("meta", Decimal("213.84"))):
        per_share = up_and_in_call(
            spot, Decimal("0.01"), Decimal(600), years, Decimal("0.50"), Decimal("0.04")
        )
        buyer = amd["detail"]["buyers_without_recorded_purchases"][holder]
        assert Decimal(buyer["warrants_fair_value_at_grant"]) == per_share * 160_000_000
        net = found[("net_revenue", f"amd→{holder}")]
        assert Decimal(net["value"]) == -per_share * 160_000_000


# --- the value type and the calendar ------------------------------------------------------------


def test_figure_rounds_ratios_half_even_only_when_shown():
    half_down = Figure(
        metric="m", subject="s", value=Decimal("0.0000005"), unit="ratio", precision=""
    )
    half_up = Figure(
        metric="m", subject="s", value=Decimal("0.0000015"), unit="ratio", precision=""
    )
    assert (half_down.shown(), half_up.shown()) == ("0.000000", "0.000002")
    amount = Figure(metric="m", subject="s", value=Decimal("1.23456789"), unit="USD", precision="")
    assert amount.shown() == "1.23456789"
    assert ratio(Decimal(1), Decimal(3)) == Decimal("0." + "3" * 50)
    assert ratio(Decimal(1), Decimal(0)) is None


def test_quarter_ends():
    assert quarter_end(dt.date(2025, 2, 14)) == dt.date(2025, 3, 31)
    assert quarter_end(dt.date(2025, 12, 31)) == dt.date(2025, 12, 31)
    ends = quarter_ends(dt.date(2023, 4, 30), dt.date(2026, 2, 20))
    assert ends[0] == dt.date(2023, 6, 30) and ends[-1] == dt.date(2026, 3, 31)
    assert len(ends) == 12
    assert quarter_ends(dt.date(2025, 3, 31), dt.date(2025, 3, 31)) == [dt.date(2025, 3, 31)]
    assert quarter_ends(dt.date(2025, 4, 1), dt.date(2025, 3, 1)) == []


# --- the flows projection keeps the laws; every metric computes on any history ------------------


@given(histories())
def test_flows_keep_the_laws_and_every_metric_computes(h):
    assert check_projection(metrics.FLOWS, h.events, h.parties) == []
    states = {
        metrics.NAME: fold(metrics.FLOWS, h.events, h.parties),
        POSITIONS.name: fold(POSITIONS, h.events, h.parties),
    }
    ids = {e.id for e in h.events}
    for compute, _, _ in metrics.METRICS.values():
        for f in compute(states, None):
            assert isinstance(f, Figure)
            assert set(f.inputs) <= ids
            json.dumps(f.to_json(), default=str)


def test_vendor_financing_with_commitments(ledger):
    found = figures(ledger, "--as-of", "2025-03-31")
    amd = found[("vendor_financing.committed", "amd")]
    # Customers: openai (bought 2B, owes com-amd 36.5B non-binding, holds the warrant) and
    # oracle (bought 1B). Financing paid 0.5B (0.3B + 0.1B + 0.1B warrant), promised 0 (AMD
    # owes no investment commitment). Buying: 3B recorded + 36.5B committed = 39.5B.
    # 0.5 / 39.5 = 0.0126582278… → 0.012658.
    assert amd["value"] == "0.012658"
    assert Decimal(amd["detail"]["financing"]) == Decimal("500000000")
    assert amd["detail"]["buying"] == "39500000000"
    assert amd["detail"]["customers"]["openai"]["purchase_commitments"] == ["com-amd"]
    assert amd["detail"]["customers"]["openai"]["purchases_committed_binding"] == "0"
    # Oracle sells nothing recorded but is owed 73B by openai, which it never financed: 0.
    assert found[("vendor_financing.committed", "oracle")]["value"] == "0.000000"


def test_vendor_financing_with_commitments_counts_a_drawn_commitment_once(cli, write):
    history = """\
loopledger: 1
parties: [{id: nvidia, name: NVIDIA}, {id: openai, name: OpenAI}]
events:
  - {id: ob-n, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "50B"}
  - {id: ob-o, date: 2025-01-01, type: opening_balance, party: openai, amount: "10B"}
  - {id: loi, date: 2025-01-02, type: commitment, payer: nvidia, payee: openai, amount: "100B", kind: investment, binding: false}
  - {id: gw, date: 2025-01-02, type: commitment, payer: openai, payee: nvidia, amount: "350B", kind: purchase, binding: false}
  - {id: t1, date: 2025-01-03, type: investment, investor: nvidia, investee: openai, amount: "10B", commitment: loi}
  - {id: buy, date: 2025-01-04, type: purchase, buyer: openai, seller: nvidia, amount: "5B", item: systems, commitment: gw}
"""
    assert cli("replay", str(write("n.yaml", history))).code == 0
    f = figures(cli)[("vendor_financing.committed", "nvidia")]
    # Paid 10B + promised 90B (100B − the 10B drawn) = 100B; bought 5B + committed 345B
    # (350B − the 5B drawn) = 350B. 100 / 350 = 0.285714… → 0.285714.
    assert f["value"] == "0.285714"
    assert f["detail"]["customers"]["openai"]["financing_promised"] == "90000000000"
    assert f["detail"]["customers"]["openai"]["purchases_committed"] == "345000000000"
    # The paid ratio would be 10B ÷ 5B = 2, on one sale: too few to mean anything.
    paid = figures(cli)[("vendor_financing", "nvidia")]
    assert paid["value"] is None and Decimal(paid["detail"]["computed"]) == 2
    assert paid["detail"]["reason"].startswith("too few recorded sales to mean anything: 1")


THIN = """\
loopledger: 1
parties: [{id: nvidia, name: NVIDIA}, {id: openai, name: OpenAI}, {id: oracle, name: Oracle}]
events:
  - {id: ob-n, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "50B"}
  - {id: ob-o, date: 2025-01-01, type: opening_balance, party: openai, amount: "50B"}
  - {id: ob-r, date: 2025-01-01, type: opening_balance, party: oracle, amount: "50B"}
  - {id: inv, date: 2025-01-02, type: investment, investor: nvidia, investee: openai, amount: "1B"}
  - {id: b1, date: 2025-02-01, type: purchase, buyer: openai, seller: nvidia, amount: "40B", item: systems}
  - {id: b2, date: 2025-03-01, type: purchase, buyer: oracle, seller: nvidia, amount: "10B", item: systems}
  - {id: b3, date: 2025-04-01, type: purchase, buyer: oracle, seller: nvidia, amount: "15B", item: systems}
  - {id: b4, date: 2025-05-01, type: purchase, buyer: oracle, seller: nvidia, amount: "15B", item: systems}
"""


@pytest.mark.parametrize(
    ("as_of", "sales", "shown"),
    [
        # b1 alone: 1 sale, 100% of 40B → no value (a lone booking would read "100% of customers")
        ("2025-02-28", 1, None),
        # b1 + b2: 2 sales (< 3) → none
        ("2025-03-31", 2, None),
        # b1..b3: 3 sales, but b1's day is 40 / 65 = 61.5% > 50% → none
        ("2025-04-30", 3, None),
        # b1..b4: 4 sales, b1's day 40 / 80 = exactly 50% (not above) → shown:
        # top1 = 40/80 = 0.5, vendor financing = 1B ÷ 80B = 0.0125
        ("2025-05-31", 4, ("0.500000", "0.012500")),
    ],
)
def test_too_few_sales_rule_by_hand(cli, write, as_of, sales, shown):
    assert cli("replay", str(write("thin.yaml", THIN))).code == 0
    found = figures(cli, "--as-of", as_of)
    top1 = found[("customer_concentration.top1", "nvidia")]
    vf = found[("vendor_financing", "nvidia")]
    assert top1["detail"]["sales_base"]["sales"] == vf["detail"]["sales_base"]["sales"] == sales
    if shown is None:
        assert top1["value"] is None and vf["value"] is None
        for f in (top1, vf):
            assert "at least 3 recorded sales" in f["detail"]["reason"]
            assert f["detail"]["computed"] is not None
    else:
        assert (top1["value"], vf["value"]) == shown
        assert "reason" not in top1["detail"] and "reason" not in vf["detail"]


def test_commitment_coverage_keeps_tranches_waiting_on_deliveries_apart(cli, write):
    history = """\
loopledger: 1
parties: [{id: amd, name: AMD}, {id: openai, name: OpenAI}]
events:
  - {id: ob, date: 2025-01-01, type: opening_balance, party: openai, amount: "10B"}
  - id: ppa
    date: 2025-01-02
    type: commitment
    payer: openai
    payee: amd
    amount: "6B"
    kind: purchase
    tranches:
      - {id: gw1, amount: "1B"}
      - {id: gw2, amount: "2B", condition: {delivered_gw: {at_least: 1}}}
      - {id: gw3, amount: "3B", condition: {delivered_gw: {at_least: 2}}}
  - {id: rr, date: 2025-03-31, type: revenue_report, party: openai, period_start: 2024-04-01, period_end: 2025-03-31, amount: "2B"}
  - {id: d1, date: 2025-06-01, type: delivery, supplier: amd, customer: openai, capacity_gw: "1", commitment: ppa}
  - {id: buy, date: 2025-06-02, type: purchase, buyer: openai, seller: amd, amount: "5.5B", item: GPUs, commitment: ppa}
"""
    assert cli("replay", str(write("c.yaml", history))).code == 0
    before = figures(cli, "--as-of", "2025-05-31")
    # No GW delivered: gw2 + gw3 (5B) wait, gw1 (1B) is due. 1B ÷ 2B = 0.5; 5B ÷ 2B = 2.5.
    assert before[("commitment_coverage.binding", "openai")]["value"] == "0.500000"
    assert before[("commitment_coverage.contingent", "openai")]["value"] == "2.500000"
    after = figures(cli, "--as-of", "2025-06-01")
    # 1 GW delivered under ppa: gw2 falls due, gw3 (3B) still waits. Due 3B ÷ 2B = 1.5.
    assert after[("commitment_coverage.binding", "openai")]["value"] == "1.500000"
    assert after[("commitment_coverage.contingent", "openai")]["detail"]["commitments"][0][
        "tranches_waiting"
    ] == ["gw3"]
    # 5.5B bought: 0.5B outstanding, less than gw3's 3B — what is left is all waiting, none due.
    last = figures(cli)
    assert ("commitment_coverage.binding", "openai") not in last or last[
        ("commitment_coverage.binding", "openai")
    ]["detail"]["owed"] == "0"
    assert last[("commitment_coverage.contingent", "openai")]["detail"]["owed"] == "500000000"


def test_a_draw_that_names_a_gated_tranche_is_taken_from_that_tranche(cli, write):
    history = """\
loopledger: 1
parties: [{id: amd, name: AMD}, {id: openai, name: OpenAI}]
events:
  - {id: ob, date: 2025-01-01, type: opening_balance, party: openai, amount: "10B"}
  - id: ppa
    date: 2025-01-02
    type: commitment
    payer: openai
    payee: amd
    amount: "10B"
    kind: purchase
    tranches:
      - {id: t1, amount: "5B"}
      - {id: t2, amount: "5B", condition: {delivered_gw: {at_least: 1}}}
  - {id: rr, date: 2025-01-31, type: revenue_report, party: openai, period_start: 2024-02-02, period_end: 2025-01-31, amount: "1B"}
  - {id: buy, date: 2025-02-01, type: purchase, buyer: openai, seller: amd, amount: "5B", item: GPUs, commitment: ppa, tranche: t2, override: "bought ahead of its condition"}
"""
    assert cli("replay", str(write("t.yaml", history))).code == 0
    found = figures(cli)
    # 5B outstanding; the purchase paid t2 (bought ahead of its condition), so what is left is
    # t1, which is due: binding 5B ÷ 1B = 5; nothing waits on deliveries.
    assert found[("commitment_coverage.binding", "openai")]["value"] == "5.000000"
    assert ("commitment_coverage.contingent", "openai") not in found
