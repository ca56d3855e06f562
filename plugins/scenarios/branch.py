"""A scenario applied to its base: the branched history (parties and events in recorded order)
and the valuation settings it changes.

Changes apply in file order to the base's events: ``add`` appends, ``drop`` removes, ``replace``
puts a new event in the old one's place (so later events that refer to it still come after it),
``prices`` overrides a price series, ``settings`` overlays valuation settings, and ``generate``
appends what a registered generator writes — seeing the base and every earlier change. The
events added are then recorded after the base *in date order* (one date keeps the order they
were written in), as if each had been recorded when it happened: the audit's tracer follows
recorded order, and NVIDIA's investment of March must reach OpenAI before OpenAI's payment of
June leaves, whichever change wrote it. Nothing here checks the book's rules: the branched history is *replayed* (see
:mod:`plugins.scenarios.run`), so a change is refused for exactly the reasons a recorded event
would be.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from ledger.histories.loader import History
from ledger.histories.yaml_text import line_of
from ledger.model.events import Event, Price
from ledger.model.problems import InputError, LedgerError, Problem
from ledger.model.values import Party
from plugins.scenarios.context import Generated, GeneratorContext, Params
from plugins.scenarios.mappings import in_file, marked, parse_events, parse_parties
from plugins.scenarios.model import Change, Scenario
from plugins.scenarios.settings import merge_settings

HYPOTHETICAL: Final = "estimate"
"""The confidence every generated event carries (the event model has no 'hypothetical')."""


class GeneratorFailed(LedgerError):
    """A scenario generator raised: a bug in the plugin that registered it (exit 1)."""


@attrs.frozen
class BaseHistory:
    """The history a scenario branches from, read once (from a store or from history files)."""

    location: str
    parties: tuple[Party, ...]
    events: tuple[Event, ...]


@attrs.frozen
class Branched:
    """The scenario's history, what each change did, and its valuation settings."""

    scenario: Scenario
    base: BaseHistory
    parties: tuple[Party, ...]
    events: tuple[Event, ...]
    settings: Mapping[str, Any]
    """``[plugins.valuation]`` as the scenario sees it (the configuration with its overlays)."""
    lines: Mapping[str, int]
    """Event id → the scenario line it came from (its own line, or its change's)."""
    party_lines: Mapping[str, int]
    added: tuple[str, ...]
    generated: tuple[str, ...]
    dropped: tuple[str, ...]
    replaced: tuple[str, ...]
    change_lines: Mapping[str, int] = attrs.field(factory=dict)
    """Recorded event id → the line of the drop or replace that touched it."""
    origins: Mapping[str, int] = attrs.field(factory=dict)
    """Id of an event a change wrote → that change's number."""

    def history(self) -> History:
        """The branched history as the loader would have read it from one file."""
        return History(
            self.scenario.file,
            self.scenario.title,
            self.scenario.currency,
            self.parties,
            self.events,
            dict(self.lines),
            dict(self.party_lines),
        )

    @property
    def first_change(self) -> dt.date | None:
        """The earliest date of an event that is not the same on both sides (None: no event
        differs). Every fold as of an earlier date is the same on both sides: it folds the same
        events in the same recorded order."""
        differing = set(self.base.events) ^ set(self.events)
        return min((e.date for e in differing), default=None)

    @property
    def introduced(self) -> set[str]:
        """Ids of events the scenario wrote (added, generated or replacing a recorded one)."""
        return {*self.added, *self.generated, *self.replaced}


class _Branching:
    """The mutable state of applying changes one after another."""

    def __init__(self, scenario: Scenario, base: BaseHistory) -> None:
        self.scenario = scenario
        self.events: list[Event] = list(base.events)
        self.lines: dict[str, int] = {}
        self.origins: dict[str, int] = {}
        self.change_lines: dict[str, int] = {}
        self.added: list[str] = []
        self.generated: list[str] = []
        self.dropped: list[str] = []
        self.replaced: list[str] = []
        self.problems: list[Problem] = []

    def index(self) -> dict[str, int]:
        return {e.id: i for i, e in enumerate(self.events)}

    def problem(
        self, change: Change, message: str, *, line: int | None = None, key: str = ""
    ) -> None:
        field = f"changes[{change.index}]" + (f".{key}" if key else f".{change.kind}")
        self.problems.append(
            Problem(file=self.scenario.file, line=line or change.line, field=field, message=message)
        )

    def append(
        self, change: Change, events: Iterable[Event], lines: Sequence[int | None], kind: str
    ) -> None:
        known = self.index()
        for event, line in zip(events, lines, strict=True):
            if event.id in known:
                origin = "an earlier change" if event.id in self.lines else "a recorded event"
                self.problem(
                    change,
                    f"event id '{event.id}' is already used by {origin}; to change a recorded "
                    "event use 'replace', to add one give it a new id",
                    line=line,
                )
                continue
            known[event.id] = len(self.events)
            self.events.append(event)
            self.lines[event.id] = line or change.line or 0
            self.origins[event.id] = change.index
            (self.generated if kind == "generated" else self.added).append(event.id)

    def drop(self, change: Change, ids: Sequence[str], line: int | None = None) -> None:
        known = self.index()
        gone = set()
        for event_id in ids:
            if event_id not in known or event_id in gone:
                self.problem(
                    change,
                    f"no event '{event_id}' to drop in the base or the earlier changes",
                    line=line,
                )
                continue
            gone.add(event_id)
            self.change_lines[event_id] = line or change.line or 0
            if event_id in self.lines:
                for bucket in (self.added, self.generated, self.replaced):
                    if event_id in bucket:
                        bucket.remove(event_id)
                del self.lines[event_id]
            else:
                self.dropped.append(event_id)
        self.events = [e for e in self.events if e.id not in gone]


def branch(
    scenario: Scenario,
    base: BaseHistory,
    plugins: Any,
    configured: Mapping[str, Any],
) -> Branched:
    """Apply ``scenario``'s changes to ``base``; :class:`InputError` lists every bad change.

    ``plugins`` is the plugin facade (generators come from its registry); ``configured`` the
    ``[plugins.valuation]`` section the scenario's settings overlay.
    """
    state = _Branching(scenario, base)
    settings: dict[str, Any] = dict(configured)
    for change in scenario.changes:
        try:
            if change.kind == "add":
                _add(state, change)
            elif change.kind == "drop":
                state.drop(change, change.body, line_of(change.body) or change.line)
            elif change.kind == "replace":
                _replace(state, change)
            elif change.kind == "prices":
                _prices(state, change)
            elif change.kind == "settings":
                settings = merge_settings(settings, change, scenario.file)
            else:
                _generate(state, change, plugins, base)
        except InputError as exc:
            state.problems += exc.problems
    parties = list(base.parties)
    party_lines: dict[str, int] = {}
    try:
        new, party_lines = parse_parties(scenario.parties, scenario.currency, scenario.file)
        known = {p.id for p in parties}
        parties += [p for p in new if p.id not in known or p not in parties]
    except InputError as exc:
        state.problems += exc.problems
    if state.problems:
        raise InputError(state.problems)
    # The events the scenario adds are recorded after the base in date order, as if recorded
    # as they happened (the tracer follows recorded order); one date keeps the written order.
    written = set(state.added) | set(state.generated)
    kept = [e for e in state.events if e.id not in written]
    appended = sorted((e for e in state.events if e.id in written), key=lambda e: e.date)
    return Branched(
        scenario=scenario,
        base=base,
        parties=tuple(parties),
        events=(*kept, *appended),
        settings=settings,
        lines=state.lines,
        party_lines=party_lines,
        added=tuple(state.added),
        generated=tuple(state.generated),
        dropped=tuple(state.dropped),
        replaced=tuple(state.replaced),
        change_lines=state.change_lines,
        origins=state.origins,
    )


def wrote(generator: str, index: int) -> str:
    """How a problem with a generated event begins: who wrote it."""
    return f"generator '{generator}' (change #{index}) wrote an event that does not hold"


def _mark(scenario: Scenario, raw: Mapping[str, Any]) -> dict[str, Any]:
    return marked(raw, source=scenario.source)


def _add(state: _Branching, change: Change) -> None:
    s = state.scenario
    items = [_mark(s, raw) for raw in change.body]
    events = parse_events(items, s.currency, in_file(s.file, change.body, change.line))
    state.append(change, events, [line_of(raw) for raw in change.body], "added")


def _replace(state: _Branching, change: Change) -> None:
    s = state.scenario
    raw = change.body
    (event,) = parse_events([_mark(s, raw)], s.currency, in_file(s.file, [raw], change.line))
    known = state.index()
    line = line_of(raw) or change.line
    if event.id not in known:
        state.problem(
            change,
            f"no event '{event.id}' to replace in the base or the earlier changes (to add an "
            "event, use 'add')",
            line=line,
        )
        return
    state.events[known[event.id]] = event
    state.change_lines[event.id] = line or 0
    state.origins[event.id] = change.index
    if event.id not in state.lines:
        state.replaced.append(event.id)
    state.lines[event.id] = line or 0


PRICE_KEYS: Final = ("party", "per_share", "valuation", "replace")


def _prices(state: _Branching, change: Change) -> None:
    """An overridden price series: the marks given, in place of the recorded ones they cover."""
    s, body = state.scenario, change.body
    for key in body:
        if key not in PRICE_KEYS:
            state.problem(
                change,
                f"unknown key; expected {', '.join(PRICE_KEYS)}",
                line=line_of(body, str(key)),
                key=f"prices.{key}",
            )
    party = body.get("party")
    kinds = [k for k in ("per_share", "valuation") if body.get(k) is not None]
    if not isinstance(party, str) or len(kinds) != 1:
        state.problem(
            change,
            "expected party and one series: per_share or valuation, a list of [date, amount]",
        )
        return
    kind = kinds[0]
    series = body[kind]
    replace = body.get("replace", True)
    if not isinstance(series, list) or not series or not isinstance(replace, bool):
        state.problem(
            change,
            f"expected {kind} as a list of [date, amount] (or {{date, price}}) and replace as "
            "true or false",
            line=line_of(body, kind),
        )
        return
    items: list[dict[str, Any]] = []
    lines: list[int | None] = []
    for k, point in enumerate(series, start=1):
        if isinstance(point, list) and len(point) == 2:
            day, amount = point
        elif isinstance(point, dict) and set(point) <= {"date", "price"}:
            day, amount = point.get("date"), point.get("price")
        else:
            state.problem(
                change,
                f"point #{k}: expected [date, amount] or {{date: …, price: …}}; got {point!r}",
                line=line_of(point) or line_of(body, kind),
            )
            continue
        items.append(
            {
                "id": f"{s.name}:prices-{change.index}.{k}",
                "type": "price",
                "date": day,
                "party": party,
                kind: amount,
                "source": s.source,
                "confidence": HYPOTHETICAL,
                "note": f"hypothetical: overridden {kind} series (change #{change.index})",
            }
        )
        lines.append(line_of(point) or line_of(body, kind) or change.line)
    if len(items) != len(series):
        return
    located = in_file(s.file, series, line_of(body, kind) or change.line)
    marks = parse_events(items, s.currency, located)
    first = min(m.date for m in marks)
    if replace:
        covered = [
            e.id
            for e in state.events
            if isinstance(e, Price)
            and e.party == party
            and e.date >= first
            and getattr(e, kind) is not None
            and e.id not in {m.id for m in marks}
        ]
        _drop_marks(state, change, covered, kind)
    state.append(change, marks, lines, "added")


def _drop_marks(state: _Branching, change: Change, ids: Sequence[str], kind: str) -> None:
    """Drop price events, keeping the other half of a mark that gives both price and valuation."""
    other = "valuation" if kind == "per_share" else "per_share"
    known = state.index()
    whole = []
    for event_id in ids:
        event = state.events[known[event_id]]
        if getattr(event, other) is not None:
            changes: dict[str, Any] = {kind: None}
            state.events[known[event_id]] = attrs.evolve(event, **changes)
            state.change_lines[event_id] = change.line or 0
        else:
            whole.append(event_id)
    state.drop(change, whole)


def _generate(state: _Branching, change: Change, plugins: Any, base: BaseHistory) -> None:
    s = state.scenario
    name = change.generator or ""
    spec = plugins.scenario_generator(name)
    if spec is None:
        known = ", ".join(sorted(g.name for g in plugins.scenario_generators())) or "none"
        state.problem(
            change,
            f"no scenario generator named '{name}' (known: {known})",
            line=line_of(change.body, "generate") or change.line,
            key="generate",
        )
        return
    params = {k: v for k, v in change.body.items() if k != "generate"}
    unknown = [k for k in params if k not in spec.parameters]
    for key in unknown:
        hint = (
            f" (YAML reads an unquoted on/off/yes/no as {key}: quote the key)"
            if isinstance(key, bool)
            else ""
        )
        state.problem(
            change,
            f"generator '{name}' takes no '{key}'{hint} (it takes: {', '.join(spec.parameters)})",
            line=line_of(change.body, str(key)),
            key=str(key),
        )
    if unknown:
        return
    context = GeneratorContext(
        scenario=s.name,
        currency=s.currency,
        events=tuple(state.events),
        parties={p.id: p for p in base.parties},
    )
    reader = Params(change.body, file=s.file, index=change.index, generator=name)
    try:
        answer = spec.generate(reader, context)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a plugin's bug is reported, naming the plugin
        raise GeneratorFailed(
            f"scenario generator '{name}' of plugin '{spec.plugin}' raised "
            f"{type(exc).__name__}: {exc} (change #{change.index} of {s.file})\n"
            + traceback.format_exc(limit=-3)
        ) from None
    if isinstance(answer, Generated):
        mappings, drop = list(answer.events), list(answer.drop)
    else:
        mappings, drop = list(answer or ()), []
    if not all(isinstance(m, Mapping) for m in mappings):
        raise GeneratorFailed(
            f"scenario generator '{name}' of plugin '{spec.plugin}' returned something other "
            "than event mappings (dicts written as in a history file)"
        )
    items = [
        marked(
            {k: v for k, v in m.items() if k not in ("source", "confidence")},
            id=f"{s.name}:{name}-{change.index}.{k}",
        )
        | {
            "source": s.source,
            "confidence": HYPOTHETICAL,
            "note": f"hypothetical: generator '{name}' (change #{change.index})"
            + (f": {m['note']}" if m.get("note") else ""),
        }
        for k, m in enumerate(mappings, start=1)
    ]
    line = change.line

    def locate(position: int, problem: Problem) -> Problem:
        return attrs.evolve(
            problem,
            file=s.file,
            line=line,
            position=None,
            message=f"{wrote(name, change.index)}: {problem.message}",
        )

    events = parse_events(items, s.currency, locate)
    if drop:
        state.drop(change, drop)
    state.append(change, events, [line] * len(events), "generated")


def cut(events: Iterable[Event], as_of: Any) -> tuple[Event, ...]:
    """The events dated on or before ``as_of`` (all when it is None)."""
    return tuple(e for e in events if as_of is None or e.date <= as_of)
