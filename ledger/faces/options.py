"""Shared CLI options and exits, for built-in and plugin commands alike."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

import click

from ledger.engine import Result
from ledger.model.amounts import AmountError, parse_decimal

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, EXIT_STORE_CHANGED = 0, 1, 2, 3
"""0 ok; 1 a check failed; 2 bad input or usage (nothing written); 3 the store changed while
this command was writing (another writer got there first, again and again): nothing was
written, and running the same command again is safe and will finish."""


class IsoDate(click.ParamType):  # type: ignore[type-arg]
    """An ISO date (YYYY-MM-DD)."""

    name = "DATE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"expected an ISO date (YYYY-MM-DD); got {value!r}", param, ctx)


class AmountType(click.ParamType):  # type: ignore[type-arg]
    """An exact amount: ``1000000000``, ``"2.5B"`` (never a float)."""

    name = "AMOUNT"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Decimal:
        try:
            amount = parse_decimal(value)
        except AmountError as exc:
            self.fail(str(exc), param, ctx)
        if amount < 0:
            self.fail(f"expected an amount ≥ 0; got {amount}", param, ctx)
        return amount


def as_of_option(f: F) -> F:
    return click.option(
        "--as-of",
        "as_of",
        type=IsoDate(),
        default=None,
        help="Only events dated on or before this date (YYYY-MM-DD).",
    )(f)


def json_option(f: F) -> F:
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Machine-readable JSON (amounts as exact decimal strings).",
    )(f)


def fail(message: str, code: int = EXIT_CHECK_FAILED) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def exit_on_failures(result: Result, *needed: str) -> None:
    """Exit 1 if the stored history no longer folds, or a needed projection was quarantined."""
    if result.problems:
        for p in result.problems:
            click.echo(f"error: stored history: {p.render()}", err=True)
        fail("the stored history does not fold cleanly; run 'loopledger verify'")
    for failure in result.failures:
        click.echo(
            f"error: projection '{failure.projection}' of plugin '{failure.plugin}' failed on event "
            f"'{failure.event_id}' (#{failure.position}) and was quarantined: {failure.error}",
            err=True,
        )
    if any(f.projection in needed for f in result.failures):
        sys.exit(EXIT_CHECK_FAILED)
