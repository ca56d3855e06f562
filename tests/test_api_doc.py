"""docs/api.md's worked example runs, top to bottom, and its DataFrame adds up to exactly what
``loopledger balances --json`` prints."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, run_cli

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text("utf-8"), re.DOTALL)


def test_the_api_doc_example_runs_and_its_dataframe_sums_equal_balances_json(
    tmp_path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOOPLEDGER_LOAD_PLUGINS", "")
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    namespace: dict[str, object] = {}
    code = blocks()
    assert len(code) >= 5
    for block in code:
        exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102 - the doc is the test
    frame = namespace["df"]
    sums = frame.groupby(["party", "account", "commodity"]).amount.sum()
    assert all(isinstance(v, Decimal) for v in sums)
    ran = run_cli("--store", "notebook.db", "balances", "--as-of", "2025-12-31", "--json")
    assert ran.code == 0, ran.err
    expected = {
        (b["party"], b["account"], b["commodity"]): Decimal(b["amount"])
        for b in json.loads(ran.out)["balances"]
    }
    assert dict(sums.items()) == expected
    assert (tmp_path / "books.beancount").exists() and (tmp_path / "history.jsonl").exists()


def test_to_pandas_without_pandas_says_which_extra_brings_it(monkeypatch, tmp_path):
    import sys

    import ledger
    from ledger.api.tables import MissingExtra

    with ledger.open(str(tmp_path / "x.db")) as book:
        book.replay(EXAMPLE)
        balances = book.balances()
        monkeypatch.setitem(sys.modules, "pandas", None)
        with pytest.raises(MissingExtra, match=r"pip install 'loopledger\[pandas\]'"):
            balances.to_pandas()
        records = balances.to_records()  # plain Python needs nothing extra
    assert all(isinstance(r["amount"], Decimal) for r in records)
