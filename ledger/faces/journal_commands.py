"""The commands plain-text accountants type without thinking: ``register``, ``print``,
``accounts``, ``parties``, ``stats`` — and ``export`` to hledger, ledger-cli, beancount, CSV
posting rows or JSON Lines. Each is a thin face over :class:`ledger.api.Ledger`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from ledger.api import Ledger
from ledger.faces.options import (
    as_of_option,
    event_filters,
    output_option,
    party_option,
    period_options,
)
from ledger.faces.output import RECORD_OUTPUTS, console, grouped, print_json, print_records, table
from ledger.faces.progress import progress_bar
from ledger.histories.csv_format import write_csv
from ledger.histories.exports import FORMATS
from ledger.histories.writing import document, to_yaml
from ledger.model.codec import party_to_dict, to_dict
from ledger.model.events import parties_of
from ledger.model.periods import Period
from ledger.model.values import WORLD


def add_commands(cli: click.Group) -> None:
    """Add the journal commands to the command line."""
    for command in (
        register_command,
        print_command,
        accounts_command,
        parties_command,
        stats_command,
        export_command,
    ):
        cli.add_command(command)


@click.command("register")
@as_of_option
@period_options
@party_option("Only this party's postings")
@click.option(
    "--account",
    default=None,
    help="Only accounts under this one (whole components: 'assets' or 'assets:cash').",
)
@click.option("--commodity", default=None, help="Only this commodity (USD, shares:amd, …).")
@output_option
@click.pass_obj
def register_command(
    session: Ledger,
    as_of: dt.date | None,
    period: Period,
    party: str | None,
    account: str | None,
    commodity: str | None,
    output: str,
) -> None:
    """Postings in recorded order with a running balance per commodity, filterable by party,
    account and commodity (hledger's register). The balance starts at zero at --begin."""
    lines = session.register(
        as_of, party=party, account=account, commodity=commodity, period=period
    )
    if output == "json":
        print_json(lines.to_json())
        return
    if output in RECORD_OUTPUTS:
        print_records(lines, output)
        return
    rows = [
        (
            r["date"],
            r["id"],
            r["party"],
            r["account"],
            r["commodity"],
            grouped(r["amount"], r["commodity"]),
            grouped(r["balance"], r["commodity"]),
        )
        for r in lines.to_records()
    ]
    console().print(
        table(
            f"{len(rows)} postings{' ' + period.describe() if period.bounded else ''}",
            ["date", "id", "party", "account", "commodity", "amount", "balance"],
            rows,
            right=["amount", "balance"],
        )
    )


@click.command("print")
@event_filters
@click.pass_obj
def print_command(
    session: Ledger,
    as_of: dt.date | None,
    period: Period,
    types: tuple[str, ...],
    party: str | None,
    output: str,
) -> None:
    """Print recorded events as they would be written in a deal-history file: YAML (text),
    JSON (-O json) or a CSV history (-O csv, -O tsv) — each replays as it is. The parties the
    printed events name are declared first."""
    listed = session.events(as_of, types=types, party=party, period=period)
    events = [item.event for item in listed]
    named = {p for e in events for p in parties_of(e)}
    everyone = session.parties().parties
    parties = [p for p in everyone if p.id in named or not (types or party or period.bounded)]
    if output == "html":
        raise click.UsageError(
            "print writes a deal-history file: -O text (YAML), json, csv or tsv; "
            "for a page of the events, use 'loopledger events -O html'"
        )
    if output in ("csv", "tsv"):
        sys.stdout.write(
            write_csv(
                [party_to_dict(p) for p in parties],
                [to_dict(e) for e in events],
                "\t" if output == "tsv" else ",",
            )
        )
        return
    doc = document(parties, events)
    if output == "json":
        print_json(doc)
        return
    sys.stdout.write(to_yaml(doc))


@click.command("accounts")
@as_of_option
@period_options
@party_option("Only this party's accounts")
@output_option
@click.pass_obj
def accounts_command(
    session: Ledger, as_of: dt.date | None, period: Period, party: str | None, output: str
) -> None:
    """Every account that has postings, per party and commodity, with how many postings and
    the first and last date."""
    found = session.accounts(as_of, party=party, period=period)
    if output == "json":
        print_json({"accounts": found.to_records()})
        return
    if output in RECORD_OUTPUTS:
        print_records(found, output)
        return
    console().print(
        table(
            f"{len(found.rows)} accounts",
            ["party", "account", "commodity", "postings", "first", "last"],
            found.text_rows(),
            right=["postings"],
        )
    )


@click.command("parties")
@output_option
@click.pass_obj
def parties_command(session: Ledger, output: str) -> None:
    """The recorded parties: id, name, ticker, shares outstanding, why it may overdraw its cash
    (allow_overdraft) and how many events name each. Any command's --party takes the id, the
    name or the ticker, in any case."""
    found = session.parties()
    if output == "json":
        print_json({"parties": found.to_records(), "reserved": WORLD})
        return
    if output in RECORD_OUTPUTS:
        print_records(found, output)
        return
    console().print(
        table(
            f"{len(found.parties)} parties (and '{WORLD}', everyone outside)",
            ["id", "name", "ticker", "shares outstanding", "may overdraw because", "events"],
            found.text_rows(),
            right=["shares outstanding", "events"],
        )
    )


@click.command("stats")
@as_of_option
@period_options
@output_option
@click.pass_obj
def stats_command(session: Ledger, as_of: dt.date | None, period: Period, output: str) -> None:
    """What the store holds: records, events, parties, the date span, events per type."""
    found = session.stats(as_of, period=period)
    if output == "json":
        print_json(found.to_json())
        return
    if output in RECORD_OUTPUTS:
        print_records(found, output)
        return
    out = console()
    out.print(f"store        {found.store}", markup=False)
    out.print(f"records      {found.records}", markup=False)
    out.print(f"parties      {found.parties}", markup=False)
    out.print(
        f"events       {found.events}"
        + (f" ({found.reversed} reversed)" if found.reversed else ""),
        markup=False,
    )
    span = f"{found.first_date} to {found.last_date}" if found.first_date else "none"
    out.print(f"dates        {span}", markup=False)
    out.print(
        table(
            "events per type",
            ["type", "events", "first", "last"],
            found.text_rows(),
            right=["events"],
        )
    )


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATS)),
    required=True,
    help="hledger or ledger (journals), beancount, csv (one row per posting), jsonl "
    "(the history itself: replays into an identical store).",
)
@as_of_option
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file (default: standard output).",
)
@click.option("--title", default=None, help="A title for the journal's header.")
@click.pass_obj
def export_command(
    session: Ledger, fmt: str, as_of: dt.date | None, out: Path | None, title: str | None
) -> None:
    """Export the stored history: one transaction per event with its id, source and
    confidence as metadata, accounts and commodities named as each tool accepts them,
    amounts exact. hledger, ledger-cli and beancount compute the same balances as
    'loopledger balances'. Name mapping and formats: docs/export.md."""
    total = 2 * session.store.head()[0]  # two passes: declarations, then transactions
    with progress_bar(f"export {fmt}", total=total) as tick:
        journal = session.export(fmt, out or sys.stdout, as_of=as_of, title=title, progress=tick)
    if out is not None:
        click.echo(
            f"wrote {out}: {journal.transaction_count} transactions, "
            f"{journal.posting_count} postings ({fmt})",
            err=True,
        )
