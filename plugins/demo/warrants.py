"""The report's warrant section: each grant at grant date (intrinsic and fair value) and now."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ledger.faces.output import billions, dollars
from ledger.model.safetext import visible
from ledger.plugin.reports import Section, Table, table
from plugins.demo.findings import Findings

__all__ = ["warrants_section"]


def _name(f: Findings, party: str) -> str:
    return visible(f.names.get(party, party))


def _figures(f: Findings, metric: str) -> list[Mapping[str, Any]]:
    return [x for x in (f.figures or ()) if x.get("metric") == metric]


def warrants_section(f: Findings) -> Section:
    if f.valuation is None:
        return Section("Warrants", ("Skipped: the valuation plugin is disabled.",))
    grants = [h for h in f.valuation["holdings"] if h.get("kind") == "warrant"]
    intrinsic = {w["grant"]: w for w in (f.audit or {}).get("warrants", [])}
    fair: dict[str, Mapping[str, Any]] = {}
    for x in _figures(f, "vendor_financing"):
        detail = x.get("detail") or {}
        for group in ("customers", "buyers_without_recorded_purchases"):
            for customer in (detail.get(group) or {}).values():
                for w in customer.get("warrants", []):
                    fair[w["grant"]] = w
    a = f.valuation["assumptions"]
    tables: list[Table] = []
    paragraphs: list[str] = []
    for g in grants:
        grant = g["instrument"]
        who = f"{_name(f, g['party'])}'s warrant on {_name(f, g['counterparty'])}"
        rows: list[tuple[str, str, str]] = [
            (
                "granted",
                f"{int(Decimal(g['quantity'])):,} shares",
                (
                    f"strike ${g['assumptions']['strike']}, granted {g['assumptions']['grant_date']}, "
                    f"expires {g['assumptions']['expiry']}"
                ),
            )
        ]
        if grant in intrinsic and intrinsic[grant]["price"] is not None:
            w = intrinsic[grant]
            rows.append(
                (
                    "at grant, intrinsic (loop layer)",
                    billions(w["value"]),
                    (
                        f"{int(Decimal(w['shares'])):,} × ({w['price']} − {w['strike']}), "
                        f"{_name(f, w['issuer'])} price of {w['price_date']}"
                    ),
                )
            )
        if grant in fair:
            w = fair[grant]
            rows.append(
                (
                    "at grant, fair value (ASC 606)",
                    billions(w["fair_value_at_grant"]),
                    (
                        f"barrier model at spot {w['spot']} ({w['spot_date']}), volatility "
                        f"{w['volatility']}, rate {w['rate']}"
                    ),
                )
            )
        rows.append(
            (
                "now, expected",
                billions(g["value"]),
                "; ".join(t["basis"] for t in g.get("tranches", [])),
            )
        )
        rows.append(
            (
                "now, if the deliveries are met",
                billions(g["value_if_met"]),
                "the same model with the delivery conditions met, spot "
                + ", ".join(
                    sorted({str(t["assumptions"].get("spot")) for t in g.get("tranches", [])})
                ),
            )
        )
        spot = g.get("intrinsic_at_spot")
        if spot:
            rows.append(
                (
                    "now, intrinsic at spot",
                    billions(spot["value"]),
                    f"{spot['formula']} ({spot['price_date']})",
                )
            )
        top = g.get("if_all_hurdles_met")
        if top:
            rows.append(
                (
                    f"all hurdles met, price at ${top['price']}",
                    f"{billions(top['value'])} = {dollars(top['value'])}",
                    top["formula"],
                )
            )
        tables.append(table([who, "value", "how"], rows, right=["value"]))
        paragraphs.append(
            f"**{who}** (`{grant}`): {len(g.get('tranches', []))} tranche(s) as modelled; "
            "the expected value weights unmet delivery conditions by the configured probability."
        )
    vol = ", ".join(f"{k} {v}" for k, v in a["volatility"].items())
    paragraphs.append(
        f"Assumptions (`[plugins.valuation]` in loopledger.toml): volatility {vol}; risk-free rate "
        f"{a['rate']}; dividend yield {a.get('dividend_yield', '0')}; probability that missing "
        f"deliveries happen {', '.join(f'{k} {v}' for k, v in a['probabilities'].items())}."
    )
    if not grants:
        paragraphs.insert(0, "No warrant is recorded.")
    return Section("Warrants", tuple(paragraphs), tuple(tables))
