"""Progress bars for long commands: on a terminal only, on standard error, gone when done.

Why: verify, audit, metrics, value, report, export and replay can take seconds on a large store;
a bar (records folded of the store's total, or a pulse while the work cannot be counted) says
the command is alive. When either standard output or standard error is not a terminal —
piped, redirected, in CI — nothing is drawn, so pipelines and logs see only the answer.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


def _is_tty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def shows_progress() -> bool:
    """Whether a bar would be drawn now (both standard output and error are terminals)."""
    return _is_tty(sys.stdout) and _is_tty(sys.stderr)


def _ignore(done: int) -> None:
    return None


@contextlib.contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A bar of ``total`` steps (a pulse when None); yields ``tick(done)`` to move it."""
    if not shows_progress():
        yield _ignore
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn("{task.description}"), BarColumn()]
    if total:
        columns.append(MofNCompleteColumn())
    columns.append(TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total or None)

        def tick(done: int) -> None:
            bar.update(task, completed=done)

        yield tick
