"""``scenario sweep``: one setting varied over a grid, the chosen figures read at every point.

What can vary (``--vary WHAT=LOW:HIGH:STEP`` or ``WHAT=v1,v2,…``):

* ``volatility`` (every issuer) or ``volatility:<issuer>``, ``rate``, ``probability`` or
  ``probability:<grant>[:<tranche>]`` — valuation settings, laid over the scenario's;
* ``price:<party>`` — a hypothetical per-share mark of the party on the report date;
* any parameter of the scenario's generators: ``growth``, or ``<change number>.<parameter>``
  when several changes take it.

Each point is the scenario with one more change (a ``settings`` change, an added price, or the
parameter rewritten), branched and folded exactly as ``scenario run`` does; points whose
history is the same (a settings sweep) share one fold. Grid values are exact Decimals.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import attrs

from ledger.model.amounts import format_decimal
from ledger.model.events import WarrantGrant
from ledger.model.problems import InputError, Problem
from plugins.scenarios.branch import BaseHistory, Branched, branch
from plugins.scenarios.model import Base, Change, Scenario
from plugins.scenarios.readings import SECTIONS, Reading, read_all, section_of
from plugins.scenarios.run import fold_branch, read_base, report_date
from plugins.valuation.api import Settings

MAX_POINTS: Final = 400
SETTINGS: Final = ("volatility", "rate", "probability")
DEFAULT_FIGURES: Final = 6


@attrs.frozen
class Vary:
    """What a sweep varies, and over which values."""

    what: str
    values: tuple[Decimal, ...]

    @property
    def kind(self) -> str:
        head = self.what.split(":", 1)[0]
        if head in SETTINGS:
            return "settings"
        if head == "price":
            return "price"
        return "parameter"

    @property
    def party(self) -> str | None:
        return self.what.split(":", 1)[1] if self.kind == "price" else None


def _bad(message: str) -> InputError:
    return InputError(Problem(field="--vary", message=message))


def _number(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise _bad(f"expected a number; got {text!r}") from None
    if not value.is_finite():
        raise _bad(f"expected a number; got {text!r}")
    return value


def parse_vary(text: str) -> Vary:
    """``WHAT=LOW:HIGH:STEP`` (both ends included when the step lands on HIGH) or ``WHAT=a,b,c``."""
    what, sep, grid = text.partition("=")
    what = what.strip()
    if not sep or not what or not grid.strip():
        raise _bad(
            f"expected WHAT=LOW:HIGH:STEP or WHAT=v1,v2 (e.g. volatility=0.3:0.7:0.05, "
            f"price:amd=150:700:25, growth=0:1.5:0.25); got {text!r}"
        )
    if what.split(":", 1)[0] == "price" and not re.fullmatch(r"price:[a-z0-9][a-z0-9_.-]*", what):
        raise _bad(f"expected price:<party id>; got {what!r}")
    if ":" in grid:
        parts = grid.split(":")
        if len(parts) != 3:
            raise _bad(f"expected LOW:HIGH:STEP; got {grid!r}")
        low, high, step = (_number(p) for p in parts)
        if step <= 0 or high < low:
            raise _bad(f"expected LOW ≤ HIGH and a positive STEP; got {grid!r}")
        count = int((high - low) / step) + 1
        if count > MAX_POINTS:
            raise _bad(f"{count} points; at most {MAX_POINTS} (choose a larger STEP)")
        values = tuple(low + step * i for i in range(count))
    else:
        values = tuple(_number(v) for v in grid.split(",") if v.strip())
    if not values:
        raise _bad(f"no values in {grid!r}")
    return Vary(what, values)


def _plain(value: Decimal) -> str:
    return format_decimal(value)


def point(scenario: Scenario, vary: Vary, value: Decimal, as_of: dt.date) -> Scenario:
    """``scenario`` with the varied setting at ``value`` (one more change, or a parameter set)."""
    index = len(scenario.changes) + 1
    if vary.kind == "settings":
        head, _, key = vary.what.partition(":")
        body: dict[str, Any] = {head: {key: _plain(value)} if key else _plain(value)}
        if head == "rate" and key:
            raise _bad("rate takes no key: it is one number for every valuation")
        change = Change("settings", body, None, index)
        return attrs.evolve(scenario, changes=(*scenario.changes, change))
    if vary.kind == "price":
        if value <= 0:
            raise _bad(f"a share price must be positive; got {value}")
        mark = {
            "id": f"{scenario.name}:sweep-{vary.party}-price",
            "type": "price",
            "date": as_of.isoformat(),
            "party": vary.party,
            "per_share": _plain(value),
            "confidence": "estimate",
            "note": "hypothetical: the swept price on the report date",
        }
        change = Change("add", [mark], None, index)
        return attrs.evolve(scenario, changes=(*scenario.changes, change))
    number, _, name = vary.what.rpartition(".")
    holders = [
        c
        for c in scenario.changes
        if c.kind == "generate" and (not number or str(c.index) == number) and name in c.body
    ]
    if len(holders) != 1:
        listed = sorted(
            f"{c.index}.{k}"
            for c in scenario.changes
            if c.kind == "generate"
            for k in c.body
            if k != "generate"
        )
        what = "no generator change sets" if not holders else "several generator changes set"
        raise _bad(
            f"{what} '{vary.what}' in {scenario.file} (vary one of: "
            f"{', '.join([*SETTINGS, 'price:<party>', *listed])})"
        )
    target = holders[0]
    changed = attrs.evolve(target, body={**target.body, name: _plain(value)})
    return attrs.evolve(
        scenario, changes=tuple(changed if c is target else c for c in scenario.changes)
    )


@attrs.frozen
class Hurdle:
    """A warrant tranche's conditions, marked on a price sweep's chart."""

    grant: str
    tranche: str
    price: Decimal | None
    gw: Decimal | None

    @property
    def label(self) -> str:
        parts = []
        if self.price is not None:
            parts.append(f"price ≥ ${format_decimal(self.price)}")
        if self.gw is not None:
            parts.append(f"≥ {format_decimal(self.gw)} GW delivered")
        return f"{self.grant}:{self.tranche} — " + (" and ".join(parts) or "no condition")


@attrs.frozen
class SweepResult:
    """The figures at every grid value, and at the scenario as written."""

    scenario: Scenario
    vary: Vary
    as_of: dt.date
    figures: tuple[str, ...]
    labels: Mapping[str, str]
    units: Mapping[str, str]
    as_written: Mapping[str, Decimal | None]
    points: tuple[tuple[Decimal, Mapping[str, Decimal | None]], ...]
    hurdles: tuple[Hurdle, ...] = ()
    axis: str = ""
    """What the varied values are, in words (the chart's x axis)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "file": self.scenario.file,
            "vary": self.vary.what,
            "axis": self.axis,
            "as_of": self.as_of,
            "figures": [
                {"figure": f, "label": self.labels[f], "unit": self.units[f]} for f in self.figures
            ],
            "as_written": dict(self.as_written),
            "points": [{"value": v, "figures": dict(fs)} for v, fs in self.points],
            "marks": [
                {"grant": h.grant, "tranche": h.tranche, "price": h.price, "gw": h.gw}
                for h in self.hurdles
            ],
        }


def empty_scenario(name: str = "sweep") -> Scenario:
    """The base as it is: a scenario with no changes, on the command's store."""
    return Scenario(
        file="(no scenario file)",
        name=name,
        title=None,
        description=None,
        base=Base(),
        as_of=None,
        currency="USD",
        parties=(),
        changes=(),
    )


def _resolve(key: str, as_of: dt.date) -> str:
    """``metric/<metric>/<subject>`` (no date) means the metric on the report date."""
    parts = key.split("/")
    if parts[0] == "metric" and (
        len(parts) < 2 or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", parts[1])
    ):
        return "/".join(["metric", as_of.isoformat(), *parts[1:]])
    return key


class _Folds:
    """Folds of branched histories, one per distinct history (settings sweeps share one)."""

    def __init__(self, plugins: Any) -> None:
        self.plugins = plugins
        self.last: tuple[tuple[Any, ...], Any] | None = None

    def of(self, branched: Branched) -> Any:
        key = (branched.parties, branched.events)
        if self.last is not None and self.last[0] == key:
            return self.last[1]
        self.close()
        book = fold_branch(self.plugins, branched)
        self.last = (key, book)
        return book

    def close(self) -> None:
        if self.last is not None:
            self.last[1].close()
            self.last = None


def sweep(
    session: Any,
    scenario: Scenario,
    vary: Vary,
    figures: Sequence[str] = (),
    *,
    as_of: dt.date | None = None,
) -> SweepResult:
    """Read ``figures`` at every value of ``vary`` (default: those that differ end to end)."""
    plugins = session.plugins
    configured = plugins.plugin_config("valuation")
    base: BaseHistory = read_base(session, scenario.base)
    written = branch(scenario, base, plugins, configured)
    day = report_date(as_of or scenario.as_of, [written])
    folds = _Folds(plugins)
    wanted = [_resolve(f, day) for f in figures]

    def readings(branched: Branched, keys: Sequence[str] | None) -> dict[str, Reading]:
        sections = {section_of(k) for k in keys} if keys else None
        days = sorted(
            {dt.date.fromisoformat(k.split("/")[1]) for k in keys or () if k.startswith("metric/")}
        )
        return read_all(
            folds.of(branched),
            day,
            Settings.from_config(branched.settings),
            sections=[s for s in sections if s] if sections else SECTIONS,
            metric_days=days or [day],
        )

    try:
        grid = [
            branch(point(scenario, vary, v, day), base, plugins, configured) for v in vary.values
        ]
        if not wanted:
            ends = readings(grid[0], None), readings(grid[-1], None)
            wanted = _differing(*ends)
            if not wanted:
                raise InputError(
                    Problem(
                        field="--figure",
                        message=f"no figure differs between {vary.what}={vary.values[0]} and "
                        f"{vary.what}={vary.values[-1]}; name the figures to read with --figure",
                    )
                )
        for key in wanted:
            if section_of(key) is None:
                raise InputError(
                    Problem(
                        field="--figure",
                        message=f"unknown figure {key!r}: a figure id starts with loop/, "
                        "round_trip/, seller/, metric/, value/ or value_if_met/ (the ids "
                        "'scenario run --json' prints)",
                    )
                )
        at_written = readings(written, wanted)
        points = []
        seen: dict[str, Reading] = dict(at_written)
        for v, branched in zip(vary.values, grid, strict=True):
            found = readings(branched, wanted)
            seen |= {k: r for k, r in found.items() if k in wanted}
            points.append((v, {k: _value(found, k) for k in wanted}))
    finally:
        folds.close()
    missing = [k for k in wanted if k not in seen]
    if missing:
        raise InputError(
            Problem(
                field="--figure",
                message=f"no figure {missing[0]!r} at any point of the sweep (list the figures "
                "with 'loopledger scenario run --json', or leave --figure out)",
            )
        )
    return SweepResult(
        scenario=scenario,
        vary=vary,
        as_of=day,
        figures=tuple(wanted),
        labels={k: seen[k].label for k in wanted},
        units={k: seen[k].unit for k in wanted},
        as_written={k: _value(at_written, k) for k in wanted},
        points=tuple(points),
        hurdles=_hurdles(written, vary, wanted),
        axis=axis_of(scenario, vary),
    )


def axis_of(scenario: Scenario, vary: Vary) -> str:
    """The varied values in words: whose price, on which date; which setting or parameter."""
    if vary.party is not None:
        return f"{vary.party} share price on the report date ({vary.what})"
    party = priced_party(scenario, vary)
    if party is not None:
        return f"{party} share price the path reaches ({vary.what})"
    if vary.kind == "settings":
        return f"valuation setting {vary.what}"
    return f"generator parameter {vary.what}"


def _value(found: Mapping[str, Reading], key: str) -> Decimal | None:
    reading = found.get(key)
    if reading is None:
        return Decimal(0) if key.startswith("loop/") else None
    return reading.value


PREFERENCE: Final = ("value/", "value_if_met/", "metric/", "round_trip/", "seller/", "loop/")


def _differing(low: Mapping[str, Reading], high: Mapping[str, Reading]) -> list[str]:
    keys = [
        k
        for k in set(low) | set(high)
        if (low.get(k) is None) != (high.get(k) is None)
        or (k in low and k in high and low[k].value != high[k].value)
    ]
    keys.sort(key=lambda k: (next(i for i, p in enumerate(PREFERENCE) if k.startswith(p)), k))
    return keys[:DEFAULT_FIGURES]


def priced_party(scenario: Scenario, vary: Vary) -> str | None:
    """Whose share price the sweep's axis is: ``price:<party>``, or a price path's end (``to``)."""
    if vary.party is not None:
        return vary.party
    if vary.kind != "parameter":
        return None
    number, _, name = vary.what.rpartition(".")
    for c in scenario.changes:
        if c.generator == "price_path" and name == "to" and (not number or str(c.index) == number):
            party = c.body.get("party")
            return party if isinstance(party, str) else None
    return None


def _hurdles(written: Branched, vary: Vary, figures: Sequence[str]) -> tuple[Hurdle, ...]:
    """Each tranche of every warrant the party issued, when the sweep's axis is its price."""
    party = priced_party(written.scenario, vary)
    if party is None:
        return ()
    named = {
        f.split("/")[3].split(":")[0]
        for f in figures
        if f.startswith(("value/", "value_if_met/")) and f.count("/") >= 3
    }
    marks = []
    for e in written.events:
        if not isinstance(e, WarrantGrant) or e.issuer != party:
            continue
        if named and e.id not in named:
            continue
        for t in e.tranches:
            prices = [c.at_least for c in t.conditions if c.metric == "share_price"]
            gws = [c.at_least for c in t.conditions if c.metric == "delivered_gw"]
            marks.append(
                Hurdle(e.id, t.id, max(prices) if prices else None, max(gws) if gws else None)
            )
    return tuple(marks)
