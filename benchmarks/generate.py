"""Synthetic deal histories for benchmarks: valid, deterministic, any size.

Twenty parties trade in loops: opening balances, commitments with tranches, purchases that draw
them down, investments, loans and repayments, deliveries, prices and revenue reports — the
mix of the real 2025 history, scaled up.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

PARTIES = [f"p{i:02d}" for i in range(20)]


def history(
    n_events: int, *, seed: int = 7, start_index: int = 0, with_parties: bool = True
) -> dict[str, Any]:
    """A history of ``n_events`` events (ids ``e<start_index>…``)."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    day0 = dt.date(2020, 1, 1)
    commitments: list[tuple[str, str, str]] = []
    loans: list[tuple[str, int]] = []
    i = start_index

    def add(**fields: Any) -> None:
        nonlocal i
        events.append({"id": f"e{i}", **fields})
        i += 1

    if start_index == 0:
        for p in PARTIES:
            add(date="2020-01-01", type="opening_balance", party=p, amount="1000T")
    while len(events) < n_events:
        day = (day0 + dt.timedelta(days=(i * 3650) // max(n_events, 1) + start_index)).isoformat()
        a, b = rng.sample(PARTIES, 2)
        amount = f"{rng.randint(1, 10_000_000)}.{rng.randint(0, 99):02d}"
        r = rng.random()
        if r < 0.30:
            if commitments and rng.random() < 0.6:
                cid, payer, payee = rng.choice(commitments)
                add(
                    date=day,
                    type="purchase",
                    buyer=payer,
                    seller=payee,
                    amount=amount,
                    item="GPUs",
                    commitment=cid,
                )
            else:
                add(date=day, type="purchase", buyer=a, seller=b, amount=amount, item="GPUs")
        elif r < 0.45:
            add(
                date=day,
                type="investment",
                investor=a,
                investee=b,
                amount=amount,
                shares=rng.randint(1, 10_000),
            )
        elif r < 0.55:
            cid = f"e{i}"
            add(
                date=day,
                type="commitment",
                payer=a,
                payee=b,
                amount="50M",
                kind="purchase",
                tranches=[
                    {"id": "t1", "amount": "25M"},
                    {"id": "t2", "amount": "25M", "condition": {"delivered_gw": {"at_least": 1}}},
                ],
            )
            commitments.append((cid, a, b))
        elif r < 0.62:
            loans.append((f"e{i}", i))
            add(date=day, type="loan", lender=a, borrower=b, amount=amount, rate="0.05")
        elif r < 0.68 and loans:
            lid, _ = loans.pop(rng.randrange(len(loans)))
            add(date=day, type="repayment", loan=lid, amount="1000.00")
        elif r < 0.78:
            add(date=day, type="delivery", supplier=a, customer=b, capacity_gw="0.01")
        elif r < 0.90:
            add(
                date=day,
                type="price",
                party=a,
                per_share=f"{rng.randint(10, 900)}.{rng.randint(0, 99):02d}",
            )
        else:
            add(
                date=day,
                type="revenue_report",
                party=a,
                period_start=day,
                period_end=day,
                amount=amount,
            )
    doc: dict[str, Any] = {"loopledger": 1, "title": f"synthetic {n_events}", "events": events}
    if with_parties:
        doc["parties"] = [{"id": p, "name": p.upper()} for p in PARTIES]
    return doc


def write(path: Path, n_events: int, **kwargs: Any) -> Path:
    path.write_text(json.dumps(history(n_events, **kwargs)), encoding="utf-8")
    return path
