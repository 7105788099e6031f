"""A table as read from a file, whatever its format: the header and every data row's cells as
text, with where each row stood (CSV line or Excel row). grants.io.reader reads the file and
hands it to grants.io.csvfile or grants.io.xlsx by its content; both end here (`finish`), where
a nameless column with values and a column named twice are refused the same way."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from grants.errors import InputFileError

HEADER_SEARCH_ROWS = 10
"""How many non-blank rows from the top may hold the header (title lines above it are allowed)."""


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


def example_header(joiner: str) -> str:
    """The required columns under the headers the template writes (lege_id, kommunenr, ...),
    as an example of a header."""
    from grants.pipeline.fields import FIELDS, REQUIRED_COLUMNS  # the io layer's one look at the engine's names

    return joiner.join(FIELDS[field].header_nb for field in REQUIRED_COLUMNS)


def finish(
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
