"""Progress of a multi-step command: one line per step on stderr, with its time.

Why: the demo and the report run several plugins in turn; a user should see which step is
slow (verify spawns a fresh process, the picture imports matplotlib) rather than a silence.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["Progress"]

T = TypeVar("T")


class Progress:
    """One line per step on stderr, with its time; a spinner while a step runs on a terminal."""

    def __init__(self, quiet: bool = False) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self.quiet = quiet
        self.started = time.perf_counter()

    def step(self, label: str, work: Callable[[], T], done: Callable[[T], str] | None = None) -> T:
        """Run ``work``; print ``✓ label: done(value) (seconds)`` when it returns."""
        t0 = time.perf_counter()
        if self.quiet:
            return work()
        if self.console.is_terminal:
            with self.console.status(f"{label} …"):
                value = work()
        else:
            value = work()
        detail = f": {done(value)}" if done else ""
        self.console.print(
            f"[green]✓[/green] {label}{detail} [dim]({time.perf_counter() - t0:.2f} s)[/dim]"
        )
        return value

    def total(self) -> float:
        """Seconds since the progress started."""
        return time.perf_counter() - self.started
