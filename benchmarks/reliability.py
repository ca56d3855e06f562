"""Measure loopledger's guarantees and write docs/reliability.md from what was measured.

Runs the measured-guarantee tests of the suite (crash, concurrency, hostile inputs, fuzz, secrets,
output files, safe text, tampering, encryption at rest, appends that fold, deal terms) with ``LOOPLEDGER_FIGURES`` naming a temporary file, in which each test records its
figures (tests/support/figures.py), and with the CI hypothesis profile. Then writes the document:
every figure in it comes from this run. Rerun with::

    .venv/bin/python benchmarks/reliability.py            # writes docs/reliability.md
    .venv/bin/python benchmarks/reliability.py --print    # prints it instead

PostgreSQL cases need the server binaries (tests/support/pgserver.py); without them they are
reported as skipped, not as held.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TESTS = {
    "crash": "tests/test_crash.py",
    "concurrency": "tests/test_concurrency.py",
    "hostile inputs": "tests/test_hostile_inputs.py",
    "fuzz": "tests/test_fuzz_loader.py",
    "secrets": "tests/test_secrets.py",
    "output files": "tests/test_output_files.py",
    "safe text": "tests/test_safe_text.py",
    "tampering": "tests/test_tamper.py",
    "encryption at rest": "tests/test_encryption.py",
    "appends that fold": "tests/test_append_never_bricks.py",
    "hostile appends": "tests/test_hostile_appends.py",
    "deal terms": "tests/test_deal_conditions.py",
}
TESTS = {group: path for group, path in TESTS.items() if (ROOT / path).exists()}


def run() -> tuple[list[dict[str, Any]], dict[str, Counter[str]], float]:
    """Run the tests; their recorded figures, outcomes per group, and the wall time."""
    with tempfile.TemporaryDirectory() as tmp:
        figures = Path(tmp) / "figures.jsonl"
        report = Path(tmp) / "junit.xml"
        env = {**os.environ, "LOOPLEDGER_FIGURES": str(figures), "HYPOTHESIS_PROFILE": "ci"}
        started = dt.datetime.now(dt.UTC)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={report}",
                *TESTS.values(),
            ],
            cwd=ROOT,
            env=env,
            check=False,
        )
        seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
        recorded, outcomes = read(figures, report)
    return recorded, outcomes, seconds


def read(figures: Path, report: Path) -> tuple[list[dict[str, Any]], dict[str, Counter[str]]]:
    """The figures a run recorded and its outcomes per group (from pytest's JUnit XML)."""
    recorded = (
        [json.loads(line) for line in figures.read_text(encoding="utf-8").splitlines()]
        if figures.exists()
        else []
    )
    outcomes: dict[str, Counter[str]] = {group: Counter() for group in TESTS}
    for case in ET.parse(report).getroot().iter("testcase"):
        path = case.get("classname", "").replace(".", "/") + ".py"
        group = next((g for g, p in TESTS.items() if p == path), None)
        if group is None:
            continue
        kinds = {child.tag for child in case}
        outcome = (
            "failed"
            if kinds & {"failure", "error"}
            else "skipped"
            if "skipped" in kinds
            else "passed"
        )
        outcomes[group][outcome] += 1
    return recorded, outcomes


def _one(recorded: list[dict[str, Any]], kind: str, **match: Any) -> dict[str, Any] | None:
    found = [
        r for r in recorded if r["kind"] == kind and all(r.get(k) == v for k, v in match.items())
    ]
    return found[-1] if found else None


def _held(outcomes: Counter[str]) -> str:
    parts = [f"{outcomes['passed']} passed"]
    if outcomes["failed"]:
        parts.append(f"**{outcomes['failed']} failed**")
    if outcomes["skipped"]:
        parts.append(f"{outcomes['skipped']} skipped")
    return ", ".join(parts)


def render(
    recorded: list[dict[str, Any]], outcomes: dict[str, Counter[str]], seconds: float
) -> str:
    crash = _one(recorded, "crash")
    fuzz = _one(recorded, "fuzz")
    hostile = _one(recorded, "hostile")
    lines = [
        "# Reliability: what is guaranteed, and the figures measured",
        "",
        "Written by `benchmarks/reliability.py` from one run of the tests named below; rerun it to",
        "measure again (`.venv/bin/python benchmarks/reliability.py`). Each figure is what a test",
        "recorded while it asserted the guarantee, not a number typed here.",
        "",
        (
            f"Last run: {dt.date.today().isoformat()}, Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs, {seconds:,.0f} s for all of it."
        ),
        "",
        "| guarantee | tests | outcome |",
        "|---|---|---|",
    ]
    for group, path in TESTS.items():
        lines.append(f"| {group} | `{path}` | {_held(outcomes[group])} |")
    lines += ["", "## Crash: an import is all or nothing", ""]
    if crash:
        lines += [
            (
                f"`kill -9` sent at {crash['replay_kills'] + crash['checkpoint_kills']} seeded random "
                f"moments — {crash['replay_kills']} during a replay of a {crash['events']:,}-event file "
                f"(reading, checking, writing, printing), {crash['checkpoint_kills']} during a "
                f"`balances` that writes its checkpoint — of which {crash['kills']} landed (the others "
                "arrived after the process had finished, which tests nothing). After every kill the "
                "store opened, `verify` held, and the replayed store held the records it had before "
                f"({crash['old']} times) or those plus the whole file ({crash['old_plus_all']} times) — "
                "never part of it. A rerun then completed with exact balances."
            ),
            "",
            "Why it holds: a file's new records are inserted in one transaction (SQLite's journal,",
            "PostgreSQL's WAL); a checkpoint is one upsert. A kill before the commit leaves the old",
            "store, after it the new one.",
        ]
    else:
        lines.append("Not measured in this run.")
    lines += ["", "## Concurrency: nothing lost, nothing duplicated", ""]
    lines += [
        "| backend | case | processes | events each | retried (exit 3) |",
        "|---|---|---:|---:|---:|",
    ]
    for r in recorded:
        if r["kind"] == "writers":
            lines.append(
                f"| {r['backend']} | writers into one store | {r['writers']} | {r['events']:,} | {r['retried']} |"
            )
        elif r["kind"] == "same-file":
            lines.append(
                f"| {r['backend']} | replays of the same file | {r['processes']} | {r['events']:,} | — |"
            )
        elif r["kind"] == "readers":
            lines.append(
                f"| {r['backend']} | readers racing to checkpoint | {r['readers']} | {r['events']:,} | — |"
            )
    lines += [
        "",
        "After each case every event of every file is stored exactly once, the id index agrees,",
        "`verify` holds and the balances are exact; no process printed a traceback. A writer that",
        "keeps losing the race exits **3** with `the store changed while you were writing; run the",
        "replay again` (nothing written; distinct from 2, bad input) and the rerun succeeds; a",
        "reader that loses the checkpoint race just answers.",
        "",
        "## Hostile input: refused, bounded, nothing written",
        "",
    ]
    if hostile:
        lines += [
            (
                f"{hostile['refused']} of {hostile['cases']} hostile or malformed files were refused by `replay` "
                "with exit 2 and one short message (no traceback, under 128 KiB of messages, within 20 s),"
            ),
            "and no store was created. The catalogue is `tests/support/hostile.py`: amounts that",
            "would be misread (`1,5B`, `12,34`, `1,0000`, foreign digits, YAML 1.1 octal, hex, binary",
            "and sexagesimal integers, exponents, 40 decimals, 400 and 5,000 digits), ids and",
            "currencies with newlines or 10,000 characters, control characters in names, dates",
            "outside 1900–2200, alias bombs, 100,000 aliased events, a self-referring alias, deep",
            "YAML and JSON nesting, complex keys, Python tags, duplicate keys, bytes that are not",
            "UTF-8, `/dev/zero`, a FIFO, a directory, and 10,000 broken events (200 problems shown,",
            "the rest counted).",
        ]
    else:
        lines.append("Not measured in this run.")
    lines += ["", "## Fuzz: the loader only ever says *bad input*", ""]
    if fuzz:
        total = fuzz["documents"] + fuzz["text"] + fuzz["values"]
        lines += [
            (
                f"{total:,} generated examples: {fuzz['documents']:,} arbitrary YAML and JSON documents, "
                f"{fuzz['text']:,} text mutations and {fuzz['values']:,} value mutations of a valid history. "
                "Each loaded as a history or raised the project's input error (exit 2); nothing else. The"
            ),
            "value mutations find a deliberately broken loader (dates parsed unchecked) — so the",
            "property reaches the code that judges fields.",
        ]
    else:
        lines.append("Not measured in this run.")
    lines += [
        "",
        "## Secrets and files",
        "",
        "- A PostgreSQL password is never in the argv of a child process, a message, or a report",
        "  file: `tests/test_secrets.py` watches the process table while `replay`, `verify` (with",
        "  its fresh-process fold) and `report` run against a real role whose password holds",
        "  `# ? / @ :`, as typed and percent-encoded, and checks every URL form's messages.",
        "- A new SQLite store is created `0600`.",
        "- `report`, `demo` and `graph` never write through a symbolic link, never overwrite a file",
        "  they did not make, and a planted list of earlier outputs cannot make them delete a",
        "  reader's file (`tests/test_output_files.py`).",
        "- Names are shown as text on every face: bidi and other invisible characters as escapes,",
        "  rich markup, mathtext and HTML inert (`tests/test_safe_text.py`).",
        "",
        "## Tampering: named by `verify`, exit 1",
        "",
    ]
    tampered = [r for r in recorded if r["kind"] == "tamper"]
    if tampered:
        lines += [
            "| backend | what was changed in the database | named by verify |",
            "|---|---|---|",
        ]
        for r in tampered:
            lines.append(f"| {r['backend']} | {r['case']} | {'yes' if r['caught'] else '**no**'} |")
        caught = sum(1 for r in tampered if r["caught"])
        lines += [
            "",
            f"{caught} of {len(tampered)} kinds caught, each with the position, id or checkpoint named",
            "and no traceback. Records carry their SHA-256 and a chain link over the one before and",
            "the moment it was recorded; the id index is compared column by column with the stream;",
            "postings and checkpoints are derived data, trusted only with this user's MAC (which binds",
            "postings to their record's hash), so altered ones are named and derived again. A record",
            "rewritten with a consistent hash and link is caught only by an anchor kept outside",
            "(`verify --anchor POSITION:HASH`); balances then come from the records, never from a",
            "checkpoint that no longer matches the chain.",
        ]
    else:
        lines.append("Not measured in this run.")
    lines += ["", "## Appends that fold, and deal terms", ""]
    appends = [r for r in recorded if r["kind"] == "appends"]
    if appends:
        lines += [
            "The hostile state machine (`tests/test_hostile_appends.py`) appends, beside valid files,",
            "reversals and amendments of any recorded event and model events moved to any date.",
            "Every refused file left the store byte-identical; every accepted one left a store that",
            "folded whole and as of the step's days, held every law and replayed again as 0 new:",
            "",
            "| backend | runs | kind | accepted | refused |",
            "|---|---:|---|---:|---:|",
        ]
        for r in appends:
            kinds = sorted({k.rsplit(": ", 1)[0] for k in r["steps"]})
            for kind in kinds:
                lines.append(
                    f"| {r['backend']} | {r['runs']} | {kind} | "
                    f"{r['steps'].get(kind + ': accepted', 0)} | "
                    f"{r['steps'].get(kind + ': refused', 0)} |"
                )
        lines += [
            "",
            "A broken variant (replay forgetting the stored events that rest on what a reversal",
            "cancels) is caught by the same machine. The named cases of the hardening probe are",
            f"`tests/test_append_never_bricks.py` ({_held(outcomes.get('appends that fold', Counter()))});",
            "the deal terms — a vest before its conditions, a draw before its milestone or past what",
            "is outstanding, an exercise after expiry, cash a party does not have — are",
            f"`tests/test_deal_conditions.py` ({_held(outcomes.get('deal terms', Counter()))}): each",
            "refused with exit 2 naming the event, the condition and what the ledger holds, and",
            "accepted with `override` (or `allow_overdraft`), which `verify` lists.",
        ]
    else:
        lines.append("Not measured in this run.")
    lines += [
        "",
        "## Encryption at rest",
        "",
        f"`tests/test_encryption.py` ({_held(outcomes.get('encryption at rest', Counter()))}): an",
        "encrypted SQLite file and PostgreSQL database hold none of the history's ids and names",
        "(a scan that finds most of them in a plain store), nor the key; a missing, wrong or",
        "unwanted key is one message with exit 2 and the store unchanged; `encrypt` copies a",
        "store with the same chain head. What stays readable is listed in docs/security.md.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print the document, write nothing")
    parser.add_argument(
        "--from-run",
        nargs=3,
        metavar=("FIGURES", "JUNIT", "SECONDS"),
        help="render from a run already made (a full suite run with LOOPLEDGER_FIGURES=FIGURES "
        "and --junitxml=JUNIT that took SECONDS) instead of running the tests",
    )
    args = parser.parse_args()
    if args.from_run:
        figures, junit, seconds = args.from_run
        text = render(*read(Path(figures), Path(junit)), float(seconds))
    else:
        text = render(*run())
    if args.print:
        print(text)
    else:
        (ROOT / "docs" / "reliability.md").write_text(text, encoding="utf-8")
        print(f"wrote {ROOT / 'docs' / 'reliability.md'}")


if __name__ == "__main__":
    main()
