"""An application file as the engine takes it: the records of a table read by
grants.io.reader, and where each row stood, for the command line and the service alike."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from grants.io.reader import SourceTable
from grants.pipeline.fields import ROW_ERROR

if TYPE_CHECKING:
    from grants.pipeline.columns import ColumnTable


@dataclass(frozen=True)
class InputData:
    """An input file read for the engine, and the table it came from.

    `columns` is what the engine takes (the cells column by column, as read: no dict per row);
    `records` gives the same rows as dicts (header name -> cell text; a malformed row carries
    its message under ROW_ERROR), for callers that want one row at a time."""

    table: SourceTable

    @property
    def columns(self) -> "ColumnTable":
        from grants.pipeline.columns import ColumnTable  # numpy: only once there is something to compute

        return ColumnTable(self.table.header, self.table.columns, dict(self.table.row_errors))

    @functools.cached_property
    def records(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = self.table.records()
        for index, message in self.table.row_errors.items():
            records[index][ROW_ERROR] = message
        return records

    @property
    def n_rows(self) -> int:
        return self.table.n_rows

    @property
    def delimiter(self) -> str:
        return self.table.delimiter or ";"


def application_input(table: SourceTable) -> InputData:
    """A table read from a file as the engine's input: a malformed row's message goes with it,
    so the engine rejects that row by name."""
    return InputData(table)


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


