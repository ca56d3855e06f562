"""``scenario run``: fold a base and each scenario side by side in memory and compare every figure.

How it stays off the store: the base store is only *read* (its records, once); each side is
replayed into a fresh ``memory:`` store through the public API (``Ledger.replay``), which
validates the branched history exactly as ``loopledger replay`` would, and both sides are asked
the same questions (:mod:`plugins.scenarios.readings`). Nothing is written to the base store —
not even a checkpoint — and no ``ledger_events_recorded`` observer is told about a scenario,
since nothing was recorded.

Several scenarios are compared as of one date (the latest any of them reaches, unless
``--as-of`` says otherwise), so their columns can stand side by side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

import ledger
from ledger.histories.loader import History, load_file
from ledger.model.events import Event, references
from ledger.model.problems import InputError, Problem
from ledger.model.values import Party
from plugins.scenarios.branch import BaseHistory, Branched, branch, cut, wrote
from plugins.scenarios.diff import Difference, compare
from plugins.scenarios.files import load_scenario
from plugins.scenarios.model import Base, Scenario
from plugins.scenarios.readings import SECTIONS, Reading, periods, read_all
from plugins.valuation.api import Settings


def read_base(session: Any, base: Base) -> BaseHistory:
    """The base's parties and events (cut at ``base.as_of``), read without writing anything."""
    if base.histories:
        parties: dict[str, Party] = {}
        events: list[Event] = []
        problems: list[Problem] = []
        for path in base.histories:
            try:
                history = load_file(path)
            except InputError as exc:
                problems += exc.problems
                continue
            for p in history.parties:
                parties.setdefault(p.id, p)
            events += history.events
        if problems:
            raise InputError(problems)
        location = ", ".join(base.histories)
        return BaseHistory(location, tuple(parties.values()), cut(events, base.as_of))
    if base.store is None:
        return _records(session.store, session.location, base.as_of)
    with ledger.open(base.store, plugins=session.plugins) as other:
        return _records(other.store, other.location, base.as_of)


def _records(store: Any, location: str, as_of: dt.date | None) -> BaseHistory:
    parties: list[Party] = []
    events: list[Event] = []
    for record in store.read():
        if isinstance(record.value, Party):
            parties.append(record.value)
        else:
            events.append(record.value)
    return BaseHistory(location, tuple(parties), cut(events, as_of))


def fold(plugins: Any, *histories: History) -> Any:
    """A ``memory:`` ledger with ``histories`` replayed into it (validated, observers not told)."""
    book = ledger.open("memory:", plugins=plugins, create=True)
    book.replay(*histories, on_recorded=lambda records: None)
    return book


def fold_base(plugins: Any, base: BaseHistory) -> Any:
    return fold(plugins, History(base.location, None, "USD", base.parties, base.events))


def fold_branch(plugins: Any, branched: Branched) -> Any:
    """The scenario side; a recorded event the changes broke is blamed on the change."""
    try:
        return fold(plugins, branched.history())
    except InputError as exc:
        raise InputError([_blame(branched, p) for p in exc.problems]) from None


def _blame(branched: Branched, problem: Problem) -> Problem:
    """A problem on a recorded (base) event is a consequence of a drop or replace: say which."""
    scenario = branched.scenario
    # A position in the branched history, replayed into memory, locates nothing in any file.
    problem = attrs.evolve(problem, position=None)
    if problem.event_id in branched.generated:
        index = branched.origins[problem.event_id]
        generator = scenario.changes[index - 1].generator or "prices"
        return attrs.evolve(
            problem, file=scenario.file, message=f"{wrote(generator, index)}: {problem.message}"
        )
    if problem.event_id is None or problem.event_id in branched.introduced:
        return attrs.evolve(problem, file=scenario.file)
    event = next((e for e in branched.events if e.id == problem.event_id), None)
    touched = [t for _, t in references(event)] if event is not None else []
    line = next(
        (branched.change_lines[t] for t in touched if t in branched.change_lines),
        scenario.line_of_changes(),
    )
    return attrs.evolve(
        problem,
        file=scenario.file,
        line=line,
        message=f"recorded event no longer holds after the scenario's changes: {problem.message}",
    )


@attrs.frozen
class Outcome:
    """One scenario compared with its base."""

    branched: Branched
    base_key: tuple[Any, ...]
    base: Mapping[str, Reading]
    scenario: Mapping[str, Reading]
    differences: tuple[Difference, ...]


@attrs.frozen
class RunReport:
    """What ``scenario run`` prints: the date, and each scenario's differences."""

    as_of: dt.date
    outcomes: tuple[Outcome, ...]
    default_store: str

    @property
    def shared_base(self) -> bool:
        """Whether every scenario branches from the same base (one base column)."""
        return len({o.base_key for o in self.outcomes}) == 1

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "scenarios": [_outcome_json(o, self.default_store) for o in self.outcomes],
        }


def _outcome_json(o: Outcome, default_store: str) -> dict[str, Any]:
    b, s = o.branched, o.branched.scenario
    return {
        "name": s.name,
        "title": s.title,
        "file": s.file,
        "base": {
            "history": s.base.describe(default_store),
            "as_of": s.base.as_of,
            "events": len(b.base.events),
        },
        "events": {
            "added": list(b.added),
            "generated": list(b.generated),
            "dropped": list(b.dropped),
            "replaced": list(b.replaced),
        },
        "settings": Settings.from_config(b.settings).describe(),
        "differences": len(o.differences),
        "changed": [d.to_json() for d in o.differences],
    }


def _settings_differ(b: Branched, configured: Settings) -> bool:
    return Settings.from_config(b.settings).describe() != configured.describe()


def base_key(scenario: Scenario, default_store: str) -> tuple[Any, ...]:
    b = scenario.base
    return (b.histories or (b.store or default_store), b.as_of)


def load_all(paths: Sequence[str | Path]) -> list[Scenario]:
    """Every scenario file, all problems of all files raised together."""
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            scenarios.append(load_scenario(path))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return scenarios


def report_date(as_of: dt.date | None, branches: Sequence[Branched]) -> dt.date:
    """``as_of``, else the latest of each scenario's report date (its own, or its last event's)."""
    if as_of is not None:
        return as_of
    days = []
    for b in branches:
        if b.scenario.as_of is not None:
            days.append(b.scenario.as_of)
        elif b.events or b.base.events:
            days.append(max(e.date for e in (*b.base.events, *b.events)))
    if not days:
        raise InputError(
            Problem(message="the base and the scenarios hold no events: nothing to compare")
        )
    return max(days)


def branch_all(
    session: Any, scenarios: Sequence[Scenario]
) -> list[tuple[Branched, tuple[Any, ...]]]:
    """Each scenario applied to its base (each base read once); all problems raised together."""
    configured = session.plugins.plugin_config("valuation")
    bases: dict[tuple[Any, ...], BaseHistory] = {}
    out: list[tuple[Branched, tuple[Any, ...]]] = []
    problems: list[Problem] = []
    for s in scenarios:
        key = base_key(s, session.location)
        if key not in bases:
            bases[key] = read_base(session, s.base)
        try:
            out.append((branch(s, bases[key], session.plugins, configured), key))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return out


def run_scenarios(
    session: Any,
    paths: Sequence[str | Path],
    *,
    as_of: dt.date | None = None,
    sections: Sequence[str] = SECTIONS,
) -> RunReport:
    """Compare each scenario file with its base, every figure, as of one date."""
    branches = branch_all(session, load_all(paths))
    return compare_branches(session, branches, as_of=as_of, sections=sections)


def compare_branches(
    session: Any,
    branches: Sequence[tuple[Branched, tuple[Any, ...]]],
    *,
    as_of: dt.date | None = None,
    sections: Sequence[str] = SECTIONS,
) -> RunReport:
    plugins = session.plugins
    folded: list[Any] = []
    problems: list[Problem] = []
    for b, _ in branches:
        try:
            folded.append(fold_branch(plugins, b))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    day = report_date(as_of, [b for b, _ in branches])
    first = min((e.date for b, _ in branches for e in (*b.base.events, *b.events)), default=None)
    configured = Settings.from_config(plugins.plugin_config("valuation"))
    # Metrics are read per period. A fold as of a date before a scenario's first differing
    # event folds the same events in the same order on both sides: unless the valuation
    # settings differ, its metrics are the same and are not read; if they differ, the base's
    # fold is reused and only the metrics are computed again with the scenario's settings.
    since: dict[tuple[Any, ...], dt.date | None] = {}
    for b, key in branches:
        start = first if _settings_differ(b, configured) else b.first_change
        if start is not None:
            since[key] = min(start, since.get(key) or start)
        else:
            since.setdefault(key, None)
    base_readings: dict[tuple[Any, ...], Mapping[str, Reading]] = {}
    base_folds: dict[tuple[Any, ...], dict[dt.date, Any]] = {}
    outcomes = []
    try:
        for (b, key), side in zip(branches, folded, strict=True):
            start = since[key]
            days = [d for d in periods(first, day) if start is not None and d >= start] or [day]
            if key not in base_readings:
                base_folds[key] = {}
                with fold_base(plugins, b.base) as base_book:
                    base_readings[key] = read_all(
                        base_book,
                        day,
                        configured,
                        sections=sections,
                        metric_days=days,
                        folds=base_folds[key],
                    )
            settings = Settings.from_config(b.settings)
            change = b.first_change
            same = {d: r for d, r in base_folds[key].items() if change is None or d < change}
            mine = read_all(side, day, settings, sections=sections, metric_days=days, folds=same)
            outcomes.append(
                Outcome(b, key, base_readings[key], mine, tuple(compare(base_readings[key], mine)))
            )
    finally:
        for side in folded:
            side.close()
    return RunReport(day, tuple(outcomes), session.location)
