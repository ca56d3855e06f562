"""docs/scenarios.md shows what the bundled scenarios print, and documents every built-in generator.

Each ``<!-- output: ARGS -->`` comment is followed by a text block; the test runs
``loopledger ARGS`` on a store holding the bundled history (from a folder laid out like the
repository, so paths read as in the docs) and checks that every line shown is in the output, in
order (a line ``…`` stands for lines left out).
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

import ledger
from ledger.testing import plugin_manager, run_cli
from plugins.demo.plugin import bundled_example
from plugins.scenarios.generators import BUILT_IN

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "scenarios.md"
BLOCK = re.compile(r"<!-- output: (?P<args>.+?) -->\n```text\n(?P<body>.*?)\n```", re.DOTALL)


def blocks() -> list[tuple[str, list[str]]]:
    return [(m["args"], m["body"].splitlines()) for m in BLOCK.finditer(DOCS.read_text("utf-8"))]


def test_the_docs_show_the_bundled_scenarios_and_two_sweeps():
    shown = [args for args, _ in blocks()]
    for name in ("amd-600-6gw", "nvidia-full-100b", "openai-growth"):
        assert f"scenario run ledger/examples/scenarios/{name}.yaml" in shown
    assert sum(a.startswith("scenario sweep") for a in shown) == 2


@pytest.fixture(scope="module")
def repository(tmp_path_factory):
    """A folder with the bundled scenarios where the repository has them, and loopledger.db."""
    folder = tmp_path_factory.mktemp("repo")
    shutil.copytree(
        ROOT / "ledger" / "examples" / "scenarios", folder / "ledger/examples/scenarios"
    )
    with (
        ledger.open(str(folder / "loopledger.db"), plugins=plugin_manager()) as book,
        bundled_example() as history,
    ):
        book.replay(history)
    return folder


@pytest.mark.parametrize(("args", "lines"), blocks(), ids=[a for a, _ in blocks()])
def test_every_line_the_docs_show_is_printed(repository, monkeypatch, args, lines):
    monkeypatch.chdir(repository)
    ran = run_cli(plugin_manager(), *shlex.split(args), store="loopledger.db")
    assert ran.code == 0, ran.err
    printed = [line.rstrip() for line in ran.out.splitlines()]
    at = 0
    for line in lines:
        if line.strip() == "…":
            continue
        assert line.rstrip() in printed[at:], (
            f"docs/scenarios.md shows a line 'loopledger {args}' no longer prints:\n{line}\n"
            f"--- it prints:\n{ran.out}"
        )
        at = printed.index(line.rstrip(), at) + 1


def test_every_built_in_generator_and_parameter_is_documented():
    text = DOCS.read_text("utf-8")
    for name, (_, parameters, _) in BUILT_IN.items():
        start = text.index(f"**`{name}`**")
        section = text[start : text.find("**`", start + 5)]
        for parameter in parameters:
            assert f"`{parameter}`" in section, (name, parameter)
