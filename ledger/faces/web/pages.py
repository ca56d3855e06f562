"""Each page's template context, from the :class:`~ledger.faces.web.site.Site` — shared by the
web app (one page per request) and the HTML report (every page in one file)."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from decimal import Decimal
from typing import Any

from ledger.faces.web.render import Links
from ledger.faces.web.site import Site
from ledger.model.events import EVENT_TYPES

LAYER_NAMES = {
    "cash": "cash paid",
    "binding": "binding promise",
    "non_binding": "non-binding promise",
    "equity": "equity stake",
}


def common(site: Site, links: Links, page: str, title: str) -> dict[str, Any]:
    overview = site.overview()
    return {
        "overview": overview,
        "links": links,
        "page": page,
        "title": title,
        "names": {pid: p["name"] for pid, p in overview["parties"].items()},
        "layer_names": LAYER_NAMES,
        "panels": [],
    }


def loop_data(site: Site, as_of: dt.date | None, links: Links) -> dict[str, Any]:
    """What the loop page's script reads: the snapshot shown, the dates, where to get others."""
    overview = site.overview()
    return {
        "dates": overview["dates"],
        "current": site.loop(as_of),
        "api": None if links.report else "/api/loop",
        "party_link": "#party-{id}" if links.report else "/party/{id}",
        "names": {pid: p["name"] for pid, p in overview["parties"].items()},
        "snapshots": None,
        "scale": scale(site),
    }


def scale(site: Site) -> str | None:
    """The biggest flow of the whole history: line widths are drawn against it on every date,
    so a line's width means the same amount whatever the date shown."""
    edges = site.loop(None)["edges"]
    if not edges:
        return None
    return str(max((e["amount"] for e in edges), key=Decimal))


def loop(site: Site, as_of: dt.date | None, links: Links) -> dict[str, Any]:
    data = loop_data(site, as_of, links)
    return {
        **common(site, links, "loop", "The loop"),
        "loop": data["current"],
        "dates": data["dates"],
        "loop_data": data,
        "panels": site.panels("loop", as_of),
    }


def party(site: Site, pid: str, as_of: dt.date | None, links: Links) -> dict[str, Any]:
    p = site.party(pid, as_of)
    return {
        **common(site, links, "parties", p["party"]["name"]),
        "p": p,
        "anchor_events": False,
        "panels": site.panels("party", as_of, pid),
    }


def party_rows(site: Site, as_of: dt.date | None) -> list[dict[str, Any]]:
    loop_ = site.loop(as_of)
    trips = {r["party"]: r for r in loop_["round_trips"]}
    rows = []
    for pid, info in site.overview()["parties"].items():
        trip = trips.get(pid, {})
        rows.append(
            {
                **info,
                "loops": sum(1 for c in loop_["cycles"] if pid in c["path"]),
                "departed": trip.get("departed"),
                "returned": trip.get("returned"),
            }
        )
    return rows


def parties(site: Site, as_of: dt.date | None, links: Links) -> dict[str, Any]:
    return {
        **common(site, links, "parties", "Parties"),
        "as_of": as_of.isoformat() if as_of else None,
        "party_rows": party_rows(site, as_of),
    }


def events(site: Site, as_of: dt.date | None, links: Links) -> dict[str, Any]:
    return {
        **common(site, links, "events", "Events"),
        "rows": site.events(as_of)["events"],
        "event_types": sorted(EVENT_TYPES),
        "anchor_events": True,
        "panels": site.panels("events", as_of),
    }


def descriptions(site: Site) -> dict[str, str]:
    return {m.name: m.description for m in site.ledger.plugins.metrics()}


def metrics(site: Site, links: Links, as_of: dt.date | None = None) -> dict[str, Any]:
    csv_href = (
        "data:text/csv;charset=utf-8," + urllib.parse.quote(site.metrics_csv(as_of=as_of))
        if links.report
        else "/api/metrics.csv" + (f"?as_of={as_of.isoformat()}" if as_of else "")
    )
    return {
        **common(site, links, "metrics", "Metrics over time"),
        "metrics": site.metrics(as_of),
        "descriptions": descriptions(site),
        "csv_href": csv_href,
        "panels": site.panels("metrics"),
    }


def warrants(site: Site, as_of: dt.date | None, links: Links) -> dict[str, Any]:
    return {
        **common(site, links, "warrants", "Warrants"),
        "warrants": site.warrants(as_of),
        "panels": site.panels("warrants", as_of),
    }


def verify(site: Site, links: Links) -> dict[str, Any]:
    return {
        **common(site, links, "verify", "Verify"),
        "verify": site.verify(),
        "panels": site.panels("verify"),
    }


def plugin_page(site: Site, name: str, as_of: dt.date | None, links: Links) -> dict[str, Any]:
    spec = site.page_spec(name)
    return {
        **common(site, links, f"page-{name}", spec.title),
        "plugin_page": site.render_plugin(spec, as_of),
    }
