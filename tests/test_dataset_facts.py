"""The bundled history against the project's sourced fact table, event by event.

Every event of ``ledger/examples/ai-compute-2025-2026.yaml`` cites its fact-table row(s) in
``facts``; its first row is the one whose figure, date and parties it books. For each event this
checks, against that row as the table writes it (read by :mod:`tests.support.fact_table`, not by
the ledger): the amount (or share count, price, GW) is one of the row's figures or an
arithmetic spelled out in ``DERIVED``; the date is the row's; the parties are the row's and the
direction is the row's arrow; the event type fits the row's kind; the confidence is no stronger
than the row's; the source URLs are the cited rows' own. The eight rows the table marks
**corrected** must be booked the corrected way, and OpenAI's ledger cash must be the table's
cash figure. The table lives beside the repository (``../shared/facts/ai-deals.md``): without it
these tests skip, except under ``CI=true``, where they fail.

The history is read as raw YAML on purpose: a figure typed into the file is what is compared.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import pytest
import yaml

from ledger.model.amounts import parse_decimal
from tests.conftest import EXAMPLE, ROOT
from tests.support.fact_table import BILLION, Row, read_table

FACTS = ROOT.parent / "shared" / "facts" / "ai-deals.md"
DATASET_DOC = ROOT / "docs" / "dataset.md"
STRENGTH = {"estimate": 0, "reported": 1, "stated": 2}

Event = dict[str, Any]
Rows = dict[str, Row]

# --- what the comparison accepts beyond "the row's own figure" -------------------------------------

DERIVED: dict[tuple[str, str], Callable[[Rows], Decimal]] = {
    # OpenAI's $17.5B of June 2025 already holds April's $10B, so the balance is the rest.
    ("r02-openai-cash-2025-06-30", "amount"): lambda r: (
        r["R02"].figure("$17.5B") - r["K01"].figure("$10B in April 2025")
    ),
    # SoftBank's part of the $40B round: April plus end-2025.
    ("k01-softbank-openai-round", "amount"): lambda r: (
        r["K01"].figure("$7.5B SoftBank") + r["K01"].figure("$22.5B SoftBank")
    ),
    # The syndicate was upsized to $11B, of which $2.5B came in April.
    ("k02-syndicate-openai-remainder", "amount"): lambda r: (
        r["K02"].figure("$11B") - r["K01"].figure("$2.5B syndicate")
    ),
    # The $122B close less the $110B the three named investors put in.
    ("w06-other-investors-openai", "amount"): lambda r: (
        r["W06"].figure("122") * BILLION - r["W02"].figure("110") * BILLION
    ),
    # About $2B a month, annualised.
    ("r16-openai-run-rate-2026-03", "amount"): lambda r: r["R16"].figure("2") * BILLION * 12,
    ("y08-amazon-anthropic-25b", "amount"): lambda r: (
        r["Y08"].figure("$5B now") + r["Y08"].figure("up to $20B")
    ),
    ("y10-google-anthropic-40b", "amount"): lambda r: (
        r["Y10"].figure("$10B in cash") + r["Y10"].figure("up to $30B")
    ),
    # The IPO anchor: $0.25B at $40 a share.
    ("c02-nvidia-coreweave-ipo-anchor", "shares"): lambda r: (
        r["C02"].figure("0.25") * BILLION / r["C02"].figure("$40/share")
    ),
    # AMD's close two days later: 164 × (1 + 40.8%), to the dollar as the note says.
    ("p06-amd-price-2025-10-08", "per_share"): lambda r: (
        r["P04"].figure("~164") * (1 + r["P06"].figure("+40.8") / 100)
    ).quantize(Decimal(1)),
}

DATE_EXCEPTIONS = {
    "p13-intel-price-prior-close": "the P13 row's 'prior close $24.90' is the close of 2025-09-17",
}

KIND_TYPES: dict[str, set[str]] = {
    # A promise not yet paid is a commitment; a round's valuation is a price; stock handed over
    # as consideration is a share_issue (see docs/dataset.md, Modelling rules).
    "investment": {"investment", "commitment", "share_issue", "price"},
    "commitment": {"commitment"},
    # An order for later delivery, with no payment reported, is a commitment.
    "purchase": {"purchase", "commitment"},
    # Capacity deals whose dollar value is not disclosed: a commitment of undisclosed amount.
    "capacity": {"commitment"},
    "warrant_grant": {"warrant_grant"},
    "warrant_vest": {"warrant_vest"},
    "revenue_report": {"revenue_report"},
    "price": {"price"},
    "amendment": {"amendment"},
    "loan": {"loan"},
    "listing": {"listing"},
    "estimate": {"price"},
}
KIND_EXCEPTIONS: dict[str, set[str]] = {
    "O10": {"loan"},  # bonds: a loan from outside investors
    "K03": {"opening_balance"},  # a divestment: the proceeds are cash from outside the model
    "R02": {"opening_balance"},  # the row's cash figure is OpenAI's balance
    "N10": {"amendment"},  # the $30B stake supersedes the LOI
    "L03": {"listing"},  # the IPO behind the price
    "L04": {"listing"},  # only a price range: the listing is booked, no price
}
DIRECTION_EXCEPTIONS: dict[str, tuple[tuple[str, str], str]] = {
    "s01-stargate-500b-programme": (
        ("stargate", "world"),
        (
            "S01's arrow names the funders; the $500B is the venture's own programme of "
            "investment in builders and suppliers (world); the funders' pledges are s03-s05"
        ),
    ),
    "k02-syndicate-openai-remainder": (
        ("world", "openai"),
        "K02's parties cell names SoftBank; its conditions give the co-investors' $11B",
    ),
}

DIRECTION = {
    "commitment": ("payer", "payee"),
    "investment": ("investor", "investee"),
    "loan": ("lender", "borrower"),
    "purchase": ("buyer", "seller"),
    "share_issue": ("issuer", "holder"),
    "warrant_grant": ("issuer", "holder"),
    "delivery": ("supplier", "customer"),
}
MONEY_FIELD = {
    "commitment": "amount",
    "investment": "amount",
    "loan": "amount",
    "purchase": "amount",
    "opening_balance": "amount",
    "revenue_report": "amount",
    "repayment": "amount",
    "share_issue": "value",
    "amendment": "amount",
}


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rows() -> Rows:
    if not FACTS.exists():
        reason = "../shared/facts/ai-deals.md (the project's sourced fact table) is not beside the repository"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; under CI=true the dataset must be checked against it")
        pytest.skip(reason)
    return read_table(FACTS)


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["events"]


# --- the comparison --------------------------------------------------------------------------------


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _number(value: Any) -> Decimal:
    return parse_decimal(value if isinstance(value, (int, str)) else str(value))


def _ends(event: Event, by_id: dict[str, Event]) -> tuple[str | None, str | None]:
    """(from, to) of an event the way the table's arrows read; an amendment: its target's."""
    if event["type"] == "amendment":
        return _ends(by_id[event["of"]], by_id)
    fields = DIRECTION.get(event["type"])
    if fields is None:
        return None, event.get("party")
    return event[fields[0]], event[fields[1]]


def _figure_problems(event: Event, row: Row, cited: list[Row], rows: Rows) -> list[str]:
    """The event's figures against its row's: amount, shares, price, strike, GW, tranches."""
    found: list[str] = []
    eid, kind = event["id"], event["type"]

    def expect(field: str, value: Decimal, allowed: set[Decimal], what: str) -> None:
        derived = DERIVED.get((eid, field))
        if derived is not None:
            want = derived(rows)
            if value != want:
                found.append(f"{field} {value} is not the derived {want} (from the table)")
        elif value not in allowed:
            shown = ", ".join(sorted(f"{a:,f}" for a in allowed)) or "none"
            found.append(f"{field} {value:,f} is not a {what} row {row.id} states ({shown})")

    money_field = MONEY_FIELD.get(kind)
    if money_field and money_field in event:
        raw = event[money_field]
        if str(raw).split()[0] == "undisclosed":
            if row.has_dollar_amount():
                found.append(
                    f"amount is undisclosed, but row {row.id} gives {row.amount} {row.unit}"
                )
        else:
            expect(money_field, _number(raw), row.money(), "dollar amount")
    if kind == "price":
        if "per_share" in event:
            expect("per_share", _number(event["per_share"]), row.per_share(), "price")
        else:
            expect("valuation", _number(event["valuation"]), row.money(), "valuation")
    if kind == "warrant_grant":
        expect("shares", _number(event["shares"]), row.shares(), "share count")
        expect("strike", _number(event["strike"]), row.per_share(), "strike")
    elif "shares" in event and kind in ("investment", "share_issue", "amendment"):
        expect(
            "shares",
            _number(event["shares"]),
            set().union(*(r.shares() for r in cited)),
            "share count",
        )
    if "capacity_gw" in event:
        gw = set().union(*(r.gigawatts() for r in cited))
        expect("capacity_gw", _number(event["capacity_gw"]), gw, "GW figure")
    if row.unit.startswith("GW") and kind == "commitment" and "capacity_gw" not in event:
        found.append(f"row {row.id} is a {row.amount} GW fact, but the event books no capacity_gw")
    tranches = event.get("tranches") or []
    if tranches and kind == "commitment":
        stated = set().union(*(r.money() for r in cited))
        amounts = [_number(t["amount"]) for t in tranches]
        total = _number(event["amount"])
        for i, (t, a) in enumerate(zip(tranches, amounts, strict=True)):
            rest = total - sum(amounts[:i] + amounts[i + 1 :], Decimal(0))
            if a not in stated and a != rest:
                found.append(
                    f"tranche {t['id']} {a:,f} is neither a figure of {[r.id for r in cited]} nor the rest of the total"
                )
    return found


def check_event(event: Event, rows: Rows, by_id: dict[str, Event]) -> list[str]:
    """Every way ``event`` departs from the row(s) it cites (empty: it matches)."""
    eid, kind = event["id"], event["type"]
    facts = event.get("facts") or []
    missing = [f for f in facts if f not in rows]
    if not facts or missing:
        return [
            f"{eid}: cites {facts!r}; every event cites at least one row of the table"
            + (f" (not in the table: {missing})" if missing else "")
        ]
    row, cited = rows[facts[0]], [rows[f] for f in facts]
    found: list[str] = []
    # kind
    allowed = KIND_TYPES.get(row.kind, set()) | KIND_EXCEPTIONS.get(row.id, set())
    if kind not in allowed:
        found.append(
            f"a {kind} cannot book row {row.id} of kind {row.kind!r} (expected {sorted(allowed)})"
        )
    # date
    date = _date(event["date"])
    if eid not in DATE_EXCEPTIONS and not row.allows_date(date):
        found.append(f"dated {date}, row {row.id} is dated {row.date}")
    # parties and direction
    source, target = _ends(event, by_id)
    if eid in DIRECTION_EXCEPTIONS:
        if (source, target) != DIRECTION_EXCEPTIONS[eid][0]:
            found.append(f"{source} → {target}, expected {DIRECTION_EXCEPTIONS[eid][0]}")
    elif source is None:
        if target not in row.named:
            found.append(f"party {target!r} is not one the row {row.id} names ({row.parties})")
    elif row.arrows:
        capacity = row.kind == "capacity"  # the arrow of a capacity row is the GW, either way
        if not any(
            a.carries(source, target) or (capacity and a.carries(target, source))
            for a in row.arrows
        ):
            found.append(
                f"{source} → {target} is not the direction of row {row.id} ({row.parties})"
            )
    elif {source, target} - {"world"} - row.named:
        found.append(f"{source} → {target}: row {row.id} names only {sorted(row.named)}")
    everyone = {p for p in (source, target) if p}
    for other in cited[1:]:
        if not other.named & everyone:
            found.append(
                f"cites row {other.id} ({other.parties}), which names none of {sorted(everyone)}"
            )
    # figures
    found += _figure_problems(event, row, cited, rows)
    # confidence: never stronger than the row's, and one of its words unless an estimate
    confidence, words = event.get("confidence"), row.confidences()
    if confidence not in STRENGTH or (
        confidence != "estimate"
        and (confidence not in words or STRENGTH[confidence] > max(STRENGTH[w] for w in words))
    ):
        found.append(f"confidence {confidence!r}, row {row.id} is {row.confidence!r}")
    # sources: the cited rows' own URLs, at least one of the first row's
    urls = [u for u in re.split(r"\s*;\s*", str(event.get("source") or "")) if u]
    own = {u for r in cited for u in r.urls}
    stray = [u for u in urls if u not in own]
    if stray:
        found.append(f"source {stray} is not a URL of rows {facts}")
    if row.urls and not set(row.urls) & set(urls):
        found.append(f"source names none of row {row.id}'s URLs")
    return [f"{eid}: {p}" for p in found]


def check_history(events: Iterable[Event], rows: Rows) -> list[str]:
    listed = list(events)
    by_id = {e["id"]: e for e in listed}
    return [p for e in listed for p in check_event(e, rows, by_id)]


# --- the tests -------------------------------------------------------------------------------------


def test_every_event_matches_the_rows_it_cites(events, rows):
    problems = check_history(events, rows)
    assert not problems, "\n".join(problems)
    assert len(events) >= 140


def _changed(events: list[Event], eid: str, **fields: Any) -> list[Event]:
    edited = copy.deepcopy(events)
    [target] = [e for e in edited if e["id"] == eid]
    target.update(fields)
    return edited


def test_a_wrong_amount_fails_the_comparison(events, rows):
    wrong = _changed(events, "o02-openai-oracle-300b-compute", amount="310B")
    assert check_history(wrong, rows) == [
        (
            "o02-openai-oracle-300b-compute: amount 310,000,000,000 is not a dollar amount "
            "row O02 states (300,000,000,000)"
        )
    ]
    derived = _changed(events, "r02-openai-cash-2025-06-30", amount="17.5B")
    [problem] = check_history(derived, rows)
    assert problem.startswith("r02-openai-cash-2025-06-30: amount 17500000000 is not the derived")


def test_a_reversed_direction_fails_the_comparison(events, rows):
    reversed_ = _changed(events, "c04-coreweave-openai-shares", issuer="openai", holder="coreweave")
    problems = check_history(reversed_, rows)
    assert problems == [
        (
            "c04-coreweave-openai-shares: openai → coreweave is not the direction of row C04 "
            "(CoreWeave -> OpenAI OpCo, LLC)"
        )
    ]
    swapped = _changed(events, "m03-openai-microsoft-azure-250b", payer="microsoft", payee="openai")
    assert any(
        "microsoft → openai is not the direction of row M03" in p
        for p in check_history(swapped, rows)
    )


def test_a_wrong_date_party_kind_or_confidence_fails(events, rows):
    cases = {
        "k02-softbank-openai-final-tranche": ({"date": dt.date(2025, 12, 30)}, "dated 2025-12-30"),
        "y03-anthropic-microsoft-azure-30b": ({"payee": "google"}, "anthropic → google"),
        "o08-oracle-nvidia-gb200-abilene": (
            {"type": "purchase", "buyer": "oracle", "seller": "nvidia", "item": "GB200"},
            "a purchase cannot book row O08",
        ),
        "o04-oracle-rpo-fy25q4": ({"facts": ["O04"], "confidence": "stated"}, None),
        "r12-openai-revenue-2025": ({"confidence": "stated"}, "confidence 'stated'"),
        "a01-openai-amd-6gw-ppa": ({"amount": "20B"}, "amount 20,000,000,000 is not"),
        "n02-openai-nvidia-10gw-systems": ({"capacity_gw": "12"}, "capacity_gw 12"),
    }
    for eid, (fields, expected) in cases.items():
        problems = check_history(_changed(events, eid, **fields), rows)
        if expected is None:
            assert problems == [], (eid, problems)
        else:
            assert any(expected in p for p in problems), (eid, problems)


def test_every_row_of_the_table_is_accounted_for_in_the_docs(events, rows):
    """docs/dataset.md maps every row: to the events that cite it, or to why none does."""
    doc = DATASET_DOC.read_text(encoding="utf-8")
    mapped: dict[str, set[str]] = {}
    for line in doc.splitlines():
        m = re.match(r"^\| ([A-Z]\d{2}) \| (.*)$", line)
        if m:
            mapped[m.group(1)] = set(
                re.findall(r"`([a-z0-9][a-z0-9.:_-]*)`", m.group(2).split(" | ")[0])
            )
    citing: dict[str, set[str]] = {}
    for e in events:
        for f in e["facts"]:
            citing.setdefault(f, set()).add(e["id"])
    assert sorted(set(rows) - set(mapped)) == [], "rows missing from docs/dataset.md's mapping"
    assert sorted(set(mapped) - set(rows)) == [], "docs/dataset.md maps rows the table lacks"
    wrong = {
        r: (mapped[r], citing.get(r, set())) for r in rows if mapped[r] != citing.get(r, set())
    }
    assert not wrong, f"docs/dataset.md's events per row differ from the history's facts: {wrong}"


def _cited(events: list[Event], row: str) -> list[Event]:
    return [e for e in events if row in e["facts"]]


def test_the_eight_corrected_rows_are_booked_as_corrected(events, rows):
    corrected = sorted(r.id for r in rows.values() if r.corrected)
    assert corrected == ["C04", "K02", "M01", "N10", "O04", "O08", "P13", "R02"]
    by_id = {e["id"]: e for e in events}
    # N10: a binding $30B stake of its own, and the LOI superseded — not the LOI revised to $30B.
    [stake] = [e for e in _cited(events, "N10") if e["type"] == "commitment"]
    assert (stake["payer"], stake["payee"], stake["date"]) == (
        "nvidia",
        "openai",
        dt.date(2026, 2, 27),
    )
    assert _number(stake["amount"]) == 30 * BILLION and stake.get("binding", True) is True
    [superseded] = [e for e in _cited(events, "N10") if e["type"] == "amendment"]
    assert superseded["of"] == "n01-nvidia-openai-loi" and superseded["status"] == "cancelled"
    assert "amount" not in superseded
    # O04: Oracle's stated $138B RPO.
    [rpo] = _cited(events, "O04")
    assert (rpo["measure"], _number(rpo["amount"]), rpo["confidence"]) == (
        "rpo",
        138 * BILLION,
        "stated",
    )
    # O08: planned spending — a commitment; no event citing it moves cash; no Oracle placeholder.
    assert {e["type"] for e in _cited(events, "O08")} == {"commitment"}
    # C04: CoreWeave's stock to OpenAI, no cash from OpenAI.
    [shares] = _cited(events, "C04")
    assert (shares["type"], shares["issuer"], shares["holder"]) == (
        "share_issue",
        "coreweave",
        "openai",
    )
    assert (
        shares["date"] == dt.date(2025, 3, 7)
        and _number(shares["value"]) == Decimal("0.35") * BILLION
    )
    # M01: the cumulative $11.6B is booked without a cash leg.
    [funded] = [e for e in _cited(events, "M01") if e["type"] == "investment"]
    assert (
        funded["settlement"] == "prior" and _number(funded["amount"]) == Decimal("11.6") * BILLION
    )
    # K02: executed on 2025-12-26, stated by SoftBank.
    [final] = [e for e in _cited(events, "K02") if e["investor"] == "softbank"]
    assert (final["date"], final["confidence"]) == (dt.date(2025, 12, 26), "stated")
    # P13: Intel's close of $30.57.
    [close] = [e for e in _cited(events, "P13") if e["date"] == dt.date(2025, 9, 18)]
    assert _number(close["per_share"]) == Decimal("30.57")
    # R02: the $17.5B is a balance that already holds April's money (the cash test below).
    assert by_id["r02-openai-cash-2025-06-30"]["type"] == "opening_balance"
    # No placeholder cash: every opening balance is a sourced fact, and only OpenAI's and
    # SoftBank's sale proceeds exist.
    openings = {e["id"]: e["facts"] for e in events if e["type"] == "opening_balance"}
    assert openings == {
        "r02-openai-cash-2025-06-30": ["R02", "K01"],
        "k03-softbank-sells-nvidia-stake": ["K03"],
    }


def _cash(party: str, on: dt.date) -> Decimal:
    from ledger.book import fold
    from ledger.histories.loader import load_file

    history = load_file(EXAMPLE)
    _, entries, problems = fold(history.events, history.parties, as_of=on)
    assert problems == []
    return sum(
        (
            p.quantity
            for e in entries
            for p in e.postings
            if (p.party, p.account, p.commodity) == (party, "assets:cash", "USD")
        ),
        Decimal(0),
    )


def test_openai_cash_reconciles_to_the_tables_cash_figure(rows):
    """R02: cash and securities of about $17.5B on 2025-06-30, April's $10B included; M01's
    cumulative funding and CoreWeave's stock add nothing to it."""
    stated = rows["R02"].figure("$17.5B")
    assert _cash("openai", dt.date(2025, 6, 30)) == stated
    assert _cash("openai", dt.date(2025, 3, 31)) == 0  # no cash before April's tranche
    assert _cash("openai", dt.date(2025, 9, 30)) == stated  # Microsoft's $11.6B is not cash
    # After June: SoftBank's $22.5B and the syndicate's $8.5B (K02), less the $1B Cerebras loan
    # (E02), then Amazon's $15B (W03) — nothing else moves OpenAI's cash.
    assert (
        _cash("openai", dt.date(2025, 12, 31))
        == stated + (Decimal("22.5") + Decimal("8.5") - 1) * BILLION
    )
    assert _cash("openai", dt.date(2026, 7, 2)) == stated + Decimal("45") * BILLION


def test_no_cash_comes_from_planned_spending():
    """Oracle's Abilene order and every other commitment-booked row move no cash."""
    from ledger.book import fold
    from ledger.histories.loader import load_file

    history = load_file(EXAMPLE)
    _, entries, _ = fold(history.events, history.parties)
    raw = {e["id"]: e for e in yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["events"]}
    moved = {e.event.id for e in entries for p in e.postings if p.account == "assets:cash"}
    planned = {
        i
        for i, e in raw.items()
        if {"O08", "Y05", "G01", "O09", "N10", "K04"} & set(e["facts"])
        and e["type"] == "commitment"
    }
    assert planned and not planned & moved
    assert "o08-oracle-nvidia-gb200-abilene" in planned
