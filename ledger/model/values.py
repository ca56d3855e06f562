"""Immutable values: money, parties, commodities. Pure, no I/O.

Money is an exact :class:`~decimal.Decimal` with its currency; a binary float is refused at
construction so it can never reach the ledger through the Python API either.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

import attrs

from ledger.model.amounts import format_decimal

WORLD: Final = "world"
"""The reserved party that stands for everyone outside the modelled set (it may supply unbounded cash)."""

# \Z, not $: "$" also matches before a trailing newline, and "USD\n" or "amd\n" is not a code.
PARTY_ID = re.compile(r"\A[a-z0-9][a-z0-9_.-]*\Z")
CURRENCY = re.compile(r"\A[A-Z]{3}\Z")


def _exact(instance: object, attribute: attrs.Attribute[Decimal], value: object) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"{attribute.name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{attribute.name} must be finite, not {value}")


_CURRENCIES_SEEN: set[str] = set()


def _currency(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value in _CURRENCIES_SEEN:
        return
    if not isinstance(value, str) or not CURRENCY.match(value):
        raise ValueError(f"currency must be a three-letter code such as USD, not {value!r}")
    _CURRENCIES_SEEN.add(value)


@attrs.frozen(order=False)
class Money:
    """An exact amount of one currency."""

    amount: Decimal = attrs.field(validator=_exact)
    currency: str = attrs.field(default="USD", validator=_currency)

    def __str__(self) -> str:
        return f"{format_decimal(self.amount)} {self.currency}"


UNDISCLOSED: Final = "undisclosed"
"""How a deal-history file writes an amount that was not disclosed (``amount: undisclosed``)."""


@attrs.frozen(order=False)
class Undisclosed:
    """An amount that exists but was not disclosed: its currency, and no number.

    Why a value and not ``None``: a commitment of undisclosed value is a fact ("6 GW, value not
    disclosed"), not a missing field; the file says so explicitly, the codec writes it back the
    same way, and the type makes every reader decide what an unknown amount means.
    """

    currency: str = attrs.field(default="USD", validator=_currency)

    def __str__(self) -> str:
        return f"{UNDISCLOSED} {self.currency}"


@attrs.frozen(kw_only=True)
class Party:
    """A modelled company (or fund, or venture) that holds accounts in the book."""

    id: str
    name: str
    ticker: str | None = None
    shares_outstanding: Decimal | None = None
    allow_overdraft: str | None = None
    """Why this party may pay cash the ledger never gave it (money from outside the model: a
    bond, a credit line, revenue from the world). Without it such a payment is refused."""


# --- commodities -------------------------------------------------------------------------------
# Commodities are plain strings so that they serialise, sort and print without ceremony.


def cash(currency: str) -> str:
    """Cash in a currency: the commodity is the currency code itself (``USD``)."""
    return currency


def committed(currency: str) -> str:
    """Committed money: obligations that are not cash (``committed:USD``)."""
    return f"committed:{currency}"


def shares(issuer: str) -> str:
    """Shares of an issuer (``shares:amd``)."""
    return f"shares:{issuer}"


def warrants(issuer: str) -> str:
    """Warrants over shares of an issuer, counted in underlying shares (``warrants:amd``)."""
    return f"warrants:{issuer}"


CAPACITY_GW: Final = "GW"
"""Delivered data-centre capacity in gigawatts."""


def units(unit: str) -> str:
    """Delivered quantities other than GW (``units:gpu``)."""
    return f"units:{unit}"


def is_cash(commodity: str) -> bool:
    """True for a plain currency code."""
    return bool(CURRENCY.match(commodity))


def amount_text(value: Decimal, commodity: str | None = None) -> str:
    """Exact text; money commodities show at least two decimals (only zeros are added), so
    every face (``--json``, the web API, notebooks) writes an amount the same way."""
    if (
        commodity is not None
        and (is_cash(commodity) or commodity.startswith("committed:"))
        and isinstance(exponent := value.as_tuple().exponent, int)
        and exponent > -2
    ):
        value = value.quantize(Decimal("0.01"))
    return format_decimal(value)
