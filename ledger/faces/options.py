"""Shared CLI options and exits, for built-in and plugin commands alike."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

import click

from ledger.engine import Result
from ledger.model.amounts import AmountError, parse_decimal
from ledger.model.periods import Period, PeriodError, combine, parse_period, period_start

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
            return self.parse(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

    def parse(self, text: str) -> dt.date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"expected an ISO date (YYYY-MM-DD); got {text!r}") from None


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


OUTPUTS = ("text", "json", "csv", "tsv", "html")


def output_option(f: F) -> F:
    """``-O/--output text|json|csv|tsv|html`` with ``--json`` as an alias of ``-O json``.

    The command receives ``output`` (never None). ``text`` is a table on a terminal and plain
    aligned lines when piped; ``csv``/``tsv`` are the answer's exact rows, ``html`` the same
    rows as one self-contained page in the web face's style.
    """

    @functools.wraps(f)
    def wrapper(*args: Any, output: str | None, as_json: bool, **kwargs: Any) -> Any:
        if as_json and output not in (None, "json"):
            raise click.UsageError(f"--json means -O json; it cannot go with -O {output}")
        return f(*args, output="json" if as_json else (output or "text"), **kwargs)

    decorated = click.option(
        "--json", "as_json", is_flag=True, help="The same as -O json (kept for scripts)."
    )(wrapper)
    decorated = click.option(
        "-O",
        "--output",
        "output",
        type=click.Choice(OUTPUTS),
        default=None,
        help="text (a table; plain aligned lines when piped), json (exact decimal strings), "
        "csv or tsv (the exact rows), html (the same rows as one self-contained page).",
    )(decorated)
    return decorated  # type: ignore[return-value]


class PeriodStart(IsoDate):
    """A date, or the first day of a month, quarter or year (``2025-10``, ``2025Q4``, ``2025``)."""

    def parse(self, text: str) -> dt.date:
        try:
            return period_start(text)
        except PeriodError as exc:
            raise ValueError(str(exc)) from None


class PeriodType(click.ParamType):  # type: ignore[type-arg]
    """``2025``, ``2025Q4``, ``2025-10``, ``2025-10-06`` or ``FROM..TO``."""

    name = "PERIOD"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Period:
        if isinstance(value, Period):
            return value
        try:
            return parse_period(str(value))
        except PeriodError as exc:
            self.fail(str(exc), param, ctx)


def period_options(f: F) -> F:
    """``-b/--begin``, ``-e/--end`` (exclusive) and ``-p/--period``, as hledger has them.

    The command receives ``period`` (a :class:`~ledger.model.periods.Period`, maybe unbounded).
    """

    @functools.wraps(f)
    def wrapper(
        *args: Any,
        begin: dt.date | None,
        end: dt.date | None,
        period_text: Period | None,
        **kwargs: Any,
    ) -> Any:
        try:
            span = combine(begin, end, period_text)
        except PeriodError as exc:
            raise click.BadParameter(str(exc), param_hint="-b/-e/-p") from None
        return f(*args, period=span, **kwargs)

    decorated = click.option(
        "-p",
        "--period",
        "period_text",
        type=PeriodType(),
        default=None,
        help="Only events dated in this period: 2025, 2025Q4, 2025-10, 2025-10-06 or FROM..TO.",
    )(wrapper)
    decorated = click.option(
        "-e",
        "--end",
        "end",
        type=PeriodStart(),
        default=None,
        help="Only events dated before this date (exclusive, as in hledger; 2026 = before 2026-01-01).",
    )(decorated)
    decorated = click.option(
        "-b",
        "--begin",
        "begin",
        type=PeriodStart(),
        default=None,
        help="Only events dated on or after this date (or month, quarter, year).",
    )(decorated)
    return decorated  # type: ignore[return-value]


def party_option(help_text: str) -> Callable[[F], F]:
    """``--party NAME``: an id, name or ticker, any case; unknown is exit 2 listing the known."""
    return click.option(
        "--party",
        "party",
        default=None,
        metavar="PARTY",
        help=f"{help_text} (id, name or ticker, any case).",
    )


def event_filters(f: F) -> F:
    """``--as-of``, ``-b/-e/-p``, ``--type`` (repeatable), ``--party`` and ``-O``: how every
    command that lists events (``events``, ``print``) chooses them, declared once."""
    from ledger.model.events import EVENT_TYPES

    decorated: Any = f
    for decorate in reversed(
        (
            as_of_option,
            period_options,
            click.option(
                "--type",
                "types",
                multiple=True,
                type=click.Choice(sorted(EVENT_TYPES)),
                help="Only events of this type (repeatable).",
            ),
            party_option("Only events naming this party"),
            output_option,
        )
    ):
        decorated = decorate(decorated)
    return decorated  # type: ignore[no-any-return]


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
