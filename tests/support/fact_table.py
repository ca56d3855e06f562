"""The project's sourced fact table (``../shared/facts/ai-deals.md``) as data the tests compare.

Why a parser of its own, and not the ledger's: the point of the dataset test is that the bundled
history and the table agree, so the table is read straight from its Markdown — row id, date,
parties with the direction of their arrow, kind, the figures of its amount and conditions
columns, the source URLs and the confidence — without going through anything the history went
through.

Figures are read the way the table writes them: the amount column in its unit (``USD bn``,
``USD/share``, ``shares``, ``GW``), and every ``$…B`` / ``$…M`` / ``$…/share``, ``… GW``,
``… MW`` or ``…M shares`` written in the conditions column. An event's figure must be one of
its row's figures (or an arithmetic the test spells out, see ``DERIVED`` in the test).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

BILLION = Decimal(10) ** 9
MILLION = Decimal(10) ** 6
_SCALE = {"T": Decimal(10) ** 12, "B": BILLION, "bn": BILLION, "billion": BILLION}
_SCALE |= {"M": MILLION, "million": MILLION}
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_DOLLARS = re.compile(r"\$\s?(\d[\d,]*(?:\.\d+)?)(?:\s?(T|B|bn|billion|M|million)\b)?")
_GW = re.compile(r"(\d+(?:\.\d+)?)\s?GW\b")
_MW = re.compile(r"(\d+(?:\.\d+)?)\s?MW\b")
_M_SHARES = re.compile(r"(\d+(?:\.\d+)?)M shares")
_MONTH = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)"
    r" (\d{4})\b"
)
_URL = re.compile(r"https?://\S+")

ALIASES: tuple[tuple[str, str], ...] = (
    (r"\bNVIDIA\b|\bNVDA\b", "nvidia"),
    (r"\bOpenAI\b", "openai"),
    (r"\bAMD\b", "amd"),
    (r"\bOracle\b|\bORCL\b", "oracle"),
    (r"\bMicrosoft\b|\bMSFT\b", "microsoft"),
    (r"\bSoftBank\b", "softbank"),
    (r"\bCoreWeave\b|\bCRWV\b", "coreweave"),
    (r"\bStargate\b", "stargate"),
    (r"\bMGX\b", "mgx"),
    (r"\bAnthropic\b", "anthropic"),
    (r"\bxAI\b", "xai"),
    (r"\bIntel\b|\bINTC\b", "intel"),
    (r"\bAmazon\b|\bAWS\b", "amazon"),
    (r"\bGoogle\b|\bAlphabet\b", "google"),
    (r"\bBroadcom\b|\bAVGO\b", "broadcom"),
    (r"\bMeta\b", "meta"),
    (r"\bCerebras\b", "cerebras"),
    (r"\bSpaceX\b", "spacex"),
    (r"\bGroq\b", "groq"),
    (r"\bVantage\b", "vantage"),
    (r"\bNebius\b", "nebius"),
    (r"\bIREN\b", "iren"),
    (r"\bAkamai\b", "akamai"),
    (r"\b[Ii]nvestors\b|\bsyndicate\b|\bBanks\b|\bmarket\b", "world"),
)
"""How the table's party names map to the history's party ids (``world`` = outsiders)."""


def parties_named(text: str) -> set[str]:
    """The party ids a piece of the parties column names."""
    return {party for pattern, party in ALIASES if re.search(pattern, text)}


@dataclass(frozen=True)
class Arrow:
    """One ``A -> B`` of a parties cell: money, equity or an obligation flows from A to B."""

    sources: frozenset[str]
    targets: frozenset[str]
    both_ways: bool = False

    def carries(self, source: str, target: str) -> bool:
        forward = source in self.sources and target in self.targets
        backward = source in self.targets and target in self.sources
        return forward or (self.both_ways and backward)


@dataclass(frozen=True)
class Row:
    """One row of the fact table."""

    id: str
    date: str
    parties: str
    kind: str
    amount: str
    unit: str
    notes: str
    source: str
    confidence: str
    urls: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        return f"{self.amount} {self.notes}"

    @property
    def corrected(self) -> bool:
        return "**corrected:**" in self.notes

    @property
    def arrows(self) -> tuple[Arrow, ...]:
        arrows = []
        for part in re.split(r"\s*;\s*", self.parties):
            for token, flip, both in (
                ("<->", False, True),
                ("->", False, False),
                ("<-", True, False),
            ):
                if token in part:
                    left, right = part.split(token, 1)
                    a, b = parties_named(left), parties_named(right)
                    if flip:
                        a, b = b, a
                    arrows.append(Arrow(frozenset(a), frozenset(b), both))
                    break
        return tuple(arrows)

    @property
    def named(self) -> set[str]:
        """Every party the parties cell names, whatever the arrows."""
        return parties_named(self.parties)

    def confidences(self) -> set[str]:
        """The history's confidence words this row's confidence allows (a mixed row: each part)."""
        words = {"stated by company": "stated", "reported by press": "reported"}
        found = {word for phrase, word in words.items() if phrase in self.confidence}
        if re.search(r"\bestimate\b", self.confidence):
            found.add("estimate")
        return found

    # --- figures --------------------------------------------------------------------------------

    def _amount_numbers(self) -> list[Decimal]:
        return [Decimal(n.replace(",", "")) for n in _NUMBER.findall(self.amount)]

    def money(self) -> set[Decimal]:
        """Every US-dollar amount the row states: its amount column in ``USD bn``, and each
        ``$…B`` / ``$…M`` of its conditions."""
        found: set[Decimal] = set()
        if self.unit.startswith("USD bn"):
            found |= {n * BILLION for n in self._amount_numbers()}
        for number, scale in _DOLLARS.findall(self.notes):
            if scale:
                found.add(Decimal(number.replace(",", "")) * _SCALE[scale])
        return found

    def per_share(self) -> set[Decimal]:
        """Prices per share: the amount column in ``USD/share`` and each plain ``$…`` of the
        conditions (a price or a strike)."""
        found: set[Decimal] = set()
        if self.unit.startswith("USD/share"):
            found |= set(self._amount_numbers())
        for number, scale in _DOLLARS.findall(self.notes):
            if not scale:
                found.add(Decimal(number.replace(",", "")))
        return found

    def shares(self) -> set[Decimal]:
        found: set[Decimal] = set()
        if self.unit.startswith("shares"):
            found |= set(self._amount_numbers())
        found |= {Decimal(n) * MILLION for n in _M_SHARES.findall(self.notes)}
        return found

    def gigawatts(self) -> set[Decimal]:
        found: set[Decimal] = set()
        if self.unit.startswith("GW"):
            found |= set(self._amount_numbers())
        found |= {Decimal(n) for n in _GW.findall(self.text)}
        found |= {Decimal(n) / 1000 for n in _MW.findall(self.text)}
        return found

    def has_dollar_amount(self) -> bool:
        """Whether the amount column gives a dollar figure (a contract value)."""
        return self.unit.startswith("USD bn") and bool(self._amount_numbers())

    def figure(self, text: str) -> Decimal:
        """The number of ``text``, which must be written in this row (a derivation's input)."""
        if text not in self.text:
            raise AssertionError(f"{self.id} no longer says {text!r}")
        dollars = _DOLLARS.search(text)
        if dollars:
            number, scale = dollars.groups()
            return Decimal(number.replace(",", "")) * (_SCALE[scale] if scale else 1)
        match = _NUMBER.search(text)
        assert match, text
        return Decimal(match.group().replace(",", ""))

    # --- dates ----------------------------------------------------------------------------------

    def allows_date(self, date: dt.date) -> bool:
        """The row's date; a day of its month or year when it gives only that; a date its
        conditions name (a closing, an agreement); or the last day of a month they name
        ("in April 2025", booked on the month's last day as the history does)."""
        iso = date.isoformat()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.date) and iso == self.date:
            return True
        if re.fullmatch(r"\d{4}-\d{2}", self.date) and iso.startswith(self.date + "-"):
            return True
        if re.fullmatch(r"\d{4}", self.date) and iso.startswith(self.date + "-"):
            return True
        if iso in self.notes:
            return True
        for month, year in _MONTH.findall(self.notes):
            number = list(calendar.month_name).index(month)
            last = calendar.monthrange(int(year), number)[1]
            if date == dt.date(int(year), number, last):
                return True
        return False


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split(" | ")]


def read_table(path: Path) -> dict[str, Row]:
    """Every fact row of the table by id; ``same as X`` / ``derived from X`` sources resolved."""
    raw: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("| "):
            cells = _cells(line)
            if re.fullmatch(r"[A-Z]\d{2}", cells[0]):
                assert len(cells) == 9, f"row {cells[0]} has {len(cells)} cells, expected 9"
                raw[cells[0]] = cells

    def urls(row: str, seen: frozenset[str] = frozenset()) -> list[str]:
        if row in seen:
            return []
        found: list[str] = []
        for part in re.split(r"\s*;\s*", raw[row][7]):
            refs = re.fullmatch(r"(?:same as|derived from) ([A-Z]\d{2}(?:, [A-Z]\d{2})*)", part)
            if refs:
                for ref in refs.group(1).split(", "):
                    found += urls(ref, seen | {row})
            elif re.fullmatch(r"[A-Z]\d{2}", part):
                found += urls(part, seen | {row})
            else:
                found += _URL.findall(part)
        return list(dict.fromkeys(found))

    return {rid: Row(*cells, urls=tuple(urls(rid))) for rid, cells in raw.items()}
