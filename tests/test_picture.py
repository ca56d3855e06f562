"""The audit picture: files are written, names are text, PNGs open."""

from __future__ import annotations

import datetime as dt
import pathlib
import re
from decimal import Decimal as D

import pytest

from plugins.audit.cycles import find_cycles
from plugins.audit.model import WORLD, Edge
from plugins.audit.picture import billions, draw

B = D(10) ** 9
NAMES = {
    "nvda": "NVIDIA",
    "oai": "OpenAI",
    "orcl": "Oracle",
    "amd": "AMD",
    "msft": "Microsoft",
    "crwv": "CoreWeave",
}


def flows() -> list[Edge]:
    legs = [
        ("nvda", "oai", 100, "2025-09-22"),
        ("oai", "orcl", 300, "2025-09-10"),
        ("orcl", "nvda", 40, "2025-05-23"),
        ("oai", "amd", 90, "2025-10-06"),
        ("amd", "oai", 35, "2025-10-06"),
        ("msft", "oai", 13, "2023-01-23"),
        ("nvda", "crwv", "6.3", "2025-09-15"),
        ("crwv", "nvda", "7.5", "2024-06-01"),
        (WORLD, "msft", 50, "2025-01-01"),
    ]
    return [
        Edge.single("cash", s, t, D(str(a)) * B, dt.date.fromisoformat(d), f"e{i}")
        for i, (s, t, a, d) in enumerate(legs)
    ]


def test_svg_names_every_party_as_text(tmp_path: pathlib.Path) -> None:
    edges = flows()
    out = tmp_path / "loops.svg"
    draw(edges, find_cycles(edges), title="Cash & cycles", out=out, names=NAMES)
    svg = out.read_text(encoding="utf-8")
    texts = set(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    assert set(NAMES.values()) <= texts
    assert {"$100.0B", "$6.3B", "$300.0B"} <= texts
    assert "Cash &amp; cycles" in texts  # the title, XML-escaped
    assert "world" not in texts  # the world is not a party on the picture


def test_png_is_written_and_opens(tmp_path: pathlib.Path) -> None:
    edges = flows()
    out = tmp_path / "nested" / "loops.png"
    draw(edges, find_cycles(edges), title="Cash", out=out)  # ids as names
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000
    image = pytest.importorskip("PIL.Image")
    with image.open(out) as png:
        assert png.size == (1440, 1080)  # 12 × 9 in at 120 dpi


def test_empty_layer_still_draws(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "empty.svg"
    draw([], [], title="Nothing yet", out=out)
    assert "Nothing yet" in out.read_text(encoding="utf-8")


def test_unsupported_suffix(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValueError, match="unsupported picture format"):
        draw(flows(), [], title="x", out=tmp_path / "x.pdf")


def test_drawing_is_deterministic(tmp_path: pathlib.Path) -> None:
    edges = flows()
    cycles = find_cycles(edges)
    for suffix in (".png", ".svg"):
        first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
        draw(edges, cycles, title="t", out=first, names=NAMES)
        draw(edges, cycles, title="t", out=second, names=NAMES)
        assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (D("10e9"), "$10.0B"),
        (D("12_345_000_000"), "$12.3B"),
        (D("1_250_000_000_000"), "$1,250.0B"),
        (D("150_000_000"), "$0.2B"),  # half-even: 0.15 → 0.2
        (D("250_000_000"), "$0.2B"),  # half-even: 0.25 → 0.2
        (D("50_000_000"), "<$0.1B"),  # 0.05 → 0.0, but not nothing
        (D("49_000_000"), "<$0.1B"),  # small but not nothing
        (D(0), "$0.0B"),
    ],
)
def test_billions_label(amount: D, text: str) -> None:
    assert billions(amount) == text


def test_a_dense_graph_draws_its_loops_and_biggest_flows_only(tmp_path: pathlib.Path) -> None:
    """20 parties, every pair both ways (380 flows): the picture keeps the coloured loops and
    the biggest of the rest, MAX_DRAWN_FLOWS in all, and counts what it left out."""
    from plugins.audit.picture import MAX_DRAWN_FLOWS

    parties = [f"p{i:02}" for i in range(20)]
    edges = [
        Edge.single("cash", a, b, D(i * 20 + j + 1) * B, dt.date(2025, 1, 1), f"e{a}{b}")
        for i, a in enumerate(parties)
        for j, b in enumerate(parties)
        if a != b
    ]
    out = tmp_path / "dense.svg"
    cycles = find_cycles(edges, max_length=3)[:50]
    draw(edges, cycles, title="dense", out=out)
    svg = out.read_text(encoding="utf-8")
    left_out = len(edges) - MAX_DRAWN_FLOWS
    assert f"{left_out} smaller flows not drawn" in svg.replace("\n", " ")
    labels = [t for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg) if t.startswith("$")]
    assert len(labels) == MAX_DRAWN_FLOWS  # one amount per drawn flow
    assert "$399.0B" in labels  # the biggest flow (p19 → p18) is drawn
    assert "$2.0B" not in labels  # the smallest (p00 → p01), on no coloured loop, is not
