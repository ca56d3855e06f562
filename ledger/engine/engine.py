"""The projection engine: folds the store's effective history through the projections asked for.

Two ways to fold, one meaning:

* **From the stored postings** (the fast way). Replay stores, beside each event, the postings
  the book derived for it, signed with this user's key (:mod:`ledger.store.derived`). A
  projection then folds ``Entry(position, event, postings)`` straight from the store: no book,
  and only the events of the types it handles are decoded.
* **Through the book** (the careful way): the book folds every event again and derives its
  postings. Used when stored postings are missing or not ours (a store made by loopledger 0.1,
  or by someone else), for ``rebuild`` and ``verify``, and for an ``as_of`` date that the stored
  postings cannot answer; a fold to the head then writes the postings back, signed.

Each projection has its own checkpoint (state + position + chain link, plain data with a MAC),
so a command folds only what it needs, from where that projection last stood. A checkpoint is
used only if its version matches, the chain link stored at its position still matches, and no
reversal recorded after it cancels an event before it.

``as_of`` D folds the events dated on or before D. On a store recorded in date order with no
reversal reaching back over the cut — the usual case — that is a prefix of the stored history, and the stored
postings answer it; otherwise the book folds the events dated on or before D in recorded order.
:meth:`Engine.series` folds once for many dates (``metrics --by quarter``).

A projection that raises is *quarantined*: the failure (plugin, projection, event id,
traceback) is kept, the projection is fed nothing more, the others finish.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final

from ledger.book import Book, Entry
from ledger.engine.facts import Facts, load_facts
from ledger.engine.gc_pause import no_cyclic_gc
from ledger.engine.result import Failure, Registered, Result
from ledger.model import plain
from ledger.model.codec import GENESIS
from ledger.model.events import Event, Reversal
from ledger.model.problems import Problem
from ledger.model.values import Party
from ledger.store import Store
from ledger.store.records import decode_record, record_type

ENGINE_FORMAT: Final = "2"
"""Part of every checkpoint's version: bumped when the engine changes what a state means."""
BOOK_STATE: Final = "book"
CHECKPOINT_EVERY: Final = 5_000
REWRITE_BATCH: Final = 5_000


class _MissingPostings(Exception):
    """Stored postings are absent or not ours at some position: fold through the book."""


class Engine:
    """Runs registered projections over a store."""

    def __init__(self, store: Store, projections: Sequence[Registered] = ()) -> None:
        self.store = store
        self.projections = list(projections)
        names = [r.projection.name for r in self.projections]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"projection names registered twice: {', '.join(sorted(duplicates))}")

    # --- the public folds -----------------------------------------------------------------------

    def run(
        self,
        *,
        as_of: dt.date | None = None,
        names: Iterable[str] | None = None,
        keep_entries: bool = False,
        use_checkpoint: bool = True,
        save_checkpoint: bool = True,
        progress: Callable[[int], None] | None = None,
    ) -> Result:
        """Bring the projections named (default: all) up to date, or compute them ``as_of``."""
        chosen = self._chosen(names)
        head, head_chain = self.store.head()
        facts = load_facts(self.store, head, head_chain)
        if as_of is not None and facts.max_date is not None and as_of >= facts.max_date:
            as_of_cut: dt.date | None = None  # nothing recorded is later: the head answers
        else:
            as_of_cut = as_of
        cut = head if as_of_cut is None else facts.prefix_end(as_of_cut)
        with no_cyclic_gc():
            if cut is not None and not keep_entries:
                try:
                    result = self._from_postings(
                        chosen,
                        facts,
                        cut,
                        head_chain if cut == head else None,
                        use_checkpoint,
                        save_checkpoint and as_of_cut is None,
                        progress,
                    )
                    result.as_of = as_of
                    return result
                except _MissingPostings:
                    pass
            result = self._through_book(
                chosen,
                facts,
                as_of,
                keep_entries=keep_entries,
                progress=progress,
                save=save_checkpoint and as_of is None,
                head_chain=head_chain,
            )
        return result

    def series(
        self, dates: Sequence[dt.date], names: Iterable[str] | None = None
    ) -> Iterator[Result]:
        """Results as of each of ``dates`` (ascending), in one pass where the store allows it.

        The states of a yielded result are live: use them before asking for the next one.
        """
        chosen = self._chosen(names)
        head, head_chain = self.store.head()
        facts = load_facts(self.store, head, head_chain)
        cuts = [
            facts.prefix_end(d) if facts.max_date is None or d < facts.max_date else head
            for d in dates
        ]
        exact = [c for c in cuts if c is not None]
        if len(exact) != len(cuts) or sorted(exact) != exact:
            for d in dates:
                yield self.run(as_of=d, names=[r.projection.name for r in chosen])
            return
        with no_cyclic_gc():
            states = {r.projection.name: r.projection.initial() for r in chosen}
            failures: list[Failure] = []
            active = list(chosen)
            position = 0
            for day, cut in zip(dates, exact, strict=True):
                try:
                    position, processed = self._feed(
                        states, active, failures, facts, position, cut, None, skip=None
                    )
                except _MissingPostings:
                    yield from (
                        self.run(as_of=d, names=list(states)) for d in dates[dates.index(day) :]
                    )
                    return
                yield self._result(day, position, states, failures, [], processed, False, facts)

    def refold(self, progress: Callable[[int], None] | None = None) -> tuple[Result, list[int]]:
        """Every projection folded from the first record through the book, as ``verify`` needs
        it, with the positions whose stored postings differ from what the book derives (absent
        or unsigned postings count as different). Nothing is written."""
        head, head_chain = self.store.head()
        facts = load_facts(self.store, head, head_chain)
        mismatches: list[int] = []
        with no_cyclic_gc():
            result = self._through_book(
                list(self.projections),
                facts,
                None,
                keep_entries=False,
                progress=progress,
                save=False,
                head_chain=head_chain,
                mismatches=mismatches,
            )
        return result, mismatches

    def entries(self, *, trust_postings: bool = True) -> Iterator[Entry]:
        """The effective history as entries, streamed from the store: from the stored postings
        (``trust_postings``: every one must be there and signed — ``verify`` knows, after
        :meth:`refold`), else through the book."""
        head, head_chain = self.store.head()
        facts = load_facts(self.store, head, head_chain)
        if trust_postings:
            reversed_ids = facts.reversed
            for stored in self.store.read_stored():
                kind = record_type(stored.raw)
                if kind is None or kind == "reversal":
                    continue
                if stored.postings is None:
                    raise RuntimeError(
                        f"record #{stored.position} has no signed stored postings: "
                        "read the entries through the book (trust_postings=False)"
                    )
                event = decode_record(stored.raw, stored.position).value
                assert isinstance(event, Event)
                if event.id not in reversed_ids:
                    yield Entry(stored.position, event, stored.postings)
            return
        book = Book(facts.reversed, validate=False)
        for position, raw in self.store.read_raw():
            record = decode_record(raw, position)
            value = record.value
            if isinstance(value, Party):
                book.declare(value)
                continue
            postings, found = book.apply(value, position, record.content_hash)
            if found or value.id in book.reversed or isinstance(value, Reversal):
                continue
            yield Entry(position, value, postings)

    def rebuild(self, names: Iterable[str] | None = None) -> Result:
        """Discard checkpoints and recompute from the first record, through the book."""
        self.store.delete_states(None)
        head, head_chain = self.store.head()
        facts = load_facts(self.store, head, head_chain)
        with no_cyclic_gc():
            return self._through_book(
                self._chosen(names),
                facts,
                None,
                keep_entries=False,
                progress=None,
                save=True,
                head_chain=head_chain,
            )

    def book_at_head(
        self, extra_reversed: dict[str, str] | None = None
    ) -> tuple[Book, list[Problem]]:
        """The core book folded over every stored record, from its checkpoint when it can be.

        ``extra_reversed`` are reversals about to be recorded that cancel stored events: the
        book is then folded again as if those targets had never been recorded.
        """
        head, head_chain = self.store.head()
        facts = load_facts(self.store, head, head_chain)
        if not extra_reversed:
            saved = self.store.load_state(BOOK_STATE)
            if (
                saved is not None
                and saved.version == self._book_version()
                and saved.position == head
                and saved.chain == head_chain
            ):
                try:
                    return Book.from_plain(saved.data), []
                except (plain.PlainError, KeyError, TypeError, ValueError):
                    pass
        reversed_ids = dict(facts.reversed)
        for target, reversal in (extra_reversed or {}).items():
            reversed_ids.setdefault(target, reversal)
        book, problems = self._fold_book(reversed_ids, validate=False)
        if extra_reversed and not problems:
            # Folded again without the targets of new reversals, every stored event is tried
            # by every rule too: a vest or gated draw whose delivery or price is reversed must
            # be named (and the reversal refused), not left in a store that no longer folds.
            _, problems = self._fold_book(reversed_ids, validate=True)
        if not extra_reversed and not problems:
            self.save_book(book, head, head_chain)
        return book, problems

    def _fold_book(
        self, reversed_ids: dict[str, str], *, validate: bool
    ) -> tuple[Book, list[Problem]]:
        book = Book(reversed_ids, validate=validate)
        problems: list[Problem] = []
        with no_cyclic_gc():
            for position, raw in self.store.read_raw():
                record = decode_record(raw, position)
                value = record.value
                if isinstance(value, Party):
                    problems += book.declare(value)
                    continue
                _, found = book.apply(value, position, record.content_hash)
                problems += [p.at(position=position) for p in found]
                if book.max_date is None or value.date > book.max_date:
                    book.max_date = value.date
        return book, problems

    def save_book(self, book: Book, position: int, chain: str, appender: Any = None) -> None:
        """Checkpoint the book (into an open append transaction when one is given)."""
        target = appender if appender is not None else self.store
        target.save_state(BOOK_STATE, position, chain, self._book_version(), book.to_plain())

    @staticmethod
    def _book_version() -> str:
        return f"book:{Book.STATE_FORMAT}:{ENGINE_FORMAT}"

    # --- folding from the stored postings ------------------------------------------------------

    def _chosen(self, names: Iterable[str] | None) -> list[Registered]:
        if names is None:
            return list(self.projections)
        wanted = set(names)
        return [r for r in self.projections if r.projection.name in wanted]

    def _from_postings(
        self,
        chosen: list[Registered],
        facts: Facts,
        cut: int,
        cut_chain: str | None,
        use_checkpoint: bool,
        save: bool,
        progress: Callable[[int], None] | None,
    ) -> Result:
        states: dict[str, Any] = {}
        starts: dict[str, int] = {}
        for r in chosen:
            loaded = self._load(r, facts, cut) if use_checkpoint else None
            starts[r.projection.name], states[r.projection.name] = loaded or (
                0,
                r.projection.initial(),
            )
        first = min(starts.values(), default=cut)
        failures: list[Failure] = []
        active = list(chosen)
        position, processed = self._feed(
            states, active, failures, facts, first, cut, progress, skip=starts
        )
        position = cut
        if save and cut_chain is not None and not failures:
            for r in chosen:
                done = cut - starts[r.projection.name]
                if done and self._worth_saving(starts[r.projection.name], done):
                    self._save(r, states[r.projection.name], cut, cut_chain)
        from_checkpoint = any(starts.values())
        return self._result(None, position, states, failures, [], processed, from_checkpoint, facts)

    def _feed(
        self,
        states: dict[str, Any],
        active: list[Registered],
        failures: list[Failure],
        facts: Facts,
        after: int,
        upto: int,
        progress: Callable[[int], None] | None,
        *,
        skip: dict[str, int] | None,
    ) -> tuple[int, int]:
        """Feed stored entries ``after < position <= upto`` to the active projections."""
        handlers = [
            (
                r,
                r.projection.handles,
                r.projection.apply,
                r.projection.name,
                (skip or {}).get(r.projection.name, 0),
            )
            for r in active
        ]
        reversed_ids = facts.reversed
        processed = 0
        position = after
        for stored in self.store.read_stored(after=after, upto=upto):
            position = stored.position
            processed += 1
            if progress is not None and processed % 10_000 == 0:
                progress(processed)
            kind = record_type(stored.raw)
            if kind is None or kind == "reversal":
                continue
            wanted = [h for h in handlers if position > h[4] and (h[1] is None or kind in h[1])]
            if not wanted:
                continue
            if stored.postings is None:
                raise _MissingPostings(position)
            event = decode_record(stored.raw, position).value
            assert isinstance(event, Event)
            if event.id in reversed_ids:
                continue
            entry = Entry(position, event, stored.postings)
            broken = None
            for item in wanted:
                registered, _, apply, name, _ = item
                try:
                    states[name] = apply(states[name], entry)
                except Exception as exc:  # noqa: BLE001 - a plugin's bug must not stop the others
                    failures.append(_failure(registered, event, position, exc))
                    broken = (broken or []) + [item]
            if broken:
                handlers = [h for h in handlers if h not in broken]
                for item in broken:
                    states.pop(item[3], None)
                    active.remove(item[0])
        return position, processed

    # --- folding through the book ---------------------------------------------------------------

    def _through_book(
        self,
        chosen: list[Registered],
        facts: Facts,
        as_of: dt.date | None,
        *,
        keep_entries: bool,
        progress: Callable[[int], None] | None,
        save: bool,
        head_chain: str,
        mismatches: list[int] | None = None,
    ) -> Result:
        reversed_ids = {
            t: r for t, r, day in facts.reversals_with_dates() if as_of is None or day <= as_of
        }
        book = Book(reversed_ids, validate=False)
        states = {r.projection.name: r.projection.initial() for r in chosen}
        active = [(r, r.projection.handles, r.projection.apply, r.projection.name) for r in chosen]
        failures: list[Failure] = []
        problems: list[Problem] = []
        entries: list[Entry] | None = [] if keep_entries else None
        rewrite: list[tuple[int, str, tuple[Any, ...]]] = []
        position = processed = 0
        rows: Iterable[Any] = (
            self.store.read_stored() if mismatches is not None else self.store.read_raw()
        )
        for row in rows:
            if mismatches is not None:
                position, raw, stored_postings = row
            else:
                position, raw = row
            processed += 1
            if progress is not None and processed % 10_000 == 0:
                progress(processed)
            record = decode_record(raw, position)
            value = record.value
            if isinstance(value, Party):
                problems += book.declare(value)
                continue
            if book.max_date is None or value.date > book.max_date:
                book.max_date = value.date
            if as_of is not None and value.date > as_of:
                continue
            postings, found = book.apply(value, position, record.content_hash)
            if found:
                problems += [p.at(position=position) for p in found]
                continue
            if mismatches is not None and stored_postings != postings:
                mismatches.append(position)
            if save:
                rewrite.append((position, record.content_hash, postings))
                if len(rewrite) >= REWRITE_BATCH:
                    self.store.replace_postings(rewrite)
                    rewrite = []
            if value.id in book.reversed or isinstance(value, Reversal):
                continue
            entry = Entry(position, value, postings)
            if entries is not None:
                entries.append(entry)
            broken = None
            for item in active:
                registered, handles, apply, name = item
                if handles is not None and value.TYPE not in handles:
                    continue
                try:
                    states[name] = apply(states[name], entry)
                except Exception as exc:  # noqa: BLE001
                    failures.append(_failure(registered, value, position, exc))
                    broken = (broken or []) + [item]
            if broken:
                active = [a for a in active if a not in broken]
                for item in broken:
                    states.pop(item[3], None)
        if save and not problems:
            if rewrite:
                self.store.replace_postings(rewrite)
            if position:
                self.save_book(book, position, head_chain)
                if not failures:
                    for r in chosen:
                        self._save(r, states[r.projection.name], position, head_chain)
        result = self._result(as_of, position, states, failures, problems, processed, False, facts)
        result._book = book
        result.entries = entries
        return result

    # --- checkpoints ------------------------------------------------------------------------------

    @staticmethod
    def _version(r: Registered) -> str:
        return f"{r.projection.version}:{ENGINE_FORMAT}"

    def load_checkpoint(self, r: Registered, head: int, chain: str) -> tuple[int, Any] | None:
        """``(position, state)`` of a projection's usable checkpoint at or before ``head``."""
        return self._load(r, load_facts(self.store, head, chain), head)

    def save_checkpoint(
        self, r: Registered, state: Any, position: int, chain: str, appender: Any = None
    ) -> None:
        """Checkpoint a projection's state (into an open append transaction when one is given)."""
        self._save(r, state, position, chain, appender)

    def _load(self, r: Registered, facts: Facts, cut: int) -> tuple[int, Any] | None:
        saved = self.store.load_state(f"projection:{r.projection.name}")
        if saved is None or saved.version != self._version(r) or saved.position > cut:
            return None
        if saved.position and self.store.chain_at(saved.position) != saved.chain:
            return None
        if saved.position == 0 and saved.chain != GENESIS:
            return None
        if facts.reversal_reaches_back(saved.position):
            return None
        decode = getattr(r.projection, "decode", None)
        try:
            data = plain.decode(saved.data)
            return saved.position, decode(data) if decode is not None else data
        except Exception:  # noqa: BLE001 - a checkpoint that does not decode is recomputed
            return None

    def _save(
        self, r: Registered, state: Any, position: int, chain: str, appender: Any = None
    ) -> None:
        encode = getattr(r.projection, "encode", None)
        try:
            data = plain.encode(encode(state) if encode is not None else state)
        except plain.PlainError:
            return  # a state that is not plain data is simply folded again next time
        target = appender if appender is not None else self.store
        target.save_state(
            f"projection:{r.projection.name}", position, chain, self._version(r), data
        )

    @staticmethod
    def _worth_saving(checkpoint_position: int, new_records: int) -> bool:
        """Rewrite a checkpoint once the records folded on top of it are worth it.

        Writing a checkpoint costs time proportional to the state; folding the records appended
        since costs time proportional to them. So a small catch-up (fewer than 5,000 records and
        under 5% of the history) folds on top of the old checkpoint and leaves it in place.
        """
        return new_records >= min(CHECKPOINT_EVERY, max(1, checkpoint_position // 20))

    def _result(
        self,
        as_of: dt.date | None,
        position: int,
        states: dict[str, Any],
        failures: list[Failure],
        problems: list[Problem],
        processed: int,
        from_checkpoint: bool,
        facts: Facts,
    ) -> Result:
        reversed_ids = {
            t: r for t, r, day in facts.reversals_with_dates() if as_of is None or day <= as_of
        }

        def book() -> Book:
            if as_of is None:
                return self.book_at_head()[0]
            return self._through_book(
                [], facts, as_of, keep_entries=False, progress=None, save=False, head_chain=""
            )._book  # type: ignore[return-value]

        return Result(
            as_of,
            position,
            states,
            failures,
            problems,
            processed,
            from_checkpoint,
            parties=dict(facts.parties),
            max_date=facts.max_date,
            reversed=reversed_ids,
            book_loader=book,
        )


def _failure(registered: Registered, event: Event, position: int, exc: Exception) -> Failure:
    return Failure(
        registered.plugin,
        registered.projection.name,
        event.id,
        position,
        f"{type(exc).__name__}: {exc}",
        traceback.format_exc(),
    )
