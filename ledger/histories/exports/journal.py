"""The plain-text journal both hledger and ledger-cli read; each module picks its dialect.

A transaction per recorded event, in recorded order: the date, ``*``, a description
(``purchase: openai -> nvidia``), the event's id, type, confidence, source, note, override, position and
status as ``; key: value`` comment lines (hledger reads them as tags, ledger-cli as metadata),
then its postings with exact amounts. Events that post nothing (prices, revenue reports,
reversals and what they reverse) are transactions without postings; a per-share price is also a
``P`` directive, so both tools can value shares. Accounts and commodities are declared first,
each with the loopledger name it stands for, so ``hledger check --strict`` and ``ledger
--pedantic`` accept the file.
"""

from __future__ import annotations

from collections.abc import Iterator

from ledger.histories.exports.names import Names
from ledger.histories.exports.view import Journal, Transaction
from ledger.model.amounts import format_decimal
from ledger.model.events import Price, parties_of
from ledger.model.values import shares


def one_line(text: str) -> str:
    """Free text on one comment line (journals have no multi-line values)."""
    return " ".join(text.split())


def describe(t: Transaction) -> str:
    """``purchase: openai -> nvidia`` — what a journal shows as the description (payee)."""
    parties = " -> ".join(parties_of(t.event))
    return one_line(f"{t.event.TYPE}: {parties}" if parties else t.event.TYPE).replace("|", "/")


def metadata(t: Transaction) -> list[tuple[str, str]]:
    """The event's identity and provenance as (key, value) pairs, in a fixed order."""
    e = t.event
    pairs = [("id", e.id), ("type", e.TYPE), ("confidence", e.confidence)]
    if e.source:
        pairs.append(("source", one_line(e.source)))
    if e.note:
        pairs.append(("note", one_line(e.note)))
    override = getattr(e, "override", None)  # a deal term broken on purpose, and why
    if override:
        pairs.append(("override", one_line(override)))
    pairs.append(("position", str(t.position)))
    if t.status != "recorded":
        pairs.append(("status", t.status))
    return pairs


def names_for(journal: Journal, style: str) -> Names:
    """The names of every account and commodity the export declares (from its first pass)."""
    return Names(style, sorted(journal.accounts), journal.commodities, journal.parties)


def lines(journal: Journal, *, dialect: str, title: str | None = None) -> Iterator[str]:
    """The journal's text, line by line (``dialect``: ``hledger`` or ``ledger``)."""
    names = names_for(journal, "journal")
    yield f"; {title or 'loopledger export'}"
    if journal.as_of is not None:
        yield f"; events dated on or before {journal.as_of.isoformat()}"
    yield "; one transaction per recorded event; amounts exact"
    yield ""
    if dialect == "hledger":
        yield "decimal-mark ."
        yield ""
    for commodity, _name in sorted(names.commodities.items(), key=lambda kv: kv[1]):
        symbol = names.symbol(commodity)
        if dialect == "hledger":
            yield f"commodity {symbol}  ; loopledger: {commodity}"
        else:
            yield f"commodity {symbol}"
            yield f"    note loopledger: {commodity}"
    yield ""
    for (party, account), name in sorted(names.accounts.items(), key=lambda kv: kv[1]):
        if dialect == "hledger":
            yield f"account {name}  ; party: {party}, loopledger: {account}"
        else:
            yield f"account {name}"
            yield f"    note party: {party}, loopledger: {account}"
    if dialect == "ledger":
        yield ""
        for key in ("id", "type", "confidence", "source", "note", "override", "position", "status"):
            yield f"tag {key}"
    for t in journal.transactions():
        yield ""
        e = t.event
        if isinstance(e, Price) and e.per_share is not None and t.status == "recorded":
            yield (
                f"P {e.date.isoformat()} {names.symbol(shares(e.party))} "
                f"{format_decimal(e.per_share.amount)} {names.symbol(e.per_share.currency)}"
            )
        yield f"{e.date.isoformat()} * {describe(t)}"
        for key, value in metadata(t):
            yield f"    ; {key}: {value}"
        for p in t.postings:
            if p.quantity == 0:
                continue  # moves nothing; every balance is the same without it
            yield (
                f"    {names.account(p.party, p.account)}  "
                f"{format_decimal(p.quantity)} {names.symbol(p.commodity)}"
            )
