"""One reader for the tables finance officers have: CSV in any dialect Excel writes
(grants.io.csvfile), and .xlsx (grants.io.xlsx).

The result is a `SourceTable` (grants.io.table): the header as written and every data row's
cells as TEXT, with where each row stood in the file (CSV line or Excel row). Meaning (which column is which, what a
value says) is the caller's business; this module only makes sure no row is lost, invented or
silently re-read. Whatever it cannot read for certain stops the run with `InputFileError`
(exit 2) naming the line, byte, sheet, row or column.

The file type is decided by content, never by the name: a zip is read as .xlsx, an OLE2 file
(.xls, or an .xlsx with a password) and an OpenDocument file are refused, anything else is text.
"""
from __future__ import annotations

import os
import stat
from typing import Callable, Sequence

from grants.errors import InputFileError
from grants.io.csvfile import read_csv
from grants.io.table import HEADER_SEARCH_ROWS, SourceTable  # noqa: F401 - the reader's result and its limit, here for callers

MAX_INPUT_BYTES = 100 * 1024 * 1024
"""Input files above 100 MB are refused before reading. A national batch is a few thousand lines
(well under 1 MB); 100 MB holds about a million lines, the largest benchmark. The reader holds the
bytes, the decoded text and the cells at once (several times the file size), so the limit also
keeps a mistaken file (a database dump, a disk image) from exhausting memory."""

XLSX_EXPANSION = 10
"""An .xlsx file is a zip: its unpacked content may be at most this many times `max_bytes`, so a
zip bomb is refused before openpyxl inflates it (real workbooks pack about 5-10 to 1)."""

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")


def read_table(
    path: str | os.PathLike,
    *,
    sheet: str | None = None,
    is_header: Callable[[Sequence[str]], bool] | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> SourceTable:
    """Read a CSV or .xlsx file (decided by content) into a `SourceTable`.

    `is_header(cells)` tells the header row apart from title lines above it; it is tried on the
    first `HEADER_SEARCH_ROWS` non-blank rows. Without it the first non-blank row is the header.
    """
    name = os.fspath(path)
    raw = _read_regular_file(name, max_bytes)
    if raw.startswith(_OLE2):
        raise InputFileError(
            f"{name}: filen er i det gamle Excel-formatet (.xls) eller er en passordbeskyttet "
            "Excel-fil; åpne den i Excel og lagre som .xlsx uten passord (eller som CSV UTF-8)"
        )
    if raw.startswith(_ZIP):
        from grants.io.xlsx import read_xlsx  # zip and XML parsing: only for a workbook

        return read_xlsx(name, raw, sheet, is_header, XLSX_EXPANSION * max_bytes)
    if sheet is not None:
        raise InputFileError(f"{name}: et ark kan bare velges i en Excel-fil (.xlsx); dette er en tekstfil (CSV)")
    return read_csv(name, raw, is_header)


# --- the file itself ---------------------------------------------------------------------------


def _read_regular_file(name: str, max_bytes: int) -> bytes:
    """The file's bytes, refusing before reading anything that is not a regular file of at most
    `max_bytes` (/dev/zero, a FIFO that would block, a directory, a huge dump)."""
    try:
        st = os.stat(name)
    except FileNotFoundError:
        raise InputFileError(f"finner ikke filen {name}") from None
    except OSError as exc:
        raise InputFileError(f"kan ikke lese {name}: {exc.strerror}") from None
    _check_stat(name, st, max_bytes)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputFileError(f"kan ikke lese {name}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        _check_stat(name, os.fstat(fh.fileno()), max_bytes)  # the file opened is the file checked
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise InputFileError(f"kan ikke lese {name}: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise InputFileError(f"{name}: filen er større enn grensen på {max_bytes} byte; del den opp")
    return data


def _check_stat(name: str, st: os.stat_result, max_bytes: int) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise InputFileError(f"{name} er en mappe, ikke en fil")
    if not stat.S_ISREG(st.st_mode):
        raise InputFileError(
            f"{name} er ikke en vanlig fil (men en enhet, FIFO eller socket); lagre dataene i en fil først"
        )
    if st.st_size > max_bytes:
        raise InputFileError(
            f"{name}: filen er {st.st_size} byte, over grensen på {max_bytes} byte; del den opp"
        )
