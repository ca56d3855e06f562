"""Balance assertions at replay: every new one, and every recorded one a new event dated on or
before it can change, checked inside the replay's transaction before it commits (over the
stored postings in pages, or a fold as of the assertion's date when a later reversal changes
what the head's postings say); one that fails refuses the whole replay."""

from __future__ import annotations

from typing import Any

from ledger.book import Book
from ledger.book.assertions import DatedSums
from ledger.histories.signed_postings import signed_dated_postings
from ledger.model.events import AssertBalance, Event, Reversal
from ledger.model.problems import AssertionsFailed, Problem
from ledger.model.values import Party


def stored_assertions(store: Any) -> list[AssertBalance]:
    """The recorded balance assertions (read through the index; few, so held)."""
    found = []
    for position in store.positions_of_type(AssertBalance.TYPE):
        for record in store.read(after=position - 1, upto=position):
            if isinstance(record.value, AssertBalance):
                found.append(record.value)
    return found


class Asserted:
    """Balance assertions a replay must check before it commits: every new one, and every
    recorded one that a new event dated on or before it can change."""

    def __init__(self, stored: list[AssertBalance]) -> None:
        self.stored = stored
        self.new: list[AssertBalance] = []
        self.where: dict[str, tuple[str, int | None]] = {}
        self.since: Any = None
        """The earliest date of a new event."""

    def met(self, event: Event, file: str, line: int | None) -> None:
        if self.since is None or event.date < self.since:
            self.since = event.date
        if isinstance(event, AssertBalance):
            self.new.append(event)
            self.where[event.id] = (file, line)

    def check(self, appender: Any, reversed_ids: dict[str, str]) -> None:
        """Raise :class:`AssertionsFailed` (nothing is committed) when one does not hold."""
        if self.since is None:
            return
        chosen = [
            a
            for a in [*(a for a in self.stored if a.date >= self.since), *self.new]
            if a.id not in reversed_ids
        ]
        if not chosen:
            return
        reversal_days = _reversal_days(appender) if reversed_ids else {}
        # The stored postings are the effective history's at the head: an event reversed later
        # posts nothing there. An assertion dated before such a reversal sees that event (as
        # 'balances --as-of' does), so it is checked against a fold as of its own date.
        reaching = [a for a in chosen if any(day > a.date for _, day in reversal_days.values())]
        failed = [
            f
            for day in sorted({a.date for a in reaching})
            for f in _as_of_failures(
                appender, [a for a in reaching if a.date == day], day, reversal_days
            )
        ]
        chosen = [a for a in chosen if a not in reaching]
        if chosen:
            failed += self._stored_failures(appender, chosen)
        if not failed:
            return
        self._refuse(appender, failed)

    def _stored_failures(self, appender: Any, chosen: list[AssertBalance]) -> list[Any]:
        sums = DatedSums(chosen)
        assert sums.last_day is not None
        for day, postings in signed_dated_postings(appender, sums.last_day, "balance assertions"):
            sums.feed(day, postings)
        return sums.failed()

    def _refuse(self, appender: Any, failed: list[Any]) -> None:
        lines = []
        for f in failed:
            file, line = self.where.get(f.assertion.id, (appender.store.url, None))
            lines.append(
                Problem(file=file, line=line, event_id=f.assertion.id, message=f.message()).render()
            )
        raise AssertionsFailed(
            "\n".join(lines)
            + "\nnothing was written: the ledger disagrees with these balance assertions"
        )


def _reversal_days(appender: Any) -> dict[str, Any]:
    """``{reversed event id: (reversal id, its date)}`` of every reversal the store will hold."""
    from ledger.store.records import decode_record, record_type

    days: dict[str, Any] = {}
    for position, raw in appender.read_raw():
        if record_type(raw) == "reversal":
            value = decode_record(raw, position).value
            assert isinstance(value, Reversal)
            days.setdefault(value.of, (value.id, value.date))
    return days


def _as_of_failures(
    appender: Any, assertions: list[AssertBalance], day: Any, reversal_days: dict[str, Any]
) -> list[Any]:
    """The ``assertions`` (all dated ``day``) a fold of the store as of ``day`` disagrees with:
    through the book, with only the reversals dated by then (the engine's as-of rule)."""
    from ledger.store.records import decode_record

    book = Book({t: r for t, (r, d) in reversal_days.items() if d <= day}, validate=False)
    sums = DatedSums(assertions)
    for position, raw in appender.read_raw():
        record = decode_record(raw, position)
        value = record.value
        if isinstance(value, Party):
            book.declare(value)
            continue
        if value.date > day:
            continue
        postings, _ = book.apply(value, position, record.content_hash)
        if value.id in book.reversed or isinstance(value, Reversal):
            continue
        sums.feed(value.date, postings)
    return sums.failed()
