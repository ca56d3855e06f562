"""A plugin whose projection raises on warrant grants (a bug a real plugin might ship).

The engine must quarantine the projection, name the plugin and the event, and let every other
projection finish.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger import hookimpl
from ledger.book import Entry
from ledger.engine.projection import Projection


def apply(state: dict[str, int], entry: Entry) -> dict[str, int]:
    if entry.event.TYPE == "warrant_grant":
        raise ValueError(f"cannot handle warrant grants yet (event '{entry.event.id}')")
    state[entry.event.TYPE] = state.get(entry.event.TYPE, 0) + 1
    return state


EVENT_TYPES = Projection("raising.event_types", dict, apply)


@hookimpl
def ledger_register_projections(register: Callable[..., None]) -> None:
    register(EVENT_TYPES)
