"""What faces, notebooks and other plugins use of the balances plugin: the ``balances`` query's
answer, a typed table of exact balances (or of flows within a period)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from ledger.api.parties import resolve_party
from ledger.api.tables import Column, Table
from ledger.model.values import amount_text

COLUMNS = (
    Column("party"),
    Column("account"),
    Column("commodity"),
    Column("amount", "decimal"),
)


@attrs.frozen
class Balance:
    """One non-zero balance: ``amount`` of ``commodity`` on ``party``'s ``account``."""

    party: str
    account: str
    commodity: str
    amount: Decimal

    def __getitem__(self, field: str) -> Any:
        """``row["account"]``: plugins written against the query's earlier rows (mappings,
        docs/plugins.md's web-page example) read a balance the same way."""
        if field not in ("party", "account", "commodity", "amount"):
            raise KeyError(field)
        return getattr(self, field)


@attrs.frozen
class BalanceReport(Table):
    """Balances per party, account and commodity as of a date — or, with ``begin``, the flows
    (sums of postings) of the events dated from ``begin`` to the fold's date."""

    as_of: dt.date | None
    rows: tuple[Balance, ...]
    begin: dt.date | None = None
    depth: int | None = None

    @property
    def columns(self) -> tuple[Column, ...]:
        return COLUMNS

    def __iter__(self) -> Iterator[Balance]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def to_records(self) -> list[dict[str, Any]]:
        return [attrs.asdict(r) for r in self.rows]

    def to_json(self) -> dict[str, Any]:
        """What ``loopledger balances --json`` prints (amounts as exact decimal text)."""
        data: dict[str, Any] = {"as_of": self.as_of}
        if self.begin is not None:
            data["begin"] = self.begin
        if self.depth is not None:
            data["depth"] = self.depth
        data["balances"] = [
            {
                "party": r.party,
                "account": r.account,
                "commodity": r.commodity,
                "amount": amount_text(r.amount, r.commodity),
            }
            for r in self.rows
        ]
        return data


def cut(account: str, depth: int | None) -> str:
    """``assets:commitments:openai`` at depth 2 → ``assets:commitments``."""
    return account if depth is None else ":".join(account.split(":")[:depth])


def report(
    totals: Mapping[tuple[str, str, str], Decimal],
    as_of: dt.date | None,
    *,
    party: str | None = None,
    depth: int | None = None,
    begin: dt.date | None = None,
) -> BalanceReport:
    """Non-zero totals sorted by party, account, commodity; accounts cut to ``depth``
    components carry the subtotal of everything beneath them."""
    summed: dict[tuple[str, str, str], Decimal] = {}
    for (p, account, commodity), amount in totals.items():
        if party is not None and p != party:
            continue
        key = (p, cut(account, depth), commodity)
        summed[key] = summed.get(key, Decimal(0)) + amount
    rows = tuple(Balance(*k, v) for k, v in sorted(summed.items()) if v != 0)
    return BalanceReport(as_of, rows, begin, depth)


def balances_answer(
    ledger: Any,
    result: Any,
    *,
    party: str | None = None,
    depth: int | None = None,
    begin: dt.date | None = None,
) -> BalanceReport:
    """The ``balances`` query: non-zero balances as of the fold's date (one party's, named by
    id, name or ticker); with ``begin``, the flows of the events dated from then on."""
    from plugins.balances.projection import NAME

    pid = resolve_party(result.parties, party) if party is not None else None
    if begin is None:
        return report(result.state(NAME), result.as_of, party=pid, depth=depth)
    # The flows within [begin, end] are the balances at the end less those the day before
    # begin: two folds of the eager balances projection, never every entry in memory.
    before = ledger.run(begin - dt.timedelta(days=1), names=[NAME], require=[NAME]).state(NAME)
    flows: dict[tuple[str, str, str], Decimal] = dict(result.state(NAME))
    for key, amount in before.items():
        flows[key] = flows.get(key, Decimal(0)) - amount
    return report(flows, result.as_of, party=pid, depth=depth, begin=begin)
