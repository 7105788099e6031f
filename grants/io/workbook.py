"""The finance officer's workbook (.xlsx): lines, sums, explanations, rates, rejections and the manifest.

Everything people read is in bokmål through grants.report.vocabulary_nb. Kroner are numbers with a
thousands-separator format (so they can be summed), dates are real Excel dates shown
dd.mm.åååå, and no cell is ever a formula: text from the input is stored as text, and text a
spreadsheet would run (= + - @ tab CR first) is also marked as literal text (quote prefix).
"""
from __future__ import annotations

import contextlib
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from grants.errors import OutputFileError
from grants.io.output import atomic_output
from grants.report.explain import explain_line, explain_rejection, rates_warning
from grants.pipeline.results import GrantResult
from grants.report.vocabulary_nb import DATE_COLUMNS, date_nb, headers_nb, value_nb

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from grants.rates.tables import RateTable
    from grants.rules.rulebook import RuleBook

KRONER_FORMAT = "#,##0"
KRONER_DECIMALS_FORMAT = "#,##0.00"
DATE_FORMAT = "DD.MM.YYYY"
PERCENT_FORMAT = '0" %"'
PERCENT_DECIMALS_FORMAT = '0.0#" %"'

SHEETS = ("Linjer", "Sammendrag", "Forklaring", "Satser", "Avviste", "Kontroll")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_WARNING_FONT = Font(bold=True, color="9C0006")
_MAX_WIDTH = 60
_FIRST_EXCEL_DAY = date(1900, 3, 1)  # before it, Excel's serial dates are off by its 1900 leap-day bug
MAX_CELL_TEXT = 32_767
"""Characters in one Excel cell; a longer text is refused (never cut silently)."""
MAX_ROWS = 1_048_576
"""Rows in one Excel sheet. Lines beyond it cannot be shown: the workbook is refused (use
CSV or JSON); explanations beyond it continue on a sheet "Forklaring 2", "Forklaring 3" ..."""


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters an .xlsx file cannot hold (XML 1.0)."""


def _visible(text: str) -> str:
    """Control characters shown as their Unicode pictures (\x01 -> ␁): an .xlsx cannot hold
    them, and dropping them would change the officer's text without a trace."""
    return _ILLEGAL.sub(lambda m: chr(0x2400 + ord(m.group())), text)


def _looks_like_formula(text: str) -> bool:
    """Would a spreadsheet run this text as a formula (or as the start of one)?
    The one test for the workbook; the shared grants.io.output.looks_like_formula replaces it."""
    return text.startswith(_FORMULA_START)


def put_cell(ws: "Worksheet", row: int, col: int, value: Any, number_format: str | None = None):
    """Write one cell. Text is always stored as text (never a formula); text a spreadsheet
    would run gets a quote prefix so it stays text when someone edits the cell."""
    cell = ws.cell(row=row, column=col)
    cell.value = value
    _keep_text(cell)
    if number_format is not None:
        cell.number_format = number_format
    return cell


def _keep_text(cell: Any) -> None:
    """openpyxl makes a str that starts with "=" a formula: store every str as text, and mark
    text a spreadsheet would run with a quote prefix so it stays text when the cell is edited."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if _looks_like_formula(cell.value):
            cell.quotePrefix = True


def _kroner_format(value: Any) -> str:
    return KRONER_FORMAT if isinstance(value, int) or value == value.to_integral_value() else KRONER_DECIMALS_FORMAT


class _Cell:
    """A value with its number format and font, before it is written."""

    __slots__ = ("value", "number_format", "font")

    def __init__(self, value: Any, number_format: str | None = None, font: Font | None = None):
        self.value, self.number_format, self.font = value, number_format, font


def _shown_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, date):
        return 10
    if isinstance(value, int):
        return len(f"{value:,}")
    return max((len(part) for part in str(value).split("\n")), default=0)


class _Sheet:
    """One streamed sheet (openpyxl write-only: a 100,000-line batch stays fast and small):
    the warning on top, a bold frozen header, widths, an autofilter. Widths must be known
    before the first row, so a sheet is given its rows measured or its widths fixed."""

    def __init__(self, wb: Workbook, title: str, warning: str | None, header: list[tuple[int, str]],
                 widths: dict[int, int], filter_cols: tuple[int, int]):
        self.ws = ws = wb.create_sheet(title)
        self.header_row = 2 if warning else 1
        last = max([c for c, _ in header] + list(widths))
        for col in range(1, last + 1):
            bold = max((len(n) for c, n in header if c == col), default=0) * 1.2  # bold is wider
            width = max(widths.get(col, 0), round(bold))
            ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), _MAX_WIDTH) if width else 3
        ws.freeze_panes = f"A{self.header_row + 1}"
        self.filter_cols = filter_cols
        self.rows = 0  # rows written
        if warning:
            self.append([_Cell(warning, font=_WARNING_FONT)])
        cells: list[Any] = [None] * last
        for col, name in header:
            cells[col - 1] = _Cell(name, font=_HEADER_FONT)
        self.append(cells, header=True)

    def append(self, values: list[Any], header: bool = False) -> None:
        self.rows += 1
        row = []
        for v in values:
            if isinstance(v, str) and _ILLEGAL.search(v):
                v = _visible(v)
            if isinstance(v, _Cell):
                value = _visible(v.value) if isinstance(v.value, str) and _ILLEGAL.search(v.value) else v.value
                cell = _write_cell(self.ws, value, v.number_format, v.font)
                if header:
                    cell.fill = _HEADER_FILL
                row.append(cell)
            elif isinstance(v, str) and _looks_like_formula(v):
                row.append(_write_cell(self.ws, v))
            else:
                row.append(v)
        self.ws.append(row)

    def finish(self, last_row: int | None = None) -> None:
        first, last = self.filter_cols
        end = max(last_row if last_row is not None else self.rows, self.header_row)
        self.ws.auto_filter.ref = f"{get_column_letter(first)}{self.header_row}:{get_column_letter(last)}{end}"


def _write_cell(ws: Any, value: Any, number_format: str | None = None, font: Font | None = None) -> Any:
    """A styled cell for the write-only sheet; text stays text (see _keep_text)."""
    cell = WriteOnlyCell(ws, value)
    _keep_text(cell)
    if number_format is not None:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def _too_long(text: str, where: str) -> OutputFileError:
    return OutputFileError(
        f"en tekst på arket «{where}» har {len(text)} tegn, flere enn Excel tillater i én celle ({MAX_CELL_TEXT}): "
        f"«{text[:40]}…»; skriv til .csv eller .json i stedet"
    )


def _measure(rows: list[list[Any]], where: str) -> dict[int, int]:
    """Column widths from the longest shown value; a text longer than a cell holds stops here,
    before anything is written (Excel would call the file damaged)."""
    widths: dict[int, int] = {}
    for row in rows:
        for col, v in enumerate(row, start=1):
            value = v.value if isinstance(v, _Cell) else v
            if isinstance(value, str) and len(value) > MAX_CELL_TEXT:
                raise _too_long(value, where)
            w = _shown_width(value)
            if w > widths.get(col, 0):
                widths[col] = w
    return widths


def _line_cell(column: str, value: Any) -> Any:
    """A value of an output row as the workbook holds it: numbers, dates, Norwegian words."""
    if value is None or value == "":
        return None
    if column == "annual_rate" or column.endswith("_nok"):
        number = value if isinstance(value, int) else Decimal(str(value))
        if isinstance(number, Decimal) and number == number.to_integral_value():
            number = int(number)
        return _Cell(number, _kroner_format(number))
    if column in DATE_COLUMNS and isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
        if day < _FIRST_EXCEL_DAY:  # Excel has no dates before 1900: shown as text
            return date_nb(day)
        return _Cell(day, DATE_FORMAT)
    if column == "position_share":
        share = Decimal(str(value))
        if share == share.to_integral_value():
            return _Cell(int(share), PERCENT_FORMAT)
        return _Cell(share, PERCENT_DECIMALS_FORMAT)
    return value_nb(column, value)


def write_workbook(result: GrantResult, path: str | Path, rulebook: "RuleBook | None" = None,
                   progress: Callable[[int], None] | None = None) -> None:
    """Write the workbook through `atomic_output` (a unique temporary file beside `path`, synced,
    then renamed): a failure half-way never leaves a half-written workbook where a good one (or
    nothing) was, two runs never share a temporary file, and the target keeps its mode.
    `progress(n)` is told how many of the lines and rejections have been explained so far."""
    with atomic_output(path, binary=True) as fh:
        save_into(build_workbook(result, rulebook, progress, name=Path(path).name), fh)


def save_into(wb: Workbook, fh: Any) -> None:
    """Save a workbook into an open binary file (atomic_output's), as `Workbook.save` does, but
    with the zip closed on every path: openpyxl leaves it open when a write fails, and its
    finaliser then writes into the closed file and prints a traceback after our clean message."""
    import zipfile
    from datetime import datetime, timezone

    from openpyxl.writer.excel import ExcelWriter

    if wb.write_only and not wb.worksheets:
        wb.create_sheet()
    wb.properties.modified = datetime.now(tz=timezone.utc).replace(tzinfo=None)
    try:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(wb, archive).write_data()
    except BaseException:
        # a streamed (write-only) sheet not yet saved keeps an open generator that would write
        # into its closed temporary file when collected: finish each one now, quietly
        for ws in wb.worksheets:
            if getattr(ws, "closed", True) is False:
                with contextlib.suppress(Exception):
                    ws.close()
        raise


def build_workbook(result: GrantResult, rulebook: "RuleBook | None" = None,
                   progress: Callable[[int], None] | None = None, *, name: str = "beregning.xlsx") -> Workbook:
    """The workbook, streamed (write-only: save it once): one sheet per concern, SHEETS order.
    `name`: the file's name, for the command that verifies it (sheet Kontroll)."""
    warning = rates_warning(result.rates_statuses)
    wb = Workbook(write_only=True)
    _lines_sheet(wb, result, warning)
    _summary_sheet(wb, result, warning)
    _explanation_sheet(wb, result, warning, rulebook, progress)
    _rates_sheet(wb, result.rate_tables(), warning)
    _rejections_sheet(wb, result, warning)
    _kontroll_sheet(wb, result, warning, name)
    return wb


def _lines_sheet(wb: Workbook, result: GrantResult, warning: str | None) -> None:
    n_rows = len(result.lines) + len(result.rejections)
    if n_rows + 2 > MAX_ROWS:
        raise OutputFileError(
            f"{n_rows} linjer er flere enn et Excel-ark kan vise ({MAX_ROWS - 2}); skriv til .csv eller .json i stedet"
        )
    columns = result.columns
    if "file_line" in columns:  # people look for a row where it stood in their file: beside its number
        columns = ["row", "file_line"] + [c for c in columns if c not in ("row", "file_line")]
    own = set(result.passthrough)
    rows = []
    for data in result.iter_rows():
        rows.append([data.get(name) if name in own else _line_cell(name, data.get(name)) for name in columns])
    header = list(enumerate(headers_nb(columns, own), start=1))
    sheet = _Sheet(wb, "Linjer", warning, header, _measure(rows, "Linjer"), (1, len(columns)))
    for row in rows:
        sheet.append(row)
    sheet.finish()


def _summary_sheet(wb: Workbook, result: GrantResult, warning: str | None) -> None:
    """Per municipality (A-D) and per doctor (F-H) side by side, each with its total row; per
    period (J-L) too when the lines were split over several periods."""
    by_muni = result.totals_by_municipality()
    doctors = result.totals_by_doctor()
    periods = result.totals_by_period()
    muni_rows: list[list[Any]] = [[t.key, t.name, t.lines, _Cell(t.amount_nok, KRONER_FORMAT)] for t in by_muni]
    muni_rows.append(_total(by_muni, blank=1))
    tables = [(muni_rows, 4), ([[t.key, t.lines, _Cell(t.amount_nok, KRONER_FORMAT)] for t in doctors] + [_total(doctors)], 3)]
    header = [(1, "Kommunenummer"), (2, "Kommune"), (3, "Linjer"), (4, "Beløp (kr)"),
              (6, "Lege (ALIS-id)"), (7, "Linjer"), (8, "Beløp (kr)")]
    if len(periods) > 1:
        tables.append(([[t.key, t.lines, _Cell(t.amount_nok, KRONER_FORMAT)] for t in periods] + [_total(periods)], 3))
        header += [(10, "Periode"), (11, "Linjer"), (12, "Beløp (kr)")]
    rows = []
    for i in range(max(len(t) for t, _ in tables)):
        row: list[Any] = []
        for n, (table, width) in enumerate(tables):
            row += (table[i] if i < len(table) else [None] * width) + ([None] if n < len(tables) - 1 else [])
        rows.append(row)
    widths = _measure(rows, "Sammendrag")
    for gap in (5, 9):
        widths.pop(gap, None)
    sheet = _Sheet(wb, "Sammendrag", warning, header, widths, (1, 4))
    for row in rows:
        sheet.append(row)
    sheet.finish(last_row=sheet.header_row + len(by_muni))  # the filter leaves the Sum row out


def _total(totals: list[Any], blank: int = 0) -> list[Any]:
    """The Sum row of a summary table: number of lines and kroner, in bold."""
    return [_Cell("Sum", font=_HEADER_FONT)] + [None] * blank + [
        _Cell(sum(t.lines for t in totals), font=_HEADER_FONT),
        _Cell(sum(t.amount_nok for t in totals), KRONER_FORMAT, _HEADER_FONT)]


def _explanation_sheet(wb: Workbook, result: GrantResult, warning: str | None, rulebook: "RuleBook | None",
                       progress: Callable[[int], None] | None = None) -> None:
    """One spreadsheet row per line of the explanation, so a filter on Rad shows one line's.
    Streamed with fixed widths: this is the largest sheet (about 35 rows per line)."""
    ids = [r.alis_id for r in result.lines] + [rej.alis_id or "" for rej in result.rejections]
    widths = {1: 5, 2: 8, 3: max(map(len, ids), default=0), 4: _MAX_WIDTH}
    header = [(1, "Rad"), (2, "Periode"), (3, "Lege (ALIS-id)"), (4, "Forklaring")]

    def new_sheet(number: int) -> _Sheet:
        sheet = _Sheet(wb, "Forklaring" if number == 1 else f"Forklaring {number}", warning, header, widths, (1, 4))
        sheet.ws.column_dimensions["D"].width = 120
        return sheet

    sheets = 1
    sheet = new_sheet(sheets)
    entries: list[tuple[int, str, bool, Any]] = [(r.row, r.period, False, r) for r in result.lines]
    entries += [(rej.row, "", True, rej) for rej in result.rejections]
    entries.sort(key=lambda e: (e[0], e[1]))
    for done, (number, period, rejected, item) in enumerate(entries):
        if progress is not None and done % 250 == 0:
            progress(done)
        text = explain_rejection(item) if rejected else explain_line(item, rulebook)
        alis_id = item.alis_id
        for part in text.split("\n"):
            if not part.strip() or set(part) == {"="}:  # blank lines and the title's underline
                continue
            if len(part) > MAX_CELL_TEXT:
                raise _too_long(part, "Forklaring")
            if sheet.rows >= MAX_ROWS:
                sheet.finish()
                sheets += 1
                sheet = new_sheet(sheets)
            sheet.append([number, period or None, alis_id, part])
    sheet.finish()
    if progress is not None:
        progress(len(entries))


def _rates_sheet(wb: Workbook, tables: list["RateTable"], warning: str | None) -> None:
    rows = []
    for t in tables:
        for what, value, fmt, source_id in _rate_rows(t):
            src = t.source(source_id) if source_id is not None else None
            rows.append([t.id, what, _Cell(value, fmt) if fmt else value,
                         src.title if src else None, src.url if src else None])
    header = [(1, "Periode"), (2, "Hva"), (3, "Verdi"), (4, "Kilde"), (5, "Lenke")]
    sheet = _Sheet(wb, "Satser", warning, header, _measure(rows, "Satser"), (1, 5))
    for row in rows:
        sheet.append(row)
    sheet.finish()


_STATUS_NB = {"official": "offisielle", "provisional": "foreløpige", "illustrative": "illustrative (ikke offisielle)"}
_GROUP_NB = {"class_1_5": "sentralitetsklasse 1–5", "class_6": "sentralitetsklasse 6"}


def _rate_rows(t: "RateTable") -> list[tuple[str, Any, str | None, str | None]]:
    """(what, value, number format, source id) for every number and date of a rate table."""
    p = t.period
    rows: list[tuple[str, Any, str | None, str | None]] = [
        ("Første dag", p.first_day, DATE_FORMAT, p.source),
        ("Siste dag", p.last_day, DATE_FORMAT, p.source),
        ("Søknadsfrist", p.deadline if p.deadline else "ukjent", DATE_FORMAT if p.deadline else None, p.source),
        ("Status", _STATUS_NB[t.status], None, None),
        ("Merknad om status", t.status_note, None, None),
        ("Modell", t.model, None, None),
        ("Hele måneder", {"calendar": "kalendermåneder", "anniversary": "måneder regnet fra startdato"}[t.whole_months], None, None),
        ("Sentralitet", t.centrality.classification, None, None),
        ("Satstabell", f"rates/{t.id}.yaml", None, None),
    ]
    for grant_type, roles in (t.annual_rates or {}).items():
        for role, groups in roles.items():
            for group, amount in groups.items():
                label = (f"Årssats ved 100 %: {value_nb('grant_type', grant_type.value)}, "
                         f"{'alle roller' if role == 'any' else value_nb('role', role)}, {_GROUP_NB[group.value]}")
                rows.append((label, _number(amount.amount), _kroner_format(amount.amount), amount.source))
    for name, param in (t.parameters or {}).items():
        value = _number(param.value)
        rows.append((f"Parameter: {param.title_nb or name} [{name}]", value, None, param.source))
    for name, element in (t.elements or {}).items():
        if element.annual_maximum:
            maximum = t.annual_maximum(name)
            rows.append((f"Element: {element.title_nb}, årlig maksimum ved 100 %", _number(maximum), _kroner_format(maximum), None))
        else:
            rows.append((f"Element: {element.title_nb}", f"{element.share} × ({' + '.join(element.share_of or [])})", None, None))
    return rows


def _number(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value.normalize()


def _rejections_sheet(wb: Workbook, result: GrantResult, warning: str | None) -> None:
    where = ["Linje/rad i filen"] if result.file_positions is not None else []
    own = list(result.passthrough)
    ours = ["Rad", *where, "Lege (ALIS-id)", "Kommunenummer", "Kolonne", "Verdi", "Begrunnelse"]
    taken = {n.casefold() for n in ours}
    names = ours + [f"{n} (inndata)" if n.casefold() in taken else n for n in own]
    rows = []
    for rej in result.rejections:
        cells: list[Any] = [rej.row]
        if result.file_positions is not None:
            cells.append(result.file_positions[rej.row - 1])
        cells += [rej.alis_id, rej.kommunenummer, rej.column, rej.value, rej.text()]
        cells += [result.passthrough[name][rej.row - 1] for name in own]
        rows.append(cells)
    sheet = _Sheet(wb, "Avviste", warning, list(enumerate(names, start=1)), _measure(rows, "Avviste"), (1, len(names)))
    for row in rows:
        sheet.append(row)
    sheet.finish()


def _kontroll_sheet(wb: Workbook, result: GrantResult, warning: str | None, name: str) -> None:
    """The manifest (grants.pipeline.provenance): in words, then as JSON in consecutive cells
    labelled «Kontrolldata 1», «Kontrolldata 2» ... (a cell holds 32 767 characters), which
    `alis-grant verify` joins and reads."""
    import json

    from grants.report.kontroll import manifest_of
    from grants.report.kontroll import KONTROLLDATA, MANIFEST_CHUNK, WHAT_VERIFY_PROVES, manifest_facts, verify_command

    manifest = manifest_of(result, {"format": "xlsx"})
    rows: list[list[Any]] = []
    if manifest is None:
        rows.append(["Kontroll", "resultatet ble laget uten en motor som sier hva det er beregnet fra; det kan ikke kontrolleres"])
    else:
        rows += [[what, value] for what, value in manifest_facts(manifest)]
        rows.append(["Kontroller senere med", verify_command(name, manifest)])
        rows.append(["Hva kontrollen viser", WHAT_VERIFY_PROVES])
        text = json.dumps(manifest, ensure_ascii=False, separators=(",", ":"))
        for i in range(0, len(text), MANIFEST_CHUNK):
            rows.append([f"{KONTROLLDATA} {i // MANIFEST_CHUNK + 1}", text[i:i + MANIFEST_CHUNK]])
    widths = _measure(rows, "Kontroll")
    sheet = _Sheet(wb, "Kontroll", warning, [(1, "Hva"), (2, "Verdi")], widths, (1, 2))
    for row in rows:
        sheet.append(row)
    sheet.finish()
