"""``loopledger report --format html``: every page of the web app in one self-contained file.

Why one file: it is what a journalist attaches to an email or publishes — it opens from disk
with no network and no server. The scripts and styles are inlined (the same pinned files the
server sends), the data of every page is embedded, and the as-of control of the loop steps
through snapshots taken at the recorded dates (at most :data:`MAX_SNAPSHOTS`, evenly spread,
the last always included). Links between pages are anchors in the file; the only external
links are the events' sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

from ledger.api import Ledger
from ledger.faces.web import pages
from ledger.faces.web.render import Links, render
from ledger.faces.web.site import Site
from ledger.plugin.reports import Section

MAX_SNAPSHOTS: Final = 80


def snapshot_dates(dates: Sequence[str], as_of: dt.date | None) -> list[str]:
    """The recorded dates the file carries a loop snapshot for (on or before ``as_of``)."""
    chosen = [d for d in dates if as_of is None or d <= as_of.isoformat()]
    if len(chosen) <= MAX_SNAPSHOTS:
        return chosen
    step = (len(chosen) - 1) / (MAX_SNAPSHOTS - 1)
    picked = {chosen[round(i * step)] for i in range(MAX_SNAPSHOTS)}
    return sorted(picked | {chosen[-1]})


def render_report(
    ledger: Ledger,
    as_of: dt.date | None = None,
    *,
    title: str = "Circular financing, audited",
    sections: Sequence[Section] = (),
    verified: Any = None,
) -> str:
    """The whole report as one HTML document (``sections``: a narrative shown first;
    ``verified``: the verify report already run on this store, else it is run here)."""
    site = Site(ledger)
    if verified is not None:
        site.known_verify(verified)
    links = Links(report=True)
    loop = pages.loop(site, as_of, links)
    dates = snapshot_dates(loop["dates"], as_of)
    if as_of is not None and as_of.isoformat() not in dates:
        dates.append(as_of.isoformat())
    loop["loop_data"]["snapshots"] = {d: site.loop(dt.date.fromisoformat(d)) for d in dates}
    loop["loop_data"]["dates"] = sorted(set(dates))
    loop["dates"] = loop["loop_data"]["dates"]
    from ledger.faces.web.site import sections_data

    context: dict[str, Any] = {
        **loop,
        "report": True,
        "page": "report",
        "title": title,
        "report_title": title,
        "report_sections": sections_data(list(sections)) if sections else [],
        "as_of": as_of.isoformat() if as_of else None,
        "party_rows": pages.party_rows(site, as_of),
        "party_pages": [
            {"p": site.party(pid, as_of), "panels": site.panels("party", as_of, pid)}
            for pid in site.party_ids()
        ],
        "event_rows": site.events(as_of)["events"],
        "event_types": pages.events(site, as_of, links)["event_types"],
        **{
            k: v
            for k, v in pages.metrics(site, links, as_of).items()
            if k in ("metrics", "descriptions", "csv_href")
        },
        "warrants": site.warrants(as_of),
        "verify": site.verify(),
        "plugin_pages": [site.render_plugin(spec, as_of) for spec in site.page_specs(None)],
        "panels": site.panels("loop", as_of),
    }
    return render("report.html", **context)
