"""Built-in plugin ``valuation``: what every party holds, valued as of any date.

Registers the ``valuation.positions`` projection, the built-in valuer (``trylast``, so a user
plugin answering ``ledger_value_instrument`` for one kind overrides it) and the
``loopledger value`` command. Settings come from ``[plugins.valuation]`` (see
:class:`plugins.valuation.holdings.Settings`); they are read per command from the session's
plugin facade, so two plugin managers in one process never share configuration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import click

from ledger import hookimpl
from ledger.model.problems import InputError, LedgerError, Problem
from ledger.model.values import Party
from plugins.valuation import positions
from plugins.valuation.holdings import Holding, Market, Settings, Valuation
from plugins.valuation.valuer import ledger_value_instrument

__all__ = [
    "ledger_register_commands",
    "ledger_register_projections",
    "ledger_value_instrument",
    "report",
]

NAME = positions.NAME
ZERO = Decimal(0)
BILLION = Decimal(10) ** 9
_STAKES = ("shares", "private_stake")  # a quantity of 0 there means "no share count recorded"
RULES = {
    "as_of": "the --as-of date, else the date of the last recorded event",
    "prices": "the last recorded mark on or before the date; marks of the same date: the one "
    "recorded last",
    "years": "days to expiry / 365, to 50 significant digits",
    "rounding": "option values half-even to 1E-10 per share, then × shares exactly; "
    "everything else exact",
    "signs": "payables (commitments and loans owed) are negative",
}


@hookimpl
def ledger_register_projections(register: Callable[..., None]) -> None:
    register(positions.PROJECTION)


# --- the report ----------------------------------------------------------------------------------


def assumptions(settings: Settings) -> dict[str, Any]:
    """What every valuation output states: the settings and the rules applied."""
    return {**settings.describe(), "rules": RULES}


def _value(
    plugins: Any, h: Holding, as_of: dt.date, market: Market, settings: Settings
) -> Valuation:
    answer = plugins.value_instrument(
        kind=h.kind, holding=h, as_of=as_of, market=market, settings=settings
    )
    if not isinstance(answer, Valuation):
        what = (
            "no valuer answered" if answer is None else f"a valuer returned {type(answer).__name__}"
        )
        raise LedgerError(
            f"cannot value {h.kind} '{h.instrument}' of {h.party}: {what} "
            "(ledger_value_instrument must return plugins.valuation.holdings.Valuation)"
        )
    return answer


def _row(h: Holding, v: Valuation) -> dict[str, Any]:
    row: dict[str, Any] = {
        "party": h.party,
        "kind": h.kind,
        "instrument": h.instrument,
        "counterparty": h.counterparty,
        "quantity": None if h.kind in _STAKES and h.quantity == 0 else h.quantity,
        "currency": h.currency,
        "value": v.value,
        "value_if_met": v.value_if_met,
        "basis": v.basis,
        "assumptions": dict(v.assumptions),
        "inputs": list(v.inputs),
    }
    if h.cost is not None:
        row["cost"] = h.cost
    if h.side is not None:
        row["side"] = h.side
    if h.binding is not None:
        row["binding"] = h.binding
    return row


def _total(values: Sequence[Decimal | None]) -> Decimal | None:
    return (
        None if any(v is None for v in values) else sum((v for v in values if v is not None), ZERO)
    )


def _warrant_row(lines: list[tuple[Holding, Valuation]], market: Market) -> dict[str, Any]:
    """One row per grant: the tranches, their sum, intrinsic value now and if all hurdles are met."""
    first = lines[0][0]
    t = first.tranche
    assert t is not None
    quantity = sum((h.quantity for h, _ in lines), ZERO)
    spot = market.last_price(t.issuer)
    hurdles = [h.tranche.price_hurdle for h, _ in lines if h.tranche and h.tranche.price_hurdle]
    top = max(hurdles) if hurdles else None
    inputs = list(dict.fromkeys(i for _, v in lines for i in v.inputs))
    return {
        "party": first.party,
        "kind": "warrant",
        "instrument": t.grant,
        "counterparty": t.issuer,
        "quantity": quantity,
        "currency": first.currency,
        "value": _total([v.value for _, v in lines]),
        "value_if_met": _total([v.value_if_met for _, v in lines]),
        "basis": f"sum of {len(lines)} tranche{'s' if len(lines) > 1 else ''}",
        "assumptions": {"strike": t.strike, "expiry": t.expiry, "grant_date": t.grant_date},
        "inputs": inputs,
        "intrinsic_at_spot": None
        if spot is None
        else {
            "price": spot.amount,
            "price_date": spot.date,
            "price_event": spot.event_id,
            "value": quantity * max(spot.amount - t.strike, ZERO),
            "formula": f"{quantity} × ({spot.amount} − {t.strike})",
        },
        "if_all_hurdles_met": None
        if top is None
        else {
            "price": top,
            "value": quantity * max(top - t.strike, ZERO),
            "formula": f"{quantity} × ({top} − {t.strike})",
            "meaning": "intrinsic value if every condition is met and the share price stands at "
            "the final hurdle",
        },
        "tranches": [
            _row(h, v) | {"tranche": h.tranche.tranche if h.tranche else None} for h, v in lines
        ],
    }


def report(
    state: positions.Positions,
    parties: Mapping[str, Party],
    as_of: dt.date,
    plugins: Any,
    settings: Settings,
    party: str | None = None,
) -> dict[str, Any]:
    """The valuation as JSON-ready data (Decimals exact), as ``loopledger value --json`` prints it.

    ``plugins`` is the plugin facade (``session.plugins``): every holding is valued through
    ``ledger_value_instrument``, so user valuers take part.
    """
    market = Market.build(as_of, state.prices, state.valuations, parties)
    rows: list[dict[str, Any]] = []
    grants: dict[str, list[tuple[Holding, Valuation]]] = {}
    for h in positions.holdings(state, lambda issuer: market.last_price(issuer) is not None):
        if party is not None and h.party != party:
            continue
        v = _value(plugins, h, as_of, market, settings)
        if h.tranche is None:
            rows.append(_row(h, v))
            continue
        if h.tranche.grant not in grants:
            grants[h.tranche.grant] = []
            rows.append({"grant": h.tranche.grant})  # placeholder, keeps the order
        grants[h.tranche.grant].append((h, v))
    rows = [_warrant_row(grants[r["grant"]], market) if "grant" in r else r for r in rows]
    return {
        "as_of": as_of,
        "assumptions": assumptions(settings),
        "holdings": rows,
    }


# --- the command ---------------------------------------------------------------------------------


def _billions(value: Decimal | None, currency: str = "USD") -> str:
    """Money for the table: billions, half-even to 3 decimals (the JSON keeps every digit)."""
    if value is None:
        return "unknown"
    shown = (abs(value) / BILLION).quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN)
    sign = "-" if value < 0 and shown else ""
    return f"{sign}${shown:,}B" if currency == "USD" else f"{sign}{shown:,}B {currency}"


def _shown(row: Mapping[str, Any]) -> str:
    text = _billions(row["value"], row["currency"])
    if row["value_if_met"] != row["value"]:
        text += f"\n(if met {_billions(row['value_if_met'], row['currency'])})"
    return text


def _print(data: Mapping[str, Any]) -> None:
    from rich.table import Table

    from ledger.faces.output import console, grouped

    out = console()
    by_party: dict[str, list[Mapping[str, Any]]] = {}
    for r in data["holdings"]:
        by_party.setdefault(r["party"], []).append(r)
    for party, listing in by_party.items():
        t = Table(
            title=f"{party} — holdings valued as of {data['as_of']}",
            title_justify="left",
        )
        t.add_column("instrument", overflow="fold", max_width=32)
        t.add_column("kind", no_wrap=True)
        t.add_column("quantity", justify="right", no_wrap=True)
        t.add_column("value", justify="right", no_wrap=True)
        t.add_column("basis", overflow="fold", min_width=22)
        for r in listing:
            quantity = "?" if r["quantity"] is None else grouped(r["quantity"])
            if r["kind"] in ("commitment", "loan"):
                quantity = ""  # the face amount is the value
            t.add_row(r["instrument"], r["kind"], quantity, _shown(r), r["basis"])
            for x in r.get("tranches", []):
                t.add_row(
                    f"  {x['tranche']}", "tranche", grouped(x["quantity"]), _shown(x), x["basis"]
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
                        _billions(x["value"], r["currency"]),
                        x["formula"],
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
        f"missing deliveries happen {prob}; years = days/365.",
        markup=False,
    )


@hookimpl
def ledger_register_commands(cli: click.Group) -> None:
    from ledger.faces.options import as_of_option, exit_on_failures, json_option
    from ledger.faces.output import print_json

    @cli.command("value")
    @as_of_option
    @click.option("--party", "-p", help="Only this party's holdings.")
    @json_option
    @click.pass_obj
    def value_command(
        session: Any, as_of: dt.date | None, party: str | None, as_json: bool
    ) -> None:
        """Value every party's holdings as of a date: shares, private stakes, warrant tranches
        (Black–Scholes / up-and-in barrier calls), commitments and loans at face.

        Each line states its basis, assumptions and the event ids it rests on. Volatility, rate
        and probabilities come from [plugins.valuation] in loopledger.toml (defaults: volatility
        0.50, rate 0.04, probability 0). Without --as-of: the date of the last recorded event.
        """
        settings = Settings.from_config(session.plugins.plugin_config("valuation"))
        result = session.engine().run(as_of=as_of)
        exit_on_failures(result, NAME)
        parties = result.book.parties
        if party is not None and party not in parties:
            raise InputError(
                Problem(
                    field="--party",
                    message=f"unknown party '{party}' (known: {', '.join(sorted(parties)) or 'none'})",
                )
            )
        day = as_of or result.book.max_date
        if day is None:
            data: dict[str, Any] = {
                "as_of": None,
                "assumptions": assumptions(settings),
                "holdings": [],
            }
        else:
            data = report(result.state(NAME), parties, day, session.plugins, settings, party)
        if as_json:
            print_json(data)
        else:
            _print(data)
