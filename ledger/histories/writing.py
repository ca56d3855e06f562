"""Histories written back in loopledger's own format (YAML, JSON), as ``loopledger print``
shows them: a file that replays into a store as it came out of one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from ledger.histories.loader import FORMAT_VERSION
from ledger.model.codec import party_to_dict, to_dict
from ledger.model.events import Event
from ledger.model.values import Party


def document(
    parties: Iterable[Party], events: Iterable[Event], title: str | None = None
) -> dict[str, Any]:
    """The history-file mapping: ``loopledger: 1``, optional title, parties, events."""
    doc: dict[str, Any] = {"loopledger": FORMAT_VERSION}
    if title:
        doc["title"] = title
    doc["parties"] = [party_to_dict(p) for p in parties]
    doc["events"] = [to_dict(e) for e in events]
    return doc


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the order given; lists of scalars inline."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, (dict, list)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def to_yaml(doc: dict[str, Any]) -> str:
    """The document as YAML that :func:`ledger.histories.loader.load_bytes` reads back."""
    return str(
        yaml.dump(
            doc,
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=1 << 30,
        )
    )
