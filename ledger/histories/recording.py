"""Replay: validate deal-history files against the stored book, then append what is new.

Everything is checked before anything is written. An event whose id is already stored with the
same content (by canonical hash) is skipped — replay is idempotent; the same id with different
content is a conflict naming the id and the fields that differ, and nothing is written. New
records are appended in one transaction, chained to the store's head; if another writer got
there first, the whole check is redone against the new head.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from ledger.book import Book, reversed_targets
from ledger.engine import Engine
from ledger.histories.loader import History
from ledger.model.codec import chain_hash, content_hash, differing_fields
from ledger.model.events import Event, Reversal, references
from ledger.model.problems import ConflictError, InputError, Problem
from ledger.model.values import Party
from ledger.store import ConcurrentAppend, Record

RETRIES = 5


@attrs.frozen
class FileReport:
    """What replay did with one file."""

    file: str
    new: int
    present: int
    new_parties: int


@attrs.frozen
class ReplayReport:
    """What replay did, per file, and the records appended."""

    files: tuple[FileReport, ...]
    appended: tuple[Record, ...]

    @property
    def new(self) -> int:
        return sum(f.new for f in self.files)

    @property
    def present(self) -> int:
        return sum(f.present for f in self.files)


def replay(
    engine: Engine,
    histories: Sequence[History],
    *,
    on_recorded: Callable[[Sequence[Record]], object] | None = None,
) -> ReplayReport:
    """Append the new parties and events of ``histories`` (all or nothing)."""
    from ledger.engine.gc_pause import no_cyclic_gc

    for attempt in range(RETRIES):
        with no_cyclic_gc():
            report, records, head = _plan(engine, histories)
        try:
            engine.store.append(records, head)
        except ConcurrentAppend:
            if attempt == RETRIES - 1:
                raise
            continue
        if on_recorded is not None and records:
            on_recorded(records)
        return report
    raise AssertionError("unreachable")


def _plan(engine: Engine, histories: Sequence[History]) -> tuple[ReplayReport, list[Record], int]:
    store = engine.store
    head, chain = store.head()
    incoming = [e for h in histories for e in h.events]
    new_reversals = reversed_targets(incoming)
    book, stored_problems = engine.book_at_head()
    if stored_problems:
        raise InputError([p.at(file=store.url) for p in stored_problems])
    # The id index answers for stored events; the book checks the new ones against it.
    wanted = {e.id for e in incoming} | {target for e in incoming for _, target in references(e)}
    known = store.lookup(wanted)
    stored_targets = {t: r for t, r in new_reversals.items() if t in known and r not in known}
    if stored_targets:
        book, _ = engine.book_at_head(stored_targets)
    book.known = dict(known)
    book.validate = True
    pending: dict[str, tuple[str, Event | Party]] = {}
    records: list[Record] = []
    problems: list[Problem] = []
    reports: list[FileReport] = []
    position = head
    for history in histories:
        new = present = new_parties = 0
        for party in history.parties:
            digest = content_hash(party)
            stored = book.parties.get(party.id)
            if stored is not None:
                # A shorter declaration (say only id and name) of a recorded party adds
                # nothing and is accepted; a different value is a conflict.
                changed = [
                    f for f in differing_fields(stored, party) if getattr(party, f, f) is not None
                ]
                if changed:
                    problems.append(
                        Problem(
                            file=history.file,
                            line=history.party_lines.get(party.id),
                            field="parties",
                            message=f"party '{party.id}' is already recorded with different content (differs in: {', '.join(changed)}); parties cannot be edited",
                        )
                    )
                continue
            book.declare(party)
            position += 1
            chain = chain_hash(chain, digest)
            records.append(Record("party", party, digest, chain, position))
            new_parties += 1
        for event in history.events:
            digest = content_hash(event)
            seen = book.known.get(event.id)
            if seen is not None:
                if seen.content_hash == digest:
                    present += 1
                    continue
                before = pending.get(event.id, (None, None))[1] or _stored_event(
                    engine, seen.position
                )
                fields = (
                    ", ".join(differing_fields(before, event)) if before is not None else "content"
                )
                problems.append(
                    history.locate(
                        Problem(
                            event_id=event.id,
                            field=fields.split(", ")[0] if before is not None else None,
                            message=f"conflict: id '{event.id}' is already recorded with different content (differs in: {fields}); record a correction as a new event (amendment or reversal) instead of editing",
                        )
                    )
                )
                continue
            if isinstance(event, Reversal) and event.of not in book.reversed:
                book.reversed[event.of] = event.id
            position += 1
            _, found = book.apply(event, position, digest)
            if found:
                problems += [history.locate(p.at(position=None)) for p in found]
                position -= 1
                continue
            pending[event.id] = (history.file, event)
            chain = chain_hash(chain, digest)
            records.append(Record("event", event, digest, chain, position))
            new += 1
        reports.append(FileReport(history.file, new, present, new_parties))
    if problems:
        error = ConflictError if all("conflict:" in p.message for p in problems) else InputError
        raise error(problems)
    return ReplayReport(tuple(reports), tuple(records)), records, head


def _stored_event(engine: Engine, position: int) -> Event | Party | None:
    for record in engine.store.read(after=position - 1, upto=position):
        return record.value
    return None


def book_copy(book: Book) -> Book:
    """A deep copy of a book (for what-if validation without touching the original)."""
    import copy

    return copy.deepcopy(book)
