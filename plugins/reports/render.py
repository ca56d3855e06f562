"""The Markdown and plain-text renderings of a :class:`ledger.plugin.reports.Report`."""

from __future__ import annotations

from ledger.model.safetext import markdown_without_html, visible
from ledger.plugin.reports import Report, Table


def _markdown_table(t: Table) -> list[str]:
    head = "| " + " | ".join(t.columns) + " |"
    rule = "|" + "|".join("---:" if c in t.right else "---" for c in t.columns) + "|"
    body = ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in t.rows]
    return [head, rule, *body]


def render_markdown(report: Report) -> str:
    lines = [f"# {report.title}", ""]
    for s in report.sections:
        lines += [f"## {s.title}", ""]
        for p in s.paragraphs:
            lines += [p, ""]
        for alt, path in s.images:
            lines += [f"![{alt}]({path})", ""]
        for t in s.tables:
            lines += [*_markdown_table(t), ""]
    if report.footnotes:
        lines += ["---", ""] + [f"- {f}" for f in report.footnotes] + [""]
    return "\n".join(markdown_without_html(line) for line in lines)


def _text_table(t: Table) -> list[str]:
    widths = [
        max(len(c), *(len(r[i]) for r in t.rows)) if t.rows else len(c)
        for i, c in enumerate(t.columns)
    ]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(w) if col in t.right else cell.ljust(w)
            for cell, w, col in zip(cells, widths, t.columns, strict=True)
        ).rstrip()

    return [line(t.columns), line(tuple("-" * w for w in widths)), *(line(r) for r in t.rows)]


def render_text(report: Report) -> str:
    lines = [report.title, "=" * len(report.title), ""]
    for s in report.sections:
        lines += [s.title, "-" * len(s.title)]
        lines += [*s.paragraphs]
        for alt, path in s.images:
            lines.append(f"[{alt}: {path}]")
        for t in s.tables:
            lines += ["", *_text_table(t)]
        lines.append("")
    lines += [f"* {f}" for f in report.footnotes]
    return visible_lines(lines)


def visible_lines(lines: list[str]) -> str:
    """The report's lines joined, with control and bidi characters in them made visible."""
    return "\n".join(visible(line) for line in lines)
