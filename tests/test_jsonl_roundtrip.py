"""``export --format jsonl`` → ``replay`` into a fresh store gives the identical history: the
same records in the same order, so the same content hashes, and a chain that verifies. (The
chain's links also cover each record's recorded_at, so a copy's links differ from the
original's by design: replaying never forges a timestamp.)"""

from __future__ import annotations

from pathlib import Path

from ledger.store import Store

DATA = Path(__file__).parent / "data"

LATER = """loopledger: 1
parties:
  - {id: nvidia, name: NVIDIA}
  - {id: newco, name: NewCo, ticker: NEWC, shares_outstanding: "1000000"}
events:
  - {id: later-1, date: 2025-12-01, type: investment, investor: nvidia, investee: newco, amount: "1.25B", shares: "1000.5"}
  - {id: later-2, date: 2025-12-02, type: reversal, of: later-1, reason: "a test of reversals"}
"""


def hashes(url: str) -> list[tuple[str, int, str, str]]:
    with Store(url) as store:
        return [(r.kind, r.position, r.content_hash) for r in store.read()]


def test_jsonl_export_replays_into_identical_content_in_the_same_order(cli, tmp_path, write):
    original, copy = str(tmp_path / "original.db"), str(tmp_path / "copy.db")
    later = write("later.yaml", LATER)
    for source in (DATA / "every-type.json", later):
        ran = cli("--store", original, "replay", str(source))
        assert ran.code == 0, ran.err
    out = tmp_path / "history.jsonl"
    assert cli("--store", original, "export", "--format", "jsonl", "--out", str(out)).code == 0
    ran = cli("--store", copy, "replay", str(out))
    assert ran.code == 0, ran.err
    assert hashes(copy) == hashes(original)
    # Parties recorded between events stayed between them.
    kinds = [k for k, *_ in hashes(copy)]
    assert kinds.index("event") < len(kinds) - 1 - kinds[::-1].index("party")
    # Replaying the export again records nothing.
    again = cli("--store", copy, "replay", str(out))
    assert again.code == 0 and " 0 new, " in again.out
    assert cli("--store", copy, "verify").code == 0


def test_a_bad_jsonl_line_is_named_by_file_and_line(cli, write):
    bad = write(
        "bad.jsonl",
        '{"loopledger": 1}\n'
        '{"type": "party", "id": "amd", "name": "AMD"}\n'
        '{"type": "price", "id": "p1", "date": "2025-01-01", "party": "amd", "per_share": "x"}\n',
    )
    ran = cli("replay", str(bad))
    assert ran.code == 2
    assert f"{bad}:3: event 'p1'" in ran.err and "field 'per_share'" in ran.err


def test_parties_may_also_sit_in_the_header(cli, tmp_path, write):
    """The benchmark generator's layout: ``{"loopledger": 1, "parties": [...]}``, then events."""
    header = write(
        "header.jsonl",
        '{"loopledger": 1, "parties": [{"id": "amd", "name": "AMD"}, {"id": "openai", "name": "OpenAI"}]}\n'
        '{"type": "opening_balance", "id": "ob", "date": "2025-01-01", "party": "openai", "amount": "1B"}\n'
        '{"type": "price", "id": "p1", "date": "2025-01-02", "party": "amd", "per_share": "200"}\n',
    )
    ran = cli("--store", str(tmp_path / "h.db"), "replay", str(header))
    assert ran.code == 0, ran.err
    assert ran.out.splitlines()[0] == f"{header}: 2 new, 0 already present, 2 new parties"
