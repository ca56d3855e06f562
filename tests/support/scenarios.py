"""The small history and scenario the scenario tests compute by hand, and helpers around them.

ChipCo sells compute to LabCo and invests in it; LabCo holds a zero-strike ChipCo warrant that
needs 2 GW delivered and ChipCo at $50. Valuation runs with volatility 0 and rate 0, so every
option value is a closed form: a zero-strike call is worth the share price, and an up-and-in
call whose deterministic path never reaches the barrier is worth 0.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from ledger.testing import plugin_manager

BASE = """\
loopledger: 1
parties:
  - {id: chipco, name: ChipCo, ticker: CHIP, shares_outstanding: 1000}
  - {id: labco, name: LabCo}
events:
  - {id: ob-lab, date: 2025-01-02, type: opening_balance, party: labco, amount: "50"}
  - {id: ob-chip, date: 2025-01-02, type: opening_balance, party: chipco, amount: "100"}
  - {id: inv, date: 2025-01-03, type: investment, investor: chipco, investee: labco, amount: "50"}
  - {id: px, date: 2025-01-04, type: price, party: chipco, per_share: "20"}
  - id: com
    date: 2025-01-05
    type: commitment
    payer: labco
    payee: chipco
    amount: "60"
    kind: purchase
    capacity_gw: "2"
  - id: grant
    date: 2025-01-06
    type: warrant_grant
    issuer: chipco
    holder: labco
    shares: 10
    strike: "0"
    expiry: 2026-01-06
    commitment: com
    tranches:
      - id: t1
        shares: 10
        conditions: [{delivered_gw: {at_least: 2}}, {share_price: {at_least: 50}}]
"""

SCENARIO = """\
loopledger-scenario: 1
name: deliver
title: ChipCo delivers both GW, paid, and trades at $60
as_of: 2025-02-28
changes:
  - generate: deliveries
    commitment: com
    gw: "1"
    every: week
    from: 2025-02-01
    pay: true
  - prices:
      party: chipco
      per_share: [[2025-02-10, "60"]]
"""

CONFIG = {"plugins": {"valuation": {"volatility": "0", "rate": "0"}}}


def plugins(*extra: object):
    """Built-ins (and ``extra``) with volatility 0 and rate 0, no entry points."""
    return plugin_manager(*extra, config=CONFIG)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def scenario_text(*changes: str, name: str = "probe", head: str = "") -> str:
    """A scenario file with the given change items (each a YAML list item without '- ')."""
    body = "\n".join("  - " + textwrap.indent(c.strip(), "    ").lstrip() for c in changes)
    return (
        f"loopledger-scenario: 1\nname: {name}\n{head}changes:\n{body}\n"
        if changes
        else (f"loopledger-scenario: 1\nname: {name}\n{head}changes: []\n")
    )
