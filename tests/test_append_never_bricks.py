"""Accepted input never bricks a store: whatever replay accepts leaves a history that folds —
whole and as of every day — that ``verify`` holds and that the same files replay into as 0 new;
whatever would not is refused at append time (exit 2, one message naming the events, the store
unchanged and still folding).

The cases are those the hardening probe found accepted and then failing (issue #13): a reversal
of a commitment, loan or grant whose draw, repayment or vest is stored; an exercise dated before
its vest; a reversal of an instrument dated before the reversal of what rests on it (or the
other way round); a draw after its commitment's reversal; an event its reversal would launder.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.book import fold
from ledger.model.values import Party
from ledger.store import Store

BASE = """loopledger: 1
parties:
  - {id: nvidia, name: NVIDIA}
  - {id: openai, name: OpenAI}
  - {id: amd, name: AMD}
events:
  - {id: ob, date: 2025-01-01, type: opening_balance, party: openai, amount: "10B"}
  - {id: obn, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "10B"}
  - {id: c1, date: 2025-02-01, type: commitment, payer: openai, payee: amd, amount: "5B", kind: purchase}
  - {id: b1, date: 2025-03-01, type: purchase, buyer: openai, seller: amd, amount: "1B", item: GPUs, commitment: c1}
  - {id: l1, date: 2025-02-01, type: loan, lender: nvidia, borrower: openai, amount: "1B"}
  - {id: r1, date: 2025-03-01, type: repayment, loan: l1, amount: "0.5B"}
  - id: wg
    date: 2025-02-01
    type: warrant_grant
    issuer: amd
    holder: openai
    shares: 100
    strike: "0.01"
    expiry: 2030-01-01
    tranches: [{id: w1, shares: 40, conditions: []}, {id: w2, shares: 60, conditions: []}]
  - {id: v1, date: 2025-03-01, type: warrant_vest, grant: wg, tranche: w1}
"""


def _file(*events: str) -> str:
    return "loopledger: 1\nparties: []\nevents:\n" + "".join(f"  - {e}\n" for e in events)


def _rev(rid: str, of: str, day: str) -> str:
    return f'{{id: {rid}, date: {day}, type: reversal, of: {of}, reason: "test"}}'


@pytest.fixture
def seeded(cli, write, tmp_path):
    base = write("base.yaml", BASE)
    assert cli("replay", str(base)).code == 0
    return tmp_path / "test.db", base


def _history(path) -> tuple[list, list]:
    with Store(str(path)) as store:
        values = [r.value for r in store.read()]
    return [v for v in values if not isinstance(v, Party)], [
        v for v in values if isinstance(v, Party)
    ]


def _head(path) -> tuple:
    with Store(str(path)) as store:
        return tuple(store.head())


def assert_folds_everywhere(cli, path) -> None:
    """The stored history folds whole and as of every day an event changes it (and the day
    before each), by the reference fold and by the command line; verify holds."""
    events, parties = _history(path)
    days = sorted({e.date for e in events})
    for day in {d + dt.timedelta(days=k) for d in days for k in (-1, 0)}:
        _, _, problems = fold(events, parties, as_of=day)
        assert not problems, (day, [p.render() for p in problems])
    _, _, problems = fold(events, parties)
    assert not problems, [p.render() for p in problems]
    for day in days:
        ran = cli("balances", "--as-of", day.isoformat())
        assert ran.code == 0, (day, ran.err)
    ran = cli("verify")
    assert ran.code == 0 and "all checks hold" in ran.out, ran.out + ran.err


def assert_refused_and_unchanged(cli, write, seeded, content: str, *fragments: str) -> None:
    path, _ = seeded
    before = _head(path)
    ran = cli("replay", str(write("new.yaml", content)))
    assert ran.code == 2, (ran.out, ran.err)
    first = ran.err.splitlines()[0]
    for fragment in fragments:
        assert fragment in first, (fragment, ran.err)
    assert "nothing was written" in ran.err and "Traceback" not in ran.err
    assert _head(path) == before
    assert_folds_everywhere(cli, path)


def assert_accepted_and_sound(cli, write, seeded, *contents: str) -> None:
    path, base = seeded
    files = [write(f"new{i}.yaml", c) for i, c in enumerate(contents)]
    for f in files:
        ran = cli("replay", str(f))
        assert ran.code == 0, ran.err
    assert_folds_everywhere(cli, path)
    head = _head(path)
    again = cli("replay", str(base), *map(str, files))
    assert again.code == 0 and _head(path) == head, again.err
    assert again.out.count(" 0 new") == len(files) + 1, again.out


# --- refused -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "dependant", "kind"),
    [("c1", "b1", "draw"), ("l1", "r1", "repayment"), ("wg", "v1", "vest")],
)
def test_reversing_an_instrument_whose_dependant_is_stored_is_refused(
    cli, write, seeded, target, dependant, kind
):
    assert_refused_and_unchanged(
        cli,
        write,
        seeded,
        _file(_rev(f"rev-{target}", target, "2025-04-01")),
        f"event '{dependant}'",
        f"rests on '{target}', which reversal 'rev-{target}' cancels",
        f"reverse '{dependant}' too",
    )


def test_an_exercise_dated_before_a_vest_recorded_on_its_grant_is_refused(cli, write, seeded):
    assert_refused_and_unchanged(
        cli,
        write,
        seeded,
        _file(
            "{id: v2, date: 2025-05-01, type: warrant_vest, grant: wg, tranche: w2}",
            "{id: x1, date: 2025-04-01, type: warrant_exercise, grant: wg, shares: 80}",
        ),
        "new.yaml:5",
        "event 'x1'",
        "field 'date'",
        "is dated 2025-04-01, before 'v2' (2025-05-01)",
    )


def test_a_draw_after_the_reversal_of_its_commitment_is_refused(cli, write, seeded):
    assert_refused_and_unchanged(
        cli,
        write,
        seeded,
        _file(
            _rev("rev-b1", "b1", "2025-04-01"),
            _rev("rev-c1", "c1", "2025-04-01"),
            "{id: b2, date: 2025-05-01, type: purchase, buyer: openai, seller: amd, "
            'amount: "1B", item: GPUs, commitment: c1}',
        ),
        "event 'b2'",
        "field 'commitment'",
        "which reversal 'rev-c1' cancels",
    )


def test_an_instrument_reversed_before_the_reversal_of_its_draw_is_refused(cli, write, seeded):
    """Between 03-15 and 06-01 a fold would hold the draw without its commitment."""
    assert_refused_and_unchanged(
        cli,
        write,
        seeded,
        _file(_rev("rev-c1", "c1", "2025-03-15"), _rev("rev-b1", "b1", "2025-06-01")),
        "event 'rev-b1'",
        "is dated 2025-06-01, after 'rev-c1' (2025-03-15)",
    )
    assert_refused_and_unchanged(
        cli,
        write,
        seeded,
        _file(_rev("rev-b1", "b1", "2025-06-01"), _rev("rev-c1", "c1", "2025-03-15")),
        "event 'rev-c1'",
        "is dated 2025-03-15, before 'rev-b1', the reversal of 'b1', (2025-06-01)",
    )


def test_a_vest_reversed_before_the_reversal_of_an_exercise_on_it_is_refused(cli, write, seeded):
    earlier = write(
        "x.yaml",
        _file(
            "{id: x1, date: 2025-04-01, type: warrant_exercise, grant: wg, shares: 40}",
            _rev("rev-x1", "x1", "2025-04-10"),
        ),
    )
    assert cli("replay", str(earlier)).code == 0
    assert_refused_and_unchanged(
        cli,
        write,
        seeded,
        _file(_rev("rev-v1", "v1", "2025-04-05")),
        "event 'rev-v1'",
        "before 'rev-x1', the reversal of 'x1', (2025-04-10)",
        "vests and amendments",
    )


def test_a_reversal_does_not_launder_an_event_the_book_refuses(cli, write, seeded):
    assert_refused_and_unchanged(
        cli,
        write,
        seeded,
        _file(
            "{id: xbig, date: 2025-04-01, type: warrant_exercise, grant: wg, shares: 1000}",
            _rev("rev-xbig", "xbig", "2025-06-01"),
        ),
        "event 'xbig'",
        "exercises 1000 shares but only 40 are vested",
        "reversed by 'rev-xbig'",
    )


# --- accepted ----------------------------------------------------------------------------------


def test_an_instrument_reversed_with_its_dependant_on_one_day_is_sound(cli, write, seeded):
    assert_accepted_and_sound(
        cli,
        write,
        seeded,
        _file(_rev("rev-b1", "b1", "2025-04-01"), _rev("rev-c1", "c1", "2025-04-01")),
    )


def test_a_dependant_reversed_first_and_its_instrument_later_is_sound(cli, write, seeded):
    assert_accepted_and_sound(
        cli,
        write,
        seeded,
        _file(_rev("rev-r1", "r1", "2025-04-01")),
        _file(_rev("rev-l1", "l1", "2025-05-01")),
    )


def test_a_grant_its_vest_and_their_reversals_in_one_file_is_sound(cli, write, seeded):
    assert_accepted_and_sound(
        cli,
        write,
        seeded,
        _file(
            "{id: g2, date: 2025-04-01, type: warrant_grant, issuer: amd, holder: openai, "
            'shares: 10, strike: "0.01", expiry: 2030-01-01, tranches: [{id: t, shares: 10, conditions: []}]}',
            "{id: g2v, date: 2025-04-02, type: warrant_vest, grant: g2, tranche: t}",
            "{id: g2x, date: 2025-04-03, type: warrant_exercise, grant: g2, shares: 10}",
            _rev("rev-g2x", "g2x", "2025-05-01"),
            _rev("rev-g2v", "g2v", "2025-05-01"),
            _rev("rev-g2", "g2", "2025-05-02"),
        ),
    )


def test_an_exercise_dated_after_its_vests_is_sound(cli, write, seeded):
    assert_accepted_and_sound(
        cli,
        write,
        seeded,
        _file(
            "{id: v2, date: 2025-05-01, type: warrant_vest, grant: wg, tranche: w2}",
            "{id: x1, date: 2025-05-01, type: warrant_exercise, grant: wg, shares: 80}",
        ),
    )
