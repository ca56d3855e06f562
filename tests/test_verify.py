"""``loopledger verify`` on a real store: 0 when all holds; 1 naming the event after tampering."""

from __future__ import annotations

import json
import sqlite3

import orjson


def _events_rows(db):
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT originator_version, state FROM stored_events ORDER BY originator_version"
    ).fetchall()
    return con, rows


def test_verify_bundled_example_exits_0(cli, example):
    assert cli("replay", str(example)).code == 0
    ran = cli("verify", "--json")
    assert ran.code == 0, ran.out
    report = json.loads(ran.out)
    assert report["ok"] and report["records"] == 171
    names = {c["name"] for c in report["checks"]}
    assert {
        "hash-chain",
        "replay-determinism",
        "postings-balance",
        "global-conservation",
        "cash-across-loop",
        "warrant-limits",
        "commitment-limits",
        "reversal-cancels",
        "round-trip",
    } <= names


def test_amount_altered_in_the_sqlite_file_is_named(cli, example, store_path):
    assert cli("replay", str(example)).code == 0
    con, rows = _events_rows(store_path)
    target = next((v, s) for v, s in rows if b'"r01-openai-revenue-h1-2025"' in s)
    data = orjson.loads(target[1])
    assert data["r"]["amount"] == "4300000000 USD"
    data["r"]["amount"] = "4500000000 USD"  # still a valid, balanced event: only the chain can tell
    con.execute(
        "UPDATE stored_events SET state=? WHERE originator_version=?",
        (orjson.dumps(data), target[0]),
    )
    con.commit()
    con.close()
    ran = cli("verify")
    assert ran.code == 1
    assert "FAIL hash-chain" in ran.out
    assert (
        "r01-openai-revenue-h1-2025" in ran.out
        and "altered" in ran.out
        and "4500000000 USD" in ran.out
    )


def test_altered_amount_with_recomputed_hash_breaks_the_next_link(cli, example, store_path):
    from ledger.model.codec import content_hash, from_dict

    assert cli("replay", str(example)).code == 0
    con, rows = _events_rows(store_path)
    version, state = next((v, s) for v, s in rows if b'"r01-openai-revenue-h1-2025"' in s)
    data = orjson.loads(state)
    data["r"]["amount"] = "4500000000 USD"
    data["h"] = content_hash(from_dict(data["r"]))  # a careful forger recomputes the content hash
    con.execute(
        "UPDATE stored_events SET state=? WHERE originator_version=?", (orjson.dumps(data), version)
    )
    con.commit()
    ran = cli("verify", "--json")
    assert ran.code == 1
    chain = next(c for c in json.loads(ran.out)["checks"] if c["name"] == "hash-chain")
    assert any(
        "broken link" in v["message"] and "r01-openai-revenue-h1-2025" in v["message"]
        for v in chain["violations"]
    )


def test_deleted_event_is_named(cli, example, store_path):
    assert cli("replay", str(example)).code == 0
    con, rows = _events_rows(store_path)
    version = next(
        v for v, s in rows if b'"a05-amd-openai-warrant"' in s or b'"type":"warrant_grant"' in s
    )
    victim = orjson.loads(dict(rows)[version])["r"]["id"]
    con.execute("DELETE FROM stored_events WHERE originator_version=?", (version,))
    con.commit()
    con.close()
    ran = cli("verify")
    assert ran.code == 1
    assert (
        f"event '{victim}' (#{version}) is in the id index but missing from the stream" in ran.out
    )


def test_deleting_the_last_event_is_named_too(cli, example, store_path):
    assert cli("replay", str(example)).code == 0
    con, rows = _events_rows(store_path)
    version, state = rows[-1]
    victim = orjson.loads(state)["r"]["id"]
    con.execute("DELETE FROM stored_events WHERE originator_version=?", (version,))
    con.commit()
    ran = cli("verify")
    assert ran.code == 1 and victim in ran.out


def test_verify_reports_a_failing_plugin_invariant_and_exits_1(cli, example, monkeypatch):
    """An invariant registered through the hook runs in verify; its violation fails the command."""
    from invariants import Violation
    from ledger import hookimpl

    class Strict:
        @hookimpl
        def ledger_register_invariants(self, register):
            register(
                "no-oracle",
                lambda ctx: (
                    [Violation("no-oracle", "oracle appears", ("x",))]
                    if "oracle" in ctx.book.parties
                    else []
                ),
                description="test invariant",
            )

    import ledger.plugin.manager as pm

    original = pm.make_plugin_manager

    def with_strict(**kwargs):
        return original(**{**kwargs, "extra": [("strict-test", Strict())]})

    monkeypatch.setattr(pm, "make_plugin_manager", with_strict)
    monkeypatch.setattr("ledger.faces.cli.make_plugin_manager", with_strict)
    assert cli("replay", str(example)).code == 0
    ran = cli("verify")
    assert ran.code == 1 and "FAIL no-oracle" in ran.out and "oracle appears" in ran.out


def test_a_record_that_no_longer_decodes_fails_verify_and_stops_other_commands(
    cli, example, store_path
):
    assert cli("replay", str(example)).code == 0
    con, _ = _events_rows(store_path)
    con.execute("UPDATE stored_events SET state=? WHERE originator_version=10", (b"x",))
    con.commit()
    con.close()
    ran = cli("verify")
    assert ran.code == 1 and "Traceback" not in ran.err
    assert "record #10 cannot be decoded" in ran.out and "FAIL hash-chain" in ran.out
    assert "FAIL stored-history-folds" in ran.out
    listed = cli("events")
    assert listed.code == 1 and "Traceback" not in listed.err
    assert "error: stored record #10 cannot be decoded" in listed.err
    assert "run 'loopledger verify'" in listed.err


def test_an_anchor_kept_outside_reveals_a_history_cut_short(cli, example, store_path):
    """A chain alone cannot show that its newest records were removed; an anchor can."""
    assert cli("replay", str(example)).code == 0
    report = json.loads(cli("verify", "--json").out)
    head = f"{report['head']['position']}:{report['head']['chain_hash']}"
    assert report["head"]["position"] == 171 and f"head: {head}" in cli("verify").out
    assert cli("verify", "--anchor", head).code == 0
    con, _ = _events_rows(store_path)
    con.execute("DELETE FROM stored_events WHERE originator_version=171")
    con.execute("DELETE FROM loopledger_ids WHERE position=171")
    con.execute("DELETE FROM loopledger_postings WHERE position=171")
    con.commit()
    con.close()
    assert cli("verify").code == 0  # what is left is a valid chain of 170 records
    ran = cli("verify", "--anchor", head)
    assert ran.code == 1
    assert "record #171 is gone (the store has 170 records)" in ran.out
    # An anchor that does not match the record at its position: the history was rewritten.
    other = f"79:{'0' * 64}"
    rewritten = json.loads(cli("verify", "--json", "--anchor", other).out)
    [anchors] = [c for c in rewritten["checks"] if c["name"] == "chain-anchors"]
    assert f"anchored as {'0' * 64}" in anchors["violations"][0]["message"]
    bad = cli("verify", "--anchor", "80:xyz")
    assert bad.code == 2 and "expected POSITION:HASH" in bad.err
    prefixed = cli("verify", "--anchor", "80:0x" + "a" * 62)
    assert prefixed.code == 2 and "must be 64 hexadecimal digits" in prefixed.err
    assert "head:" not in ran.out  # a failed store's head is not offered as an anchor


def test_money_a_party_never_had_is_noted_not_hidden(cli, write):
    """Paying without an opening balance or loan is allowed only when the party declares why
    (``allow_overdraft``: the history may leave its funding out), and verify says so: which
    party, from which event, how low, and the reason given. Undeclared, replay refuses it
    (tests/test_deal_conditions.py)."""
    history = write(
        "h.yaml",
        """loopledger: 1
parties: [{id: nvidia, name: NVIDIA, allow_overdraft: "operating cash flow"}, {id: openai, name: OpenAI}]
events:
  - {id: ob, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "2B"}
  - {id: inv, date: 2025-01-02, type: investment, investor: nvidia, investee: openai, amount: "5B"}
  - {id: inv2, date: 2025-01-03, type: investment, investor: nvidia, investee: openai, amount: "1B"}
""",
    )
    assert cli("replay", str(history)).code == 0
    ran = cli("verify", "--json")
    assert ran.code == 0  # a note, not a failed check
    [note] = [n for n in json.loads(ran.out)["notes"] if n["invariant"] == "cash-overdraft-allowed"]
    assert note["events"] == ["inv"] and note["amounts"] == {"lowest": "-4000000000"}
    assert note["message"] == (
        "nvidia's USD cash goes below zero from 2025-01-02 ('inv'; lowest -4000000000), "
        "as its declaration allows: operating cash flow"
    )


def test_an_overdraft_is_judged_by_date_not_by_recorded_order(cli, write):
    history = write(
        "late.yaml",
        """loopledger: 1
parties: [{id: nvidia, name: NVIDIA}, {id: openai, name: OpenAI}]
events:
  - {id: inv, date: 2025-01-05, type: investment, investor: nvidia, investee: openai, amount: "5B"}
  - {id: ob, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "5B"}
""",
    )
    assert cli("replay", str(history)).code == 0  # the money was there by the payment's date
    notes = json.loads(cli("verify", "--json").out)["notes"]
    assert [n for n in notes if n["invariant"].startswith("cash-")] == []


def _with_projection(monkeypatch, projection):
    """The CLI's and the API's plugin managers, with one more projection registered in-process."""
    from ledger import hookimpl

    class Extra:
        @hookimpl
        def ledger_register_projections(self, register):
            register(projection)

    import ledger.plugin.manager as pm

    original = pm.make_plugin_manager

    def with_extra(**kwargs):
        return original(**{**kwargs, "extra": [("extra-test", Extra())]})

    monkeypatch.setattr(pm, "make_plugin_manager", with_extra)
    monkeypatch.setattr("ledger.faces.cli.make_plugin_manager", with_extra)


def test_a_checkpoint_that_no_longer_matches_a_fold_is_named(cli, example, monkeypatch):
    """A projection whose checkpoint (made by an earlier, different fold) disagrees with the
    fold from scratch fails replay-determinism, naming it."""
    from ledger.engine.projection import Projection

    step = {"by": 2}
    _with_projection(monkeypatch, Projection("test.drift", int, lambda n, e: n + step["by"]))
    assert cli("replay", str(example)).code == 0
    assert cli("project", "test.drift").code == 0  # folds and checkpoints it at the head
    step["by"] = 1
    ran = cli("verify", "--json")
    assert ran.code == 1
    check = next(c for c in json.loads(ran.out)["checks"] if c["name"] == "replay-determinism")
    assert any("from checkpoint: test.drift differ" in v["message"] for v in check["violations"])


def test_a_projection_without_a_checkpoint_is_folded_once(cli, example, monkeypatch):
    """verify compares a projection's checkpoint with its fold from scratch; with no checkpoint
    there is nothing to compare, so it is not folded a second time (at a million events the
    second lifo fold held 4.6 GB)."""
    from ledger.engine.projection import Projection

    calls = {"n": 0}

    def count(n, entry):
        calls["n"] += 1
        return n + 1

    _with_projection(monkeypatch, Projection("test.count", int, count, version="1"))
    assert cli("replay", str(example)).code == 0
    folded = calls["n"]
    assert cli("verify").code == 0
    assert calls["n"] - folded == 148  # each of the 148 events once (the other records: parties)
