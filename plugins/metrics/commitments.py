"""Commitment coverage (obligations ÷ annualised revenue) and the funding gap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from ledger.model.values import WORLD
from ledger.plugin.evidence import EventIds, Tally
from ledger.plugin.figures import AMOUNT_PRECISION, Figure, ratio
from plugins.metrics.flows import CASH_NOTE, CURRENCY, DAYS_PER_YEAR, ZERO, Report, latest_report
from plugins.metrics.inputs import Inputs, add_commitment, add_ids, ratio_figure, sum_of
from plugins.metrics.schedule import ASSUMPTION as SCHEDULE_ASSUMPTION
from plugins.metrics.schedule import add_schedules, schedule
from plugins.valuation.api import (
    CommitmentPosition,
    contingent,
)


def annual_report(basis: Inputs, party: str, measures: tuple[str, ...]) -> Report | None:
    """The latest whole-company report of ``party`` (by period end, then recorded order)."""
    others = basis.flows.other_currency_reports
    if others:
        basis.left_out.add("reports:other-currencies", others, others.total)
    return latest_report(basis.flows, party, measures, basis.as_of)


DENOMINATOR: Final = (
    "the same in every period: the party's latest reported revenue (whole company, a period "
    "ended on or before the date), annualised as amount × 365 ÷ the period's days; a stated "
    "run-rate is never the denominator (it is shown beside, for reference)"
)


def _commitments(
    owed: list[CommitmentPosition],
    part: Mapping[str, Decimal] | None = None,
    waiting: Mapping[str, tuple[Decimal, tuple[str, ...]]] | None = None,
    as_of: dt.date | None = None,
) -> list[dict[str, Any]]:
    part = part if part is not None else {c.id: c.outstanding for c in owed}
    waiting = waiting or {}
    return [
        {
            "id": c.id,
            "payee": c.payee,
            "kind": c.kind,
            "binding": c.binding,
            "outstanding": c.outstanding,
            "counted": part[c.id],
            "start": c.start,
            "end": c.end,
            **(
                {"falls_due": schedule(part[c.id], c.start, c.end, as_of)}
                if as_of is not None
                else {}
            ),
            **(
                {"waiting_on_deliveries": waiting[c.id][0], "tranches_waiting": waiting[c.id][1]}
                if c.id in waiting and waiting[c.id][0]
                else {}
            ),
        }
        for c in owed
    ]


def commitment_coverage(
    states: Mapping[str, Any],
    as_of: dt.date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Figure]:
    """Per party: outstanding commitments it owes (binding, non-binding) ÷ its latest annualised
    reported revenue — how many years of revenue the commitments take.

    One denominator rule in every period (:data:`DENOMINATOR`): reported revenue, annualised; a
    party that states only a run-rate gets no ratio (its run-rate and the ratio it would give
    are in ``detail.run_rate_reference``), so a series never changes measure between quarters.
    Binding commitments are also split by when they fall due (``falls_due``: by calendar year
    over each one's stated term, :mod:`plugins.metrics.schedule`)."""
    basis = Inputs.of(states, as_of, settings)
    if basis is None:
        return []
    payers = sorted(
        {c.payer for c in basis.positions.commitments.values() if c.outstanding} - {WORLD}
    )
    figures = []
    for party in payers:
        owed = basis.owed_by(party)
        report = annual_report(basis, party, ("revenue",))
        stated = annual_report(basis, party, ("run_rate",))
        annual: dict[str, Any] = {}
        days = Decimal(1)
        if report is not None:
            period = (report.period_end - report.period_start).days + 1
            run_rate = report.measure == "run_rate"
            days = Decimal(1) if run_rate else Decimal(period)
            annual = {
                "report": report.id,
                "measure": report.measure,
                "period_start": report.period_start,
                "period_end": report.period_end,
                "period_days": period,
                "reported": report.amount,
                "annualised": report.amount
                if run_rate
                else ratio(report.amount * DAYS_PER_YEAR, Decimal(period)),
                "annualisation": "run rate as reported"
                if run_rate
                else "amount × 365 ÷ days in the period (both ends included)",
            }
        waiting = {c.id: contingent(basis.positions, c) for c in owed}
        due = {c.id: c.outstanding - waiting[c.id][0] for c in owed}
        groups = (
            ("binding", [c for c in owed if c.binding and due[c.id]], due),
            (
                "contingent",
                [c for c in owed if c.binding and waiting[c.id][0]],
                {i: w[0] for i, w in waiting.items()},
            ),
            (
                "non_binding",
                [c for c in owed if not c.binding],
                {c.id: c.outstanding for c in owed},
            ),
        )
        for label, chosen, part in groups:
            amount = sum_of(part[c.id] for c in chosen)
            listed = _commitments(chosen, part, waiting, basis.as_of)
            detail = basis.detail(
                owed=amount,
                commitments=listed,
                revenue=annual or None,
                denominator=DENOMINATOR,
            )
            if label == "binding":
                detail["falls_due"] = add_schedules(c["falls_due"] for c in listed)
                detail["falls_due_rule"] = SCHEDULE_ASSUMPTION
            if stated is not None:
                detail["run_rate_reference"] = {
                    "report": stated.id,
                    "period_end": stated.period_end,
                    "run_rate": stated.amount,
                    "owed_over_run_rate": ratio(amount, stated.amount),
                    "note": "for reference only: coverage divides by reported revenue",
                }
            # owed ÷ (amount × 365 / days) computed as one quotient: owed × days ÷ (amount × 365)
            denominator = (
                ZERO
                if report is None
                else report.amount * (Decimal(1) if report.measure == "run_rate" else DAYS_PER_YEAR)
            )
            if report is None:
                detail["reason"] = (
                    f"no revenue report of {party} (whole company) for a period ending on or "
                    f"before {basis.as_of.isoformat()}"
                    + ("; a run-rate is recorded (run_rate_reference)" if stated else "")
                )
            if label == "contingent" and not chosen:
                continue
            inputs = Tally()
            for c in chosen:
                add_commitment(inputs, c)
            inputs.add_ids([report.id] if report else [])
            figures.append(
                ratio_figure(
                    f"commitment_coverage.{label}",
                    party,
                    amount * days,
                    denominator,
                    inputs,
                    detail,
                )
            )
    return figures


def funding_gap(
    states: Mapping[str, Any],
    as_of: dt.date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Figure]:
    """Per party: outstanding commitments it owes − (its cash + investment commitments owed to it)."""
    basis = Inputs.of(states, as_of, settings)
    if basis is None:
        return []
    commitments = list(basis.positions.commitments.values())
    payers = sorted({c.payer for c in commitments if c.outstanding} - {WORLD})
    figures = []
    for party in payers:
        owed = basis.owed_by(party)
        funding = basis.usd(
            c for c in basis.commitments_to(party) if c.kind == "investment" and c.outstanding
        )
        cash = basis.flows.cash.get((party, CURRENCY), ZERO)
        owed_all = sum_of(c.outstanding for c in owed)
        owed_binding = sum_of(c.outstanding for c in owed if c.binding)
        funded = sum_of(c.outstanding for c in funding)
        funded_binding = sum_of(c.outstanding for c in funding if c.binding)
        # Every draw on these moved the party's cash: the cash inputs count it already.
        inputs = Tally()
        for c in [*owed, *funding]:
            add_commitment(inputs, c, draws_counted=True, as_cash=True)
        add_ids(inputs, f"cash:{party}", basis.flows.cash_inputs.get(party) or EventIds())
        figures.append(
            Figure(
                metric="funding_gap",
                subject=party,
                value=owed_all - (cash + funded),
                unit=CURRENCY,
                precision=AMOUNT_PRECISION,
                inputs=inputs.ids,
                inputs_total=inputs.total,
                detail=basis.detail(
                    owed=owed_all,
                    owed_binding=owed_binding,
                    cash=cash,
                    cash_note=CASH_NOTE,
                    investment_commitments_owed_to_it=funded,
                    binding_only=owed_binding - (cash + funded_binding),
                    commitments_owed=_commitments(owed),
                    commitments_owed_to_it=_commitments(funding),
                    sign="positive: a gap to fund; negative: covered",
                ),
            )
        )
    return figures
