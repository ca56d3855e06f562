"""What each leg of a loop stands on, and the loop's label — hand-computed on small histories.

Amounts are USD; the expected figures are worked out in the comment beside each.
"""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from plugins.audit.standing import LegParts, loop_standing, parts_by_pair
from tests.test_audit import history_yaml

PARTIES = "a: A, b: B, c: C"


def test_parts_sum_per_pair_and_leave_the_world_and_self_flows_out():
    parts = parts_by_pair(
        [
            ("a", "b", "paid", D("15")),
            ("a", "b", "binding", D("35")),
            ("a", "b", "non_binding", D("0")),  # nothing outstanding: no part
            ("b", "a", "non_binding", D("100")),
            ("world", "a", "paid", D("7")),
            ("a", "a", "paid", D("1")),
        ]
    )
    assert parts == {
        ("a", "b"): LegParts(paid=D("15"), binding=D("35")),
        ("b", "a"): LegParts(non_binding=D("100")),
    }
    assert parts[("a", "b")].label == "paid+binding" and parts[("a", "b")].total == 50
    assert parts[("b", "a")].label == "non-binding" and parts[("b", "a")].firm == 0
    with pytest.raises(ValueError, match="unknown leg part"):
        parts_by_pair([("a", "b", "maybe", D(1))])


@pytest.mark.parametrize(
    ("legs", "expected"),
    [
        # every leg holds something paid, handed over or binding: firm, firm bottleneck
        # min(15 + 35, 20) = 20
        ([LegParts(paid=D(15), binding=D(35)), LegParts(stake=D(20))], ("firm", D(20))),
        # a leg partly non-binding: still firm, but only min(10, 30) = 10 on firm terms
        ([LegParts(binding=D(10), non_binding=D(90)), LegParts(binding=D(30))], ("firm", D(10))),
        # one leg only a letter of intent: partly non-binding, firm bottleneck 0
        ([LegParts(non_binding=D(100)), LegParts(binding=D(30))], ("partly non-binding", D(0))),
        # two letters: non-binding only
        ([LegParts(non_binding=D(100)), LegParts(non_binding=D(5))], ("non-binding only", D(0))),
    ],
)
def test_loop_standing_is_its_weakest_leg(legs, expected):
    assert loop_standing(legs) == expected


def test_a_loop_of_two_letters_is_labelled_and_listed_after_the_firm_ones(cli, write):
    """A → B $100 letter + B → A $60 letter: a committed loop (bottleneck 60) of promises only;
    A → C $10 and C → A $25 binding: the firm loop A → C → A (bottleneck min(10, 25) = 10) is
    listed first in the table although its bottleneck is smaller."""
    text = history_yaml(
        "{id: loi1, date: 2025-01-02, type: commitment, payer: a, payee: b, amount: '100',"
        " kind: investment, binding: false}",
        "{id: loi2, date: 2025-01-03, type: commitment, payer: b, payee: a, amount: '60',"
        " kind: purchase, binding: false}",
        "{id: ac, date: 2025-01-04, type: commitment, payer: a, payee: c, amount: '10',"
        " kind: purchase}",
        "{id: ca, date: 2025-01-05, type: commitment, payer: c, payee: a, amount: '25',"
        " kind: compute}",
        parties=PARTIES,
    )
    path = write("history.yaml", text)
    assert cli("replay", str(path)).code == 0
    report = json.loads(cli("audit", "--json", "--layer", "committed").out)
    by_path = {tuple(c["path"]): c for c in report["cycles"]}
    letters = by_path[("a", "b", "a")]
    assert (letters["bottleneck"], letters["standing"], letters["firm_bottleneck"]) == (
        "60",
        "non-binding only",
        "0",
    )
    assert [e["standing"] for e in letters["edges"]] == ["non-binding", "non-binding"]
    assert [e["parts"] for e in letters["edges"]] == [{"non_binding": "100"}, {"non_binding": "60"}]
    firm = by_path[("a", "c", "a")]
    assert (firm["bottleneck"], firm["standing"], firm["firm_bottleneck"]) == ("10", "firm", "10")
    # The aggregated edges say it too.
    edges = {(e["source"], e["target"]): e for e in report["edges"]["committed"]}
    assert edges[("a", "b")]["standing"] == "non-binding"
    assert edges[("a", "c")]["parts"] == {"binding": "10"}
    # The table leads with the firm loop and labels the other.
    table = cli("audit", "--layer", "committed").out
    assert table.index("firm: binding · binding") < table.index("non-binding only")


def test_a_letter_made_definitive_binds_and_a_paid_leg_is_paid(cli, write):
    """A → B $100 letter, amended to definitive on 2025-02-01; B → A $40 paid in cash on
    2025-01-10. In the union: bottleneck min(100, 40) = 40; before the amendment the loop is
    partly non-binding (firm ≥ 0), after it firm (legs binding and paid, firm ≥ 40)."""
    text = history_yaml(
        "{id: cash-b, date: 2025-01-01, type: opening_balance, party: b, amount: '40'}",
        "{id: loi, date: 2025-01-02, type: commitment, payer: a, payee: b, amount: '100',"
        " kind: investment, binding: false}",
        "{id: paid, date: 2025-01-10, type: purchase, buyer: b, seller: a, amount: '40',"
        " item: chips}",
        "{id: signed, date: 2025-02-01, type: amendment, of: loi, status: definitive}",
        parties=PARTIES,
    )
    path = write("history.yaml", text)
    assert cli("replay", str(path)).code == 0

    def loop(*args: str) -> dict:
        report = json.loads(cli("audit", "--json", "--layer", "all", *args).out)
        [found] = [c for c in report["cycles"] if c["path"] == ["a", "b", "a"]]
        return found

    before = loop("--as-of", "2025-01-31")
    assert (before["standing"], before["bottleneck"], before["firm_bottleneck"]) == (
        "partly non-binding",
        "40",
        "0",
    )
    assert [e["standing"] for e in before["edges"]] == ["non-binding", "paid"]
    after = loop()
    assert (after["standing"], after["bottleneck"], after["firm_bottleneck"]) == (
        "firm",
        "40",
        "40",
    )
    assert [e["standing"] for e in after["edges"]] == ["binding", "paid"]
