"""What a scenario generator is given: its parameters, typed and located, and the history so far.

Why its own module: the built-in generators and a plugin's (``ledger_register_scenario_generators``)
get exactly these two values, so a generator is a pure function of them — testable without a
store — and every bad parameter becomes one message naming the scenario file, the line and the
key, like a bad field of a deal-history file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, NoReturn

import attrs

from ledger.histories.yaml_text import line_of
from ledger.model.amounts import AmountError, parse_decimal
from ledger.model.events import (
    Amendment,
    Commitment,
    Delivery,
    Event,
    Investment,
    Price,
    Purchase,
    RevenueReport,
    Reversal,
)
from ledger.model.problems import InputError, Problem
from ledger.model.values import PARTY_ID, Money, Party
from plugins.scenarios.files import parse_date

ZERO: Final = Decimal(0)
DAYS_PER_YEAR: Final = Decimal(365)
_REQUIRED: Final = object()


@attrs.frozen
class Generated:
    """What a generator may return instead of a plain list of event mappings: the events, and
    the ids of events (of the base or earlier changes) they take the place of."""

    events: tuple[Mapping[str, Any], ...]
    drop: tuple[str, ...] = ()


class Params:
    """A generator's parameters (the change's keys beside ``generate``), read with their types.

    Each reader raises :class:`InputError` naming the scenario file, the line and the key, and
    saying what was expected, so a generator never reports a bad parameter itself.
    """

    def __init__(self, raw: Mapping[str, Any], *, file: str, index: int, generator: str) -> None:
        self.raw = raw
        self.file = file
        self.index = index
        self.generator = generator

    def __contains__(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def field(self, name: str | None) -> str:
        where = f"changes[{self.index}]"
        return f"{where}.{name}" if name else f"{where}.generate"

    def line(self, name: str | None = None) -> int | None:
        return line_of(self.raw, name) if name else line_of(self.raw)

    def fail(self, name: str | None, message: str) -> NoReturn:
        """Stop with one located problem about parameter ``name`` (None: the whole change)."""
        raise InputError(
            Problem(
                file=self.file,
                line=self.line(name) or self.line(),
                field=self.field(name),
                message=f"generator '{self.generator}': {message}",
            )
        )

    def _get(self, name: str, default: Any, what: str) -> Any:
        value = self.raw.get(name)
        if value is None:
            if default is _REQUIRED:
                self.fail(None, f"missing '{name}': {what}")
            return default
        return value

    def text(self, name: str, default: Any = _REQUIRED) -> Any:
        value = self._get(name, default, "expected text")
        if value is default:
            return value
        if not isinstance(value, str) or not value.strip():
            self.fail(name, f"expected text; got {value!r}")
        return value.strip()

    def party(self, name: str, default: Any = _REQUIRED) -> Any:
        value = self._get(name, default, "expected a party id")
        if value is default:
            return value
        if not isinstance(value, str) or not PARTY_ID.match(value):
            self.fail(
                name,
                f"expected a party id (lowercase letters, digits, '-', '_', '.'); got {value!r}",
            )
        return value

    def date(self, name: str, default: Any = _REQUIRED) -> Any:
        value = self._get(name, default, "expected an ISO date (YYYY-MM-DD)")
        if value is default:
            return value
        day = parse_date(value)
        if day is None:
            self.fail(name, f"expected an ISO date (YYYY-MM-DD); got {value!r}")
        return day

    def decimal(
        self,
        name: str,
        default: Any = _REQUIRED,
        *,
        low: Decimal | None = None,
        high: Decimal | None = None,
        positive: bool = False,
    ) -> Any:
        """An exact number (``"1.5"``, ``"25B"``); a float written without quotes is refused."""
        value = self._get(name, default, "expected a number")
        if value is default:
            return value
        try:
            number = parse_decimal(value)
        except AmountError as exc:
            self.fail(name, str(exc))
        if positive and number <= 0:
            self.fail(name, f"expected a positive number; got {value!r}")
        if (low is not None and number < low) or (high is not None and number > high):
            span = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.fail(name, f"expected a number {span}; got {value!r}")
        return number

    def choice(self, name: str, options: Sequence[str], default: Any = _REQUIRED) -> Any:
        value = self._get(name, default, f"expected one of {', '.join(options)}")
        if value is default:
            return value
        if value not in options:
            self.fail(name, f"expected one of {', '.join(options)}; got {value!r}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(name, f"expected true or false; got {value!r}")
        return value


@attrs.frozen
class CommitmentTerms:
    """A commitment as amended: its event, current total, and last status (with the amendment)."""

    event: Commitment
    total: Decimal | None
    """The amount after amendments; ``None`` while it is undisclosed."""
    status: str | None
    status_event: str | None

    @property
    def closed(self) -> bool:
        return self.status in ("cancelled", "lapsed")


@attrs.frozen
class GeneratorContext:
    """The history a generator writes onto: the base and every earlier change, in recorded order.

    ``events`` holds reversals and the events they cancel too; :meth:`effective` leaves both
    out, as the book does. Helpers answer what the built-in generators need; a plugin's
    generator may read ``events`` directly.
    """

    scenario: str
    """The scenario's name (generated events are marked ``source: scenario:<name>``)."""
    currency: str
    events: tuple[Event, ...]
    parties: Mapping[str, Party]

    def effective(self) -> Iterator[Event]:
        """The events the book folds: reversals and the events they reverse left out."""
        cancelled = {e.of for e in self.events if isinstance(e, Reversal)}
        for e in self.events:
            if not isinstance(e, Reversal) and e.id not in cancelled:
                yield e

    def event(self, event_id: str) -> Event | None:
        """The event recorded (so far) with this id, reversed or not."""
        for e in self.events:
            if e.id == event_id:
                return e
        return None

    @property
    def last_date(self) -> dt.date | None:
        return max((e.date for e in self.events), default=None)

    def last_price(self, party: str, on: dt.date | None = None) -> Price | None:
        """The last per-share price of ``party`` dated on or before ``on`` (latest recorded of
        a day wins, as valuation reads it)."""
        found: Price | None = None
        for e in self.effective():
            if isinstance(e, Price) and e.party == party and e.per_share is not None:
                if on is not None and e.date > on:
                    continue
                if found is None or e.date >= found.date:
                    found = e
        return found

    def commitment(self, commitment_id: str) -> CommitmentTerms | None:
        """A recorded commitment with its total and status after amendments (None if absent)."""
        found = self.event(commitment_id)
        if not isinstance(found, Commitment):
            return None
        amount = found.amount
        total = amount.amount if isinstance(amount, Money) else None
        status, by = None, None
        for e in self.effective():
            if isinstance(e, Amendment) and e.of == commitment_id:
                if isinstance(e.amount, Money) and e.tranche is None:
                    total = e.amount.amount
                if e.status is not None:
                    status, by = e.status, e.id
        return CommitmentTerms(found, total, status, by)

    def deliveries(self, commitment: Commitment) -> list[Delivery]:
        """GW deliveries that count for ``commitment``: those naming it if any does, else every
        GW delivery between its two parties in either direction (as valuation counts them)."""
        gw = [e for e in self.effective() if isinstance(e, Delivery) and e.capacity_gw]
        named = [e for e in gw if e.commitment == commitment.id]
        if named:
            return named
        pair = {commitment.payer, commitment.payee}
        return [e for e in gw if {e.supplier, e.customer} == pair]

    def delivered_gw(self, commitment: Commitment, on: dt.date | None = None) -> Decimal:
        return sum(
            (
                e.capacity_gw
                for e in self.deliveries(commitment)
                if e.capacity_gw is not None and (on is None or e.date <= on)
            ),
            ZERO,
        )

    def drawn(self, commitment: str, tranche: str | None = None) -> Decimal:
        """Amounts of investments and purchases that drew ``commitment`` (one tranche: ``tranche``)."""
        return sum(
            (
                e.amount.amount
                for e in self.effective()
                if isinstance(e, (Investment, Purchase))
                and e.commitment == commitment
                and (tranche is None or e.tranche == tranche)
            ),
            ZERO,
        )

    def latest_revenue(
        self, party: str, on: dt.date, measures: Iterable[str] = ("revenue", "run_rate")
    ) -> tuple[RevenueReport, Decimal] | None:
        """The latest whole-company revenue or run-rate report of ``party`` for a period ending
        on or before ``on`` (whenever it was published: a scenario starting on ``on`` knows the
        whole base), and its annual amount (a run rate as reported; revenue × 365 ÷ days in the
        period, both ends included — as commitment coverage annualises)."""
        wanted = set(measures)
        chosen: RevenueReport | None = None
        for e in self.effective():
            if not isinstance(e, RevenueReport) or e.party != party or e.segment is not None:
                continue
            if e.measure not in wanted or e.period_end > on:
                continue
            if chosen is None or e.period_end >= chosen.period_end:
                chosen = e
        if chosen is None:
            return None
        if chosen.measure == "run_rate":
            return chosen, chosen.amount.amount
        days = Decimal((chosen.period_end - chosen.period_start).days + 1)
        return chosen, chosen.amount.amount * DAYS_PER_YEAR / days
