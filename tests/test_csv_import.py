"""CSV deal histories: one event a row, the same checks, messages and atomicity as YAML/JSON;
each kind of bad cell is one message naming its row and column, exit 2, store unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ledger.store import Store
from tests.conftest import EXAMPLE

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "ledger" / "examples" / "deals-template.csv"
LOOPLEDGER = str(Path(sys.executable).parent / "loopledger")

HEADER = "type,id,date,name,party,amount,buyer,seller,item"
PARTIES = "party,nvidia,,NVIDIA,,,,,\nparty,openai,,OpenAI,,,,,\nparty,intel-x,,Intel,,,,,\n"

BAD = [
    # (kind, rows after the parties, the header, expected fragments of the one message)
    (
        "bad-number",
        "purchase,b1,2025-01-02,,,12..5,openai,nvidia,GPUs\n",
        HEADER,
        ["row 5", "field 'amount'", "(column F)", "expected a decimal amount", "'12..5'"],
    ),
    (
        "unknown-party",
        "purchase,b1,2025-01-02,,,10B,acme,nvidia,GPUs\n",
        HEADER,
        ["row 5", "field 'buyer'", "(column G)", "unknown party 'acme'"],
    ),
    (
        "missing-column",
        "purchase,b1,2025-01-02,,,openai,nvidia,GPUs\npurchase,b2,2025-01-03,,,openai,nvidia,GPUs\n",
        "type,id,date,name,party,buyer,seller,item",
        ["row 5", "missing column 'amount'", "add it to the header row"],
    ),
    (
        "bad-date",
        "purchase,b1,2025-13-02,,,10B,openai,nvidia,GPUs\n",
        HEADER,
        ["row 5", "field 'date'", "(column C)", "expected an ISO date", "'2025-13-02'"],
    ),
    (
        "duplicate-id",
        "purchase,b1,2025-01-02,,,10B,openai,nvidia,GPUs\npurchase,b1,2025-01-03,,,1B,openai,nvidia,GPUs\n",
        HEADER,
        ["row 6", "field 'id'", "(column B)", "duplicate id"],
    ),
]


def records(url: str) -> list[tuple[str, str]]:
    with Store(url) as store:
        # Content and order; the chain links also cover when each record was recorded
        # (main's chain), so two stores' chains differ by design.
        return [(r.kind, r.content_hash) for r in store.read()]


@pytest.mark.parametrize(("kind", "rows", "header", "expected"), BAD, ids=[b[0] for b in BAD])
def test_each_kind_of_bad_cell_is_one_message_naming_row_and_column(
    cli, write, store_path, kind, rows, header, expected
):
    assert cli("replay", str(EXAMPLE)).code == 0
    before = records(str(store_path))
    bad = write(f"{kind}.csv", f"{header}\n{PARTIES}{rows}")
    ran = cli("replay", str(bad))
    assert ran.code == 2, ran.err
    errors = [line for line in ran.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, ran.err
    assert errors[0].startswith(f"error: {bad} row ")
    for fragment in expected:
        assert fragment in errors[0], (fragment, errors[0])
    assert "nothing was written" in ran.err
    assert records(str(store_path)) == before


def test_a_bad_header_names_its_column(cli, write):
    bad = write("bad.csv", "type,id,date,colour\nparty,nvidia,,red\n")
    ran = cli("replay", str(bad))
    assert ran.code == 2
    assert "row 1: field 'colour' (column D): unknown column" in ran.err


def test_the_template_replays_and_equals_the_same_history_in_yaml(cli, tmp_path):
    csv_store, yaml_store = str(tmp_path / "csv.db"), str(tmp_path / "yaml.db")
    ran = cli("--store", csv_store, "replay", str(TEMPLATE))
    assert ran.code == 0, ran.err
    assert "7 new, 0 already present, 2 new parties" in ran.out
    printed = cli("--store", csv_store, "print")
    assert printed.code == 0
    yaml_file = tmp_path / "printed.yaml"
    yaml_file.write_text(printed.out, encoding="utf-8")
    assert cli("--store", yaml_store, "replay", str(yaml_file)).code == 0
    assert records(csv_store) == records(yaml_store)
    # Tranches written as YAML flow text in one cell, and the assertion, came through.
    events = cli("--store", csv_store, "events", "-O", "json").out
    assert '"id": "t2"' in events and '"assert_balance"' in events


def test_print_as_csv_replays_into_the_same_records(cli, tmp_path, example):
    first, second = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    assert cli("--store", first, "replay", str(example)).code == 0
    out = tmp_path / "printed.csv"
    printed = cli("--store", first, "print", "-O", "csv")
    assert printed.code == 0
    out.write_text(printed.out, encoding="utf-8")
    ran = cli("--store", second, "replay", str(out))
    assert ran.code == 0, ran.err
    assert records(first) == records(second)


@pytest.mark.parametrize(
    ("source", "options"),
    [(TEMPLATE, ()), (EXAMPLE, ()), (TEMPLATE, ("--format", "csv"))],
    ids=["csv-sniffed", "yaml-sniffed", "csv-by-format"],
)
def test_replay_dash_reads_standard_input_through_a_real_pipe(tmp_path, source, options):
    store = str(tmp_path / "stdin.db")
    with source.open("rb") as data:
        done = subprocess.run(
            [LOOPLEDGER, "--store", store, "replay", "-", *options],
            stdin=data,
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": str(Path(sys.executable).parent), "LOOPLEDGER_LOAD_PLUGINS": ""},
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<stdin>: ")
    file_store = str(tmp_path / "file.db")
    done = subprocess.run(
        [LOOPLEDGER, "--store", file_store, "replay", str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert records(store) == records(file_store)


def test_bad_standard_input_names_stdin(tmp_path):
    done = subprocess.run(
        [LOOPLEDGER, "--store", str(tmp_path / "x.db"), "replay", "-"],
        input=f"{HEADER}\n{PARTIES}purchase,b1,2025-01-02,,,12..5,openai,nvidia,GPUs\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "<stdin> row 5: event 'b1' (event #1) field 'amount' (column F)" in done.stderr


def test_the_template_shows_every_column():
    """The template is how an analyst learns the columns: it must name every field a row can
    carry (a field added to an event type without a column here fails this test)."""
    from ledger.histories.csv_format import KINDS, PARTY_FIELDS

    header = TEMPLATE.read_text().splitlines()[0].split(",")
    assert len(header) == len(set(header))
    assert set(header) == {"type", *KINDS, *PARTY_FIELDS}
