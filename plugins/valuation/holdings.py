"""The values valuation works with: holdings, the market known on a date, settings, valuations.

Why plain values: a valuer — the built-in one or a user's — is a pure function of a
:class:`Holding`, the date, the :class:`Market` and the :class:`Settings`; keeping these
immutable and free of the store means a user plugin can be tested without a ledger, and the
answer for a date never depends on what was recorded after it.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
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


def insert_mark(marks: list[Mark], mark: Mark) -> None:
    """Keep ``marks`` sorted by date; marks of the same date stay in recorded order.

    Why recorded order: two marks of one day (an intraday print, then the close) are told apart
    only by the order they were recorded in, and the later one is the later fact.
    """
    marks.insert(bisect.bisect_right(marks, mark.date, key=lambda m: m.date), mark)


def _last(marks: tuple[Mark, ...], on: dt.date) -> Mark | None:
    i = bisect.bisect_right(marks, on, key=lambda m: m.date)
    return marks[i - 1] if i else None


@attrs.frozen
class Market:
    """Recorded prices and valuations dated on or before ``as_of``, and the declared parties."""

    as_of: dt.date
    prices: Mapping[str, tuple[Mark, ...]] = attrs.field(factory=dict)
    valuations: Mapping[str, tuple[Mark, ...]] = attrs.field(factory=dict)
    parties: Mapping[str, Party] = attrs.field(factory=dict)

    @classmethod
    def build(
        cls,
        as_of: dt.date,
        prices: Mapping[str, list[Mark]],
        valuations: Mapping[str, list[Mark]],
        parties: Mapping[str, Party],
    ) -> Market:
        """The market as known on ``as_of``: later marks are dropped."""

        def known(marks: Mapping[str, list[Mark]]) -> dict[str, tuple[Mark, ...]]:
            return {p: tuple(m for m in ms if m.date <= as_of) for p, ms in marks.items()}

        return cls(as_of, known(prices), known(valuations), dict(parties))

    def at(self, day: dt.date) -> Market:
        """The market as known on an earlier ``day`` (e.g. a grant date)."""
        return Market.build(
            day,
            {p: list(m) for p, m in self.prices.items()},
            {p: list(m) for p, m in self.valuations.items()},
            self.parties,
        )

    def last_price(self, party: str, on: dt.date | None = None) -> Mark | None:
        """The last per-share price of ``party`` on or before ``on`` (default: ``as_of``)."""
        return _last(self.prices.get(party, ()), on or self.as_of)

    def last_valuation(self, party: str, on: dt.date | None = None) -> Mark | None:
        """The last whole-company valuation of ``party`` on or before ``on``."""
        return _last(self.valuations.get(party, ()), on or self.as_of)

    def first_at_least(self, party: str, level: Decimal, since: dt.date) -> Mark | None:
        """The first per-share price ≥ ``level`` dated from ``since`` to ``as_of``: a touched hurdle."""
        for mark in self.prices.get(party, ()):
            if since <= mark.date <= self.as_of and mark.amount >= level:
                return mark
        return None


# --- holdings ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class TrancheTerms:
    """What valuing one warrant tranche needs, as known on the valuation date.

    ``price_hurdle`` is the highest share-price condition of the tranche, ``gw_needed`` the
    highest delivered-GW condition; ``gw_delivered`` counts recorded deliveries under the grant's
    commitment (or issuer → holder when the grant names none).
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
    :param inputs: ids of the events the value rests on.
    """

    value: Decimal | None
    value_if_met: Decimal | None
    basis: str
    assumptions: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    inputs: tuple[str, ...] = attrs.field(default=(), converter=_ids)


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
