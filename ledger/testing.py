"""Helpers for testing loopledger plugins: a history from text, the reference fold, a private
plugin manager, the command line in-process, and the conservation laws for a projection.

Why a module of its own: a plugin lives in its own distribution and must be testable without a
store, without entry points and without touching the user's configuration. Everything here is
hermetic — no module-global state, no ``loopledger.toml`` read, no entry points loaded — so a
plugin's tests give the same answer on a laptop and in CI::

    from ledger.testing import check_projection, fold, load_text, plugin_manager, run_cli

    HISTORY = load_text('''
        loopledger: 1
        parties: [{id: nvidia, name: NVIDIA}, {id: openai, name: OpenAI}]
        events:
          - {id: ob, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "10B"}
    ''')

    def test_my_projection_keeps_the_laws():
        assert check_projection(MY_PROJECTION, HISTORY.events, HISTORY.parties) == []

The reference fold (:func:`fold`) goes through :func:`ledger.book.fold`, the ledger's own
semantics with no store and no checkpoints, so it is the answer the engine must agree with.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import textwrap
import traceback
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from invariants.accounting import cash_across_loop, global_conservation, postings_balance
from invariants.history import as_of_consistency, deterministic, fold_states, reversal_cancels
from invariants.violation import Violation
from ledger.book import fold as reference_fold
from ledger.engine.projection import ProjectionProtocol
from ledger.faces.options import EXIT_CHECK_FAILED
from ledger.histories.loader import History, load_bytes
from ledger.model.events import Event
from ledger.model.values import Party
from ledger.plugin.manager import BUILTIN_PLUGINS, Plugins, make_plugin_manager

__all__ = [
    "CliResult",
    "check_projection",
    "fold",
    "load_text",
    "plugin_manager",
    "plugin_name",
    "registered",
    "run_cli",
]


def load_text(yaml_text: str, name: str = "<text>") -> History:
    """Parse a deal history written inline in a test (YAML, or JSON since JSON is YAML).

    The text is dedented first, so a triple-quoted block indented with the test reads as
    written. Problems raise :class:`ledger.model.problems.InputError`, exactly as ``loopledger replay``
    would report them.
    """
    return load_bytes(textwrap.dedent(yaml_text).strip().encode("utf-8"), name)


def fold(
    projection: ProjectionProtocol,
    events: Iterable[Event],
    parties: Iterable[Party] = (),
    as_of: dt.date | None = None,
) -> Any:
    """The reference state of ``projection`` after ``events`` (as of a date, if given).

    Feeds the projection the effective history from :func:`ledger.book.fold` — reversed events
    and their reversals left out, only event types in ``projection.handles`` — which is what
    the engine must produce from a store. Raises :class:`ValueError` when the history itself
    does not fold (a test's input mistake, not a projection bug).
    """
    _, entries, problems = reference_fold(list(events), parties, as_of)
    if problems:
        raise ValueError("the history does not fold: " + "; ".join(p.render() for p in problems))
    handles = projection.handles
    state = projection.initial()
    for entry in entries:
        if handles is None or entry.event.TYPE in handles:
            state = projection.apply(state, entry)
    return state


def plugin_name(plugin: object) -> str:
    """The name a plugin object is registered under when none is given.

    A module's or class's ``__name__``, else the name of the object's class.
    """
    return str(getattr(plugin, "__name__", type(plugin).__name__))


def plugin_manager(
    *plugins: object, builtins: bool = True, config: Mapping[str, Any] | None = None
) -> Plugins:
    """A fresh plugin facade with ``plugins`` registered, and no entry points.

    Entry points are never loaded, so whatever happens to be installed cannot change a test.
    ``config`` stands in for ``loopledger.toml`` (default: empty, so the current directory's
    file is never read); its ``[plugins.<name>]`` sections reach ``ledger_configure``.
    ``builtins=False`` leaves out loopledger's own plugins (balances, conservation, …) for a
    test about one plugin alone. ``LOOPLEDGER_DISABLE_PLUGINS`` and
    ``LOOPLEDGER_STRICT_PLUGINS`` still apply, so a test can exercise them with monkeypatch.
    """
    return make_plugin_manager(
        load_entrypoints=False,
        builtins=BUILTIN_PLUGINS if builtins else (),
        extra=[(plugin_name(p), p) for p in plugins],
        config=dict(config) if config is not None else {},
    )


@contextlib.contextmanager
def registered(
    plugin: object, name: str | None = None, *, plugins: Plugins | None = None
) -> Iterator[Plugins]:
    """Register ``plugin`` for the duration of a ``with`` block, and yield the facade.

    Into ``plugins`` when given (the plugin is unregistered again on exit, so a shared facade is
    left as it was), else into a fresh :func:`plugin_manager` with the built-ins. A late
    registration still receives ``ledger_configure`` — that hook is historic.
    """
    target = plugins if plugins is not None else plugin_manager()
    registered_name = target.register(plugin, name or plugin_name(plugin))
    try:
        yield target
    finally:
        target.unregister(registered_name)


class CliResult(NamedTuple):
    """What a command-line run produced: exit code, standard output, standard error."""

    code: int
    out: str
    err: str


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def run_cli(plugins: Plugins, *args: str, store: str | None = None) -> CliResult:
    """Run ``loopledger ARGS`` in this process with the given plugin facade; capture output.

    Mirrors :func:`ledger.faces.cli.main` — the root group with every plugin's commands, click's
    standalone mode (so exit codes and usage errors are the real ones), warnings printed as
    ``warning: …`` on standard error, and a crash turned into a traceback and exit code 1 —
    except that the plugins are the ones given rather than the installed ones. ``store``
    becomes ``--store STORE``; without it the usual default applies (``LOOPLEDGER_STORE``,
    else ``./loopledger.db``).
    """
    from ledger.faces.cli import build_cli

    argv = ["--store", store] if store is not None else []
    argv += [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            try:
                group = build_cli(plugins)
                for late in getattr(plugins, "late_warnings", []):
                    print(f"warning: {late}", file=err)
                group.main(args=argv, prog_name="loopledger", obj=plugins, standalone_mode=True)
            except SystemExit as exc:
                code = _exit_code(exc.code)
            except Exception:  # noqa: BLE001 - mirrors main(): a bug is shown, not raised
                traceback.print_exc()
                code = EXIT_CHECK_FAILED
        for w in caught:
            if issubclass(w.category, RuntimeWarning):
                print(f"warning: {w.message}", file=err)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return CliResult(code, out.getvalue(), err.getvalue())


def check_projection(
    projection: ProjectionProtocol, events: Sequence[Event], parties: Iterable[Party] = ()
) -> list[Violation]:
    """The conservation laws for one projection over one history; empty when all hold.

    * determinism — the reference fold run twice gives identical states (catches an
      ``initial()`` that hands out shared state, or reliance on set or dict ordering luck);
    * a reversal cancels — with every reversal R of X, the state equals the state of the
      history without X and R (the projection never sees either);
    * as-of consistency — at every distinct event date D, the fold ``as_of=D`` equals the fold
      of the events dated on or before D;
    * the double-entry laws on the postings the projection is fed: every event balances,
      every commodity sums to zero after every event, and cash only moves between parties.

    States are compared with ``==``, so a state must compare by value. A projection that
    keeps store positions (``entry.position``) breaks the reversal and as-of laws by design:
    key state on event ids instead. Raises :class:`ValueError` if the history does not fold.
    """
    events = list(events)
    parties = list(parties)
    projections = [projection]
    found: list[Violation] = []
    # A copy of the first result: with state shared between folds, both would be one object.
    first = copy.deepcopy(fold_states(events, parties, projections))
    found += deterministic(
        first, fold_states(events, parties, projections), how="the reference fold run twice"
    )
    found += reversal_cancels(events, parties, projections)
    for day in sorted({e.date for e in events}):
        cut = fold_states(events, parties, projections, as_of=day)
        found += as_of_consistency(events, day, cut, parties, projections)
    _, entries, _ = reference_fold(events, parties)
    found += postings_balance(entries)
    found += global_conservation(entries)
    found += cash_across_loop(entries)
    return found
