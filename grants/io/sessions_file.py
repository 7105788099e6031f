"""Reading a supervision-sessions file (`--sessions FILE`): the same reader as the application
file (grants.io.reader); the sums per doctor and period are grants.pipeline.sessions."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from grants.errors import InputFileError
from grants.pipeline.sessions import Session, SessionHours, aggregate, map_session_header, parse_sessions


def read_sessions(path: str | Path) -> tuple[list[Session], list[str]]:
    """Read a sessions CSV (same reader as the application file): the sessions, and notes on
    the file (columns not used, an old Excel's encoding), so nothing is ignored silently."""
    from grants.io.reader import read_table

    def is_header(cells: Any) -> bool:
        try:
            map_session_header([c for c in cells if str(c).strip()])
            return True
        except InputFileError:
            return False

    table = read_table(path, is_header=is_header)
    columns = list(table.header)
    used = set(map_session_header(columns).values())
    for index, message in sorted(table.row_errors.items()):
        raise InputFileError(f"øktfilen, {table.where(index)}: {message}")
    unused = [h for h in columns if h not in used]
    notes = [f"øktfilen: {n}" for n in table.notes]
    if unused:
        notes.append(f"øktfilen: {'kolonnen' if len(unused) == 1 else 'kolonnene'} {', '.join(unused)} er ikke brukt")
    return parse_sessions(table.records()), notes


def sessions_for(path: str | Path, ratebook: Any, period: str | None = None) -> SessionHours:
    """Read and aggregate a sessions file (the CLI's --sessions)."""
    sessions, notes = read_sessions(path)
    out = aggregate(sessions, ratebook, period)
    out.file_notes.extend(notes)
    return out
