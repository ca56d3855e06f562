"""What plugins register: plain values naming the plugin they came from.

Registries are keyed by name and sorted by name, never by registration order, so installing
plugins in a different order cannot change any result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ledger.engine import Registered


def register_each(
    register: Callable[..., None],
    entries: Iterable[tuple[str, Callable[..., Any], str]],
    *,
    requires: tuple[str, ...] = (),
) -> None:
    """Register several queries (or metrics) that read the same projections: ``(name, function,
    description)`` each — one table in a plugin instead of a ``register(...)`` call per entry."""
    for name, function, description in entries:
        register(name, function, requires=requires, description=description)


@attrs.frozen
class ComputedSpec:
    """A named function over projection states, with the projections it reads: what a metric and
    a query have in common (their functions take different arguments: see the subclasses)."""

    name: str
    function: Callable[..., Any]
    requires: tuple[str, ...]
    description: str
    plugin: str


@attrs.frozen
class MetricSpec(ComputedSpec):
    """A metric: ``compute(states, as_of) -> list[Figure]`` using the named projections."""

    @property
    def compute(self) -> Callable[..., Any]:
        return self.function


@attrs.frozen
class QuerySpec(ComputedSpec):
    """A query the API answers: ``answer(ledger, result, **options)``."""

    @property
    def answer(self) -> Callable[..., Any]:
        return self.function


@attrs.frozen
class InvariantSpec:
    """An invariant: ``check(context) -> list[Violation]``."""

    name: str
    check: Callable[..., Any]
    description: str
    plugin: str


@attrs.frozen
class RendererSpec:
    """A report renderer: ``render(report) -> str``; it may also take ``ledger`` and ``as_of``."""

    name: str
    render: Callable[..., str]
    suffix: str
    plugin: str

    def render_with(self, report: Any, **context: Any) -> str:
        """``render(report, …)`` with the keywords of ``context`` its signature names (a
        renderer written for ``render(report)`` alone keeps working)."""
        import inspect

        try:
            parameters = inspect.signature(self.render).parameters
        except (TypeError, ValueError):
            return self.render(report)
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            return self.render(report, **context)
        return self.render(report, **{k: v for k, v in context.items() if k in parameters})


PANEL_PLACES: tuple[str, ...] = ("loop", "party", "events", "metrics", "warrants", "verify")
"""The built-in web pages a plugin's panel can be added to."""


@attrs.frozen
class PageSpec:
    """A web page (``on`` None: its own page at ``/page/<name>``) or a panel on a built-in page.

    ``render(ledger, result, as_of, party)`` — any subset, by keyword — returns a
    :class:`ledger.plugin.reports.Section` (or several), which the web face lays out and escapes.
    """

    name: str
    title: str
    render: Callable[..., Any]
    on: str | None
    description: str
    plugin: str


@attrs.frozen
class GeneratorSpec:
    """A scenario generator: ``generate(params, context) -> event mappings``, with the
    parameters it takes (name → description) so that a misspelt key is refused."""

    name: str
    generate: Callable[..., Any]
    parameters: Mapping[str, str]
    description: str
    plugin: str


@attrs.frozen
class PluginFailure:
    """A plugin that could not be loaded or whose registration raised; it was skipped."""

    plugin: str
    origin: str
    stage: str
    error: str
    traceback: str = ""


@attrs.frozen
class PluginInfo:
    """One loaded plugin, for ``loopledger plugins``."""

    name: str
    version: str | None
    origin: str  # "built-in" | "entry point"
    distribution: str | None
    hooks: tuple[str, ...]


@attrs.define
class Registries:
    """Everything the plugins registered, by kind."""

    projections: list[Registered] = attrs.Factory(list)
    metrics: list[MetricSpec] = attrs.Factory(list)
    invariants: list[InvariantSpec] = attrs.Factory(list)
    renderers: list[RendererSpec] = attrs.Factory(list)
    queries: list[QuerySpec] = attrs.Factory(list)
    generators: list[GeneratorSpec] = attrs.Factory(list)
    pages: list[PageSpec] = attrs.Factory(list)
