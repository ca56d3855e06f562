"""What the loop report is built from: what was recorded, and every other plugin's output."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ledger.api.verification import VerifyReport
from ledger.plugin.reports import Source


@attrs.frozen
class Recorded:
    """What the store holds (and, for the demo, what the replay just put there)."""

    events: int
    parties: int
    first: dt.date | None
    last: dt.date | None
    confidence: Mapping[str, int]
    with_source: int
    store: str
    file: str | None = None
    """The replayed file, or None for a report on a store as it is."""
    new: int = 0
    present: int = 0


@attrs.frozen
class Findings:
    """Everything the report shows, as the plugins returned it (JSON-ready where it is JSON)."""

    as_of: dt.date | None
    recorded: Recorded
    verify: VerifyReport
    names: Mapping[str, str]
    audit: Mapping[str, Any] | None
    """``AuditReport.to_json()`` under pro-rata, or None when the audit plugin is disabled."""
    returned: Mapping[str, Mapping[str, Decimal]] = attrs.field(factory=dict)
    """rule → party → returned, for the fifo/lifo comparison."""
    figures: Sequence[Mapping[str, Any]] | None = None
    """``loopledger metrics --json`` figures, or None when the metrics plugin is disabled."""
    valuation: Mapping[str, Any] | None = None
    """``loopledger value --json`` data, or None when the valuation plugin is disabled."""
    files: Sequence[tuple[str, str]] = ()
    """(file name, what it holds) written into the output directory."""
    picture: str | None = None
    """The flow picture's file name, relative to the report (shown with the loops)."""
    next_steps: Sequence[tuple[str, str]] = ()
    """(command, what it shows)."""
    title: str = "Circular financing, audited"
    skipped: Sequence[str] = ()
    """Metrics not computed, as ``name (needs projection)``: their plugin is disabled."""
    sources: Sequence[Source] = ()
    """The sources of the figures shown (:mod:`plugins.demo.sources`)."""
    source_events: int = 0
    """How many recorded events the figures shown rest on."""


def confidence_counts(confidences: Iterable[str]) -> dict[str, int]:
    counts = Counter(confidences)
    return {k: counts.get(k, 0) for k in ("stated", "reported", "estimate")}


# --- sections ------------------------------------------------------------------------------------
