"""How ``loopledger audit`` prints a report: tables of loops and round trips, amounts in $B."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger.faces.output import billions, percent

if TYPE_CHECKING:
    from plugins.audit.api import AuditReport

# The CLI starts with every plugin imported: networkx (cycles) and matplotlib (picture) are
# imported only by the code that needs them, so other commands do not pay ~0.5 s for them.


def _events(ids: tuple[str, ...], shown: int = 4) -> str:
    """One id a line (ids are long and must not break), the rest counted."""
    lines = list(ids[:shown])
    if len(ids) > shown:
        lines.append(f"(+{len(ids) - shown} more)")
    return "\n".join(lines)


def _table(
    title: str, columns: list[str], rows: list[tuple[Any, ...]], right: tuple[str, ...]
) -> Any:
    from ledger.faces.output import table

    t = table(title, columns, rows, right=right)
    for column in t.columns:
        column.no_wrap = column.header in ("layer", "in order", *right)
        if column.header == "loop":
            column.min_width = 20
    return t


def _shares(
    report: Any, title: str, columns: list[str], rows: list[tuple[str, Any, Any, Any]]
) -> Any:
    """A table of parties, two amounts and the share the second is of the first."""
    return _table(
        title,
        columns,
        [(report.name(p), billions(a), billions(b), percent(share, 1)) for p, a, b, share in rows],
        right=tuple(columns[1:]),
    )


STANDING_NOTE = (
    "legs stand on: per leg, in loop order, what its flow is made of — paid (cash), stake "
    "(stock or warrants handed over; warrants at grant-date fair value), binding or non-binding "
    "(a promise outstanding). A loop is firm when every leg holds something paid, handed over "
    "or binding; 'firm ≥' is the smallest leg without its non-binding part."
)


def standing_cell(report: AuditReport, cycle: Any) -> str:
    """``non-binding only: non-binding · non-binding`` — the loop's label and each leg's."""
    standing, firm = report.standing(cycle)
    legs = " · ".join(p.label for p in report.legs(cycle))
    if standing == "firm" and firm == cycle.bottleneck:
        return f"{standing}: {legs}"
    return f"{standing} (firm ≥ {billions(firm)}): {legs}"


DISPLAY_ROUNDING = (
    "$B: billions rounded half-even to 0.1 for display only; --json prints exact amounts."
)


def print_report(report: AuditReport) -> None:
    from ledger.faces.output import console

    out = console()
    when = f" as of {report.as_of.isoformat()}" if report.as_of else ""
    currency = "" if report.currency == "USD" else f" ({report.currency})"
    if report.cycles:
        loops = [
            (
                i,
                c.layer,
                " → ".join(report.name(p) for p in c.path),
                billions(c.bottleneck),
                standing_cell(report, c),
                "yes" if c.time_respecting else "NO",
                _events(c.event_ids) + "".join(f"\n{n}" for n in report.notes(c)),
            )
            for i, c in enumerate(report.headline(), start=1)
        ]
        out.print(
            _table(
                f"Loops{when}{currency}: firm first, then those resting on non-binding promises; "
                f"biggest first within each (layers: {', '.join(report.layers)})",
                ["#", "layer", "loop", "bottleneck", "legs stand on", "in order", "events"],
                loops,
                right=("#", "bottleneck"),
            )
        )
        out.print(STANDING_NOTE, markup=False)
    else:
        out.print(
            f"No loops{when} in layers {', '.join(report.layers)}"
            f" (min amount {report.min_amount}, at most {report.max_length or 'any'} parties).",
            markup=False,
        )
    note = report.search.note() if report.search is not None else None
    if note:
        out.print(
            f"{note} (--max-cycles {report.max_cycles}; the biggest are listed). Raise"
            " --min-amount or lower --max-length to narrow the search.",
            markup=False,
        )
    parties = sorted(report.trace.parties, key=lambda f: (-f.returned, -f.departed, f.party))
    sellers = sorted(report.trace.sellers, key=lambda s: (-s.own_money_returned, s.seller))
    shares = [
        (
            f"Round trips of cash{when}{currency}, rule {report.rule}: paid to other parties, and back",
            ["party", "departed", "returned", "share"],
            [(f.party, f.departed, f.returned, f.share) for f in parties],
        ),
        (
            f"Sellers{when}, rule {report.rule}: purchase revenue that was their own money",
            ["seller", "purchase revenue", "own money", "share"],
            [(s.seller, s.purchase_revenue, s.own_money_returned, s.share) for s in sellers],
        ),
    ]
    for title, columns, figures in shares:
        if figures or columns[0] == "party":  # the sellers' table only when there are sellers
            out.print(_shares(report, title, columns, figures))
    for w in report.warrants:
        if w.note:
            out.print(f"note: warrant '{w.grant}': {w.note}", markup=False)
    out.print(
        "in order: some chain of the loop's events, one per flow, runs in date order.",
        DISPLAY_ROUNDING,
        sep="\n",
        markup=False,
    )


def short_name(name: str, limit: int = 16) -> str:
    """A long name without its parenthetical qualifier, for the picture.

    Why: names sit outside the circle and the layout keeps them inside the figure, so one
    40-character name ("Stargate (OpenAI/SoftBank/Oracle/MGX venture)") shrinks the whole
    drawing; "Stargate" says enough on a picture whose numbers are in ``audit --json``.
    """
    if len(name) <= limit:
        return name
    return name.split(" (", 1)[0].strip() or name
