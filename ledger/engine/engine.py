"""The projection engine: folds the store's effective history through every projection.

One pass over the store feeds the core :class:`~ledger.book.Book` (which turns each event into
postings) and every registered projection. After a full pass the states are checkpointed in
the store's database together with the position and chain link they reflect; the next query
reads only records appended since. A checkpoint is used only if it is for the same set of
projections (names and versions), and the chain link stored at its position still matches, so a
reset or tampered store can never feed a stale state.

``as_of`` queries fold only events dated on or before the date; they use the checkpoint only
when no stored event is dated later (then the answer is the same).

A projection that raises is *quarantined*: the failure (plugin, projection, event id,
traceback) is kept, the projection is fed nothing more, the others finish.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from ledger.book import Book, Entry, reversed_targets
from ledger.engine.gc_pause import no_cyclic_gc
from ledger.engine.projection import ProjectionProtocol
from ledger.model.codec import GENESIS
from ledger.model.events import Event, Reversal
from ledger.model.problems import Problem
from ledger.model.values import Party
from ledger.store import Store

CHECKPOINT = "engine"
CHECKPOINT_EVERY = 5_000


@attrs.frozen
class Failure:
    """A projection that raised: who, on which event, and why."""

    plugin: str
    projection: str
    event_id: str | None
    position: int | None
    error: str
    traceback: str


@attrs.define
class Result:
    """States after a run, with what went wrong."""

    as_of: dt.date | None
    position: int
    book: Book
    states: dict[str, Any]
    failures: list[Failure]
    problems: list[Problem]
    processed: int
    from_checkpoint: bool
    entries: list[Entry] | None = None

    def state(self, name: str) -> Any:
        """The state of projection ``name`` (KeyError if unknown or quarantined)."""
        return self.states[name]


@attrs.frozen
class Registered:
    """A projection with the plugin that registered it."""

    projection: ProjectionProtocol
    plugin: str


class Engine:
    """Runs registered projections over a store."""

    def __init__(self, store: Store, projections: Sequence[Registered] = ()) -> None:
        self.store = store
        self.projections = list(projections)
        names = [r.projection.name for r in self.projections]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"projection names registered twice: {', '.join(sorted(duplicates))}")

    def _fingerprint(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            sorted((r.projection.name, str(r.projection.version)) for r in self.projections)
        )

    def run(
        self,
        *,
        as_of: dt.date | None = None,
        keep_entries: bool = False,
        use_checkpoint: bool = True,
        save_checkpoint: bool = True,
        progress: Callable[[int], None] | None = None,
    ) -> Result:
        """Bring every projection up to date (or compute it ``as_of`` a date)."""
        head, head_chain = self.store.head()
        start = (
            self._resume(as_of, head, head_chain) if use_checkpoint and not keep_entries else None
        )
        if start is not None:
            position, book, states = start
            # A reversal appended since the checkpoint that cancels an older event forces a refold.
            new = list(self.store.read(after=position))
            targets = [r.value.of for r in new if isinstance(r.value, Reversal)]
            if targets and any(k.position <= position for k in self.store.lookup(targets).values()):
                start = None
            else:
                for target, reversal in reversed_targets(
                    r.value for r in new if isinstance(r.value, Event)
                ).items():
                    book.reversed.setdefault(target, reversal)
                result = self._fold(
                    book,
                    states,
                    new,
                    as_of,
                    progress,
                    from_checkpoint=True,
                    start_position=position,
                )
                if (
                    save_checkpoint
                    and as_of is None
                    and self._worth_saving(position, len(new))
                    and not result.failures
                ):
                    self._checkpoint(result, head_chain)
                return result
        book = Book(self._reversals(as_of), validate=False)
        states = {r.projection.name: r.projection.initial() for r in self.projections}
        result = self._fold(
            book,
            states,
            self.store.read(),
            as_of,
            progress,
            from_checkpoint=False,
            start_position=0,
            keep_entries=keep_entries,
        )
        if save_checkpoint and as_of is None and not result.failures and not result.problems:
            self._checkpoint(result, head_chain)
        return result

    def rebuild(self, names: Iterable[str] | None = None) -> Result:
        """Discard checkpoints and recompute from the first record."""
        self.store.delete_checkpoints(None)
        return self.run(use_checkpoint=False)

    def _reversals(self, as_of: dt.date | None) -> dict[str, str]:
        targets: dict[str, str] = {}
        for _, reversal_id, target, date in self.store.reversals():
            if as_of is None or date <= as_of:
                targets.setdefault(target, reversal_id)
        return targets

    def _resume(
        self, as_of: dt.date | None, head: int, head_chain: str
    ) -> tuple[int, Book, dict[str, Any]] | None:
        with no_cyclic_gc():  # unpickling builds the whole state: see ledger.engine.gc_pause
            saved = self.store.load_checkpoint(self._checkpoint_name())
        if saved is None:
            return None
        position, chain, payload = saved
        if not isinstance(payload, dict) or payload.get("fingerprint") != self._fingerprint():
            return None
        if (
            position > head
            or (position and self.store.chain_at(position) != chain)
            or (position == 0 and chain != GENESIS)
        ):
            return None
        book: Book = payload["book"]
        if (
            as_of is not None
            and payload.get("max_date") is not None
            and payload["max_date"] > as_of
        ):
            return None
        if as_of is not None and head > position:
            return None  # new records may be dated after as_of; fold from scratch
        return position, book, payload["states"]

    def _fold(
        self,
        book: Book,
        states: dict[str, Any],
        records: Iterable[Any],
        as_of: dt.date | None,
        progress: Callable[[int], None] | None,
        *,
        from_checkpoint: bool,
        start_position: int,
        keep_entries: bool = False,
        projections: Sequence[Registered] | None = None,
    ) -> Result:
        with no_cyclic_gc():
            return self._fold_records(
                book,
                states,
                records,
                as_of,
                progress,
                from_checkpoint,
                start_position,
                keep_entries,
                projections,
            )

    def _fold_records(
        self,
        book: Book,
        states: dict[str, Any],
        records: Iterable[Any],
        as_of: dt.date | None,
        progress: Callable[[int], None] | None,
        from_checkpoint: bool,
        start_position: int,
        keep_entries: bool,
        projections: Sequence[Registered] | None,
    ) -> Result:
        failures: list[Failure] = []
        problems: list[Problem] = []
        active = [
            (r, r.projection.handles, r.projection.apply, r.projection.name)
            for r in (self.projections if projections is None else projections)
        ]
        entries: list[Entry] | None = [] if keep_entries else None
        position = start_position
        processed = 0
        max_date = book.max_date
        for record in records:
            position = record.position
            processed += 1
            if progress is not None and processed % 10_000 == 0:
                progress(processed)
            value = record.value
            if isinstance(value, Party):
                problems += book.declare(value)
                continue
            event: Event = value
            if max_date is None or event.date > max_date:
                max_date = event.date
            if as_of is not None and event.date > as_of:
                continue
            postings, found = book.apply(event, position, record.content_hash)
            if found:
                problems += [p.at(position=position) for p in found]
                continue
            if event.id in book.reversed or isinstance(event, Reversal):
                continue
            entry = Entry(position, event, postings)
            if entries is not None:
                entries.append(entry)
            quarantined = None
            for item in active:
                registered, handles, apply, name = item
                if handles is not None and event.TYPE not in handles:
                    continue
                try:
                    states[name] = apply(states[name], entry)
                except Exception as exc:  # noqa: BLE001 - a plugin's bug must not stop the others
                    failures.append(
                        Failure(
                            registered.plugin,
                            name,
                            event.id,
                            position,
                            f"{type(exc).__name__}: {exc}",
                            traceback.format_exc(),
                        )
                    )
                    quarantined = (quarantined or []) + [item]
            if quarantined:
                active = [a for a in active if a not in quarantined]
                for item in quarantined:
                    states.pop(item[3], None)
        book.max_date = max_date
        return Result(
            as_of, position, book, states, failures, problems, processed, from_checkpoint, entries
        )

    @staticmethod
    def _worth_saving(checkpoint_position: int, new_records: int) -> bool:
        """Rewrite the checkpoint once the records folded on top of it are worth it.

        Writing a checkpoint costs time proportional to the state; folding the records appended
        since costs time proportional to them. So a small catch-up (fewer than 5,000 records and
        under 5% of the history) folds on top of the old checkpoint and leaves it in place.
        """
        return new_records >= min(CHECKPOINT_EVERY, max(1, checkpoint_position // 20))

    def _checkpoint(self, result: Result, chain: str) -> None:
        payload = {
            "fingerprint": self._fingerprint(),
            "book": result.book,
            "states": result.states,
            "max_date": result.book.max_date,
        }
        with no_cyclic_gc():
            self.store.save_checkpoint(self._checkpoint_name(), result.position, chain, payload)

    def _checkpoint_name(self) -> str:
        digest = hashlib.sha256(repr(self._fingerprint()).encode()).hexdigest()[:16]
        return f"{CHECKPOINT}:{digest}"

    def book_at_head(
        self, extra_reversed: dict[str, str] | None = None
    ) -> tuple[Book, list[Problem]]:
        """The core book folded over every stored record (checkpoint when possible)."""
        if not extra_reversed:
            result = self.run(save_checkpoint=True)
            return result.book, result.problems
        reversed_ids = self._reversals(None)
        for target, reversal in extra_reversed.items():
            reversed_ids.setdefault(target, reversal)
        book = Book(reversed_ids, validate=False)
        result = self._fold(
            book,
            {},
            self.store.read(),
            None,
            None,
            from_checkpoint=False,
            start_position=0,
            projections=[],
        )
        return result.book, result.problems
