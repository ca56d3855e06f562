"""The hook specifications: documented, tested and described for plugin authors — and each hook
doing what its docstring promises, exercised through the :class:`~ledger.plugin.manager.Plugins`
facade the way a plugin author would (``ledger.testing``).

The meta-tests (datasette-style) fail when a hook is added without a documented signature, without
a ``test_hook_<name>`` test somewhere under ``tests/``, or without a section in docs/plugins.md.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib.util
import inspect
import json
import re
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pluggy
import pytest

import ledger.plugin.hookspecs
from invariants import Context, Violation
from ledger import hookimpl
from ledger.api import FoldFailed
from ledger.engine import Engine
from ledger.engine.projection import Projection
from ledger.histories.loader import load_file
from ledger.histories.recording import replay
from ledger.model.problems import InputError
from ledger.plugin.manager import make_plugin_manager
from ledger.plugin.reports import Report, Section
from ledger.store import Store
from ledger.testing import fold, load_text, plugin_manager, registered, run_cli

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
EXAMPLE = ROOT / "ledger" / "examples" / "ai-compute-2025-2026.yaml"
EXAMPLE_PLUGIN = TESTS / "example_plugin" / "loopledger_exposure" / "__init__.py"
DOCS = ROOT / "docs" / "plugins.md"


def hook_callers() -> dict[str, pluggy.HookCaller]:
    pm = pluggy.PluginManager(ledger.plugin.hookspecs.PROJECT)
    pm.add_hookspecs(ledger.plugin.hookspecs)
    return {name: getattr(pm.hook, name) for name in dir(pm.hook) if name.startswith("ledger_")}


HOOKS = sorted(hook_callers())


def load_example_plugin() -> ModuleType:
    """The example distribution's module, loaded from its file (no pip needed in-process)."""
    spec = importlib.util.spec_from_file_location("loopledger_exposure", EXAMPLE_PLUGIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def hermetic(monkeypatch, tmp_path):
    """No installed entry points, no loopledger.toml from the working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOOPLEDGER_LOAD_PLUGINS", "")
    for var in ("LOOPLEDGER_DISABLE_PLUGINS", "LOOPLEDGER_STRICT_PLUGINS", "LOOPLEDGER_CONFIG"):
        monkeypatch.delenv(var, raising=False)


# --- meta-tests -------------------------------------------------------------------------------------


def test_the_hook_list_is_what_hookspecs_exports():
    assert len(HOOKS) == 11
    exported = {n for n in ledger.plugin.hookspecs.__all__ if n.startswith("ledger_")}
    assert set(HOOKS) == exported


@pytest.mark.parametrize("name", HOOKS)
def test_every_hookspec_documents_each_argument_and_its_return(name):
    spec = hook_callers()[name].spec
    assert spec is not None
    doc = inspect.getdoc(spec.function) or ""
    assert doc, f"{name} has no docstring"
    argnames = list(spec.argnames)
    assert argnames == list(inspect.signature(spec.function).parameters)
    for arg in argnames:
        assert f":param {arg}:" in doc, f"{name}: ':param {arg}:' missing from its docstring"
    documented = re.findall(r":param (\w+):", doc)
    assert sorted(documented) == sorted(argnames), f"{name} documents parameters it lacks"
    assert ":returns:" in doc, f"{name}: ':returns:' missing from its docstring"


def test_function_names_under_tests_are_found_by_the_scan():
    names = function_names_under_tests()
    assert "test_function_names_under_tests_are_found_by_the_scan" in names
    assert "test_hook_ledger_configure" in names


def function_names_under_tests() -> set[str]:
    """Every function defined in a test module under tests/ (methods included)."""
    names: set[str] = set()
    for path in TESTS.rglob("test_*.py"):
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        names |= {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
    return names


@pytest.mark.parametrize("name", HOOKS)
def test_every_hookspec_has_a_test_named_after_it(name):
    assert f"test_hook_{name}" in function_names_under_tests(), (
        f"no test named test_hook_{name} under tests/: write one that exercises the hook"
    )


def docs_blocks() -> tuple[list[str], list[str]]:
    """docs/plugins.md split into its headings (outside code) and its fenced code blocks."""
    headings, blocks, current = [], [], None
    for line in DOCS.read_text("utf-8").splitlines(keepends=True):
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append("".join(current))
                current = None
        elif current is not None:
            current.append(line)
        elif line.startswith("#"):
            headings.append(line)
    return headings, blocks


@pytest.mark.parametrize("name", HOOKS)
def test_every_hookspec_has_a_section_in_the_plugin_docs(name):
    headings, _ = docs_blocks()
    assert any(f"`{name}`" in h for h in headings), f"docs/plugins.md has no section for {name}"


@pytest.mark.parametrize("name", HOOKS)
def test_the_documented_signature_is_the_hookspec(name):
    """Each hook's section shows ``def <hook>(...)`` with the spec's arguments and annotations."""
    spec = hook_callers()[name].spec
    assert spec is not None
    _, blocks = docs_blocks()
    documented = [
        node
        for block in blocks
        if block.startswith(f"@hookimpl\ndef {name}(")  # the section's signature block
        for node in ast.parse(block).body
        if isinstance(node, ast.FunctionDef) and node.name == name
    ]
    assert documented, f"docs/plugins.md shows no signature for {name}"
    source = ast.parse(inspect.getsource(spec.function)).body[0]
    assert isinstance(source, ast.FunctionDef)
    for doc in documented:
        assert [a.arg for a in doc.args.args] == list(spec.argnames)
        assert [ast.unparse(a.annotation) for a in doc.args.args if a.annotation] == [
            ast.unparse(a.annotation) for a in source.args.args if a.annotation
        ]
        assert ast.unparse(doc.returns) == ast.unparse(source.returns)


def test_the_docs_show_the_example_plugin_verbatim():
    _, blocks = docs_blocks()
    assert EXAMPLE_PLUGIN.read_text("utf-8") in blocks
    assert (EXAMPLE_PLUGIN.parent.parent / "pyproject.toml").read_text("utf-8") in blocks


def test_the_docs_testing_example_runs(monkeypatch, tmp_path):
    """The plugin-test example in docs/plugins.md, run against the example plugin."""
    _, blocks = docs_blocks()
    (code,) = [b for b in blocks if "def test_the_command" in b]
    monkeypatch.setitem(sys.modules, "loopledger_exposure", load_example_plugin())
    namespace: dict = {}
    exec(compile(code, "docs/plugins.md", "exec"), namespace)  # noqa: S102 - our own docs
    tests = {k: v for k, v in namespace.items() if k.startswith("test_")}
    assert len(tests) == 4
    namespace["test_net_cash_by_counterparty"]()
    namespace["test_the_projection_keeps_the_conservation_laws"]()
    namespace["test_the_metric_is_registered_and_computes"]()
    namespace["test_the_command"](tmp_path)


# --- helpers ----------------------------------------------------------------------------------------


def count(state: int, entry) -> int:
    return state + 1


class Registers:
    """A plugin that registers projections with the given names."""

    def __init__(self, *names: str) -> None:
        self.names = names

    @hookimpl
    def ledger_register_projections(self, register: Callable[..., None]) -> None:
        for name in self.names:
            register(Projection(name, int, count))


ROUND_TRIP = """
    loopledger: 1
    parties: [{id: nvidia, name: NVIDIA}, {id: openai, name: OpenAI}]
    events:
      - {id: ob-nv, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "20B"}
      - {id: inv, date: 2025-02-01, type: investment, investor: nvidia, investee: openai, amount: "10B"}
      - {id: buy, date: 2025-03-01, type: purchase, buyer: openai, seller: nvidia, amount: "4B", item: GPUs}
"""


# --- ledger_configure ------------------------------------------------------------------------------


class Configurable:
    def __init__(self) -> None:
        self.seen: tuple | None = None

    @hookimpl
    def ledger_configure(self, config, plugin_config) -> None:
        self.seen = (config, plugin_config("probe"), plugin_config("absent"))


class OwnSectionOnly:
    """Takes only the argument it needs: call sites pass keywords, so a subset is fine."""

    def __init__(self) -> None:
        self.section: dict | None = None

    @hookimpl
    def ledger_configure(self, plugin_config) -> None:
        self.section = dict(plugin_config("probe"))


def test_hook_ledger_configure(tmp_path):
    config = {"store": "x.db", "plugins": {"probe": {"threshold": "0.25"}}}
    early, subset = Configurable(), OwnSectionOnly()
    plugins = plugin_manager(early, subset, builtins=False, config=config)
    assert early.seen is not None
    whole, section, absent = early.seen
    assert whole["store"] == "x.db"
    assert section == {"threshold": "0.25"}
    assert absent == {}
    assert subset.section == {"threshold": "0.25"}
    with pytest.raises(TypeError):
        section["threshold"] = "1"  # read-only: a plugin cannot change another's view
    assert plugins.plugin_config("probe") == {"threshold": "0.25"}

    # Historic: a plugin registered after start-up (as in a test) still gets the call.
    late = Configurable()
    with registered(late, "late", plugins=plugins):
        assert late.seen is not None
        assert late.seen[1] == {"threshold": "0.25"}
    assert not plugins.pm.has_plugin("late")

    # From loopledger.toml in the working directory (the hermetic fixture chdir'ed to tmp_path).
    (tmp_path / "loopledger.toml").write_text('[plugins.probe]\nthreshold = "0.5"\n')
    from_file = Configurable()
    make_plugin_manager(load_entrypoints=False, builtins=(), extra=[("probe", from_file)])
    assert from_file.seen is not None
    assert from_file.seen[1] == {"threshold": "0.5"}


# --- ledger_register_projections --------------------------------------------------------------------


class InvestmentIds:
    @hookimpl
    def ledger_register_projections(self, register: Callable[..., None]) -> None:
        register(INVESTMENT_IDS)


def _append_id(state: list[str], entry) -> list[str]:
    state.append(entry.event.id)
    return state


INVESTMENT_IDS = Projection("test.investment_ids", list, _append_id, handles={"investment"})


def test_hook_ledger_register_projections():
    history = load_file(EXAMPLE)
    plugins = plugin_manager(InvestmentIds())
    (mine,) = [r for r in plugins.projections() if r.projection.name == "test.investment_ids"]
    assert mine.plugin == "InvestmentIds"
    with Store("memory:") as store:
        replay(Engine(store, plugins.projections()), [history])
        result = Engine(store, plugins.projections()).run()
    assert result.failures == []
    ids = result.state("test.investment_ids")
    assert ids == [e.id for e in history.events if e.TYPE == "investment"]
    assert len(ids) == 15
    assert ids == fold(INVESTMENT_IDS, history.events, history.parties)
    assert "balances" in result.states  # built-ins ran alongside


def test_hook_ledger_register_projections_reports_a_clash_and_ignores_order():
    a, b = Registers("a.only", "shared.count"), Registers("b.only", "shared.count")

    def registries(*plugins):
        pm = make_plugin_manager(
            load_entrypoints=False, builtins=(), extra=list(plugins), config={}
        )
        with pytest.warns(RuntimeWarning, match="already registered by plugin 'alpha'"):
            found = [(r.projection.name, r.plugin) for r in pm.projections()]
        return found, [(f.plugin, f.stage, f.error) for f in pm.failures]

    first = registries(("alpha", a), ("beta", b))
    assert first == registries(("beta", b), ("alpha", a))
    found, failures = first
    # Only the clashing name is refused; the rest of beta's registrations stand.
    assert found == [("a.only", "alpha"), ("b.only", "beta"), ("shared.count", "alpha")]
    assert failures == [
        (
            "beta",
            "register",
            "ValueError: projection name 'shared.count' is already registered by plugin 'alpha'",
        )
    ]


def test_hook_ledger_register_projections_refuses_something_that_is_not_a_projection():
    class NotAProjection:
        @hookimpl
        def ledger_register_projections(self, register):
            register(object())

    plugins = plugin_manager(NotAProjection(), builtins=False)
    with pytest.warns(RuntimeWarning, match="a projection needs 'name'"):
        assert plugins.projections() == []


# --- ledger_register_metrics ------------------------------------------------------------------------


class TwoMetrics:
    @hookimpl
    def ledger_register_metrics(self, register: Callable[..., None]) -> None:
        register("zeta.one", lambda states, as_of: [], description="z")
        register("alpha.two", lambda states, as_of: [])


def test_hook_ledger_register_metrics():
    example = load_example_plugin()
    with registered(example, "exposure") as plugins, registered(TwoMetrics(), plugins=plugins):
        metrics = {m.name: m for m in plugins.metrics()}
        assert [m.name for m in plugins.metrics()] == sorted(metrics)  # by name, not order
        spec = metrics["exposure.round_trip_cash"]
        assert spec.plugin == "exposure"
        assert spec.requires == ("exposure.by_counterparty",)
        assert spec.description == "cash that flowed both ways between the same two parties"
        assert (metrics["alpha.two"].plugin, metrics["alpha.two"].description) == (
            "TwoMetrics",
            "",
        )

        # Computed from the engine's states: NVIDIA put 10B into OpenAI, 4B came back.
        history = load_text(ROUND_TRIP)
        with Store("memory:") as store:
            replay(Engine(store, plugins.projections()), [history])
            states = Engine(store, plugins.projections()).run().states
        figures = spec.compute(states, None)
        assert figures == [{"value": Decimal("4000000000"), "unit": "USD"}]
        reference = {
            spec.requires[0]: fold(example.BY_COUNTERPARTY, history.events, history.parties)
        }
        assert spec.compute(reference, None) == figures


# --- ledger_register_invariants ---------------------------------------------------------------------


def no_payment_over_20b(context: Context) -> list[Violation]:
    """No single cash payment above 20B (a probe invariant for the test).

    The second line is not part of the description.
    """
    return [
        Violation("probe.no-payment-over-20b", f"{e.event.id} pays {-p.quantity}", (e.event.id,))
        for e in context.entries
        for p in e.postings
        if p.account == "assets:cash" and p.quantity < Decimal("-20e9") and p.party != "world"
    ]


class Invariants:
    @hookimpl
    def ledger_register_invariants(self, register: Callable[..., None]) -> None:
        register("probe.no-payment-over-20b", no_payment_over_20b)
        register("probe.raises", lambda context: 1 / 0, description="always raises")


def test_hook_ledger_register_invariants(tmp_path):
    plugins = plugin_manager(Invariants())
    specs = {s.name: s for s in plugins.invariants()}
    assert specs["probe.no-payment-over-20b"].plugin == "Invariants"
    assert specs["probe.no-payment-over-20b"].description == (
        "No single cash payment above 20B (a probe invariant for the test)."
    )
    assert "postings-balance" in specs  # built-in conservation laws are registered the same way

    store = str(tmp_path / "inv.db")
    assert run_cli(plugins, "replay", str(EXAMPLE), store=store).code == 0
    ran = run_cli(plugins, "verify", "--json", store=store)
    assert ran.code == 1, ran.err
    checks = {c["name"]: c for c in json.loads(ran.out)["checks"]}
    probe = checks["probe.no-payment-over-20b"]
    assert not probe["ok"]
    assert [v["events"] for v in probe["violations"]] == [["k02-softbank-openai-final-tranche"]]
    raised = checks["probe.raises"]["violations"]
    assert "of plugin 'Invariants' raised ZeroDivisionError" in raised[0]["message"]
    failing = {name for name, c in checks.items() if not c["ok"]}
    assert failing == {"probe.no-payment-over-20b", "probe.raises"}


# --- ledger_register_renderers ----------------------------------------------------------------------


class Csv:
    @hookimpl
    def ledger_register_renderers(self, register: Callable[..., None]) -> None:
        register("csv", lambda report: f"title\n{report.title}\n", suffix=".csv")


class Hijack:
    @hookimpl
    def ledger_register_renderers(self, register: Callable[..., None]) -> None:
        register("markdown", lambda report: "not markdown")


def test_hook_ledger_register_renderers():
    plugins = plugin_manager(Csv())
    renderers = {r.name: r for r in plugins.renderers()}
    assert list(renderers) == ["csv", "html", "markdown", "text"]
    assert (renderers["csv"].plugin, renderers["csv"].suffix) == ("Csv", ".csv")
    assert (renderers["html"].plugin, renderers["html"].suffix) == ("reports", ".html")
    assert (renderers["markdown"].plugin, renderers["markdown"].suffix) == ("reports", ".md")
    report = Report("The loop", (Section("Cash", ("NVIDIA paid 2.35B.",)),))
    assert renderers["csv"].render(report) == "title\nThe loop\n"
    # render_with gives a renderer the context keywords it names, and no others.
    assert renderers["csv"].render_with(report, ledger=object(), as_of=None) == "title\nThe loop\n"
    seen = {}
    from ledger.plugin.registry import RendererSpec

    def wants_date(report, as_of):
        seen["as_of"] = as_of
        return report.title

    spec = RendererSpec("dated", wants_date, ".txt", "test")
    assert spec.render_with(report, ledger=object(), as_of=dt.date(2025, 1, 2)) == "The loop"
    assert seen == {"as_of": dt.date(2025, 1, 2)}
    assert "The loop" in renderers["markdown"].render(report)

    # A user plugin cannot take over a built-in format, whatever its name sorts as.
    hijacked = plugin_manager(Hijack())
    with pytest.warns(RuntimeWarning, match="renderer name 'markdown' is already registered"):
        markdown = {r.name: r for r in hijacked.renderers()}["markdown"]
    assert markdown.plugin == "reports"


def test_hook_ledger_register_renderers_reaches_loopledger_report(tmp_path):
    """A user renderer is a ``loopledger report --format`` choice and writes report<suffix>."""
    store = str(tmp_path / "r.db")
    plugins = plugin_manager(Csv())
    assert run_cli(plugins, "replay", str(EXAMPLE), store=store).code == 0
    out = tmp_path / "out"
    ran = run_cli(plugins, "report", "--format", "csv", "--out", str(out), store=store)
    assert ran.code == 0, ran.err
    assert (out / "report.csv").read_text() == "title\nCircular financing, audited\n"
    assert not (out / "report.md").exists()
    # Without the plugin the format is unknown: bad input, exit 2.
    bare = run_cli(plugin_manager(), "report", "--format", "csv", store=store)
    assert bare.code == 2 and "no renderer named 'csv'" in bare.err


# --- ledger_register_queries ------------------------------------------------------------------------


class BiggestBalance:
    """A user query: the biggest cash balance as of the asked date."""

    @hookimpl
    def ledger_register_queries(self, register):
        def answer(ledger, result, *, currency="USD"):
            cash = {
                party: amount
                for (party, account, commodity), amount in result.state("balances").items()
                if account == "assets:cash" and commodity == currency
            }
            return max(cash.items(), key=lambda item: item[1])

        register("biggest.cash", answer, requires=("balances",))


class StealsAudit:
    @hookimpl
    def ledger_register_queries(self, register):
        register("audit", lambda ledger, result: "hijacked")


def test_hook_ledger_register_queries(tmp_path):
    import ledger as api

    store = str(tmp_path / "q.db")
    plugins = plugin_manager(BiggestBalance())
    names = [q.name for q in plugins.queries()]
    assert names == sorted(names) and {
        "balances",
        "audit",
        "value",
        "metrics",
        "biggest.cash",
    } <= set(names)
    with api.open(store, plugins=plugins) as book:
        book.replay(EXAMPLE)
        party, amount = book.query("biggest.cash")
        assert isinstance(amount, Decimal) and amount > 0
        # as_of folds again, as of that date.
        day = dt.date(2025, 6, 30)
        earlier = book.query("biggest.cash", as_of=day)
        assert earlier == book.query("biggest.cash", result=book.run(day)) != (party, amount)
        # The built-ins answer through the same hook; one fold serves several questions.
        result = book.run()
        rows = book.balances(result=result, party=party)
        cash = [r for r in rows if r.account == "assets:cash" and r.commodity == "USD"]
        assert [r.amount for r in cash] == [amount]
        with pytest.raises(InputError, match="no query named 'nope'"):
            book.query("nope")
    # A user plugin cannot take over a built-in query.
    hijacked = plugin_manager(StealsAudit())
    with pytest.warns(RuntimeWarning, match="query name 'audit' is already registered"):
        audit = {q.name: q for q in hijacked.queries()}["audit"]
    assert audit.plugin == "audit"
    # Without the projection it needs (its plugin disabled), the query says so.
    bare = plugin_manager(BiggestBalance(), builtins=False)
    with api.open(store, plugins=bare) as book, pytest.raises(FoldFailed, match="'balances'"):
        book.query("biggest.cash")


# --- ledger_register_scenario_generators ---------------------------------------------------------


def buyback(params, context):
    """Write one hypothetical price mark."""
    return [{"type": "price", "date": params.date("on"), "party": "nvidia", "per_share": "1"}]


class Generators:
    @hookimpl
    def ledger_register_scenario_generators(self, register):
        register("probe.buyback", buyback, parameters={"on": "the day"})


class Twin:
    @hookimpl
    def ledger_register_scenario_generators(self, register):
        register("probe.buyback", buyback)


def test_hook_ledger_register_scenario_generators():
    plugins = plugin_manager(Generators())
    spec = plugins.scenario_generator("probe.buyback")
    assert spec is not None
    assert (spec.plugin, spec.description, dict(spec.parameters)) == (
        "Generators",
        "Write one hypothetical price mark.",
        {"on": "the day"},
    )
    assert plugins.scenario_generator("nope") is None
    names = [g.name for g in plugins.scenario_generators()]
    assert names == sorted(names) and "probe.buyback" in names
    # Two plugins may not register one name: the second is reported and skipped.
    clash = plugin_manager(Generators(), Twin())
    with pytest.warns(RuntimeWarning, match="scenario generator name 'probe.buyback'"):
        kept = clash.scenario_generator("probe.buyback")
    assert kept is not None and kept.plugin == "Generators"
    # Listed by 'loopledger plugins' with what the plugin provides.
    ran = run_cli(plugins, "plugins", "--json")
    provides = {p["name"]: p["provides"] for p in json.loads(ran.out)["plugins"]}
    assert "generator:probe.buyback" in provides["Generators"]


# --- ledger_register_commands -----------------------------------------------------------------------


def test_hook_ledger_register_commands(tmp_path):
    store = str(tmp_path / "cmd.db")
    with registered(load_example_plugin(), "exposure") as plugins:
        helped = run_cli(plugins, "--help")
        assert helped.code == 0
        assert re.search(r"^  exposure\s+Net cash each party paid", helped.out, re.MULTILINE)
        assert run_cli(plugins, "replay", str(EXAMPLE), store=store).code == 0
        ran = run_cli(plugins, "exposure", "--json", store=store)
        assert ran.code == 0, ran.err
        rows = {(r["party"], r["counterparty"]): r["net"] for r in json.loads(ran.out)["exposure"]}
        assert rows[("nvidia", "coreweave")] == "2350000000"
        earlier = run_cli(plugins, "exposure", "--as-of", "2025-12-31", "--json", store=store)
        rows = {
            (r["party"], r["counterparty"]): r["net"] for r in json.loads(earlier.out)["exposure"]
        }
        assert rows[("nvidia", "coreweave")] == "350000000"  # before the 2B of January 2026
        text = run_cli(plugins, "exposure", store=store)
        assert "nvidia → coreweave: 2350000000 USD" in text.out
    # Without the plugin the command does not exist.
    assert run_cli(plugin_manager(), "exposure", store=store).code == 2


# --- ledger_value_instrument ------------------------------------------------------------------------


class BuiltinValuer:
    """Stands in for the built-in valuer: registered trylast, answers every kind."""

    @hookimpl(trylast=True)
    def ledger_value_instrument(self, kind, holding, as_of, market, settings):
        return ("built-in", kind)


class SharesValuer:
    """A user valuer for one kind; takes only the arguments it needs."""

    @hookimpl
    def ledger_value_instrument(self, kind, holding):
        return ("user", holding) if kind == "shares" else None


def test_hook_ledger_value_instrument():
    args = {"holding": 42, "as_of": None, "market": {}, "settings": {}}
    for order in ((BuiltinValuer(), SharesValuer()), (SharesValuer(), BuiltinValuer())):
        plugins = plugin_manager(*order, builtins=False)
        assert plugins.value_instrument(kind="shares", **args) == ("user", 42)
        assert plugins.value_instrument(kind="loan", **args) == ("built-in", "loan")
    alone = plugin_manager(SharesValuer(), builtins=False)
    assert alone.value_instrument(kind="loan", **args) is None
    assert hook_callers()["ledger_value_instrument"].spec.opts["firstresult"] is True


# --- ledger_events_recorded -------------------------------------------------------------------------


class Observer:
    def __init__(self) -> None:
        self.calls: list[tuple[list, str]] = []

    @hookimpl
    def ledger_events_recorded(self, records, store_url) -> None:
        self.calls.append((list(records), store_url))


class FailingObserver:
    @hookimpl
    def ledger_events_recorded(self, records) -> None:
        raise RuntimeError("webhook down")


def test_hook_ledger_events_recorded(tmp_path, write):
    store = str(tmp_path / "obs.db")
    failing, observer = FailingObserver(), Observer()
    plugins = plugin_manager(failing, observer, builtins=False)
    ran = run_cli(plugins, "replay", str(EXAMPLE), store=store)
    assert ran.code == 0, ran.err
    assert (
        "warning: plugin 'FailingObserver' failed while observing recorded events: "
        "RuntimeError: webhook down"
    ) in ran.err
    ((records, url),) = observer.calls  # the failing one did not stop the other
    assert url == store
    assert [r.position for r in records] == list(range(1, 172))
    assert sum(r.kind == "event" for r in records) == 148
    events = run_cli(plugins, "events", "--json", store=store)
    assert len(json.loads(events.out)["events"]) == 148  # the append was not undone

    assert run_cli(plugins, "replay", str(EXAMPLE), store=store).code == 0
    assert len(observer.calls) == 1  # nothing new recorded, nobody told
    more = write(
        "more.yaml",
        """
loopledger: 1
parties: [{id: nvidia, name: NVIDIA, ticker: NVDA, shares_outstanding: 24300000000}]
events:
  - {id: px-nv, date: 2026-02-01, type: price, party: nvidia, per_share: "180.00"}
""",
    )
    assert run_cli(plugins, "replay", str(more), store=store).code == 0
    (record,) = observer.calls[-1][0]
    assert (record.position, record.value.id) == (172, "px-nv")

    failures = plugins.events_recorded([record], store)
    assert [(f.plugin, f.stage, f.error) for f in failures] == [
        ("FailingObserver", "observe", "RuntimeError: webhook down")
    ]
