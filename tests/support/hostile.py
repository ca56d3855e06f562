"""Hostile and malformed deal-history files, by name, for the hostile-input probe.

Why a catalogue: each kind that once crashed, hung or was silently misread (see docs/reliability.md)
stays in the suite as one named case, and ``benchmarks/reliability.py`` counts them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

HEAD = "loopledger: 1\nparties:\n  - {id: a, name: A}\n  - {id: b, name: B}\n"


def _event(**fields: str) -> str:
    base = {"id": "e1", "date": "2025-01-01", "type": "opening_balance", "party": "a"}
    base.update(fields)
    return "events:\n  - {" + ", ".join(f"{k}: {v}" for k, v in base.items()) + "}\n"


def _amount(text: str) -> str:
    return HEAD + _event(amount=text)


def _laughs(where: str) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, 9):
        lines.append(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]")
    body = "\n".join(lines) + "\n"
    if where == "title":
        return body + HEAD + "title: *l8\nevents: []\n"
    return body + HEAD + _event(amount='"1B"', note="*l8")


def _aliased_events(n: int) -> str:
    one = '&e {id: e1, date: 2025-01-01, type: opening_balance, party: a, amount: "1B"}'
    return HEAD + "events:\n  - " + one + "\n" + "  - *e\n" * n


TEXT: dict[str, Callable[[], str | bytes]] = {
    # amounts that would be misread
    "decimal comma 1,5B": lambda: _amount('"1,5B"'),
    "comma not in threes 12,34": lambda: _amount('"12,34"'),
    "comma group of four 1,0000": lambda: _amount('"1,0000"'),
    "underscore not in threes": lambda: _amount('"1_0"'),
    "mixed separators": lambda: _amount('"1,000_000"'),
    "arabic-indic digits": lambda: _amount('"٣٠٠"'),
    "full-width digits": lambda: _amount('"３００"'),
    "yaml 1.1 octal 010": lambda: _amount("010"),
    "yaml octal 0o17": lambda: _amount("0o17"),
    "yaml hex 0x1F": lambda: _amount("0x1F"),
    "yaml binary 0b101": lambda: _amount("0b101"),
    "yaml sexagesimal 1:30": lambda: _amount("1:30"),
    "exponent notation": lambda: _amount('"4.3e9"'),
    "binary float": lambda: _amount("4.3e9"),
    "40 fractional digits": lambda: _amount('"0.' + "1" * 40 + '"'),
    "400-digit integer": lambda: _amount("1" + "0" * 399),
    "5,000-digit integer": lambda: _amount("9" * 5000),
    "negative amount": lambda: _amount('"-1B"'),
    # ids, names, dates
    "id with a trailing newline": lambda: HEAD + _event(id='"e1\\n"', amount='"1B"'),
    "10,000-character id": lambda: HEAD + _event(id="x" * 10_000, amount='"1B"'),
    "currency with a newline": lambda: (
        'loopledger: 1\ncurrency: "USD\\n"\nparties: []\nevents: []\n'
    ),
    "escape sequence in a name": lambda: (
        'loopledger: 1\nparties:\n  - {id: a, name: "\\e[31mA"}\nevents: []\n'
    ),
    "uppercase party id": lambda: "loopledger: 1\nparties:\n  - {id: A, name: A}\nevents: []\n",
    "date 9999-12-31": lambda: HEAD + _event(date="9999-12-31", amount='"1B"'),
    "date 2025-02-30": lambda: HEAD + _event(date="2025-02-30", amount='"1B"'),
    # structure
    "billion laughs in the title": lambda: _laughs("title"),
    "billion laughs in a note": lambda: _laughs("note"),
    "100,000 aliased events": lambda: _aliased_events(100_000),
    "self-referring alias": lambda: "a: &a [*a]\n" + HEAD + "events: []\n",
    "deep YAML flow nesting": lambda: HEAD + "events: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "deep YAML block nesting": lambda: (
        HEAD + "events:\n" + "".join("  " * i + "- \n" for i in range(1, 3000))
    ),
    "complex mapping key": lambda: "? [a, b]\n: 1\n" + HEAD + "events: []\n",
    "python object tag": lambda: HEAD + "events: !!python/object/apply:os.system [echo hi]\n",
    "duplicate key": lambda: HEAD + "events: []\nevents: []\n",
    "not UTF-8": lambda: b"loopledger: 1\ntitle: \xff\xfe\n",
    "empty file": lambda: "",
    "a list, not a mapping": lambda: "- 1\n- 2\n",
    "10,000 broken events": lambda: (
        HEAD
        + "events:\n"
        + "".join(f"  - {{id: e{i}, date: 2025-01-01, type: nope}}\n" for i in range(10_000))
    ),
}

JSON: dict[str, str] = {
    "deep JSON nesting": "[" * 100_000 + "]" * 100_000,
    "JSON NaN": '{"loopledger": 1, "parties": [], "events": [], "title": NaN}',
    "JSON duplicate key": '{"loopledger": 1, "loopledger": 1, "parties": [], "events": []}',
    "JSON 5,000-digit number": '{"loopledger": 1, "parties": [], "events": [], "x": '
    + "9" * 5000
    + "}",
}

SPECIAL = ("/dev/zero", "a FIFO", "a directory")

NAMES: tuple[str, ...] = (*TEXT, *JSON, *SPECIAL)


def build(name: str, folder: Path) -> Path:
    """The file for case ``name`` inside ``folder``."""
    if name == "/dev/zero":
        return Path("/dev/zero")
    if name == "a FIFO":
        path = folder / "history.yaml"
        os.mkfifo(path)
        return path
    if name == "a directory":
        path = folder / "history.yaml"
        path.mkdir()
        return path
    if name in JSON:
        path = folder / "history.json"
        path.write_text(JSON[name], encoding="utf-8")
        return path
    content = TEXT[name]()
    path = folder / "history.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path
