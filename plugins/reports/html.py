"""The ``html`` renderer: the loop report as one self-contained HTML file.

With the open ledger (``loopledger report --format html``, the demo) the file is every page of
the web app — the interactive loop graph with its as-of control, each party, the journal, the
metrics charts, the warrants and verify — after the report's own sections; everything inline,
so it opens from disk with no network. Without a ledger (a report built in a script) it is
the report's sections alone, in the same layout.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ledger.plugin.reports import Report


def render_html(
    report: Report, ledger: Any = None, as_of: dt.date | None = None, verified: Any = None
) -> str:
    # Imported here: Jinja2 and the web face cost every command start-up time it rarely needs.
    from ledger.faces.web.render import Links, render
    from ledger.faces.web.report import render_report
    from ledger.faces.web.site import sections_data

    if ledger is not None:
        return render_report(
            ledger, as_of, title=report.title, sections=report.sections, verified=verified
        )
    return render(
        "sections.html",
        report=True,
        title=report.title,
        sections=sections_data(list(report.sections)),
        footnotes=list(report.footnotes),
        links=Links(report=True),
    )
