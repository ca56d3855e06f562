"""Replay: validate deal-history files against the stored book, then append what is new.

Everything is checked before anything is committed. Files are read as streams, a chunk of events
at a time: each chunk is converted, its ids and references looked up in the store's index (which
already holds the chunks written before it in the same transaction), each event checked by the
book and given its postings, and the chunk written — records, index rows and postings — into one
transaction that commits only when the last file is through (:mod:`ledger.store.appending`). So
a file lands whole or not at all, and memory does not grow with its length.

An event whose id is already stored with the same content (by canonical hash) is skipped —
replay is idempotent; the same id with different content is a conflict naming the id and the
fields that differ. If another writer got there first, the whole replay runs again against the
new head.

Reversals: the book reads the *effective* history, in which a reversal and its target are both
left out, so it must know a target is reversed before it meets the target. A chunk is checked
whole before it is applied, so a reversal in the same chunk as its target costs nothing. A
reversal of an event stored earlier — or written by an earlier chunk of this replay — means the
postings of the events after that target may change: the replay then starts again knowing it,
folds the stored history again without the target, and rewrites the stored postings.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Final

import attrs

from ledger.book import Book, Known
from ledger.engine import Engine
from ledger.engine.eager import EagerFolds
from ledger.engine.facts import FACTS_STATE, FACTS_VERSION, load_facts
from ledger.histories.assertion_checks import Asserted, stored_assertions
from ledger.histories.cash_cover import CashCover
from ledger.histories.inputs import Input
from ledger.histories.loader import Converted, History, HistoryStream, open_history
from ledger.model.codec import chain_hash, content_hash, differing_fields
from ledger.model.events import Event, Reversal, references
from ledger.model.problems import ConflictError, InputError, Problem
from ledger.model.values import Party
from ledger.store import ConcurrentAppend, Record, describe
from ledger.store.rows import StoredRecords

RETRIES: Final = 5
CHUNK: Final = 5_000
MAX_PROBLEMS: Final = 200
"""Problems reported in full; the rest of a badly broken file is counted, not listed."""

Source = History | Input | str | Path


@attrs.frozen
class FileReport:
    """What replay did with one file."""

    file: str
    new: int
    present: int
    new_parties: int


@attrs.frozen
class ReplayReport:
    """What replay did, per file."""

    files: tuple[FileReport, ...]
    appended: int = 0
    head: int = 0

    @property
    def new(self) -> int:
        return sum(f.new for f in self.files)

    @property
    def present(self) -> int:
        return sum(f.present for f in self.files)


class _Retroactive(Exception):
    """A reversal reaches back past what has been applied: start again knowing these targets."""

    def __init__(self, targets: dict[str, str]) -> None:
        self.targets = targets


class _Problems:
    """The problems of a replay, capped so that a broken million-event file stays readable."""

    def __init__(self) -> None:
        self.listed: list[Problem] = []
        self.more = 0

    def add(self, problems: Sequence[Problem]) -> None:
        room = MAX_PROBLEMS - len(self.listed)
        self.listed += problems[: max(room, 0)]
        self.more += max(len(problems) - max(room, 0), 0)

    def raise_if_any(self) -> None:
        if not self.listed:
            return
        problems = list(self.listed)
        if self.more:
            problems.append(
                Problem(
                    message=f"… and {self.more:,} more problems (the first {MAX_PROBLEMS} are listed)"
                )
            )
        conflict = all("conflict:" in p.message for p in self.listed)
        raise (ConflictError if conflict else InputError)(problems)


def replay(
    engine: Engine,
    sources: Sequence[Source],
    *,
    on_recorded: Callable[[Sequence[Record]], object] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Append the new parties and events of ``sources`` (files, or loaded histories): all or nothing.

    ``on_recorded`` is called after the commit with the records appended (for observers); for a
    large append it receives them read back from the store, in order.
    """
    retroactive: dict[str, str] = {}
    for attempt in range(RETRIES):
        try:
            report = _replay_once(engine, sources, retroactive, progress)
        except ConcurrentAppend:
            if attempt == RETRIES - 1:
                raise
            continue
        except _Retroactive as found:
            retroactive.update(found.targets)
            continue
        if on_recorded is not None and report.appended:
            on_recorded(StoredRecords(engine.store, report.head - report.appended, report.head))
        return report
    raise ConcurrentAppend(
        f"{describe(engine.store.url)}: other writers kept appending; run the replay again"
    )


def _opened(source: Source) -> AbstractContextManager[HistoryStream]:
    if isinstance(source, History):
        return nullcontext(source.stream())
    if isinstance(source, Input):
        return open_history(source.name, format=source.format, stream=source.stream)
    return open_history(source)


def _replay_once(
    engine: Engine,
    sources: Sequence[Source],
    retroactive: dict[str, str],
    progress: Callable[[int], None] | None,
) -> ReplayReport:
    store = engine.store
    head, chain = store.head()
    facts = load_facts(store, head, chain)
    stored_targets = (
        {t: r for t, r in retroactive.items() if store.lookup([t]) and not store.lookup([r])}
        if retroactive
        else {}
    )
    book, stored_problems = engine.book_at_head(stored_targets or None)
    if stored_problems:
        # The stored events a reversal of this replay would leave without what they rest on
        # (named by the store, never by its URL: that may hold a password).
        cancelled = ", ".join(f"'{r}' reversing '{t}'" for t, r in sorted(stored_targets.items()))
        raise InputError(
            [
                p.at(file=describe(store.url))
                if any(f"'{r}'" in p.message for r in stored_targets.values())
                else attrs.evolve(
                    p.at(file=describe(store.url)),
                    message=f"{p.message} — once {cancelled} is recorded; reverse this event "
                    "too, or do not record the reversal",
                )
                for p in stored_problems
            ]
        )
    book.validate = True
    for target, reversal in retroactive.items():
        book.reversed.setdefault(target, reversal)
    problems = _Problems()
    asserted = Asserted(stored_assertions(store))
    covered = CashCover(everything=bool(stored_targets), fresh=head == 0)
    reports: list[FileReport] = []
    # A reversal of a stored event changes what came after it: eager folds start again later.
    eager = EagerFolds(engine, head, chain, enabled=not stored_targets)
    with store.appending(head) as appender:
        if stored_targets:
            _rewrite_stored_postings(engine, book, appender)
        position = head
        for source in sources:
            with _opened(source) as stream:
                state = _FileState(stream.file, file_start=position)
                position, chain = _parties(
                    stream, book, appender, position, chain, state, problems, facts
                )
                for chunk in _chunks(stream.events):
                    position, chain = _chunk(
                        chunk,
                        stream,
                        book,
                        appender,
                        position,
                        chain,
                        state,
                        problems,
                        facts,
                        eager,
                        asserted,
                        covered,
                    )
                    if progress is not None:
                        progress(position - head)
                reports.append(FileReport(stream.file, state.new, state.present, state.new_parties))
        problems.raise_if_any()
        if position > head:
            asserted.check(appender, book.reversed)
            covered.check(appender, book)
            engine.save_book(book, position, chain, appender)
            appender.save_state(FACTS_STATE, position, chain, FACTS_VERSION, facts.to_plain())
            eager.save(appender, position, chain)
    return ReplayReport(tuple(reports), position - head, position)


@attrs.define
class _FileState:
    file: str
    file_start: int
    """The head when this file's records began (ids met after it are this file's)."""
    new: int = 0
    present: int = 0
    new_parties: int = 0
    index_at: array[int] = attrs.Factory(lambda: array("I"))
    """File index of each record this file wrote, by position − file start (0 for parties)."""


def _chunks(events: Iterator[Converted]) -> Iterator[list[Converted]]:
    while True:
        chunk = list(itertools.islice(events, CHUNK))
        if not chunk:
            return
        yield chunk


def _parties(
    stream: HistoryStream,
    book: Book,
    appender: Any,
    position: int,
    chain: str,
    state: _FileState,
    problems: _Problems,
    facts: Any,
) -> tuple[int, str]:
    records: list[Record] = []
    found: list[Problem] = []
    for party in stream.parties:
        position, chain = _party(
            party,
            stream.party_lines.get(party.id),
            stream.file,
            book,
            appender,
            position,
            chain,
            records,
            found,
            facts,
        )
    state.new_parties += len(records)
    problems.add(stream.placed(found))
    appender.write(records)
    state.index_at.extend([0] * len(records))
    return position, chain


def _party(
    party: Party,
    line: int | None,
    file: str,
    book: Book,
    appender: Any,
    position: int,
    chain: str,
    records: list[Record],
    found: list[Problem],
    facts: Any,
) -> tuple[int, str]:
    """Record one declared party (appended to ``records``) unless it is recorded already."""
    stored = book.parties.get(party.id)
    if stored is not None:
        # A shorter declaration (say only id and name) of a recorded party adds nothing
        # and is accepted; a different value is a conflict.
        changed = [f for f in differing_fields(stored, party) if getattr(party, f, f) is not None]
        if changed:
            found.append(
                Problem(
                    file=file,
                    line=line,
                    field="parties",
                    message=f"party '{party.id}' is already recorded with different content (differs in: {', '.join(changed)}); parties cannot be edited",
                )
            )
        return position, chain
    book.declare(party)
    facts.add_party(party)
    position += 1
    chain = chain_hash(chain, content_hash(party), appender.recorded_at)
    records.append(
        Record("party", party, content_hash(party), chain, position, appender.recorded_at)
    )
    return position, chain


def _chunk(
    chunk: list[Converted],
    stream: HistoryStream,
    book: Book,
    appender: Any,
    position: int,
    chain: str,
    state: _FileState,
    problems: _Problems,
    facts: Any,
    eager: EagerFolds,
    asserted: Asserted,
    covered: CashCover,
) -> tuple[int, str]:
    found: list[Problem] = []
    events = [c for c in chunk if c.event is not None]
    for c in chunk:
        found += c.problems
    wanted = {c.event.id for c in events}  # type: ignore[union-attr]
    for c in events:
        wanted.update(target for _, target in references(c.event))  # type: ignore[arg-type]
    known = appender.lookup(wanted)
    book.known = dict(known)
    # Reversals of this chunk are known before their targets are met; one that reaches back
    # to something already applied starts the replay again (see the module docstring).
    reaching_back: dict[str, str] = {}
    for c in events:
        event = c.event
        if isinstance(event, Reversal) and event.of not in book.reversed:
            target = known.get(event.of)
            if event.id in known:
                continue  # the reversal itself is already recorded
            if target is not None:
                reaching_back.setdefault(event.of, event.id)
            else:
                book.reversed[event.of] = event.id
    if reaching_back:
        raise _Retroactive(reaching_back)
    records: list[Record] = []
    postings: list[tuple[int, str, Any]] = []
    recorded_at = appender.recorded_at
    for c in chunk:
        if c.party is not None:
            before = len(records)
            position, chain = _party(
                c.party,
                c.item.line,
                stream.file,
                book,
                appender,
                position,
                chain,
                records,
                found,
                facts,
            )
            if len(records) > before:
                state.index_at.append(0)
                state.new_parties += 1
            continue
        event = c.event
        if event is None:
            continue
        digest = content_hash(event)
        seen = book.known.get(event.id)
        if seen is not None:
            found += _seen(event, digest, seen, c, stream, appender.store, state)
            continue
        new_position = position + 1
        entry_postings, refused = book.apply(event, new_position, digest)
        if refused:
            found += [_locate(p.at(position=c.item.index), c, stream) for p in refused]
            continue
        position = new_position
        chain = chain_hash(chain, digest, recorded_at)
        records.append(Record("event", event, digest, chain, position, recorded_at))
        postings.append((position, digest, entry_postings))
        state.index_at.append(c.item.index)
        asserted.met(event, stream.file, c.item.line)
        covered.met(event, entry_postings, stream.file, c.item.line, book)
        facts.add_event(position, event.date)
        if book.max_date is None or event.date > book.max_date:
            book.max_date = event.date
        if isinstance(event, Reversal):
            target = book.known.get(event.of)
            facts.add_reversal(
                position, event.id, event.of, target.position if target else 0, event.date
            )
        elif event.id not in book.reversed:
            eager.feed(position, event, entry_postings)
        state.new += 1
    problems.add(stream.placed(found))
    if not problems.listed:
        appender.write(records, postings)
    else:
        # nothing more is written once anything is wrong
        state.new -= sum(1 for r in records if r.kind == "event")
        position -= len(records)
    return position, chain


def _seen(
    event: Event,
    digest: str,
    seen: Known,
    converted: Converted,
    stream: HistoryStream,
    store: Any,
    state: _FileState,
) -> list[Problem]:
    """An id met before: already recorded (fine if the same), or twice in this file."""
    if seen.position > state.file_start:
        offset = seen.position - state.file_start - 1
        earlier = state.index_at[offset] if offset < len(state.index_at) else 0
        return [
            Problem(
                file=stream.file,
                line=converted.item.line,
                event_id=event.id,
                position=converted.item.index,
                field="id",
                message=f"duplicate id: event #{earlier} already uses it"
                if earlier
                else "duplicate id: another event of this replay already uses it",
            )
        ]
    if seen.content_hash == digest:
        state.present += 1
        return []
    before = None
    for record in store.read(after=seen.position - 1, upto=seen.position):
        before = record.value
    fields = ", ".join(differing_fields(before, event)) if before is not None else "content"
    return [
        _locate(
            Problem(
                event_id=event.id,
                field=fields.split(", ")[0] if before is not None else None,
                message=f"conflict: id '{event.id}' is already recorded with different content (differs in: {fields}); record a correction as a new event (amendment or reversal) instead of editing",
            ),
            converted,
            stream,
        )
    ]


def _locate(problem: Problem, converted: Converted, stream: HistoryStream) -> Problem:
    """A problem the book found, with the file and the line of the event."""
    return problem.at(file=stream.file, line=converted.item.line)


def _rewrite_stored_postings(engine: Engine, book: Book, appender: Any) -> None:
    """The stored postings again, for the effective history the book now reads."""
    from ledger.store.records import decode_record

    rewritten = Book(dict(book.reversed), validate=False)
    rows: list[tuple[int, str, Any]] = []
    for position, raw in engine.store.read_raw():
        record = decode_record(raw, position)
        if isinstance(record.value, Party):
            rewritten.declare(record.value)
            continue
        postings, _ = rewritten.apply(record.value, position, record.content_hash)
        rows.append((position, record.content_hash, postings))
        if len(rows) >= CHUNK:
            appender.replace_postings(rows)
            rows = []
    if rows:
        appender.replace_postings(rows)
