"""The house keeps its layers: every import of ``ledger/``, ``invariants/`` and ``plugins/`` is read
from the source (``ast``) and checked against the rules docs/architecture.md states.

Why ``ast`` and not a linter: the rules are this project's own (plugins reach each other only
through their ``api`` module; old import paths are for users, not for the tree), and a checker of
fifty lines that a test can point at a planted bad import is easier to trust than a configuration.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from ledger._moved import MOVED

ROOT = Path(__file__).resolve().parent.parent

LAYERS = (
    "ledger.model",
    "ledger.book",
    "ledger.store",
    "ledger.engine",
    "ledger.histories",
    "ledger.plugin",
    "invariants",
    "ledger.api",
    "ledger.faces",
    "plugins",
    "ledger.testing",
)
"""Lowest first: a module may import its own layer and the ones before it, never one after."""

ROOT_MODULES = {"ledger", "ledger._moved"}
"""The package root (``hookimpl``, ``__version__``, the re-exported API) and its import hook:
any layer may take ``hookimpl`` from the root, and the root may import the API."""

STORE_ONLY = ("eventsourcing", "sqlite3", "psycopg", "psycopg_pool")
"""Only the store layer may import these: it is the one place that knows eventsourcing and SQL."""


def layer_of(module: str) -> int | None:
    for index, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            return index
    return None


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """``(line, imported module, names)`` of every import, ``TYPE_CHECKING`` ones included."""
    found = []
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base, tuple(a.name for a in node.names)))
    return found


def violations(root: Path) -> list[str]:
    """Every import in the tree under ``root`` that breaks a layering rule, as one line each."""
    found: list[str] = []
    for top in ("ledger", "invariants", "plugins"):
        for path in sorted((root / top).rglob("*.py")):
            module = module_name(root, path)
            where = f"{path.relative_to(root)}"
            own = layer_of(module)
            if own is None and module not in ROOT_MODULES:
                found.append(f"{where}: module {module} belongs to no layer (add it to LAYERS)")
                continue
            for line, target, names in imports_of(path, module):
                at = f"{where}:{line}"
                first = target.split(".")[0]
                if first in STORE_ONLY and layer_of(module) != LAYERS.index("ledger.store"):
                    found.append(f"{at}: imports {target}; only ledger.store may")
                if target in MOVED:
                    found.append(f"{at}: imports the old path {target}; use {MOVED[target]}")
                if first not in ("ledger", "invariants", "plugins") or module in ROOT_MODULES:
                    continue
                if target == "ledger":
                    if set(names) - {"hookimpl", "__version__"}:
                        found.append(
                            f"{at}: imports {names} from the package root; import the layer"
                        )
                    continue
                if module.startswith("ledger") and first == "plugins":
                    found.append(
                        f"{at}: imports {target}; ledger/ reaches plugins only through hooks"
                    )
                    continue
                theirs = layer_of(target)
                if theirs is not None and own is not None and theirs > own:
                    found.append(
                        f"{at}: {module} ({LAYERS[own]}) imports {target} ({LAYERS[theirs]}), "
                        "a higher layer"
                    )
                mine, other = module.split(".")[:2], target.split(".")[:2]
                if (
                    first == "plugins"
                    and mine[0] == "plugins"
                    and len(other) == 2
                    and mine[1] != other[1]
                ):
                    public = {f"plugins.{other[1]}", f"plugins.{other[1]}.api"}
                    if target not in public:
                        found.append(
                            f"{at}: plugin {mine[1]} imports {target}; another plugin's public "
                            f"module is plugins.{other[1]}.api"
                        )
    return found


def test_the_tree_keeps_its_layers():
    assert violations(ROOT) == []


@pytest.fixture
def copy_of_tree(tmp_path):
    for top in ("ledger", "invariants", "plugins"):
        shutil.copytree(ROOT / top, tmp_path / top, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def plant(root: Path, file: str, line: str) -> None:
    path = root / file
    path.write_text(path.read_text("utf-8") + f"\n{line}\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "line", "expected"),
    [
        (
            "ledger/model/values.py",
            "from ledger.store import Store",
            "ledger.model.values (ledger.model) imports ledger.store (ledger.store), a higher layer",
        ),
        (
            "ledger/book/rules.py",
            "from ledger.engine.engine import Engine",
            "imports ledger.engine.engine (ledger.engine), a higher layer",
        ),
        ("ledger/engine/engine.py", "import eventsourcing.popo", "only ledger.store may"),
        ("ledger/faces/output.py", "import sqlite3", "only ledger.store may"),
        (
            "plugins/demo/collect.py",
            "from plugins.audit.tracing import trace",
            "another plugin's public module is plugins.audit.api",
        ),
        ("ledger/api/facade.py", "import plugins.audit.api", "reaches plugins only through hooks"),
        ("plugins/metrics/flows.py", "from ledger.output import table", "old path ledger.output"),
        ("ledger/engine/projection.py", "from ledger import open", "from the package root"),
        (
            "invariants/violation.py",
            "from ledger.api.facade import Ledger",
            "invariants.violation (invariants) imports ledger.api.facade (ledger.api)",
        ),
    ],
)
def test_a_wrong_import_is_caught(copy_of_tree, file, line, expected):
    assert violations(copy_of_tree) == []
    plant(copy_of_tree, file, line)
    found = violations(copy_of_tree)
    assert len(found) == 1 and expected in found[0], found
    assert found[0].startswith(f"{file}:")


def test_a_module_outside_every_layer_is_caught(copy_of_tree):
    (copy_of_tree / "ledger" / "helpers.py").write_text("X = 1\n", encoding="utf-8")
    assert violations(copy_of_tree) == [
        "ledger/helpers.py: module ledger.helpers belongs to no layer (add it to LAYERS)"
    ]


LONG = 600
"""Lines a module may have before its docstring must say why it is one concept (``one concept:``)."""


def long_modules(root: Path) -> list[str]:
    found = []
    for top in ("ledger", "invariants", "plugins"):
        for path in sorted((root / top).rglob("*.py")):
            text = path.read_text("utf-8")
            lines = text.count("\n")
            doc = ast.get_docstring(ast.parse(text)) or ""
            if lines > LONG and "one concept:" not in doc:
                found.append(f"{path.relative_to(root)}: {lines} lines")
    return found


def test_no_module_is_long_without_saying_why(copy_of_tree):
    assert long_modules(ROOT) == []
    plant(copy_of_tree, "ledger/model/values.py", "\n".join(["X = 1"] * LONG))
    assert [f.split(":")[0] for f in long_modules(copy_of_tree)] == ["ledger/model/values.py"]
