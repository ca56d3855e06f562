"""Deal histories in and out: parsing and validating YAML/JSON files, and recording them into a store.

May import ``ledger.model``, ``ledger.book``, ``ledger.store`` and ``ledger.engine``; must not
import the plugin system, plugins or faces.
"""
