"""The ``audit.trace.<rule>`` projections: a provenance tracer per rule, folded as cash moves.

Why projections: tracing replays every cash move of the history in order; doing that on every
``audit`` call costs the whole history each time. As projections the tracers fold once, keep
their pools in a checkpoint (plain data, see :meth:`plugins.audit.tracing.Tracer.to_plain`) and
catch up on what was appended since. One projection per rule, so ``audit --rule fifo`` folds only
the fifo tracer; one tracer per currency inside each.
"""

from __future__ import annotations

from typing import Any, Final

from ledger.book import Entry
from ledger.engine.projection import Projection
from plugins.audit.flows import entry_moves
from plugins.audit.model import KINDS, Rule
from plugins.audit.tracing import RULES, Tracer

Tracers = dict[str, Tracer]
"""Currency → the tracer of that currency's cash."""

PREFIX: Final = "audit.trace."


def name_of(rule: Rule) -> str:
    return f"{PREFIX}{rule}"


def _projection(rule: Rule) -> Projection[Tracers]:
    def initial() -> Tracers:
        return {}

    def apply(state: Tracers, entry: Entry) -> Tracers:
        for currency, move in entry_moves(entry):
            tracer = state.get(currency)
            if tracer is None:
                tracer = state[currency] = Tracer(rule, keep_moves=False)
            tracer.apply(move)
        return state

    def encode(state: Tracers) -> dict[str, Any]:
        return {currency: tracer.to_plain() for currency, tracer in state.items()}

    def decode(data: dict[str, Any]) -> Tracers:
        return {currency: Tracer.from_plain(plain) for currency, plain in data.items()}

    def describe(state: Tracers) -> dict[str, Any]:
        return {currency: tracer.result().to_json() for currency, tracer in state.items()}

    return Projection(
        name_of(rule),
        initial,
        apply,
        handles=sorted(KINDS),
        # 2: fifo/lifo return paths longer than PATH_KEPT parties are summed by first and
        # last hop (tracing.path_key); a version-1 checkpoint holds them in full, so rebuild.
        version="1" if rule == "pro-rata" else "2",
        describe=describe,
        encode=encode,
        decode=decode,
    )


PROJECTIONS: Final = {rule: _projection(rule) for rule in RULES}
