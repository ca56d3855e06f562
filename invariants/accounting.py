"""Money conservation: the double-entry laws every fold must keep.

Each function states its law as a formula in its docstring and returns violations as values.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from invariants.violation import Violation
from ledger.book import Entry
from ledger.book.cash import CashKey, daily_cash_moves, overdrafts
from ledger.model.postings import Posting, sums_by_commodity
from ledger.model.values import WORLD, Party, is_cash


def postings_balance(entries: Iterable[Entry]) -> list[Violation]:
    """For every event e and commodity c: Σ_{p ∈ postings(e), p.commodity = c} p.quantity = 0."""
    found = []
    for entry in entries:
        residual = {c: s for c, s in sums_by_commodity(entry.postings).items() if s != 0}
        if residual:
            found.append(
                Violation(
                    "postings-balance",
                    f"event '{entry.event.id}' does not balance: {', '.join(f'{c} off by {s}' for c, s in sorted(residual.items()))}",
                    (entry.event.id,),
                    residual,
                )
            )
    return found


def global_conservation(entries: Iterable[Entry]) -> list[Violation]:
    """For every prefix h of the history and commodity c: Σ_{party, account} balance_h(party, account, c) = 0.

    (``world`` included.) Checked after each event, so the first event that breaks it is named.
    """
    totals: dict[str, Decimal] = defaultdict(Decimal)
    found = []
    broken: set[str] = set()
    for entry in entries:
        for p in entry.postings:
            totals[p.commodity] += p.quantity
        for commodity, total in totals.items():
            if total != 0 and commodity not in broken:
                broken.add(commodity)
                found.append(
                    Violation(
                        "global-conservation",
                        f"after event '{entry.event.id}' the {commodity} held by all parties (world included) sums to {total}, not 0",
                        (entry.event.id,),
                        {commodity: total},
                    )
                )
    return found


def cash_across_loop(entries: Iterable[Entry]) -> list[Violation]:
    """For every prefix and currency: Σ_{P ≠ world} cash_P = − cash_world.

    Cash held by the modelled parties equals their net cash from ``world``: cash moves only
    between cash accounts, never appears in or vanishes from one party alone.
    """
    modelled: dict[str, Decimal] = defaultdict(Decimal)
    world: dict[str, Decimal] = defaultdict(Decimal)
    found = []
    for entry in entries:
        for p in entry.postings:
            if p.account == "assets:cash" and is_cash(p.commodity):
                (world if p.party == WORLD else modelled)[p.commodity] += p.quantity
        for currency in set(modelled) | set(world):
            if modelled[currency] != -world[currency]:
                found.append(
                    Violation(
                        "cash-across-loop",
                        f"after event '{entry.event.id}' the modelled parties hold {modelled[currency]} {currency} in cash but received a net {-world[currency]} from world",
                        (entry.event.id,),
                        {"held": modelled[currency], "from_world": -world[currency]},
                    )
                )
                return found
    return found


def balances_of(entries: Iterable[Entry]) -> dict[tuple[str, str, str], Decimal]:
    """Σ of postings per (party, account, commodity), zeros dropped: a reference fold for checks."""
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        for p in entry.postings:
            totals[(p.party, p.account, p.commodity)] += p.quantity
    return {k: v for k, v in totals.items() if v != 0}


def balances_match(
    entries: Sequence[Entry], state: dict[tuple[str, str, str], Decimal]
) -> list[Violation]:
    """The balances projection equals Σ postings per (party, account, commodity)."""
    expected = balances_of(entries)
    actual = {k: v for k, v in state.items() if v != 0}
    if expected == actual:
        return []
    keys = sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
    first = keys[0]
    return [
        Violation(
            "balances-match",
            f"balances projection differs from the sum of postings on {len(keys)} account(s), e.g. {first}: {actual.get(first, 0)} vs {expected.get(first, 0)}",
            (),
            {
                "projection": actual.get(first, Decimal(0)),
                "postings": expected.get(first, Decimal(0)),
            },
        )
    ]


def allowed_overdrafts(parties: Iterable[Party]) -> dict[str, str]:
    """``{party id: reason}`` of the parties declared with ``allow_overdraft``."""
    return {p.id: p.allow_overdraft for p in parties if p.allow_overdraft is not None}


def cash_overdrafts(
    entries: Iterable[Entry], allowed: Mapping[str, str] | None = None, *, declared: bool = False
) -> list[Violation]:
    """Modelled parties whose cash went below zero at the end of some day (see
    :func:`overdrafts`), each named once with the first event to pay out cash that day.

    ``allowed`` maps parties to the reason their history gives (``allow_overdraft``): real
    deals are funded by money outside the model — a bond, a credit line, revenue from the
    world — and the history must say so rather than the ledger guess. With ``declared`` the
    overdrafts of those parties (a note for ``verify``), without it those of all others (an
    error: replay refuses them).
    """
    allowed = allowed or {}
    first_out: dict[tuple[CashKey, dt.date], str] = {}

    def moves() -> Iterable[tuple[dt.date, Iterable[Posting]]]:
        for entry in entries:
            for p in entry.postings:
                if p.account == "assets:cash" and p.quantity < 0:
                    first_out.setdefault(((p.party, p.commodity), entry.event.date), entry.event.id)
            yield entry.event.date, entry.postings

    daily = daily_cash_moves(moves())
    found = []
    for o in overdrafts(daily):
        if (o.party in allowed) != declared:
            continue
        event = first_out.get(((o.party, o.currency), o.day), "?")
        if declared:
            message = (
                f"{o.party}'s {o.currency} cash goes below zero from {o.day} ('{event}'; lowest "
                f"{o.lowest}), as its declaration allows: {allowed[o.party]}"
            )
        else:
            message = (
                f"{o.party}'s {o.currency} cash goes below zero on {o.day} at '{event}' (lowest "
                f"{o.lowest}) and no allow_overdraft is declared for it: record where the money "
                "came from (an opening_balance, a loan, an investment)"
            )
        found.append(
            Violation(
                "cash-overdraft-allowed" if declared else "cash-covered",
                message,
                (event,),
                {"lowest": o.lowest},
            )
        )
    return found
