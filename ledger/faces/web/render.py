"""Pages as HTML: the Jinja2 templates, the number formats, and links for a server or one file.

Why one renderer for both faces: the web app and the HTML report lay out the same partial
templates; only the links differ (``/party/openai`` on a server, ``#party-openai`` in a file)
and how scripts arrive (from ``/static`` or inline). Numbers are shown rounded for reading —
US$ billions half-even to 0.1, ratios half-even to 0.01 — and every shown number carries its
exact value (``data-exact``, and the tooltip), which is the ``--json`` string itself.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from markupsafe import Markup, escape

from ledger import __version__
from ledger.faces.output import billions, dollars, percent, times
from ledger.faces.web import assets

ROUNDING = (
    "Amounts in US$ billions rounded half-even to 0.1 ($26.2B), ratios half-even to 0.01; "
    "hover or tap a number for its exact value, as loopledger's --json prints it."
)


class Links:
    """Where a page's links point: server routes, or anchors inside one report file."""

    def __init__(self, report: bool = False, as_of: dt.date | str | None = None) -> None:
        self.report = report
        self.as_of = str(as_of) if as_of else None

    def _query(self, **params: Any) -> str:
        chosen = {k: v for k, v in params.items() if v}
        if self.as_of and "as_of" not in chosen:
            chosen["as_of"] = self.as_of
        return f"?{urlencode(chosen)}" if chosen else ""

    def page(self, name: str, **params: Any) -> str:
        if self.report:
            return f"#{name}"
        path = "/" if name == "loop" else f"/{name}"
        return path + self._query(**params)

    def party(self, party: str) -> str:
        if self.report:
            return f"#party-{quote(party)}"
        return f"/party/{quote(party)}" + self._query()

    def plugin(self, name: str) -> str:
        if self.report:
            return f"#page-{quote(name)}"
        return f"/page/{quote(name)}" + self._query()

    def event(self, event_id: str) -> str:
        if self.report:
            return f"#event-{quote(event_id)}"
        return "/events" + self._query(q=event_id) + f"#event-{quote(event_id)}"


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _number(shown: str, exact: Any, title: str) -> Markup:
    return Markup('<span class="num" data-exact="{}" title="{}">{}</span>').format(
        exact, title, shown
    )


def usd(value: Any, places: int = 1) -> Markup | str:
    """``$26.2B`` with the exact amount in ``data-exact`` and the tooltip; None → —."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    return _number(billions(amount, places), value, f"exact: {dollars(amount)}")


def usd_exact(value: Any) -> Markup | str:
    amount = _decimal(value)
    if amount is None:
        return "—"
    return _number(dollars(amount), value, f"exact: {value}")


def ratio(value: Any, unit: str | None = None) -> Markup | str:
    """A ratio as ``30.57×``, a share as ``8.57%``; exact value kept; None → —."""
    number = _decimal(value)
    if number is None:
        return "—"
    if unit and unit.isupper() and len(unit) == 3:
        return usd(value)
    shown = percent(number) if unit == "share" else times(number)
    return _number(shown, value, f"exact: {value}")


def quantity(value: Any) -> Markup | str:
    number = _decimal(value)
    if number is None:
        return "—"
    whole = number.to_integral_value()
    shown = f"{whole:,}" if number == whole else f"{number:,}"
    return _number(shown, value, f"exact: {value}")


def money(value: Any) -> Markup | str:
    """An event's amount text (``19000000000 USD``): billions for US$, exact otherwise."""
    if not isinstance(value, str):
        return "—" if value is None else str(value)
    number, _, currency = value.partition(" ")
    if currency in ("", "USD"):
        return usd(number)
    return _number(f"{billions(Decimal(number), 1, currency)}", number, f"exact: {value}")


def per_share(value: Any) -> Markup | str:
    """A per-share price text (``213 USD``) as ``$213.00/share``, exact value kept."""
    if not isinstance(value, str):
        return "—"
    number, _, currency = value.partition(" ")
    amount = Decimal(number)
    shown = f"${amount:,.2f}" if currency in ("", "USD") else f"{amount:,} {currency}"
    return _number(shown + "/share", number, f"exact: {value}")


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*([^*\s][^*]*?)\*(?![*\w])")
_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+|#[^)\s]*)\)")


def inline_markdown(text: str) -> Markup:
    """A report paragraph's inline Markdown (bold, code, links) as HTML; everything escaped."""
    html = str(escape(text))
    html = _CODE.sub(r"<code>\1</code>", html)
    html = _BOLD.sub(r"<b>\1</b>", html)
    html = _ITALIC.sub(r"<i>\1</i>", html)
    html = _LINK.sub(r'<a href="\2">\1</a>', html)
    return Markup(html)


def pairs(value: Any) -> str:
    """A settings table ``{"default": "0.50", "amd": "0.55"}`` as ``default 0.50, amd 0.55``."""
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ledger.faces.web", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        usd=usd,
        usd_exact=usd_exact,
        ratio=ratio,
        quantity=quantity,
        money=money,
        per_share=per_share,
        inline_markdown=inline_markdown,
        pairs=pairs,
    )
    env.globals.update(version=__version__, rounding=ROUNDING, escape=escape)
    return env


_ENV: jinja2.Environment | None = None


def template(name: str) -> jinja2.Template:
    global _ENV
    if _ENV is None:
        _ENV = environment()
    return _ENV.get_template(name)


def asset_tags(report: bool, kind: str) -> Markup:
    """The page's ``<link>``/``<script>`` tags (server) or the files themselves inline (report)."""
    tags = []
    for a in assets.ASSETS:
        if a.kind != kind:
            continue
        if report:
            element = "script" if a.kind == "script" else "style"
            note = f"/* {a.library} {a.version}, {a.licence} */\n" if a.library else ""
            tags.append(
                Markup('<{0} data-asset="{1}">{2}{3}</{0}>').format(
                    element, a.path, note, Markup(assets.inline(a))
                )
            )
        elif a.kind == "script":
            tags.append(Markup('<script src="/static/{}"></script>').format(a.path))
        else:
            tags.append(Markup('<link rel="stylesheet" href="/static/{}">').format(a.path))
    return Markup("\n").join(tags)


def render(name: str, **context: Any) -> str:
    report = bool(context.get("report", False))
    context.setdefault("report", report)
    context.setdefault("styles", asset_tags(report, "style"))
    context.setdefault("scripts", asset_tags(report, "script"))
    return template(name).render(**context)
