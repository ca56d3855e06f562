"""``loopledger serve``: the web app on a local address, read-only, until Ctrl+C.

Why the socket is bound here and handed to uvicorn: the address printed is then the one
listened on (``--port 0`` picks a free port and prints it), and a port already in use is one
clear message with exit 2 instead of a server log line.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
import webbrowser

import click

from ledger.api import Ledger
from ledger.faces.options import EXIT_BAD_INPUT


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; exit 2 with one message when that cannot be."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        click.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    return sock


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. The default is this machine only; another address lets "
    "anyone who can reach it read the store.",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="0: any free port.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the app in a web browser.")
@click.pass_obj
def serve_command(session: Ledger, host: str, port: int, open_browser: bool) -> None:
    """Browse the store in a web browser: the loop as an interactive graph, every party, the
    events, metrics over time, warrants and verify — read-only.

    The store is opened read-only (nothing is ever written to it, not even a checkpoint) and
    every request but GET and HEAD is refused. Serves until Ctrl+C.
    """
    import uvicorn

    from ledger.faces.web.app import create_app

    book = Ledger(session.store_url, session.plugins, read_only=True)
    book.store  # noqa: B018 - open now: a missing store is exit 2 before anything listens
    sock = listen(host, port)
    bound = sock.getsockname()
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    url = f"http://{shown}:{bound[1]}/"
    click.echo(f"loopledger serve: {url} — {book.location}, read-only. Ctrl+C stops it.")
    if not is_loopback(host):
        click.echo(
            f"warning: listening on {host}, not only this machine: anyone who can reach it can "
            "read the store",
            err=True,
        )
    sys.stdout.flush()
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    config = uvicorn.Config(create_app(book), log_level="warning", access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        book.close()
        sock.close()
