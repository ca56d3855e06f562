"""Answers as typed tables: ``to_records()`` for plain Python, ``to_pandas()`` for notebooks.

Why one base: every answer a notebook gets — balances, events, postings, metrics, loops,
holdings — is a table of typed values (``Decimal`` amounts, ``datetime.date`` dates), and the
command line's ``-O csv`` prints the same rows, so a spreadsheet, a DataFrame and ``--json``
never disagree. pandas is an optional extra (``pip install 'loopledger[pandas]'``): Decimal
columns stay ``object`` columns of exact Decimals (``df.amount.sum()`` is exact), and date
columns hold ``datetime.date`` values, so they compare with the dates the API takes
(``pd.to_datetime(df.date)`` gives a datetime64 column for resampling).
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal

import attrs

from ledger.model.amounts import format_decimal

Kind = Literal["text", "int", "decimal", "date", "bool"]


@attrs.frozen
class Column:
    """A column of a table: its name and the kind of its values (``None`` is always allowed)."""

    name: str
    kind: Kind = "text"


class MissingExtra(ImportError):
    """An optional dependency is not installed; the message says which extra brings it."""


def cell_text(value: Any) -> str:
    """A value as exact text for CSV/TSV: decimals positional, dates ISO, None empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return " ".join(cell_text(v) for v in value)
    return str(value)


class Table(abc.ABC):
    """A typed table of records (the base of every answer that is a list of rows)."""

    @property
    @abc.abstractmethod
    def columns(self) -> tuple[Column, ...]:
        """The columns, in order, with their kinds."""

    @abc.abstractmethod
    def to_records(self) -> list[dict[str, Any]]:
        """One dict per row, keyed by column name, with typed values (Decimal, date …)."""

    def text_rows(self) -> list[list[str]]:
        """The rows as exact text, in column order (what ``-O csv`` prints)."""
        names = [c.name for c in self.columns]
        return [[cell_text(r.get(n)) for n in names] for r in self.to_records()]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame``: Decimal columns exact (object dtype), dates as ``datetime.date``."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise MissingExtra(
                "to_pandas() needs pandas: pip install 'loopledger[pandas]'"
            ) from exc
        records = self.to_records()
        names = [c.name for c in self.columns]
        frame = pd.DataFrame.from_records(records, columns=names)
        for c in self.columns:
            if c.kind in ("decimal", "date"):
                # Exact Decimals and datetime.date values, as they are: never floats or strings.
                frame[c.name] = pd.Series(
                    [r.get(c.name) for r in records], index=frame.index, dtype=object
                )
        return frame

    def __len__(self) -> int:
        return len(self.to_records())


def records_of(columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows given as tuples in column order → records."""
    names = [c.name for c in columns]
    return [dict(zip(names, row, strict=True)) for row in rows]
