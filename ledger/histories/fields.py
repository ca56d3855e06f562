"""Turning one raw field into its typed value, driven by the field's declared kind (money, date,
party, choice, nested tranches …); a field that does not convert says what was expected."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ledger.model.amounts import AmountError, parse_common, parse_decimal
from ledger.model.events import COMMON_FIELDS, Condition, type_fields
from ledger.model.limits import (
    ID_PATTERN,
    MAX_DECIMAL_PLACES,
    MAX_YEAR,
    MIN_YEAR,
    MONEY_PLACES,
    PARTY_PATTERN,
    check_id,
    check_text,
    check_year,
    shorten,
)
from ledger.model.values import CURRENCY, UNDISCLOSED, Money, Undisclosed


class FieldError(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def convert_fields(
    cls: type,
    raw: dict[str, Any],
    currency: str,
    report: Callable[[str, str], None],
    skip: tuple[str, ...] = (),
) -> dict[str, Any]:
    fields = type_fields(cls)
    names = {a.name for a in fields}
    for key in raw:
        if key not in names and key not in skip:
            expected = ", ".join(
                a.name for a in fields if a.name not in COMMON_FIELDS or cls in (Condition,)
            )
            report(
                str(key),
                f"unknown field for {getattr(cls, 'TYPE', cls.__name__)}; expected {expected}",
            )
    values: dict[str, Any] = {}
    for a in fields:
        value = raw.get(a.name)
        if value is None:
            if a.metadata["required"]:
                report(a.name, f"missing; {_expectation(a.metadata, a.name)}")
            continue
        try:
            values[a.name] = _convert(a.metadata, value, currency, a.name)
        except FieldError as exc:
            report(a.name, exc.message)
    return values


def _expectation(meta: dict[str, Any], name: str) -> str:
    kind = meta["kind"]
    return {
        "party": "expected a party id",
        "money": 'expected an amount such as "10B" or "4300000000.00"'
        + (" (or 'undisclosed')" if meta.get("undisclosed") else ""),
        "decimal": "expected a number",
        "date": "expected an ISO date (YYYY-MM-DD)",
        "text": "expected text",
        "choice": f"expected one of {', '.join(meta.get('options', ()))}",
        "ref": "expected the id of an earlier event",
        "tranche_ref": "expected a tranche id",
        "list": "expected a list",
        "bool": "expected true or false",
        "condition": "expected a condition",
        "ids": "expected a list of ids such as [N10, W02]",
    }.get(kind, f"expected {name}")


def _convert(meta: dict[str, Any], value: Any, currency: str, name: str) -> Any:
    kind = meta["kind"]
    if kind in ("party", "ref", "tranche_ref", "text"):
        if kind == "text" and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise FieldError(f"{_expectation(meta, name)}; got {_shown(value)}")
        if kind == "party":
            wrong = check_id(value, pattern=PARTY_PATTERN, what="a party id")
        elif kind == "text" and name != "id":
            wrong = check_text(value, what=f"'{name}'")
        else:  # an id: the event's, a tranche's, or a reference to one
            wrong = check_id(value, pattern=ID_PATTERN, what=_ID_WHAT.get(kind, "an id"))
        if wrong:
            raise FieldError(wrong)
        return value
    if kind == "money":
        if meta.get("undisclosed"):
            undisclosed = _undisclosed(value, currency)
            if undisclosed is not None:
                return undisclosed
        return _money(value, currency, zero=meta.get("zero", False))
    if kind == "ids":
        return _ids(value, meta, name)
    if kind == "decimal":
        number = _decimal(value, meta.get("places", MAX_DECIMAL_PLACES))
        if meta.get("positive", True) and number <= 0:
            raise FieldError(f"expected a positive number; got {value!r}")
        return number
    if kind == "date":
        return _date(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise FieldError(f"expected true or false; got {value!r}")
        return value
    if kind == "choice":
        options = meta["options"]
        if value not in options:
            raise FieldError(f"expected one of {', '.join(options)}; got {value!r}")
        return value
    if kind == "condition":
        return _condition(value)
    if kind == "list":
        return _list(meta["item"], value, currency, name)
    raise FieldError(f"unsupported field kind {kind}")


_ID_WHAT = {"ref": "the id of an earlier event", "tranche_ref": "a tranche id"}


def _shown(value: Any) -> str:
    """``repr(value)`` cut short: a message about a 10,000-character value stays one line."""
    return shorten(repr(value), 80)


def _decimal(value: Any, places: int = MAX_DECIMAL_PLACES) -> Decimal:
    try:
        return parse_decimal(value, places=places)
    except AmountError as exc:
        raise FieldError(str(exc)) from None


def _fast_money(value: Any, currency: str, *, zero: bool = False) -> Money:
    """:func:`_money` for the common forms in the file's currency (already checked); the careful
    path for everything else."""
    amount = parse_common(value, MONEY_PLACES)
    if amount is None or amount < 0 or (not zero and not amount):
        return _money(value, currency, zero=zero)
    money = object.__new__(Money)
    object.__setattr__(money, "amount", amount)
    object.__setattr__(money, "currency", currency)
    return money


def _fast_decimal(value: Any, positive: bool, places: int = MAX_DECIMAL_PLACES) -> Decimal:
    number = parse_common(value, places)
    if number is None or (positive and number <= 0):
        return _positive_decimal(value, places) if positive else _decimal(value, places)
    return number


def _fast_date(value: Any) -> dt.date:
    if type(value) is str and len(value) == 10 and value.isascii() and value[4] == value[7] == "-":
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if MIN_YEAR <= day.year <= MAX_YEAR:
                return day
    return _date(value)


def _positive_decimal(value: Any, places: int = MAX_DECIMAL_PLACES) -> Decimal:
    number = _decimal(value, places)
    if number <= 0:
        raise FieldError(f"expected a positive number; got {value!r}")
    return number


def _money(value: Any, currency: str, *, zero: bool = False) -> Money:
    code = currency
    if isinstance(value, str):
        parts = value.strip().split()
        if len(parts) == 2 and CURRENCY.match(parts[1]):
            value, code = parts[0], parts[1]
    amount = _decimal(value, MONEY_PLACES)
    if zero and amount < 0:
        raise FieldError(f"expected an amount ≥ 0 (0 is allowed here); got {value!r}")
    if not zero and amount <= 0:
        raise FieldError(
            f"expected a positive amount; got {value!r} (record money flowing the other way as its own event)"
        )
    return Money(amount, code)


def _undisclosed(value: Any, currency: str) -> Undisclosed | None:
    """``undisclosed`` or ``"undisclosed EUR"`` → an :class:`Undisclosed`; anything else → None."""
    if not isinstance(value, str):
        return None
    parts = value.strip().split()
    if not parts or parts[0] != UNDISCLOSED:
        return None
    if len(parts) == 1:
        return Undisclosed(currency)
    if len(parts) == 2 and CURRENCY.match(parts[1]):
        return Undisclosed(parts[1])
    raise FieldError(f"expected 'undisclosed' or 'undisclosed' and a currency code; got {value!r}")


def _ids(value: Any, meta: dict[str, Any], name: str) -> tuple[str, ...]:
    """A non-empty list of distinct ids (fact-table rows); absent, not empty, when there are none."""
    if not isinstance(value, list):
        raise FieldError(f"{_expectation(meta, name)}; got {value!r}")
    if not value:
        raise FieldError("expected at least one id; leave the field out when there is none")
    found: list[str] = []
    for i, item in enumerate(value, start=1):
        text = str(item) if isinstance(item, int) and not isinstance(item, bool) else item
        if not isinstance(text, str):
            raise FieldError(
                f"item #{i}: expected an id of letters, digits, '-', '_', '.' or ':'; "
                f"got {_shown(item)}"
            )
        wrong = check_id(text)
        if wrong:
            raise FieldError(f"item #{i}: {wrong}")
        if text in found:
            raise FieldError(f"item #{i}: {text!r} is listed twice")
        found.append(text)
    return tuple(found)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise FieldError(
                f"expected an ISO date (YYYY-MM-DD); got {_shown(value)}: {exc}"
            ) from None
    else:
        raise FieldError(f"expected an ISO date (YYYY-MM-DD); got {_shown(value)}")
    wrong = check_year(day.year)
    if wrong:
        raise FieldError(wrong)
    return day


def _condition(value: Any) -> Condition:
    # Accept both {metric: delivered_gw, at_least: 1} and the short {delivered_gw: {at_least: 1}}.
    if isinstance(value, dict) and len(value) == 1:
        ((metric, body),) = value.items()
        if isinstance(body, dict) and set(body) == {"at_least"}:
            value = {"metric": metric, "at_least": body["at_least"]}
    if not isinstance(value, dict):
        raise FieldError(
            f"expected a condition such as {{delivered_gw: {{at_least: 1}}}}; got {value!r}"
        )
    errors: list[str] = []
    values = convert_fields(Condition, value, "USD", lambda f, m: errors.append(f"{f}: {m}"))
    if errors:
        raise FieldError("condition " + "; ".join(errors))
    return Condition(**values)


def _collector(errors: list[str]) -> Callable[[str, str], None]:
    """A ``report`` callback that appends "field: message" to ``errors``."""

    def report(field: str, message: str) -> None:
        errors.append(f"{field}: {message}")

    return report


def _list(item: type, value: Any, currency: str, name: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise FieldError(f"expected a list of {item.__name__.lower()}s; got {type(value).__name__}")
    out: list[Any] = []
    for i, raw in enumerate(value, start=1):
        if item is Condition:
            try:
                out.append(_condition(raw))
            except FieldError as exc:
                raise FieldError(f"item #{i}: {exc.message}") from None
            continue
        if not isinstance(raw, dict):
            raise FieldError(f"item #{i}: expected a mapping; got {raw!r}")
        errors: list[str] = []
        values = convert_fields(item, raw, currency, _collector(errors))
        if errors:
            label = raw.get("id", f"#{i}")
            raise FieldError(f"item {label}: " + "; ".join(errors))
        out.append(item(**values))
    return tuple(out)
