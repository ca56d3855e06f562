"""Every command explains itself with --help."""

from __future__ import annotations

import pytest

from ledger.cli import build_cli
from ledger.plugin_manager import make_plugin_manager

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
