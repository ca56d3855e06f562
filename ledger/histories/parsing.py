"""Reading a deal-history file's text: YAML that keeps numbers as text and remembers lines, JSON
with floats kept as text, and the line of every event and field for messages."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from ledger.model.problems import InputError, Problem


class _Located(dict[str, Any]):
    """A mapping that remembers the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class _TextLoader(yaml.SafeLoader):
    """SafeLoader that leaves floats and timestamps as text; ints stay ints."""


def _construct_mapping(loader: _TextLoader, node: yaml.MappingNode) -> _Located:
    mapping = _Located()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


_TextLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return str(loader.construct_scalar(node))


_TextLoader.add_constructor("tag:yaml.org,2002:float", _as_text)
_TextLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)


def parse_yaml(text: str, name: str) -> Any:
    try:
        return yaml.load(text, Loader=_TextLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "syntax error"
        raise InputError(
            Problem(file=name, line=line, message=f"YAML syntax error: {what}")
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(file=name, message=f"YAML syntax error: {exc}")) from None


def parse_json(text: str, name: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise ValueError(f"duplicate key {k!r}")
            out[k] = v
        return out

    try:
        return json.loads(
            text, parse_float=str, object_pairs_hook=no_duplicates, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        raise InputError(
            Problem(
                file=name,
                line=exc.lineno,
                message=f"JSON syntax error: {exc.msg} (column {exc.colno})",
            )
        ) from None
    except ValueError as exc:
        raise InputError(Problem(file=name, message=f"JSON error: {exc}")) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not an amount")


def line_of(data: Any, key: str | None = None) -> int | None:
    if isinstance(data, _Located):
        if key is not None and key in data.key_lines:
            return data.key_lines[key]
        return data.line or None
    return None


def json_lines(text: str, ids: list[str]) -> dict[str, int]:
    """Line of the first ``"id": "<id>"`` of each wanted id — one pass over the text."""
    wanted = set(ids)
    lines: dict[str, int] = {}
    line, last = 1, 0
    for m in re.finditer(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"', text):
        event_id = m.group(1)
        if event_id in wanted and event_id not in lines:
            line += text.count("\n", last, m.start())
            last = m.start()
            lines[event_id] = line
    return lines
