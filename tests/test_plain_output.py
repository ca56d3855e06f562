"""The command line in pipelines: plain aligned lines when piped (an id is never wrapped),
``-O csv``/``-O json`` on every data command, one party rule everywhere, hledger's periods."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE

LOOPLEDGER = str(Path(sys.executable).parent / "loopledger")
LONG_ID = "c07-nvidia-coreweave-capacity-backstop"

DATA_COMMANDS = [
    ("replay", str(EXAMPLE)),
    ("events",),
    ("balances",),
    ("register", "--party", "openai"),
    ("print",),
    ("accounts",),
    ("parties",),
    ("stats",),
    ("project", "balances"),
    ("plugins",),
    ("verify",),
    ("value",),
    ("metrics",),
    ("audit",),
]


@pytest.fixture
def recorded(cli, example):
    ran = cli("replay", str(example))
    assert ran.code == 0, ran.err
    return cli


def test_events_piped_to_grep_finds_the_line_of_a_long_id(tmp_path):
    store = str(tmp_path / "pipe.db")
    env = {**os.environ, "LOOPLEDGER_LOAD_PLUGINS": "", "COLUMNS": "80"}
    assert (
        subprocess.run(
            [LOOPLEDGER, "--store", store, "replay", str(EXAMPLE)],
            env=env,
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    done = subprocess.run(
        f"'{LOOPLEDGER}' --store '{store}' events | grep -- '{LONG_ID}'",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert line.split()[1:4] == ["2025-09-09", "commitment", LONG_ID]
    assert "6,300,000,000.00 USD" in line and "recorded" in line


def test_piped_tables_are_plain_aligned_lines(recorded):
    out = recorded("events").out
    assert not set(out) & set("│┃━─┏┗╇╰╭"), "box drawing in piped output"
    lines = out.splitlines()
    header = lines[1]
    assert header.split() == ["#", "date", "type", "id", "parties", "amount", "status"]
    start = header.index("date")
    assert all(line[start : start + 10].count("-") == 2 for line in lines[2:])  # aligned dates
    assert all(line == line.rstrip() for line in lines)


@pytest.mark.parametrize("command", DATA_COMMANDS, ids=[c[0] for c in DATA_COMMANDS])
def test_every_data_command_prints_csv_and_json(recorded, command):
    as_json = recorded(*command, "-O", "json")
    assert as_json.code == 0, as_json.err
    json.loads(as_json.out)
    alias = recorded(*command, "--json")
    assert alias.code == 0 and json.loads(alias.out).keys() == json.loads(as_json.out).keys()
    as_csv = recorded(*command, "-O", "csv")
    assert as_csv.code == 0, as_csv.err
    rows = list(csv.reader(io.StringIO(as_csv.out)))
    assert len(rows) >= 2, as_csv.out[:500]
    assert {len(r) for r in rows} == {len(rows[0])}, "ragged CSV"
    tsv = recorded(*command, "-O", "tsv")
    assert tsv.code == 0 and "\t" in tsv.out.splitlines()[0]
    text = recorded(*command)
    assert text.code == 0, text.err
    assert not re.search(r"\bNone\b", text.out), "a missing value printed raw"
    assert not text.out.lstrip().startswith(("{", "[")), "JSON without -O json"


def test_json_and_o_other_format_together_is_a_usage_error(recorded):
    ran = recorded("events", "--json", "-O", "csv")
    assert ran.code == 2 and "--json means -O json" in ran.err


PARTY_COMMANDS = [
    ("events",),
    ("balances",),
    ("register",),
    ("accounts",),
    ("print",),
    ("value",),
]


@pytest.mark.parametrize("command", PARTY_COMMANDS, ids=[c[0] for c in PARTY_COMMANDS])
def test_a_party_is_named_by_id_name_or_ticker_in_any_case_and_unknown_is_exit_2(recorded, command):
    by_id = recorded(*command, "--party", "nvidia", "-O", "json")
    assert by_id.code == 0, by_id.err
    for other in ("NVIDIA", "Nvidia", "nvda"):
        same = recorded(*command, "--party", other, "-O", "json")
        assert same.code == 0 and same.out == by_id.out, other
    unknown = recorded(*command, "--party", "nvidai")
    assert unknown.code == 2
    assert (
        "unknown party 'nvidai'; known: akamai (Akamai), amazon (Amazon (AWS)), amd (AMD)"
        in unknown.err
    )
    assert "nvidia (NVIDIA)" in unknown.err and unknown.out == ""


def test_a_period_is_the_flows_within_it(recorded):
    flows = json.loads(recorded("balances", "-p", "2025Q4", "--party", "openai", "-O", "json").out)
    register = json.loads(
        recorded("register", "-p", "2025Q4", "--party", "openai", "-O", "json").out
    )
    summed: dict[tuple[str, str], Decimal] = {}
    for r in register["register"]:
        assert "2025-10-01" <= r["date"] <= "2025-12-31"
        key = (r["account"], r["commodity"])
        summed[key] = summed.get(key, Decimal(0)) + Decimal(r["amount"])
    assert flows["begin"] == "2025-10-01" and flows["as_of"] == "2025-12-31"
    assert {(b["account"], b["commodity"]): Decimal(b["amount"]) for b in flows["balances"]} == {
        k: v for k, v in summed.items() if v
    }
    # -b/-e (exclusive end) name the same period; -e alone is a balance as of the day before.
    same = json.loads(
        recorded(
            "balances", "-b", "2025-10-01", "-e", "2026", "--party", "openai", "-O", "json"
        ).out
    )
    assert same == flows
    before = recorded("balances", "-e", "2026-01-01", "-O", "json").out
    assert (
        json.loads(before)["balances"]
        == json.loads(recorded("balances", "--as-of", "2025-12-31", "-O", "json").out)["balances"]
    )


def test_events_in_a_period(recorded):
    q4 = json.loads(recorded("events", "-p", "2025Q4", "-O", "json").out)["events"]
    assert q4 and all("2025-10-01" <= e["date"] <= "2025-12-31" for e in q4)
    spelled = json.loads(recorded("events", "-b", "2025Q4", "-e", "2026Q1", "-O", "json").out)
    assert spelled["events"] == q4
    assert recorded("events", "-p", "2025Q5").code == 2


def test_depth_gives_subtotals(recorded):
    full = json.loads(recorded("balances", "-O", "json").out)["balances"]
    cut = json.loads(recorded("balances", "--depth", "1", "-O", "json").out)["balances"]
    expected: dict[tuple[str, str, str], Decimal] = {}
    for b in full:
        key = (b["party"], b["account"].split(":")[0], b["commodity"])
        expected[key] = expected.get(key, Decimal(0)) + Decimal(b["amount"])
    got = {(b["party"], b["account"], b["commodity"]): Decimal(b["amount"]) for b in cut}
    assert got == {k: v for k, v in expected.items() if v}
    assert {k[1] for k in got} <= {
        "assets",
        "liabilities",
        "equity",
        "income",
        "expenses",
        "capacity",
    }


class Cells(HTMLParser):
    """The text of every table row of a page: header cells first, then each body row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.scripts = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "script" or (tag == "link" and ("rel", "stylesheet") in attrs):
            self.scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@pytest.mark.parametrize(
    "command", [c for c in DATA_COMMANDS if c[0] != "print"], ids=lambda c: c[0]
)
def test_every_data_command_prints_its_csv_rows_as_one_html_page(recorded, command):
    page = recorded(*command, "-O", "html")
    assert page.code == 0, page.err
    assert page.out.startswith("<!doctype html>") and "<style" in page.out
    cells = Cells()
    cells.feed(page.out)
    assert cells.scripts == 0  # one file: nothing fetched, nothing run
    rows = list(csv.reader(io.StringIO(recorded(*command, "-O", "csv").out)))
    if command[0] == "metrics":  # plain -O csv keeps the original layout; the page the table's
        rows = list(
            csv.reader(io.StringIO(recorded(*command, "-p", "2000..2100", "-O", "csv").out))
        )
        cells = Cells()
        cells.feed(recorded(*command, "-p", "2000..2100", "-O", "html").out)
    assert cells.rows == rows


def test_print_refuses_html_and_says_what_it_writes(recorded):
    ran = recorded("print", "-O", "html")
    assert ran.code == 2 and "print writes a deal-history file" in ran.err and ran.out == ""
