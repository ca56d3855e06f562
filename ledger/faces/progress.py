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


def _ignore_step(step: str, done: int) -> None:
    return None


@contextlib.contextmanager
def _bar(label: str, total: int | None) -> Iterator[Callable[[int, str | None], None] | None]:
    """The drawn bar's ``update(done, description)``, or None when nothing is drawn."""
    if not shows_progress():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn("{task.description}"), BarColumn()]
    if total:
        columns.append(MofNCompleteColumn())
    columns.append(TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total or None)

        def update(done: int, description: str | None = None) -> None:
            if description is None:
                bar.update(task, completed=done)
            else:
                bar.update(task, completed=done, description=description)

        yield update


@contextlib.contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A bar of ``total`` steps (a pulse when None); yields ``tick(done)`` to move it."""
    with _bar(label, total) as update:
        if update is None:
            yield _ignore
            return
        drawn = update

        def tick(done: int) -> None:
            drawn(done, None)

        yield tick


@contextlib.contextmanager
def steps_bar(label: str, total: int | None) -> Iterator[Callable[[str, int], None]]:
    """A bar for work done in named steps over the same records (verify: chain, refold, …);
    yields ``tick(step, done)``, which names the step and moves the bar to ``done`` of
    ``total`` records."""
    with _bar(label, total) as update:
        if update is None:
            yield _ignore_step
            return
        drawn = update

        def tick(step: str, done: int) -> None:
            drawn(done, f"{label}: {step}")

        yield tick
