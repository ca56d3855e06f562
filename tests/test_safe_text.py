"""Names are other people's text: every face shows them as text. Bidi overrides, zero-width and
other invisible characters are made visible on the terminal, in JSON, Markdown and pictures;
rich markup, matplotlib mathtext and HTML in a name stay inert; any script is shown as is.
"""

from __future__ import annotations

import json

import pytest

from ledger.model.safetext import for_mathtext, json_visible, markdown_without_html, visible

RLO, ZWSP, ESC = "\u202e", "\u200b", "\x1b"
HIDDEN = (RLO, ZWSP, ESC, "\u2066", "\x85", "\u2028")

# A name as a hostile history may write it: a right-to-left override, a zero-width space,
# rich markup, mathtext that matplotlib cannot parse, and HTML.
EVIL = (
    "Evil\u202egpj.exe\u200b [bold red]boss[/] $\\undefinedmacro{x}$ <img src=x onerror=alert(1)>"
)

HISTORY = """loopledger: 1
parties:
  - {id: evil, name: "Evil\\u202egpj.exe\\u200b [bold red]boss[/] $\\\\undefinedmacro{x}$ <img src=x onerror=alert(1)>"}
  - {id: seller, name: "株式会社 Seller — شركة"}
events:
  - {id: ob, date: 2025-01-01, type: opening_balance, party: evil, amount: "10B"}
  - {id: buy, date: 2025-02-01, type: purchase, buyer: evil, seller: seller, amount: "2B", item: GPUs}
  - {id: back, date: 2025-03-01, type: purchase, buyer: seller, seller: evil, amount: "1B", item: chips}
"""


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain ASCII", "plain ASCII"),
        ("a\u202eb", "a\\u202eb"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("line\u2028sep", "line\\u2028sep"),
        ("株式会社 شركة Ελλάδα", "株式会社 شركة Ελλάδα"),
    ],
)
def test_visible_escapes_what_cannot_be_seen_and_keeps_every_script(text, shown):
    assert visible(text) == shown


def test_the_faces_markups_are_inert():
    assert for_mathtext("$\\frac{1}{0}$ \u202e") == "\\$\\frac{1}{0}\\$ \\u202e"
    assert markdown_without_html("a <b>&amp;</b> `<kept>`") == "a &lt;b>&amp;amp;&lt;/b> `<kept>`"
    escaped = json_visible(json.dumps({"n": "x\u202ey\u0085"}, ensure_ascii=False))
    assert RLO not in escaped and "\x85" not in escaped
    assert json.loads(escaped) == {"n": "x\u202ey\u0085"}  # the same JSON value


@pytest.fixture
def evil_store(cli, write, tmp_path):
    store = str(tmp_path / "s.db")
    ran = cli("--store", store, "replay", str(write("evil.yaml", HISTORY)))
    assert ran.code == 0, ran.err
    return store


def _no_hidden(text: str) -> None:
    for ch in HIDDEN:
        assert ch not in text, f"raw {ch!r} reached the output"


def test_terminal_tables_show_names_as_text(cli, evil_store):
    ran = cli("--store", evil_store, "audit")
    assert ran.code == 0, ran.err
    _no_hidden(ran.out)
    assert "\\x0a" not in ran.out  # a cell's own line breaks stay line breaks
    assert "\\u202e" in ran.out and "\\u200b" in ran.out
    assert "[bold red]boss[/]" in ran.out  # markup shown, not applied
    assert "株式会社" in ran.out


def test_json_keeps_the_exact_name_with_nothing_invisible_in_it(cli, evil_store):
    ran = cli("--store", evil_store, "audit", "--json")
    assert ran.code == 0, ran.err
    _no_hidden(ran.out)
    assert EVIL in _strings(json.loads(ran.out))


def _strings(data: object) -> set[str]:
    if isinstance(data, str):
        return {data}
    if isinstance(data, dict):
        return set().union(*(_strings(k) | _strings(v) for k, v in data.items()))
    if isinstance(data, list):
        return set().union(set(), *(_strings(v) for v in data))
    return set()


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_graph_draws_a_name_with_mathtext_and_bidi(cli, evil_store, tmp_path, suffix):
    out = tmp_path / f"loop{suffix}"
    ran = cli("--store", evil_store, "graph", "--out", str(out))
    assert ran.code == 0 and "Traceback" not in ran.err, ran.err
    data = out.read_bytes()
    assert data
    if suffix == ".svg":
        text = data.decode("utf-8")
        _no_hidden(text)
        assert "<img" not in text  # the name is SVG text, not markup


def test_the_markdown_report_holds_no_live_html_or_hidden_characters(cli, evil_store, tmp_path):
    ran = cli("--store", evil_store, "report", "--out", str(tmp_path / "r"))
    assert ran.code == 0, ran.err
    _no_hidden(ran.out + ran.err)
    report = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    _no_hidden(report)
    assert "<img" not in report and "&lt;img" in report


def test_long_plain_table_escapes_controls_in_every_cell():
    """Past 2,000 rows balances prints a plain table, not rich's: it escapes the same characters
    (a cell's own line break too: it would break the alignment)."""
    import io

    from ledger.faces.long_table import write_long_table

    out = io.StringIO()
    write_long_table(f"t{ESC}", [f"c{RLO}"], [(f"a\nb{ZWSP}",)], out=out)
    text = out.getvalue()
    assert text.splitlines() == [
        "t\\x1b",
        "c\\u202e",
        "-" * len("a\\x0ab\\u200b"),
        "a\\x0ab\\u200b",
    ]
