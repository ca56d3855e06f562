"""Third-party plugins as users get them: real distributions installed with pip into this venv.

Three packages under ``tests/`` are installed once for the module and uninstalled at its end:
``loopledger-exposure`` (a working projection + metric + command), ``loopledger-broken`` (its
import raises) and ``loopledger-raising`` (its projection raises on warrant grants). Every
command runs the venv's real ``loopledger`` console script in a subprocess, so entry-point
discovery, distribution metadata and exit codes are the ones a user sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "ledger" / "examples" / "ai-compute-2025-2026.yaml"
LOOPLEDGER = Path(sys.executable).parent / "loopledger"
PACKAGES = {
    "loopledger-exposure": HERE / "example_plugin",
    "loopledger-broken": HERE / "broken_plugin",
    "loopledger-raising": HERE / "raising_plugin",
}
EXPOSURE = "exposure.by_counterparty"
GRANT = "a05-amd-openai-warrant"  # the bundled history's one warrant grant


def pip(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"pip {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed():
    """Install the three plugin distributions (no build isolation: no network needed)."""
    try:
        import hatchling  # noqa: F401 - the example packages' build backend
    except ImportError:
        pip("install", "hatchling>=1.25")
    pip("uninstall", "-y", *PACKAGES)  # leftovers of an interrupted run
    try:
        pip("install", "--no-deps", "--no-build-isolation", *map(str, PACKAGES.values()))
        yield
    finally:
        pip("uninstall", "-y", *PACKAGES)


@pytest.fixture(scope="module")
def workdir(installed, tmp_path_factory) -> Path:
    """A directory with the bundled history replayed into ``loopledger.db``."""
    path = tmp_path_factory.mktemp("installed-plugins")
    ran = loopledger(path, "replay", str(EXAMPLE))
    assert ran.returncode == 0, ran.stderr
    return path


def loopledger(workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the console script with a clean LOOPLEDGER_* environment plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LOOPLEDGER_")}
    clean["LOOPLEDGER_STORE"] = str(workdir / "loopledger.db")
    return subprocess.run(
        [str(LOOPLEDGER), *args],
        capture_output=True,
        text=True,
        cwd=workdir,
        env={**clean, **env},
        timeout=120,
        check=False,
    )


def plugins_json(workdir: Path, **env: str) -> dict:
    ran = loopledger(workdir, "plugins", "--json", **env)
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


def net(rows: list[dict], party: str, counterparty: str) -> str:
    (row,) = [r for r in rows if (r["party"], r["counterparty"]) == (party, counterparty)]
    return row["net"]


def test_installed_plugin_is_listed_answers_and_is_gone_once_uninstalled(workdir):
    try:
        listed = {p["name"]: p for p in plugins_json(workdir)["plugins"]}
        exposure = listed["exposure"]
        assert exposure["version"] == "0.1.0"
        assert exposure["origin"] == "entry point"
        assert exposure["distribution"] == "loopledger-exposure"
        assert exposure["hooks"] == [
            "ledger_register_commands",
            "ledger_register_metrics",
            "ledger_register_projections",
        ]
        assert exposure["provides"] == [
            "metric:exposure.round_trip_cash",
            f"projection:{EXPOSURE}",
        ]

        ran = loopledger(workdir, "project", EXPOSURE, "--json")
        assert ran.returncode == 0, ran.stderr
        shown = json.loads(ran.stdout)
        assert (shown["projection"], shown["plugin"]) == (EXPOSURE, "exposure")
        # NVIDIA paid CoreWeave 0.1B (c01, 2023) + 0.25B (c02, IPO) + 2B (c10, 2026) and got
        # nothing back in cash; SoftBank paid OpenAI 7.5B (k01) + 22.5B (k02).
        assert net(shown["state"], "nvidia", "coreweave") == "2350000000"
        assert net(shown["state"], "coreweave", "nvidia") == "-2350000000"
        assert net(shown["state"], "openai", "softbank") == "-30000000000"

        before = loopledger(workdir, "project", EXPOSURE, "--as-of", "2025-12-31", "--json")
        assert before.returncode == 0, before.stderr
        assert net(json.loads(before.stdout)["state"], "nvidia", "coreweave") == "350000000"

        command = loopledger(workdir, "exposure", "--json")
        assert command.returncode == 0, command.stderr
        assert json.loads(command.stdout)["exposure"] == shown["state"]
    finally:
        pip("uninstall", "-y", "loopledger-exposure")

    assert "exposure" not in {p["name"] for p in plugins_json(workdir)["plugins"]}
    gone = loopledger(workdir, "project", EXPOSURE, "--json")
    assert gone.returncode == 2
    assert f"no projection named '{EXPOSURE}'" in gone.stderr
    assert gone.stdout == ""
    assert loopledger(workdir, "exposure").returncode == 2  # its command went with it


def test_broken_and_raising_plugins_do_not_take_loopledger_down(workdir):
    ran = loopledger(workdir, "balances", "--json")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["balances"]
    assert "warning: plugin 'broken' (entry point) failed to load and was skipped" in ran.stderr
    assert "ImportError" in ran.stderr

    listing = plugins_json(workdir)
    assert "broken" not in {p["name"] for p in listing["plugins"]}
    assert "raising" in {p["name"] for p in listing["plugins"]}
    (failure,) = [f for f in listing["failures"] if f["plugin"] == "broken"]
    assert (failure["origin"], failure["stage"]) == ("entry point", "load")
    assert "loopledger-quantum-pricing" in failure["error"]


def test_raising_projection_is_quarantined_naming_plugin_and_event(workdir):
    ran = loopledger(workdir, "project", "raising.event_types", "--json")
    assert ran.returncode == 1
    assert ran.stdout == ""
    assert (
        f"projection 'raising.event_types' of plugin 'raising' failed on event '{GRANT}'"
        in ran.stderr
    )

    verified = loopledger(workdir, "verify", "--json")
    assert verified.returncode == 1
    checks = {c["name"]: c for c in json.loads(verified.stdout)["checks"]}
    assert checks["hash-chain"]["ok"]
    assert not checks["projections-run"]["ok"]
    (violation,) = checks["projections-run"]["violations"]
    assert violation["events"] == [GRANT]
    assert "plugin 'raising'" in violation["message"]


def test_strict_mode_stops_at_start_up_naming_the_broken_plugin(workdir):
    ran = loopledger(workdir, "balances", LOOPLEDGER_STRICT_PLUGINS="1")
    assert ran.returncode == 2
    assert ran.stdout == ""
    assert "error: plugin 'broken' (entry point) failed to load" in ran.stderr
    assert "LOOPLEDGER_STRICT_PLUGINS is set" in ran.stderr

    # Strict, with the broken one disabled: starts, and only the raising plugin's failure shows.
    ok = loopledger(
        workdir, "balances", LOOPLEDGER_STRICT_PLUGINS="1", LOOPLEDGER_DISABLE_PLUGINS="broken"
    )
    assert ok.returncode == 0, ok.stderr
    assert "broken" not in ok.stderr


def test_allow_list_by_entry_point_or_distribution_name(workdir):
    def entry_points(**env: str) -> set[str]:
        listing = plugins_json(workdir, **env)
        loaded = {p["name"] for p in listing["plugins"] if p["origin"] == "entry point"}
        return loaded | {f["plugin"] for f in listing["failures"]}

    assert entry_points(LOOPLEDGER_LOAD_PLUGINS="") == set()
    assert entry_points(LOOPLEDGER_LOAD_PLUGINS="raising") == {"raising"}
    assert entry_points(LOOPLEDGER_LOAD_PLUGINS="loopledger-raising") == {"raising"}
    assert entry_points(LOOPLEDGER_LOAD_PLUGINS="raising,broken") == {"raising", "broken"}
    assert "raising" not in entry_points(LOOPLEDGER_DISABLE_PLUGINS="loopledger-raising")
