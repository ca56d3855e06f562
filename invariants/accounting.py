"""Money conservation: the double-entry laws every fold must keep.

Each function states its law as a formula in its docstring and returns violations as values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from invariants.violation import Violation
from ledger.book import Entry
from ledger.model.postings import sums_by_commodity
from ledger.model.values import WORLD, is_cash


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


def cash_overdrafts(entries: Iterable[Entry]) -> list[Violation]:
    """Modelled parties whose cash went below zero: min over dated prefixes of cash_P < 0 (a note).

    Not an error: a history may leave out where a party's money came from (a bond, a credit
    line, revenue from the world). But a party paying money the ledger never gave it is what
    an auditor wants to see: every overdrawn party is named once, with the event that first
    took it below zero and its lowest balance, so a missing ``opening_balance`` or ``loan``
    shows up instead of passing silently.
    """
    cash: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    first: dict[tuple[str, str], str] = {}
    lowest: dict[tuple[str, str], Decimal] = {}
    # By effective date (recorded order within a day): an opening balance recorded after a
    # payment but dated before it funded the payment.
    dated = sorted(enumerate(entries), key=lambda item: (item[1].event.date, item[0]))
    for _, entry in dated:
        for p in entry.postings:
            if p.party == WORLD or p.account != "assets:cash" or not is_cash(p.commodity):
                continue
            key = (p.party, p.commodity)
            cash[key] += p.quantity
        for key in {
            (p.party, p.commodity) for p in entry.postings if (p.party, p.commodity) in cash
        }:
            if cash[key] < 0:
                first.setdefault(key, entry.event.id)
                lowest[key] = min(lowest.get(key, cash[key]), cash[key])
    return [
        Violation(
            "cash-overdraft",
            f"{party}'s {currency} cash went below zero at '{first[(party, currency)]}' "
            f"(lowest {lowest[(party, currency)]}); record where the money came from "
            "(an opening_balance, a loan) if the history should show it",
            (first[(party, currency)],),
            {"lowest": lowest[(party, currency)]},
        )
        for party, currency in sorted(first)
    ]
