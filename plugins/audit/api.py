"""The circular-flow audit from Python: loops per layer, round trips under a tracing rule.

::

    import ledger

    report = ledger.open("loopledger.db").audit(
        as_of=dt.date(2025, 12, 31), rule="lifo", layers=("committed", "all")
    )                       # the ``audit`` query: :func:`audit` on a fold of the store
    report.cycles[0].path, report.trace.party("nvidia").returned
    report.to_json()        # what ``loopledger audit --json`` prints

The inputs come from the ``audit.flows`` projection (:mod:`plugins.audit.flows`), the loops from
:func:`~plugins.audit.cycles.find_cycles`, the round trips from
:func:`~plugins.audit.tracing.trace`. :func:`trace_conservation` re-runs the tracer step by step
and checks its conservation laws, and that its pools reconcile with the book's cash; the plugin
registers it as invariants for ``loopledger verify``.

JSON decimals are exact strings with trailing fractional zeros dropped: the pro-rata tracer
works on a 1e-8 grid, so its $5B prints as ``"5000000000"``, not ``"5000000000.00000000"``, and
13.333333330 as ``"13.33333333"``. Dropping zeros never changes a value.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

import attrs

from ledger.api.tables import Column, Table
from ledger.engine import Result
from plugins.audit import tracers, tracing
from plugins.audit.conservation import (
    reconciliation,
    trace_conservation,
)
from plugins.audit.cycles import search_cycles
from plugins.audit.fair_values import warrant_fair_values
from plugins.audit.flows import (
    DEFAULT_MAX_LENGTH,
    LAYERS,
    NAME,
    FlowState,
    Layer,
    WarrantValue,
    aggregate,
    edges_json,
    layer_edges,
    names_of,
    warrant_values,
)
from plugins.audit.model import (
    DEFAULT_MAX_CYCLES,
    Cycle,
    CycleSearch,
    Edge,
    Rule,
    Trace,
    _opt,
    exact,
)
from plugins.audit.standing import (
    STANDING_ORDER,
    LegParts,
    Standing,
    leg_parts,
    loop_standing,
)
from plugins.audit.tracing import RULES

__all__ = [
    "DEFAULT_MAX_CYCLES",
    "DEFAULT_MAX_LENGTH",
    "LAYERS",
    "NAME",
    "RULES",
    "STANDING_ORDER",
    "AuditReport",
    "LegParts",
    "Picture",
    "Rule",
    "Standing",
    "Trace",
    "audit",
    "audit_answer",
    "exact",
    "leg_parts",
    "picture",
    "reconciliation",
    "round_trips",
    "trace_conservation",
    "warrant_fair_values",
]


CYCLE_COLUMNS = (
    Column("layer"),
    Column("path"),
    Column("parties", "int"),
    Column("bottleneck", "decimal"),
    Column("standing"),
    Column("firm_bottleneck", "decimal"),
    Column("legs_stand_on"),
    Column("time_respecting", "bool"),
    Column("events"),
)
ROUND_TRIP_COLUMNS = (
    Column("party"),
    Column("departed", "decimal"),
    Column("returned", "decimal"),
    Column("share", "decimal"),
)


@attrs.frozen
class RoundTrips(Table):
    """Per party: cash that left it, and how much of that came back (under the audit's rule)."""

    trace: Trace

    @property
    def columns(self) -> tuple[Column, ...]:
        return ROUND_TRIP_COLUMNS

    def to_records(self) -> list[dict[str, Any]]:
        return [
            {"party": f.party, "departed": f.departed, "returned": f.returned, "share": f.share}
            for f in self.trace.parties
        ]


@attrs.frozen
class AuditReport(Table):
    """Loops and round trips of one currency as of a date, under one tracing rule; as a
    table, one record per loop (``round_trips()`` gives the round trips as another)."""

    as_of: dt.date | None
    rule: Rule
    currency: str
    layers: tuple[Layer, ...]
    min_amount: Decimal
    max_length: int | None
    cycles: tuple[Cycle, ...]
    """The cycles of the chosen layers, biggest bottleneck first (at most ``max_cycles``)."""
    edges: Mapping[str, tuple[Edge, ...]]
    """Per layer, one aggregated edge per (source, target) between modelled parties."""
    trace: Trace
    warrants: tuple[WarrantValue, ...]
    names: Mapping[str, str]
    max_cycles: int | None = DEFAULT_MAX_CYCLES
    search: CycleSearch | None = None
    """How many cycles there are in all (``found``, ``exact``); None: all are listed."""
    leg_layers: Mapping[tuple[str, str], tuple[str, ...]] = attrs.field(factory=dict)
    """(source, target) → the single layers (cash, committed, equity) that hold that flow."""
    parts: Mapping[str, Mapping[tuple[str, str], LegParts]] = attrs.field(factory=dict)
    """Per layer, (source, target) → what the flow stands on: paid, stake, binding, non-binding
    (:mod:`plugins.audit.standing`)."""
    fair_values: Mapping[str, Decimal] = attrs.field(factory=dict)
    """Grant id → grant-date fair value, the amount its warrant stake has in the equity layer;
    a grant not here (no valuation plugin, no price) enters at its grant-date intrinsic value."""

    def legs(self, cycle: Cycle) -> list[LegParts]:
        """Per leg of ``cycle``, in path order, what it stands on."""
        found = self.parts.get(cycle.layer, {})
        return [found.get((e.source, e.target), LegParts()) for e in cycle.edges]

    def standing(self, cycle: Cycle) -> tuple[Standing, Decimal]:
        """``firm`` / ``partly non-binding`` / ``non-binding only``, and the firm bottleneck."""
        return loop_standing(self.legs(cycle))

    def headline(self) -> list[Cycle]:
        """The listed cycles, firm ones first (then partly, then only non-binding), each group
        biggest bottleneck first: what the report leads with."""
        return sorted(
            self.cycles,
            key=lambda c: (STANDING_ORDER.index(self.standing(c)[0]), -c.bottleneck),
        )

    def warrant_basis(self, grant: str) -> str:
        return (
            "grant-date fair value" if grant in self.fair_values else "grant-date intrinsic value"
        )

    @property
    def columns(self) -> tuple[Column, ...]:
        return CYCLE_COLUMNS

    def to_records(self) -> list[dict[str, Any]]:
        return [
            {
                "layer": c.layer,
                "path": " -> ".join(c.path),
                "parties": len(c.parties),
                "bottleneck": c.bottleneck,
                "standing": self.standing(c)[0],
                "firm_bottleneck": self.standing(c)[1],
                "legs_stand_on": " · ".join(p.label for p in self.legs(c)),
                "time_respecting": c.time_respecting,
                "events": " ".join(c.event_ids),
            }
            for c in self.cycles
        ]

    def round_trips(self) -> RoundTrips:
        """The round trips of cash per party, as a typed table."""
        return RoundTrips(self.trace)

    def layers_of(self, cycle: Cycle) -> list[list[str]]:
        """Per leg of ``cycle``, the single layers it runs in: ``[["equity"], ["committed"]]``
        for CoreWeave → OpenAI → CoreWeave, a loop that exists only in ``all``."""
        if cycle.layer != "all":
            return [[cycle.layer] for _ in cycle.edges]
        return [list(self.leg_layers.get((e.source, e.target), ())) for e in cycle.edges]

    @property
    def truncated(self) -> bool:
        """Whether some cycles are not listed (``max_cycles`` reached)."""
        return self.search is not None and self.search.truncated

    def cycles_in(self, layer: Layer) -> list[Cycle]:
        return [c for c in self.cycles if c.layer == layer]

    def name(self, party: str) -> str:
        return self.names.get(party, party)

    def notes(self, cycle: Cycle) -> list[str]:
        """Caveats of a cycle: warrants on it valued at 0 for want of a price."""
        on = set(cycle.event_ids)
        return [
            f"warrant '{w.grant}': {w.note}"
            for w in self.warrants
            if w.note and w.grant in on and (w.issuer, w.holder) in cycle.pairs
        ]

    def to_json(self) -> dict[str, Any]:
        """The JSON document ``loopledger audit --json`` prints (decimals as exact strings), its
        cycles in the report's order: firm loops first, each group biggest bottleneck first."""
        return {
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "rule": self.rule,
            "currency": self.currency,
            "layers": list(self.layers),
            "min_amount": exact(self.min_amount),
            "max_length": self.max_length,
            "max_cycles": self.max_cycles,
            "truncated": self.truncated,
            "cycles_found": len(self.cycles) if self.search is None else self.search.found,
            "cycles_found_exact": True if self.search is None else self.search.exact,
            "cycles_not_listed": 0 if self.search is None else self.search.not_listed,
            "cycles": [
                {
                    "layer": c.layer,
                    "path": list(c.path),
                    "bottleneck": exact(c.bottleneck),
                    "standing": self.standing(c)[0],
                    "firm_bottleneck": exact(self.standing(c)[1]),
                    "time_respecting": c.time_respecting,
                    "events": list(c.event_ids),
                    "edges": [
                        {
                            "source": e.source,
                            "target": e.target,
                            "amount": exact(e.amount),
                            "layers": layers,
                            "standing": parts.label,
                            "parts": parts.to_json(),
                        }
                        for e, layers, parts in zip(
                            c.edges, self.layers_of(c), self.legs(c), strict=True
                        )
                    ],
                    "notes": self.notes(c),
                }
                for c in self.headline()
            ],
            **self.trace.to_json(),
            "warrants": [
                {
                    "grant": w.grant,
                    "issuer": w.issuer,
                    "holder": w.holder,
                    "shares": exact(w.shares),
                    "strike": exact(w.strike),
                    "price": _opt(w.price),
                    "price_date": None if w.price_date is None else w.price_date.isoformat(),
                    "value": exact(self.fair_values.get(w.grant, w.value)),
                    "basis": self.warrant_basis(w.grant),
                    "intrinsic_at_grant": exact(w.value),
                    "fair_value_at_grant": _opt(self.fair_values.get(w.grant)),
                    "note": w.note,
                }
                for w in self.warrants
            ],
            "edges": {
                layer: [
                    {
                        **row,
                        "amount": exact(row["amount"]),
                        "first_date": row["first_date"].isoformat(),
                        "last_date": row["last_date"].isoformat(),
                        **self._edge_standing(layer, row["source"], row["target"]),
                    }
                    for row in edges_json(self.edges[layer])
                ]
                for layer in self.layers
            },
            "names": dict(sorted(self.names.items())),
        }

    def _edge_standing(self, layer: str, source: str, target: str) -> dict[str, Any]:
        parts = self.parts.get(layer, {}).get((source, target))
        return {} if parts is None else {"standing": parts.label, "parts": parts.to_json()}


def _layers(layers: Layer | Iterable[Layer]) -> tuple[Layer, ...]:
    chosen: tuple[str, ...] = (layers,) if isinstance(layers, str) else tuple(layers)
    unknown = [layer for layer in chosen if layer not in LAYERS]
    if unknown or not chosen:
        raise ValueError(f"unknown layer(s) {unknown}; expected some of {', '.join(LAYERS)}")
    return tuple(layer for layer in LAYERS if layer in chosen)


def _state(source: Result | FlowState) -> tuple[FlowState, dt.date | None, dict[str, str]]:
    if isinstance(source, FlowState):
        return source, None, {}
    if NAME not in source.states:
        quarantined = [f for f in source.failures if f.projection == NAME]
        why = f": it failed on '{quarantined[0].event_id}'" if quarantined else ""
        raise ValueError(
            f"the run has no '{NAME}' state{why} (is the audit plugin loaded and did it fold?)"
        )
    # Without --as-of the figures are as of the last recorded event, as value and metrics say.
    as_of = source.as_of if source.as_of is not None else source.max_date
    return source.states[NAME], as_of, names_of(source.parties)


def audit(
    source: Result | FlowState,
    *,
    rule: Rule = "pro-rata",
    layers: Layer | Iterable[Layer] = LAYERS,
    min_amount: Decimal = Decimal(0),
    max_length: int | None = DEFAULT_MAX_LENGTH,
    max_cycles: int | None = DEFAULT_MAX_CYCLES,
    currency: str = "USD",
    names: Mapping[str, str] | None = None,
    trace: Trace | None = None,
    warrant_fair_values: Mapping[str, Decimal] | None = None,
) -> AuditReport:
    """Loops per layer and round trips as of the run's date.

    :param source: an engine :class:`~ledger.engine.Result` (``engine.run(as_of=…)``) or the
        ``audit.flows`` state itself (then ``as_of`` reads None).
    :param trace: the round trips under ``rule``; by default read from the run's
        ``audit.trace.<rule>`` projection (the ``audit`` query folds it when the run lacks it).
    :param rule: which dollars a payer spends: ``pro-rata``, ``fifo`` or ``lifo``.
    :param layers: one layer or several of ``cash``, ``committed``, ``equity``, ``all``.
    :param min_amount: drop cycles whose bottleneck is below this (exact Decimal).
    :param max_length: most parties on a cycle (None: unbounded — exponential on dense graphs).
    :param max_cycles: most cycles listed, the biggest, over all chosen layers (None: every
        one — exponential on dense graphs); ``report.truncated`` and ``report.search`` say how
        many more there are (see :func:`~plugins.audit.cycles.search_cycles`).
    :param currency: the currency audited; each currency is its own set of pools and graphs.
    :param names: display names by party id (default: the run's declared parties).
    :param warrant_fair_values: grant id → grant-date fair value: the amount of each warrant
        stake in the equity layer (the ``audit`` query passes the valuation plugin's); a grant
        left out enters at its grant-date intrinsic value, and the report says which basis.
    """
    if rule not in tracing.RULES:
        raise ValueError(f"unknown tracing rule {rule!r}; expected one of {tracing.RULES}")
    chosen = _layers(layers)
    state, as_of, declared = _state(source)
    edges: dict[str, tuple[Edge, ...]] = {}
    found: list[tuple[int, Cycle]] = []
    total, exact = 0, True
    for index, layer in enumerate(chosen):
        flows = layer_edges(state, layer, currency, warrant_fair_values)
        edges[layer] = tuple(aggregate(flows))
        # Each layer's biggest max_cycles include every one of its cycles in the overall top.
        search = search_cycles(
            flows, min_amount=min_amount, max_length=max_length, max_cycles=max_cycles
        )
        found += [(index, c) for c in search.cycles]
        total, exact = total + search.found, exact and search.exact
    found.sort(key=lambda item: (-item[1].bottleneck, item[0], len(item[1].path), item[1].path))
    listed = found if max_cycles is None else found[:max_cycles]
    leg_layers: dict[tuple[str, str], tuple[str, ...]] = {}
    if "all" in chosen:  # which single layers make up each flow of the union
        for single in ("cash", "committed", "equity"):
            for e in aggregate(layer_edges(state, single, currency)):
                leg_layers[(e.source, e.target)] = (
                    *leg_layers.get((e.source, e.target), ()),
                    single,
                )
    return AuditReport(
        as_of=as_of,
        rule=rule,
        currency=currency,
        layers=chosen,
        min_amount=min_amount,
        max_length=max_length,
        cycles=tuple(c for _, c in listed),
        edges=edges,
        trace=trace if trace is not None else trace_of(source, rule, currency),
        warrants=tuple(warrant_values(state, currency)),
        names=dict(names) if names is not None else declared,
        max_cycles=max_cycles,
        search=CycleSearch(tuple(c for _, c in listed), total, exact),
        leg_layers=leg_layers,
        parts={layer: leg_parts(state, layer, currency, warrant_fair_values) for layer in chosen},
        fair_values=dict(warrant_fair_values or {}),
    )


# --- the queries the API answers (registered by plugins.audit.plugin) ----------------------------

PICTURE_TITLES: Final = {
    "cash": "cash paid",
    "committed": "commitments outstanding",
    "equity": "stakes (investments, warrants at grant-date fair value)",
    "all": "cash paid + commitments outstanding + stakes",
}


@attrs.frozen
class Picture:
    """What a drawing of one layer shows: the file, its flows and loops, and the search behind it."""

    out: str
    layer: str
    flows: int
    loops: int
    search: CycleSearch


def trace_of(source: Result | FlowState, rule: Rule, currency: str = "USD") -> Trace:
    """The round trips under ``rule`` from a run's ``audit.trace.<rule>`` state."""
    if rule not in tracing.RULES:
        raise ValueError(f"unknown tracing rule {rule!r}; expected one of {tracing.RULES}")
    name = tracers.name_of(rule)
    if isinstance(source, FlowState) or name not in source.states:
        raise ValueError(f"the run has no '{name}' state: fold that projection too")
    tracer = source.states[name].get(currency)
    return tracer.result() if tracer is not None else Trace(rule, (), (), ())


def _with_trace(ledger: Any, result: Result, rule: Rule) -> Result:
    """The run, or a run as of the same date that has the tracer of ``rule`` too."""
    if tracers.name_of(rule) in result.states:
        return result
    return ledger.run(result.as_of, names=[tracers.name_of(rule)], require=[tracers.name_of(rule)])  # type: ignore[no-any-return]


def audit_answer(ledger: Any, result: Result, **options: Any) -> AuditReport:
    """The ``audit`` query: :func:`audit` on the fold (``rule``, ``layers``, ``min_amount`` …),
    warrants in the equity layer at their grant-date fair value (:func:`warrant_fair_values`)."""
    rule = options.get("rule", "pro-rata")
    currency = options.get("currency", "USD")
    traced = _with_trace(ledger, result, rule)
    if "warrant_fair_values" not in options:
        options["warrant_fair_values"] = warrant_fair_values(ledger, result, currency)
    return audit(result, trace=trace_of(traced, rule, currency), **options)


def round_trips(
    ledger: Any, result: Result, *, rule: Rule = "pro-rata", currency: str = "USD"
) -> Trace:
    """The ``audit.round_trips`` query: the tracer's result under one rule, without the loops."""
    return trace_of(_with_trace(ledger, result, rule), rule, currency)


def picture(
    ledger: Any,
    result: Result,
    *,
    out: str | os.PathLike[str],
    layer: Layer = "all",
    max_length: int = DEFAULT_MAX_LENGTH,
    max_cycles: int = DEFAULT_MAX_CYCLES,
    currency: str = "USD",
    write: Callable[[pathlib.Path, bytes], None] | None = None,
) -> Picture:
    """The ``audit.picture`` query: draw one layer's flows with its biggest loops (SVG or PNG).

    ``write(path, data)`` stores the file (default: renamed over ``out``, never through a link).

    The cycle search is capped (``max_cycles``) here as in ``loopledger graph``: the drawing
    of a dense graph never enumerates every loop.
    """
    from plugins.audit.picture import draw
    from plugins.audit.render import short_name

    state, _, declared = _state(result)
    fair = warrant_fair_values(ledger, result, currency)
    edges = layer_edges(state, layer, currency, fair)
    search = search_cycles(edges, max_length=max_length, max_cycles=max_cycles)
    when = f", as of {result.as_of.isoformat()}" if result.as_of else ""
    draw(
        edges,
        list(search.cycles),
        title=f"Circular flows — {PICTURE_TITLES[layer]} ({currency}{when})",
        out=pathlib.Path(out),
        names={p: short_name(n) for p, n in declared.items()},
        search=search,
        write=write,
        parts=leg_parts(state, layer, currency, fair),
    )
    return Picture(str(out), layer, len(aggregate(edges)), len(search.cycles), search)
