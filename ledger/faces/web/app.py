"""The web app behind ``loopledger serve``: Starlette routes over a read-only :class:`Site`.

Read-only by construction: the ledger is opened with ``read_only=True`` (SQLite in the driver's
read-only mode, no checkpoint written), and a middleware answers every method but GET and HEAD
with 405 before any route runs, so no request can reach code that writes. A page that fails
shows the error — the message loopledger would print — on a page of its own, never a blank one.

Routes: ``/`` (the loop), ``/parties``, ``/party/{id}``, ``/events``, ``/metrics``,
``/warrants``, ``/verify``, ``/page/{name}`` (a plugin's page), ``/static/…`` (the shipped
assets), and under ``/api/`` the same data as JSON: ``loop``, ``party/{id}``, ``events``,
``metrics`` (+ ``metrics.csv``), ``warrants``, ``verify``, and the command line's own documents
``audit``, ``balances``, ``value`` — byte for byte what ``--json`` prints.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ledger.api import Ledger
from ledger.faces.output import dumps
from ledger.faces.web import pages
from ledger.faces.web.assets import static_root
from ledger.faces.web.render import Links, render
from ledger.faces.web.site import Site, parse_date
from ledger.model.problems import InputError, LedgerError, Problem

ALLOWED = ("GET", "HEAD")


class ReadOnly:
    """ASGI middleware: only GET and HEAD reach the app; anything else is 405 Method Not Allowed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ALLOWED:
            response = PlainTextResponse(
                f"405 Method Not Allowed: loopledger serve is read-only; {scope['method']} "
                "is refused on every route (only GET and HEAD are answered).\n",
                status_code=405,
                headers={"Allow": ", ".join(ALLOWED)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class JSON(JSONResponse):
    """JSON as the command line prints it (indented, Decimals as exact strings)."""

    def render(self, content: Any) -> bytes:
        return (dumps(content) + "\n").encode("utf-8")


Handler = Callable[[Request], Response]


def _as_of(request: Request) -> dt.date | None:
    return parse_date(request.query_params.get("as_of"))


def _failure(request: Request, exc: Exception) -> Response:
    """The error as a page (or JSON under /api), with the status it deserves."""
    if isinstance(exc, InputError):
        status, title = 400, "That request cannot be answered"
        message = "; ".join(p.render() for p in exc.problems)
        details = ""
    elif isinstance(exc, LedgerError):
        status, title, message, details = 500, "The ledger could not answer", str(exc), ""
    else:
        status, title = 500, "Something went wrong"
        message = f"{type(exc).__name__}: {exc}"
        details = traceback.format_exc()
    if request.url.path.startswith("/api/"):
        return JSON({"error": message, "status": status}, status_code=status)
    try:
        body = render("error.html", status=status, title=title, message=message, details=details)
    except Exception:  # noqa: BLE001 - the error page itself failed: plain text, still not blank
        return PlainTextResponse(f"{title}: {message}\n\n{details}", status_code=status)
    return HTMLResponse(body, status_code=status)


def _guarded(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Run a (blocking) handler in the thread pool, turning any failure into an error page."""
    from starlette.concurrency import run_in_threadpool

    async def endpoint(request: Request) -> Response:
        try:
            return await run_in_threadpool(handler, request)
        except Exception as exc:  # noqa: BLE001 - shown on the page, never a blank one
            return _failure(request, exc)

    return endpoint


def create_app(ledger: Ledger) -> Starlette:
    """The app over ``ledger`` (open it with ``read_only=True``)."""
    site = Site(ledger)

    def links(request: Request) -> Links:
        return Links(report=False, as_of=request.query_params.get("as_of") or None)

    def html(name: str, context: dict[str, Any]) -> Response:
        return HTMLResponse(render(name, **context))

    # --- pages ------------------------------------------------------------------------------

    def loop_page(request: Request) -> Response:
        return html("loop.html", pages.loop(site, _as_of(request), links(request)))

    def parties_page(request: Request) -> Response:
        return html("parties.html", pages.parties(site, _as_of(request), links(request)))

    def party_page(request: Request) -> Response:
        pid = request.path_params["party"]
        return html("party.html", pages.party(site, pid, _as_of(request), links(request)))

    def events_page(request: Request) -> Response:
        return html("events.html", pages.events(site, _as_of(request), links(request)))

    def metrics_page(request: Request) -> Response:
        return html("metrics.html", pages.metrics(site, links(request), _as_of(request)))

    def warrants_page(request: Request) -> Response:
        return html("warrants.html", pages.warrants(site, _as_of(request), links(request)))

    def verify_page(request: Request) -> Response:
        return html("verify.html", pages.verify(site, links(request)))

    def plugin_page(request: Request) -> Response:
        name = request.path_params["name"]
        return html(
            "plugin_page.html", pages.plugin_page(site, name, _as_of(request), links(request))
        )

    # --- the API ----------------------------------------------------------------------------

    def api_overview(request: Request) -> Response:
        return JSON(site.overview())

    def api_loop(request: Request) -> Response:
        return JSON(site.loop(_as_of(request)))

    def api_party(request: Request) -> Response:
        return JSON(site.party(request.path_params["party"], _as_of(request)))

    def api_events(request: Request) -> Response:
        q = request.query_params
        party = q.get("party") or None
        if party:
            site.check_party(party)
        return JSON(
            site.filter_events(
                _as_of(request),
                types=q.getlist("type"),
                party=party,
                start=parse_date(q.get("from"), "from"),
                end=parse_date(q.get("to"), "to"),
                confidence=q.getlist("confidence"),
                text=q.get("q") or None,
            )
        )

    def api_metrics(request: Request) -> Response:
        by = request.query_params.get("by")
        if by:
            return JSON(site.query("metrics", _as_of(request), by=by))
        return JSON(site.query("metrics", _as_of(request)))

    def api_metrics_csv(request: Request) -> Response:
        metric = request.query_params.get("metric") or None
        return Response(
            site.metrics_csv(metric, _as_of(request)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="loopledger-metrics.csv"'},
        )

    def api_warrants(request: Request) -> Response:
        return JSON(site.warrants(_as_of(request)))

    def api_verify(request: Request) -> Response:
        return JSON(site.verify())

    def api_audit(request: Request) -> Response:
        rule = request.query_params.get("rule") or "pro-rata"
        if rule not in ("pro-rata", "fifo", "lifo"):
            raise bad_input(f"expected rule pro-rata, fifo or lifo; got {rule!r}", "rule")
        return JSON(site.query("audit", _as_of(request), rule=rule))

    def api_balances(request: Request) -> Response:
        as_of, party = _as_of(request), request.query_params.get("party") or None
        if party:
            site.check_party(party)
        return JSON(site.query("balances", as_of, party=party))  # as balances --json prints it

    def api_value(request: Request) -> Response:
        party = request.query_params.get("party") or None
        return JSON(site.query("value", _as_of(request), party=party))

    def api_page(request: Request) -> Response:
        spec = site.page_spec(request.path_params["name"])
        return JSON(site.render_plugin(spec, _as_of(request)))

    def not_found(request: Request) -> Response:
        message = (
            f"no page at {request.url.path} (pages: /, /parties, /party/ID, /events, /metrics, "
            "/warrants, /verify; data under /api/)"
        )
        if request.url.path.startswith("/api/"):
            return JSON({"error": message, "status": 404}, status_code=404)
        body = render("error.html", status=404, title="Not found", message=message, details="")
        return HTMLResponse(body, status_code=404)

    routes = [
        Route("/", _guarded(loop_page)),
        Route("/parties", _guarded(parties_page)),
        Route("/party/{party}", _guarded(party_page)),
        Route("/events", _guarded(events_page)),
        Route("/metrics", _guarded(metrics_page)),
        Route("/warrants", _guarded(warrants_page)),
        Route("/verify", _guarded(verify_page)),
        Route("/page/{name}", _guarded(plugin_page)),
        Route("/api/overview", _guarded(api_overview)),
        Route("/api/loop", _guarded(api_loop)),
        Route("/api/party/{party}", _guarded(api_party)),
        Route("/api/events", _guarded(api_events)),
        Route("/api/metrics", _guarded(api_metrics)),
        Route("/api/metrics.csv", _guarded(api_metrics_csv)),
        Route("/api/warrants", _guarded(api_warrants)),
        Route("/api/verify", _guarded(api_verify)),
        Route("/api/audit", _guarded(api_audit)),
        Route("/api/balances", _guarded(api_balances)),
        Route("/api/value", _guarded(api_value)),
        Route("/api/page/{name}", _guarded(api_page)),
        Mount("/static", StaticFiles(directory=str(static_root())), name="static"),
        Route("/{path:path}", _guarded(not_found)),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(ReadOnly)])
    app.state.site = site
    return app


def bad_input(message: str, field: str) -> InputError:
    return InputError(Problem(field=field, message=message))
