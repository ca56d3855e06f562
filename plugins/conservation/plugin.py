"""Built-in plugin: registers the money-conservation invariants that ``loopledger verify`` runs.

The predicates live in the ``invariants`` package (pure, importable by plugin authors); this
module only adapts each one to the registry's ``check(context)`` shape.
"""

from __future__ import annotations

from collections.abc import Callable

from invariants import Context, Violation
from invariants.accounting import (
    allowed_overdrafts,
    balances_match,
    cash_across_loop,
    cash_overdrafts,
    global_conservation,
    postings_balance,
)
from invariants.history import reversal_cancels, round_trip
from invariants.instruments import commitment_limits, warrant_limits
from ledger import hookimpl
from ledger.book.assertions import failed_over_entries


def _balances(context: Context) -> list[Violation]:
    state = context.states.get("balances")
    return [] if state is None else balances_match(context.entries, state)


def _assertions(context: Context) -> list[Violation]:
    return [
        Violation(
            "balance-assertions",
            f.message(),
            (f.assertion.id,),
            {"asserted": f.assertion.amount, "actual": f.actual},
        )
        for f in failed_over_entries(context.events, context.entries)
    ]


def _reversals(context: Context) -> list[Violation]:
    return reversal_cancels(context.events, context.parties)


CHECKS: dict[str, tuple[Callable[[Context], list[Violation]], str]] = {
    "postings-balance": (
        lambda c: postings_balance(c.entries),
        "every event's postings sum to zero per commodity",
    ),
    "global-conservation": (
        lambda c: global_conservation(c.entries),
        "per commodity, all accounts of all parties incl. world sum to zero after every event",
    ),
    "cash-across-loop": (
        lambda c: cash_across_loop(c.entries),
        "cash held by modelled parties equals their net cash from world",
    ),
    "cash-covered": (
        lambda c: cash_overdrafts(c.entries, allowed_overdrafts(c.parties)),
        "no party's cash ends a day below zero unless it declares allow_overdraft (with why)",
    ),
    "balances-match": (_balances, "the balances projection equals the sum of postings"),
    "warrant-limits": (
        lambda c: warrant_limits(c.entries, c.book),
        "vested ≤ granted and exercised ≤ vested, per grant and tranche",
    ),
    "commitment-limits": (
        lambda c: commitment_limits(c.entries, c.book),
        "drawn ≤ committed after amendments, per commitment",
    ),
    "balance-assertions": (
        _assertions,
        "every assert_balance event holds: the ledger shows its balance as of its date",
    ),
    "reversal-cancels": (
        _reversals,
        "a history with an event and its reversal equals one with neither",
    ),
    "round-trip": (
        lambda c: round_trip(c.records),
        "every stored event decodes to an equal event, decimals exact to the digit",
    ),
}


@hookimpl
def ledger_register_invariants(register: Callable[..., None]) -> None:
    for name, (check, description) in CHECKS.items():
        register(name, check, description=description)
