"""Hypothesis strategies for valid deal histories, and a state machine over the real store.

For plugin authors::

    from hypothesis import given
    from invariants.strategies import histories
    from ledger.testing import check_projection

    @given(histories())
    def test_my_projection_conserves(history):
        assert check_projection(MY_PROJECTION, history.events, history.parties) == []

``histories()`` draws every event type in plausible mixes — opening balances, investments
(some drawing investment commitments, some settled before the history with no cash), loans and
repayments, commitments with tranches (delivery-gated, or waiting on a trigger until an expiry
date) or of undisclosed amount, purchases drawing them (sometimes beyond what is outstanding),
deliveries, stock issued as consideration, warrant grants with delivery and share-price
conditions, vests, exercises (cash and cashless), revenue reports, prices, listings, amendments,
reversals and balance assertions (settled once the history is drawn) — with amounts of 0–2
decimals up to 10^13, and fact-row ids on some events. Every event is valid where it is
recorded, and dated on or after everything it refers to, so every as-of cut of a generated
history is itself valid.

Why one module (one concept: the model of what a drawn history holds so far): each event
kind's draw reads and updates the same state — open commitments, grants, holdings, dates — so
splitting the kinds apart would spread that state across files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

from ledger.book.assertions import balances_as_of
from ledger.model.events import (
    Amendment,
    AssertBalance,
    Commitment,
    Condition,
    Delivery,
    Event,
    Investment,
    Listing,
    Loan,
    OpeningBalance,
    Price,
    Purchase,
    Repayment,
    RevenueReport,
    Reversal,
    ShareIssue,
    Tranche,
    WarrantExercise,
    WarrantGrant,
    WarrantTranche,
    WarrantVest,
)
from ledger.model.values import WORLD, Money, Party, Undisclosed

START = dt.date(2024, 1, 1)
SPAN_DAYS = 1095
MAX_AMOUNT = Decimal(10) ** 13

Draw = Callable[[st.SearchStrategy[Any]], Any]

FACT_IDS: st.SearchStrategy[tuple[str, ...]] = st.lists(
    st.from_regex(r"[A-Z][0-9]{2}", fullmatch=True), min_size=1, max_size=3, unique=True
).map(tuple)
"""Fact-table row ids as a history cites them (``facts: [N10, W02]``)."""


@attrs.frozen
class GeneratedHistory:
    """Parties and events in recorded order."""

    parties: tuple[Party, ...]
    events: tuple[Event, ...]


def amounts(max_value: Decimal = MAX_AMOUNT) -> st.SearchStrategy[Decimal]:
    """Positive amounts with 0, 1 or 2 decimals, up to 10^13; trailing zeros kept ("10.50")."""

    max_value = max(max_value, Decimal(1)).quantize(Decimal("0.01"))

    def build(places: int) -> st.SearchStrategy[Decimal]:
        q = Decimal(1).scaleb(-places)
        return st.decimals(
            min_value=q, max_value=max_value, places=places, allow_nan=False, allow_infinity=False
        )

    return st.sampled_from([0, 1, 2]).flatmap(build)


OUTSIDE_MONEY = "a generated party: its money comes from outside the model"
"""Every generated party declares ``allow_overdraft``: the model does not track cash, so a
payment may exceed what the ledger gave the payer (the cash-cover rule has its own tests)."""

TERMS_NOT_MODELLED = "generated: the model does not track what is outstanding or delivered"
"""The ``override`` of every generated draw and of every vest of a conditional tranche: the
model does not follow amounts drawn or GW delivered by date, so it cannot know the deal's
terms hold (the terms have their own tests, tests/test_deal_conditions.py)."""


def party_list(n: int) -> tuple[Party, ...]:
    return tuple(
        Party(
            id=f"p{i}",
            name=f"Party {i}",
            shares_outstanding=Decimal(10) ** 9,
            allow_overdraft=OUTSIDE_MONEY,
        )
        for i in range(n)
    )


class HistoryModel:
    """What exists so far, so that each drawn event is valid where it is recorded."""

    def __init__(self, parties: tuple[Party, ...], *, assertions: bool = False) -> None:
        self.parties = [p.id for p in parties]
        self.assertions = assertions
        """Whether to draw balance assertions; their amounts are filled in by
        :func:`settle_assertions` once the whole history is drawn (a later event dated
        earlier changes the balance an assertion speaks of)."""
        self.count = 0
        self.dates: dict[str, dt.date] = {}
        self.referenced: set[str] = set()
        self.reversed: set[str] = set()
        self.commitments: dict[str, dict[str, Any]] = {}
        self.loans: dict[str, dict[str, Any]] = {}
        self.grants: dict[str, dict[str, Any]] = {}
        self.prices: dict[str, list[tuple[dt.date, Decimal, str]]] = {}
        """Per-share prices by party in recorded order (date, price, event id), reversed ones too."""

    # --- helpers --------------------------------------------------------------------------------

    def _id(self) -> str:
        self.count += 1
        return f"e{self.count}"

    def _date(self, draw: Draw, after: dt.date | None = None) -> dt.date:
        base = after or START
        return base + dt.timedelta(days=draw(st.integers(0, SPAN_DAYS if after is None else 400)))

    def _pair(self, draw: Draw, *, world: bool = False) -> tuple[str, str]:
        pool = [*self.parties, WORLD] if world else self.parties
        a = draw(st.sampled_from(pool))
        b = draw(st.sampled_from([p for p in self.parties if p != a]))
        return a, b

    def _refer(self, *ids: str) -> None:
        self.referenced.update(ids)

    # --- one event ------------------------------------------------------------------------------

    def draw_event(self, draw: Draw) -> Event:
        kinds = [
            "opening",
            "purchase",
            "investment",
            "commitment",
            "loan",
            "delivery",
            "price",
            "revenue",
            "grant",
            "share_issue",
            "listing",
        ]
        if self.open_commitments():
            kinds += ["draw", "draw", "amend_commitment", "delivery_under"]
        if self.loans:
            kinds.append("repayment")
        if self.vestable():
            kinds.append("vest")
        if self.exercisable():
            kinds.append("exercise")
        if self.open_grants():
            kinds.append("amend_grant")
        if self.reversible():
            kinds.append("reversal")
        if self.assertions and self.dates:
            kinds.append("assertion")
        kind = draw(st.sampled_from(kinds))
        event: Event = getattr(self, f"_{kind}")(draw)
        if draw(st.integers(0, 3)) == 0:
            event = attrs.evolve(event, facts=draw(FACT_IDS))
        self.dates[event.id] = event.date
        if kind in ("vest", "exercise", "amend_grant", "amend_commitment"):
            # they change instrument state the model counts; reversing them is not drawn
            self.referenced.add(event.id)
        return event

    def open_commitments(self) -> list[str]:
        return [
            c for c, s in self.commitments.items() if not s["closed"] and c not in self.reversed
        ]

    def open_grants(self) -> list[str]:
        return [g for g, s in self.grants.items() if not s["closed"] and g not in self.reversed]

    def vestable(self) -> list[tuple[str, str]]:
        return [
            (g, t)
            for g in self.open_grants()
            for t in self.grants[g]["tranches"]
            if t not in self.grants[g]["vested"]
        ]

    def exercisable(self) -> list[str]:
        return [
            g
            for g, s in self.grants.items()
            if g not in self.reversed and s["vested_shares"] > s["exercised"]
        ]

    def last_price(self, party: str, on: dt.date) -> tuple[dt.date, Decimal, str] | None:
        """The price the book nets a cashless exercise dated ``on`` at: the latest-dated on or
        before ``on``, among same-date prices the one recorded last; reversed ones do not count."""
        best = None
        for mark in self.prices.get(party, []):
            live = mark[0] <= on and mark[2] not in self.reversed
            if live and (best is None or mark[0] >= best[0]):
                best = mark
        return best

    def cashless_price(self, party: str, on: dt.date, strike: Decimal) -> str | None:
        """The id of :meth:`last_price` if a cashless exercise at it is valid in every as-of cut.

        It must be above the strike, and so must every reversed price that sorts after it
        (date, then recorded order): a cut dated before that reversal brings the price back as
        the last one. Prices before it never matter — it is kept from being reversed.
        """
        last = self.last_price(party, on)
        if last is None:
            return None
        marks = self.prices[party]
        after = (last[0], marks.index(last))
        if all(v > strike for i, (d, v, _) in enumerate(marks) if d <= on and (d, i) >= after):
            return last[2]
        return None

    def reversible(self) -> list[str]:
        return [
            e
            for e in self.dates
            if e not in self.referenced and e not in self.reversed and not e.startswith("r")
        ]

    def _opening(self, draw: Draw) -> Event:
        return OpeningBalance(
            id=self._id(),
            date=self._date(draw),
            party=draw(st.sampled_from(self.parties)),
            amount=Money(draw(amounts())),
        )

    def _purchase(self, draw: Draw) -> Event:
        buyer, seller = self._pair(draw, world=True)
        return Purchase(
            id=self._id(),
            date=self._date(draw),
            buyer=buyer,
            seller=seller,
            amount=Money(draw(amounts())),
            item="GPUs",
        )

    def _investment(self, draw: Draw) -> Event:
        investor, investee = self._pair(draw, world=True)
        shares = draw(st.one_of(st.none(), st.integers(1, 10**9).map(Decimal)))
        instrument = draw(st.sampled_from(["equity", "equity", "convertible", "debt"]))
        return Investment(
            id=self._id(),
            date=self._date(draw),
            investor=investor,
            investee=investee,
            amount=Money(draw(amounts())),
            shares=shares,
            instrument=instrument,
            settlement=draw(st.sampled_from([None, None, "prior"])),
        )

    def _commitment(self, draw: Draw) -> Event:
        payer, payee = self._pair(draw)
        date = self._date(draw)
        undisclosed = draw(st.integers(0, 4)) == 0
        total = Decimal(0) if undisclosed else draw(amounts())
        kind = draw(st.sampled_from(["purchase", "investment", "compute", "lease"]))
        tranches: tuple[Tranche, ...] = ()
        expires: dict[str, dt.date] = {}
        if not undisclosed and draw(st.booleans()) and total >= Decimal(2):
            half = (total / 2).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
            if draw(st.booleans()):
                second = Tranche(
                    id="t2",
                    amount=Money(half),
                    condition=Condition(metric="delivered_gw", at_least=Decimal(1)),
                )
            else:
                expires["t2"] = date + dt.timedelta(days=draw(st.integers(0, 400)))
                second = Tranche(
                    id="t2", amount=Money(half), trigger="an IPO filing", expires=expires["t2"]
                )
            tranches = (Tranche(id="t1", amount=Money(half)), second)
        event = Commitment(
            id=self._id(),
            date=date,
            payer=payer,
            payee=payee,
            amount=Undisclosed() if undisclosed else Money(total),
            kind=kind,
            binding=draw(st.booleans()),
            capacity_gw=draw(st.one_of(st.none(), st.just(Decimal(6)))),
            tranches=tranches,
        )
        self.commitments[event.id] = {
            "payer": payer,
            "payee": payee,
            "kind": kind,
            "total": total,
            "closed": False,
            "tranches": [t.id for t in tranches],
            "expires": expires,
        }
        return event

    def _draw(self, draw: Draw) -> Event:
        cid = draw(st.sampled_from(self.open_commitments()))
        c = self.commitments[cid]
        self._refer(cid)
        tranche = draw(st.sampled_from([None, *c["tranches"]]))
        date = self._date(draw, self.dates[cid])
        if tranche in c["expires"]:
            date = min(date, c["expires"][tranche])  # an expired tranche cannot be drawn
        amount = Money(draw(amounts(max(c["total"], Decimal("0.01")) * 2)))
        if c["kind"] == "investment":
            return Investment(
                id=self._id(),
                date=date,
                investor=c["payer"],
                investee=c["payee"],
                amount=amount,
                commitment=cid,
                tranche=tranche,
                settlement=draw(st.sampled_from([None, None, "prior"])),
                override=TERMS_NOT_MODELLED,
            )
        return Purchase(
            id=self._id(),
            date=date,
            buyer=c["payer"],
            seller=c["payee"],
            amount=amount,
            item="systems",
            commitment=cid,
            tranche=tranche,
            override=TERMS_NOT_MODELLED,
        )

    def _amend_commitment(self, draw: Draw) -> Event:
        cid = draw(st.sampled_from(self.open_commitments()))
        c = self.commitments[cid]
        self._refer(cid)
        date = self._date(draw, self.dates[cid])
        choice = draw(st.sampled_from(["raise", "cancel", "definitive"]))
        if choice == "raise":
            c["total"] += draw(amounts())
            return Amendment(
                id=self._id(), date=date, of=cid, amount=Money(c["total"]), status="revised"
            )
        if choice == "cancel":
            c["closed"] = True
            return Amendment(
                id=self._id(),
                date=date,
                of=cid,
                status=draw(st.sampled_from(["cancelled", "lapsed"])),
            )
        return Amendment(id=self._id(), date=date, of=cid, status="definitive")

    def _loan(self, draw: Draw) -> Event:
        lender, borrower = self._pair(draw, world=True)
        event = Loan(
            id=self._id(),
            date=self._date(draw),
            lender=lender,
            borrower=borrower,
            amount=Money(draw(amounts())),
            rate=Decimal("0.05"),
        )
        self.loans[event.id] = {}
        return event

    def _repayment(self, draw: Draw) -> Event:
        lid = draw(st.sampled_from(sorted(self.loans)))
        self._refer(lid)
        return Repayment(
            id=self._id(),
            date=self._date(draw, self.dates[lid]),
            loan=lid,
            amount=Money(draw(amounts())),
        )

    def _delivery(self, draw: Draw) -> Event:
        supplier, customer = self._pair(draw)
        if draw(st.booleans()):
            return Delivery(
                id=self._id(),
                date=self._date(draw),
                supplier=supplier,
                customer=customer,
                capacity_gw=Decimal(draw(st.integers(1, 300))) / 100,
            )
        return Delivery(
            id=self._id(),
            date=self._date(draw),
            supplier=supplier,
            customer=customer,
            quantity=Decimal(draw(st.integers(1, 10**6))),
            unit="gpu",
        )

    def _delivery_under(self, draw: Draw) -> Event:
        cid = draw(st.sampled_from(self.open_commitments()))
        c = self.commitments[cid]
        self._refer(cid)
        return Delivery(
            id=self._id(),
            date=self._date(draw, self.dates[cid]),
            supplier=c["payee"],
            customer=c["payer"],
            capacity_gw=Decimal(draw(st.integers(1, 300))) / 100,
            commitment=cid,
        )

    def _price(self, draw: Draw) -> Event:
        party = draw(st.sampled_from(self.parties))
        date = self._date(draw)
        if draw(st.booleans()):
            value = draw(amounts(Decimal(1000)))
            event = Price(id=self._id(), date=date, party=party, per_share=Money(value))
            self.prices.setdefault(party, []).append((date, value, event.id))
            return event
        return Price(id=self._id(), date=date, party=party, valuation=Money(draw(amounts())))

    def _revenue(self, draw: Draw) -> Event:
        start = self._date(draw)
        end = start + dt.timedelta(days=draw(st.sampled_from([89, 90, 181, 364])))
        measure = draw(st.sampled_from(["revenue", "revenue", "run_rate", "rpo"]))
        return RevenueReport(
            id=self._id(),
            date=end,
            party=draw(st.sampled_from(self.parties)),
            period_start=start,
            period_end=end,
            amount=Money(draw(amounts())),
            measure=measure,
        )

    def _share_issue(self, draw: Draw) -> Event:
        issuer, holder = self._pair(draw)
        date = self._date(draw)
        commitment = None
        between = [
            c
            for c in self.open_commitments()
            if {self.commitments[c]["payer"], self.commitments[c]["payee"]} == {issuer, holder}
        ]
        if between and draw(st.booleans()):
            commitment = draw(st.sampled_from(between))
            self._refer(commitment)
            date = max(date, self.dates[commitment])
        return ShareIssue(
            id=self._id(),
            date=date,
            issuer=issuer,
            holder=holder,
            value=Money(draw(amounts())),
            shares=draw(st.one_of(st.none(), st.integers(1, 10**9).map(Decimal))),
            commitment=commitment,
        )

    def _listing(self, draw: Draw) -> Event:
        return Listing(
            id=self._id(),
            date=self._date(draw),
            party=draw(st.sampled_from(self.parties)),
            stage=draw(
                st.sampled_from(["confidential_filing", "public_filing", "priced", "trading"])
            ),
            ticker=draw(st.one_of(st.none(), st.just("TICK"))),
        )

    def _grant(self, draw: Draw) -> Event:
        issuer, holder = self._pair(draw)
        date = self._date(draw)
        n1 = Decimal(draw(st.integers(1, 10**8)))
        n2 = Decimal(draw(st.integers(1, 10**8)))
        strike = draw(st.sampled_from([Decimal("0.01"), Decimal("0"), Decimal("25.50")]))
        tranches = (
            WarrantTranche(
                id="w1",
                shares=n1,
                conditions=(Condition(metric="delivered_gw", at_least=Decimal(1)),),
            ),
            WarrantTranche(
                id="w2",
                shares=n2,
                conditions=(
                    Condition(metric="delivered_gw", at_least=Decimal(6)),
                    Condition(metric="share_price", at_least=Decimal(600)),
                ),
            ),
        )
        expiry = date + dt.timedelta(days=5 * 365)
        event = WarrantGrant(
            id=self._id(),
            date=date,
            issuer=issuer,
            holder=holder,
            shares=n1 + n2,
            strike=Money(strike),
            expiry=expiry,
            tranches=tranches,
        )
        self.grants[event.id] = {
            "issuer": issuer,
            "strike": strike,
            "expiry": expiry,
            "tranches": {"w1": n1, "w2": n2},
            "vested": {},
            "vested_shares": Decimal(0),
            "exercised": Decimal(0),
            "closed": False,
            "last": date,
        }
        return event

    def _vest(self, draw: Draw) -> Event:
        gid, tranche = draw(st.sampled_from(self.vestable()))
        g = self.grants[gid]
        self._refer(gid)
        # dated on or after the grant's last change, so every as-of cut stays valid
        date = min(max(self._date(draw, self.dates[gid]), g["last"]), g["expiry"])
        g["vested"][tranche] = date
        g["vested_shares"] += g["tranches"][tranche]
        g["last"] = max(g["last"], date)
        return WarrantVest(  # every generated tranche has conditions
            id=self._id(), date=date, grant=gid, tranche=tranche, override=TERMS_NOT_MODELLED
        )

    def _exercise(self, draw: Draw) -> Event:
        gid = draw(st.sampled_from(self.exercisable()))
        g = self.grants[gid]
        self._refer(gid)
        available = g["vested_shares"] - g["exercised"]
        shares = Decimal(draw(st.integers(1, int(min(available, Decimal(10**8))))))
        date = g["last"] + dt.timedelta(days=draw(st.integers(0, 30)))
        date = min(date, g["expiry"])
        price = self.cashless_price(g["issuer"], date, g["strike"])
        cashless = False
        if price is not None and draw(st.booleans()):
            cashless = True
            self._refer(price)  # reversing it would change the price the book nets at
        g["exercised"] += shares
        g["last"] = max(g["last"], date)
        return WarrantExercise(
            id=self._id(), date=date, grant=gid, shares=shares, cashless=cashless
        )

    def _amend_grant(self, draw: Draw) -> Event:
        gid = draw(st.sampled_from(self.open_grants()))
        g = self.grants[gid]
        self._refer(gid)
        date = min(max(self._date(draw, self.dates[gid]), g["last"]), g["expiry"])
        g["last"] = date
        unvested = [t for t in g["tranches"] if t not in g["vested"]]
        if unvested and draw(st.booleans()):
            tranche = draw(st.sampled_from(unvested))
            g["tranches"][tranche] = Decimal(draw(st.integers(1, 10**8)))
            return Amendment(
                id=self._id(), date=date, of=gid, shares=g["tranches"][tranche], tranche=tranche
            )
        g["closed"] = True
        return Amendment(id=self._id(), date=date, of=gid, status="cancelled")

    def _assertion(self, draw: Draw) -> Event:
        # The key and amount are placeholders until settle_assertions() sees the whole history.
        return AssertBalance(
            id=self._id(),
            date=self._date(draw),
            party=draw(st.sampled_from(self.parties)),
            account="assets:cash",
            commodity="USD",
            amount=Decimal(0),
        )

    def _reversal(self, draw: Draw) -> Event:
        target = draw(st.sampled_from(self.reversible()))
        self.reversed.add(target)
        self.commitments.pop(target, None)
        self.loans.pop(target, None)
        self.grants.pop(target, None)
        self.count += 1
        return Reversal(
            id=f"r{self.count}",
            date=self._date(draw, self.dates[target]),
            of=target,
            reason="recorded in error",
        )


def settle_assertions(draw: Draw, events: tuple[Event, ...]) -> tuple[Event, ...]:
    """Give each balance assertion a key that has postings by its date (when one has) and the
    amount the ledger shows for it then — so every assertion holds, in every as-of cut too."""
    settled = list(events)
    for i, e in enumerate(settled):
        if not isinstance(e, AssertBalance):
            continue
        keys = sorted(balances_as_of(settled, e.date))
        key = draw(st.sampled_from(keys)) if keys else (e.party, e.account, e.commodity)
        amount = balances_as_of(settled, e.date, [key])[key]
        settled[i] = attrs.evolve(e, party=key[0], account=key[1], commodity=key[2], amount=amount)
    return tuple(settled)


@st.composite
def histories(
    draw: Draw,
    min_events: int = 1,
    max_events: int = 25,
    n_parties: int = 4,
    assertions: bool = True,
) -> GeneratedHistory:
    """A valid deal history (see the module docstring), balance assertions included."""
    parties = party_list(n_parties)
    model = HistoryModel(parties, assertions=assertions)
    n = draw(st.integers(min_events, max_events))
    events = tuple(model.draw_event(draw) for _ in range(n))
    return GeneratedHistory(parties, settle_assertions(draw, events))
