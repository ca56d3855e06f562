"""``metrics --by quarter`` folds the history once per quarter end: a history spanning centuries
(a typo'd year) is refused with a message that says why, instead of folding for hours."""

from __future__ import annotations

HISTORY = """loopledger: 1
parties:
  - {id: a, name: A}
  - {id: b, name: B}
events:
  - {id: ob, date: %s, type: opening_balance, party: a, amount: "10B"}
  - {id: buy, date: %s, type: purchase, buyer: a, seller: b, amount: "1B", item: GPUs}
"""


def _store(cli, write, tmp_path, first: str, last: str) -> str:
    url = str(tmp_path / "s.db")
    ran = cli("--store", url, "replay", str(write("h.yaml", HISTORY % (first, last))))
    assert ran.code == 0, ran.err
    return url


def test_a_history_of_centuries_is_refused_by_quarter(cli, write, tmp_path):
    url = _store(cli, write, tmp_path, "1901-01-01", "2199-12-31")
    ran = cli("--store", url, "metrics", "--by", "quarter")
    assert ran.code == 2 and "Traceback" not in ran.err, ran.err
    assert "1,196 quarters" in ran.err and "at most 400" in ran.err and "--as-of" in ran.err


def test_a_century_is_still_shown_by_quarter(cli, write, tmp_path):
    url = _store(cli, write, tmp_path, "2000-01-01", "2099-12-31")
    ran = cli("--store", url, "metrics", "--by", "quarter", "--json")
    assert ran.code == 0, ran.err
