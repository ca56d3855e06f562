"""The scripts and styles the pages use: shipped in the package, pinned, never from a network.

Why pinned by hash: the vendored libraries are code a reader's browser runs on someone else's
books; a test checks each file against the digest written here, so an edit or a swapped file
cannot slip in unnoticed (static/vendor/README.md says where each came from, with its licence).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
from typing import Final

import attrs


@attrs.frozen
class Asset:
    """One file under ``static/``: its path, kind, and (for a vendored library) its pin."""

    path: str
    kind: str  # "script" | "style"
    sha256: str | None = None
    library: str | None = None
    version: str | None = None
    licence: str | None = None


ASSETS: Final = (
    Asset(
        "vendor/cytoscape-3.34.4/cytoscape.min.js",
        "script",
        "081591ab735b2b6a3b31a3c60f8f3a3e2fee8c92939e0c7820ad1208571b6cd8",
        "Cytoscape.js",
        "3.34.4",
        "vendor/cytoscape-3.34.4/LICENSE",
    ),
    Asset(
        "vendor/chart.js-4.6.1/chart.umd.min.js",
        "script",
        "c17f2ce49fb9c71ef7fb39c03f868804ac5ab34730149976eebe6b7f807bef0c",
        "Chart.js",
        "4.6.1",
        "vendor/chart.js-4.6.1/LICENSE.md",
    ),
    Asset("loopledger.css", "style"),
    Asset("loopledger.js", "script"),
)
"""In the order the pages load them (the libraries before the code that uses them)."""


def static_root() -> importlib.resources.abc.Traversable:
    return importlib.resources.files("ledger.faces.web").joinpath("static")


@functools.cache
def text(path: str) -> str:
    """The text of a file under ``static/``."""
    return static_root().joinpath(path).read_text("utf-8")


def digest(path: str) -> str:
    return hashlib.sha256(static_root().joinpath(path).read_bytes()).hexdigest()


def inline(asset: Asset) -> str:
    """An asset's text, safe inside a ``<script>``/``<style>`` element of an HTML file."""
    body = text(asset.path)
    closing = "</script" if asset.kind == "script" else "</style"
    if closing in body.lower():
        raise ValueError(f"{asset.path} contains '{closing}': it cannot be inlined as is")
    return body
