"""Bad scenarios: one clear message each (file, line, field or event, what was expected), exit
code 2, and the store untouched — a change is refused for exactly the reasons a replayed event
would be."""

from __future__ import annotations

import hashlib

import pytest

import ledger
from ledger import hookimpl
from ledger.testing import run_cli
from tests.support.scenarios import BASE, plugins, write

HEAD = "loopledger-scenario: 1\nname: bad\nchanges:\n"

CASES = [
    # (id, scenario body after HEAD (or a whole file), expected "file:line: …" fragments)
    (
        "a field that does not convert",
        '  - add:\n      - {id: a1, date: 2025-02-01, type: purchase, buyer: labco, seller: chipco, amount: "ten", item: gpu}\n',
        [":5: event 'a1' field 'amount': expected a decimal amount"],
    ),
    (
        "an event the book refuses",
        '  - add:\n      - {id: a1, date: 2025-02-01, type: purchase, buyer: labco, seller: chipco, amount: "10", item: gpu, commitment: nope}\n',
        [":5: event 'a1' field 'commitment': refers to 'nope', which is not an earlier event"],
    ),
    (
        "an event dated before what it acts on",
        '  - add:\n      - {id: a1, date: 2024-12-01, type: purchase, buyer: labco, seller: chipco, amount: "10", item: gpu, commitment: com}\n',
        [":5: event 'a1' field 'commitment': is dated 2024-12-01 but refers to 'com'"],
    ),
    (
        "an id the base already uses",
        '  - add:\n      - {id: px, date: 2025-02-01, type: price, party: chipco, per_share: "3"}\n',
        [
            ":5: field 'changes[1].add': event id 'px' is already used by a recorded event; to change a recorded event use 'replace'"
        ],
    ),
    (
        "an unknown party",
        '  - add:\n      - {id: a1, date: 2025-02-01, type: price, party: nobody, per_share: "3"}\n',
        [":5: event 'a1' field 'party': unknown party 'nobody'"],
    ),
    (
        "a dropped event that a recorded one needs",
        "  - drop: com\n",
        [
            ":4: event 'grant' field 'commitment': recorded event no longer holds after the scenario's changes"
        ],
    ),
    (
        "drop and replace of events that do not exist",
        '  - drop: nope\n  - replace: {id: zzz, date: 2025-02-01, type: price, party: chipco, per_share: "3"}\n',
        [
            ":4: field 'changes[1].drop': no event 'nope' to drop",
            ":5: field 'changes[2].replace': no event 'zzz' to replace",
        ],
    ),
    (
        "generators: unknown, an unknown parameter, a bad value, a missing one",
        (
            "  - generate: nope\n"
            "  - generate: deliveries\n    commitment: com\n    speed: 3\n"
            '  - generate: revenue_growth\n    party: labco\n    growth: "1"\n    from: 2025-02-01\n    until: 2025-12-31\n    every: week\n    start: "10"\n'
            "  - generate: price_path\n    party: chipco\n    by: 2025-06-30\n"
        ),
        [
            ":4: field 'changes[1].generate': no scenario generator named 'nope' (known: deliveries, price_path, revenue_growth, tranche_draws",
            ":7: field 'changes[2].speed': generator 'deliveries' takes no 'speed'",
            ":13: field 'changes[3].every': generator 'revenue_growth': expected one of month, quarter, year; got 'week'",
            ":15: field 'changes[4].generate': generator 'price_path': missing 'to'",
        ],
    ),
    (
        "a generator asked to deliver under a cancelled commitment",
        (
            "  - add:\n      - {id: end, date: 2025-01-20, type: amendment, of: com, status: cancelled}\n"
            '  - generate: deliveries\n    commitment: com\n    gw: "1"\n    from: 2025-02-01\n'
        ),
        [
            ":7: field 'changes[2].commitment': generator 'deliveries': 'com' was cancelled by 'end': drop that amendment first"
        ],
    ),
    (
        "deliveries paid under an undisclosed commitment, without an amount",
        (
            '  - add:\n      - {id: secret, date: 2025-01-08, type: commitment, payer: labco, payee: chipco, amount: undisclosed, kind: purchase, capacity_gw: "2"}\n'
            '  - generate: deliveries\n    commitment: secret\n    gw: "1"\n    from: 2025-02-01\n    pay: true\n'
        ),
        [
            ":6: field 'changes[2].amount': generator 'deliveries': the amount of 'secret' is undisclosed: give the total the purchases pay"
        ],
    ),
    (
        "valuation settings out of range, and unknown",
        '  - settings:\n      volatility: {chipco: "-1"}\n      drift: "0.1"\n',
        [
            ":5: field 'changes[1].settings.volatility.chipco': expected a number at least 0",
            ":6: field 'changes[1].settings.drift': unknown setting",
        ],
    ),
    (
        "a volatility below zero",
        '  - settings:\n      volatility: {chipco: "-1"}\n',
        [":5: field 'changes[1].settings.volatility.chipco': expected a number at least 0; got -1"],
    ),
    (
        "a price series with a bad date",
        '  - prices: {party: chipco, per_share: [[2025-13-01, "3"]]}\n',
        [
            ":4: event 'bad:prices-1.1' field 'date': expected an ISO date (YYYY-MM-DD); got '2025-13-01'"
        ],
    ),
    (
        "a change of no known kind",
        "  - rename: {from: a, to: b}\n",
        [
            ":4: field 'changes[1]': expected exactly one of add, drop, replace, prices, settings, generate"
        ],
    ),
    (
        "the top of the file",
        None,
        [
            ":1: field 'loopledger-scenario': expected 'loopledger-scenario: 1' at the top; got 2",
            ":2: field 'name': expected a name of letters, digits",
            ":3: field 'colour': unknown top-level key",
            ":4: field 'changes': expected a list of changes",
        ],
    ),
    (
        "a base that names both a store and a history",
        None,
        [":6: field 'base.history': give either base.store or base.history, not both"],
    ),
]

WHOLE = {
    "the top of the file": 'loopledger-scenario: 2\nname: "bad name"\ncolour: red\nchanges: {}\n',
    "a base that names both a store and a history": (
        "loopledger-scenario: 1\nname: bad\nchanges: []\nbase:\n  store: x.db\n  history: y.yaml\n"
    ),
}


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "base.db"
    with ledger.open(str(path), plugins=plugins()) as book:
        book.replay(write(tmp_path, "base.yaml", BASE))
    return path


@pytest.mark.parametrize(("case", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_scenario_is_one_located_message_and_exit_2(tmp_path, store, case, body, expected):
    text = WHOLE[case] if body is None else HEAD + body
    scenario = write(tmp_path, "bad.yaml", text)
    before = digest(store)
    ran = run_cli(plugins(), "scenario", "run", str(scenario), store=str(store))
    assert ran.code == 2, ran.out + ran.err
    errors = [line for line in ran.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(expected), ran.err
    for line, fragment in zip(errors, expected, strict=True):
        assert line.startswith(f"error: {scenario}:") and fragment in line, (line, fragment)
    assert ran.err.rstrip().endswith("nothing was written.")
    assert digest(store) == before
    # sweep checks the scenario the same way
    swept = run_cli(
        plugins(), "scenario", "sweep", str(scenario), "--vary", "rate=0,0.01", store=str(store)
    )
    assert swept.code == 2 and fragment in swept.err


def test_a_history_file_is_not_a_scenario(tmp_path, store):
    history = write(tmp_path, "history.yaml", BASE)
    ran = run_cli(plugins(), "scenario", "run", str(history), store=str(store))
    assert ran.code == 2
    assert f"error: {history}:1: field 'loopledger': this is a deal-history file" in ran.err


def test_a_missing_file_and_a_missing_store(tmp_path, store):
    ran = run_cli(plugins(), "scenario", "run", str(tmp_path / "nope.yaml"), store=str(store))
    assert ran.code == 2 and "cannot read the scenario" in ran.err
    scenario = write(tmp_path, "ok.yaml", HEAD.replace("changes:\n", "changes: []\n"))
    ran = run_cli(plugins(), "scenario", "run", str(scenario), store=str(tmp_path / "none.db"))
    assert ran.code == 2 and "no store at" in ran.err
    assert not (tmp_path / "none.db").exists()


def test_bad_sweep_options(tmp_path, store):
    scenario = write(tmp_path, "ok.yaml", HEAD.replace("changes:\n", "changes: []\n"))

    def sweep(*args):
        return run_cli(plugins(), "scenario", "sweep", str(scenario), *args, store=str(store))

    for args, fragment in (
        (["--vary", "volatility"], "expected WHAT=LOW:HIGH:STEP"),
        (["--vary", "volatility=0.7:0.3:0.1"], "expected LOW ≤ HIGH and a positive STEP"),
        (["--vary", "volatility=0:1:0.0001"], "10001 points; at most 400"),
        (["--vary", "price:AMD=1:2:1"], "expected price:<party id>"),
        (["--vary", "growth=0:1:0.5"], "no generator change sets 'growth'"),
        (["--vary", "rate=0,0.1", "-f", "nothing/at/all"], "unknown figure 'nothing/at/all'"),
        (
            ["--vary", "rate=0,0.1", "-f", "value/labco/warrant/nope"],
            "no figure 'value/labco/warrant/nope'",
        ),
        (
            ["--vary", "rate=0,0.1", "--chart", str(tmp_path / "c.gif")],
            "expected a .png or .svg file",
        ),
    ):
        ran = sweep(*args)
        assert ran.code == 2 and fragment in ran.err, (args, ran.err)


# --- generators that are plugins' bugs -------------------------------------------------------------


class Broken:
    @hookimpl
    def ledger_register_scenario_generators(self, register):
        register("probe.raises", lambda params, context: 1 / 0, parameters={})
        register("probe.junk", lambda params, context: ["not a mapping"], parameters={})
        register(
            "probe.invalid",
            lambda params, context: [{"type": "price", "date": "2025-02-01", "party": "chipco"}],
            parameters={},
        )


def test_a_generator_that_raises_or_writes_junk_is_named(tmp_path, store):
    for name, code, fragment in (
        (
            "probe.raises",
            1,
            "scenario generator 'probe.raises' of plugin 'Broken' raised ZeroDivisionError",
        ),
        ("probe.junk", 1, "returned something other than event mappings"),
        # A written event that does not hold is bad input, located at the change.
        (
            "probe.invalid",
            2,
            (
                ":4: event 'bad:probe.invalid-1.1' field 'per_share': generator 'probe.invalid' "
                "(change #1) wrote an event that does not hold: give exactly one of per_share or "
                "valuation"
            ),
        ),
    ):
        scenario = write(tmp_path, "gen.yaml", HEAD + f"  - generate: {name}\n")
        ran = run_cli(plugins(Broken()), "scenario", "run", str(scenario), store=str(store))
        assert ran.code == code and fragment in ran.err, (name, ran.err)
