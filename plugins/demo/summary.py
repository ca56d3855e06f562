"""The loop report as data: what was recorded, whether it verifies, and the loop's numbers.

Why a pure builder: the terminal and ``report.md`` show the same :class:`~ledger.plugin.reports.Report`,
and tests can check its figures without running a command. Every amount here comes from another
plugin's output (audit, metrics, valuation); this module only chooses, orders and formats.

Rounding happens only here, for display: money in US$ billions half-even to one decimal
(``$26.2B``), ratios half-even to two decimals; headline amounts that matter to the dollar are
also shown exactly. The JSON files written next to the report keep every digit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ledger.faces.output import billions, percent, times
from ledger.model.safetext import visible
from ledger.plugin.reports import Report, Section, Table, table
from plugins.audit.api import RULES as TRACING_RULES
from plugins.audit.api import Rule
from plugins.demo.findings import Findings
from plugins.demo.schedule_table import schedule_table
from plugins.demo.sources import section as sources_section
from plugins.demo.warrants import warrants_section
from plugins.metrics.api import THIN_RULE

RULES: tuple[Rule, ...] = TRACING_RULES
LAYER_ORDER = ("cash", "committed", "equity", "all")
LAYER_MEANING = {
    "cash": "money actually paid",
    "committed": "promises outstanding (commitments net of amendments and draw-downs)",
    "equity": "stakes handed over (investments; warrants at grant-date fair value)",
    "all": "the union of the three: a loop may pay one way and promise the other",
}
ROUNDING = (
    "Display rounding: $B = US$ billions, half-even to 0.1; ratios half-even to 0.01; shares "
    "and headline amounts exact. The JSON files beside this report hold every figure exactly "
    "(Decimal strings), with the event ids it was computed from."
)


def _name(f: Findings, party: str) -> str:
    return visible(f.names.get(party, party))


def _history(f: Findings) -> Section:
    r = f.recorded
    c = r.confidence
    span = f"{r.first} … {r.last}" if r.first and r.last else "no dates"
    if r.file is not None:
        present = f", {r.present} already present" if r.present else ""
        first = (
            f"`{r.file}` replayed: {r.new} events recorded{present} in `{r.store}`, which holds "
            f"{r.events} events about {r.parties} parties, dated {span}."
        )
    elif r.events == 0:
        first = f"`{r.store}` holds no events yet: replay a deal-history file first."
    else:
        first = f"`{r.store}` holds {r.events} events about {r.parties} parties, dated {span}."
    sourced = (
        "Every event names its source"
        if r.with_source == r.events
        else f"**{r.events - r.with_source} of {r.events} events name no source**; the others do"
    )
    return Section(
        "What was recorded",
        (
            first,
            f"{sourced}. Confidence: {c.get('stated', 0)} stated by a company, "
            f"{c.get('reported', 0)} reported by the press, {c.get('estimate', 0)} estimates "
            "(the working is in each estimate's note). Figures are as of "
            + (f"**{f.as_of}**" if f.as_of else "the last recorded event")
            + ".",
        ),
    )


def _verification(f: Findings) -> Section:
    v = f.verify
    failed = [c for c in v.checks if not c.ok]
    if failed:
        lines = [
            (
                f"**{len(failed)} of {len(v.checks)} checks FAILED** on {v.records} records — run "
                "`loopledger verify` for the details."
            )
        ]
        lines += [f"{c.name}: {c.violations[0].message}" for c in failed if c.violations]
    else:
        lines = [
            f"All {len(v.checks)} checks hold on {v.records} records: "
            + ", ".join(c.name for c in v.checks)
            + "."
        ]
    lines += [f"Note: {n.message}" for n in v.notes]
    return Section("Verification", tuple(lines))


def _legs(cycle: Mapping[str, Any]) -> str:
    """For a loop of the ``all`` layer, the single layers of each leg in order (from the audit
    JSON): ``equity · committed`` (a leg present in several is joined with ``+``)."""
    if cycle["layer"] != "all":
        return str(cycle["layer"])
    return " · ".join("+".join(e.get("layers") or ["?"]) for e in cycle["edges"])


STANDING_ORDER = ("firm", "partly non-binding", "non-binding only")


def _standing(cycle: Mapping[str, Any]) -> str:
    """``firm: paid+binding · binding`` — the loop's label, then what each leg stands on (from
    the audit JSON); a loop not all firm says how much of it is: ``(firm ≥ $0.0B)``."""
    legs = " · ".join(str(e.get("standing", "?")) for e in cycle["edges"])
    standing = str(cycle.get("standing", "?"))
    firm = cycle.get("firm_bottleneck")
    if standing == "firm" or firm is None:
        return f"{standing}: {legs}"
    return f"{standing} (firm ≥ {billions(firm)}): {legs}"


def _distinct(cycles: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Drop an ``all``-layer loop that repeats a single-layer loop with the same bottleneck."""
    single = {(tuple(c["path"]), c["bottleneck"]) for c in cycles if c["layer"] != "all"}
    return [
        c
        for c in cycles
        if c["layer"] != "all" or (tuple(c["path"]), c["bottleneck"]) not in single
    ]


def _loops(f: Findings, full: bool) -> Section:
    if f.audit is None:
        return Section("Loops, by layer", ("Skipped: the audit plugin is disabled.",))
    # Firm loops lead (every leg paid, handed over or binding); loops resting on a letter of
    # intent follow, then those made only of letters — each by layer, biggest first.
    cycles = sorted(
        f.audit["cycles"],
        key=lambda c: (
            STANDING_ORDER.index(c["standing"]) if c.get("standing") in STANDING_ORDER else 3,
            LAYER_ORDER.index(c["layer"]),
            -Decimal(c["bottleneck"]),
        ),
    )
    per_layer = Counter(c["layer"] for c in cycles)
    per_standing = Counter(c.get("standing") for c in _distinct(cycles))
    layers = [x for x in LAYER_ORDER if x in f.audit["layers"]]
    columns = ["layer", "loop", "bottleneck", "legs stand on", "layers", "in date order"]
    rows = []
    for c in _distinct(cycles):
        row = [
            c["layer"],
            " → ".join(_name(f, p) for p in c["path"]),
            billions(c["bottleneck"]),
            _standing(c),
            _legs(c),
            "yes" if c["time_respecting"] else "no",
        ]
        if full:
            shown = ", ".join(c["events"][:4])
            row.append(shown + (f" (+{len(c['events']) - 4})" if len(c["events"]) > 4 else ""))
        rows.append(row)
    if full:
        columns.append("events")
    paragraphs = [
        "A loop is a cycle of flows between parties, found per layer: "
        + "; ".join(
            f"**{layer}** — {LAYER_MEANING[layer]}: {per_layer.get(layer, 0) or 'none'}"
            for layer in layers
        )
        + ".",
        (
            "The bottleneck is a loop's smallest flow: no more than that can have gone all the way "
            "round. *Legs stand on* says per leg, in loop order, what its flow is made of: **paid** "
            "(cash), **stake** (stock or warrants handed over), **binding** or **non-binding** (a "
            "promise outstanding, such as a letter of intent). A loop is **firm** when every leg "
            "holds something paid, handed over or binding; **partly non-binding** when some leg is "
            "only non-binding promises (*firm ≥* is then what could go round on firm terms alone); "
            "**non-binding only** when every leg is. Firm loops are listed first. For a loop of "
            "`all`, *layers* names the layer of each flow in order (a loop of `all` that repeats "
            "one above with the same bottleneck is not listed twice); *in date order* says whether "
            "some chain of its events, one per flow, runs forward in time."
        ),
        "Loops by standing: "
        + ", ".join(f"{per_standing.get(s, 0)} {s}" for s in STANDING_ORDER)
        + ".",
    ]
    if cycles and not per_layer.get("cash") and "cash" in layers:
        paragraphs.append(
            "No loop closes in cash: the loops here are promises and stakes; money has not yet "
            "gone round any of them."
        )
    tables = (table(columns, rows, right=["bottleneck"]),) if rows else ()
    images = (("Flows between the parties, loops highlighted", f.picture),) if f.picture else ()
    return Section("Loops, by layer", tuple(paragraphs), tables, images if full else ())


def _round_trips(f: Findings) -> Section:
    if f.audit is None:
        return Section("Round trips of cash", ("Skipped: the audit plugin is disabled.",))
    trips = [r for r in f.audit["round_trips"] if Decimal(r["departed"]) or Decimal(r["returned"])]
    trips.sort(key=lambda r: (-Decimal(r["returned"]), -Decimal(r["departed"]), r["party"]))
    others = [rule for rule in RULES if rule != f.audit["rule"] and rule in f.returned]
    rows = [
        (
            _name(f, r["party"]),
            billions(r["departed"]),
            billions(r["returned"]),
            percent(r["share"]),
            *(billions(f.returned[rule].get(r["party"], Decimal(0))) for rule in others),
        )
        for r in trips
    ]
    total_departed = sum((Decimal(r["departed"]) for r in trips), Decimal(0))
    total_returned = sum((Decimal(r["returned"]) for r in trips), Decimal(0))
    paragraphs = [
        (
            f"Each dollar a party pays another modelled party is tagged with its payer and followed "
            f"through every cash pool; under **{f.audit['rule']}** a payment carries each tag in "
            "proportion to the payer's pool. *Returned* is tagged money that reached its payer again."
        )
    ]
    none_back = all(not any(by_party.values()) for by_party in f.returned.values())
    if total_returned == 0 and none_back:
        rules = "any rule" if len(f.returned) == len(RULES) else f.audit["rule"]
        paragraphs.append(
            f"Of {billions(total_departed)} paid between modelled parties, none has come back to "
            f"its payer under {rules}: the cash recorded does not close a circle."
        )
    else:
        paragraphs.append(
            f"{billions(total_returned)} of {billions(total_departed)} paid between modelled "
            "parties came back to its payer."
        )
    columns = [
        "party",
        "paid to modelled parties",
        "returned",
        "share",
        *(f"returned ({r})" for r in others),
    ]
    tables: list[Table] = []
    if rows:
        tables.append(table(columns, rows, right=[c for c in columns if c != "party"]))
    sellers = [s for s in f.audit.get("sellers", []) if Decimal(s["purchase_revenue"])]
    if sellers:
        tables.append(
            table(
                ["seller", "purchase revenue", "its own money coming back", "share"],
                [
                    (
                        _name(f, s["seller"]),
                        billions(s["purchase_revenue"]),
                        billions(s["own_money_returned"]),
                        percent(s["share"]),
                    )
                    for s in sellers
                ],
                right=["purchase revenue", "its own money coming back", "share"],
            )
        )
    return Section(f"Round trips of cash ({f.audit['rule']})", tuple(paragraphs), tuple(tables))


def _skipped(f: Findings, metric: str) -> str | None:
    """``Skipped: …`` when ``metric`` could not run because a projection it needs is missing."""
    why = [s for s in f.skipped if s.split(" ", 1)[0] == metric]
    return f"Skipped: {why[0]} — a plugin it relies on is disabled." if why else None


def _figures(f: Findings, metric: str) -> list[Mapping[str, Any]]:
    return [x for x in (f.figures or ()) if x.get("metric") == metric]


def _owed(figure: Mapping[str, Any] | None) -> str:
    """``$594.7B (29.74×)`` from a coverage figure; ``—`` when there is none; the amount alone
    when there is no revenue to divide by."""
    if not figure or not Decimal((figure.get("detail") or {}).get("owed", "0")):
        return "—"
    if figure.get("value") is None:
        return billions(figure["detail"]["owed"])
    return f"{billions(figure['detail']['owed'])} ({times(figure.get('value'))})"


def _coverage(f: Findings, full: bool) -> Section:
    if f.figures is None:
        return Section("Commitment coverage", ("Skipped: the metrics plugin is disabled.",))
    if skipped := _skipped(f, "commitment_coverage"):
        return Section("Commitment coverage", (skipped,))
    groups = {
        label: {x["subject"]: x for x in _figures(f, f"commitment_coverage.{label}")}
        for label in ("binding", "contingent", "non_binding")
    }
    binding, waiting, non_binding = groups["binding"], groups["contingent"], groups["non_binding"]

    def owed(s: str) -> Decimal:
        return sum(
            (
                Decimal((g[s].get("detail") or {}).get("owed", "0"))
                for g in groups.values()
                if s in g
            ),
            Decimal(0),
        )

    # Parties with a revenue figure first (biggest multiple first), then the ones without —
    # listed too, so a big debtor without a revenue report is not silently left out.
    subjects = sorted(
        (s for s in set(binding) | set(non_binding) if owed(s)),
        key=lambda s: (
            binding.get(s, {}).get("value") is None,
            -Decimal(binding.get(s, {}).get("value") or 0),
            -owed(s),
            s,
        ),
    )
    rows = []
    for s in subjects:
        detail = (binding.get(s) or non_binding.get(s) or {}).get("detail", {})
        revenue, reference = detail.get("revenue"), detail.get("run_rate_reference")
        if revenue:
            used = f"{billions(revenue['annualised'])} (revenue, {revenue['report']})"
        elif reference:
            used = (
                f"no revenue report; its run-rate {billions(reference['run_rate'])} "
                f"({reference['report']}) would give {times(reference['owed_over_run_rate'])}, "
                "not used"
            )
        else:
            used = "no revenue report recorded"
        rows.append(
            (
                _name(f, s),
                _owed(binding.get(s)),
                _owed(waiting.get(s)),
                _owed(non_binding.get(s)),
                used,
            )
        )
    paragraphs = [
        (
            "Outstanding commitments a party owes, after amendments and draw-downs, and how many "
            "years of revenue they take. The denominator is the same in every period: the "
            "party's latest reported revenue (whole company), annualised as amount × 365 ÷ the "
            "period's days; a stated run-rate is never used (shown for reference where it is all "
            "a party reports). Binding commitments are split into what is owed over the "
            "contracts' terms — not payable now: the schedule below says in which year it falls "
            "due — and tranches that bind only as GW are delivered or if a trigger happens (an "
            "IPO filing, a milestone); non-binding promises apart."
        ),
    ]
    openai = binding.get("openai")
    if openai is not None and openai.get("value") is not None:
        rev = openai["detail"]["revenue"]
        extra = []
        if "openai" in waiting:
            extra.append(
                f"{billions(waiting['openai']['detail']['owed'])} of tranches that bind only as "
                f"GW are delivered or on a trigger ({times(waiting['openai']['value'])})"
            )
        if "openai" in non_binding and Decimal(non_binding["openai"]["detail"]["owed"]):
            extra.append(
                f"{billions(non_binding['openai']['detail']['owed'])} of non-binding promises "
                f"({times(non_binding['openai']['value'])})"
            )
        due = openai["detail"].get("falls_due") or {}
        soon = [(k, v) for k, v in due.items() if k.isdigit()][:2]
        when = (
            " Over the contracts' terms it falls due "
            + ", ".join(f"{billions(v)} in {k}" for k, v in soon)
            + ", the rest later"
            + (
                f" ({billions(due['term not stated'])} with no term stated)"
                if "term not stated" in due
                else ""
            )
            + "."
            if soon
            else ""
        )
        paragraphs.append(
            f"**OpenAI** owes {billions(openai['detail']['owed'])} under binding commitments "
            f"outstanding — {times(openai['value'])} its {billions(rev['annualised'])} annualised "
            f"revenue ({rev['report']})"
            + (", plus " + " and ".join(extra) if extra else "")
            + "."
            + when
        )
    tables: list[Table] = []
    if rows:
        columns = [
            "party",
            "binding, owed over the terms",
            "binding, waiting on GW or a trigger",
            "non-binding",
            "revenue used",
        ]
        tables.append(table(columns, rows, right=columns[1:4]))
    schedule = schedule_table(f, binding, subjects)
    if schedule is not None:
        tables.append(schedule)
        paragraphs.append(
            "*When the binding commitments fall due*: "
            + str(next(iter(binding.values()))["detail"].get("falls_due_rule", ""))
            + "; *term not stated*: the fact gives no end date."
        )
    if openai is not None and full:
        listed: dict[str, dict[str, Any]] = {}
        for group in (binding, waiting, non_binding):
            for c in (group.get("openai", {}).get("detail") or {}).get("commitments", []):
                listed.setdefault(c["id"], dict(c)).update(
                    {k: v for k, v in c.items() if k.startswith(("waiting", "tranches"))}
                )
        commitments = sorted(listed.values(), key=lambda c: -Decimal(c["outstanding"]))
        tables.append(
            table(
                ["OpenAI owes", "payee", "kind", "binding", "outstanding", "waiting"],
                [
                    (
                        c["id"],
                        _name(f, c["payee"]),
                        c["kind"],
                        "yes" if c["binding"] else "no",
                        billions(c["outstanding"]),
                        (
                            f"{billions(c['waiting_on_deliveries'])} "
                            f"({', '.join(c['tranches_waiting'])})"
                            if c.get("waiting_on_deliveries")
                            else ""
                        ),
                    )
                    for c in commitments
                ],
                right=["outstanding"],
            )
        )
    return Section("Commitment coverage", tuple(paragraphs), tuple(tables))


def _paid_cell(figure: Mapping[str, Any]) -> str:
    """The paid ratio, or why there is none: no recorded sale, or too few to mean anything."""
    if figure.get("value") is not None:
        return percent(figure["value"])
    detail = figure.get("detail") or {}
    reason = str(detail.get("reason") or "")
    base = detail.get("sales_base") or {}
    if reason.startswith(("too few", "rests on one day")):
        return f"n/m: {base.get('sales', '?')} sale(s)"
    if reason.startswith("no recorded revenue"):
        return "no recorded sale"
    return "—"


def _vendor_financing(f: Findings) -> Section:
    if f.figures is None:
        return Section("Vendor financing", ("Skipped: the metrics plugin is disabled.",))
    if skipped := _skipped(f, "vendor_financing"):
        return Section("Vendor financing", (skipped,))
    paid = {x["subject"]: x for x in _figures(f, "vendor_financing")}
    committed = {x["subject"]: x for x in _figures(f, "vendor_financing.committed")}
    subjects = sorted(set(paid) | set(committed))
    rows = []
    for s in subjects:
        p, c = paid.get(s, {}), committed.get(s, {})
        pd, cd = p.get("detail") or {}, c.get("detail") or {}
        if (
            not Decimal(pd.get("financing") or "0")
            and not Decimal(pd.get("revenue_from_customers") or "0")
            and c.get("value") is None
        ):
            continue
        rows.append(
            (
                _name(f, s),
                _paid_cell(p),
                billions(pd.get("financing")),
                billions(pd.get("revenue_from_customers")),
                percent(c.get("value")),
                billions(cd.get("financing")),
                billions(cd.get("buying")),
            )
        )
    paragraphs = [
        (
            "**Paid**: (cash invested in + lent to a supplier's customers + grant-date fair value of "
            "warrants granted to them) ÷ the revenue the supplier recorded from those customers. "
            "**With commitments**: the same plus investment promises outstanding, ÷ that revenue plus "
            "the purchase commitments the customers owe the supplier — the deal as announced. "
            "*Paid* counts only customers with a recorded purchase from the supplier; financing "
            "of customers who have only committed to buy enters the second ratio alone."
        ),
        (
            "Warrants enter at grant-date fair value (up-and-in barrier call; the valuation "
            "assumptions below), the amount ASC 606-10-32-25 deducts from the vendor's revenue."
        ),
        (
            "A ratio over recorded sales (*paid* here, customer concentration in `metrics`) is "
            f"{THIN_RULE}: otherwise it reads *n/m* (not meaningful) with the number of sales, "
            "and `metrics.json` keeps the exact quotient as `computed` beside the reason. *No "
            "recorded sale*: nothing bought from the supplier is in the history yet."
        ),
    ]
    columns = [
        "supplier",
        "paid",
        "financing of buyers",
        "their purchases",
        "with commitments",
        "paid + promised",
        "bought + committed",
    ]
    tables = (table(columns, rows, right=columns[1:]),) if rows else ()
    return Section("Vendor financing", tuple(paragraphs), tables)


def _files(f: Findings, full: bool) -> Section:
    if not full:
        return Section("Files written", (", ".join(f"`{n}`" for n, _ in f.files) + ".",))
    return Section(
        "Files written",
        (),
        (table(["file", "what it holds"], [(f"`{n}`", what) for n, what in f.files]),),
    )


def _next(f: Findings) -> Section:
    return Section(
        "What to run next",
        ("\n".join(f"- `{command}` — {what}" for command, what in f.next_steps),),
    )


def build(f: Findings, *, full: bool = True) -> Report:
    """The demo report: history, verification, loops, round trips, coverage, financing, warrants.

    ``full=False`` is the terminal's version: no event-id columns, picture or commitment list
    (they are in ``report.md`` and the JSON files).
    """
    sections = [
        _history(f),
        _verification(f),
        _loops(f, full),
        _round_trips(f),
        _coverage(f, full),
        _vendor_financing(f),
        warrants_section(f),
    ]
    sections.append(sources_section(f.sources, f.source_events, full))
    if f.files:
        sections.append(_files(f, full))
    if f.next_steps:
        sections.append(_next(f))
    return Report(
        f.title,
        tuple(sections),
        footnotes=(ROUNDING,),
        sources=tuple(f.sources),
    )
