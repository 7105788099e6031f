"""Reading a supervision-sessions file (`--sessions FILE`): the same reader as the application
file (grants.io.reader); the sums per doctor and period are grants.pipeline.sessions."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from grants.errors import InputFileError
from grants.pipeline.sessions import Session, SessionHours, aggregate, map_session_header, parse_sessions

if TYPE_CHECKING:
    from grants.pipeline.provenance import SourceRecord


def read_sessions(path: str | Path) -> tuple[list[Session], list[str]]:
    """Read a sessions CSV (same reader as the application file): the sessions, and notes on
    the file (columns not used, an old Excel's encoding), so nothing is ignored silently."""
    sessions, notes, _ = _read_sessions(path)
    return sessions, notes


def _read_sessions(path: str | Path) -> tuple[list[Session], list[str], Any]:
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
    return parse_sessions(table.records()), notes, table


def sessions_for(path: str | Path, ratebook: Any, period: str | None = None) -> SessionHours:
    """Read and aggregate a sessions file (the CLI's --sessions)."""
    return sessions_with_record(path, ratebook, period)[0]


def sessions_with_record(path: str | Path, ratebook: Any, period: str | None = None) -> tuple[SessionHours, "SourceRecord"]:
    """`sessions_for`, and what the result's manifest says about the file: its name, SHA-256
    and the hash of its rows as read."""
    sessions, notes, table = _read_sessions(path)
    out = aggregate(sessions, ratebook, period)
    out.file_notes.extend(notes)
    return out, _record(path, table)


def sessions_record(path: str | Path) -> "SourceRecord":
    """What a manifest says about a sessions file, read as `sessions_with_record` reads it."""
    return _record(path, _read_sessions(path)[2])


def _record(path: str | Path, table: Any) -> "SourceRecord":
    import os

    from grants.pipeline.provenance import SourceRecord, file_sha256, position_runs, rows_sha256

    try:
        digest: str | None = file_sha256(path)
    except OSError:
        digest = None
    return SourceRecord(kind="file", rows=table.n_rows, rows_sha256=rows_sha256(table.header, table.columns, table.n_rows),
                        name=os.path.basename(os.fspath(path)), sha256=digest, format=table.kind, sheet=table.sheet,
                        positions=position_runs(table.positions))
