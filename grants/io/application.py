"""An application file as the engine takes it: the records of a table read by
grants.io.reader, and where each row stood, for the command line and the service alike."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grants.io.reader import SourceTable
from grants.pipeline.fields import ROW_ERROR


@dataclass(frozen=True)
class InputData:
    """An input file read for the engine: records (header name -> cell text; a malformed row
    carries its message under ROW_ERROR), and the table they came from."""

    records: list[dict[str, Any]]
    table: SourceTable

    @property
    def delimiter(self) -> str:
        return self.table.delimiter or ";"


def application_input(table: SourceTable) -> InputData:
    """A table read from a file as the engine's records: header name -> cell text, with a
    malformed row's message under ROW_ERROR, so the engine rejects that row by name."""
    records: list[dict[str, Any]] = table.records()
    for index, message in table.row_errors.items():
        records[index][ROW_ERROR] = message
    return InputData(records, table)


def attach_source(result: Any, data: InputData) -> None:
    """Tell the result where each data row stood in the file (CSV line or Excel row), so output
    rows and rejections can be found in the file whatever title or blank lines it has."""
    table = data.table
    index = {name: i for i, name in enumerate(table.header)}

    def where(row: int, column: str | None = None) -> str:
        """«linje 12» in a CSV file (the rejection names the column by its header), «ark «Ark1»,
        celle E12» in a workbook, where the officer looks for a cell."""
        cell = index.get(column) if column is not None and table.kind == "xlsx" else None
        return table.where(row - 1, cell)

    result.attach_source(list(table.positions), "excel_row" if table.kind == "xlsx" else "csv_line",
                         table.sheet, table.blank_rows, where)


