"""Printing: JSON with exact decimal strings, readable tables, and plain text for pipes.

JSON never rounds: every amount is the exact decimal as text. Human tables show amounts in full
with thousands separators; where a report abbreviates (``$10.0B``) it says so and rounds half-even
at that point only.

When standard output is not a terminal, tables are plain aligned lines — no box drawing, no
colour, no width limit, so an id is never wrapped and ``loopledger events | grep ID`` finds its
line; ``-O csv``/``-O tsv`` print the exact rows of the answer instead, ``-O html`` the same
rows as one self-contained page (:func:`print_records`).
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import IO, TYPE_CHECKING, Any, cast

import orjson
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from ledger.api.listings import Listed
    from ledger.api.tables import Table as Records

PIPE_WIDTH = 100_000
"""Console width when not on a terminal: wide enough that no line is ever wrapped."""

from ledger.model.amounts import format_decimal
from ledger.model.safetext import json_visible, visible
from ledger.model.values import amount_text


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return format_decimal(obj)
    if isinstance(obj, (dt.date, dt.datetime)):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(data: Any) -> str:
    """Indented JSON; Decimals as exact strings; invisible characters (bidi, C1) as escapes."""
    return json_visible(
        orjson.dumps(
            data, default=_default, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
        ).decode()
    )


def print_json(data: Any) -> None:
    sys.stdout.write(dumps(data) + "\n")


def on_terminal() -> bool:
    """Whether standard output is a terminal (then tables are drawn; otherwise plain lines)."""
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


class _Stripped:
    """A text stream that drops the spaces rich pads the end of table lines with."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return int(self.stream.write("\n".join(line.rstrip() for line in text.split("\n"))))

    def flush(self) -> None:
        self.stream.flush()


def console() -> Console:
    """The console for data: a terminal's (at least 100 wide), or plain text without limits."""
    if on_terminal():
        return Console(highlight=False, soft_wrap=False, width=max(100, Console().width))
    return Console(
        file=cast(IO[str], _Stripped(sys.stdout)),
        highlight=False,
        soft_wrap=False,
        width=PIPE_WIDTH,
        color_system=None,
        emoji=False,
    )


def new_table(title: str | None) -> Table:
    """An empty rich table styled for where it goes: boxed on a terminal, plain when piped."""
    shown = None if title is None else cell(title)
    if on_terminal():
        return Table(title=shown, title_justify="left", show_lines=False)
    return Table(
        title=shown,
        title_justify="left",
        box=None,
        pad_edge=False,
        show_edge=False,
        header_style="",
        title_style="",
    )


def table(
    title: str | None,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    right: Iterable[str] = (),
) -> Table:
    """A rich table; columns named in ``right`` are right-aligned (numbers). Long cells fold
    on a terminal; piped, nothing folds (see :func:`console`).

    Every cell and the title are shown as text: rich markup in them is escaped and control or
    bidi characters are made visible (they come from other people's files).
    """
    right = set(right)
    t = new_table(title)
    fold = on_terminal()
    for c in columns:
        t.add_column(
            cell(c),
            justify="right" if c in right else "left",
            overflow="fold",  # piped, the console is wide enough that nothing folds
            no_wrap=not fold,
        )
    for row in rows:
        t.add_row(*[cell("" if v is None else str(v)) for v in row])
    return t


def cell(text: str) -> str:
    """Text for a rich table cell or a markup-enabled print: escaped markup, visible controls."""
    from rich.markup import escape

    return escape(visible(text, keep_newlines=True))


RECORD_OUTPUTS = ("csv", "tsv", "html")
"""The ``-O`` choices that print a typed answer's rows (:func:`print_records`)."""


def print_records(records: Records, fmt: str) -> None:
    """The rows of a typed answer as CSV (``fmt="csv"``) or TSV, exact values, header first;
    or as one self-contained HTML page (``fmt="html"``, titled by the command)."""
    if fmt == "html":
        import click

        from ledger.faces.web.table_page import table_page

        ctx = click.get_current_context(silent=True)
        sys.stdout.write(table_page(records, ctx.command_path if ctx else "loopledger") + "\n")
        return
    writer = csv.writer(sys.stdout, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow([c.name for c in records.columns])
    writer.writerows(records.text_rows())


def grouped(value: Decimal, commodity: str | None = None) -> str:
    """Exact amount with thousands separators for tables."""
    text = amount_text(value, commodity)
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}" + (f".{frac}" if frac else "")


BILLION = Decimal(10) ** 9


def billions(
    value: Decimal | str | None, places: int = 1, currency: str = "USD", missing: str = "—"
) -> str:
    """``$26.2B``: divided by 10^9, rounded half-even to ``places`` — for display only.

    A non-zero amount too small to show is ``<$0.1B`` (never a misleading ``$0.0B``); another
    currency is written after the number (``12.5B EUR``); None is ``missing``.
    """
    if value is None:
        return missing
    amount = Decimal(value)
    step = Decimal(1).scaleb(-places)
    shown = (abs(amount) / BILLION).quantize(step, rounding=ROUND_HALF_EVEN)
    tiny = shown == 0 and amount != 0
    number = f"<{step}" if tiny else f"{shown:,}"
    sign = "-" if amount < 0 else ""
    if currency == "USD":
        return f"{sign}<${step}B" if tiny else f"{sign}${number}B"
    return f"{sign}{number}B {currency}"


def dollars(value: Decimal | str) -> str:
    """Exact, grouped: ``$95,998,400,000`` (cents kept when there are any)."""
    amount = Decimal(value)
    whole = amount.to_integral_value()
    text = f"{abs(whole):,}" if amount == whole else f"{abs(amount):,.2f}"
    return f"-${text}" if amount < 0 else f"${text}"


def times(value: Decimal | str | None) -> str:
    """A multiple, half-even to 0.01: ``30.57×``; None → ``—``."""
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN)}×"


def percent(value: Decimal | str | None, places: int = 2) -> str:
    """A share as a percentage, half-even: ``0.0857`` → ``8.57%``; None → ``—``."""
    if value is None:
        return "—"
    step = Decimal(1).scaleb(-places)
    return f"{(Decimal(value) * 100).quantize(step, rounding=ROUND_HALF_EVEN)}%"


def listed_json(item: Listed) -> dict[str, Any]:
    """One :class:`ledger.api.Listed` event as ``loopledger events -O json`` prints it (the web
    face's events too: one path)."""
    return item.to_json()


def jsonable(data: Any) -> Any:
    """``data`` as plain JSON values, exactly as the ``--json`` outputs print it (Decimals as
    exact strings, dates as ISO text) — what the web face's pages and API hand on."""
    return orjson.loads(orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS))
