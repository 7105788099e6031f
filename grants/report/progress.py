"""A progress display for long command-line runs (rich), shown only when someone is watching.

It appears only after `delay` seconds (a quick run shows nothing), only when stdout is a
terminal and the run is not `--quiet`, and it draws on stderr and disappears when done, so
the summary on stdout and any redirected output stay clean. One row per step (read, compute,
write); a step that knows its size (writing the workbook, line by line) shows a bar.
"""
from __future__ import annotations

import sys
import threading
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress


def wanted(quiet: bool, stdout: IO[str] | None = None) -> bool:
    """Show progress? Not with --quiet, not when stdout is a file or a pipe."""
    stream = stdout if stdout is not None else sys.stdout
    isatty = getattr(stream, "isatty", None)
    return not quiet and bool(isatty and isatty())


class Steps:
    """The steps of one run; a context manager. `step()` begins the next step (the previous
    one is done), `advance()` moves the current step's bar when its size was given."""

    def __init__(self, *, enabled: bool, delay: float = 1.0, file: IO[str] | None = None):
        self.enabled = enabled
        self.delay = delay
        self.shown = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._progress: Progress | None = None
        self._current = None
        if enabled:  # rich is imported only for a display that may be shown (start-up time)
            from rich.console import Console
            from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn

            console = Console(file=file if file is not None else sys.stderr, force_terminal=True if file is not None else None)
            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                TaskProgressColumn(text_format_no_percentage=""), TimeElapsedColumn(),
                console=console, transient=True,
            )

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

    def step(self, description: str, total: int | None = None) -> None:
        if self._progress is None:
            return
        self._finish_current()
        self._current = self._progress.add_task(description, total=total)

    def advance(self, completed: int) -> None:
        """The current step has done `completed` of its `total`."""
        if self._progress is not None and self._current is not None:
            self._progress.update(self._current, completed=completed)

    def _finish_current(self) -> None:
        if self._current is not None:
            task = self._progress.tasks[-1]
            self._progress.update(self._current, total=task.total or 1, completed=task.total or 1)

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._progress is not None:
                self._finish_current()
                if self.shown:
                    self._progress.stop()
