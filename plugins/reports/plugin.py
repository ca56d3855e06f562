"""Built-in plugin: Markdown and plain-text renderers for :class:`ledger.plugin.reports.Report`."""

from __future__ import annotations

from collections.abc import Callable

from ledger import hookimpl
from plugins.reports.render import render_markdown, render_text


@hookimpl
def ledger_register_renderers(register: Callable[..., None]) -> None:
    register("markdown", render_markdown, suffix=".md")
    register("text", render_text, suffix=".txt")
