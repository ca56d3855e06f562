"""Synthetic deal histories for benchmarks: deterministic, valid, any size, one event at a time.

Why a small simulator rather than random rows: the book refuses what a real book would — a vest
whose grant does not exist, a draw on a cancelled commitment, a repayment of an unknown loan, a
cashless exercise without a price above the strike — so the generator keeps the little state
it needs (open commitments, warrant grants, loans, each party's cash and last share price) in
bounded pools and emits only events that replay cleanly. Nothing grows with the number of
events, so a million events stream to disk in flat memory.

The mix follows the book's whole vocabulary: opening balances, commitments with tranches (the
last one gated on delivered GW) drawn by purchases and investments that name them, plain
purchases and investments, GW deliveries under the commitments, warrant grants tied to them
that vest as the GW arrive and are exercised (paid or cashless), loans and repayments with
interest, prices, revenue reports, amendments and the odd reversal of a mistaken purchase.

Every event comes with its cash (USD) postings, computed here in integer cents independently of
the book, as :class:`Generated` — the journal writer and the expected balances are made from
them, so a test can hold loopledger, ledger-cli and hledger to the same figures.

    python benchmarks/generate.py N OUTDIR [--seed S] [--formats yaml,json,jsonl,journal]
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

COMPANIES = 50
"""Parties of a default history (``c00`` … ``c49``)."""

START = dt.date(2021, 1, 1)
SPAN_DAYS = (dt.date(2026, 1, 1) - START).days
"""Five years: twenty quarters for ``metrics --by quarter``."""

EXPIRY = "2031-12-31"
"""Every warrant expires after the last event, so no exercise is ever late."""

POOL = 400
"""Most open commitments (and, separately, grants and loans) kept for later events."""

ITEMS = ("GPU systems", "cloud compute", "networking gear", "HBM memory", "data-centre lease")

Cash = tuple[tuple[str, str, int], ...]
"""USD postings ``(party, account, cents)``: positive is a debit, as in the book."""


@dataclass(slots=True)
class Generated:
    """One event in the history's plain form, and the cash postings the book will derive."""

    event: dict[str, Any]
    cash: Cash = ()


@dataclass(slots=True)
class _Tranche:
    id: str
    amount: int  # cents
    drawn: int = 0
    gate_mgw: int | None = None  # delivered milli-GW the tranche waits for


@dataclass(slots=True)
class _Commitment:
    id: str
    payer: str
    payee: str
    kind: str
    total: int  # cents
    tranches: list[_Tranche]
    drawn: int = 0
    delivered_mgw: int = 0
    capacity_mgw: int = 0
    binding: bool = True
    closed: bool = False  # cancelled: nothing names it any more


@dataclass(slots=True)
class _Grant:
    id: str
    issuer: str
    holder: str
    strike: int  # cents per share
    commitment: _Commitment
    tranches: list[tuple[str, int, int]]  # (id, shares, delivered milli-GW needed)
    vested: set[str] = field(default_factory=set)
    available: int = 0  # vested, not yet exercised


@dataclass(slots=True)
class _Loan:
    id: str
    lender: str
    borrower: str
    outstanding: int  # cents


def money(cents: int) -> str:
    """Exact decimal text of ``cents`` (never a float)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _mgw(milli: int) -> str:
    whole, frac = divmod(milli, 1000)
    return f"{whole}.{frac:03d}".rstrip("0").rstrip(".")


def _pair(payer: str, payee: str, amount: int, out_account: str, in_account: str) -> Cash:
    """Cash ``payer`` → ``payee``: the payer's counter-account, its cash; the payee's cash, its."""
    return (
        (payer, out_account, amount),
        (payer, "assets:cash", -amount),
        (payee, "assets:cash", amount),
        (payee, in_account, -amount),
    )


_INSTRUMENT_ACCOUNTS = {
    "equity": ("assets:investments", "equity:paid-in"),
    "convertible": ("assets:convertibles", "liabilities:convertibles"),
    "debt": ("assets:notes", "liabilities:notes"),
}


class HistoryGenerator:
    """A deterministic stream of ``n_events`` valid events over ``companies`` parties.

    ``start_index`` numbers the ids (``e<start_index>`` …) and, when not 0, continues a history
    already recorded: no opening balances, each party assumed to hold its opening cash, dates
    from ``start`` (pass a date after the first history's last).
    """

    # (kind, weight); a kind whose precondition fails falls back to a plain purchase.
    MIX: tuple[tuple[str, float], ...] = (
        ("purchase", 0.19),
        ("draw_purchase", 0.12),
        ("investment", 0.06),
        ("draw_investment", 0.04),
        ("commitment", 0.05),
        ("delivery", 0.09),
        ("warrant_grant", 0.015),
        ("warrant_vest", 0.02),
        ("warrant_exercise", 0.02),
        ("price", 0.12),
        ("revenue_report", 0.06),
        ("loan", 0.05),
        ("repayment", 0.06),
        ("amendment", 0.01),
        ("reversal", 0.005),
    )

    def __init__(
        self,
        n_events: int,
        *,
        seed: int = 7,
        companies: int = COMPANIES,
        start_index: int = 0,
        start: dt.date = START,
        span_days: int = SPAN_DAYS,
        pool: int = POOL,
    ) -> None:
        if companies < 3:
            raise ValueError("a history needs at least three companies")
        self.n_events = n_events
        self.seed = seed
        self.companies = [f"c{i:02d}" for i in range(companies)]
        self.start_index = start_index
        self.start = start
        self.span_days = span_days
        self.pool = pool
        kinds, weights = zip(*self.MIX, strict=True)
        self._kinds: tuple[str, ...] = kinds
        self._cumulative = list(itertools.accumulate(weights))

    def parties(self) -> list[dict[str, Any]]:
        """The party declarations; every fifth company is listed with a ticker and share count."""
        declared: list[dict[str, Any]] = []
        for i, pid in enumerate(self.companies):
            party: dict[str, Any] = {"id": pid, "name": f"Company {pid[1:]}"}
            if i % 5 == 0:
                party["ticker"] = pid.upper()
                party["shares_outstanding"] = 1_000_000_000 + i * 10_000_000
            declared.append(party)
        return declared

    # --- the stream -----------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Generated]:
        rng = random.Random(self.seed)
        self._rng = rng
        self._next = self.start_index
        self._cash: dict[str, int] = {}
        self._marks: dict[str, int] = {}  # last per-share price, cents
        self._supply: list[_Commitment] = []  # purchase, compute, lease
        self._funding: list[_Commitment] = []  # investment
        self._grants: list[_Grant] = []
        self._loans: list[_Loan] = []
        emitted = 0
        openings = [self._opening_amount(rng) for _ in self.companies]
        if self.start_index == 0:
            for pid, cents in zip(self.companies, openings, strict=True):
                if emitted == self.n_events:
                    return
                yield self._opening(pid, cents)
                emitted += 1
        else:
            self._cash = dict(zip(self.companies, openings, strict=True))
        while emitted < self.n_events:
            self._day = (
                self.start + dt.timedelta(days=(emitted * self.span_days) // max(self.n_events, 1))
            ).isoformat()
            kind = self._kinds[
                bisect.bisect_right(self._cumulative, rng.random() * self._cumulative[-1])
            ]
            if kind == "reversal" and self.n_events - emitted < 2:
                kind = "purchase"
            made = getattr(self, f"_{kind}")()
            if made is None:
                made = self._purchase()
            for generated in made if isinstance(made, list) else [made]:
                yield generated
                emitted += 1

    # --- helpers --------------------------------------------------------------------------------

    def _id(self) -> str:
        event_id = f"e{self._next}"
        self._next += 1
        return event_id

    def _event(self, event_type: str, /, **fields: Any) -> dict[str, Any]:
        return {"id": self._id(), "date": self._day, "type": event_type, **fields}

    def _two(self) -> tuple[str, str]:
        a, b = self._rng.sample(self.companies, 2)
        return a, b

    def _amount(self, low: int, high: int) -> int:
        """Cents between ``low`` and ``high`` dollars, with cents."""
        return self._rng.randint(low * 100, high * 100)

    def _pays(self, payer: str, cents: int) -> bool:
        """Whether ``payer`` holds ``cents`` (no party ever pays money it does not have)."""
        return self._cash.get(payer, 0) >= cents

    def _book_cash(self, cash: Cash) -> Cash:
        for party, account, cents in cash:
            if account == "assets:cash":
                self._cash[party] = self._cash.get(party, 0) + cents
        return cash

    @staticmethod
    def _opening_amount(rng: random.Random) -> int:
        return rng.randint(200, 2000) * 1_000_000_000 * 100  # 200B … 2T

    # --- one method per kind ------------------------------------------------------------------

    def _opening(self, pid: str, cents: int) -> Generated:
        self._day = self.start.isoformat()
        billions = cents // (1_000_000_000 * 100)
        event = self._event("opening_balance", party=pid, amount=f"{billions}B")
        cash = (
            (pid, "assets:cash", cents),
            (pid, "equity:contributed", -cents),
            ("world", f"equity:funding:{pid}", cents),
            ("world", "assets:cash", -cents),
        )
        return Generated(event, self._book_cash(cash))

    def _purchase(self) -> Generated:
        rng = self._rng
        buyer, seller = self._two()
        cents = self._amount(1_000, 50_000_000)
        if not self._pays(buyer, cents):
            return self._price_event()
        fields: dict[str, Any] = {"buyer": buyer, "seller": seller, "amount": money(cents)}
        fields["item"] = rng.choice(ITEMS)
        if rng.random() < 0.1:
            fields["quantity"] = rng.randint(1, 5000)
            fields["unit"] = "gpu"
        event = self._event("purchase", **fields)
        cash = _pair(buyer, seller, cents, f"expenses:purchases:{seller}", f"income:sales:{buyer}")
        return Generated(event, self._book_cash(cash))

    def _investment(self) -> Generated | None:
        rng = self._rng
        investor, investee = self._two()
        cents = self._amount(1_000_000, 2_000_000_000)
        if not self._pays(investor, cents):
            return None
        instrument = rng.choices(("equity", "convertible", "debt"), (8, 1, 1))[0]
        fields: dict[str, Any] = {
            "investor": investor,
            "investee": investee,
            "amount": money(cents),
        }
        if instrument == "equity":
            fields["shares"] = max(1, cents // (rng.randint(10, 900) * 100))
        else:
            fields["instrument"] = instrument
        asset, claim = _INSTRUMENT_ACCOUNTS[instrument]
        cash = _pair(investor, investee, cents, f"{asset}:{investee}", f"{claim}:{investor}")
        return Generated(self._event("investment", **fields), self._book_cash(cash))

    def _commitment(self) -> Generated:
        rng = self._rng
        payer, payee = self._two()
        kind = rng.choices(("purchase", "compute", "lease", "investment"), (5, 2, 1, 3))[0]
        hundreds = rng.randint(5, 50)  # × 100M
        total = hundreds * 100_000_000 * 100
        first, second = (hundreds * 4) // 10, (hundreds * 3) // 10
        tranches = [
            _Tranche("t1", first * 100_000_000 * 100),
            _Tranche("t2", second * 100_000_000 * 100),
        ]
        fields: dict[str, Any] = {
            "payer": payer,
            "payee": payee,
            "amount": f"{hundreds * 100}M",
            "kind": kind,
        }
        capacity = 0
        if kind != "investment":
            capacity = rng.randint(1, 10) * 1000
            gate = rng.randint(1, max(1, capacity // 1000))
            third = hundreds - first - second
            tranches.append(_Tranche("t3", third * 100_000_000 * 100, gate_mgw=gate * 1000))
            fields["capacity_gw"] = _mgw(capacity)
        binding = rng.random() >= 0.1
        if not binding:
            fields["binding"] = False
        fields["tranches"] = [
            {"id": t.id, "amount": f"{t.amount // 100_000_000}M"}
            | (
                {"condition": {"delivered_gw": {"at_least": t.gate_mgw // 1000}}}
                if t.gate_mgw
                else {}
            )
            for t in tranches
        ]
        event = self._event("commitment", **fields)
        self._keep(
            self._funding if kind == "investment" else self._supply,
            _Commitment(
                event["id"],
                payer,
                payee,
                kind,
                total,
                tranches,
                capacity_mgw=capacity,
                binding=binding,
            ),
        )
        return Generated(event)

    def _keep(self, pool: list[Any], item: Any) -> None:
        pool.append(item)
        if len(pool) > self.pool:
            pool.pop(0)  # the oldest stays as it is, simply no longer used

    def _open(self, purchase_like: bool) -> _Commitment | None:
        pool = self._supply if purchase_like else self._funding
        return self._rng.choice(pool) if pool else None

    def _draw(self, purchase_like: bool) -> Generated | None:
        """A purchase or investment naming a commitment (and mostly a tranche whose gate is met)."""
        rng = self._rng
        c = self._open(purchase_like)
        if c is None or c.drawn >= c.total:
            return None
        open_tranches = [
            t
            for t in c.tranches
            if t.drawn < t.amount and (t.gate_mgw is None or c.delivered_mgw >= t.gate_mgw)
        ]
        tranche = rng.choice(open_tranches) if open_tranches and rng.random() < 0.8 else None
        room = c.total - c.drawn
        if tranche is not None:
            room = min(room, tranche.amount - tranche.drawn)
        cents = min(self._amount(1_000_000, 400_000_000), room)
        overrun = rng.random() < 0.005
        if overrun:
            cents += self._amount(1, 1_000_000)  # the odd overrun past what is due
        if not self._pays(c.payer, cents):
            return None
        drawn = min(cents, room)
        c.drawn += drawn
        if tranche is not None:
            tranche.drawn += drawn
        fields: dict[str, Any]
        if purchase_like:
            fields = {"buyer": c.payer, "seller": c.payee, "amount": money(cents)}
            fields["item"] = rng.choice(ITEMS)
            accounts = (f"expenses:purchases:{c.payee}", f"income:sales:{c.payer}")
        else:
            fields = {"investor": c.payer, "investee": c.payee, "amount": money(cents)}
            fields["shares"] = max(1, cents // (rng.randint(10, 900) * 100))
            accounts = (f"assets:investments:{c.payee}", f"equity:paid-in:{c.payer}")
        fields["commitment"] = c.id
        if tranche is not None:
            fields["tranche"] = tranche.id
        if overrun:
            fields["override"] = "paid past what was due (the excess is plain cash)"
        event = self._event("purchase" if purchase_like else "investment", **fields)
        cash = _pair(c.payer, c.payee, cents, *accounts)
        return Generated(event, self._book_cash(cash))

    def _draw_purchase(self) -> Generated | None:
        return self._draw(purchase_like=True)

    def _draw_investment(self) -> Generated | None:
        return self._draw(purchase_like=False)

    def _delivery(self) -> Generated:
        rng = self._rng
        c = self._open(purchase_like=True)
        if self._grants and rng.random() < 0.5:
            c = rng.choice(self._grants).commitment  # the GW a warrant waits for
        milli = rng.choice((250, 500, 1000))
        if c is not None and not c.closed and rng.random() < 0.8:
            c.delivered_mgw += milli
            fields: dict[str, Any] = {
                "supplier": c.payee,
                "customer": c.payer,
                "capacity_gw": _mgw(milli),
                "commitment": c.id,
            }
        else:
            supplier, customer = self._two()
            fields = {"supplier": supplier, "customer": customer}
            if rng.random() < 0.3:
                fields |= {"quantity": rng.randint(1, 20_000), "unit": "gpu"}
            else:
                fields["capacity_gw"] = _mgw(milli)
        return Generated(self._event("delivery", **fields))

    def _warrant_grant(self) -> Generated | None:
        rng = self._rng
        c = self._open(purchase_like=True)
        if c is None:
            return None
        strike = rng.randint(1, 2000)  # 0.01 … 20.00, below every price
        tranches = []
        gate = c.delivered_mgw
        for k in range(rng.randint(1, 3)):
            gate += rng.choice((500, 1000, 2000))
            tranches.append((f"w{k + 1}", rng.randint(1, 50) * 1_000_000, gate))
        shares = sum(t[1] for t in tranches)
        event = self._event(
            "warrant_grant",
            issuer=c.payee,
            holder=c.payer,
            shares=shares,
            strike=money(strike),
            expiry=EXPIRY,
            commitment=c.id,
            tranches=[
                {
                    "id": t,
                    "shares": n,
                    "conditions": [{"metric": "delivered_gw", "at_least": _mgw(g)}],
                }
                for t, n, g in tranches
            ],
        )
        self._keep(self._grants, _Grant(event["id"], c.payee, c.payer, strike, c, tranches))
        return Generated(event)

    def _warrant_vest(self) -> Generated | None:
        if not self._grants:
            return None
        g = self._rng.choice(self._grants)
        for tranche, shares, needed in g.tranches:
            if tranche not in g.vested and g.commitment.delivered_mgw >= needed:
                g.vested.add(tranche)
                g.available += shares
                return Generated(self._event("warrant_vest", grant=g.id, tranche=tranche))
        return None

    def _warrant_exercise(self) -> Generated | None:
        rng = self._rng
        if not self._grants:
            return None
        g = rng.choice(self._grants)
        if not g.available:
            return None
        shares = g.available if rng.random() < 0.5 else rng.randint(1, g.available)
        price = self._marks.get(g.issuer)
        cashless = price is not None and price > g.strike and rng.random() < 0.4
        cash: Cash = ()
        if not cashless:
            paid = shares * g.strike
            if not self._pays(g.holder, paid):
                return None
            cash = _pair(
                g.holder,
                g.issuer,
                paid,
                f"assets:investments:{g.issuer}",
                f"equity:paid-in:{g.holder}",
            )
        g.available -= shares
        if g.available == 0 and len(g.vested) == len(g.tranches):
            self._grants.remove(g)
        event = self._event("warrant_exercise", grant=g.id, shares=shares, cashless=cashless)
        return Generated(event, self._book_cash(cash))

    def _price_event(self) -> Generated:
        rng = self._rng
        party = rng.choice(self.companies)
        if rng.random() < 0.1:
            return Generated(self._event("price", party=party, valuation=f"{rng.randint(1, 900)}B"))
        cents = rng.randint(1_000, 90_000)
        self._marks[party] = cents
        return Generated(self._event("price", party=party, per_share=money(cents)))

    def _price(self) -> Generated:
        return self._price_event()

    def _revenue_report(self) -> Generated:
        rng = self._rng
        day = dt.date.fromisoformat(self._day)
        quarter_start = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
        fields: dict[str, Any] = {
            "party": rng.choice(self.companies),
            "period_start": quarter_start.isoformat(),
            "period_end": self._day,
            "amount": money(self._amount(1_000_000, 5_000_000_000)),
        }
        if rng.random() < 0.2:
            fields["measure"] = "run_rate"
        return Generated(self._event("revenue_report", **fields))

    def _loan(self) -> Generated | None:
        rng = self._rng
        lender, borrower = self._two()
        cents = self._amount(10_000_000, 1_000_000_000)
        if not self._pays(lender, cents):
            return None
        maturity = dt.date.fromisoformat(self._day) + dt.timedelta(days=rng.randint(365, 1825))
        event = self._event(
            "loan",
            lender=lender,
            borrower=borrower,
            amount=money(cents),
            rate=f"0.0{rng.randint(2, 9)}",
            maturity=maturity.isoformat(),
        )
        self._keep(self._loans, _Loan(event["id"], lender, borrower, cents))
        cash = _pair(
            lender, borrower, cents, f"assets:loans:{borrower}", f"liabilities:loans:{lender}"
        )
        return Generated(event, self._book_cash(cash))

    def _repayment(self) -> Generated | None:
        rng = self._rng
        if not self._loans:
            return None
        loan = rng.choice(self._loans)
        final = rng.random() < 0.3
        if final:
            interest = loan.outstanding * rng.randint(1, 8) // 100
            cents = loan.outstanding + interest
        else:
            cents = max(1, loan.outstanding // rng.randint(3, 8))
        if not self._pays(loan.borrower, cents):
            return None
        principal = min(cents, loan.outstanding)
        interest = cents - principal
        loan.outstanding -= principal
        if loan.outstanding == 0:
            self._loans.remove(loan)
        lender, borrower = loan.lender, loan.borrower
        cash: Cash = ()
        if principal:
            cash += (
                (borrower, f"liabilities:loans:{lender}", principal),
                (borrower, "assets:cash", -principal),
                (lender, "assets:cash", principal),
                (lender, f"assets:loans:{borrower}", -principal),
            )
        if interest:
            cash += (
                (borrower, f"expenses:interest:{lender}", interest),
                (borrower, "assets:cash", -interest),
                (lender, "assets:cash", interest),
                (lender, f"income:interest:{borrower}", -interest),
            )
        event = self._event("repayment", loan=loan.id, amount=money(cents))
        return Generated(event, self._book_cash(cash))

    def _amendment(self) -> Generated | None:
        rng = self._rng
        pool = self._supply if rng.random() < 0.7 else self._funding
        if not pool:
            return None
        c = rng.choice(pool)
        r = rng.random()
        if r < 0.25:
            pool.remove(c)  # no later draw or delivery names a cancelled commitment
            c.closed = True
            return Generated(self._event("amendment", of=c.id, status="cancelled"))
        if r < 0.4 and not c.binding:
            c.binding = True
            return Generated(self._event("amendment", of=c.id, status="definitive"))
        c.total += rng.randint(1, 20) * 100_000_000 * 100
        return Generated(
            self._event("amendment", of=c.id, amount=f"{c.total // 100_000_000}M", status="revised")
        )

    def _reversal(self) -> list[Generated] | None:
        """A plain purchase recorded by mistake and reversed at once: neither moves cash."""
        rng = self._rng
        buyer, seller = self._two()
        purchase = self._event(
            "purchase",
            buyer=buyer,
            seller=seller,
            amount=money(self._amount(1_000, 50_000_000)),
            item=rng.choice(ITEMS),
        )
        reversal = self._event("reversal", of=purchase["id"], reason="recorded twice by mistake")
        return [Generated(purchase), Generated(reversal)]


def history(
    n_events: int,
    *,
    seed: int = 7,
    start_index: int = 0,
    with_parties: bool = True,
    companies: int = COMPANIES,
    start: dt.date = START,
) -> dict[str, Any]:
    """The whole history as one in-memory document (for the in-process micro-benchmarks)."""
    generator = HistoryGenerator(
        n_events, seed=seed, companies=companies, start_index=start_index, start=start
    )
    doc: dict[str, Any] = {
        "loopledger": 1,
        "title": f"synthetic {n_events}",
        "events": [g.event for g in generator],
    }
    if with_parties:
        doc["parties"] = generator.parties()
    return doc


def write(path: Path, n_events: int, **kwargs: Any) -> Path:
    """:func:`history` as one JSON file (in memory first: for the micro-benchmarks' sizes)."""
    path.write_bytes(orjson.dumps(history(n_events, **kwargs)))
    return path


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.writers import main

    main()
