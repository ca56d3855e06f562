"""The real accounting tools, run on loopledger's exports: their balances, keyed back to
loopledger's (party, account, commodity) through the names each export declares.

Why parse the declarations rather than ask the exporter: the mapping a user's hledger sees is
the one written in the file, so the test holds the file to it. A missing tool skips the test
locally and fails it under ``CI=true`` (``.ci/run`` installs hledger and ledger with apt;
beancount comes with the test extra).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

Key = tuple[str, str, str]
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """The path of a tool (the venv's bin first), or skip — or fail under CI=true."""
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        message = f"{name} is not installed (apt-get install -y ledger hledger; beancount from the test extra)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: under CI a missing tool is a failure")
        pytest.skip(message)
    return found


def run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, f"{args[0]} exited {done.returncode}: {done.stderr[-2000:]}"
    assert "error" not in done.stderr.lower(), done.stderr[-2000:]
    return done.stdout


def _unquote(symbol: str) -> str:
    return symbol[1:-1] if symbol.startswith('"') and symbol.endswith('"') else symbol


def journal_names(text: str) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Account name → (party, account) and symbol → commodity, from a journal's declarations
    (hledger one-line comments or ledger-cli ``note`` lines)."""
    accounts: dict[str, tuple[str, str]] = {}
    commodities: dict[str, str] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if m := re.match(r"^account (\S+)\s*(?:;\s*(.*))?$", line):
            note = m[2] or following.strip().removeprefix("note ")
            party, account = re.fullmatch(r"party: (\S+), loopledger: (\S+)", note).groups()
            accounts[m[1]] = (party, account)
        elif m := re.match(r'^commodity ("[^"]+"|\S+)\s*(?:;\s*(.*))?$', line):
            note = m[2] or following.strip().removeprefix("note ")
            commodities[_unquote(m[1])] = re.fullmatch(r"loopledger: (\S+)", note)[1]
    return accounts, commodities


def beancount_names(text: str) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    accounts: dict[str, tuple[str, str]] = {}
    commodities: dict[str, str] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if m := re.match(r"^\d{4}-\d{2}-\d{2} open (\S+)$", line):
            party = re.fullmatch(r'  party: "(.*)"', lines[i + 1])[1]
            account = re.fullmatch(r'  loopledger: "(.*)"', lines[i + 2])[1]
            accounts[m[1]] = (party, account)
        elif m := re.match(r"^\d{4}-\d{2}-\d{2} commodity (\S+)$", line):
            commodities[m[1]] = re.fullmatch(r'  loopledger: "(.*)"', lines[i + 1])[1]
    return accounts, commodities


def _keyed(
    found: dict[tuple[str, str], Decimal],
    accounts: dict[str, tuple[str, str]],
    commodities: dict[str, str],
) -> dict[Key, Decimal]:
    out: dict[Key, Decimal] = {}
    for (account, symbol), amount in found.items():
        if amount == 0:
            continue
        party, name = accounts[account]
        key = (party, name, commodities[_unquote(symbol)])
        assert key not in out, f"two tool accounts map to {key}"
        out[key] = amount
    return out


def hledger_balances(path: Path) -> dict[Key, Decimal]:
    """``hledger --strict balance -O json`` (every account and commodity declared; exact
    mantissas)."""
    hledger = tool("hledger")
    rows, _total = json.loads(
        run(hledger, "-f", str(path), "--strict", "balance", "--flat", "-O", "json")
    )
    found: dict[tuple[str, str], Decimal] = {}
    for account, _display, _indent, amounts in rows:
        for a in amounts:
            q = a["aquantity"]
            found[(account, a["acommodity"])] = Decimal(q["decimalMantissa"]).scaleb(
                -q["decimalPlaces"]
            )
    return _keyed(found, *journal_names(path.read_text("utf-8")))


_AMOUNT = re.compile(r'^(-?[0-9.]+) ("[^"]+"|\S+)$')


def ledger_balances(path: Path) -> dict[Key, Decimal]:
    """``ledger --pedantic balance --flat`` with one line per account, amounts joined."""
    ledger = tool("ledger")
    out = run(
        ledger,
        "-f",
        str(path),
        "--pedantic",
        "balance",
        "--flat",
        "--no-total",
        "--balance-format",
        "%(account)\t%(join(display_total))\n",
    )
    found: dict[tuple[str, str], Decimal] = {}
    for line in out.splitlines():
        if not line.strip():
            continue
        account, _, amounts = line.partition("\t")
        for part in amounts.split("\\n"):
            m = _AMOUNT.match(part.strip())
            assert m, f"unexpected ledger amount {part!r} in {line!r}"
            found[(account, m[2])] = Decimal(m[1])
    accounts, commodities = journal_names(path.read_text("utf-8"))
    parents = {":".join(a.split(":")[:i]) for a in accounts for i in range(1, a.count(":") + 1)}
    assert not parents & set(accounts), (
        "an account with its own postings has sub-accounts: --flat totals would include them"
    )
    return _keyed(found, accounts, commodities)


def beancount_balances(path: Path) -> dict[Key, Decimal]:
    """``bean-check`` then a ``bean-query`` of sum(number) per account and currency."""
    run(tool("bean-check"), str(path))
    out = run(
        tool("bean-query"),
        "-f",
        "csv",
        str(path),
        "SELECT account, currency, str(sum(number)) AS total GROUP BY account, currency",
    )
    found: dict[tuple[str, str], Decimal] = {}
    for row in csv.DictReader(io.StringIO(out)):
        found[(row["account"].strip(), row["currency"].strip())] = Decimal(row["total"].strip())
    return _keyed(found, *beancount_names(path.read_text("utf-8")))


def loopledger_balances(balances_json: str) -> dict[Key, Decimal]:
    """``loopledger balances --json`` as the same mapping."""
    rows = json.loads(balances_json)["balances"]
    return {(r["party"], r["account"], r["commodity"]): Decimal(r["amount"]) for r in rows}
