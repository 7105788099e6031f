"""A progress display for long command-line runs (rich), shown only when someone is watching.

It appears only after `delay` seconds (a quick run shows nothing), only when stdout is a
terminal and the run is not `--quiet`, and it draws on stderr and disappears when done, so
the summary on stdout and any redirected output stay clean.
"""
from __future__ import annotations

import sys
import threading
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


def wanted(quiet: bool, stdout: IO[str] | None = None) -> bool:
    """Show progress? Not with --quiet, not when stdout is a file or a pipe."""
    stream = stdout if stdout is not None else sys.stdout
    isatty = getattr(stream, "isatty", None)
    return not quiet and bool(isatty and isatty())


class Steps:
    """The steps of one run (read, compute, write) as one bar; a context manager."""

    def __init__(self, steps: int, *, enabled: bool, delay: float = 1.0, file: IO[str] | None = None):
        self.enabled = enabled
        self.delay = delay
        self.shown = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._progress: Progress | None = None
        self._task = None
        if enabled:
            console = Console(file=file if file is not None else sys.stderr, force_terminal=file is not None or None)
            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(), console=console, transient=True,
            )
            self._task = self._progress.add_task("Starter", total=steps)

    def __enter__(self) -> "Steps":
        if self.enabled:
            self._timer = threading.Timer(self.delay, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _show(self) -> None:
        with self._lock:
            if self._progress is not None and not self.shown and self._timer is not None:
                self._progress.start()
                self.shown = True

    def step(self, description: str) -> None:
        """Begin the next step: the previous one is done."""
        if self._progress is None:
            return
        task = self._progress.tasks[0]
        if task.description != "Starter":
            self._progress.advance(self._task)
        self._progress.update(self._task, description=description)

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self.shown and self._progress is not None:
                self._progress.update(self._task, completed=self._progress.tasks[0].total)
                self._progress.stop()
