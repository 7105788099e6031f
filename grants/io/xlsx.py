"""Reading an .xlsx workbook: the zip checked before anything is inflated, every XML part read by
one streaming parser that refuses a DOCTYPE (so no entity is ever declared or resolved), and
only the cells present kept.

Why not openpyxl for reading: its read-only mode pads every row to the widest one (one stray
cell in column XFD made 3 000 rows cost 363 MB), keeps the last of two cells or rows written
twice without a word, and does not say which rows and sheets are hidden; finding those by byte
patterns missed `hidden = "1"` and `<x:row>`. Here the XML parser sees attributes and namespaces
as Excel does, whatever the quotes, spacing or prefix, and whatever is not understood for certain
(a row or cell written twice, a cell outside its row, an unknown cell type, a broken
reference) refuses the file naming the place. openpyxl's number-format helpers decide which
formats are dates, as they did before.

The package: every member's declared size and compression ratio is checked before any member is
read, members are read through `zipfile` (which stops at the declared size and checks the CRC),
and the bytes inflated are counted against the same limit while reading.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Context, Decimal, InvalidOperation
from typing import Any, Callable

from grants.errors import InputFileError
from grants.io.table import HEADER_SEARCH_ROWS, SourceTable, example_header, finish
from grants.io.xlsx_package import (
    FALSE, GENERAL, MAIN, TRUE, Damaged, Format, Package, Relationships, SharedStrings, Styles, WorkbookPart, boolean,
    rels_part, resolve,
)

MAX_ROW = 1_048_576
TEMPLATE_SHEETS = ("Søknad", "Eksempel", "Veiledning")
"""The sheets of a workbook made by `alis-grant template`: the one to fill in, the example (never
computed) and the help. Reading the first of these is what the template says, so it is no sheet
choice the reader notes."""
MAX_COLUMN = 16_384
_DECIMALS = Context(prec=60)


@dataclass
class Sheet:
    """One sheet as read: its cells (only those present), hidden rows and columns."""

    name: str
    rows: list[tuple[int, list[tuple[int, str, str | None]]]]  # (excel row, [(column, text, row error)]) in row order
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: list[tuple[int, int]] = field(default_factory=list)  # (first, last), 1-based
    notes: list[str] = field(default_factory=list)


def read_sheet(name: str, raw: bytes, sheet: str | None, max_unpacked: int) -> Sheet:
    """The chosen sheet of the workbook in `raw`: `sheet` by name (a hidden one with a note), or
    the first visible sheet. Raises InputFileError naming what is refused: a package that would
    unpack beyond `max_unpacked` bytes (checked before any member is read), an OpenDocument or
    binary workbook, a damaged part."""
    package = Package(name, raw, max_unpacked)
    mimetype = package.head("mimetype", 100) if package.has("mimetype") else b""
    if b"opendocument" in mimetype:
        raise InputFileError(f"{name}: filen er et OpenDocument-regneark (.ods); lagre den som .xlsx eller CSV UTF-8")
    if package.has("xl/workbook.bin"):
        raise InputFileError(f"{name}: filen er en binær Excel-arbeidsbok (.xlsb); lagre den som .xlsx eller CSV UTF-8")
    try:
        return _Workbook(package).sheet(sheet)
    except Damaged as exc:
        raise InputFileError(f"{name}: Excel-filen er skadet: {exc}; lagre den på nytt fra Excel") from None


def read_sheets(name: str, raw: bytes, max_unpacked: int) -> list[Sheet]:
    """Every sheet of the workbook in `raw`, in the workbook's order, read as `read_sheet` reads
    one (a result workbook compared cell by cell by `alis-grant verify`)."""
    package = Package(name, raw, max_unpacked)
    try:
        book = _Workbook(package)
        return [book.sheet(entry.name) for entry in book.entries]
    except Damaged as exc:
        raise InputFileError(f"{name}: Excel-filen er skadet: {exc}") from None


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def column_letters(number: int) -> str:
    out = ""
    while number:
        number, rest = divmod(number - 1, 26)
        out = chr(65 + rest) + out
    return out


_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


class _SheetPart:
    """Rows and cells as written; a row or a cell written twice, a cell outside its row and a
    reference outside the sheet are refused (`Damaged`, naming the place). The hot path of
    reading a workbook: the handlers keep flags instead of a path, and names are looked up once."""

    def __init__(self, sheet: str, strings: list[str], formats: list[Format], epoch: datetime):
        self.sheet, self.strings, self.formats, self.epoch = sheet, strings, formats, epoch
        self.rows: list[tuple[int, list[tuple[int, str, str | None]]]] = []
        self.hidden_rows: set[int] = set()
        self.hidden_columns: list[tuple[int, int]] = []
        self.zero_height = False
        self.kind = ""
        self.out_of_order = False
        self._names: dict[str, str] = {}
        self._letters: dict[str, int] = {}
        self._depth = 0
        self._data_depth = 0     # depth of <sheetData>, 0 outside it
        self._in_row = False
        self._seen_rows: set[int] = set()
        self._row = 0
        self._row_cells: list[tuple[int, str, str | None]] = []
        self._seen_cols: set[int] = set()
        self._col = 0
        self._sorted = True
        self._cell: dict[str, Any] | None = None
        self._cell_depth = 0
        self._text: list[str] | None = None
        self._in_is = self._in_rph = False

    def _local(self, name: str) -> str:
        ns, _, local = name.rpartition(" ")
        local = local if ns in MAIN else ""
        self._names[name] = local
        return local

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = self._names.get(name)
        if local is None:
            local = self._local(name)
        self._depth += 1
        depth = self._depth
        cell = self._cell
        if cell is not None:  # inside <c>: its value, formula or inline string
            inner = depth - self._cell_depth
            if inner == 1:
                if local == "v":
                    cell["v"] = True
                    self._text = []
                elif local == "f":
                    cell["f"] = True
                elif local == "is":
                    cell["is"] = []
                    self._in_is = True
            elif self._in_is:
                if local == "rPh" and inner == 2:
                    self._in_rph = True
                elif local == "t" and not self._in_rph and inner in (2, 3):
                    self._text = cell["is"]
            if local in ("c", "row"):
                raise Damaged(f"arket «{self.sheet}» har en {'celle' if local == 'c' else 'rad'} inne i en celle")
            return
        if local == "c":
            if not self._in_row or depth != self._data_depth + 2:
                raise Damaged(f"arket «{self.sheet}» har en celle utenfor en rad")
            self._start_cell(attrs)
        elif local == "row":
            if self._in_row or not self._data_depth or depth != self._data_depth + 1:
                raise Damaged(f"arket «{self.sheet}» har en rad utenfor tabellen (sheetData)")
            self._start_row(attrs)
        elif depth == 1:
            self.kind = local
        elif depth == 2:
            if local == "sheetData":
                self._data_depth = depth
            elif local == "sheetFormatPr":
                self.zero_height = boolean(attrs.get("zeroHeight"), "sheetFormatPr zeroHeight")
        elif depth == 3 and local == "col":
            self._column(attrs)

    def end(self, name: str) -> None:
        depth = self._depth
        self._depth -= 1
        cell = self._cell
        if cell is not None:
            if depth == self._cell_depth:
                self._end_cell()
                return
            local = self._names[name]
            inner = depth - self._cell_depth
            if local == "v" and inner == 1 and "v" in cell:
                cell["value"] = "".join(self._text or ())
                self._text = None
            elif local == "t":
                self._text = None
            elif local == "rPh":
                self._in_rph = False
            elif local == "is" and inner == 1:
                self._in_is = False
            return
        if self._in_row and depth == self._data_depth + 1:
            self._in_row = False
            if self._row_cells:
                if not self._sorted:
                    self._row_cells.sort(key=lambda c: c[0])
                if self.rows and self.rows[-1][0] > self._row:
                    self.out_of_order = True
                self.rows.append((self._row, self._row_cells))
            self._row_cells = []
        elif depth == self._data_depth:
            self._data_depth = 0

    def data(self, text: str) -> None:
        if self._text is not None:
            self._text.append(text)

    def _column(self, attrs: dict[str, str]) -> None:
        try:
            first, last = int(attrs.get("min", "")), int(attrs.get("max", ""))
        except ValueError:
            raise Damaged(f"arket «{self.sheet}» har en kolonnebeskrivelse uten gyldig min/max") from None
        hidden = boolean(attrs.get("hidden"), f"kolonnene {first}–{last} på arket «{self.sheet}»")
        if not hidden and attrs.get("width") is not None:
            try:
                hidden = float(attrs["width"]) == 0
            except ValueError:
                raise Damaged(f"kolonnene {first}–{last} på arket «{self.sheet}» har ugyldig bredde") from None
        if hidden and first <= last:
            self.hidden_columns.append((max(first, 1), min(last, MAX_COLUMN)))

    def _start_row(self, attrs: dict[str, str]) -> None:
        r = attrs.get("r")
        if r is None:
            row = self._row + 1
        else:
            r = r.strip()
            if not (r.isdigit() and r.isascii()) or not 1 <= int(r) <= MAX_ROW:
                raise Damaged(f"arket «{self.sheet}» har en rad med ugyldig nummer «{r}»")
            row = int(r)
        if row in self._seen_rows:
            raise Damaged(f"rad {row} står to ganger på arket «{self.sheet}» (to <row r=\"{row}\">), så det er "
                           "uklart hvilke verdier som gjelder")
        self._seen_rows.add(row)
        self._in_row = True
        self._row, self._col = row, 0
        self._seen_cols = set()
        self._sorted = True
        if len(attrs) > 1 or self.zero_height:
            self._visibility(row, attrs)

    def _visibility(self, row: int, attrs: dict[str, str]) -> None:
        where = f"rad {row} på arket «{self.sheet}»"
        hidden = boolean(attrs.get("hidden"), f"{where} (hidden)")
        height = attrs.get("ht")
        if height is not None:
            try:
                hidden = hidden or float(height) == 0
            except ValueError:
                raise Damaged(f"{where} har ugyldig høyde «{height}»") from None
        if self.zero_height and not hidden:  # rows are hidden unless given a height of their own
            hidden = not (boolean(attrs.get("customHeight"), f"{where} (customHeight)") and height is not None)
        if hidden:
            self.hidden_rows.add(row)

    def _start_cell(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("r")
        if ref is None:
            col = self._col + 1
            if col > MAX_COLUMN:
                raise Damaged(f"rad {self._row} på arket «{self.sheet}» har flere celler enn et ark kan ha")
        else:
            m = _REF.fullmatch(ref)
            if m is None:
                m = _REF.fullmatch(ref.strip())
            letters = m.group(1) if m else ""
            col = self._letters.get(letters) or column_number(letters)
            if m is None or col > MAX_COLUMN or int(m.group(2)) > MAX_ROW:
                raise Damaged(f"arket «{self.sheet}» har en celle med ugyldig referanse «{ref}»")
            self._letters[letters] = col
            if int(m.group(2)) != self._row:
                raise Damaged(f"celle {ref} står i rad {self._row} på arket «{self.sheet}»")
        if col in self._seen_cols:
            raise Damaged(f"celle {column_letters(col)}{self._row} står to ganger på arket «{self.sheet}», så det "
                           "er uklart hvilken verdi som gjelder")
        if col < self._col:
            self._sorted = False
        self._seen_cols.add(col)
        self._col = col
        t = attrs.get("t")
        self._cell = {"t": t.strip() if t else "n", "s": attrs.get("s")}
        self._cell_depth = self._depth

    def _end_cell(self) -> None:
        cell, self._cell = self._cell, None
        self._text, self._in_is, self._in_rph = None, False, False
        if cell is None:
            return
        out = self._value(cell)
        if out is not None:
            self._row_cells.append((self._col, out[0], out[1]))

    def _where(self) -> str:
        return f"celle {column_letters(self._col)}{self._row}"

    def _format(self, style: str | None) -> Format:
        if not style:
            return self.formats[0] if self.formats else GENERAL
        try:
            return self.formats[int(style)]
        except (ValueError, IndexError):
            raise Damaged(f"{self._where()} på arket «{self.sheet}» har en stil som ikke finnes ({style})") from None

    def _value(self, cell: dict[str, Any]) -> tuple[str, str | None] | None:
        """(text, row error) of a cell, or None for a cell with no value (only a style)."""
        kind = cell["t"]
        if kind == "inlineStr":
            if "is" in cell:
                return "".join(cell["is"]), None
            if "value" not in cell:
                return None
            return cell["value"], None
        raw = cell.get("value")
        if raw is None or (kind == "n" and not raw.strip()):  # no result saved (a number is never empty text)
            if cell.get("f"):
                return "", (f"{self._where()} er en formel uten lagret verdi (ark «{self.sheet}»); åpne filen i "
                            "Excel og lagre den på nytt så verdien regnes ut")
            return None
        if kind == "s":
            try:
                return self.strings[int(raw)], None
            except (ValueError, IndexError):
                raise Damaged(f"{self._where()} på arket «{self.sheet}» viser til en tekst som ikke finnes "
                               f"({raw})") from None
        if kind == "str":
            return raw, None
        if kind == "b":
            flag = raw.strip()
            if flag not in TRUE and flag not in FALSE:
                raise Damaged(f"{self._where()} på arket «{self.sheet}» er en sannhetsverdi med verdien «{raw}»")
            return ("ja" if flag in TRUE else "nei"), None
        if kind == "e":
            return raw, f"{self._where()} har feilverdien {raw} (ark «{self.sheet}»)"
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            try:
                return _when_text(from_ISO8601(raw.strip())), None
            except (ValueError, TypeError, OverflowError):
                raise Damaged(f"{self._where()} på arket «{self.sheet}» er en dato med verdien «{raw}»") from None
        if kind != "n":
            raise Damaged(f"{self._where()} på arket «{self.sheet}» har en ukjent celletype «{kind}»")
        text = raw.strip()
        try:
            number: int | float = float(text) if ("." in text or "e" in text or "E" in text) else int(text)
        except ValueError:
            raise Damaged(f"{self._where()} på arket «{self.sheet}» er et tall med verdien «{raw}»") from None
        fmt = self._format(cell["s"])
        if fmt.date:
            from openpyxl.utils.datetime import from_excel

            try:
                return _when_text(from_excel(number, self.epoch, timedelta=fmt.timedelta)), None
            except (OverflowError, ValueError):
                return text, (f"{self._where()} er formatert som dato, men tallet {text} er ingen dato Excel kan "
                              f"vise (ark «{self.sheet}»)")
        try:
            value = Decimal(str(number))  # through the float, as Excel means its numbers (0.1 not 0.1000000000000000055)
        except InvalidOperation:
            raise Damaged(f"{self._where()} på arket «{self.sheet}» er et tall med verdien «{raw}»") from None
        if fmt.percent:
            value = _DECIMALS.multiply(value, 100)
        return _decimal_text(value), None


def _when_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) and value.tzinfo is None else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _decimal_text(number: Decimal) -> str:
    """Shortest plain text with a decimal comma, as Norwegian Excel shows the cell: 80.0 ->
    "80", 301 -> "301", 80.50 -> "80,5", never an exponent (the one text of a number's value,
    grants.money.plain_text, which the input's value grammars read; each takes the comma, and a
    rejection quotes the value as the officer sees it); a number beyond that (1E+300) keeps its
    exponent, which no grammar takes."""
    from grants.money import plain_text

    plain = plain_text(number)
    return plain.replace(".", ",") if plain is not None else str(number)


# --- the workbook ------------------------------------------------------------------------------


class _Workbook:
    def __init__(self, package: Package):
        self.package = package
        self.name = package.name
        self.part = self._main_part()
        rels = Relationships()
        rels_path = rels_part(self.part)
        if package.has(rels_path):
            package.parse(rels_path, rels)
        self.rels = rels.items
        wb = WorkbookPart()
        package.parse(self.part, wb)
        self.entries, self.date1904 = wb.sheets, wb.date1904

    def _main_part(self) -> str:
        """The workbook part: the package's officeDocument relationship, else xl/workbook.xml."""
        if self.package.has("_rels/.rels"):
            rels = Relationships()
            self.package.parse("_rels/.rels", rels)
            for kind, target, external in rels.items.values():
                if kind.endswith("/officeDocument") and not external:
                    part = resolve("", target)
                    if self.package.has(part):
                        return part
        if self.package.has("xl/workbook.xml"):
            return "xl/workbook.xml"
        raise InputFileError(f"{self.name}: filen er en zip-fil, men ikke et Excel-regneark (.xlsx)")

    def _target(self, rid: str, what: str) -> tuple[str, str]:
        found = self.rels.get(rid)
        if found is None or found[2]:
            raise Damaged(f"{what} mangler i filen")
        kind, target, _ = found
        path = resolve(self.part, target)
        if not self.package.has(path):
            raise Damaged(f"{what} ({path}) mangler i filen")
        return kind, path

    def _part_of_type(self, suffix: str) -> str | None:
        for kind, target, external in self.rels.values():
            if kind.endswith(suffix) and not external:
                path = resolve(self.part, target)
                if self.package.has(path):
                    return path
        return None

    def sheet(self, wanted: str | None) -> Sheet:
        entries = self.entries
        if not entries:
            raise InputFileError(f"{self.name}: Excel-filen har ingen ark")
        hidden = [e for e in entries if e.state != "visible"]
        notes: list[str] = []
        if wanted is None:
            visible = [e for e in entries if e.state == "visible"]
            if not visible:
                listed = ", ".join(f"«{e.name}»" for e in entries)
                raise InputFileError(
                    f"{self.name}: Excel-filen har ingen synlige ark (alle er skjult: {listed}); vis arket som skal "
                    "leses i Excel, eller velg det med navn (--sheet på kommandolinjen, feltet «sheet» i tjenesten)"
                )
            entry = visible[0]
            template = tuple(e.name for e in entries) == TEMPLATE_SHEETS and entry.name == TEMPLATE_SHEETS[0]
            if len(entries) > 1 and not template:  # the template's own first sheet is no choice to mention
                skipped = [e for e in hidden if entries.index(e) < entries.index(entry)]
                note = (f"leste arket «{entry.name}», det første synlige av {len(entries)} ark; et annet ark velges "
                        "med --sheet på kommandolinjen eller feltet «sheet» i tjenesten")
                if skipped:
                    names = ", ".join(f"«{e.name}»" for e in skipped)
                    note += f" (skjult ark foran det er ikke lest: {names})"
                notes.append(note)
        else:
            matches = [e for e in entries if e.name == wanted]
            if not matches:
                listed = ", ".join(f"«{e.name}»" + ("" if e.state == "visible" else " (skjult)") for e in entries)
                raise InputFileError(f"{self.name}: arket «{wanted}» finnes ikke; arkene i filen er {listed}")
            if len(matches) > 1:
                raise Damaged(f"to ark heter «{wanted}»")
            entry = matches[0]
            if entry.state != "visible":
                notes.append(f"arket «{entry.name}» er skjult i Excel; det er lest fordi det er valgt med navn")
        kind, path = self._target(entry.rid, f"arket «{entry.name}»")
        if not kind.endswith("/worksheet"):
            what = "et diagram" if kind.endswith("/chartsheet") else "ikke en tabell"
            raise InputFileError(f"{self.name}: arket «{entry.name}» er {what}, ikke en tabell med rader; velg et "
                                 "annet ark (--sheet på kommandolinjen, feltet «sheet» i tjenesten)")
        strings: list[str] = []
        strings_path = self._part_of_type("/sharedStrings")
        if strings_path is not None:
            sst = SharedStrings()
            self.package.parse(strings_path, sst)
            strings = sst.strings
        formats: list[Format] = []
        styles_path = self._part_of_type("/styles")
        if styles_path is not None:
            styles = Styles()
            self.package.parse(styles_path, styles)
            formats = styles.formats()
        from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

        part = _SheetPart(entry.name, strings, formats, MAC_EPOCH if self.date1904 else WINDOWS_EPOCH)
        self.package.parse(path, part)
        if part.kind != "worksheet":
            raise InputFileError(f"{self.name}: arket «{entry.name}» er ikke en tabell med rader; velg et annet ark "
                                 "(--sheet på kommandolinjen, feltet «sheet» i tjenesten)")
        rows = part.rows
        if part.out_of_order:
            rows.sort(key=lambda r: r[0])
        return Sheet(entry.name, rows, part.hidden_rows, part.hidden_columns, notes)


# --- the sheet as a table --------------------------------------------------------------------


def read_xlsx(
    name: str, raw: bytes, sheet: str | None, is_header: Callable | None, max_unpacked: int
) -> SourceTable:
    """The chosen sheet of the workbook in `raw` as a table (`read_sheet`)."""
    try:
        found = read_sheet(name, raw, sheet, max_unpacked)
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
            f"«{example_header(' | ')}»"
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
    return finish(
        name, "xlsx", header, columns, positions, header_row, refs, blank_rows, row_errors, notes,
        delimiter=None, encoding=None, sheet=sheet,
    )
