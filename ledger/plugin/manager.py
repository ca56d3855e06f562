"""Building the plugin manager, and the typed facade that is the only code touching ``pm.hook``.

Load order: built-ins from ``plugins/`` first (so, with pluggy's last-registered-first call
order, user plugins answer ``firstresult`` hooks before them), then third-party entry points of
group ``loopledger`` one at a time. A plugin that fails to import or to register is skipped with
a warning naming it (``LOOPLEDGER_STRICT_PLUGINS=1`` raises instead). ``LOOPLEDGER_LOAD_PLUGINS``
is an allow-list of entry-point plugins (by entry-point or distribution name; empty = none),
``LOOPLEDGER_DISABLE_PLUGINS`` a block-list of any plugin, built-in or not.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
import sys
import tomllib
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pluggy

from ledger.engine import Registered
from ledger.engine.projection import ProjectionProtocol
from ledger.model.problems import InputError, Problem
from ledger.plugin import hookspecs
from ledger.plugin.registry import (
    PANEL_PLACES,
    GeneratorSpec,
    InvariantSpec,
    MetricSpec,
    PageSpec,
    PluginFailure,
    PluginInfo,
    QuerySpec,
    Registries,
    RendererSpec,
)

if TYPE_CHECKING:
    import click

    from ledger.store import Record

BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("balances", "plugins.balances.plugin"),
    ("conservation", "plugins.conservation.plugin"),
    ("valuation", "plugins.valuation.plugin"),
    ("metrics", "plugins.metrics.plugin"),
    ("audit", "plugins.audit.plugin"),
    ("reports", "plugins.reports.plugin"),
    ("demo", "plugins.demo.plugin"),
    ("scenarios", "plugins.scenarios.plugin"),
)
"""(plugin name, module) of every built-in, registered in this order."""

REGISTRY_HOOKS = {
    "ledger_register_projections": "projections",
    "ledger_register_metrics": "metrics",
    "ledger_register_invariants": "invariants",
    "ledger_register_renderers": "renderers",
    "ledger_register_queries": "queries",
    "ledger_register_scenario_generators": "generators",
    "ledger_register_web_pages": "pages",
}
SINGULAR = {
    "projections": "projection",
    "metrics": "metric",
    "invariants": "invariant",
    "renderers": "renderer",
    "queries": "query",
    "generators": "scenario generator",
    "pages": "web page",
}


class PluginLoadError(Exception):
    """Strict mode: a plugin failed to load or register."""


def _env_list(name: str) -> list[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def load_config(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read ``loopledger.toml`` (or ``LOOPLEDGER_CONFIG``); an absent file is an empty config."""
    chosen = path or os.environ.get("LOOPLEDGER_CONFIG")
    file = Path(chosen) if chosen else Path("loopledger.toml")
    if not file.exists():
        if chosen:
            raise InputError(Problem(file=str(file), message="configuration file not found"))
        return {}
    try:
        return tomllib.loads(file.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(Problem(file=str(file), message=f"not valid TOML: {exc}")) from None


def make_plugin_manager(
    *,
    load_entrypoints: bool = True,
    builtins: Iterable[tuple[str, str]] = BUILTIN_PLUGINS,
    extra: Iterable[tuple[str, object]] = (),
    config: Mapping[str, Any] | None = None,
) -> Plugins:
    """A fresh plugin manager wrapped in its facade (no module-global state)."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    strict = os.environ.get("LOOPLEDGER_STRICT_PLUGINS", "") not in ("", "0")
    disabled = set(_env_list("LOOPLEDGER_DISABLE_PLUGINS") or [])
    plugins = Plugins(pm, strict=strict, config=config if config is not None else load_config())
    for name in disabled:
        pm.set_blocked(name)
    for name, module in builtins:
        if name in disabled:
            continue
        plugins._load(name, "built-in", functools.partial(importlib.import_module, module), None)
    if load_entrypoints:
        allow = _env_list("LOOPLEDGER_LOAD_PLUGINS")
        for ep in sorted(
            importlib.metadata.entry_points(group=hookspecs.PROJECT), key=lambda e: e.name
        ):
            dist = ep.dist.name if ep.dist else None
            if ep.name in disabled or (dist and dist in disabled):
                continue
            if allow is not None and ep.name not in allow and (dist is None or dist not in allow):
                continue
            plugins._load(ep.name, "entry point", ep.load, ep.dist)
    for name, obj in extra:
        plugins.register(obj, name)
    plugins._configure()
    return plugins


class Plugins:
    """Typed facade over the pluggy manager: registries, valuation, observers, introspection."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        *,
        strict: bool = False,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self.pm = pm
        self.strict = strict
        self.config: Mapping[str, Any] = MappingProxyType(dict(config or {}))
        self.failures: list[PluginFailure] = []
        self.origins: dict[str, tuple[str, Any]] = {}
        self._registries: Registries | None = None

    # --- loading --------------------------------------------------------------------------------

    def _fail(self, name: str, origin: str, stage: str, exc: BaseException) -> None:
        failure = PluginFailure(
            name, origin, stage, f"{type(exc).__name__}: {exc}", traceback.format_exc()
        )
        if self.strict:
            raise PluginLoadError(
                f"plugin '{name}' ({origin}) failed to {stage}: {failure.error}"
            ) from exc
        self.failures.append(failure)
        warnings.warn(
            f"plugin '{name}' ({origin}) failed to {stage} and was skipped: {failure.error}",
            RuntimeWarning,
            stacklevel=3,
        )

    def _load(self, name: str, origin: str, load: Callable[[], object], dist: Any) -> None:
        if self.pm.is_blocked(name) or self.pm.has_plugin(name):
            return
        try:
            obj = load()
            self.pm.register(obj, name)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not take loopledger down
            self._fail(name, origin, "load", exc)
            return
        self.origins[name] = (origin, dist)

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object now (tests, ``ledger.testing``); returns its name."""
        registered = self.pm.register(plugin, name)
        assert registered is not None
        self.origins[registered] = ("registered", None)
        self._registries = None
        return registered

    def unregister(self, name: str) -> None:
        """Remove a plugin registered by name."""
        self.pm.unregister(name=name)
        self.origins.pop(name, None)
        self._registries = None

    def _configure(self) -> None:
        def plugin_config(name: str) -> Mapping[str, Any]:
            section = self.config.get("plugins", {}).get(name, {})
            return (
                MappingProxyType(dict(section))
                if isinstance(section, dict)
                else MappingProxyType({})
            )

        self.pm.hook.ledger_configure.call_historic(
            kwargs={"config": self.config, "plugin_config": plugin_config}
        )

    def plugin_config(self, name: str) -> Mapping[str, Any]:
        """The ``[plugins.<name>]`` section of the configuration."""
        section = self.config.get("plugins", {}).get(name, {})
        return (
            MappingProxyType(dict(section)) if isinstance(section, dict) else MappingProxyType({})
        )

    # --- registries -------------------------------------------------------------------------------

    @property
    def registries(self) -> Registries:
        """Everything registered, collected once; a plugin whose registration raises is skipped."""
        if self._registries is None:
            self._registries = self._collect()
        return self._registries

    def _collect(self) -> Registries:
        collected: dict[str, dict[str, list[Any]]] = {}
        broken: set[str] = set()
        for hook_name, kind in REGISTRY_HOOKS.items():
            caller = getattr(self.pm.hook, hook_name)
            for impl in caller.get_hookimpls():
                name = impl.plugin_name
                if name in broken:
                    continue
                items: list[Any] = []
                try:
                    impl.function(register=_registrar(kind, name, items))
                except Exception as exc:  # noqa: BLE001 - skip the plugin, keep the others
                    broken.add(name)
                    self._fail(
                        name, self.origins.get(name, ("registered", None))[0], "register", exc
                    )
                    continue
                collected.setdefault(name, {}).setdefault(kind, []).extend(items)
        registries = Registries()
        seen: dict[tuple[str, str], str] = {}
        for plugin in sorted(
            collected, key=lambda n: (self.origins.get(n, ("",))[0] != "built-in", n)
        ):
            if plugin in broken:
                continue
            for kind, items in collected[plugin].items():
                for item in items:
                    key = (kind, _item_name(item))
                    if key in seen:
                        self._fail(
                            plugin,
                            self.origins.get(plugin, ("registered", None))[0],
                            "register",
                            ValueError(
                                f"{SINGULAR[kind]} name '{key[1]}' is already registered by plugin '{seen[key]}'"
                            ),
                        )
                        continue
                    seen[key] = plugin
                    getattr(registries, kind).append(item)
        for kind in REGISTRY_HOOKS.values():
            getattr(registries, kind).sort(key=_item_name)
        return registries

    def projections(self) -> list[Registered]:
        return list(self.registries.projections)

    def projection(self, name: str) -> Registered:
        for r in self.registries.projections:
            if r.projection.name == name:
                return r
        known = ", ".join(r.projection.name for r in self.registries.projections)
        raise InputError(
            Problem(field="NAME", message=f"no projection named '{name}' (known: {known})")
        )

    def metrics(self) -> list[MetricSpec]:
        return list(self.registries.metrics)

    def invariants(self) -> list[InvariantSpec]:
        return list(self.registries.invariants)

    def renderers(self) -> list[RendererSpec]:
        return list(self.registries.renderers)

    def pages(self) -> list[PageSpec]:
        """Web pages and panels (``ledger_register_web_pages``), by name."""
        return list(self.registries.pages)

    def queries(self) -> list[QuerySpec]:
        return list(self.registries.queries)

    def query(self, name: str) -> QuerySpec:
        """The query registered as ``name``; bad input naming the known ones otherwise."""
        for q in self.registries.queries:
            if q.name == name:
                return q
        known = ", ".join(q.name for q in self.registries.queries) or "none"
        raise InputError(
            Problem(field="query", message=f"no query named '{name}' (known: {known})")
        )

    def scenario_generators(self) -> list[GeneratorSpec]:
        return list(self.registries.generators)

    def scenario_generator(self, name: str) -> GeneratorSpec | None:
        """The scenario generator registered as ``name``, or None."""
        for g in self.registries.generators:
            if g.name == name:
                return g
        return None

    # --- other hooks ------------------------------------------------------------------------------

    def add_commands(self, cli: click.Group) -> None:
        """Let every plugin add its subcommands; a plugin that raises is skipped with a warning.

        Built-ins go first, then plugins by name; a plugin may not replace a command that exists
        (core or another plugin's) — the clash is reported and the first command kept, so the
        order plugins were installed in never changes what a command does.
        """
        owners = {name: "loopledger" for name in cli.commands}
        impls = sorted(
            self.pm.hook.ledger_register_commands.get_hookimpls(),
            key=lambda i: (self.origins.get(i.plugin_name, ("",))[0] != "built-in", i.plugin_name),
        )
        for impl in impls:
            name = impl.plugin_name
            origin = self.origins.get(name, ("registered", None))[0]
            before = dict(cli.commands)
            try:
                impl.function(cli=cli)
            except Exception as exc:  # noqa: BLE001
                cli.commands = before
                self._fail(name, origin, "add commands", exc)
                continue
            for command in set(cli.commands) & set(before):
                if cli.commands[command] is not before[command]:
                    cli.commands[command] = before[command]
                    self._fail(
                        name,
                        origin,
                        "add commands",
                        ValueError(f"command '{command}' is already defined by {owners[command]}"),
                    )
            for command in set(cli.commands) - set(before):
                owners[command] = name

    def value_instrument(
        self, *, kind: str, holding: Any, as_of: Any, market: Any, settings: Mapping[str, Any]
    ) -> Any:
        """First non-None valuation (user valuers before the built-in ``trylast`` one)."""
        return self.pm.hook.ledger_value_instrument(
            kind=kind, holding=holding, as_of=as_of, market=market, settings=settings
        )

    def events_recorded(self, records: Sequence[Record], store_url: str) -> list[PluginFailure]:
        """Tell every observer; each one's exception is caught, reported and returned."""
        failures: list[PluginFailure] = []
        for impl in reversed(self.pm.hook.ledger_events_recorded.get_hookimpls()):
            kwargs = {"records": records, "store_url": store_url}
            try:
                impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
            except Exception as exc:  # noqa: BLE001 - observers never block the write path
                failure = PluginFailure(
                    impl.plugin_name,
                    self.origins.get(impl.plugin_name, ("registered", None))[0],
                    "observe",
                    f"{type(exc).__name__}: {exc}",
                    traceback.format_exc(),
                )
                failures.append(failure)
                print(
                    f"warning: plugin '{impl.plugin_name}' failed while observing recorded events: {failure.error}",
                    file=sys.stderr,
                )
        return failures

    def describe(self) -> list[PluginInfo]:
        """Name, version, origin and hooks of every loaded plugin."""
        infos = []
        for name, plugin in sorted(self.pm.list_name_plugin(), key=lambda item: item[0]):
            if plugin is None:
                continue
            origin, dist = self.origins.get(name, ("registered", None))
            version = (
                dist.version
                if dist is not None
                else (_builtin_version() if origin == "built-in" else None)
            )
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or []))
            infos.append(
                PluginInfo(
                    name,
                    version,
                    origin,
                    dist.name
                    if dist is not None
                    else ("loopledger" if origin == "built-in" else None),
                    hooks,
                )
            )
        return infos


def _builtin_version() -> str:
    from ledger import __version__

    return __version__


def _item_name(item: Any) -> str:
    if isinstance(item, Registered):
        return item.projection.name
    return str(item.name)


def _registrar(kind: str, plugin: str, items: list[Any]) -> Callable[..., None]:
    if kind == "projections":

        def register_projection(projection: ProjectionProtocol) -> None:
            for attr in ("name", "initial", "apply"):
                if not hasattr(projection, attr):
                    raise TypeError(
                        f"a projection needs '{attr}' (see ledger.engine.projection.Projection)"
                    )
            items.append(Registered(projection, plugin))

        return register_projection
    if kind in ("metrics", "queries"):
        spec = MetricSpec if kind == "metrics" else QuerySpec

        def register_computed(
            name: str,
            function: Callable[..., Any],
            requires: Sequence[str] = (),
            description: str = "",
        ) -> None:
            items.append(
                spec(
                    name,
                    function,
                    tuple(requires),
                    description or (function.__doc__ or "").strip().split("\n")[0],
                    plugin,
                )
            )

        return register_computed
    if kind == "generators":

        def register_generator(
            name: str,
            generate: Callable[..., Any],
            parameters: Mapping[str, str] | None = None,
            description: str = "",
        ) -> None:
            if not callable(generate):
                raise TypeError(f"scenario generator '{name}': generate must be callable")
            items.append(
                GeneratorSpec(
                    name,
                    generate,
                    MappingProxyType(dict(parameters or {})),
                    description or (generate.__doc__ or "").strip().split("\n")[0],
                    plugin,
                )
            )

        return register_generator
    if kind == "invariants":

        def register_invariant(name: str, check: Callable[..., Any], description: str = "") -> None:
            items.append(
                InvariantSpec(
                    name, check, description or (check.__doc__ or "").strip().split("\n")[0], plugin
                )
            )

        return register_invariant

    if kind == "pages":

        def register_page(
            name: str,
            title: str,
            render: Callable[..., Any],
            on: str | None = None,
            description: str = "",
        ) -> None:
            if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
                raise ValueError(
                    f"a web page name is letters, digits, '-', '_' or '.'; got {name!r}"
                )
            if on is not None and on not in PANEL_PLACES:
                raise ValueError(
                    f"a panel goes on one of {', '.join(PANEL_PLACES)} (or on=None for a page); "
                    f"got {on!r}"
                )
            items.append(
                PageSpec(
                    name,
                    title,
                    render,
                    on,
                    description or (render.__doc__ or "").strip().split("\n")[0],
                    plugin,
                )
            )

        return register_page

    def register_renderer(name: str, render: Callable[..., str], suffix: str = ".txt") -> None:
        items.append(RendererSpec(name, render, suffix, plugin))

    return register_renderer
