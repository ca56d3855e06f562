"""How ``loopledger value`` prints a valuation: one table per party, amounts in $B."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ledger.faces.output import billions

BILLION = Decimal(10) ** 9


def _shown(row: Mapping[str, Any]) -> str:
    text = billions(row["value"], 3, row["currency"], "unknown")
    if row["value_if_met"] != row["value"]:
        text += f"\n(if met {billions(row['value_if_met'], 3, row['currency'], 'unknown')})"
    return text


def print_valuation(data: Mapping[str, Any]) -> None:
    from ledger.faces.output import cell, console, grouped, new_table, on_terminal

    out = console()
    by_party: dict[str, list[Mapping[str, Any]]] = {}
    for r in data["holdings"]:
        by_party.setdefault(r["party"], []).append(r)
    for party, listing in by_party.items():
        t = new_table(f"{party} — holdings valued as of {data['as_of']}")
        terminal = on_terminal()  # piped: no column is folded, an id stays on one line
        t.add_column("instrument", overflow="fold", max_width=32 if terminal else None)
        t.add_column("kind", no_wrap=True)
        t.add_column("quantity", justify="right", no_wrap=True)
        t.add_column("value", justify="right", no_wrap=True)
        t.add_column("basis", overflow="fold", min_width=22, no_wrap=not terminal)
        for r in listing:
            quantity = "?" if r["quantity"] is None else grouped(r["quantity"])
            if r["kind"] in ("commitment", "loan"):
                quantity = ""  # the face amount is the value
            t.add_row(
                cell(r["instrument"]), r["kind"], quantity, _shown(r), cell(r["basis"] + _age(r))
            )
            for x in r.get("tranches", []):
                t.add_row(
                    cell(f"  {x['tranche']}"),
                    "tranche",
                    grouped(x["quantity"]),
                    _shown(x),
                    cell(x["basis"] + _age(x)),
                )
            for key, label in (
                ("intrinsic_at_spot", "  intrinsic at"),
                ("if_all_hurdles_met", "  all hurdles met at"),
            ):
                if r.get(key):
                    x = r[key]
                    t.add_row(
                        f"{label} {x['price']}",
                        "",
                        "",
                        billions(x["value"], 3, r["currency"], "unknown"),
                        x["formula"]
                        + (f" ({x['price_date']})" if x.get("price_date") else "")
                        + _age(x),
                    )
        out.print(t)
    if not by_party:
        out.print(f"no holdings as of {data['as_of']}", markup=False)
    a = data["assumptions"]
    vol = ", ".join(f"{k} {v}" for k, v in a["volatility"].items())
    prob = ", ".join(f"{k} {v}" for k, v in a["probabilities"].items())
    out.print(
        "Values in US$ billions rounded half-even to 3 decimals (--json: exact); payables "
        "negative. "
        f"Assumptions: volatility {vol}; rate {a['rate']}; dividend yield 0; probability that "
        f"missing deliveries happen {prob}; years = days/365. Prices: "
        f"{a['rules']['prices']}; {a['rules']['stale']}.",
        markup=False,
    )


def _age(row: Mapping[str, Any]) -> str:
    """`` — STALE price, 125 days old`` when the value rests on a stale mark (rules.stale)."""
    if row.get("stale"):
        return f" — STALE price, {row['price_age_days']} days old"
    return ""
