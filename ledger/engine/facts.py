"""What a fold needs to know about the whole store before it reads a record.

The declared parties, the span of dates, the reversals (and where their targets stand), and
whether the events were recorded in date order. Replay keeps these facts in the store at every
new head, in the same transaction as the records (a small checkpoint, signed like the others);
a store without them (made by loopledger 0.1, or by someone else) has them worked out once from
its index and records.

Why "recorded in date order" matters: ``as of`` D folds the events dated on or before D, in
recorded order. When every event is dated no earlier than the ones recorded before it, those
events are a prefix of the store, the postings stored for them are exactly what that fold
derives, and the answer needs no book.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator
from typing import Any, Final

import attrs

from ledger.model import plain
from ledger.model.codec import party_from_dict, party_to_dict
from ledger.model.values import Party
from ledger.store import Store
from ledger.store.records import decode_record

FACTS_STATE: Final = "facts"
FACTS_VERSION: Final = "facts:1"


@attrs.define
class Facts:
    """The store-wide facts at ``position`` (see the module docstring)."""

    position: int = 0
    parties: dict[str, Party] = attrs.Factory(dict)
    min_date: dt.date | None = None
    max_date: dt.date | None = None
    out_of_order_at: int | None = None
    """The first position whose event is dated before one recorded earlier (None: none is)."""
    reversals: list[tuple[int, str, str, int, dt.date]] = attrs.Factory(list)
    """``(position, reversal id, target id, target position, reversal date)`` in recorded order."""
    days: list[tuple[dt.date, int]] = attrs.Factory(list)
    """``(date, last position of that date)`` while the store is in date order (for cuts)."""

    @property
    def reversed(self) -> dict[str, str]:
        """``{target id: reversal id}`` of every recorded reversal (the first one wins)."""
        out: dict[str, str] = {}
        for _, reversal, target, _, _ in self.reversals:
            out.setdefault(target, reversal)
        return out

    def reversals_with_dates(self) -> Iterator[tuple[str, str, dt.date]]:
        seen: set[str] = set()
        for _, reversal, target, _, day in self.reversals:
            if target not in seen:
                seen.add(target)
                yield target, reversal, day

    def prefix_end(self, as_of: dt.date) -> int | None:
        """The last position of the events dated on or before ``as_of`` when they are a prefix
        of the store that no later reversal reaches into; None when the book must fold instead."""
        if self.out_of_order_at is not None:
            return None  # an event recorded late may be dated on or before as_of
        i = bisect.bisect_right(self.days, as_of, key=lambda d: d[0])
        cut = self.days[i - 1][1] if i else 0
        # A reversal recorded after the cut is dated after as_of (the store is in date order), so
        # as of that date its target still stands. That matters only for a target recorded on or
        # before the cut: the stored postings after it were derived without it. A target recorded
        # after the cut is outside the prefix either way (an unknown target, position 0, counts).
        if any(target <= cut < position for position, _, _, target, _ in self.reversals):
            return None
        return cut

    def reversal_reaches_back(self, position: int) -> bool:
        """Whether a reversal recorded after ``position`` cancels an event at or before it."""
        return any(p > position and t <= position for p, _, _, t, _ in self.reversals)

    # --- kept up to date by replay ------------------------------------------------------------

    def add_party(self, party: Party) -> None:
        self.parties.setdefault(party.id, party)

    def add_event(self, position: int, day: dt.date) -> None:
        self.position = position
        if self.min_date is None or day < self.min_date:
            self.min_date = day
        if self.max_date is not None and day < self.max_date:
            if self.out_of_order_at is None:
                self.out_of_order_at = position
        elif self.out_of_order_at is None:
            if self.days and self.days[-1][0] == day:
                self.days[-1] = (day, position)
            else:
                self.days.append((day, position))
        if self.max_date is None or day > self.max_date:
            self.max_date = day

    def add_reversal(
        self, position: int, reversal: str, target: str, target_position: int, day: dt.date
    ) -> None:
        self.reversals.append((position, reversal, target, target_position, day))

    # --- as a checkpoint ----------------------------------------------------------------------

    def to_plain(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "parties": [party_to_dict(p) for p in self.parties.values()],
            "min_date": plain.encode(self.min_date),
            "max_date": plain.encode(self.max_date),
            "out_of_order_at": self.out_of_order_at,
            "reversals": plain.encode(self.reversals),
            "days": plain.encode(self.days),
        }

    @classmethod
    def from_plain(cls, data: Any) -> Facts:
        return cls(
            position=int(data["position"]),
            parties={p["id"]: party_from_dict(p) for p in data["parties"]},
            min_date=plain.decode(data["min_date"]),
            max_date=plain.decode(data["max_date"]),
            out_of_order_at=data["out_of_order_at"],
            reversals=[tuple(r) for r in plain.decode(data["reversals"])],
            days=[tuple(d) for d in plain.decode(data["days"])],
        )


def load_facts(store: Store, head: int, chain: str) -> Facts:
    """The store's facts at its head: from their checkpoint, else worked out (and saved)."""
    saved = store.load_state(FACTS_STATE)
    if (
        saved is not None
        and saved.version == FACTS_VERSION
        and saved.position == head
        and saved.chain == chain
    ):
        try:
            return Facts.from_plain(saved.data)
        except (KeyError, TypeError, ValueError, plain.PlainError):
            pass
    facts = work_out(store)
    if head:
        store.save_state(FACTS_STATE, head, chain, FACTS_VERSION, facts.to_plain())
    return facts


def work_out(store: Store) -> Facts:
    """The facts from the index and the records themselves (one scan of each)."""
    facts = Facts()
    for position, _, day in store.index_days():
        facts.add_event(position, dt.date.fromisoformat(day))
    reversals = store.reversals()
    positions = store.lookup(target for _, _, target, _ in reversals)
    for position, reversal, target, dated in reversals:
        known = positions.get(target)
        facts.add_reversal(position, reversal, target, known.position if known else 0, dated)
    for position, raw in store.read_raw():
        if raw.startswith(b'{"k":"party"'):
            record = decode_record(raw, position)
            if isinstance(record.value, Party):
                facts.add_party(record.value)
    return facts
