"""What a scenario file says, parsed: a name, a base to branch from, and changes in order.

Why plain frozen values: a scenario is read once and then applied to a base, compared, swept
over a grid; keeping the parsed file free of the store means a sweep can build each grid point
by replacing one value (:func:`attrs.evolve`) and never re-read or re-parse anything. Event
mappings stay raw (as written, with their lines) until the loader turns them into events, so
a scenario's events are checked by the very code that checks a deal-history file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

import attrs

FORMAT_KEY: Final = "loopledger-scenario"
FORMAT_VERSION: Final = 1
SOURCE_PREFIX: Final = "scenario:"
"""Every event a scenario adds names the scenario in its ``source``: ``scenario:<name>``."""


@attrs.frozen
class Base:
    """The history a scenario branches from.

    ``store`` is a store URL (``None``: the command's ``--store``), ``histories`` deal-history
    files replayed into a memory store instead (resolved against the scenario file's folder);
    ``as_of`` cuts the base: only events dated on or before it are kept.
    """

    store: str | None = None
    histories: tuple[str, ...] = ()
    as_of: dt.date | None = None

    def describe(self, default_store: str) -> str:
        where = ", ".join(self.histories) if self.histories else (self.store or default_store)
        return where + (f" as of {self.as_of.isoformat()}" if self.as_of else "")


@attrs.frozen
class Change:
    """One change, in file order: ``kind`` is add, drop, replace, prices, settings or generate.

    ``body`` is the change's content as written — a list of raw event mappings for ``add``,
    the ids for ``drop``, one raw event for ``replace``, the raw mapping otherwise — and
    ``line`` where the change starts (1-based; ``None`` for JSON, which keeps no lines).
    """

    kind: str
    body: Any
    line: int | None
    index: int
    """1-based position in the file's ``changes`` list (names generated events)."""

    @property
    def generator(self) -> str | None:
        if self.kind != "generate":
            return None
        return str(self.body.get("generate"))


@attrs.frozen
class Scenario:
    """A parsed scenario file."""

    file: str
    name: str
    title: str | None
    description: str | None
    base: Base
    as_of: dt.date | None
    """The date figures are reported as of (``None``: the last event's date)."""
    currency: str
    parties: tuple[Mapping[str, Any], ...]
    """New parties, raw (checked by the loader with the events)."""
    changes: tuple[Change, ...]
    lines: Mapping[str, int] = attrs.field(factory=dict, eq=False)
    """Lines of the file's top-level keys, for messages about a change's consequences."""

    @property
    def source(self) -> str:
        """What every event this scenario adds carries as its ``source``."""
        return f"{SOURCE_PREFIX}{self.name}"

    def line_of_changes(self) -> int | None:
        return self.lines.get("changes")
