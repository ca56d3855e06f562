"""Valuation settings a scenario overlays on ``[plugins.valuation]``: volatility, rate, probability.

Why an overlay and not a replacement: a scenario that says ``volatility: {amd: "0.7"}`` means
"AMD more volatile, everything else as configured". So a table merges into the configured
table key by key, while a single number means what it means in ``loopledger.toml`` — one value
for everyone — and replaces the table. The merged section is checked by the valuation plugin's
own parser, so the same values are refused for the same reasons, located in the scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ledger.histories.yaml_text import line_of
from ledger.model.problems import InputError, Problem
from plugins.scenarios.model import Change
from plugins.valuation.api import Settings

TABLES = ("volatility", "probability")
KEYS = (*TABLES, "rate")
CONFIG = "plugins.valuation"


def overlay(configured: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``configured`` with ``changes`` laid over it (tables merge, numbers replace)."""
    merged = dict(configured)
    if "probabilities" in merged and "probability" not in merged:
        merged["probability"] = merged.pop("probabilities")
    for key, value in changes.items():
        key = "probability" if key == "probabilities" else key
        old = merged.get(key)
        if key in TABLES and isinstance(value, Mapping):
            table = dict(old) if isinstance(old, Mapping) else {}
            if old is not None and not isinstance(old, Mapping):
                table["default"] = old
            table.update(value)
            merged[key] = table
        else:
            merged[key] = value
    return merged


def merge_settings(configured: Mapping[str, Any], change: Change, file: str) -> dict[str, Any]:
    """The settings after one ``settings`` change; bad values located in the scenario file."""
    body = change.body
    where = f"changes[{change.index}].settings"
    unknown = [k for k in body if k not in (*KEYS, "probabilities")]
    problems = [
        Problem(
            file=file,
            line=line_of(body, str(k)) or change.line,
            field=f"{where}.{k}",
            message=f"unknown setting (known: {', '.join(KEYS)})",
        )
        for k in unknown
    ]
    merged = overlay(configured, {k: v for k, v in body.items() if k not in unknown})
    try:
        Settings.from_config(merged)
    except InputError as exc:
        problems += [_located(p, body, change, file, where) for p in exc.problems]
    if problems:
        raise InputError(sorted(problems, key=lambda p: p.line or 0))
    return merged


def _located(problem: Problem, body: Any, change: Change, file: str, where: str) -> Problem:
    field = (problem.field or "").removeprefix(CONFIG + ".")
    top, _, sub = field.partition(".")
    line = line_of(body.get(top), sub) if sub else None
    return attrs.evolve(
        problem,
        file=file,
        line=line or line_of(body, top) or change.line,
        field=f"{where}.{field}" if field else where,
    )
