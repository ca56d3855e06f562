"""Laws of warrants and commitments, derived from postings (not from the book's own counters)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from invariants.violation import Violation
from ledger.book import Book, Entry


def warrant_limits(entries: Iterable[Entry], book: Book | None = None) -> list[Violation]:
    """Per grant and tranche: 0 ≤ exercised ≤ vested ≤ granted.

    From postings, per holder and issuer: unvested ≥ 0, vested ≥ 0 (vesting or exercising more
    than granted would drive one negative); from the book, per grant: exercised ≤ Σ vested
    tranches ≤ Σ tranches.
    """
    held: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    found = []
    for entry in entries:
        for p in entry.postings:
            if p.account.startswith("assets:warrants:"):
                held[(p.party, p.account)] += p.quantity
                if held[(p.party, p.account)] < 0:
                    found.append(
                        Violation(
                            "warrant-limits",
                            f"after event '{entry.event.id}' {p.party} holds {held[(p.party, p.account)]} on {p.account}: more vested or exercised than granted",
                            (entry.event.id,),
                            {"balance": held[(p.party, p.account)]},
                        )
                    )
    if book is not None:
        for grant_id, state in book.grants.items():
            if not set(state.vested) <= set(state.tranche_shares):
                found.append(
                    Violation(
                        "warrant-limits",
                        f"grant '{grant_id}' has vested tranches it does not have",
                        (grant_id, *state.vested.values()),
                    )
                )
            if state.exercised > state.vested_shares:
                found.append(
                    Violation(
                        "warrant-limits",
                        f"grant '{grant_id}': exercised {state.exercised} > vested {state.vested_shares}",
                        (grant_id,),
                        {"exercised": state.exercised, "vested": state.vested_shares},
                    )
                )
            if state.vested_shares > state.granted:
                found.append(
                    Violation(
                        "warrant-limits",
                        f"grant '{grant_id}': vested {state.vested_shares} > granted {state.granted}",
                        (grant_id,),
                        {"vested": state.vested_shares, "granted": state.granted},
                    )
                )
    return found


def commitment_limits(entries: Iterable[Entry], book: Book | None = None) -> list[Violation]:
    """Per commitment: 0 ≤ drawn ≤ committed (after amendments).

    From postings, per payer and payee: the payer's ``liabilities:commitments:<payee>`` never
    goes above 0 (drawing more than committed would make it positive); from the book, per
    commitment: drawn ≤ total and drawn + overrun = Σ amounts of the events that drew on it.
    Overruns themselves are facts, reported by :func:`commitment_overruns`, not violations.
    """
    owed: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    found = []
    for entry in entries:
        for p in entry.postings:
            if p.account.startswith("liabilities:commitments:"):
                key = (p.party, p.account, p.commodity)
                owed[key] += p.quantity
                if owed[key] > 0:
                    found.append(
                        Violation(
                            "commitment-limits",
                            f"after event '{entry.event.id}' {p.party} has drawn {owed[key]} more than it committed on {p.account}",
                            (entry.event.id,),
                            {"excess": owed[key]},
                        )
                    )
    if book is not None:
        for cid, state in book.commitments.items():
            if state.drawn > state.total:
                found.append(
                    Violation(
                        "commitment-limits",
                        f"commitment '{cid}': drawn {state.drawn} > committed {state.total}",
                        (cid, *state.draws),
                        {"drawn": state.drawn, "committed": state.total},
                    )
                )
    return found


def commitment_overruns(book: Book) -> list[Violation]:
    """Purchases or investments beyond what their commitment had outstanding (reported, not errors)."""
    return [
        Violation(
            "commitment-overrun",
            f"commitment '{cid}' was drawn {state.overrun} beyond its outstanding amount; the excess was recorded as plain cash",
            (cid, *state.draws),
            {"overrun": state.overrun},
        )
        for cid, state in sorted(book.commitments.items())
        if state.overrun > 0
    ]


def deal_overrides(entries: Iterable[Entry]) -> list[Violation]:
    """Events recorded against their deal's terms on purpose (``override: "<reason>"``): a
    vest before its conditions held, a draw beyond what was outstanding or before its tranche's
    milestone, an exercise after expiry. The book refuses these without the reason; with it
    they stand, and an auditor sees every one (a note, not an error)."""
    return [
        Violation(
            "deal-override",
            f"'{entry.event.id}' ({entry.event.TYPE}, {entry.event.date}) is recorded against "
            f"its deal's terms: {reason}",
            (entry.event.id,),
        )
        for entry in entries
        if (reason := getattr(entry.event, "override", None)) is not None
    ]
