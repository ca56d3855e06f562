"""The web face: ``loopledger serve`` (a read-only local web app over any store) and the
self-contained HTML report — the same pages, over the public API only (:mod:`.site`).

Layout: :mod:`.site` (the data, from ``ledger.open(…)``), :mod:`.pages` (each page's context),
:mod:`.render` (Jinja2 templates and number formats), :mod:`.app` (Starlette routes and the
read-only guard), :mod:`.report` (one HTML file), :mod:`.command` (the ``serve`` command),
:mod:`.assets` (the vendored, pinned scripts in ``static/``).
"""
