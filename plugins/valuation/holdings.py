"""The values valuation works with: holdings, the market known on a date, settings, valuations.

Why plain values: a valuer — the built-in one or a user's — is a pure function of a
:class:`Holding`, the date, the :class:`Market` and the :class:`Settings`; keeping these
immutable and free of the store means a user plugin can be tested without a ledger, and the
answer for a date never depends on what was recorded after it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

import attrs

from ledger.model.amounts import AmountError, parse_decimal
from ledger.model.problems import InputError, Problem
from ledger.model.values import Party

KINDS: Final = ("shares", "private_stake", "warrant_tranche", "commitment", "loan")
"""The instrument kinds ``ledger_value_instrument`` is asked about."""

DEFAULT_VOLATILITY: Final = Decimal("0.50")
DEFAULT_RATE: Final = Decimal("0.04")
DEFAULT_PROBABILITY: Final = Decimal("0")
ZERO: Final = Decimal(0)


# --- the market ----------------------------------------------------------------------------------


@attrs.frozen
class Mark:
    """A recorded price event: a per-share price or a whole-company valuation."""

    date: dt.date
    amount: Decimal
    currency: str
    event_id: str


def _date(mark: Mark) -> dt.date:
    return mark.date


def insert_mark(marks: list[Mark], mark: Mark) -> None:
    """Keep ``marks`` sorted by date; marks of the same date stay in recorded order.

    Why recorded order: two marks of one day (an intraday print, then the close) are told apart
    only by the order they were recorded in, and the later one is the later fact.
    """
    marks.insert(bisect.bisect_right(marks, mark.date, key=lambda m: m.date), mark)


def keep_mark(marks: list[Mark], mark: Mark) -> None:
    """:func:`insert_mark`, keeping of each day only the marks a question can ever pick.

    Every question asked of the marks (:class:`Market`) is "the last mark on or before a date"
    or "the first mark at least a level from a date on". Of one day's marks (in recorded order)
    the first can only ever be the one recorded last, and the second only one that is higher
    than every mark recorded before it that day. So a day keeps its rising marks and its last
    one — usually one or two — and the list is bounded by parties × days, not by prices
    recorded, while every answer stays what the full list gives.
    """
    hi = bisect.bisect_right(marks, mark.date, key=_date)
    lo = bisect.bisect_left(marks, mark.date, hi=hi, key=_date)
    if hi - lo >= 2 and marks[hi - 1].amount <= marks[hi - 2].amount:
        del marks[hi - 1]  # the day's last mark, kept only for being the last
        hi -= 1
    marks.insert(hi, mark)


def _last(marks: Sequence[Mark], on: dt.date) -> Mark | None:
    i = bisect.bisect_right(marks, on, key=lambda m: m.date)
    return marks[i - 1] if i else None


class _Upto(Mapping[str, tuple[Mark, ...]]):
    """Marks dated on or before ``day``, cut from ``source`` when a party is first asked for."""

    def __init__(self, source: Mapping[str, Sequence[Mark]], day: dt.date) -> None:
        self.source = source
        self.day = day
        self._cut: dict[str, tuple[Mark, ...]] = {}

    def __getitem__(self, party: str) -> tuple[Mark, ...]:
        if party not in self._cut:
            marks = self.source[party]
            self._cut[party] = tuple(marks[: bisect.bisect_right(marks, self.day, key=_date)])
        return self._cut[party]

    def __iter__(self) -> Iterator[str]:
        return iter(self.source)

    def __len__(self) -> int:
        return len(self.source)


def _all(marks: Mapping[str, Sequence[Mark]], party: str) -> Sequence[Mark]:
    """Every mark of ``party`` (also later ones: lookups stop at the market's date themselves)."""
    source = marks.source if isinstance(marks, _Upto) else marks
    return source.get(party, ())


@attrs.frozen
class Market:
    """Recorded prices and valuations dated on or before ``as_of``, and the declared parties.

    ``prices`` and ``valuations`` map a party to its marks in date order (same-day marks in
    recorded order); a market for an earlier day (:meth:`at`) shares them rather than copying.
    """

    as_of: dt.date
    prices: Mapping[str, Sequence[Mark]] = attrs.field(factory=dict)
    valuations: Mapping[str, Sequence[Mark]] = attrs.field(factory=dict)
    parties: Mapping[str, Party] = attrs.field(factory=dict)

    @classmethod
    def build(
        cls,
        as_of: dt.date,
        prices: Mapping[str, Sequence[Mark]],
        valuations: Mapping[str, Sequence[Mark]],
        parties: Mapping[str, Party],
    ) -> Market:
        """The market as known on ``as_of``: later marks are dropped."""
        return cls(as_of, _Upto(prices, as_of), _Upto(valuations, as_of), dict(parties))

    def at(self, day: dt.date) -> Market:
        """The market as known on an earlier ``day`` (e.g. a grant date)."""
        day = min(day, self.as_of)
        return Market(
            day,
            _Upto(_source(self.prices), day),
            _Upto(_source(self.valuations), day),
            self.parties,
        )

    def last_price(self, party: str, on: dt.date | None = None) -> Mark | None:
        """The last per-share price of ``party`` on or before ``on`` (default: ``as_of``)."""
        return _last(_all(self.prices, party), min(on or self.as_of, self.as_of))

    def last_valuation(self, party: str, on: dt.date | None = None) -> Mark | None:
        """The last whole-company valuation of ``party`` on or before ``on``."""
        return _last(_all(self.valuations, party), min(on or self.as_of, self.as_of))

    def first_at_least(self, party: str, level: Decimal, since: dt.date) -> Mark | None:
        """The first per-share price ≥ ``level`` dated from ``since`` to ``as_of``: a touched hurdle."""
        marks = _all(self.prices, party)
        start = bisect.bisect_left(marks, since, key=_date)
        for mark in itertools.islice(marks, start, None):
            if mark.date > self.as_of:
                return None
            if mark.amount >= level:
                return mark
        return None


def _source(marks: Mapping[str, Sequence[Mark]]) -> Mapping[str, Sequence[Mark]]:
    return marks.source if isinstance(marks, _Upto) else marks


# --- holdings ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class TrancheTerms:
    """What valuing one warrant tranche needs, as known on the valuation date.

    ``price_hurdle`` is the highest share-price condition of the tranche, ``gw_needed`` the
    highest delivered-GW condition; ``gw_delivered`` counts recorded deliveries under the grant's
    commitment (or issuer → holder when the grant names none). ``delivery_inputs`` lists the
    first of those deliveries (:data:`~ledger.plugin.evidence.INPUTS_LISTED`),
    ``delivery_inputs_total`` counts them all, and ``delivery_source`` names the group they
    come from (the same for every grant counting the same deliveries).
    """

    grant: str
    tranche: str
    issuer: str
    holder: str
    grant_date: dt.date
    expiry: dt.date
    strike: Decimal
    vested_by: str | None = None
    price_hurdle: Decimal | None = None
    gw_needed: Decimal | None = None
    gw_delivered: Decimal = ZERO
    delivery_inputs: tuple[str, ...] = ()
    delivery_inputs_total: int | None = None
    delivery_source: str = ""

    @property
    def vested(self) -> bool:
        return self.vested_by is not None

    @property
    def deliveries_met(self) -> bool:
        return self.gw_needed is None or self.gw_delivered >= self.gw_needed


@attrs.frozen(kw_only=True)
class Holding:
    """One line of what a party holds (or owes), before it is valued.

    ``quantity`` is shares for ``shares``, ``private_stake`` and ``warrant_tranche``, and the
    face amount outstanding for ``commitment`` and ``loan`` (whose ``side`` is ``receivable`` or
    ``payable``). ``uncounted_cost`` is the part of a stake's cost recorded without a share count.
    ``inputs`` lists the first events the holding rests on
    (:data:`~ledger.plugin.evidence.INPUTS_LISTED`); ``inputs_total`` counts them all (``None``:
    as many as listed).
    """

    party: str
    kind: str
    instrument: str
    counterparty: str
    quantity: Decimal
    currency: str = "USD"
    cost: Decimal | None = None
    uncounted_cost: Decimal = ZERO
    side: str | None = None
    binding: bool | None = None
    inputs: tuple[str, ...] = ()
    tranche: TrancheTerms | None = None
    inputs_total: int | None = None


def holding_counts(h: Holding, *, deliveries: bool = False) -> dict[str, int]:
    """``{group: events}`` of a holding's inputs (and of its tranche's deliveries if asked),
    for :attr:`Valuation.counts`: a group reached twice — two tranches of one grant — counts once."""
    key = f"grant:{h.tranche.grant}" if h.tranche is not None else f"{h.kind}:{h.instrument}"
    counts = {key: len(h.inputs) if h.inputs_total is None else h.inputs_total}
    t = h.tranche
    if deliveries and t is not None and t.delivery_inputs:
        total = (
            len(t.delivery_inputs) if t.delivery_inputs_total is None else t.delivery_inputs_total
        )
        counts[f"deliveries:{t.delivery_source}"] = total
    return counts


def event_counts(*event_ids: str) -> dict[str, int]:
    """``{group: 1}`` for single events (a price mark) among a valuation's inputs."""
    return {f"event:{i}": 1 for i in event_ids}


def _ids(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(ids)


@attrs.frozen
class Valuation:
    """A valuer's answer for one holding.

    :param value: the value on the date (signed: payables are negative); ``None`` if unknown.
    :param value_if_met: the value if every delivery condition were met (price hurdles still
        priced as barriers); equals ``value`` for unconditional holdings.
    :param basis: how the value was reached, in words ("market price 2025-10-27", "cost", …).
    :param assumptions: every number the value used besides the holding (spot, rate, …).
    :param inputs: ids of the events the value rests on (the holding's listed inputs, and
        the marks used).
    :param counts: ``{group: events}`` of the inputs, listed or not (:func:`holding_counts`,
        :func:`event_counts`); ``None`` counts each input once.
    """

    value: Decimal | None
    value_if_met: Decimal | None
    basis: str
    assumptions: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    inputs: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    counts: Mapping[str, int] | None = attrs.field(default=None, hash=False)

    @property
    def inputs_total(self) -> int:
        """How many events the value rests on, listed or not."""
        return len(self.inputs) if self.counts is None else sum(self.counts.values())


# --- settings ------------------------------------------------------------------------------------


def _number(
    where: str, value: Any, low: Decimal | None = None, high: Decimal | None = None
) -> Decimal:
    try:
        number = parse_decimal(value)
    except AmountError as exc:
        raise InputError(Problem(field=where, message=str(exc))) from None
    if (low is not None and number < low) or (high is not None and number > high):
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InputError(Problem(field=where, message=f"expected a number {span}; got {number}"))
    return number


def _table(
    where: str, raw: Any, default: Decimal, low: Decimal, high: Decimal | None
) -> dict[str, Decimal]:
    """A number for everyone (``"0.55"``) or a table ``{default = "0.5", amd = "0.55"}``."""
    if raw is None:
        return {"default": default}
    if isinstance(raw, Mapping):
        table = {"default": default}
        for key, value in raw.items():
            table[str(key)] = _number(f"{where}.{key}", value, low, high)
        return table
    return {"default": _number(where, raw, low, high)}


class Settings(Mapping[str, Any]):
    """The valuation assumptions: volatility per issuer, the risk-free rate, probabilities.

    Read from ``[plugins.valuation]``::

        volatility = {default = "0.50", amd = "0.55"}   # or one number for every issuer
        rate = "0.04"                                   # continuously compounded, per year
        probability = {default = "0", "a05-amd-openai-warrant" = "0.25"}

    A probability applies to warrant tranches still waiting on deliveries; keys are a grant id
    or ``"<grant id>:<tranche id>"``. Numbers are given as strings so they stay exact (a TOML
    float is refused). A read-only mapping, so it is what ``ledger_value_instrument`` receives.
    """

    KEYS: Final = ("volatility", "rate", "probability")

    def __init__(
        self,
        volatility: Mapping[str, Decimal] | None = None,
        rate: Decimal = DEFAULT_RATE,
        probability: Mapping[str, Decimal] | None = None,
    ) -> None:
        self._data: dict[str, Any] = {
            "volatility": {"default": DEFAULT_VOLATILITY, **(volatility or {})},
            "rate": rate,
            "probability": {"default": DEFAULT_PROBABILITY, **(probability or {})},
        }

    @classmethod
    def from_config(cls, raw: Mapping[str, Any]) -> Settings:
        """Parse ``[plugins.valuation]``; a bad value raises :class:`InputError` naming the key."""
        if isinstance(raw, Settings):
            return raw
        where = "plugins.valuation"
        raw = dict(raw)
        if "probabilities" in raw and "probability" not in raw:
            raw["probability"] = raw.pop("probabilities")
        unknown = sorted(set(raw) - set(cls.KEYS))
        if unknown:
            raise InputError(
                Problem(
                    field=f"{where}.{unknown[0]}",
                    message=f"unknown setting (known: {', '.join(cls.KEYS)})",
                )
            )
        one = Decimal(1)
        return cls(
            _table(f"{where}.volatility", raw.get("volatility"), DEFAULT_VOLATILITY, ZERO, None),
            DEFAULT_RATE if raw.get("rate") is None else _number(f"{where}.rate", raw["rate"]),
            _table(f"{where}.probability", raw.get("probability"), DEFAULT_PROBABILITY, ZERO, one),
        )

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    @property
    def rate(self) -> Decimal:
        return Decimal(self._data["rate"])

    def volatility_for(self, issuer: str) -> Decimal:
        table: Mapping[str, Decimal] = self._data["volatility"]
        return table.get(issuer, table["default"])

    def probability_for(self, grant: str, tranche: str) -> Decimal:
        """The probability that a tranche's delivery conditions will be met."""
        table: Mapping[str, Decimal] = self._data["probability"]
        return table.get(f"{grant}:{tranche}", table.get(grant, table["default"]))

    def describe(self) -> dict[str, Any]:
        """JSON-ready, for the ``assumptions`` of the output."""
        return {
            "volatility": dict(self._data["volatility"]),
            "rate": self.rate,
            "probabilities": dict(self._data["probability"]),
            "dividend_yield": ZERO,
        }


def settings_of(settings: Mapping[str, Any]) -> Settings:
    """``settings`` as :class:`Settings` (a user may pass the raw configuration mapping)."""
    return Settings.from_config(settings)
