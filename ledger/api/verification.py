"""``loopledger verify``: recompute the hash chain, compare the id index, refold, run every invariant.

A real store is checked end to end: the chain and index catch edited or deleted records, a
from-scratch fold compared with the checkpointed one and with a fold in a fresh process proves
replay is deterministic, and every registered invariant (built-in and plugin) runs on the result.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs
import orjson

from invariants.accounting import allowed_overdrafts, cash_overdrafts
from invariants.chain import chain_violations
from invariants.history import differences
from invariants.instruments import commitment_overruns, deal_overrides
from invariants.violation import Context, Violation
from ledger.engine.engine import BOOK_STATE
from ledger.model import plain
from ledger.model.events import Event
from ledger.model.problems import CorruptRecord
from ledger.store import Store, describe
from ledger.store.urls import redact

if TYPE_CHECKING:
    from ledger.api.facade import Ledger


@attrs.frozen
class Check:
    """One named check with what it found."""

    name: str
    description: str
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


@attrs.frozen
class VerifyReport:
    store: str
    records: int
    checks: tuple[Check, ...]
    notes: tuple[Violation, ...]
    head: tuple[int, str] | None = None
    """(position, stored chain hash) of the last record: keep it outside to detect truncation."""

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "records": self.records,
            "head": None
            if self.head is None
            else {"position": self.head[0], "chain_hash": self.head[1]},
            "ok": self.ok,
            "checks": [
                {
                    "name": c.name,
                    "description": c.description,
                    "ok": c.ok,
                    "violations": [v.to_json() for v in c.violations],
                }
                for c in self.checks
            ],
            "notes": [v.to_json() for v in self.notes],
        }


def index_violations(store: Store, raw: Iterable[tuple[int, bytes]]) -> list[Violation]:
    """The id index (written with each append) and the stream agree: no event missing from
    either, and each indexed id, type, date and content hash is the record's.

    Why every column: replay's idempotency reads the hash, reversal scans read the type, and
    ``--as-of`` cuts read the date — an index altered outside loopledger would make them answer
    wrongly with every record intact. Both are read in position order and compared as they go
    by, so memory does not grow with the store.
    """
    found: list[Violation] = []
    indexed = store.index_by_position()
    pending = next(indexed, None)
    for position, data in raw:
        if not data.startswith(b'{"k":"event"'):
            continue
        try:
            record = orjson.loads(data)
            event_id, kind, day = record["r"]["id"], record["r"]["type"], record["r"]["date"]
            digest = record["h"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            continue  # an undecodable record: the hash-chain check names it
        while pending is not None and pending[0] < position:
            found.append(_gone(*pending[:2]))
            pending = next(indexed, None)
        if pending is not None and pending[0] == position:
            _, indexed_id, indexed_type, indexed_day, indexed_hash = pending
            if indexed_id != store.index_id(event_id):
                shown = "another id's digest" if store.encrypted else f"'{indexed_id}'"
                found.append(
                    Violation(
                        "id-index",
                        f"position #{position} is indexed as {shown} but stores '{event_id}'",
                        (event_id,),
                    )
                )
            else:
                wrong = [
                    f"{name} {got!r} (the record's is {want!r})"
                    for name, got, want in (
                        ("type", indexed_type, kind),
                        ("date", indexed_day, day),
                        ("content hash", indexed_hash, digest),
                    )
                    if got != want
                ]
                if wrong:
                    found.append(
                        Violation(
                            "id-index",
                            f"the index row of '{event_id}' (#{position}) was altered: "
                            + "; ".join(wrong),
                            (event_id,),
                        )
                    )
            pending = next(indexed, None)
        else:
            found.append(
                Violation(
                    "id-index",
                    f"event '{event_id}' (#{position}) is stored but missing from the id index",
                    (event_id,),
                )
            )
        if len(found) >= 20:
            return found
    while pending is not None and len(found) < 20:
        found.append(_gone(*pending[:2]))
        pending = next(indexed, None)
    return found


def _gone(position: int, event_id: str) -> Violation:
    return Violation(
        "id-index",
        f"event '{event_id}' (#{position}) is in the id index but missing from the stream: it was deleted from the store",
        (event_id,),
    )


def states_digest(states: dict[str, Any], projections: Sequence[Any] = ()) -> dict[str, str]:
    """A digest per projection state, for comparing folds across processes.

    The state's plain encoding (its projection's ``encode`` first, when it has one) with sets
    sorted; a state that has no plain encoding is digested by its ``repr``.
    """
    encoders = {r.projection.name: getattr(r.projection, "encode", None) for r in projections}
    out = {}
    for name, state in sorted(states.items()):
        encode = encoders.get(name)
        try:
            data = plain.encode(encode(state) if encode else state, canonical=True)
            blob = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
        except (plain.PlainError, TypeError):
            blob = repr(state).encode()
        out[name] = hashlib.sha256(blob).hexdigest()
    return out


def fresh_process_digest(store_url: str) -> dict[str, str]:
    """Fold the store from scratch in a new Python process and return its digests.

    The new process loads installed plugins only; projections registered in-process (tests)
    are compared where both processes have them.
    """
    return FreshFold(store_url).digests()


class FreshFold:
    """A fold of the store from scratch in a new Python process, started at once.

    Why started early: the fold takes as long as this process's own refold, and on a machine
    with a second core the two run side by side; :meth:`digests` waits for it.
    """

    TIMEOUT: Final = 3_600

    def __init__(self, store_url: str) -> None:
        self._url = store_url
        # The URL goes in on stdin, never in argv: argv is in the process table for every user
        # to read, and a PostgreSQL URL carries its password.
        code = (
            "import sys; from ledger.api.verification import _digest_main; "
            "_digest_main(sys.stdin.readline().rstrip('\\n'))"
        )
        read_end, write_end = os.pipe()
        with os.fdopen(write_end, "w") as feed:  # a URL fits in the pipe's buffer
            feed.write(store_url + "\n")
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", code],
                stdin=read_end,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        finally:
            os.close(read_end)
        atexit.register(self.stop)  # verify raised before waiting: do not leave it folding

    def digests(self) -> dict[str, str]:
        atexit.unregister(self.stop)
        try:
            out, err = self._process.communicate(timeout=self.TIMEOUT)
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError(f"fresh-process fold did not finish in {self.TIMEOUT} s") from None
        if self._process.returncode != 0:
            raise RuntimeError(
                f"fresh-process fold failed: {redact(err.strip()[-500:], self._url)}"
            )
        return dict(orjson.loads(out))

    def stop(self) -> None:
        """End the fold (verify stopped early); its output is not wanted."""
        atexit.unregister(self.stop)
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()


def _digest_main(store_url: str) -> None:
    from ledger.engine import Engine
    from ledger.plugin.manager import make_plugin_manager

    plugins = make_plugin_manager()
    with Store(store_url) as store:
        result = Engine(store, plugins.projections()).run(
            use_checkpoint=False, save_checkpoint=False
        )
    print(orjson.dumps(states_digest(result.states, plugins.projections())).decode())


def _stored_link(data: bytes) -> str | None:
    try:
        link = orjson.loads(data)["c"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    return link if isinstance(link, str) else None


def anchor_violations(
    raw: Iterable[tuple[int, bytes]], anchors: Sequence[tuple[int, str]]
) -> list[Violation]:
    """Each anchor ``(position, chain hash)`` kept outside the store still matches.

    Why: a hash chain alone cannot reveal that its newest records were cut off — what is left
    is a valid chain. A chain hash kept elsewhere (a ticket, an email, a notary) can: the record
    at that position must still exist and still carry that hash, and since every hash covers
    all before it, nothing up to it can have changed.
    """
    wanted = {position for position, _ in anchors}
    links: dict[int, str | None] = {}
    count = 0
    for position, data in raw:
        count += 1
        if position in wanted:
            links[position] = _stored_link(data)
    found = []
    for position, expected in anchors:
        if position not in links:
            found.append(
                Violation(
                    "chain-anchors",
                    f"record #{position} is gone (the store has {count} records): the history "
                    "was cut after it was anchored",
                )
            )
        elif links[position] != expected:
            found.append(
                Violation(
                    "chain-anchors",
                    f"record #{position} carries chain hash {links[position]}, anchored as "
                    f"{expected}: the history up to it was rewritten",
                )
            )
    return found


class _Reread(Sequence[Any]):
    """A sequence read again from the store each time it is iterated (bounded memory)."""

    def __init__(self, make: Callable[[], Iterator[Any]], size: int) -> None:
        self._make, self._size = make, size

    def __iter__(self) -> Iterator[Any]:
        return self._make()

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index: Any) -> Any:
        items = list(self._make())
        return items[index]


REVERSAL_LAW_LIMIT: Final = 20_000
"""The reversal law folds the history once per reversal: above this many events ``verify``
checks it for a few reversals only (the property tests check it on every kind of history)."""


def verify(
    opened: Ledger,
    *,
    fresh_process: bool = True,
    anchors: Sequence[tuple[int, str]] = (),
    progress: Callable[[str, int], None] | None = None,
) -> VerifyReport:
    """Run every check on the opened store; ``anchors`` are (position, chain hash) pairs
    recorded earlier (see :func:`anchor_violations`).

    Memory does not grow with the store: the records are read as a stream for the chain, the
    index and the round trip; the history is folded once through the book (which also checks
    the postings stored with each event), once from the checkpoints, once in a fresh process;
    and the invariants read the entries again from the store. ``progress(step, records)``
    reports the records read so far by each step.
    """
    store = opened.store
    head_position, head_chain = store.head()
    raw = _Reread(lambda: store.read_raw(), head_position)
    head = None
    if head_position:
        for _, data in store.read_raw(after=head_position - 1):
            head = (head_position, _stored_link(data) or "?")
    step = (lambda name: lambda n: progress(name, n)) if progress else (lambda name: None)
    checks: list[Check] = []
    if anchors:
        checks.append(
            Check(
                "chain-anchors",
                "every chain hash kept outside the store is still at its position",
                tuple(anchor_violations(raw, anchors)),
            )
        )
    chain = chain_violations(raw) + index_violations(store, raw)
    checks.append(
        Check(
            "hash-chain",
            "every record matches its SHA-256 and links to the one before; the id index matches the stream",
            tuple(chain),
        )
    )
    audit = store.state_audit()
    altered = [
        Violation(
            "checkpoints",
            f"checkpoint '{name}' (made with this user's key) is {verdict}; it is not used, and folding again replaces it",
        )
        for name, whose, verdict in audit
        if whose == "ours" and verdict != "ok"
    ]
    checks.append(
        Check(
            "checkpoints",
            "every checkpoint made with this user's key matches its MAC (others are never used)",
            tuple(altered),
        )
    )
    engine = opened.engine()
    in_fresh_process = fresh_process and opened.store_url not in ("memory:", ":memory:")
    fresh = FreshFold(opened.store_url) if in_fresh_process else None
    try:
        scratch, mismatches = engine.refold(progress=step("refold"))
    except CorruptRecord as exc:
        if fresh is not None:
            fresh.stop()
        # Nothing can be folded past a record that does not decode: report it, run no more.
        broken = Violation(
            "stored-history-folds",
            f"record #{exc.position} cannot be decoded, so nothing after it can be folded",
        )
        checks.append(
            Check(
                "stored-history-folds",
                "every stored event is still valid against the history before it",
                (broken,),
            )
        )
        return VerifyReport(
            store=describe(opened.store_url),
            records=head_position,
            checks=tuple(checks),
            notes=(),
            head=head,
        )
    folded = [
        Violation(
            "stored-history-folds",
            f"stored history: {p.render()}",
            (p.event_id,) if p.event_id else (),
        )
        for p in scratch.problems
    ]
    checks.append(
        Check(
            "stored-history-folds",
            "every stored event is still valid against the history before it",
            tuple(folded),
        )
    )
    quarantined = [
        Violation(
            "projections-run",
            f"projection '{f.projection}' of plugin '{f.plugin}' failed on event '{f.event_id}' (#{f.position}): {f.error}",
            (f.event_id,) if f.event_id else (),
        )
        for f in scratch.failures
    ]
    checks.append(
        Check(
            "projections-run",
            "every projection folds the whole history without raising",
            tuple(quarantined),
        )
    )
    trusted = not mismatches
    notes: list[Violation] = []
    if mismatches:
        notes.append(
            Violation(
                "stored-postings",
                f"{len(mismatches):,} events have no postings stored with this user's key, or "
                f"ones the book does not derive (first at #{mismatches[0]}): queries derive them "
                "through the book, and the next fold to the head stores them again",
            )
        )
    # From the checkpoints one projection at a time: each state decoded from its checkpoint
    # sits beside the scratch states only until it is compared (all at once, the tracers'
    # decoded checkpoints tripled verify's peak memory: 1.1 GB against 0.3 GB at 100k events).
    # A projection with no usable checkpoint has nothing to compare: folding it from scratch
    # again would only repeat the refold (at a million events the lifo tracer's second copy
    # was 4.6 GB). A checkpoint at the head is compared as decoded; one behind it catches up.
    differ: list[str] = []
    for registered in engine.projections:
        name = registered.projection.name
        loaded = engine.load_checkpoint(registered, head_position, head_chain)
        if loaded is None:
            continue
        position, state = loaded
        del loaded
        if position != head_position:
            del state
            state = engine.run(
                names=[name], save_checkpoint=False, progress=step("checkpoints")
            ).states.get(name)
        differ += differences({name: scratch.states.get(name)}, {name: state})
        del state
    if any(
        name == BOOK_STATE for name, whose, verdict in audit if whose == "ours" and verdict != "ok"
    ):
        # Folds that start from the stored postings never need the book: replace it here, as the
        # message above promises, or an altered book row would be reported until the next replay.
        engine.save_book(scratch.book, *store.head())
    same = (
        [
            Violation(
                "replay-determinism",
                f"from scratch vs from checkpoint: {', '.join(differ)} differ between the two folds",
            )
        ]
        if differ
        else []
    )
    if fresh is not None:
        try:
            theirs = fresh.digests()
            ours = states_digest(scratch.states, opened.plugins.projections())
            differ = sorted(n for n in set(theirs) & set(ours) if theirs[n] != ours[n])
            if differ:
                same.append(
                    Violation(
                        "replay-determinism",
                        f"a fold in a fresh process gave different states for: {', '.join(differ)}",
                    )
                )
        except RuntimeError as exc:
            same.append(Violation("replay-determinism", str(exc)))
    checks.append(
        Check(
            "replay-determinism",
            "folding again — from scratch, from checkpoints, in a fresh process — gives identical states"
            if in_fresh_process
            else "folding again — from scratch and from checkpoints — gives identical states "
            "(no fresh process: a memory: store lives only in this one)",
            tuple(same),
        )
    )
    entries = _Reread(lambda: engine.entries(trust_postings=trusted), head_position)
    events = _Reread(
        lambda: (r.value for r in store.read() if isinstance(r.value, Event)), head_position
    )
    context = Context(
        entries=entries,
        events=events,
        book=scratch.book,
        states=scratch.states,
        parties=list(scratch.parties.values()),
        records=raw,
    )
    large = head_position > REVERSAL_LAW_LIMIT
    for spec in opened.plugins.invariants():
        if large and spec.name == "reversal-cancels":
            notes.append(
                Violation(
                    "reversal-cancels",
                    f"not checked on this store: it folds the history once per reversal, and the "
                    f"store holds more than {REVERSAL_LAW_LIMIT:,} records (the property tests "
                    "check the law)",
                )
            )
            continue
        try:
            found = tuple(spec.check(context))
        except Exception as exc:  # noqa: BLE001 - a broken invariant is a failed check, not a crash
            found = (
                Violation(
                    spec.name,
                    f"invariant '{spec.name}' of plugin '{spec.plugin}' raised {type(exc).__name__}: {exc}",
                ),
            )
        checks.append(Check(spec.name, spec.description, found))
    foreign = [(n, w) for n, w, _ in audit if w != "ours"]
    if foreign:
        notes.append(
            Violation(
                "checkpoints",
                f"{len(foreign)} checkpoints were made with other keys or by loopledger 0.1 "
                f"({', '.join(sorted({w for _, w in foreign}))}: {', '.join(n for n, _ in foreign[:5])}"
                f"{' …' if len(foreign) > 5 else ''}); they are never opened",
            )
        )
    return VerifyReport(
        store=describe(opened.store_url),
        records=head_position,
        checks=tuple(checks),
        notes=tuple(
            deal_overrides(entries)
            + commitment_overruns(scratch.book)
            + cash_overdrafts(
                entries, allowed_overdrafts(scratch.book.parties.values()), declared=True
            )
            + notes
        ),
        head=head,
    )
