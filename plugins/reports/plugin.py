"""Built-in plugin: Markdown, plain-text and self-contained HTML renderers for
:class:`ledger.plugin.reports.Report`."""

from __future__ import annotations

from collections.abc import Callable

from ledger import hookimpl
from plugins.reports.html import render_html
from plugins.reports.render import render_markdown, render_text


@hookimpl
def ledger_register_renderers(register: Callable[..., None]) -> None:
    register("markdown", render_markdown, suffix=".md")
    register("text", render_text, suffix=".txt")
    register("html", render_html, suffix=".html")
