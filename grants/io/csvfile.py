"""CSV in any dialect Excel writes: the encoding (UTF-8 with or without BOM, UTF-16 by its BOM,
Windows-1252 only for a file that is not UTF-8 at all), the delimiter, a `sep=` line, title lines
above the header, and records with quoted fields over several lines.

CSV is parsed here, not by the `csv` module: `csv` stops at fields over
`csv.field_size_limit()`, which is process-global and must not be changed by a library, and it
cannot say on which line an unterminated quote opened.
"""
from __future__ import annotations

import operator
import re
from typing import Callable, Iterator, Sequence

from grants.errors import InputFileError
from grants.io.table import HEADER_SEARCH_ROWS, SourceTable, example_header, finish

DELIMITERS = (";", "\t", ",")
"""Candidates, in the order that breaks a tie: Norwegian Excel writes ';' (decimal commas are
common in its data), Excel's "Unicode text" writes tab."""

_LINE_END = re.compile(r"(\r\n|\r|\n)")
_SEP_HINT = re.compile(r'^"?sep=([^"\r\n])"?[ ]*$', re.IGNORECASE)
_VALID_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]"
    rb"|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def read_csv(name: str, raw: bytes, is_header: Callable | None) -> SourceTable:
    """The text file `raw` (named `name` in messages) as a table."""
    text, encoding, notes = _decode(name, raw)
    del raw  # the bytes and the text are not needed once split into lines: less memory at peak
    lines = _Lines(text.lstrip("\ufeff"))  # a second BOM (a file saved twice) is not part of the header
    del text
    return _read_csv_lines(name, lines, encoding, notes, is_header)


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


def _expected_header(delimiter: str) -> str:
    shown = "tab" if delimiter == "\t" else delimiter
    return f"kolonnenavn skilt med {shown}, for eksempel «{example_header(delimiter)}»"


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
    return finish(
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
