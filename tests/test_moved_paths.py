"""Import paths docs/plugins.md gave plugin authors before the layer folders still work, for one
release, and say where the module lives now."""

from __future__ import annotations

import importlib
import sys
import warnings

import pytest

from ledger._moved import MOVED


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_an_old_path_is_the_new_module_with_a_warning(monkeypatch, old, new):
    monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {new}"):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__name__ == new  # the module itself is not renamed


def test_the_documented_plugin_imports_of_the_last_release(monkeypatch):
    for old in ("ledger.cli_support", "ledger.output", "ledger.projection", "ledger.metrics"):
        monkeypatch.delitem(sys.modules, old, raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from ledger.cli_support import as_of_option, exit_on_failures, json_option
        from ledger.metrics import Figure
        from ledger.output import print_json
        from ledger.projection import Projection
    assert [w.category for w in caught] == [DeprecationWarning] * 4
    from ledger.book import Entry  # a package now, exporting what the module did
    from ledger.engine import Engine
    from ledger.store import Record

    assert all(
        callable(x)
        for x in (as_of_option, exit_on_failures, json_option, print_json, Projection, Figure)
    )
    assert Entry._fields == ("position", "event", "postings")
    assert (
        Engine.__module__ == "ledger.engine.engine" and Record.__module__ == "ledger.store.records"
    )


def test_an_unknown_old_name_is_still_an_import_error():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("ledger.no_such_module")
