"""An officer's application file as the engine takes it: the table read by grants.io.reader
(the one reader, for the command line, the service and the library alike), what the reader
noticed, and where each row stood."""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from grants.io.reader import SourceTable
from grants.pipeline.fields import ROW_ERROR

if TYPE_CHECKING:
    from grants.pipeline.columns import ColumnTable
    from grants.pipeline.provenance import SourceRecord


@dataclass(frozen=True)
class ApplicationFile:
    """An application file read for the engine (`grants.read_application`); give it to
    `grants.compute` as the lines, and each result row carries `file_line` and each rejection
    `where`, as on the command line.

    `lines`: the data rows as dicts (header as written -> cell text; a malformed row carries its
    message under `_row_error`, so the engine rejects it by name). `notes`: what the reader
    noticed, in bokmål (title lines above the header skipped, hidden columns read, which sheet
    was read, an old Excel's encoding): the command line prints them as «Merk: ...», the service
    returns them as `file_notes`. `columns` is the same table column by column (no dict per
    row), which the engine reads."""

    table: SourceTable
    name: str | None = None
    """The file's name as the run names it in the result's manifest (its base name: no
    folder, so no server path reaches a client)."""
    sha256: str | None = None
    """The SHA-256 of the file's bytes when it was read."""

    def record(self) -> "SourceRecord":
        """What the manifest says about this input: name, SHA-256, and the hash of its rows as
        read (the same for a copy saved again with other line ends, quoting or separator)."""
        from grants.pipeline.provenance import SourceRecord, position_runs

        return SourceRecord(kind="file", rows=self.n_rows, rows_sha256=self.rows_sha256, name=self.name,
                            sha256=self.sha256, format=self.kind, sheet=self.sheet,
                            positions=position_runs(self.table.positions))

    @functools.cached_property
    def rows_sha256(self) -> str:
        """The hash of the header and every cell as read (grants.pipeline.provenance.rows_sha256)."""
        from grants.pipeline.provenance import rows_sha256

        return rows_sha256(self.table.header, self.table.columns, self.table.n_rows)

    @functools.cached_property
    def notes(self) -> tuple[str, ...]:
        rounded = rounded_share_note(self.table)
        return self.table.notes + ((rounded,) if rounded else ())

    @functools.cached_property
    def lines(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = self.table.records()
        for index, message in self.table.row_errors.items():
            records[index][ROW_ERROR] = message
        return records

    @property
    def columns(self) -> "ColumnTable":
        from grants.pipeline.columns import ColumnTable  # numpy: only once there is something to compute

        return ColumnTable(self.table.header, self.table.columns, dict(self.table.row_errors))

    @property
    def header(self) -> tuple[str, ...]:
        return self.table.header

    @property
    def kind(self) -> str:
        """csv or xlsx (decided by the content, never by the name)."""
        return self.table.kind

    @property
    def sheet(self) -> str | None:
        """The sheet read, for a workbook."""
        return self.table.sheet

    @property
    def file_lines(self) -> tuple[int, ...]:
        """Per data row: the CSV line where it starts, or the Excel row."""
        return self.table.positions

    @property
    def blank_rows(self) -> int:
        return self.table.blank_rows

    @property
    def n_rows(self) -> int:
        return self.table.n_rows

    @property
    def delimiter(self) -> str:
        """The CSV's separator (a workbook: semicolon, for the result file Norwegian Excel opens)."""
        return self.table.delimiter or ";"


_WHOLE_PERCENT = re.compile(r"\d+\s*%")


def rounded_share_note(table: SourceTable) -> str | None:
    """A CSV whose share cells all carry a % and none a decimal is what Excel writes for a column
    formatted as a percent without decimals: a share typed as 62,5 is saved as «63 %». The
    reader cannot know what was typed, so it says so and names the exact road (the workbook
    itself, which holds the number as typed)."""
    if table.kind != "csv":
        return None
    from grants.errors import GrantsError
    from grants.pipeline.headers import field_of

    for name, cells in zip(table.header, table.columns):
        try:
            if field_of(name) != "position_share":
                continue
        except GrantsError:
            continue
        given = [c.strip() for c in cells if c and c.strip()]
        with_percent = [c for c in given if _WHOLE_PERCENT.fullmatch(c)]
        if with_percent and len(with_percent) == len(given):  # every one: a formatted column, not a hand-typed %
            return (f"stillingsandelene i kolonnen «{name}» står med % og uten desimaler (f.eks. «{with_percent[0]}»), "
                    "slik Excel lagrer en celle som er formatert som prosent uten desimaler: Excel kan ha rundet av "
                    "(62,5 % lagres som «63 %»). Beregn heller arbeidsboken (.xlsx) selv, som har tallene slik de er "
                    "skrevet: alis-grant compute søknad.xlsx")
    return None


def read_application(path: str | os.PathLike[str], sheet: str | None = None, *,
                     max_bytes: int | None = None) -> ApplicationFile:
    """Read an officer's application file, CSV or .xlsx (told apart by the content), as the
    command line and the service read it: the header looked for under title lines, every row
    kept with where it stood. A file that cannot be read exactly raises InputFileError naming
    the line, cell or byte; a bad value only rejects its row later, in `grants.compute`.
    `max_bytes`: the largest file taken (default grants.io.reader.MAX_INPUT_BYTES; the service
    passes its upload limit), which also bounds what a workbook may unpack to."""
    from grants.io.reader import MAX_INPUT_BYTES, read_table
    from grants.pipeline.headers import looks_like_header

    from grants.pipeline.provenance import file_sha256

    limit = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    table = read_table(path, sheet=sheet, is_header=looks_like_header, max_bytes=limit)
    try:
        digest: str | None = file_sha256(path)
    except OSError:  # gone or unreadable since it was read: the manifest says nothing it cannot know
        digest = None
    return application_input(table, name=os.path.basename(os.fspath(path)), sha256=digest)


def application_input(table: SourceTable, *, name: str | None = None, sha256: str | None = None) -> ApplicationFile:
    """A table read from a file as the engine's input: a malformed row's message goes with it,
    so the engine rejects that row by name."""
    return ApplicationFile(table, name, sha256)


def attach_source(result: Any, data: ApplicationFile) -> None:
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
