"""The report's warrant section: each grant at grant date (intrinsic and fair value) and now."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ledger.faces.output import billions, dollars, percent
from ledger.model.safetext import visible
from ledger.plugin.reports import Section, Table, table
from plugins.demo.findings import Findings

__all__ = ["WARRANT_COLUMNS", "warrants_section"]

WARRANT_COLUMNS = 12
"""Grants shown side by side at most (the bundled history has 4)."""


def _name(f: Findings, party: str) -> str:
    return visible(f.names.get(party, party))


def _figures(f: Findings, metric: str) -> list[Mapping[str, Any]]:
    return [x for x in (f.figures or ()) if x.get("metric") == metric]


def _fair_values(f: Findings) -> dict[str, Mapping[str, Any]]:
    """Grant id → the grant-date fair value vendor financing deducts (with its model inputs)."""
    fair: dict[str, Mapping[str, Any]] = {}
    for x in _figures(f, "vendor_financing"):
        detail = x.get("detail") or {}
        for group in ("customers", "buyers_without_recorded_purchases"):
            for customer in (detail.get(group) or {}).values():
                for w in customer.get("warrants", []):
                    fair[w["grant"]] = w
    return fair


def _dilution(g: Mapping[str, Any], issuer: str) -> str:
    d = g.get("dilution")
    if not d:
        return f"no share count of {issuer} recorded"
    return (
        f"{percent(d['of_outstanding'])} of {issuer}'s {int(Decimal(d['shares_outstanding'])):,} "
        f"shares; {percent(d['of_fully_diluted'])} with every recorded {issuer} warrant "
        f"({int(Decimal(d['warrant_shares_on_issuer'])):,} shares) exercised"
    )


def _spot(g: Mapping[str, Any], as_of: Any) -> str:
    spot = g.get("intrinsic_at_spot")
    if not spot:
        return "no price recorded"
    stale = (
        f" — **stale**: {spot['price_age_days']} days before {as_of}"
        if spot.get("stale")
        else f", {spot['price_age_days']} days before {as_of}"
    )
    return f"${spot['price']} ({spot['price_date']}{stale})"


def warrants_section(f: Findings) -> Section:
    """Every warrant side by side: at grant (fair value, the equity layer's; intrinsic beside),
    its dilution, and now in each scenario — deliveries met or not × the price hurdle touched or
    not — so no default probability makes a headline zero."""
    if f.valuation is None:
        return Section("Warrants", ("Skipped: the valuation plugin is disabled.",))
    grants = [h for h in f.valuation["holdings"] if h.get("kind") == "warrant"]
    a = f.valuation["assumptions"]
    vol = ", ".join(f"{k} {v}" for k, v in a["volatility"].items())
    probabilities = ", ".join(f"{k} {v}" for k, v in a["probabilities"].items())
    if not grants:
        return Section("Warrants", ("No warrant is recorded.",))
    shown_note: tuple[str, ...] = ()
    if len(grants) > WARRANT_COLUMNS:  # one column per grant: a big store's would be unreadable
        note = (
            f"The first {WARRANT_COLUMNS} of {len(grants):,} warrants, in the valuation's order; "
            "`loopledger value --json` lists every one with the same figures."
        )
        shown_note = (note,)
        grants = grants[:WARRANT_COLUMNS]
    intrinsic = {w["grant"]: w for w in (f.audit or {}).get("warrants", [])}
    fair = _fair_values(f)
    heads = [
        f"{_name(f, g['party'])}'s warrant on {_name(f, g['counterparty'])} (`{g['instrument']}`)"
        for g in grants
    ]

    def row(label: str, cell: Any) -> tuple[str, ...]:
        return (label, *(cell(g) for g in grants))

    def at_grant_intrinsic(g: Mapping[str, Any]) -> str:
        w = intrinsic.get(g["instrument"])
        if not w or w.get("price") is None:
            return "—"
        return (
            f"{billions(w['intrinsic_at_grant'])}: {int(Decimal(w['shares'])):,} × "
            f"({w['price']} − {w['strike']}), price of {w['price_date']}"
        )

    def at_grant_fair(g: Mapping[str, Any]) -> str:
        w = fair.get(g["instrument"])
        if not w:
            return "—"
        if "spot" not in w:  # priced without a market input (a zero strike, say): name the model
            models = sorted({str(t.get("model")) for t in (w.get("tranches") or {}).values()})
            return f"{billions(w['fair_value_at_grant'])}: {', '.join(models) or 'no model'}"
        return (
            f"{billions(w['fair_value_at_grant'])}: barrier model at spot {w['spot']} "
            f"({w.get('spot_date', '—')}), volatility {w.get('volatility', '—')}, "
            f"rate {w.get('rate', '—')}"
        )

    def scenario(key: str) -> Any:
        return lambda g: billions((g.get("scenarios") or {}).get(key))

    def at_hurdle(g: Mapping[str, Any]) -> str:
        top = g.get("if_all_hurdles_met")
        if not top:
            return "—"
        return f"{billions(top['value'])} = {dollars(top['value'])} at ${top['price']}"

    rows = [
        row(
            "granted",
            lambda g: (
                f"{int(Decimal(g['quantity'])):,} shares at ${g['assumptions']['strike']}, "
                f"{g['assumptions']['grant_date']} … {g['assumptions']['expiry']}"
            ),
        ),
        row("dilution", lambda g: _dilution(g, _name(f, g["counterparty"]))),
        row("at grant: fair value (equity layer, vendor financing)", at_grant_fair),
        row("at grant: intrinsic (beside it, not used)", at_grant_intrinsic),
        row("price now", lambda g: _spot(g, f.as_of)),
        row("now, deliveries not met (any price)", scenario("deliveries_not_met")),
        row(
            "now, deliveries met, price hurdle not touched (barrier model at spot)",
            scenario("deliveries_met_hurdle_not_touched"),
        ),
        row(
            "now, deliveries met, price hurdle touched (intrinsic at spot)",
            scenario("deliveries_met_hurdle_touched"),
        ),
        row("deliveries met, price at the final hurdle", at_hurdle),
    ]
    paragraphs = [
        (
            "Each warrant vests only as GW are delivered, and its final tranche only when the "
            "issuer's price touches the hurdle: its value now is shown in each case side by side, "
            "not weighted by a default probability. A case is an assumption taken as given, "
            "never a forecast. *Deliveries not met*: the tranches never vest. *Hurdle not "
            "touched*: an up-and-in barrier call at spot with the delivery conditions met. "
            "*Touched*: a call at spot, shown at intrinsic value (for a $0.01 strike within "
            "shares × strike of the call). The equity layer and vendor financing carry the "
            "grant-date fair value; intrinsic value at grant is shown beside it."
        ),
        (
            f"Assumptions (`[plugins.valuation]` in loopledger.toml): volatility {vol}; risk-free "
            f"rate {a['rate']}; dividend yield {a.get('dividend_yield', '0')}. `value.json` "
            f"also has a probability-weighted value, with the configured probability that "
            f"missing deliveries happen ({probabilities}) — a setting, not a finding. Prices: "
            f"{a['rules']['prices']}; {a['rules'].get('stale', '')}."
        ),
    ]
    tables: list[Table] = [table(["", *heads], rows, right=[])]
    return Section("Warrants", (*shown_note, *paragraphs), tuple(tables))
