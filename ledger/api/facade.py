"""The one way in: an open store with its plugins, and the questions you can ask it.

Why a facade: the command line, the demo, notebooks and plugin commands all need the same few
steps — open the store (never creating one by accident), load the plugins, fold the history
through the engine, and hand the fold to a plugin's query. Written once here, no face assembles
``Store`` + ``Engine`` + plugin manager itself, and a notebook reads like the command line::

    import ledger

    with ledger.open("loopledger.db") as book:
        book.balances(as_of=dt.date(2025, 12, 31), party="openai")
        book.audit(rule="fifo")
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Self

from ledger.api.listings import (
    AccountList,
    EventList,
    Listed,
    PartyList,
    Register,
    Stats,
    accounts,
    party_list,
    register,
    stats,
)
from ledger.api.parties import resolve_party
from ledger.engine import Engine, Result
from ledger.histories.exports import Journal, read_journal, write_export
from ledger.histories.inputs import Input
from ledger.histories.loader import History
from ledger.histories.recording import ReplayReport, replay
from ledger.model.events import Reversal, parties_of
from ledger.model.periods import Period, combine, parse_period
from ledger.model.problems import LedgerError, StoreError
from ledger.model.values import Party
from ledger.store import DEFAULT_STORE, Record, Store, describe

if TYPE_CHECKING:
    from ledger.api.verification import VerifyReport
    from ledger.plugin.manager import Plugins


def default_store_url() -> str:
    """``LOOPLEDGER_STORE``, else ``./loopledger.db``."""
    return os.environ.get("LOOPLEDGER_STORE") or DEFAULT_STORE


class FoldFailed(LedgerError):
    """The stored history does not fold, or a projection a question needs was quarantined."""


class Ledger:
    """A store and the plugins that read it, opened lazily.

    :param store_url: a SQLite file, ``memory:`` or ``postgresql://…`` (default: ``$LOOPLEDGER_STORE``
        or ``./loopledger.db``).
    :param plugins: the plugin facade (default: the built-ins and installed entry points).
    :param create: whether opening may create a new store — only recording does that, so a
        mistyped path is an error rather than an empty store that "verifies".
    :param read_only: open the store read-only (``loopledger serve``): nothing is ever written
        to it — no records, no checkpoints — and ``replay`` is refused.
    """

    def __init__(
        self,
        store_url: str | None = None,
        plugins: Plugins | None = None,
        *,
        create: bool = False,
        read_only: bool = False,
    ) -> None:
        self._store_url = store_url or default_store_url()
        self._plugins = plugins
        self._store: Store | None = None
        self.may_create = create and not read_only
        self.read_only = read_only

    # --- what it is opened on -----------------------------------------------------------------

    @property
    def store_url(self) -> str:
        return self._store_url

    @store_url.setter
    def store_url(self, url: str) -> None:
        """Point at another store (``--store`` given after a command's name); closes the old one."""
        self.close()
        self._store_url = url

    @property
    def location(self) -> str:
        """The store URL with any password hidden, for messages."""
        return describe(self._store_url)

    @property
    def plugins(self) -> Plugins:
        if self._plugins is None:
            from ledger.plugin.manager import make_plugin_manager

            self._plugins = make_plugin_manager()
        return self._plugins

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self._store_url, create=self.may_create, read_only=self.read_only)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- recording ----------------------------------------------------------------------------

    def replay(
        self,
        *sources: str | Path | History | Input,
        on_recorded: Callable[[Sequence[Record]], object] | None = None,
        progress: Callable[[int], None] | None = None,
        fmt: str | None = None,
    ) -> ReplayReport:
        """Validate deal histories and append what is new.

        A source is a file (YAML, JSON, JSON Lines or CSV, told apart by suffix or content;
        ``-`` is standard input), an :class:`~ledger.histories.sources.Input` (a stream with
        a name), or a loaded :class:`History`; ``fmt`` forces the format of files. Files are
        read as streams and land in one transaction: all or nothing; the problems found are
        raised together as one :class:`InputError`, a balance assertion that fails as
        :class:`AssertionsFailed`. Observers (``ledger_events_recorded``) are told after the
        commit unless ``on_recorded`` replaces them.
        """
        if self.read_only:
            raise StoreError(f"{self.location} is open read-only: nothing can be recorded")
        self.may_create = True
        chosen = [
            Input(str(s), format=fmt) if fmt is not None and isinstance(s, (str, Path)) else s
            for s in sources
        ]
        notify = on_recorded or (
            lambda records: self.plugins.events_recorded(records, self.location)
        )
        return replay(self.engine(), chosen, on_recorded=notify, progress=progress)

    # --- folding ------------------------------------------------------------------------------

    def engine(self) -> Engine:
        """An engine running every registered projection over the store."""
        return Engine(self.store, self.plugins.projections())

    def run(
        self,
        as_of: dt.date | None = None,
        *,
        names: Iterable[str] | None = None,
        require: Iterable[str] | None = None,
        **options: Any,
    ) -> Result:
        """Fold the store (each projection from its checkpoint when it can) as of a date.

        :param names: the projections to fold (default: every registered one) — a command asks
            only for what it shows, so ``balances`` never pays for the audit's tracers.
        :param require: projection names the caller needs; when given, a history that does not
            fold or a needed projection that was quarantined raises :class:`FoldFailed`.
        :param options: passed to :meth:`ledger.engine.Engine.run` (``keep_entries`` …).
        """
        if names is not None:
            names = list(names)
            if require is not None:
                require = list(require)
                names = list(dict.fromkeys([*names, *require]))
        elif require is not None and list(require):
            names = list(require)
        result = self.engine().run(as_of=as_of, names=names, **options)
        if require is not None:
            check_fold(result, *require)
        return result

    def book_engine(self) -> Engine:
        """An engine with no projections: the book alone (listings and exports need no more)."""
        return Engine(self.store)

    def _listed(self, as_of: dt.date | None) -> tuple[list[Listed], dict[str, Party], int]:
        """Every recorded event (as of a date) with status and postings; the parties; records."""
        result = self.book_engine().run(
            as_of=as_of, keep_entries=True, use_checkpoint=False, save_checkpoint=False
        )
        check_fold(result)
        postings = {e.position: e.postings for e in result.entries or []}
        listed: list[Listed] = []
        parties: dict[str, Party] = {}
        records = 0
        for record in self.store.read():
            records += 1
            event = record.value
            if isinstance(event, Party):
                parties[event.id] = event
                continue
            if as_of and event.date > as_of:
                continue
            status = "recorded"
            if event.id in result.reversed:
                status = f"reversed by {result.reversed[event.id]}"
            elif isinstance(event, Reversal):
                status = f"reverses {event.of}"
            listed.append(Listed(record.position, event, status, postings.get(record.position, ())))
        return listed, parties, records

    def events(
        self,
        as_of: dt.date | None = None,
        *,
        types: Iterable[str] = (),
        party: str | None = None,
        begin: dt.date | None = None,
        end: dt.date | None = None,
        period: Period | str | None = None,
    ) -> EventList:
        """Recorded events in recorded order with their status and the postings each made.

        :param party: id, name or ticker (any case) of a party the events must name.
        :param begin: only events dated on or after this date; ``end``: before it (exclusive);
            ``period``: ``"2025Q4"``, ``"2025"``, … (see :mod:`ledger.model.periods`).
        """
        span = periods(begin, end, period)
        cut = span.cut(as_of)
        listed, parties, _ = self._listed(cut)
        pid = resolve_party(parties, party) if party is not None else None
        wanted = set(types)
        chosen = [
            item
            for item in listed
            if (not wanted or item.event.TYPE in wanted)
            and (pid is None or pid in parties_of(item.event))
            and span.contains(item.event.date)
        ]
        return EventList(tuple(chosen), cut)

    def register(
        self,
        as_of: dt.date | None = None,
        *,
        party: str | None = None,
        account: str | None = None,
        commodity: str | None = None,
        begin: dt.date | None = None,
        end: dt.date | None = None,
        period: Period | str | None = None,
    ) -> Register:
        """Postings in recorded order with a running balance per commodity (like hledger's
        ``register``); ``account`` matches whole leading components (``assets`` or
        ``assets:cash``). The running balance starts at zero at the period's beginning."""
        span = periods(begin, end, period)
        listed, parties, _ = self._listed(span.cut(as_of))
        pid = resolve_party(parties, party) if party is not None else None
        inside = [i for i in listed if span.contains(i.event.date)]
        return register(inside, party=pid, account=account, commodity=commodity)

    def accounts(
        self,
        as_of: dt.date | None = None,
        *,
        party: str | None = None,
        begin: dt.date | None = None,
        end: dt.date | None = None,
        period: Period | str | None = None,
    ) -> AccountList:
        """Every (party, account, commodity) with postings, how many, first and last date."""
        span = periods(begin, end, period)
        listed, parties, _ = self._listed(span.cut(as_of))
        pid = resolve_party(parties, party) if party is not None else None
        return accounts([i for i in listed if span.contains(i.event.date)], party=pid)

    def parties(self) -> PartyList:
        """The recorded parties (id, name, ticker, shares outstanding, events naming each)."""
        listed, parties, _ = self._listed(None)
        return party_list(list(parties.values()), (i.event for i in listed))

    def resolve_party(self, text: str, field: str = "--party") -> str:
        """The id of the party named by id, name or ticker (any case); InputError otherwise."""
        parties = {r.value.id: r.value for r in self.store.read() if isinstance(r.value, Party)}
        return resolve_party(parties, text, field)

    def stats(
        self,
        as_of: dt.date | None = None,
        *,
        begin: dt.date | None = None,
        end: dt.date | None = None,
        period: Period | str | None = None,
    ) -> Stats:
        """Records, events, parties, the date span and events per type (within a period)."""
        span = periods(begin, end, period)
        listed, parties, records = self._listed(span.cut(as_of))
        inside = [i for i in listed if span.contains(i.event.date)]
        return stats(self.location, records, len(parties), inside)

    # --- histories out ------------------------------------------------------------------------

    def journal(self, as_of: dt.date | None = None) -> Journal:
        """The stored history as of a date with every event's postings (what exports read)."""
        return read_journal(self.book_engine(), as_of)

    def export(
        self,
        fmt: str,
        out: Path | IO[str],
        *,
        as_of: dt.date | None = None,
        title: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Journal:
        """Write the stored history as ``hledger``, ``ledger``, ``beancount``, ``csv`` (posting
        rows) or ``jsonl`` (replayable) to a file or text stream; returns what was exported."""
        return write_export(
            self.book_engine(), fmt, out, as_of=as_of, title=title, progress=progress
        )

    def verify(
        self,
        anchors: Sequence[tuple[int, str]] = (),
        *,
        fresh_process: bool = True,
        progress: Callable[[str, int], None] | None = None,
    ) -> VerifyReport:
        """Every ``verify`` check on the store (hash chain, refold, determinism, invariants);
        ``progress(step, records)`` is told how far each step has got."""
        from ledger.api.verification import verify

        return verify(self, anchors=anchors, fresh_process=fresh_process, progress=progress)

    # --- questions plugins answer -----------------------------------------------------------

    def query(
        self,
        name: str,
        *,
        as_of: dt.date | None = None,
        result: Result | None = None,
        **options: Any,
    ) -> Any:
        """The answer of the query registered as ``name`` (``ledger_register_queries``).

        Folds the store as of ``as_of`` unless a ``result`` of an earlier fold is given (so one
        fold can serve several questions); raises :class:`FoldFailed` when a projection the
        query needs is missing.
        """
        spec = self.plugins.query(name)
        if result is None:
            result = self.run(as_of, names=spec.requires, require=spec.requires)
        else:
            check_fold(result, *spec.requires)
        return spec.answer(self, result, **options)

    def balances(
        self,
        as_of: dt.date | None = None,
        *,
        begin: dt.date | None = None,
        end: dt.date | None = None,
        period: Period | str | None = None,
        **options: Any,
    ) -> Any:
        """Balances per party, account and commodity (the ``balances`` plugin's query).

        With ``begin`` (or a ``period`` that has one) the amounts are the flows *within* the
        period — the postings of events dated in it — instead of balances as of its end.
        Options: ``party`` (id, name or ticker), ``depth`` (accounts cut to that many
        components, with subtotals), ``result`` (an earlier fold of the same date).
        """
        span = periods(begin, end, period)
        if span.begin is not None:
            options["begin"] = span.begin
        return self.query("balances", as_of=span.cut(as_of), **options)

    def audit(self, as_of: dt.date | None = None, **options: Any) -> Any:
        """Loops per layer and round trips of cash (the ``audit`` plugin's query)."""
        return self.query("audit", as_of=as_of, **options)

    def metrics(self, as_of: dt.date | None = None, **options: Any) -> Any:
        """Every registered metric, as of a date or ``by="quarter"`` (the ``metrics`` query)."""
        return self.query("metrics", as_of=as_of, **options)

    def value(self, as_of: dt.date | None = None, **options: Any) -> Any:
        """Every holding valued with its basis (the ``valuation`` plugin's query)."""
        return self.query("value", as_of=as_of, **options)


def periods(
    begin: dt.date | None = None,
    end: dt.date | None = None,
    period: Period | str | None = None,
) -> Period:
    """``begin``/``end`` (exclusive) narrowed by ``period`` (a :class:`Period` or its text)."""
    chosen = parse_period(period) if isinstance(period, str) else period
    return combine(begin, end, chosen)


def check_fold(result: Result, *needed: str) -> None:
    """Raise :class:`FoldFailed` if the history does not fold or a needed projection failed."""
    if result.problems:
        raise FoldFailed(
            "the stored history does not fold cleanly ("
            + "; ".join(p.render() for p in result.problems[:3])
            + "); run 'loopledger verify'"
        )
    missing = [n for n in needed if n not in result.states]
    if missing:
        failed = {f.projection: f for f in result.failures}
        reasons = [
            f"projection '{n}' failed on event '{failed[n].event_id}': {failed[n].error}"
            if n in failed
            else f"projection '{n}' is not registered (its plugin disabled?)"
            for n in missing
        ]
        raise FoldFailed("; ".join(reasons))


def encrypt_store(
    source_url: str,
    target_url: str,
    *,
    source_key: bytes | None = None,
    target_key: bytes | None = None,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Copy the store at ``source_url`` into a new store at ``target_url`` encrypted with
    ``target_key`` (default: the configured key); the number of records copied.

    The records are copied as stored (same hashes, chain and recorded-at moments), so ``verify``
    holds on both; ``source_key`` opens an encrypted source (moving a store to a new key). A
    copy that fails leaves no new SQLite file behind.
    """
    from ledger.store import copy_records, encryption, sqlite_path

    key = target_key if target_key is not None else encryption.configured_key()
    if key is None:
        raise StoreError(
            f"encrypt needs the new store's key: set ${encryption.KEY_ENV} or give --key-file "
            "(make one with 'loopledger keygen --out FILE')"
        )
    if source_key is not None and source_key == key:
        raise StoreError("the new key is the source's key: encrypt copies under a different key")
    path = sqlite_path(target_url)
    if path is not None and os.path.lexists(path):
        raise StoreError(f"{path} exists: encrypt writes a new store, it never overwrites one")
    if os.path.abspath(source_url) == os.path.abspath(target_url) or source_url == target_url:
        raise StoreError("the new store must be another store than the source")
    try:
        with (
            Store(source_url, create=False, key=source_key) as source,
            Store(target_url, create=True, key=key) as target,
        ):
            return copy_records(source, target, progress)
    except BaseException:
        if path is not None and os.path.exists(path):
            for leftover in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(leftover)
        raise


def open(
    store_url: str | None = None,
    *,
    plugins: Plugins | None = None,
    create: bool = False,
    read_only: bool = False,
) -> Ledger:
    """Open the store at ``store_url`` with ``plugins`` (see :class:`Ledger`)."""
    return Ledger(store_url, plugins, create=create, read_only=read_only)
