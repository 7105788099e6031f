"""The finance officer's workbook (.xlsx): lines, sums, explanations, rates and rejections.

Everything people read is in bokmål through grants.vocabulary_nb. Kroner are numbers with a
thousands-separator format (so they can be summed), dates are real Excel dates shown
dd.mm.åååå, and no cell is ever a formula: text from the input is stored as text, and text a
spreadsheet would run (= + - @ tab CR first) is also marked as literal text (quote prefix).
"""
from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .explain import explain_line, explain_rejection, rates_warning
from .results import GrantResult
from .vocabulary_nb import DATE_COLUMNS, column_nb, value_nb

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from .rates import RateTable
    from .rules import RuleBook

KRONER_FORMAT = "#,##0"
KRONER_DECIMALS_FORMAT = "#,##0.00"
DATE_FORMAT = "DD.MM.YYYY"
PERCENT_FORMAT = '0" %"'
PERCENT_DECIMALS_FORMAT = '0.0#" %"'

SHEETS = ("Linjer", "Sammendrag", "Forklaring", "Satser", "Avviste")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_INT_COLUMNS = ("row", "file_line", "whole_months", "centrality_class")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_WARNING_FONT = Font(bold=True, color="9C0006")
_MAX_WIDTH = 60


def _looks_like_formula(text: str) -> bool:
    """Would a spreadsheet run this text as a formula (or as the start of one)?
    The one test for the workbook; the shared grants.io.output.looks_like_formula replaces it."""
    return text.startswith(_FORMULA_START)


def _put(ws: "Worksheet", row: int, col: int, value: Any, number_format: str | None = None):
    """Write one cell. Text is always stored as text (never a formula); text a spreadsheet
    would run gets a quote prefix so it stays text when someone edits the cell."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl makes a str starting with "=" a formula: undo that
        if _looks_like_formula(value):
            cell.quotePrefix = True
    else:
        cell.value = value
    if number_format is not None:
        cell.number_format = number_format
    return cell


def _kroner_format(value: Any) -> str:
    return KRONER_FORMAT if isinstance(value, int) or value == value.to_integral_value() else KRONER_DECIMALS_FORMAT


class _Sheet:
    """One table on a sheet: the warning on top, a bold frozen header, widths, an autofilter."""

    def __init__(self, ws: "Worksheet", warning: str | None):
        self.ws = ws
        self.row = 1
        if warning:
            _put(ws, 1, 1, warning).font = _WARNING_FONT
            self.row = 2
        self.header_row = self.row
        self.widths: dict[int, int] = {}

    def header(self, names: Iterable[str], col: int = 1) -> None:
        for i, name in enumerate(names, start=col):
            cell = _put(self.ws, self.header_row, i, name)
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
            self._measure(i, name)
        self.ws.freeze_panes = self.ws.cell(row=self.header_row + 1, column=1)

    def put(self, row: int, col: int, value: Any, number_format: str | None = None):
        cell = _put(self.ws, row, col, value, number_format)
        if value is not None:
            shown = value.strftime("%d.%m.%Y") if isinstance(value, date) else f"{value:,}" if isinstance(value, int) else str(value)
            self._measure(col, shown)
        return cell

    def _measure(self, col: int, text: str) -> None:
        longest = max((len(part) for part in text.split("\n")), default=0)
        self.widths[col] = max(self.widths.get(col, 0), longest)

    def finish(self, last_row: int, first_col: int = 1, last_col: int | None = None) -> None:
        for col, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), _MAX_WIDTH)
        last_col = last_col or max(self.widths, default=1)
        self.ws.auto_filter.ref = (
            f"{get_column_letter(first_col)}{self.header_row}:{get_column_letter(last_col)}{max(last_row, self.header_row)}"
        )


def _line_cell(column: str, value: Any) -> tuple[Any, str | None]:
    """A value of an output row as the workbook holds it: numbers, dates, Norwegian words."""
    if value is None or value == "":
        return None, None
    if column in DATE_COLUMNS and isinstance(value, str):
        try:
            return date.fromisoformat(value), DATE_FORMAT
        except ValueError:
            return value, None
    if column == "position_share":
        share = Decimal(str(value))
        if share == share.to_integral_value():
            return int(share), PERCENT_FORMAT
        return share, PERCENT_DECIMALS_FORMAT
    if column in _INT_COLUMNS:
        return value, "0"
    return value_nb(column, value), None


def _is_kroner(column: str) -> bool:
    return column == "annual_rate" or column.endswith("_nok")


def write_workbook(result: GrantResult, path: str | Path, rulebook: "RuleBook | None" = None) -> None:
    """Write the workbook to a temporary file beside `path`, then move it in place: a failure
    half-way never leaves a half-written workbook where a good one (or nothing) was."""
    path = Path(path)
    wb = build_workbook(result, rulebook)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def build_workbook(result: GrantResult, rulebook: "RuleBook | None" = None) -> Workbook:
    """The workbook in memory (no I/O): one sheet per concern, in SHEETS order."""
    warning = rates_warning(result.rates_statuses)
    wb = Workbook()
    wb.remove(wb.active)
    _lines_sheet(wb.create_sheet("Linjer"), result, warning)
    _summary_sheet(wb.create_sheet("Sammendrag"), result, warning)
    _explanation_sheet(wb.create_sheet("Forklaring"), result, warning, rulebook)
    _rates_sheet(wb.create_sheet("Satser"), _tables(result), warning)
    _rejections_sheet(wb.create_sheet("Avviste"), result, warning)
    return wb


def _tables(result: GrantResult) -> list["RateTable"]:
    tables = {r.table.id: r.table for r in result.lines}
    tables.update(result._tables)
    return sorted(tables.values(), key=lambda t: t.period.first_day)


def _lines_sheet(ws: "Worksheet", result: GrantResult, warning: str | None) -> None:
    sheet = _Sheet(ws, warning)
    columns = result.columns
    own = set(result.passthrough)
    sheet.header([name if name in own else column_nb(name) for name in columns])
    row = sheet.header_row
    for data in result.iter_rows():
        row += 1
        for col, name in enumerate(columns, start=1):
            value = data.get(name)
            if name in own:
                sheet.put(row, col, value)
            elif _is_kroner(name) and value not in (None, ""):
                number = value if isinstance(value, int) else Decimal(str(value))
                if isinstance(number, Decimal) and number == number.to_integral_value():
                    number = int(number)
                sheet.put(row, col, number, _kroner_format(number))
            else:
                shown, fmt = _line_cell(name, value)
                sheet.put(row, col, shown, fmt)
    sheet.finish(row, last_col=len(columns))


def _summary_sheet(ws: "Worksheet", result: GrantResult, warning: str | None) -> None:
    """Per municipality (A-D) and per doctor (F-H) side by side, each with its total row."""
    sheet = _Sheet(ws, warning)
    sheet.header(["Kommunenummer", "Kommune", "Linjer", "Beløp (kr)"], col=1)
    sheet.header(["Lege (ALIS-id)", "Linjer", "Beløp (kr)"], col=6)
    by_muni = result.totals_by_municipality()
    row = sheet.header_row
    for t in by_muni:
        row += 1
        sheet.put(row, 1, t.key)
        sheet.put(row, 2, t.name)
        sheet.put(row, 3, t.lines, "0")
        sheet.put(row, 4, t.amount_nok, KRONER_FORMAT)
    last_muni = row
    row += 1
    _total_row(sheet, row, 1, "Sum", sum(t.lines for t in by_muni), sum(t.amount_nok for t in by_muni), amount_col=4)
    row = sheet.header_row
    doctors = result.totals_by_doctor()
    for t in doctors:
        row += 1
        sheet.put(row, 6, t.key)
        sheet.put(row, 7, t.lines, "0")
        sheet.put(row, 8, t.amount_nok, KRONER_FORMAT)
    row += 1
    _total_row(sheet, row, 6, "Sum", sum(t.lines for t in doctors), sum(t.amount_nok for t in doctors), amount_col=8)
    ws.column_dimensions["E"].width = 3
    sheet.finish(last_muni, first_col=1, last_col=4)


def _total_row(sheet: _Sheet, row: int, col: int, label: str, lines: int, amount: int, amount_col: int) -> None:
    sheet.put(row, col, label).font = _HEADER_FONT
    sheet.put(row, amount_col - 1, lines, "0").font = _HEADER_FONT
    sheet.put(row, amount_col, amount, KRONER_FORMAT).font = _HEADER_FONT


def _explanation_sheet(ws: "Worksheet", result: GrantResult, warning: str | None, rulebook: "RuleBook | None") -> None:
    """One spreadsheet row per line of the explanation, so a filter on Rad shows one line's."""
    sheet = _Sheet(ws, warning)
    sheet.header(["Rad", "Periode", "Lege (ALIS-id)", "Forklaring"])
    entries: list[tuple[int, str | None, str | None, str]] = [
        (r.row, r.period, r.alis_id, explain_line(r, rulebook)) for r in result.lines
    ] + [(rej.row, None, rej.alis_id, explain_rejection(rej)) for rej in result.rejections]
    entries.sort(key=lambda e: (e[0], e[1] or ""))
    row = sheet.header_row
    for number, period, alis_id, text in entries:
        for part in text.split("\n"):
            if not part.strip() or set(part) == {"="}:  # blank lines and the title's underline
                continue
            row += 1
            sheet.put(row, 1, number, "0")
            sheet.put(row, 2, period)
            sheet.put(row, 3, alis_id)
            sheet.put(row, 4, part)
    sheet.widths[4] = max(sheet.widths.get(4, 0), 100)
    sheet.finish(row)
    ws.column_dimensions["D"].width = 120


def _rates_sheet(ws: "Worksheet", tables: list["RateTable"], warning: str | None) -> None:
    sheet = _Sheet(ws, warning)
    sheet.header(["Periode", "Hva", "Verdi", "Kilde", "Lenke"])
    row = sheet.header_row
    for t in tables:
        for what, value, fmt, source_id in _rate_rows(t):
            row += 1
            sheet.put(row, 1, t.id)
            sheet.put(row, 2, what)
            sheet.put(row, 3, value, fmt)
            if source_id is not None:
                src = t.source(source_id)
                sheet.put(row, 4, src.title)
                sheet.put(row, 5, src.url)
    sheet.finish(row)


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


def _rejections_sheet(ws: "Worksheet", result: GrantResult, warning: str | None) -> None:
    sheet = _Sheet(ws, warning)
    where = ["Linje/rad i filen"] if result.file_positions is not None else []
    own = list(result.passthrough)
    sheet.header(["Rad", *where, "Lege (ALIS-id)", "Kommunenummer", "Kolonne", "Verdi", "Begrunnelse", *own])
    row = sheet.header_row
    for rej in result.rejections:
        row += 1
        cells: list[Any] = [rej.row]
        if result.file_positions is not None:
            cells.append(result.file_positions[rej.row - 1])
        cells += [rej.alis_id, rej.kommunenummer, rej.column, rej.value, rej.text()]
        cells += [result.passthrough[name][rej.row - 1] for name in own]
        for col, value in enumerate(cells, start=1):
            sheet.put(row, col, value, "0" if col == 1 else None)
    sheet.finish(row, last_col=6 + len(where) + len(own))
