"""What the web pages and the HTML report show, gathered through the public API only.

Why one class for both: ``loopledger serve`` and ``loopledger report --format html`` must show
the same figures, and both must equal the ``--json`` outputs. Every answer here is a query of
the open :class:`~ledger.api.Ledger` (``audit.graph``, ``audit``, ``balances``, ``value``,
``metrics``, ``value.warrant_curve``), ``Ledger.events`` or ``Ledger.verify``, turned into plain
JSON values by :func:`~ledger.faces.output.jsonable` — so the pages, the ``/api`` routes and the
report carry the same exact decimal strings the command line prints.

Answers are cached per store head (position and chain link) and date: a page reload costs
nothing, and a record appended by another process is seen on the next request. One lock
serialises folds (the machine's cores are better spent on one fold than on two).
"""

from __future__ import annotations

import datetime as dt
import inspect
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ledger.faces.output import jsonable, listed_json
from ledger.model.problems import InputError, Problem
from ledger.plugin.reports import Section

if TYPE_CHECKING:
    from ledger.api import Ledger
    from ledger.engine import Result
    from ledger.plugin.registry import PageSpec

T = TypeVar("T")

RULES = ("pro-rata", "fifo", "lifo")
CHARTED = (
    ("vendor_financing", "Vendor financing", "ratio"),
    ("vendor_financing.committed", "Vendor financing, counting promises", "ratio"),
    ("commitment_coverage.binding", "Commitment coverage: binding promises ÷ revenue", "ratio"),
    (
        "commitment_coverage.non_binding",
        "Commitment coverage: non-binding promises ÷ revenue",
        "ratio",
    ),
    ("loop_share", "Loop share of revenue", "share"),
    ("funding_gap", "Funding gap", "amount"),
)
"""Metrics charted first, in this order (metric name, title, kind); any other registered
metric follows with its own name as title."""


def _accepted(function: Callable[..., Any], offered: dict[str, Any]) -> dict[str, Any]:
    """The keywords of ``offered`` that ``function`` accepts (all of them for ``**kwargs``)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return offered
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return offered
    return {k: v for k, v in offered.items() if k in parameters}


def parse_date(value: str | None, field: str = "as_of") -> dt.date | None:
    """An ISO date from a query string; empty is None; anything else is bad input."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(
            Problem(field=field, message=f"expected an ISO date (YYYY-MM-DD); got {value!r}")
        ) from None


class Site:
    """The pages' data for one open (read-only) ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._lock = threading.RLock()
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._head: tuple[int, str] | None = None

    # --- caching ----------------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        with self._lock:
            return self.ledger.store.head()

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        with self._lock:
            head = self.ledger.store.head()
            if head != self._head:
                self._cache.clear()
                self._head = head
            if key not in self._cache:
                self._cache[key] = compute()
            value: T = self._cache[key]
            return value

    def run(self, as_of: dt.date | None = None) -> Result:
        """The fold as of a date (the whole history for None), once per head."""
        return self._cached(("run", as_of), lambda: self.ledger.run(as_of, require=()))

    def query(self, name: str, as_of: dt.date | None = None, **options: Any) -> Any:
        key = ("query", name, as_of, tuple(sorted(options.items())))
        return self._cached(
            key,
            lambda: jsonable(_to_json(self.ledger.query(name, result=self.run(as_of), **options))),
        )

    # --- what every page needs ---------------------------------------------------------------

    def overview(self) -> dict[str, Any]:
        """The store, its parties, the dates events carry, what was recorded."""

        def compute() -> dict[str, Any]:
            listed = self.ledger.events()
            result = self.run()
            dates = sorted({item.event.date for item in listed})
            confidence: dict[str, int] = {}
            for item in listed:
                confidence[item.event.confidence] = confidence.get(item.event.confidence, 0) + 1
            position, chain = self.ledger.store.head()
            overview: dict[str, Any] = jsonable(
                {
                    "store": self.ledger.location,
                    "records": position,
                    "chain_head": chain,
                    "events": len(listed),
                    "with_source": sum(1 for item in listed if item.event.source),
                    "confidence": confidence,
                    "dates": dates,
                    "first": dates[0] if dates else None,
                    "last": dates[-1] if dates else None,
                    "parties": {
                        pid: {
                            "id": pid,
                            "name": getattr(p, "name", None) or pid,
                            "ticker": getattr(p, "ticker", None),
                            "shares_outstanding": getattr(p, "shares_outstanding", None),
                            "allow_overdraft": getattr(p, "allow_overdraft", None),
                        }
                        for pid, p in sorted(result.book.parties.items())
                    },
                    "queries": [q.name for q in self.ledger.plugins.queries()],
                    "pages": [
                        {"name": p.name, "title": p.title, "plugin": p.plugin}
                        for p in self.ledger.plugins.pages()
                        if p.on is None
                    ],
                }
            )
            return overview

        return self._cached(("overview",), compute)

    def party_ids(self) -> list[str]:
        return list(self.overview()["parties"])

    def check_party(self, party: str) -> None:
        known = self.party_ids()
        if party not in known:
            raise InputError(
                Problem(
                    field="party",
                    message=f"unknown party '{party}' (known: {', '.join(known) or 'none'})",
                )
            )

    # --- the pages --------------------------------------------------------------------------

    def loop(self, as_of: dt.date | None = None) -> dict[str, Any]:
        """The graph (stable places, drawn layers), the loops and the round trips as of a date."""

        def compute() -> dict[str, Any]:
            if not self.has("audit.graph"):
                return self._no_graph(as_of)
            places = None
            if as_of is not None:  # laid out once, from the whole history
                places = {n["id"]: (n["x"], n["y"]) for n in self.loop(None)["nodes"]}
            graph = self.ledger.query(
                "audit.graph", result=self.run(as_of), full=self.run(), places=places
            )
            return dict(jsonable(graph))

        return self._cached(("loop", as_of), compute)

    def has(self, query: str) -> bool:
        """Whether a query is registered (its plugin may be disabled: the page then says so)."""
        return query in self.overview()["queries"]

    def _no_graph(self, as_of: dt.date | None) -> dict[str, Any]:
        """The loop without the audit plugin: the parties, no flow, and why."""
        import math

        parties = list(self.overview()["parties"].values())
        count = max(len(parties), 1)
        day = as_of or self.run().book.max_date
        return {
            "as_of": day.isoformat() if day else None,
            "nodes": [
                {
                    "id": p["id"],
                    "name": p["name"],
                    "x": round(300 * math.sin(2 * math.pi * i / count)),
                    "y": round(-300 * math.cos(2 * math.pi * i / count)),
                    "active": False,
                }
                for i, p in enumerate(parties)
            ],
            "edges": [],
            "cycles": [],
            "cycles_found": 0,
            "truncated": False,
            "round_trips": [],
            "unavailable": "no flows or loops: the audit plugin, which finds them, is disabled",
        }

    def round_trips(self, as_of: dt.date | None = None) -> dict[str, list[dict[str, Any]]]:
        """``audit --rule R --json``'s round trips, per rule."""
        if not self.has("audit"):
            return {rule: [] for rule in RULES}
        return {rule: self.query("audit", as_of, rule=rule)["round_trips"] for rule in RULES}

    def figures(self, as_of: dt.date | None = None) -> list[dict[str, Any]]:
        """``metrics --json``'s figures as of a date (empty when nothing is recorded)."""
        if not self.has("metrics"):
            return []
        answer = self.query("metrics", as_of)
        return list(answer.get("figures") or [])

    def party(self, party: str, as_of: dt.date | None = None) -> dict[str, Any]:
        """One party: balances, holdings valued, loops, money back, coverage, financing, events."""
        self.check_party(party)

        def compute() -> dict[str, Any]:
            loop = self.loop(as_of)
            figures = self.figures(as_of)
            mine = [f for f in figures if _concerns(f.get("subject"), party)]
            events = [e for e in self.events(as_of)["events"] if party in e["parties"]]
            return {
                "as_of": loop["as_of"],
                "party": self.overview()["parties"][party],
                "balances": self.query("balances", as_of, party=party)["balances"]
                if self.has("balances")
                else [],
                "holdings": self.query("value", as_of, party=party)["holdings"]
                if self.has("value")
                else [],
                "loops": [c for c in loop["cycles"] if party in c["path"]],
                "round_trips": {
                    rule: next((r for r in rows if r["party"] == party), None)
                    for rule, rows in self.round_trips(as_of).items()
                },
                "coverage": [
                    f
                    for f in mine
                    if f["metric"].startswith("commitment_coverage") or f["metric"] == "funding_gap"
                ],
                "financing": [
                    f
                    for f in mine
                    if f["metric"].startswith(("vendor_financing", "net_revenue", "loop_share"))
                    or f["metric"].startswith("customer_concentration")
                ],
                "flows": [e for e in loop["edges"] if party in (e["source"], e["target"])],
                "events": events,
            }

        return self._cached(("party", party, as_of), compute)

    def events(self, as_of: dt.date | None = None) -> dict[str, Any]:
        """Every recorded event as ``events --json`` lists it, with the parties it names."""

        def compute() -> dict[str, Any]:
            from ledger.model.events import parties_of

            rows = []
            for item in self.ledger.events(as_of):
                row = jsonable(listed_json(item))
                row["parties"] = [p for p in parties_of(item.event) if p != "world"]
                row["sources"] = _sources(row.get("source"))
                rows.append(row)
            return {"as_of": as_of.isoformat() if as_of else None, "events": rows}

        return self._cached(("events", as_of), compute)

    def filter_events(
        self,
        as_of: dt.date | None = None,
        *,
        types: Sequence[str] = (),
        party: str | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        confidence: Sequence[str] = (),
        text: str | None = None,
    ) -> dict[str, Any]:
        """The journal filtered as the events page filters it (the ``/api/events`` route)."""
        rows = self.events(as_of)["events"]
        wanted = text.lower() if text else None
        chosen = [
            r
            for r in rows
            if (not types or r["type"] in types)
            and (party is None or party in r["parties"])
            and (start is None or r["date"] >= start.isoformat())
            and (end is None or r["date"] <= end.isoformat())
            and (not confidence or r.get("confidence") in confidence)
            and (wanted is None or wanted in _searchable(r))
        ]
        return {"as_of": as_of.isoformat() if as_of else None, "events": chosen}

    def metrics(self, as_of: dt.date | None = None) -> dict[str, Any]:
        """``metrics --by quarter --json`` (up to ``as_of``), and one chart per metric: a
        series per subject."""

        def compute() -> dict[str, Any]:
            if not self.has("metrics"):
                return {
                    "dates": [],
                    "precision": None,
                    "assumptions": None,
                    "charts": [],
                    "series": [],
                }
            answer = self.query("metrics", as_of, by="quarter")
            days = [s["as_of"] for s in answer.get("series", [])]
            charts: dict[str, dict[str, Any]] = {}
            for index, point in enumerate(answer.get("series", [])):
                for f in point["figures"]:
                    chart = charts.setdefault(
                        f["metric"],
                        {"metric": f["metric"], "unit": f.get("unit"), "series": {}},
                    )
                    series = chart["series"].setdefault(str(f.get("subject")), [None] * len(days))
                    series[index] = f.get("value")
                    reason = (f.get("detail") or {}).get("reason")
                    if f.get("value") is None and reason:  # the latest quarter's reason wins
                        chart.setdefault("reasons", {})[str(f.get("subject"))] = reason
            titles = {name: (title, kind) for name, title, kind in CHARTED}
            order = [name for name, _, _ in CHARTED if name in charts]
            order += sorted(n for n in charts if n not in titles)
            listed = []
            for name in order:
                chart = charts[name]
                title, kind = titles.get(name, (name, _kind(chart.get("unit"))))
                empty = all(v is None for values in chart["series"].values() for v in values)
                listed.append(
                    {
                        **chart,
                        "title": title,
                        "kind": kind,
                        "empty": empty,
                        "reasons": chart.get("reasons", {}) if empty else {},
                    }
                )
            return {
                "dates": days,
                "precision": answer.get("precision"),
                "assumptions": answer.get("assumptions"),
                "charts": listed,
                "series": answer.get("series", []),
            }

        return self._cached(("metrics", as_of), compute)

    def metrics_csv(self, metric: str | None = None, as_of: dt.date | None = None) -> str:
        """Every quarter's figures as CSV: as_of, metric, subject, value, unit (exact values)."""
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["as_of", "metric", "subject", "value", "unit"])
        for point in self.metrics(as_of)["series"]:
            for f in point["figures"]:
                if metric is None or f["metric"] == metric:
                    writer.writerow(
                        [
                            point["as_of"],
                            f["metric"],
                            f.get("subject"),
                            f.get("value"),
                            f.get("unit"),
                        ]
                    )
        return out.getvalue()

    def warrants(self, as_of: dt.date | None = None) -> dict[str, Any]:
        """``value.warrant_curve``: each warrant's value against its issuer's share price."""
        if not self.has("value.warrant_curve"):
            return {"as_of": None, "assumptions": {}, "method": "", "curves": []}
        return dict(self.query("value.warrant_curve", as_of))

    def verify(self) -> dict[str, Any]:
        """``verify --json``: every check and the chain head (the head only when all hold)."""
        return self._cached(("verify",), lambda: jsonable(self.ledger.verify().to_json()))

    def known_verify(self, report: Any) -> None:
        """Use a :class:`~ledger.api.verification.VerifyReport` just run on this store (the
        report command's), instead of running every check again."""
        self._cached(("verify",), lambda: jsonable(report.to_json()))

    # --- plugins' pages and panels -------------------------------------------------------------

    def page_specs(self, on: str | None) -> list[PageSpec]:
        return [p for p in self.ledger.plugins.pages() if p.on == on]

    def page_spec(self, name: str) -> PageSpec:
        for spec in self.ledger.plugins.pages():
            if spec.name == name and spec.on is None:
                return spec
        known = ", ".join(p.name for p in self.page_specs(None)) or "none"
        raise InputError(Problem(field="page", message=f"no page named '{name}' (known: {known})"))

    def render_plugin(
        self, spec: PageSpec, as_of: dt.date | None = None, party: str | None = None
    ) -> dict[str, Any]:
        """A plugin's page or panel as sections of data; a failure is an ``error`` to show."""
        key = ("plugin", spec.name, as_of, party)

        def compute() -> dict[str, Any]:
            offered = {
                "ledger": self.ledger,
                "result": self.run(as_of),
                "as_of": as_of,
                "party": party,
            }
            try:
                answer = spec.render(**_accepted(spec.render, offered))
                sections = sections_data(answer)
            except Exception as exc:  # noqa: BLE001 - a plugin's failure is shown, never fatal
                return {
                    "name": spec.name,
                    "title": spec.title,
                    "plugin": spec.plugin,
                    "error": f"{type(exc).__name__}: {exc}",
                    "sections": [],
                }
            return {
                "name": spec.name,
                "title": spec.title,
                "plugin": spec.plugin,
                "error": None,
                "sections": sections,
            }

        return self._cached(key, compute)

    def panels(
        self, on: str, as_of: dt.date | None = None, party: str | None = None
    ) -> list[dict[str, Any]]:
        return [self.render_plugin(spec, as_of, party) for spec in self.page_specs(on)]


def _to_json(answer: Any) -> Any:
    to_json = getattr(answer, "to_json", None)
    return to_json() if callable(to_json) else answer


def _kind(unit: str | None) -> str:
    return "amount" if unit and unit.isupper() and len(unit) == 3 else "ratio"


def _concerns(subject: Any, party: str) -> bool:
    """A figure's subject is the party, or a pair naming it (``amd→openai``)."""
    if not isinstance(subject, str):
        return False
    return subject == party or party in subject.split("→")


def _sources(source: Any) -> list[dict[str, str]]:
    """A source text split at `` ; `` into links (http/https) and plain references."""
    if not isinstance(source, str) or not source.strip():
        return []
    found = []
    for part in (p.strip() for p in source.split(" ; ")):
        if part:
            link = part.startswith(("https://", "http://"))
            found.append({"text": part, "href": part if link else ""})
    return found


def _searchable(row: dict[str, Any]) -> str:
    return " ".join(str(v) for k, v in row.items() if k != "postings").lower()


def sections_data(answer: Any) -> list[dict[str, Any]]:
    """A plugin's :class:`Section` (or several) as plain data the templates lay out."""
    items: Iterable[Any] = [answer] if isinstance(answer, Section) else answer
    sections = []
    for item in items:
        if not isinstance(item, Section):
            raise TypeError(
                f"a web page's render must return ledger.plugin.reports.Section values; got "
                f"{type(item).__name__}"
            )
        sections.append(
            {
                "title": item.title,
                "paragraphs": list(item.paragraphs),
                "tables": [
                    {
                        "columns": list(t.columns),
                        "rows": [list(r) for r in t.rows],
                        "right": sorted(t.right),
                    }
                    for t in item.tables
                ],
                "images": [
                    {"alt": alt, "src": src if src.startswith("data:image/") else ""}
                    for alt, src in item.images
                ],
            }
        )
    return sections
