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


import operator
import os
import re
import stat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from grants.errors import InputFileError

if TYPE_CHECKING:
    from grants.io.xlsx import Sheet

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
    """The required columns under the headers the template writes (lege_id, kommunenr, ...),
    as an example of a header."""
    from grants.pipeline.fields import REQUIRED_COLUMNS  # the io layer's one look at the engine's names
    from grants.report.vocabulary_nb import INPUT_HEADER_NB

    return joiner.join(INPUT_HEADER_NB[field] for field in REQUIRED_COLUMNS)


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


def _read_xlsx(
    name: str, raw: bytes, sheet: str | None, is_header: Callable | None, max_bytes: int
) -> SourceTable:
    """The chosen sheet (grants.io.xlsx reads the package and its XML) as a table."""
    from grants.io.xlsx import read_sheet

    try:
        found = read_sheet(name, raw, sheet, XLSX_EXPANSION * max_bytes)
    except InputFileError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged package: a refusal, never a traceback
        raise InputFileError(
            f"{name}: Excel-filen kan ikke leses: den er skadet eller ufullstendig "
            f"({type(exc).__name__}: {str(exc)[:120]}); lagre den på nytt fra Excel"
        ) from None
    return _xlsx_table(name, found, is_header)


def _dense(cells: list[tuple[int, str, str | None]]) -> list[str]:
    """A row's texts from column A to its last cell (for the few rows searched for the header)."""
    out = [""] * (cells[-1][0] if cells else 0)
    for col, text, _ in cells:
        out[col - 1] = text
    return out


def _xlsx_table(name: str, found: "Sheet", is_header: Callable | None) -> SourceTable:
    """Header and data rows from the cells present: nothing is padded beyond the header, so
    memory follows the cells written, not the sheet's widest row."""
    from grants.io.xlsx import column_letters

    sheet, cells, notes = found.name, found.rows, list(found.notes)
    hidden_rows = found.hidden_rows

    def blank(row: list[tuple[int, str, str | None]]) -> bool:
        return all(not t or t.isspace() for _, t, _ in row)

    non_blank = 0
    header_at = None
    for idx, (row_no, row) in enumerate(cells):
        if blank(row):
            continue
        non_blank += 1
        if non_blank > HEADER_SEARCH_ROWS:
            break
        if is_header is None or is_header([t.strip() for t in _dense(row)]):
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
    named = {col: text.strip() for col, text, _ in header_cells if text.strip()}
    width = max(named)
    order = sorted(named)
    index = {col: i for i, col in enumerate(order)}
    nameless = width - len(order)
    for row_no, row in cells[:header_at]:
        if not blank(row):
            notes.append(f"rad {row_no} står over overskriften og er ikke lest som data")
    columns: list[list[str]] = [[] for _ in order]
    positions: list[int] = []
    row_errors: dict[int, str] = {}
    blank_rows = 0
    previous = header_row
    for row_no, row in cells[header_at + 1:]:
        # rows with no cell at all are not in `cells`: count them as the blank rows they are
        blank_rows += row_no - previous - 1
        previous = row_no
        problems = [e for col, _, e in row if e and col <= width]
        if blank(row) and not problems:
            blank_rows += 1
            continue
        texts = [""] * len(order)
        for col, text, _ in row:
            at = index.get(col)
            if at is not None:
                texts[at] = text
            elif text and not text.isspace():
                ref = f"{column_letters(col)}{row_no}"
                if col < width:
                    raise InputFileError(
                        f"{name}: kolonne {column_letters(col)} har ingen overskrift, men har verdier (celle {ref}: "
                        f"«{text}»); gi kolonnen et navn eller slett den"
                    )
                problems.append(f"celle {ref} har verdien «{text}», men kolonne {column_letters(col)} har ingen "
                                f"overskrift (ark «{sheet}»)")
        if row_no in hidden_rows:
            problems.insert(0, f"raden er skjult i Excel (ark «{sheet}», rad {row_no}), så den er ikke beregnet; "
                               "vis raden igjen hvis den skal være med, eller slett den")
        if problems:
            row_errors[len(positions)] = "; ".join(problems)
        for column, text in zip(columns, texts):
            column.append(text)
        positions.append(row_no)
    if not positions:
        raise InputFileError(
            f"{name}: arket «{sheet}» har ingen datarader (bare overskriften på rad {header_row})"
        )
    if nameless:  # one note, however many (a stray header far to the right leaves thousands)
        gaps = [column_letters(c) for c in range(1, width + 1) if c not in named][:6]
        if nameless == 1:
            which = f"kolonne {gaps[0]}"
        elif nameless <= 5:
            which = "kolonnene " + ", ".join(gaps)
        else:
            which = f"{nameless} kolonner ({', '.join(gaps[:5])} ...)"
        notes.append(f"{which} har ingen overskrift og ingen verdier, og er hoppet over")
    shown_hidden = [c for c in order if any(first <= c <= last for first, last in found.hidden_columns)]
    if shown_hidden:
        listed = ", ".join(f"{column_letters(c)} («{named[c]}»)" for c in shown_hidden)
        notes.append(f"{'kolonne' if len(shown_hidden) == 1 else 'kolonnene'} {listed} er skjult i Excel, men er lest "
                     "og brukt som de andre")
    header = [named[c] for c in order]
    refs = tuple(column_letters(c) for c in order)
    return _finish(
        name, "xlsx", header, columns, positions, header_row, refs, blank_rows, row_errors, notes,
        delimiter=None, encoding=None, sheet=sheet,
    )
