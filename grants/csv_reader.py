"""Read an application CSV the way finance officers write it: UTF-8 with or without BOM (or
Windows-1252 from an older Excel), comma or semicolon, Norwegian or English headers.

File-level problems raise InputFileError (the run stops); row-level problems are left to the
engine, which rejects the row and names it. Row numbers are data rows: the first line under the
header is row 1.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .errors import InputFileError

from .inputs import ROW_ERROR


@dataclass(frozen=True)
class CsvInput:
    records: list[dict[str, str]]
    columns: list[str]
    delimiter: str
    encoding: str
    notes: tuple[str, ...]


def read_lines_csv(path: str | Path, check_header: Callable[[list[str]], Any] = lambda header: None) -> CsvInput:
    """Read a CSV file; `check_header` stops a file whose columns are wrong (an application's
    by default; grants.sessions passes its own)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"finner ikke filen {path}") from None
    except OSError as exc:
        raise InputFileError(f"kan ikke lese {path}: {exc.strerror}") from None
    notes = []
    try:
        text = raw.decode("utf-8-sig")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="strict") if _cp1252_ok(raw) else None
        if text is None:
            raise InputFileError(f"{path}: filen er verken UTF-8 eller Windows-1252-tekst") from None
        encoding = "cp1252"
        notes.append("filen er ikke UTF-8; den er lest som Windows-1252 (Excel)")
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise InputFileError(f"{path}: filen er tom")
    first = lines[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    if first.count(delimiter) == 0:
        raise InputFileError(
            f"{path}: finner ingen skilletegn (komma eller semikolon) i overskriftsraden «{first[:80]}»"
        )
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = [r for r in reader]
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
    header = [h.strip() for h in rows[0]]
    blanks = [i + 1 for i, h in enumerate(header) if not h]
    if blanks:
        raise InputFileError(f"{path}: overskriftsraden har tomme kolonnenavn (kolonne {', '.join(map(str, blanks))})")
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if h in seen:
            raise InputFileError(f"{path}: kolonnen «{h}» står to ganger i overskriftsraden (kolonne {seen[h] + 1} og {i + 1})")
        seen[h] = i
    check_header(header)  # missing or clashing columns stop the run here
    data = rows[1:]
    while data and not any(c.strip() for c in data[-1]):
        data.pop()
    records = []
    for number, fields in enumerate(data, start=1):
        rec = {h: (fields[i] if i < len(fields) else "") for i, h in enumerate(header)}
        extra = [f for f in fields[len(header):] if f.strip()]
        if extra:
            rec[ROW_ERROR] = (
                f"raden har {len(fields)} felt, men overskriften har {len(header)}; "
                f"overskytende verdi «{extra[0]}» (feil skilletegn eller manglende anførselstegn?)"
            )
        records.append(rec)
    return CsvInput(records, header, delimiter, encoding, tuple(notes))


def _cp1252_ok(raw: bytes) -> bool:
    try:
        raw.decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False
