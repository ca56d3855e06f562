"""The ``loopledger`` command line: the core commands; plugins add the rest.

Exit codes: 0 ok, 1 a check failed, 2 bad input or usage, 3 the store changed while writing
(retry; see ``ledger.faces.options``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import traceback
import warnings
from typing import Any

import click

from ledger import __version__
from ledger.api import Ledger
from ledger.api.tables import Column
from ledger.api.verification import VerifyReport
from ledger.faces.journal_commands import add_commands as add_journal_commands
from ledger.faces.options import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_STORE_CHANGED,
    as_of_option,
    event_filters,
    exit_on_failures,
    output_option,
)
from ledger.faces.output import RECORD_OUTPUTS, console, grouped, print_json, print_records, table
from ledger.faces.progress import progress_bar, steps_bar
from ledger.faces.tables import Flattened, ReplayTable, Rows, VerifyTable, per_file
from ledger.histories.inputs import FORMATS
from ledger.model.limits import MAX_PROBLEMS
from ledger.model.periods import Period
from ledger.model.problems import InputError, LedgerError, Problem, StoreError
from ledger.model.safetext import visible
from ledger.plugin.manager import PluginLoadError, make_plugin_manager
from ledger.store import ConcurrentAppend, describe, encryption


def print_problems(problems: list[Problem]) -> None:
    """One line per problem on stderr, at most MAX_PROBLEMS of them (a broken file of a
    hundred thousand events must not flood the terminal), the rest counted."""
    for problem in problems[:MAX_PROBLEMS]:
        click.echo(f"error: {visible(problem.render())}", err=True)
    if len(problems) > MAX_PROBLEMS:
        click.echo(
            f"error: … and {len(problems) - MAX_PROBLEMS:,} more problems of the same run "
            f"(the first {MAX_PROBLEMS} are shown)",
            err=True,
        )


class LedgerGroup(click.Group):
    """Turns loopledger's errors into one clear message and the documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            print_problems(exc.problems)
            click.echo("nothing was written.", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except ConcurrentAppend as exc:
            click.echo(
                f"error: the store changed while you were writing ({visible(str(exc))}); "
                "run the replay again — nothing was written, and a rerun records each event once",
                err=True,
            )
            sys.exit(EXIT_STORE_CHANGED)
        except StoreError as exc:
            click.echo(f"error: {visible(str(exc))}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except LedgerError as exc:
            click.echo(f"error: {visible(str(exc))}", err=True)
            sys.exit(EXIT_CHECK_FAILED)
        finally:
            session = ctx.obj
            if isinstance(session, Ledger):
                session.close()


@click.group(
    cls=LedgerGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--store",
    "store_url",
    default=None,
    metavar="PATH|URL",
    help="SQLite file (default ./loopledger.db or $LOOPLEDGER_STORE), 'memory:', or postgresql://user:pass@host:port/db.",
)
@click.option(
    "--key-file",
    default=None,
    metavar="FILE",
    expose_value=False,
    callback=lambda ctx, param, value: _use_key_file(value),
    help="The store's encryption key (a file made by 'loopledger keygen --out'); or $LOOPLEDGER_KEY.",
)
@click.version_option(__version__, prog_name="loopledger")
@click.pass_context
def cli(ctx: click.Context, store_url: str | None) -> None:
    """loopledger — an event-sourced ledger of circular financing deals.

    Replay deal-history files into a store, then ask exact questions of it: balances, any
    projection's state, valuations, vendor-financing metrics, and the loops money makes.
    Start with 'loopledger demo'.
    """
    if not isinstance(ctx.obj, Ledger):
        ctx.obj = Ledger(store_url, ctx.obj)
    elif store_url:
        ctx.obj.store_url = store_url


@cli.command("replay")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="The files' format (default: by suffix, else by content — for '-' too).",
)
@output_option
@click.pass_obj
def replay_command(session: Ledger, files: tuple[str, ...], fmt: str | None, output: str) -> None:
    """Validate deal-history FILES (YAML, JSON, JSON Lines or CSV; '-' reads standard input),
    then append their new events.

    Everything is checked before anything is written; already-recorded events (same id, same
    content) are skipped, so replaying a file twice changes nothing. Balance assertions
    (type assert_balance) that the ledger disagrees with fail the replay (exit 1), naming them.
    """
    # '-' is streamed from standard input like any file (open_history reads it, sniffing
    # its format when --format does not give it): never read whole into memory.
    with progress_bar("replay", total=None) as tick:
        report = session.replay(*files, fmt=fmt, progress=tick)
    table_ = ReplayTable(per_file(report.files))
    if output == "json":
        print_json({"store": describe(session.store_url), "files": table_.to_records()})
        return
    if output in RECORD_OUTPUTS:
        print_records(table_, output)
        return
    for done in table_.files:
        click.echo(
            f"{done.file}: {done.new} new, {done.present} already present"
            + (f", {done.new_parties} new parties" if done.new_parties else "")
        )
    click.echo(f"store {describe(session.store_url)}: {session.store.head()[0]} records")


@cli.command("events")
@event_filters
@click.pass_obj
def events_command(
    session: Ledger,
    as_of: dt.date | None,
    period: Period,
    types: tuple[str, ...],
    party: str | None,
    output: str,
) -> None:
    """List recorded events in recorded order: date, type, id, parties, amount, status
    (with -O json, the postings each one made too)."""
    listed = session.events(as_of, types=types, party=party, period=period)
    if output == "json":
        print_json(listed.to_json())
        return
    if output in RECORD_OUTPUTS:
        print_records(listed, output)
        return
    rows = [
        (
            r["position"],
            r["date"],
            r["type"],
            r["id"],
            r["parties"],
            "" if r["amount"] is None else f"{grouped(r['amount'], r['currency'])} {r['currency']}",
            r["status"],
        )
        for r in listed.to_records()
    ]
    console().print(
        table(
            f"{len(rows)} events",
            ["#", "date", "type", "id", "parties", "amount", "status"],
            rows,
            right=["#", "amount"],
        )
    )


@cli.command("project")
@click.argument("name")
@as_of_option
@output_option
@click.pass_obj
def project_command(session: Ledger, name: str, as_of: dt.date | None, output: str) -> None:
    """Show the state of projection NAME (any plugin's), as of a date.

    Text and CSV list the state's values one per line as PATH and VALUE (paths as in
    jq: balances.0.amount); -O json gives the whole state. Exits 1 if the projection failed
    on some event (it is then quarantined).
    """
    registered = session.plugins.projection(name)
    result = session.run(as_of, names=[name])
    exit_on_failures(result, name)
    state = result.state(name)
    describe_state = getattr(registered.projection, "describe", None)
    data = describe_state(state) if describe_state else state
    if output == "json":
        print_json(
            {
                "projection": name,
                "plugin": registered.plugin,
                "as_of": as_of,
                "position": result.position,
                "state": data,
            }
        )
        return
    flat = Flattened.of(_jsonable(data))
    if output in RECORD_OUTPUTS:
        print_records(flat, output)
        return
    console().print(
        table(
            f"projection {name} ({registered.plugin}) at #{result.position}",
            ["path", "value"],
            flat.text_rows(),
        )
    )


def _jsonable(data: Any) -> Any:
    import orjson

    from ledger.faces.output import dumps

    return orjson.loads(dumps(data))


@cli.command("rebuild")
@click.argument("name", required=False)
@click.pass_obj
def rebuild_command(session: Ledger, name: str | None) -> None:
    """Discard projection checkpoints and recompute them from the first record.

    Checkpoints are kept for the whole set of projections together, so naming one projection
    checks the name and rebuilds them all.
    """
    if name:
        session.plugins.projection(name)
    import time

    started = time.perf_counter()
    result = session.engine().rebuild()
    exit_on_failures(result)
    click.echo(
        f"rebuilt {len(result.states)} projections over {result.processed} records in {time.perf_counter() - started:.2f}s"
    )
    if result.failures:
        sys.exit(EXIT_CHECK_FAILED)


@cli.command("plugins")
@output_option
@click.pass_obj
def plugins_command(session: Ledger, output: str) -> None:
    """List loaded plugins: name, version, origin, hooks — and plugins that failed to load."""
    infos = session.plugins.describe()
    regs = session.plugins.registries
    provided: dict[str, list[str]] = {}
    for r in regs.projections:
        provided.setdefault(r.plugin, []).append(f"projection:{r.projection.name}")
    for kind in ("metrics", "invariants", "renderers", "generators"):
        for item in getattr(regs, kind):
            provided.setdefault(item.plugin, []).append(f"{kind[:-1]}:{item.name}")
    data: dict[str, list[dict[str, Any]]] = {
        "plugins": [
            {
                "name": i.name,
                "version": i.version,
                "origin": i.origin,
                "distribution": i.distribution,
                "hooks": list(i.hooks),
                "provides": sorted(provided.get(i.name, [])),
            }
            for i in infos
        ],
        "failures": [
            {"plugin": f.plugin, "origin": f.origin, "stage": f.stage, "error": f.error}
            for f in session.plugins.failures
        ],
    }
    if output == "json":
        print_json(data)
        return
    rows = [
        (p["name"], p["version"] or "", p["origin"], ", ".join(p["provides"]))
        for p in data["plugins"]
    ]
    if output in RECORD_OUTPUTS:
        columns = (Column("name"), Column("version"), Column("origin"), Column("provides"))
        print_records(Rows(columns, tuple(rows)), output)
        return
    console().print(table("Plugins", ["name", "version", "origin", "provides"], rows))
    for f in data["failures"]:
        click.echo(f"failed: {f['plugin']} ({f['origin']}) could not {f['stage']}: {f['error']}")


class Anchor(click.ParamType):  # type: ignore[type-arg]
    """``POSITION:CHAIN_HASH`` as printed by ``verify`` (``head: #80 9f…``)."""

    name = "POSITION:HASH"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[int, str]:
        position, _, digest = str(value).partition(":")
        if not position.isdigit() or int(position) < 1 or len(digest) != 64:
            self.fail(
                f"expected POSITION:HASH, a record number and its 64-hex-digit chain hash as "
                f"'verify' prints them; got {value!r}",
                param,
                ctx,
            )
        if not re.fullmatch(r"[0-9a-fA-F]{64}", digest):
            self.fail(f"the chain hash must be 64 hexadecimal digits; got {digest!r}", param, ctx)
        return int(position), digest.lower()


def print_verify(report: VerifyReport) -> None:
    """Each check with up to ten of its findings, the notes, the verdict and the head."""
    out = console()
    for c in report.checks:
        mark = "[green]ok[/green]  " if c.ok else "[red]FAIL[/red]"
        out.print(f"{mark} {c.name}: {c.description}")
        for v in c.violations[:10]:
            out.print(
                f"       {visible(v.message)}"
                + (f" [events: {', '.join(v.event_ids)}]" if v.event_ids else ""),
                markup=False,
            )
    for n in report.notes:
        out.print(f"note  {visible(n.message)}", markup=False)
    verdict = "all checks hold" if report.ok else "CHECKS FAILED"
    out.print(f"{verdict}: {report.records} records in {report.store}", markup=False)
    if report.head is not None and report.ok:  # never invite keeping the head of a bad store
        out.print(
            f"head: {report.head[0]}:{report.head[1]} (keep it; --anchor checks it later)",
            markup=False,
        )


@cli.command("verify")
@click.option(
    "--anchor",
    "anchors",
    type=Anchor(),
    multiple=True,
    help="A chain hash kept outside the store (POSITION:HASH, as the 'head:' line prints it): "
    "the record there must still carry it — catches a history cut short. Repeatable.",
)
@output_option
@click.pass_obj
def verify_command(session: Ledger, anchors: tuple[tuple[int, str], ...], output: str) -> None:
    """Recompute the hash chain and check every registered invariant on the store.

    Exit 0 when all hold; 1 with a report naming the broken link or invariant, the events
    involved and the amounts. The last line gives the chain's head: kept elsewhere and passed
    back with --anchor, it also proves that no record up to it was removed or rewritten.
    """
    with steps_bar("verify", total=session.store.head()[0]) as tick:
        report = session.verify(anchors, progress=tick)
    if output == "json":
        print_json(report.to_json())
    elif output in RECORD_OUTPUTS:
        print_records(VerifyTable(report), output)
    else:
        print_verify(report)
    if not report.ok:
        sys.exit(EXIT_CHECK_FAILED)


def _add_serve() -> None:
    from ledger.faces.keys import encrypt_command, keygen_command
    from ledger.faces.web.command import serve_command

    cli.add_command(serve_command)
    cli.add_command(keygen_command)
    cli.add_command(encrypt_command)


def _use_key_file(path: str | None) -> None:
    """``--key-file``: named in the environment, so a fresh-process fold (verify) finds it too."""
    if path:
        os.environ[encryption.KEY_FILE_ENV] = path


_add_serve()
add_journal_commands(cli)


def _override_store(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        session = ctx.find_object(Ledger)
        if session is not None:
            session.close()
            session.store_url = value


def _accept_store_after_command(command: click.Command) -> None:
    """Let ``loopledger verify --store X`` mean ``loopledger --store X verify``.

    Why: users write the option after the command as often as before it. Every command that
    has no ``--store`` of its own gets one that sets the session's store (the group's
    callback has already made the session when a subcommand's options are parsed).
    """
    if isinstance(command, click.Group):  # and its subcommands: 'scenario run X --store Y'
        for sub in command.commands.values():
            _accept_store_after_command(sub)
    if not any("--key-file" in p.opts for p in command.params):
        command.params.append(
            click.Option(
                ["--key-file", "key_file_override"],
                default=None,
                metavar="FILE",
                expose_value=False,
                callback=lambda ctx, param, value: _use_key_file(value),
                help="The store's encryption key (the same as 'loopledger --key-file').",
            )
        )
    if any("--store" in p.opts for p in command.params):
        return
    command.params.append(
        click.Option(
            ["--store", "store_override"],
            default=None,
            metavar="PATH|URL",
            expose_value=False,
            callback=_override_store,
            help="The store (the same as 'loopledger --store').",
        )
    )


def build_cli(plugins: Any) -> click.Group:
    """A fresh root group (core commands) with every loaded plugin's commands added."""
    import copy

    group = copy.copy(cli)
    group.commands = dict(cli.commands)
    plugins.add_commands(group)
    for command in group.commands.values():
        _accept_store_after_command(command)
    return group


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            plugins = make_plugin_manager()
            plugins.registries  # noqa: B018 - collect now, so strict mode stops start-up here
            group = build_cli(plugins)
        for w in caught:
            click.echo(f"warning: {w.message}", err=True)
    except PluginLoadError as exc:
        click.echo(f"error: {exc} (LOOPLEDGER_STRICT_PLUGINS is set)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except InputError as exc:
        print_problems(exc.problems)
        sys.exit(EXIT_BAD_INPUT)
    try:
        group.main(args=argv, prog_name="loopledger", obj=plugins, standalone_mode=True)
    except Exception:  # noqa: BLE001 - last resort: a bug, shown as one
        traceback.print_exc()
        sys.exit(EXIT_CHECK_FAILED)
