"""One generated history written as YAML, JSON, JSON Lines and a ledger-cli/hledger journal.

Why one pass for every format: the files must hold the same history event for event, and a
million events must never sit in memory; so each event goes to every open writer as it is
generated, through buffered files.

* ``.yaml`` — the format users write: a header, then one flow mapping an event a line.
* ``.json`` — the same document as JSON, one event a line inside ``"events": [...]``.
* ``.jsonl`` — JSON Lines: a header line ``{"loopledger": 1, "parties": [...]}``, then one event
  object a line.
* ``.journal`` — the cash (USD) postings as ledger-cli/hledger transactions: one transaction per
  event that moves cash, accounts ``<party>:<loopledger account>``, exact amounts, so that the
  plain-text tools' ``balance`` totals can be compared with ``loopledger balances``.
* ``.expected.json`` — those USD totals per account as computed by the generator, plus counts.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from benchmarks.generate import COMPANIES, Generated, HistoryGenerator, money

FORMATS = ("yaml", "json", "jsonl", "journal")
BUFFER = 1 << 20

_PLAIN = re.compile(r"[a-z][a-z0-9_-]*|\d{4}-\d{2}-\d{2}")
_YAML11_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def yaml_flow(value: Any) -> str:
    """``value`` as a YAML flow node: ids and dates plain, every other string double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value not in _YAML11_WORDS:
            return value
        return orjson.dumps(value).decode()
    if isinstance(value, list):
        return "[" + ", ".join(yaml_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {yaml_flow(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no YAML form for {type(value).__name__}")


class _Writer:
    suffix = ""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.out: IO[bytes] = path.open("wb", buffering=BUFFER)

    def header(self, title: str, parties: list[dict[str, Any]]) -> None:
        raise NotImplementedError  # pragma: no cover - every writer defines it

    def event(self, generated: Generated) -> None:
        raise NotImplementedError  # pragma: no cover

    def close(self) -> None:
        self.out.close()


class YamlWriter(_Writer):
    def header(self, title: str, parties: list[dict[str, Any]]) -> None:
        lines = ["loopledger: 1", f"title: {yaml_flow(title)}", "currency: USD", "parties:"]
        lines += [f"  - {yaml_flow(p)}" for p in parties]
        lines.append("events:")
        self.out.write(("\n".join(lines) + "\n").encode())

    def event(self, generated: Generated) -> None:
        self.out.write(f"  - {yaml_flow(generated.event)}\n".encode())


class JsonWriter(_Writer):
    def header(self, title: str, parties: list[dict[str, Any]]) -> None:
        head = orjson.dumps({"loopledger": 1, "title": title, "currency": "USD"})[:-1]
        body = b",\n  ".join(orjson.dumps(p) for p in parties)
        self.out.write(head + b',\n"parties": [\n  ' + body + b'\n],\n"events": [')
        self.first = True

    def event(self, generated: Generated) -> None:
        self.out.write((b"\n" if self.first else b",\n") + orjson.dumps(generated.event))
        self.first = False

    def close(self) -> None:
        self.out.write(b"\n]}\n")
        super().close()


class JsonLinesWriter(_Writer):
    def header(self, title: str, parties: list[dict[str, Any]]) -> None:
        self.out.write(orjson.dumps({"loopledger": 1, "parties": parties}) + b"\n")

    def event(self, generated: Generated) -> None:
        self.out.write(orjson.dumps(generated.event) + b"\n")


class JournalWriter(_Writer):
    """ledger-cli/hledger journal of the cash postings; also sums them per account."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.transactions = 0
        self.postings = 0

    def header(self, title: str, parties: list[dict[str, Any]]) -> None:
        self.out.write(
            (
                f"; {title}: its cash (USD) postings, one transaction per event that moves cash.\n"
                "; Accounts are <party>:<loopledger account>; amounts are exact. Events without\n"
                "; cash (commitments, deliveries, grants, vests, cashless exercises, prices,\n"
                "; revenue reports, amendments) and reversed events post nothing here.\n\n"
            ).encode()
        )

    def event(self, generated: Generated) -> None:
        if not generated.cash:
            return
        e = generated.event
        lines = [f"{e['date']} * ({e['id']}) {e['type']}"]
        lines += [
            f"    {party}:{account}  {money(cents)} USD" for party, account, cents in generated.cash
        ]
        self.out.write(("\n".join(lines) + "\n\n").encode())
        self.transactions += 1
        self.postings += len(generated.cash)


WRITERS: dict[str, type[_Writer]] = {
    "yaml": YamlWriter,
    "json": JsonWriter,
    "jsonl": JsonLinesWriter,
    "journal": JournalWriter,
}


@dataclass
class Written:
    """What :func:`write_history` wrote."""

    events: int
    seed: int
    paths: dict[str, Path]
    expected: Path
    transactions: int = 0
    postings: int = 0
    usd: dict[str, int] = field(default_factory=dict)  # "party:account" -> cents


def write_history(
    directory: Path,
    n_events: int,
    *,
    seed: int = 7,
    companies: int = COMPANIES,
    stem: str = "hist",
    formats: Sequence[str] = FORMATS,
) -> Written:
    """Generate ``n_events`` and write them to ``directory/<stem>.<format>`` in one pass."""
    unknown = sorted(set(formats) - set(WRITERS))
    if unknown:
        raise ValueError(f"unknown formats {unknown}; expected some of {', '.join(WRITERS)}")
    directory.mkdir(parents=True, exist_ok=True)
    generator = HistoryGenerator(n_events, seed=seed, companies=companies)
    title = f"synthetic history, {n_events} events, {companies} companies, seed {seed}"
    writers = {f: WRITERS[f](directory / f"{stem}.{f}") for f in formats}
    usd: dict[str, int] = {}
    transactions = postings = 0
    try:
        for w in writers.values():
            w.header(title, generator.parties())
        for generated in generator:
            for w in writers.values():
                w.event(generated)
            if generated.cash:
                transactions += 1
                postings += len(generated.cash)
                for party, account, cents in generated.cash:
                    key = f"{party}:{account}"
                    usd[key] = usd.get(key, 0) + cents
    finally:
        for w in writers.values():
            w.close()
    usd = {k: v for k, v in sorted(usd.items()) if v}
    expected = directory / f"{stem}.expected.json"
    expected.write_bytes(
        orjson.dumps(
            {
                "events": n_events,
                "seed": seed,
                "companies": companies,
                "transactions": transactions,
                "postings": postings,
                "usd": {k: money(v) for k, v in usd.items()},
            },
            option=orjson.OPT_INDENT_2,
        )
    )
    return Written(
        n_events,
        seed,
        {f: w.path for f, w in writers.items()},
        expected,
        transactions,
        postings,
        usd,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic loopledger history.")
    parser.add_argument("events", type=int, help="number of events")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--companies", type=int, default=COMPANIES)
    parser.add_argument("--stem", default="hist")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    written = write_history(
        args.directory,
        args.events,
        seed=args.seed,
        companies=args.companies,
        stem=args.stem,
        formats=[f for f in args.formats.split(",") if f],
    )
    took = time.perf_counter() - started
    for path in [*written.paths.values(), written.expected]:
        print(f"{path}  {path.stat().st_size:,} bytes")
    print(
        f"{written.events:,} events ({written.transactions:,} cash transactions, "
        f"{written.postings:,} postings) in {took:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
