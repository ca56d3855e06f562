"""Every command explains itself with --help."""

from __future__ import annotations

import pytest

from ledger.faces.cli import build_cli
from ledger.plugin.manager import make_plugin_manager

COMMANDS = sorted(build_cli(make_plugin_manager(load_entrypoints=False)).commands)


def test_root_help_lists_commands(cli):
    ran = cli("--help")
    assert ran.code == 0
    for name in ("replay", "events", "balances", "project", "rebuild", "plugins", "verify"):
        assert name in ran.out


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(cli, command):
    ran = cli(command, "--help")
    assert ran.code == 0, ran.err
    assert "Usage: loopledger" in ran.out
    description = ran.out.split("\n\n")[1].strip()
    assert len(description) > 20, f"{command} needs a real description"


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - {"demo"}))
def test_each_command_takes_store_after_its_name(cli, command):
    ran = cli(command, "--help")
    assert "--store PATH|URL" in ran.out, f"{command} --help does not offer --store"


def test_store_after_the_command_means_the_same_as_before_it(cli, example, tmp_path):
    other = str(tmp_path / "other.db")
    assert cli("replay", str(example), "--store", other).code == 0
    assert not (tmp_path / "test.db").exists()  # LOOPLEDGER_STORE was not used
    before = cli("--store", other, "balances", "--json")
    after = cli("balances", "--json", "--store", other)
    assert before.code == after.code == 0
    assert before.out == after.out and '"party": "amd"' in after.out
    assert cli("verify", "--store", other).code == 0
