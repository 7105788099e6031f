"""The report's table cells: escaping, the columns of a doctor's table, their headers and how
each value is shown."""
from __future__ import annotations

import html
from decimal import Decimal

from grants.money import format_nok
from grants.pipeline.results import LineResult
from grants.report.vocabulary_nb import REPORT_COLUMN_NB, column_nb, date_nb, value_nb


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


_LINE_COLUMNS = ("row", "period", "kommunenavn", "grant_type", "role", "position_share", "span", "counted_span",
                 "whole_months", "annual_rate", "amount_nok", "status", "reason")
_NUMERIC = {"row", "position_share", "whole_months", "annual_rate", "amount_nok"}


def _class(column: str) -> str:
    return ' class="num"' if column in _NUMERIC else ' class="reason"' if column == "reason" else ""


def _header(column: str) -> str:
    return REPORT_COLUMN_NB.get(column) or column_nb(column)


def _line_cells(r: LineResult) -> dict[str, object]:
    """The output row of a line, with the two date spans joined for a narrower table."""
    row = r.as_row()
    row["span"] = f"{date_nb(r.line.start)}–{date_nb(r.line.end)}"
    row["counted_span"] = ("ingen dager" if r.counted_start is None or r.counted_end is None
                           or r.counted_end < r.counted_start else f"{date_nb(r.counted_start)}–{date_nb(r.counted_end)}")
    return row


def _cell(column: str, value: object) -> str:
    if value is None or value == "":
        return ""
    if column in ("amount_nok", "annual_rate"):
        amount = Decimal(str(value))
        return format_nok(amount).removesuffix(" kr")
    if column == "position_share":
        return str(value).replace(".", ",")
    return str(value_nb(column, value))
