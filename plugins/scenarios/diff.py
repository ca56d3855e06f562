"""Two sets of readings compared key by key: what a scenario added, removed and changed.

Exact: two readings differ when their Decimal values differ at all (``1.50`` equals ``1.5``).
Rounding happens only when a difference is printed (:mod:`plugins.scenarios.render`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final, Literal

import attrs

from plugins.scenarios.readings import SECTIONS, Reading, section_of

Status = Literal["added", "removed", "changed"]
STATUSES: Final = ("added", "removed", "changed")


@attrs.frozen
class Difference:
    """One figure that is not the same in the scenario: ``base → scenario (Δ)``.

    ``base``/``scenario`` are the readings (``None``: the figure does not exist on that side —
    a loop added or removed, a holding the base does not have).
    """

    key: str
    base: Reading | None
    scenario: Reading | None

    @property
    def status(self) -> Status:
        if self.base is None:
            return "added"
        if self.scenario is None:
            return "removed"
        return "changed"

    @property
    def reading(self) -> Reading:
        reading = self.scenario or self.base
        assert reading is not None
        return reading

    @property
    def section(self) -> str:
        return section_of(self.key) or ""

    @property
    def before(self) -> Decimal | None:
        return None if self.base is None else self.base.value

    @property
    def after(self) -> Decimal | None:
        return None if self.scenario is None else self.scenario.value

    @property
    def delta(self) -> Decimal | None:
        """scenario − base; an absent side counts as 0 for loops (no loop: nothing goes round)
        and holdings (nothing held: nothing worth anything)."""
        before, after = self.before, self.after
        if self.section in ("loops", "values"):
            before = Decimal(0) if self.base is None else before
            after = Decimal(0) if self.scenario is None else after
        if before is None or after is None:
            return None
        return after - before

    def to_json(self) -> dict[str, Any]:
        r = self.reading
        return {
            "figure": self.key,
            "section": self.section,
            "label": r.label,
            "unit": r.unit,
            "change": self.status,
            "base": self.before,
            "scenario": self.after,
            "delta": self.delta,
        }


def _same(a: Reading, b: Reading) -> bool:
    if a.value is None or b.value is None:
        return a.value is None and b.value is None
    return a.value == b.value


def _order(key: str) -> tuple[int, str]:
    section = section_of(key)
    return (SECTIONS.index(section) if section in SECTIONS else len(SECTIONS), key)


def _implicit(key: str, other: Reading) -> Reading | None:
    """What an absent round trip reads: a party the tracer never saw sent and got back 0
    (its share is unknown); other absent figures stay absent."""
    if not key.startswith(("round_trip/", "seller/")):
        return None
    share = key.endswith("/share")
    return attrs.evolve(other, value=None if share else Decimal(0))


def compare(base: Mapping[str, Reading], scenario: Mapping[str, Reading]) -> list[Difference]:
    """Every key whose reading is absent on one side or differs, in section then key order."""
    found = []
    for key in sorted(set(base) | set(scenario), key=_order):
        b, s = base.get(key), scenario.get(key)
        if b is None and s is not None:
            b = _implicit(key, s)
        elif s is None and b is not None:
            s = _implicit(key, b)
        if b is not None and s is not None and _same(b, s):
            continue
        found.append(Difference(key, b, s))
    return found
