"""The audit tracer's conservation laws, checked step by step, and its pools against the book's
cash — registered as ``verify`` invariants by the plugin (see :mod:`plugins.audit.plugin`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, localcontext
from typing import Final

from invariants.violation import Violation
from ledger.engine.gc_pause import no_cyclic_gc
from plugins.audit import tracing
from plugins.audit.model import _WIDE, WORLD, CashMove, Rule, exact

__all__ = ["FULL_CHECK_BUDGET", "FULL_CHECK_MOVES", "reconciliation", "trace_conservation"]

FULL_CHECK_MOVES: Final = 256
"""Up to this many moves every law is checked after every move; above, see :func:`trace_conservation`."""

FULL_CHECK_BUDGET: Final = 65_536
"""Moves × full checks allowed per rule on long histories: a full check reads every move."""


def _touched(tracer: tracing.Tracer, move: CashMove) -> list[str]:
    """The laws on the two pools a move changed: the cheap part of :func:`trace_violations`.

    The balance law compares each pool with the party's inflows − outflows, which the tracer
    sums apart from its pools (:meth:`~plugins.audit.tracing.Tracer.expected_balance`).
    """
    problems: list[str] = []
    for party in sorted({move.payer, move.payee} - {WORLD}):
        balance = tracer.pool_balance(party)
        expected = tracer.expected_balance(party)
        if balance != expected:
            problems.append(f"{party}: pool {balance} != inflows-outflows {expected}")
        if tracer.rule == "pro-rata":
            for tag, held in tracer.tags_held(party).items():
                if held < 0:
                    problems.append(f"{party}: negative tag {tag} {held}")
                if held > max(balance, Decimal(0)):
                    problems.append(f"{party}: tag {tag} {held} exceeds pool {balance}")
                if tag == party and held:
                    problems.append(f"{party}: holds its own tag {held}")
        if tracer.returned(party) > tracer.departed(party):
            problems.append(
                f"{party}: returned {tracer.returned(party)} > departed {tracer.departed(party)}"
            )
    return problems


def trace_conservation(
    cash_moves: Iterable[CashMove],
    *,
    rules: Iterable[Rule] = tracing.RULES,
    invariant: str = "audit.trace-conservation",
) -> list[Violation]:
    """The tracer's conservation laws, step by step, under every rule at once (one pass).

    Every law of :func:`~plugins.audit.tracing.trace_violations` is checked after each of the
    first :data:`FULL_CHECK_MOVES` moves, then at moves spaced ever further apart (each a
    quarter further than the last) and after the last move: a full check reads every pool, lot
    and route, so it cannot run after each of a million moves. After every move in between,
    under every rule, the two pools the move touched must equal the parties' inflows − outflows
    and their returned ≤ departed; under pro-rata also their tag laws (each tag ≥ 0, ≤ the
    pool's balance, never the pool's own). The moves are read once, as they stream by; the
    first failing move per rule is reported (later failures usually follow from it).
    """
    tracers = {rule: tracing.Tracer(rule, keep_moves=False) for rule in rules}
    found: list[Violation] = []
    failed: set[str] = set()
    last: CashMove | None = None
    index, next_full = 0, FULL_CHECK_MOVES + 1

    def report(rule: str, move: CashMove, problems: list[str]) -> None:
        failed.add(rule)
        found.extend(
            Violation(
                invariant,
                f"{rule}: after cash move #{index} ('{move.event_id}', {move.payer} → {move.payee} {exact(move.amount)}): {problem}",
                (move.event_id,),
                {"amount": move.amount},
            )
            for problem in problems
        )

    # The tracer allocates millions of small acyclic objects: see ledger.engine.gc_pause.
    with no_cyclic_gc(), localcontext(_WIDE):
        for move in cash_moves:
            index += 1
            full = index <= FULL_CHECK_MOVES or index == next_full
            if index == next_full:
                next_full += max(1, next_full // 4)
            for rule, tracer in tracers.items():
                if rule in failed:
                    continue
                tracer.apply(move)
                problems = tracing.trace_violations(tracer) if full else _touched(tracer, move)
                if problems:
                    report(rule, move, problems)
            last = move
        if last is not None and index > FULL_CHECK_MOVES:
            for rule, tracer in tracers.items():
                if rule not in failed and (problems := tracing.trace_violations(tracer)):
                    report(rule, last, problems)
    return found


def reconciliation(
    cash_moves: Iterable[CashMove] | tracing.Tracer,
    cash: Mapping[str, Decimal],
    *,
    currency: str = "USD",
    invariant: str = "audit.trace-reconciles",
) -> list[Violation]:
    """Each party's pool after the last move equals its ``assets:cash`` balance in the book.

    ``cash`` is ``{party: balance}``; the pool balance does not depend on the rule, so one
    pro-rata run answers for all three. ``cash_moves`` may be a tracer that has already run
    them (``verify`` passes the one its fold from scratch built, rather than tracing again).
    """
    if isinstance(cash_moves, tracing.Tracer):
        tracer = cash_moves
    else:
        tracer = tracing.Tracer("pro-rata", keep_moves=False)
        for move in cash_moves:
            tracer.apply(move)
    found = []
    for party in sorted((set(tracer.parties()) | set(cash)) - {WORLD}):
        pool, book = tracer.pool_balance(party), cash.get(party, Decimal(0))
        if pool != book:
            found.append(
                Violation(
                    invariant,
                    f"{party}: the tracer's {currency} pool is {exact(pool)} but assets:cash holds {exact(book)}",
                    (),
                    {"pool": pool, "assets:cash": book},
                )
            )
    return found
