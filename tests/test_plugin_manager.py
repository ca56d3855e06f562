"""Loading plugins: the block-list, the entry-point allow-list, and what a failing plugin costs.

Entry points are faked by replacing ``importlib.metadata.entry_points`` (the real thing, with pip,
is ``test_plugin_install.py``): each fake points at an object in this module, so the manager's
import, registration and failure handling run for real.
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Callable

import pytest

from ledger import hookimpl
from ledger.engine.projection import Projection
from ledger.plugin.manager import PluginLoadError, make_plugin_manager
from ledger.testing import plugin_manager, run_cli

HERE = __name__  # "tests.test_plugin_manager": fake entry points load objects from here


def count(state: int, entry) -> int:
    return state + 1


class Probe:
    """A working plugin: one projection."""

    @hookimpl
    def ledger_register_projections(self, register: Callable[..., None]) -> None:
        register(Projection("probe.count", int, count))


PROBE = Probe()


class RaisesOnRegister:
    """Registers a projection, then its metrics registration raises: the whole plugin goes."""

    @hookimpl
    def ledger_register_projections(self, register: Callable[..., None]) -> None:
        register(Projection("half.count", int, count))

    @hookimpl
    def ledger_register_metrics(self, register: Callable[..., None]) -> None:
        raise RuntimeError("metric table missing")


RAISES_ON_REGISTER = RaisesOnRegister()


def fake_entry_points(monkeypatch: pytest.MonkeyPatch, **targets: str) -> None:
    """Make ``importlib.metadata.entry_points(group="loopledger")`` return ``name = target``."""
    eps = [
        importlib.metadata.EntryPoint(name=name, value=value, group="loopledger")
        for name, value in targets.items()
    ]

    def entry_points(**params: str) -> list[importlib.metadata.EntryPoint]:
        assert params == {"group": "loopledger"}
        return eps

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def commands(help_text: str) -> set[str]:
    """Subcommand names listed under 'Commands:' in ``--help``."""
    listed = help_text.split("Commands:", 1)[1]
    return {line.split()[0] for line in listed.splitlines() if line.startswith("  ")}


def loaded_entry_points(plugins) -> set[str]:
    return {i.name for i in plugins.describe() if i.origin == "entry point"}


# --- LOOPLEDGER_DISABLE_PLUGINS ---------------------------------------------------------------------


def test_disabling_balances_removes_its_command_and_projection_and_nothing_else(
    cli, example, monkeypatch
):
    assert "balances" in commands(cli("--help").out)  # control: the assertion below can fail
    monkeypatch.setenv("LOOPLEDGER_DISABLE_PLUGINS", "balances")

    helped = cli("--help")
    assert helped.code == 0
    assert "balances" not in commands(helped.out)
    assert {"replay", "events", "project", "plugins", "verify"} <= commands(helped.out)
    assert cli("replay", str(example)).code == 0
    events = cli("events", "--json")
    assert events.code == 0, events.err
    assert len(json.loads(events.out)["events"]) == 148

    gone = cli("balances")
    assert gone.code == 2
    assert "No such command 'balances'" in gone.err
    missing = cli("project", "balances", "--json")
    assert missing.code == 2
    assert "no projection named 'balances'" in missing.err
    names = {p["name"] for p in json.loads(cli("plugins", "--json").out)["plugins"]}
    assert "balances" not in names
    assert "conservation" in names


# --- LOOPLEDGER_LOAD_PLUGINS ------------------------------------------------------------------------


def test_load_plugins_is_an_allow_list_and_empty_loads_no_entry_points(monkeypatch):
    fake_entry_points(monkeypatch, probe=f"{HERE}:PROBE")
    for var in (
        "LOOPLEDGER_LOAD_PLUGINS",
        "LOOPLEDGER_DISABLE_PLUGINS",
        "LOOPLEDGER_STRICT_PLUGINS",
    ):
        monkeypatch.delenv(var, raising=False)

    everything = make_plugin_manager(config={})
    assert loaded_entry_points(everything) == {"probe"}
    assert "probe.count" in {r.projection.name for r in everything.projections()}

    monkeypatch.setenv("LOOPLEDGER_LOAD_PLUGINS", "")
    nothing = make_plugin_manager(config={})
    assert loaded_entry_points(nothing) == set()
    assert "probe.count" not in {r.projection.name for r in nothing.projections()}
    assert "balances" in {r.projection.name for r in nothing.projections()}  # built-ins stay

    monkeypatch.setenv("LOOPLEDGER_LOAD_PLUGINS", " probe , other ")
    assert loaded_entry_points(make_plugin_manager(config={})) == {"probe"}
    monkeypatch.setenv("LOOPLEDGER_LOAD_PLUGINS", "other")
    assert loaded_entry_points(make_plugin_manager(config={})) == set()
    monkeypatch.delenv("LOOPLEDGER_LOAD_PLUGINS")
    monkeypatch.setenv("LOOPLEDGER_DISABLE_PLUGINS", "probe")
    assert loaded_entry_points(make_plugin_manager(config={})) == set()


# --- failures: warn naming the plugin, skip it --------------------------------------------------


def test_registration_that_raises_warns_naming_the_plugin_and_skips_all_of_it():
    plugins = plugin_manager(RAISES_ON_REGISTER, PROBE, builtins=False)
    with pytest.warns(RuntimeWarning, match="plugin 'RaisesOnRegister' .* failed to register"):
        names = {r.projection.name for r in plugins.projections()}
    # Its projection registered fine, but a half-registered plugin is not kept.
    assert names == {"probe.count"}
    (failure,) = plugins.failures
    assert (failure.plugin, failure.stage) == ("RaisesOnRegister", "register")
    assert failure.error == "RuntimeError: metric table missing"
    assert "ledger_register_metrics" in failure.traceback

    ran = run_cli(plugins, "plugins", "--json", store="memory:")
    assert ran.code == 0, ran.err
    listing = json.loads(ran.out)
    assert listing["failures"] == [
        {
            "plugin": "RaisesOnRegister",
            "origin": "registered",
            "stage": "register",
            "error": "RuntimeError: metric table missing",
        }
    ]
    provides = {p["name"]: p["provides"] for p in listing["plugins"]}
    assert provides["RaisesOnRegister"] == []
    assert provides["Probe"] == ["projection:probe.count"]


def test_entry_point_that_cannot_be_imported_warns_naming_it_and_the_rest_load(monkeypatch):
    fake_entry_points(
        monkeypatch, broken="tests.no_such_module_for_loopledger:plugin", probe=f"{HERE}:PROBE"
    )
    monkeypatch.delenv("LOOPLEDGER_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("LOOPLEDGER_STRICT_PLUGINS", raising=False)
    with pytest.warns(RuntimeWarning, match="plugin 'broken' \\(entry point\\) failed to load"):
        plugins = make_plugin_manager(config={})
    assert loaded_entry_points(plugins) == {"probe"}
    assert [(f.plugin, f.stage) for f in plugins.failures] == [("broken", "load")]
    assert "ModuleNotFoundError" in plugins.failures[0].error


def test_entry_point_whose_registration_raises_is_listed_by_the_cli(cli, monkeypatch):
    fake_entry_points(monkeypatch, halfway=f"{HERE}:RAISES_ON_REGISTER")
    monkeypatch.delenv("LOOPLEDGER_LOAD_PLUGINS")
    ran = cli("plugins", "--json")
    missing = cli("project", "half.count")
    # registries are collected at start-up, so the warning is printed there, naming the plugin
    assert "warning: plugin 'halfway'" in ran.err and "warning: plugin 'halfway'" in missing.err
    assert ran.code == 0, ran.err
    listing = json.loads(ran.out)
    assert [(f["plugin"], f["origin"], f["stage"]) for f in listing["failures"]] == [
        ("halfway", "entry point", "register")
    ]
    assert missing.code == 2
    assert "no projection named 'half.count'" in missing.err


# --- strict mode --------------------------------------------------------------------------------


def test_strict_mode_reraises_a_failing_import(cli, monkeypatch):
    fake_entry_points(monkeypatch, broken="tests.no_such_module_for_loopledger:plugin")
    monkeypatch.delenv("LOOPLEDGER_LOAD_PLUGINS")
    monkeypatch.setenv("LOOPLEDGER_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match="plugin 'broken' \\(entry point\\) failed to load"):
        make_plugin_manager(config={})
    ran = cli("events")
    assert ran.code == 2
    assert ran.out == ""
    assert "error: plugin 'broken' (entry point) failed to load" in ran.err
    assert "LOOPLEDGER_STRICT_PLUGINS is set" in ran.err
    monkeypatch.setenv("LOOPLEDGER_STRICT_PLUGINS", "0")  # "0" means off
    assert cli("plugins").code == 0


def test_strict_mode_reraises_a_failing_registration_and_a_name_clash(monkeypatch):
    monkeypatch.setenv("LOOPLEDGER_STRICT_PLUGINS", "1")
    plugins = plugin_manager(RAISES_ON_REGISTER, builtins=False)
    with pytest.raises(PluginLoadError, match="plugin 'RaisesOnRegister'") as raised:
        plugins.projections()
    assert isinstance(raised.value.__cause__, RuntimeError)

    class Again(Probe):
        pass

    clash = plugin_manager(PROBE, Again(), builtins=False)
    with pytest.raises(PluginLoadError, match="already registered by plugin 'Again'"):
        clash.projections()


def test_strict_mode_stops_at_start_up_on_a_failing_registration(cli, monkeypatch):
    fake_entry_points(monkeypatch, halfway=f"{HERE}:RAISES_ON_REGISTER")
    monkeypatch.delenv("LOOPLEDGER_LOAD_PLUGINS")
    monkeypatch.setenv("LOOPLEDGER_STRICT_PLUGINS", "1")
    ran = cli("events")
    assert ran.code == 2
    assert "error: plugin 'halfway' (entry point) failed to register" in ran.err
    assert "Traceback" not in ran.err
