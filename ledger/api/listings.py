"""The recorded history as tables: events, postings with running balances (the register),
accounts, parties and summary statistics — what ``events``, ``register``, ``accounts``,
``parties`` and ``stats`` print, and what a notebook gets from the same calls."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ledger.api.tables import Column, Table
from ledger.model.amounts import format_decimal
from ledger.model.codec import to_dict
from ledger.model.events import Event, parties_of
from ledger.model.postings import Posting
from ledger.model.values import Money, Party, amount_text


@attrs.frozen
class Listed:
    """One recorded event as ``events`` lists it: where, what, its status and its postings."""

    position: int
    event: Event
    status: str
    postings: tuple[Posting, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            **to_dict(self.event),
            "status": self.status,
            "postings": [
                {
                    "party": p.party,
                    "account": p.account,
                    "commodity": p.commodity,
                    "quantity": amount_text(p.quantity, p.commodity),
                }
                for p in self.postings
            ],
        }


def headline(event: Event) -> tuple[Decimal | None, str | None]:
    """The amount an event is about — its ``amount``, else a price's ``per_share`` or
    ``valuation`` — with its currency (an assertion's: its commodity); (None, None) for the rest
    (a warrant grant's strike is a term, not what the deal moved)."""
    for name in ("amount", "per_share", "valuation"):
        value = getattr(event, name, None)
        if isinstance(value, Money):
            return value.amount, value.currency
        if isinstance(value, Decimal):
            return value, getattr(event, "commodity", None)
    return None, None


EVENT_COLUMNS = (
    Column("position", "int"),
    Column("date", "date"),
    Column("id"),
    Column("type"),
    Column("status"),
    Column("parties"),
    Column("amount", "decimal"),
    Column("currency"),
    Column("confidence"),
    Column("source"),
    Column("note"),
)


@attrs.frozen
class EventList(Table):
    """Recorded events in recorded order (a sequence of :class:`Listed`)."""

    items: tuple[Listed, ...]
    as_of: dt.date | None = None

    @property
    def columns(self) -> tuple[Column, ...]:
        return EVENT_COLUMNS

    def __iter__(self) -> Iterator[Listed]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Listed:
        return self.items[index]

    def to_records(self) -> list[dict[str, Any]]:
        rows = []
        for item in self.items:
            e = item.event
            amount, currency = headline(e)
            rows.append(
                {
                    "position": item.position,
                    "date": e.date,
                    "id": e.id,
                    "type": e.TYPE,
                    "status": item.status,
                    "parties": ", ".join(parties_of(e)),
                    "amount": amount,
                    "currency": currency,
                    "confidence": e.confidence,
                    "source": e.source,
                    "note": e.note,
                }
            )
        return rows

    def postings(self) -> Register:
        """Every posting of these events (with running balances per commodity)."""
        return register(self.items)

    def to_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "events": [i.to_json() for i in self.items]}


REGISTER_COLUMNS = (
    Column("date", "date"),
    Column("position", "int"),
    Column("id"),
    Column("type"),
    Column("party"),
    Column("account"),
    Column("commodity"),
    Column("amount", "decimal"),
    Column("balance", "decimal"),
)


@attrs.frozen
class RegisterLine:
    """One posting with the running balance of its commodity over the lines listed so far."""

    date: dt.date
    position: int
    event_id: str
    type: str
    posting: Posting
    balance: Decimal


@attrs.frozen
class Register(Table):
    """Postings in recorded order with a running balance per commodity (hledger's register)."""

    lines: tuple[RegisterLine, ...]

    @property
    def columns(self) -> tuple[Column, ...]:
        return REGISTER_COLUMNS

    def __iter__(self) -> Iterator[RegisterLine]:
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    def to_records(self) -> list[dict[str, Any]]:
        return [
            {
                "date": line.date,
                "position": line.position,
                "id": line.event_id,
                "type": line.type,
                "party": line.posting.party,
                "account": line.posting.account,
                "commodity": line.posting.commodity,
                "amount": line.posting.quantity,
                "balance": line.balance,
            }
            for line in self.lines
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "register": [
                {
                    **r,
                    "date": r["date"].isoformat(),
                    "amount": format_decimal(r["amount"]),
                    "balance": format_decimal(r["balance"]),
                }
                for r in self.to_records()
            ]
        }


def account_matches(account: str, wanted: str | None) -> bool:
    """``assets`` matches ``assets:cash`` and ``assets``; ``cash`` matches no ``assets:cash``:
    an account filter names a whole prefix of components, as in hledger's ``acct:``."""
    if wanted is None:
        return True
    w = wanted.strip(":").casefold()
    a = account.casefold()
    return a == w or a.startswith(w + ":")


def register(
    items: Iterable[Listed],
    *,
    party: str | None = None,
    account: str | None = None,
    commodity: str | None = None,
) -> Register:
    """The postings of ``items`` matching the filters, each with its commodity's running total."""
    running: dict[str, Decimal] = {}
    lines = []
    for item in items:
        for p in item.postings:
            if party is not None and p.party != party:
                continue
            if not account_matches(p.account, account):
                continue
            if commodity is not None and p.commodity.casefold() != commodity.casefold():
                continue
            total = running.get(p.commodity, Decimal(0)) + p.quantity
            running[p.commodity] = total
            lines.append(
                RegisterLine(
                    item.event.date, item.position, item.event.id, item.event.TYPE, p, total
                )
            )
    return Register(tuple(lines))


ACCOUNT_COLUMNS = (
    Column("party"),
    Column("account"),
    Column("commodity"),
    Column("postings", "int"),
    Column("first_date", "date"),
    Column("last_date", "date"),
)


@attrs.frozen
class AccountList(Table):
    """Every (party, account, commodity) that has postings, with how many and when."""

    rows: tuple[tuple[str, str, str, int, dt.date, dt.date], ...]

    @property
    def columns(self) -> tuple[Column, ...]:
        return ACCOUNT_COLUMNS

    def to_records(self) -> list[dict[str, Any]]:
        names = [c.name for c in ACCOUNT_COLUMNS]
        return [dict(zip(names, row, strict=True)) for row in self.rows]


def accounts(items: Iterable[Listed], *, party: str | None = None) -> AccountList:
    seen: dict[tuple[str, str, str], list[Any]] = {}
    for item in items:
        for p in item.postings:
            if party is not None and p.party != party:
                continue
            key = (p.party, p.account, p.commodity)
            row = seen.get(key)
            if row is None:
                seen[key] = [1, item.event.date, item.event.date]
            else:
                row[0] += 1
                row[1] = min(row[1], item.event.date)
                row[2] = max(row[2], item.event.date)
    return AccountList(tuple((*k, *v) for k, v in sorted(seen.items())))


PARTY_COLUMNS = (
    Column("id"),
    Column("name"),
    Column("ticker"),
    Column("shares_outstanding", "decimal"),
    Column("allow_overdraft"),
    Column("events", "int"),
)


@attrs.frozen
class PartyList(Table):
    """The recorded parties, in recorded order, with how many events name each."""

    parties: tuple[Party, ...]
    events: dict[str, int] = attrs.field(factory=dict)

    @property
    def columns(self) -> tuple[Column, ...]:
        return PARTY_COLUMNS

    def to_records(self) -> list[dict[str, Any]]:
        return [
            {
                "id": p.id,
                "name": p.name,
                "ticker": p.ticker,
                "shares_outstanding": p.shares_outstanding,
                "allow_overdraft": p.allow_overdraft,
                "events": self.events.get(p.id, 0),
            }
            for p in self.parties
        ]


def party_list(parties: Sequence[Party], events: Iterable[Event]) -> PartyList:
    counts: Counter[str] = Counter()
    for e in events:
        counts.update(set(parties_of(e)))
    return PartyList(tuple(parties), dict(counts))


STATS_COLUMNS = (
    Column("type"),
    Column("events", "int"),
    Column("first_date", "date"),
    Column("last_date", "date"),
)


@attrs.frozen
class Stats(Table):
    """What a store holds: records, events, parties, the date span, and events per type."""

    store: str
    records: int
    parties: int
    events: int
    reversed: int
    first_date: dt.date | None
    last_date: dt.date | None
    types: tuple[tuple[str, int, dt.date, dt.date], ...]

    @property
    def columns(self) -> tuple[Column, ...]:
        return STATS_COLUMNS

    def to_records(self) -> list[dict[str, Any]]:
        names = [c.name for c in STATS_COLUMNS]
        return [dict(zip(names, row, strict=True)) for row in self.types]

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "records": self.records,
            "parties": self.parties,
            "events": self.events,
            "reversed": self.reversed,
            "first_date": self.first_date,
            "last_date": self.last_date,
            "types": {
                t: {"events": n, "first_date": a, "last_date": b} for t, n, a, b in self.types
            },
        }


def stats(store: str, records: int, parties: int, items: Sequence[Listed]) -> Stats:
    by_type: dict[str, list[Any]] = {}
    for item in items:
        e = item.event
        row = by_type.get(e.TYPE)
        if row is None:
            by_type[e.TYPE] = [1, e.date, e.date]
        else:
            row[0] += 1
            row[1] = min(row[1], e.date)
            row[2] = max(row[2], e.date)
    dates = [i.event.date for i in items]
    return Stats(
        store=store,
        records=records,
        parties=parties,
        events=len(items),
        reversed=sum(1 for i in items if i.status.startswith("reversed by")),
        first_date=min(dates, default=None),
        last_date=max(dates, default=None),
        types=tuple((t, *v) for t, v in sorted(by_type.items())),
    )
