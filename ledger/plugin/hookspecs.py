"""Hook specifications: every way a plugin can extend loopledger.

pluggy project name and entry-point group: ``loopledger``; hook prefix: ``ledger_``.
Built-in features (balances, valuation, metrics, audit, the invariants, their CLI commands) are
plugins in ``plugins/`` registered through these same hooks.

Rules that keep plugins working across versions:

* Call sites always pass keyword arguments; an implementation may accept any subset of them.
* A released hook never gains a *required* argument — a new need gets a new hook, and the old
  one is deprecated with ``warn_on_impl``.
* Registries take a ``register`` callback, so results never depend on registration order:
  names must be unique, and a clash is reported naming both plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from ledger.store import Record

PROJECT = "loopledger"
hookspec = pluggy.HookspecMarker(PROJECT)

# --- configuration --------------------------------------------------------------------------------


@hookspec(historic=True)
def ledger_configure(
    config: Mapping[str, Any], plugin_config: Callable[[str], Mapping[str, Any]]
) -> None:
    """Give a plugin its configuration before anything is registered.

    :param config: the whole configuration (``loopledger.toml`` or the file named by
        ``LOOPLEDGER_CONFIG``), read-only.
    :param plugin_config: ``plugin_config(name)`` returns the section ``[plugins.<name>]``
        (an empty mapping when absent) — a plugin reads only its own section.
    :returns: nothing.

    .. note:: Historic: a plugin registered later (e.g. in a test) still receives the call.
    """


# --- registries -----------------------------------------------------------------------------------


@hookspec
def ledger_register_projections(register: Callable[..., None]) -> None:
    """Register projections: pure folds over the recorded entries.

    :param register: ``register(projection)`` where ``projection`` has ``name``, ``handles``
        (event types or ``None``), ``version``, ``initial()`` and ``apply(state, entry)`` — see
        :class:`ledger.engine.projection.Projection`. Names are global: prefix them with your plugin's.
    :returns: nothing; call ``register`` once per projection.
    """


@hookspec
def ledger_register_metrics(register: Callable[..., None]) -> None:
    """Register metrics: named figures computed from projection states as of a date.

    :param register: ``register(name, compute, requires=(projection names...), description="")``;
        ``compute(states, as_of)`` returns a list of :class:`ledger.plugin.figures.Figure` (value,
        inputs event ids, unit, precision).
    :returns: nothing.
    """


@hookspec
def ledger_register_invariants(register: Callable[..., None]) -> None:
    """Register invariants that ``loopledger verify`` and the property tests check.

    :param register: ``register(name, check, description="")``; ``check(context)`` returns a
        list of :class:`invariants.Violation` values (empty when the invariant holds). The
        context gives the store's entries, the book and every projection state.
    :returns: nothing.
    """


@hookspec
def ledger_register_renderers(register: Callable[..., None]) -> None:
    """Register report renderers (formats for ``loopledger report``).

    :param register: ``register(format_name, render, suffix=".txt")``; ``render(report)`` returns
        text for a :class:`ledger.plugin.reports.Report` (built in: ``markdown``, ``text``,
        ``html``; the demo writes its report with the ``markdown`` and ``html`` renderers). A
        renderer that draws from the store itself may also accept the keywords ``ledger`` (the
        open :class:`ledger.api.Ledger`), ``as_of`` (the report's date, or None) and
        ``verified`` (the :class:`~ledger.api.verification.VerifyReport` the report shows); it
        is given those it names.
    :returns: nothing.
    """


@hookspec
def ledger_register_queries(register: Callable[..., None]) -> None:
    """Register queries: named questions the API answers from a fold of the store.

    :param register: ``register(name, answer, requires=(projection names...), description="")``;
        ``answer(ledger, result, **options)`` gets the open :class:`ledger.api.Ledger` (its
        plugins and configuration) and the engine :class:`~ledger.engine.Result` of a fold as
        of the asked date, and returns the answer. ``ledger.query(name, as_of=…, **options)``
        and the convenience methods (``balances``, ``audit``, ``metrics``, ``value``) call it;
        the built-in queries are registered through this hook like a user's.
    :returns: nothing; call ``register`` once per query. Names are global: prefix yours.
    """


@hookspec
def ledger_register_scenario_generators(register: Callable[..., None]) -> None:
    """Register scenario generators: named rules that write hypothetical events for a scenario.

    :param register: ``register(name, generate, parameters={name: description}, description="")``;
        a scenario file's change ``{generate: NAME, ...}`` calls ``generate(params, context)``,
        where ``params`` gives the change's other keys typed and located
        (``params.date("from")``, ``params.decimal("growth")`` …; a key not declared in
        ``parameters`` is refused) and ``context`` the history so far (the base and earlier
        changes), the scenario's name and currency (see
        :class:`plugins.scenarios.api.GeneratorContext`). ``generate`` returns event mappings
        written as in a deal-history file; each is marked hypothetical (source
        ``scenario:<name>``, confidence ``estimate``), given an id when it has none, and then
        checked by the loader and the book exactly like a replayed event.
    :returns: nothing; call ``register`` once per generator. Names are global: prefix yours.
    """


@hookspec
def ledger_register_web_pages(register: Callable[..., None]) -> None:
    """Register pages and panels of the web app (``loopledger serve``) and the HTML report.

    :param register: ``register(name, title, render, on=None, description="")``; with
        ``on=None`` the page has its own address, ``/page/<name>``, and a link in the
        navigation; with ``on`` one of ``loop``, ``party``, ``events``, ``metrics``,
        ``warrants``, ``verify`` it is a panel at the foot of that built-in page.
        ``render(ledger, result, as_of, party)`` — it may accept any subset of these keywords —
        gets the open read-only :class:`ledger.api.Ledger`, the engine
        :class:`~ledger.engine.Result` of the fold as of the page's date, that date, and on a
        party page the party's id; it returns a :class:`ledger.plugin.reports.Section` (or a
        list of them): paragraphs and tables, which the web face escapes and lays out like its
        own. An exception is shown in the panel, naming the plugin; the page still loads.
    :returns: nothing; call ``register`` once per page or panel. Names are global: prefix yours.
    """


@hookspec
def ledger_register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``loopledger`` command line.

    :param cli: the root click group; use ``@cli.command()``. Commands get the shared context
        (store, plugin facade) with ``click.pass_obj``.
    :returns: nothing.
    """


# --- valuation ------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def ledger_value_instrument(
    kind: str, holding: Any, as_of: Any, market: Any, settings: Mapping[str, Any]
) -> Any:
    """Value one holding of an instrument kind; the first non-None answer wins.

    :param kind: instrument kind — ``"shares"``, ``"private_stake"``, ``"warrant_tranche"``,
        ``"commitment"``, ``"loan"``.
    :param holding: the holding to value (see :mod:`plugins.valuation.holdings`).
    :param as_of: the valuation date.
    :param market: recorded prices and valuations known on ``as_of``.
    :param settings: the valuation plugin's configuration (volatility, rate, probabilities).
    :returns: a :class:`plugins.valuation.holdings.Valuation`, or ``None`` to let the next valuer
        (finally the built-in one, registered ``trylast``) answer.

    Stops at first non-None result: a user plugin overrides the built-in valuer for one kind by
    answering for that kind and returning ``None`` for the others.
    """


# --- observers ------------------------------------------------------------------------------------


@hookspec
def ledger_events_recorded(records: Sequence[Record], store_url: str) -> None:
    """Observe records just appended to the store (after the transaction committed).

    :param records: the new :class:`ledger.store.Record` values (parties and events), in order.
    :param store_url: where they were recorded (password hidden).
    :returns: nothing. An exception is reported as a warning naming the plugin; it never undoes
        or blocks the append.
    """


__all__ = [
    "PROJECT",
    "hookspec",
    "ledger_configure",
    "ledger_events_recorded",
    "ledger_register_commands",
    "ledger_register_invariants",
    "ledger_register_metrics",
    "ledger_register_projections",
    "ledger_register_queries",
    "ledger_register_renderers",
    "ledger_register_scenario_generators",
    "ledger_register_web_pages",
    "ledger_value_instrument",
]
