"""YAML as deal histories read it: plain scalars stay text, every mapping knows its lines, and
aliases and nesting are bounded.

The rules (the same in the fast reader, :mod:`ledger.histories.sources`, which this module
backs up): a plain ``true``/``false`` is a boolean, a plain ``null`` or an empty value is null,
and every other scalar is text — ``4.3``, ``0x10``, ``1_000``, ``12:30`` and ``2025-01-31`` are the
characters written, never a float, a hexadecimal integer or a timestamp. The amount and date
parsers then say exactly what they accept. YAML 1.1's ``yes``/``no``/``on``/``off`` are text too.

Why bounds: a file of a few kilobytes can hold an alias "bomb" that expands to billions of nodes,
or nest a million levels deep. Both are refused before anything is built.
"""

from __future__ import annotations

from typing import Any, Final

import yaml
from yaml.resolver import BaseResolver

from ledger.model.limits import MAX_ALIAS_NODES as LIMIT_ALIAS_NODES
from ledger.model.limits import MAX_DEPTH as LIMIT_DEPTH
from ledger.model.problems import InputError, Problem

MAX_EXPANDED_NODES: Final = 2_000_000
"""Most nodes a document may have once its aliases are expanded (a million-event file has far
fewer per chunk; an alias bomb has billions)."""

MAX_DEPTH: Final = LIMIT_DEPTH
"""Deepest nesting of mappings and lists (an event with tranches and conditions needs 6)."""

MAX_ALIAS_NODES: Final = LIMIT_ALIAS_NODES
"""Most values a document's aliases may add beyond those it writes out (the two bounds hold
together: a chunk of plain events never nears either, an alias bomb passes both quickly)."""

BOOL: Final = {"true": True, "false": False}
NULL: Final = ("null", "")


class Located(dict[str, Any]):
    """A mapping that remembers its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it


class TextLoader(_BASE):  # type: ignore[misc]
    """PyYAML's safe loader without implicit typing: see the module docstring for the rules."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level registry


def _resolve(self: Any, kind: Any, value: Any, implicit: Any) -> str:
    if kind is yaml.ScalarNode and implicit[0]:
        if value in BOOL:
            return "tag:yaml.org,2002:bool"
        if value in NULL:
            return "tag:yaml.org,2002:null"
    return str(BaseResolver.resolve(self, kind, value, implicit))  # type: ignore[no-untyped-call]


TextLoader.resolve = _resolve


def _construct_mapping(loader: TextLoader, node: yaml.MappingNode) -> Located:
    mapping = Located()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be plain text, not a list or mapping", key_node.start_mark
            )
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


def _construct_bool(loader: TextLoader, node: yaml.ScalarNode) -> bool:
    return BOOL[node.value]


TextLoader.add_constructor(BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
TextLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


def _check_size(node: yaml.Node, name: str) -> None:
    """Refuse a document whose aliases expand past either bound or that nests too deep."""
    sizes: dict[int, int] = {}
    extra = 0  # values the aliases add: each time a sized node is reached again, its size

    def again(seen: yaml.Node) -> None:
        nonlocal extra
        extra += sizes[id(seen)]
        if extra > MAX_ALIAS_NODES:
            raise InputError(
                Problem(
                    file=name,
                    line=seen.start_mark.line + 1,
                    message=f"the YAML aliases (*anchor) add more than {MAX_ALIAS_NODES:,} "
                    "values; write the repeated values out, or use fewer aliases",
                )
            )

    stack: list[tuple[yaml.Node, int, bool]] = [(node, 1, False)]
    while stack:
        current, depth, done = stack.pop()
        key = id(current)
        if not done and key in sizes:  # reached again through an alias
            again(current)
            continue
        if depth > MAX_DEPTH:
            raise InputError(
                Problem(
                    file=name,
                    line=current.start_mark.line + 1,
                    message=f"nesting deeper than {MAX_DEPTH} levels; a deal history needs a few",
                )
            )
        if isinstance(current, yaml.ScalarNode):
            sizes[key] = 1
            continue
        children = (
            [n for pair in current.value for n in pair]
            if isinstance(current, yaml.MappingNode)
            else list(current.value)
        )
        if done:
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_EXPANDED_NODES:
                raise InputError(
                    Problem(
                        file=name,
                        line=current.start_mark.line + 1,
                        message=f"the YAML aliases here expand to more than {MAX_EXPANDED_NODES:,} "
                        "values; write the values out instead of nesting aliases",
                    )
                )
            continue
        stack.append((current, depth, True))
        for c in children:
            if id(c) in sizes:
                again(c)
            else:
                stack.append((c, depth + 1, False))


def load_yaml(text: str | bytes, name: str, first_line: int = 1) -> Any:
    """Parse one YAML document by the rules above; :class:`InputError` with the line otherwise."""
    loader = TextLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise InputError(
                Problem(file=name, message=f"nesting deeper than {MAX_DEPTH} levels")
            ) from None
        if node is None:
            return None
        _check_size(node, name)
        return _shift(loader.construct_document(node), first_line - 1)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else None
        what = exc.problem or exc.context or "syntax error"
        raise InputError(
            Problem(file=name, line=line, message=f"YAML syntax error: {what}")
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(file=name, message=f"YAML syntax error: {exc}")) from None
    finally:
        loader.dispose()


def _shift(data: Any, by: int) -> Any:
    """Lines of a document that started ``by`` lines into its file."""
    if not by:
        return data
    stack, seen = [data], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Located):
            item.line += by
            item.key_lines = {k: v + by for k, v in item.key_lines.items()}
            stack += item.values()
        elif isinstance(item, list):
            stack += item
    return data


def line_of(data: Any, key: str | None = None) -> int | None:
    """The line of a parsed mapping, or of one of its keys, when the parser knew it."""
    if isinstance(data, Located):
        if key is not None and key in data.key_lines:
            return data.key_lines[key]
        return data.line or None
    return None
