"""One reader for the tables finance officers have: CSV in any dialect Excel writes, and .xlsx.

The result is a `SourceTable`: the header as written and every data row's cells as TEXT, with
where each row stood in the file (CSV line or Excel row). Meaning (which column is which, what a
value says) is the caller's business; this module only makes sure no row is lost, invented or
silently re-read. Whatever it cannot read for certain stops the run with `InputFileError`
(exit 2) naming the line, byte, sheet, row or column.

The file type is decided by content, never by the name: a zip is read as .xlsx, an OLE2 file
(.xls, or an .xlsx with a password) and an OpenDocument file are refused, anything else is text.

CSV is parsed here, not by the `csv` module: `csv` stops at fields over
`csv.field_size_limit()`, which is process-global and must not be changed by a library, and it
cannot say on which line an unterminated quote opened.
"""
from __future__ import annotations


import io
import operator
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Context, Decimal
from typing import Callable, Iterator, Sequence

from grants.errors import InputFileError
from grants.money import plain_text

MAX_INPUT_BYTES = 100 * 1024 * 1024
"""Input files above 100 MB are refused before reading. A national batch is a few thousand lines
(well under 1 MB); 100 MB holds about a million lines, the largest benchmark. The reader holds the
bytes, the decoded text and the cells at once (several times the file size), so the limit also
keeps a mistaken file (a database dump, a disk image) from exhausting memory."""

XLSX_EXPANSION = 10
"""An .xlsx file is a zip: its unpacked content may be at most this many times `max_bytes`, so a
zip bomb is refused before openpyxl inflates it (real workbooks pack about 5-10 to 1)."""

HEADER_SEARCH_ROWS = 10
"""How many non-blank rows from the top may hold the header (title lines above it are allowed)."""

DELIMITERS = (";", "\t", ",")
"""Candidates, in the order that breaks a tie: Norwegian Excel writes ';' (decimal commas are
common in its data), Excel's "Unicode text" writes tab."""

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_LINE_END = re.compile(r"(\r\n|\r|\n)")
_SEP_HINT = re.compile(r'^"?sep=([^"\r\n])"?[ ]*$', re.IGNORECASE)
_VALID_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]"
    rb"|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_DECIMALS = Context(prec=60)
"""A local context for Excel numbers: the caller's decimal context is neither used nor changed."""


@dataclass(frozen=True)
class SourceTable:
    """A table as read from a file: header and cell texts, with where each row stood.

    Cells are the text as written (not stripped; "" is empty). Title lines above the header are
    not data rows (they are named in `notes`); blank rows are counted below the header only.
    """

    path: str
    kind: str                              # "csv" or "xlsx"
    header: tuple[str, ...]                # column names as written (stripped); empty trailing ones dropped
    columns: tuple[tuple[str, ...], ...]   # one tuple per header column: each data row's cell text
    positions: tuple[int, ...]             # per data row: CSV line where it starts, or Excel row
    header_position: int                   # CSV line / Excel row of the header
    column_refs: tuple[str, ...]           # per header column: Excel letter ("C") or CSV number ("3")
    blank_rows: int                        # empty or separator-only rows under the header, skipped
    row_errors: dict[int, str] = field(default_factory=dict)  # data-row index (0-based) -> bokmål
    delimiter: str | None = None           # csv only
    encoding: str | None = None            # csv only: "utf-8", "utf-8-sig", "utf-16", "cp1252"
    sheet: str | None = None               # xlsx only
    notes: tuple[str, ...] = ()            # bokmål notes for the user

    @property
    def n_rows(self) -> int:
        return len(self.positions)

    def rows(self) -> Iterator[tuple[str, ...]]:
        """Each data row's cells, in header order."""
        return zip(*self.columns) if self.columns else iter(() for _ in self.positions)

    def records(self) -> list[dict[str, str]]:
        """Each data row as {header name: cell text}."""
        return [dict(zip(self.header, row)) for row in self.rows()]

    def where(self, index: int, column: int | None = None) -> str:
        """Where data row `index` (0-based), and optionally header column `column`, stood, in
        words the officer can follow in the file: «linje 12, kolonne 3» or «ark «X», celle C12»."""
        pos = self.positions[index]
        if self.kind == "xlsx":
            if column is None:
                return f"ark «{self.sheet}», rad {pos}"
            return f"ark «{self.sheet}», celle {self.column_refs[column]}{pos}"
        if column is None:
            return f"linje {pos}"
        return f"linje {pos}, kolonne {self.column_refs[column]}"


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
        return _read_xlsx(name, raw, sheet, is_header, max_bytes)
    if sheet is not None:
        raise InputFileError(f"{name}: et ark kan bare velges i en Excel-fil (.xlsx); dette er en tekstfil (CSV)")
    text, encoding, notes = _decode(name, raw)
    del raw  # the bytes and the text are not needed once split into lines: less memory at peak
    lines = _Lines(text.lstrip("\ufeff"))  # a second BOM (a file saved twice) is not part of the header
    del text
    return _read_csv_lines(name, lines, encoding, notes, is_header)


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


# --- text: encoding ----------------------------------------------------------------------------


def _line_of_byte(raw: bytes, offset: int) -> int:
    head = raw[:offset]
    return 1 + head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n")


def _decode(name: str, raw: bytes) -> tuple[str, str, tuple[str, ...]]:
    """Text, encoding and notes. UTF-8 (BOM or not) and UTF-16 (by its BOM) as they are;
    Windows-1252 only for a file with no valid multi-byte UTF-8 sequence anywhere. A UTF-8 file
    with a bad byte is refused, never re-read in another encoding (that changes every letter)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"{name}: filen begynner som UTF-16, men byte {exc.start} er ikke gyldig UTF-16; lagre den på nytt"
            ) from None
        _refuse_nul_text(name, text)
        return text, "utf-16", ()
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise InputFileError(
            f"{name}: linje {_line_of_byte(raw, nul)} inneholder en NUL-byte (0x00): dette er ikke en "
            "tekstfil (eller UTF-16 uten BOM); lagre filen som CSV UTF-8"
        )
    bom = raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:] if bom else raw
    try:
        return body.decode("utf-8"), ("utf-8-sig" if bom else "utf-8"), ()
    except UnicodeDecodeError as exc:
        bad = exc.start + (3 if bom else 0)
        if bom or _VALID_UTF8_MULTIBYTE.search(raw):
            raise InputFileError(
                f"{name}: linje {_line_of_byte(raw, bad)}, byte 0x{raw[bad]:02X}: filen er UTF-8, men "
                "denne byten er ikke gyldig UTF-8 (trolig ett tegn fra en annen tegnkoding); rett tegnet "
                "eller lagre filen på nytt som CSV UTF-8"
            ) from None
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{name}: linje {_line_of_byte(raw, exc.start)}, byte 0x{raw[exc.start]:02X}: filen er "
            "verken UTF-8 eller Windows-1252; lagre den som CSV UTF-8"
        ) from None
    return text, "cp1252", ("filen er ikke UTF-8; den er lest som Windows-1252 (eldre Excel)",)


def _refuse_nul_text(name: str, text: str) -> None:
    nul = text.find("\x00")
    if nul >= 0:
        head = text[:nul]
        line = 1 + head.count("\n") + head.count("\r") - head.count("\r\n")
        raise InputFileError(f"{name}: linje {line} inneholder et NUL-tegn (0x00): dette er ikke en tekstfil")


# --- text: records -----------------------------------------------------------------------------


class _Lines:
    """Physical lines and the line ends between them (kept, so a quoted field that spans lines
    keeps its own line end)."""

    def __init__(self, text: str):
        parts = _LINE_END.split(text)
        self.lines = parts[0::2]
        self.ends = parts[1::2]
        if self.lines and self.lines[-1] == "" and self.ends:
            self.lines.pop()  # the file ends with a line end: no empty line after it
        elif self.lines == [""]:
            self.lines = []

    def records(self, name: str, delimiter: str, start: int = 0) -> Iterator[tuple[int, list[str], int]]:
        """(line number where the record starts, fields, index of the next line)."""
        lines, n = self.lines, len(self.lines)
        i = start
        while i < n:
            line = lines[i]
            if '"' not in line:
                yield i + 1, line.split(delimiter), i + 1
                i += 1
            else:
                first = i
                fields, i = self._quoted(name, delimiter, i)
                yield first + 1, fields, i

    def _quoted(self, name: str, delimiter: str, i: int) -> tuple[list[str], int]:
        """A record with a quote somewhere: a quote opens a field only at the field's start;
        "" inside is one quote; the field may span lines."""
        lines, n, width = self.lines, len(self.lines), len(delimiter)
        buf, pos, fields = lines[i], 0, []
        while True:
            if buf.startswith('"', pos):
                opened = i
                pos += 1
                parts = []
                while True:
                    q = buf.find('"', pos)
                    if q < 0:
                        parts.append(buf[pos:])
                        i += 1
                        if i >= n:
                            raise InputFileError(
                                f"{name}: linje {opened + 1}: et anførselstegn (\") åpner et felt som aldri "
                                "lukkes, så resten av filen ville blitt ett felt; rett eller fjern "
                                "anførselstegnet"
                            )
                        parts.append(self.ends[i - 1])
                        buf, pos = lines[i], 0
                    elif buf.startswith('"', q + 1):
                        parts.append(buf[pos:q + 1])
                        pos = q + 2
                    else:
                        parts.append(buf[pos:q])
                        pos = q + 1
                        break
                fields.append("".join(parts))
                j = pos
                while buf.startswith(" ", j) and delimiter != " ":
                    j += 1
                if j == len(buf):
                    return fields, i + 1
                if buf.startswith(delimiter, j):
                    pos = j + width
                    if pos == len(buf):
                        fields.append("")
                        return fields, i + 1
                    continue
                junk = buf[j:j + 20]
                if opened != i:
                    raise InputFileError(
                        f"{name}: linje {opened + 1}: et anførselstegn åpner et felt som ikke lukkes før "
                        f"linje {i + 1}, og der står «{junk}» rett etter; trolig mangler et avsluttende "
                        f"anførselstegn på linje {opened + 1}"
                    )
                raise InputFileError(
                    f"{name}: linje {i + 1}: teksten «{junk}» står rett etter et felt i anførselstegn; "
                    "et anførselstegn inne i et felt må skrives dobbelt (\"\")"
                )
            d = buf.find(delimiter, pos)
            if d < 0:
                fields.append(buf[pos:])
                return fields, i + 1
            fields.append(buf[pos:d])
            pos = d + width


def _blank(cells: Sequence[str]) -> bool:
    """Only whitespace in every cell (str.strip removes exactly what isspace() calls space)."""
    return not "".join(cells).strip()


def _example(joiner: str) -> str:
    """The engine's required column names, as an example of a header."""
    from grants.pipeline.inputs import REQUIRED_COLUMNS  # the io layer depends on the engine's names only here

    return joiner.join(REQUIRED_COLUMNS)


def _expected_header(delimiter: str) -> str:
    shown = "tab" if delimiter == "\t" else delimiter
    return f"kolonnenavn skilt med {shown}, for eksempel «{_example(delimiter)}»"


def _read_csv_lines(
    name: str, lines: _Lines, encoding: str, notes: tuple[str, ...], is_header: Callable | None
) -> SourceTable:
    notes_out = list(notes)
    start = 0
    delimiters = DELIMITERS
    while start < len(lines.lines) and _blank([lines.lines[start]]):
        start += 1
    if start < len(lines.lines):
        hint = _SEP_HINT.match(lines.lines[start])
        if hint:
            delimiters = (hint.group(1),)
            start += 1
    if not any(not _blank([line]) for line in lines.lines[start:]):
        raise InputFileError(f"{name}: filen er tom; den har ingen overskrift og ingen datarader")

    found = _find_csv_header(name, lines, start, delimiters, is_header)
    header_line, raw_header, delimiter, next_line = found
    header, width = _trim_header(raw_header)
    for n, fields, _ in lines.records(name, delimiter, start):
        if n >= header_line:
            break
        if not _blank(fields):
            notes_out.append(f"linje {n} står over overskriften og er ikke lest som data")

    # Cells go straight into per-column lists and each row's list is freed at once: a million
    # kept row lists would make the garbage collector walk them again and again (half the time).
    columns: list[list[str]] = [[] for _ in range(width)]
    appends = [c.append for c in columns]
    positions: list[int] = []
    row_errors: dict[int, str] = {}
    blank = 0
    physical, n, i = lines.lines, len(lines.lines), next_line
    add_position, call = positions.append, operator.call
    while i < n:  # the records() loop, inlined: this is the hot path for a million lines
        line_no = i + 1
        line = physical[i]
        if '"' in line:
            fields, i = lines._quoted(name, delimiter, i)
            if i > line_no and (len(fields) < width or any(f.strip() for f in fields[width:])):
                raise InputFileError(
                    f"{name}: linje {line_no}: et felt i anførselstegn går over linje {line_no}–{i}, og "
                    f"raden får {len(fields)} felt mot overskriftens {width}; trolig mangler et "
                    "avsluttende anførselstegn, så flere rader er slått sammen til én"
                )
        else:
            fields = line.split(delimiter)
            i += 1
        if not "".join(fields).strip():
            blank += 1
            continue
        if len(fields) != width:
            extra = [f for f in fields[width:] if f and not f.isspace()]
            if extra:
                row_errors[len(positions)] = (
                    f"linje {line_no} har {len(fields)} felt, men overskriften har {width}; overskytende "
                    f"verdi «{extra[0]}» (feil skilletegn eller manglende anførselstegn?)"
                )
            fields = (fields + [""] * (width - len(fields)))[:width]
        any(map(call, appends, fields))  # append each cell to its column (append returns None)
        add_position(line_no)
    if not positions:
        raise InputFileError(f"{name}: filen har ingen datarader (bare overskriften på linje {header_line})")
    refs = tuple(str(i + 1) for i in range(width))
    return _finish(
        name, "csv", header, columns, positions, header_line, refs, blank, row_errors, notes_out,
        delimiter=delimiter, encoding=encoding, sheet=None,
    )


def _find_csv_header(
    name: str, lines: _Lines, start: int, delimiters: Sequence[str], is_header: Callable | None
) -> tuple[int, list[str], str, int]:
    """(line, fields, delimiter, next line index) of the header: the earliest row among the first
    non-blank rows that `is_header` accepts; a tie between delimiters goes to the one giving more
    named columns."""
    best = None
    errors: list[InputFileError] = []
    for delimiter in delimiters:
        try:
            seen = 0
            for line_no, fields, nxt in lines.records(name, delimiter, start):
                if _blank(fields):
                    continue
                seen += 1
                if seen > HEADER_SEARCH_ROWS:
                    break
                stripped = [f.strip() for f in fields]
                if is_header is None or is_header(stripped):
                    named = sum(1 for f in stripped if f)
                    key = (line_no, -named)
                    if best is None or key < best[0]:
                        best = (key, stripped, delimiter, nxt)
                    break
        except InputFileError as exc:
            errors.append(exc)
    if best is None:
        if errors and len(errors) == len(delimiters):
            raise errors[0]
        first = next(n for n, _, _ in lines.records(name, delimiters[0], start))
        raise InputFileError(
            f"{name}: fant ingen overskriftsrad blant de første {HEADER_SEARCH_ROWS} ikke-tomme linjene "
            f"(fra linje {first}); overskriften skal være én rad med {_expected_header(delimiters[0])}"
        )
    (line_no, _), fields, delimiter, nxt = best
    if len(delimiters) > 1 and sum(1 for f in fields if f) < 2:
        raise InputFileError(
            f"{name}: linje {line_no}: finner ikke skilletegnet (semikolon, komma eller tab) i "
            f"overskriftsraden «{fields[0][:80]}»; overskriften skal være {_expected_header(';')}"
        )
    return line_no, fields, delimiter, nxt


def _trim_header(fields: Sequence[str]) -> tuple[list[str], int]:
    header = [f.strip() for f in fields]
    while header and not header[-1]:
        header.pop()
    return header, len(header)


def _finish(
    name: str, kind: str, header: list[str], columns: list[list[str]], positions: list[int],
    header_position: int, refs: tuple[str, ...], blank: int, row_errors: dict[int, str],
    notes: list[str], *, delimiter: str | None, encoding: str | None, sheet: str | None,
) -> SourceTable:
    """Columns from rows; a nameless column inside the header is dropped if it is empty and
    refused if it holds values; a name written twice is refused."""
    keep = []
    for i, h in enumerate(header):
        if h:
            keep.append(i)
            continue
        filled = next((r for r, v in enumerate(columns[i]) if v and not v.isspace()), None)
        place = f"kolonne {refs[i]}"
        if filled is not None:
            at = f"linje {positions[filled]}" if kind == "csv" else f"celle {refs[i]}{positions[filled]}"
            raise InputFileError(
                f"{name}: {place} har ingen overskrift, men har verdier ({at}: «{columns[i][filled]}»); "
                "gi kolonnen et navn eller slett den"
            )
        notes.append(f"{place} har ingen overskrift og ingen verdier, og er hoppet over")
    seen: dict[str, int] = {}
    for i in keep:
        if header[i] in seen:
            raise InputFileError(
                f"{name}: kolonnen «{header[i]}» står to ganger i overskriften "
                f"(kolonne {refs[seen[header[i]]]} og {refs[i]})"
            )
        seen[header[i]] = i
    return SourceTable(
        path=name, kind=kind,
        header=tuple(header[i] for i in keep),
        columns=tuple(tuple(columns[i]) for i in keep),
        positions=tuple(positions),
        header_position=header_position,
        column_refs=tuple(refs[i] for i in keep),
        blank_rows=blank,
        row_errors=row_errors,
        delimiter=delimiter, encoding=encoding, sheet=sheet,
        notes=tuple(notes),
    )


# --- Excel -------------------------------------------------------------------------------------

_LITERAL_IN_FORMAT = re.compile(r'"[^"]*"|\\.')


def _read_xlsx(
    name: str, raw: bytes, sheet: str | None, is_header: Callable | None, max_bytes: int
) -> SourceTable:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            mimetype = zf.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError, NotImplementedError) as exc:
        raise InputFileError(
            f"{name}: filen ser ut som en Excel-fil (.xlsx), men kan ikke åpnes: den er skadet eller "
            f"ufullstendig ({type(exc).__name__}); lagre den på nytt fra Excel"
        ) from None
    if b"opendocument" in mimetype:
        raise InputFileError(f"{name}: filen er et OpenDocument-regneark (.ods); lagre den som .xlsx eller CSV UTF-8")
    if "xl/workbook.bin" in names:
        raise InputFileError(f"{name}: filen er en binær Excel-arbeidsbok (.xlsb); lagre den som .xlsx eller CSV UTF-8")
    if not any(n.lower().endswith("workbook.xml") for n in names):
        raise InputFileError(f"{name}: filen er en zip-fil, men ikke et Excel-regneark (.xlsx)")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > XLSX_EXPANSION * max_bytes:
        raise InputFileError(
            f"{name}: Excel-filen pakker ut til {unpacked} byte, over grensen på {XLSX_EXPANSION * max_bytes} byte"
        )
    try:
        sheet_name, cells, formulas, notes, hidden = _xlsx_cells(name, raw, sheet, data_only=False, formulas=None)
        if formulas:  # the cached results are in the other view of the same file
            sheet_name, cells, _, notes, hidden = _xlsx_cells(name, raw, sheet, data_only=True, formulas=formulas)
    except InputFileError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise InputFileError(
            f"{name}: Excel-filen kan ikke leses: den er skadet eller ufullstendig "
            f"({type(exc).__name__}: {str(exc)[:120]}); lagre den på nytt fra Excel"
        ) from None
    return _xlsx_table(name, sheet_name, cells, is_header, notes, hidden)


def _xlsx_cells(name: str, raw: bytes, sheet: str | None, *, data_only: bool, formulas: set | None):
    """(sheet name, [(excel row, [(text, error or None), ...]), ...], formula cells, notes,
    (hidden rows, hidden columns))."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=data_only, keep_links=False)
    try:
        sheets = wb.sheetnames
        notes: list[str] = []
        if sheet is None:
            if not sheets:
                raise InputFileError(f"{name}: Excel-filen har ingen ark")
            sheet_name = sheets[0]
            if len(sheets) > 1:
                notes.append(f"leste arket «{sheet_name}», det første av {len(sheets)} ark; et annet ark velges med --sheet på kommandolinjen eller feltet «sheet» i tjenesten")
        elif sheet in sheets:
            sheet_name = sheet
        else:
            listed = ", ".join(f"«{s}»" for s in sheets)
            raise InputFileError(f"{name}: arket «{sheet}» finnes ikke; arkene i filen er {listed}")
        ws = wb[sheet_name]
        if not hasattr(ws, "iter_rows"):
            raise InputFileError(f"{name}: arket «{sheet_name}» er et diagram, ikke en tabell")
        hidden = _hidden_rows_and_columns(raw, getattr(ws, "_worksheet_path", None))
        ws.reset_dimensions()  # a wrong <dimension> in the file would otherwise cut rows and columns off
        found: set[tuple[int, int]] = set()
        rows = []
        for row_no, row in enumerate(ws.iter_rows(), start=1):
            out = []
            for col_no, cell in enumerate(row, start=1):
                if cell.value is None and cell.__class__.__name__ == "EmptyCell":
                    out.append(("", None))
                    continue
                row_no = getattr(cell, "row", row_no) or row_no
                if not data_only and cell.data_type == "f":
                    found.add((row_no, col_no))
                    out.append(("", None))
                    continue
                out.append(_cell_text(cell, sheet_name, row_no, col_no, formulas))
            rows.append((row_no, out))
        return sheet_name, rows, found, notes, hidden
    finally:
        wb.close()


_HIDDEN_ROW = re.compile(rb"<row\b[^>]*>")
_HIDDEN_COL = re.compile(rb"<col\b[^>]*/?>")
_ATTR = re.compile(rb'\b(r|min|max|hidden)="([^"]*)"')


def _hidden_rows_and_columns(raw: bytes, sheet_path: str | None) -> tuple[list[int], list[int]]:
    """The rows and columns hidden in Excel (by hand or by a filter): read from the sheet's XML,
    since openpyxl's read-only mode does not say. A hidden row is data the officer does not see."""
    if not sheet_path:
        return [], []
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            xml = zf.read(sheet_path.lstrip("/"))
    except (KeyError, zipfile.BadZipFile, OSError):
        return [], []
    rows, cols = [], []
    for tag in _HIDDEN_ROW.findall(xml):
        attrs = dict(_ATTR.findall(tag))
        if attrs.get(b"hidden") in (b"1", b"true") and attrs.get(b"r", b"").isdigit():
            rows.append(int(attrs[b"r"]))
    for tag in _HIDDEN_COL.findall(xml):
        attrs = dict(_ATTR.findall(tag))
        if attrs.get(b"hidden") in (b"1", b"true") and attrs.get(b"min", b"").isdigit() and attrs.get(b"max", b"").isdigit():
            cols.extend(range(int(attrs[b"min"]), min(int(attrs[b"max"]), 16384) + 1))
    return rows, cols


def _cell_text(cell, sheet: str, row: int, col: int, formulas: set | None) -> tuple[str, str | None]:
    """A cell's value as canonical text: dates ISO, percent cells ×100 exactly, numbers without
    a float's noise, booleans ja/nei. Returns (text, row error or None)."""
    v = cell.value
    if v is None:
        if formulas and (row, col) in formulas:
            return "", (
                f"celle {_ref(col, row)} er en formel uten lagret verdi (ark «{sheet}»); åpne filen i Excel og lagre "
                "den på nytt så verdien regnes ut"
            )
        return "", None
    if cell.data_type == "e":
        return str(v), f"celle {_ref(col, row)} har feilverdien {v} (ark «{sheet}»)"
    if isinstance(v, bool):
        return ("ja" if v else "nei"), None
    if isinstance(v, datetime):
        return (v.date().isoformat() if v.time() == time(0) and v.tzinfo is None else v.isoformat(sep=" ")), None
    if isinstance(v, (date, time)):
        return v.isoformat(), None
    if isinstance(v, timedelta):
        return str(v), None
    if isinstance(v, (int, float, Decimal)):
        number = Decimal(str(v))
        fmt = _LITERAL_IN_FORMAT.sub("", cell.number_format or "")
        if "%" in fmt:
            number = _DECIMALS.multiply(number, 100)
        return _decimal_text(number), None
    return str(v), None


def _ref(col: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


def _decimal_text(number: Decimal) -> str:
    """Shortest plain text: 80.0 -> "80", 301 -> "301", 80.50 -> "80.5", never an exponent (the
    one text of a number's value, grants.money.plain_text, which the input's value grammars
    read); a number beyond that (1E+300) keeps its exponent, which no grammar takes."""
    return plain_text(number) or str(number)


def _xlsx_table(name: str, sheet: str, cells: list, is_header: Callable | None, notes: list[str],
                hidden: tuple[list[int], list[int]] = ([], [])) -> SourceTable:
    from openpyxl.utils import get_column_letter

    hidden_rows, hidden_cols = set(hidden[0]), hidden[1]

    non_blank = 0
    header_at = None
    for idx, (row_no, row) in enumerate(cells):
        texts = [t for t, _ in row]
        if _blank(texts):
            continue
        non_blank += 1
        if non_blank > HEADER_SEARCH_ROWS:
            break
        if is_header is None or is_header([t.strip() for t in texts]):
            header_at = idx
            break
    if header_at is None:
        if non_blank == 0:
            raise InputFileError(f"{name}: arket «{sheet}» er tomt; det har ingen overskrift og ingen datarader")
        raise InputFileError(
            f"{name}: fant ingen overskriftsrad blant de første {HEADER_SEARCH_ROWS} ikke-tomme radene i arket "
            f"«{sheet}»; overskriften skal være én rad med kolonnenavnene, én per celle, for eksempel "
            f"«{_example(' | ')}»"
        )
    header_row, header_cells = cells[header_at]
    header, width = _trim_header([t for t, _ in header_cells])
    for row_no, row in cells[:header_at]:
        if not _blank([t for t, _ in row]):
            notes.append(f"rad {row_no} står over overskriften og er ikke lest som data")
    rows: list[list[str]] = []
    positions: list[int] = []
    row_errors: dict[int, str] = {}
    blank = 0
    for row_no, row in cells[header_at + 1:]:
        texts = [t for t, _ in row]
        if _blank(texts):
            blank += 1
            continue
        problems = [e for _, e in row[:width] if e]
        for col, (t, _) in enumerate(row[width:], start=width + 1):
            if t and not t.isspace():
                problems.append(
                    f"celle {get_column_letter(col)}{row_no} har verdien «{t}», men kolonne "
                    f"{get_column_letter(col)} har ingen overskrift (ark «{sheet}»)"
                )
        if row_no in hidden_rows:
            problems.insert(0, f"raden er skjult i Excel (ark «{sheet}», rad {row_no}), så den er ikke beregnet; "
                               "vis raden igjen hvis den skal være med, eller slett den")
        if problems:
            row_errors[len(rows)] = "; ".join(problems)
        texts = (texts + [""] * (width - len(texts)))[:width]
        rows.append(texts)
        positions.append(row_no)
    if not rows:
        raise InputFileError(
            f"{name}: arket «{sheet}» har ingen datarader (bare overskriften på rad {header_row})"
        )
    shown_hidden = [c for c in hidden_cols if c <= width]
    if shown_hidden:
        listed = ", ".join(f"{get_column_letter(c)} («{header[c - 1]}»)" for c in shown_hidden)
        notes.append(f"{'kolonne' if len(shown_hidden) == 1 else 'kolonnene'} {listed} er skjult i Excel, men er lest "
                     "og brukt som de andre")
    refs = tuple(get_column_letter(i + 1) for i in range(width))
    columns = [[r[i] for r in rows] for i in range(width)]
    return _finish(
        name, "xlsx", header, columns, positions, header_row, refs, blank, row_errors, notes,
        delimiter=None, encoding=None, sheet=sheet,
    )
