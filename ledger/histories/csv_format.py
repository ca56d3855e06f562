"""CSV deal histories: one event a row, the columns named as the history format's fields.

Why a spreadsheet format: analysts keep deal lists in spreadsheets. A CSV history is the YAML
format flattened: a header row of field names (``type, id, date, party, amount, …`` — any
order, any subset), then one row per event; a row of ``type`` ``party`` declares a party
(``id``, ``name``, ``ticker``, ``shares_outstanding``, ``allow_overdraft``). An empty cell is an absent field.
Nested fields — a commitment's or grant's ``tranches`` — are written in a cell as YAML flow
text (``[{id: t1, amount: 5B}]``); ``facts`` takes its ids (``N10, W02`` or ``[N10, W02]``);
``binding``/``cashless`` take ``true``/``false``. The
template ``ledger/examples/deals-template.csv`` shows every column.

The reader streams: the header row is checked at once, then each row becomes the same located
mapping the YAML and JSON readers produce (the row number as its line) and goes through the same
converters and the same single-transaction replay, so a CSV gets the same checks and the same
atomicity. A ``party`` row declares its party where it stands: put it before the events that
name it. Problems name the row (the header is row 1, as a spreadsheet numbers it) and the
column (letter and field name).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from typing import IO, Any, Final

import attrs

from ledger.histories.sources import MAX_EVENT_BYTES, RawItem, Source, located_mapping
from ledger.histories.yaml_text import load_yaml
from ledger.model.events import EVENT_TYPES, type_fields
from ledger.model.problems import InputError, Problem

FORMAT_VERSION: Final = 1
PARTY_FIELDS = ("id", "name", "ticker", "shares_outstanding", "allow_overdraft")
NESTED_KINDS = ("list", "condition")
TRUE, FALSE = ("true", "yes", "1"), ("false", "no", "0")


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how a spreadsheet names the column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _kinds() -> dict[str, str]:
    """Every event field name → its kind (the same name has the same kind in every type)."""
    kinds: dict[str, str] = {}
    for cls in EVENT_TYPES.values():
        for a in type_fields(cls):
            kinds.setdefault(a.name, a.metadata["kind"])
    return kinds


KINDS = _kinds()
_LAST = ("source", "confidence", "note")
COLUMNS = (
    "type",
    "id",
    "date",
    *(f for f in PARTY_FIELDS if f not in KINDS),
    *(f for f in KINDS if f not in ("id", "date", *_LAST)),
    *_LAST,
)
"""Every column a CSV history may have, in the template's order: ``type``, ``id``, ``date``,
the party fields, the event fields, then ``source``, ``confidence``, ``note``."""


def _delimiter(header: str) -> str:
    """Comma, unless the header uses only semicolons or tabs (spreadsheets in some locales)."""
    if "," in header:
        return ","
    if "\t" in header:
        return "\t"
    return ";" if ";" in header else ","


def _cell(field: str, text: str, row: int, letter: str, name: str) -> tuple[Any, Problem | None]:
    """One non-empty cell as the value the validation expects (text, a bool, a nested list)."""
    kind = KINDS.get(field)
    if kind == "bool":
        word = text.strip().lower()
        if word in TRUE:
            return True, None
        if word in FALSE:
            return False, None
        return text, None  # the validation says what it expected
    if kind == "ids":
        # fact-row ids: YAML flow text ([N10, W02]) or just the ids, comma or space separated
        words = text.strip().removeprefix("[").removesuffix("]")
        return [w for w in re.split(r"[\s,]+", words) if w], None
    if kind in NESTED_KINDS:
        try:
            return load_yaml(text, name), None
        except InputError as exc:
            detail = exc.problems[0].message
            return None, Problem(
                file=name,
                row=row,
                column=letter,
                field=field,
                message=f"expected YAML flow text such as [{{id: t1, amount: 5B}}]; {detail}",
            )
    return text.strip(), None


def _lines(stream: IO[bytes], name: str) -> Iterator[str]:
    """The stream's text lines (csv joins quoted line breaks itself), UTF-8 checked per line."""
    for number, raw in enumerate(iter(lambda: stream.readline(MAX_EVENT_BYTES + 1), b""), 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                Problem(
                    file=name,
                    row=number,
                    message=f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
                )
            ) from None
        yield text.removeprefix("\ufeff") if number == 1 else text


def _header(first: str, name: str) -> tuple[dict[str, str], dict[int, str], list[str]]:
    """Field → column letter, cell index → field, and the header cells; problems raised."""
    problems: list[Problem] = []
    header = [h.strip() for h in next(csv.reader([first], delimiter=_delimiter(first)), [])]
    columns: dict[str, str] = {}
    index_of: dict[int, str] = {}
    for i, raw in enumerate(header):
        field = raw.lower()
        letter = column_letter(i)
        if not field:
            continue
        if field in columns:
            problems.append(
                Problem(
                    file=name,
                    row=1,
                    column=letter,
                    field=field,
                    message=f"column '{field}' appears twice (also column {columns[field]})",
                )
            )
            continue
        if field not in COLUMNS:
            problems.append(
                Problem(
                    file=name,
                    row=1,
                    column=letter,
                    field=field,
                    message=f"unknown column; expected field names of the history format: {', '.join(COLUMNS)}",
                )
            )
            continue
        columns[field] = letter
        index_of[i] = field
    if not any(header):
        problems.append(
            Problem(
                file=name, row=1, message="expected a header row of field names (type, id, date, …)"
            )
        )
    else:
        for needed in ("type", "id"):
            if needed not in columns:
                problems.append(
                    Problem(
                        file=name,
                        row=1,
                        field=needed,
                        message=f"missing column '{needed}'; every row needs one (see ledger/examples/deals-template.csv)",
                    )
                )
    if problems:
        raise InputError(problems)
    return columns, index_of, header


def csv_source(stream: IO[bytes], name: str) -> Source:
    """A CSV history as a stream: its header row checked at once, its rows one by one.

    Each row becomes the located mapping the YAML and JSON readers produce (the row number as
    its line), so the same converters check it; :func:`relocate` then names row and column.
    """
    lines = _lines(stream, name)
    first = next(lines, "")
    while first and not first.strip():
        first = next(lines, "")
    if not first.strip():
        raise InputError(Problem(file=name, message="the file is empty; expected a header row"))
    columns, index_of, header = _header(first, name)
    reader = csv.reader(lines, delimiter=_delimiter(first))

    def items() -> Iterator[RawItem]:
        index = 0
        problems: list[Problem] = []
        try:
            for cells in reader:
                row = reader.line_num + 1  # the header is row 1
                values: dict[str, Any] = {}
                for i, text_value in enumerate(cells):
                    if not text_value.strip():
                        continue
                    named = index_of.get(i)
                    if named is None:
                        if i >= len(header) or not header[i]:
                            problems.append(
                                Problem(
                                    file=name,
                                    row=row,
                                    column=column_letter(i),
                                    message="a value in a column that has no name in the header row",
                                )
                            )
                        continue
                    value, problem = _cell(named, text_value, row, columns[named], name)
                    if problem is not None:
                        problems.append(problem)
                        continue
                    values[named] = value
                if problems:
                    raise InputError(problems)
                if not values:
                    continue  # an empty row: spreadsheets leave them
                if str(values.get("type", "")).lower() == "party":
                    del values["type"]
                    yield RawItem(0, row, located_mapping(values, row), kind="party")
                    continue
                index += 1
                yield RawItem(index, row, located_mapping(values, row))
        except csv.Error as exc:
            raise InputError(
                Problem(file=name, row=reader.line_num + 1, message=f"CSV syntax error: {exc}")
            ) from None

    header_data = located_mapping({"loopledger": FORMAT_VERSION, "parties": [], "events": []}, 1)
    return Source(name, "csv", header_data, items(), relocate=relocation(columns))


def relocation(columns: dict[str, str]) -> Callable[[Problem], Problem | None]:
    """A problem located by line, relocated to the CSV's row and column. A required field with
    no column is one message, at the first row that needs it (later rows add nothing)."""
    reported: set[str] = set()

    def relocate(problem: Problem) -> Problem | None:
        if problem.row is not None or problem.line is None:
            return problem
        field = problem.field or ""
        moved = attrs.evolve(problem, row=problem.line, line=None, column=columns.get(field))
        if field and field not in columns and problem.message.startswith("missing"):
            if field in reported:
                return None
            reported.add(field)
            return attrs.evolve(
                moved,
                message=f"missing column '{field}', which this row's event type needs; add it to the header row",
            )
        return moved

    return relocate


def _cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        import yaml

        return str(
            yaml.safe_dump(value, default_flow_style=True, width=1 << 30, sort_keys=False)
        ).strip()
    return "" if value is None else str(value)


def write_csv(
    parties: list[dict[str, Any]], events: list[dict[str, Any]], delimiter: str = ","
) -> str:
    """A CSV history of plain records (``party_to_dict`` / ``to_dict`` output): party rows
    first, then one row per event; the columns are those any record uses, in template order."""
    used = {"type", "id"} | {k for r in [*parties, *events] for k in r}
    header = [c for c in COLUMNS if c in used]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for p in parties:
        row = {"type": "party", **p}
        writer.writerow([_cell_text(row.get(c)) for c in header])
    for e in events:
        writer.writerow([_cell_text(e.get(c)) for c in header])
    return out.getvalue()
