"""Small typed tables the core commands print with ``-O csv`` (and as plain text when piped):
a replay's files, verify's checks, a projection state flattened, and ad-hoc rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ledger.api.tables import Column, Table
from ledger.api.verification import VerifyReport
from ledger.histories.recording import FileReport


@attrs.frozen
class Rows(Table):
    """Rows given as tuples in column order."""

    header: tuple[Column, ...]
    rows: tuple[Sequence[Any], ...]

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.header

    def to_records(self) -> list[dict[str, Any]]:
        names = [c.name for c in self.header]
        return [dict(zip(names, row, strict=True)) for row in self.rows]


def per_file(files: Sequence[FileReport]) -> tuple[FileReport, ...]:
    """One report per file: a JSON Lines file is recorded as several runs of parties and events
    (to keep them interleaved as they were), which the user sees as the one file it is."""
    merged: dict[str, FileReport] = {}
    for f in files:
        seen = merged.get(f.file)
        merged[f.file] = (
            f
            if seen is None
            else FileReport(
                f.file, seen.new + f.new, seen.present + f.present, seen.new_parties + f.new_parties
            )
        )
    return tuple(merged.values())


@attrs.frozen
class ReplayTable(Table):
    """What replay did per file."""

    files: tuple[FileReport, ...]

    @property
    def columns(self) -> tuple[Column, ...]:
        return (
            Column("file"),
            Column("new", "int"),
            Column("already_present", "int"),
            Column("new_parties", "int"),
        )

    def to_records(self) -> list[dict[str, Any]]:
        return [
            {
                "file": f.file,
                "new": f.new,
                "already_present": f.present,
                "new_parties": f.new_parties,
            }
            for f in self.files
        ]


@attrs.frozen
class VerifyTable(Table):
    """One row per finding of every check (a check that holds: one row, no message)."""

    report: VerifyReport

    @property
    def columns(self) -> tuple[Column, ...]:
        return (Column("check"), Column("ok", "bool"), Column("message"), Column("events"))

    def to_records(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for c in self.report.checks:
            if c.ok:
                rows.append({"check": c.name, "ok": True, "message": None, "events": None})
            for v in c.violations:
                rows.append(
                    {
                        "check": c.name,
                        "ok": False,
                        "message": v.message,
                        "events": " ".join(v.event_ids),
                    }
                )
        for n in self.report.notes:
            rows.append(
                {"check": "note", "ok": True, "message": n.message, "events": " ".join(n.event_ids)}
            )
        return rows


@attrs.frozen
class Flattened(Table):
    """Any JSON value as (path, value) rows: ``balances.0.amount``, ``"10000000000"``."""

    pairs: tuple[tuple[str, str], ...]

    @property
    def columns(self) -> tuple[Column, ...]:
        return (Column("path"), Column("value"))

    def to_records(self) -> list[dict[str, Any]]:
        return [{"path": p, "value": v} for p, v in self.pairs]

    @classmethod
    def of(cls, data: Any) -> Flattened:
        pairs: list[tuple[str, str]] = []

        def walk(value: Any, path: str) -> None:
            if isinstance(value, dict):
                if not value:
                    pairs.append((path, "{}"))
                for k, v in value.items():
                    walk(v, f"{path}.{k}" if path else str(k))
            elif isinstance(value, list):
                if not value:
                    pairs.append((path, "[]"))
                for i, v in enumerate(value):
                    walk(v, f"{path}.{i}" if path else str(i))
            else:
                text = (
                    "null"
                    if value is None
                    else str(value).lower()
                    if isinstance(value, bool)
                    else str(value)
                )
                pairs.append((path, text))

        walk(data, "")
        return cls(tuple(pairs))
