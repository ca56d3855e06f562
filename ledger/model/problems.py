"""Errors as values, and the one exception type that carries them out of a command.

Bad input is never a traceback: every problem is a :class:`Problem` naming the file, the event
(id or position), the YAML/JSON line where known, the field and what was expected, so that the
CLI can print one clear line per problem and exit 2 without writing anything.
"""

from __future__ import annotations

from typing import Final

import attrs


@attrs.frozen(kw_only=True)
class Problem:
    """One thing wrong with the input, located as precisely as the source allows."""

    message: str
    file: str | None = None
    event_id: str | None = None
    position: int | None = None
    line: int | None = None
    field: str | None = None
    row: int | None = None
    """A spreadsheet row (CSV input: the header is row 1), given instead of a line."""
    column: str | None = None
    """The spreadsheet column letter of ``field`` (CSV input)."""

    def render(self) -> str:
        """``file:line: event 'id' (#position) field 'f': message`` — parts that are unknown are
        left out; CSV input reads ``file row 5: … field 'amount' (column D): …``."""
        where: list[str] = []
        if self.file and self.row:
            where.append(f"{self.file} row {self.row}")
        elif self.file:
            where.append(f"{self.file}:{self.line}" if self.line else self.file)
        elif self.row:
            where.append(f"row {self.row}")
        elif self.line:
            where.append(f"line {self.line}")
        subject: list[str] = []
        if self.event_id:
            subject.append(f"event '{self.event_id}'")
        if self.position is not None:
            subject.append(
                f"(event #{self.position})" if self.event_id else f"event #{self.position}"
            )
        if self.field:
            subject.append(f"field '{self.field}'")
        if self.column:
            subject.append(f"(column {self.column})")
        head = ": ".join(p for p in (" ".join(where), " ".join(subject)) if p)
        return f"{head}: {self.message}" if head else self.message

    def at(self, **changes: object) -> Problem:
        """A copy with more location filled in (only where still unknown)."""
        updates = {k: v for k, v in changes.items() if getattr(self, k) is None}
        return attrs.evolve(self, **updates)  # type: ignore[arg-type]


class LedgerError(Exception):
    """Base of loopledger's own exceptions."""


class InputError(LedgerError):
    """Bad input: one or more problems; nothing was written (CLI exit code 2)."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


class ConflictError(InputError):
    """An event id already stored with different content (idempotency key reused)."""


class AssertionsFailed(LedgerError):
    """A balance assertion does not hold (exit 1): the history was not recorded."""


class StoreError(LedgerError):
    """The store could not be opened or used (bad URL, unreachable server, corrupt file)."""


UNREADABLE: Final = b"\x00unreadable:"
"""What the store hands on in place of a record whose stored bytes it cannot decrypt or
decompress, followed by the reason: every reader then names that position instead of crashing."""


def unreadable(reason: str) -> bytes:
    return UNREADABLE + reason.encode()


def unreadable_reason(raw: bytes) -> str | None:
    """The reason a record could not be read, when ``raw`` is :func:`unreadable`'s marker."""
    return raw[len(UNREADABLE) :].decode() if raw.startswith(UNREADABLE) else None


class DamagedStore(LedgerError):
    """The database itself is damaged (a corrupt page): nothing past it can be read (exit 1)."""


class CorruptRecord(LedgerError):
    """A stored record no longer decodes: the store was altered outside loopledger (exit 1).

    Why its own class: ``verify`` turns it into a failed check naming the position, while
    every other command stops with one message instead of a traceback.
    """

    def __init__(self, position: int, detail: str) -> None:
        self.position = position
        super().__init__(
            f"stored record #{position} cannot be decoded ({detail}): the store was altered "
            "outside loopledger; run 'loopledger verify'"
        )
