"""The input batch as columns: every field parsed once per distinct value, rejections gathered
by mask, and a `LineInput` built only when one line is asked for.

The value grammars are the ones of grants.pipeline.inputs (PARSERS): a column's distinct
values are parsed by them, and each row takes its parsed value by index, so a batch of a
million rows that repeats a few hundred municipalities, dates and shares parses each once.
A row that fails is handed to `validate_row`, the single-row validator, for its rejection: the
message is the same whichever door the row came in by, and if the two ever disagreed about
whether a row is valid the run stops (ConservationError) instead of paying a row wrongly.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from grants.days import NO_DAY, day_number
from grants.errors import ConservationError
from grants.pipeline.blocks import RowReader
from grants.pipeline.codes import codable, factorize, strip_texts, value_types
from grants.pipeline.fields import CAP_INPUTS, DEFAULTS, EXPENSE, PARSERS, REQUIRED_COLUMNS, ROW_ERROR
from grants.pipeline.headers import Header, map_header
from grants.pipeline.grammar import COLUMN_PARSERS, is_blank, parse_amount
from grants.pipeline.inputs import LineInput, Rejection, _construct, doctor_keys, validate_row

def _day_numbers(dates: np.ndarray) -> np.ndarray:
    """Parsed dates (None where absent) as day numbers, NO_DAY where absent; one conversion per
    distinct date."""
    codes, uniques = factorize(dates)
    return np.array([day_number(d) for d in uniques] + [NO_DAY], dtype=np.int64)[codes]


@dataclass
class _Parsed:
    """One field over the batch: the parsed value of each row (object array), blank and error
    masks, and a code per row that is equal exactly when the parsed values are equal."""

    values: np.ndarray
    blank: np.ndarray
    error: np.ndarray
    codes: np.ndarray  # -1 where blank or wrong


def _parse_field(name: str, raw: np.ndarray) -> _Parsed:
    parser = parse_amount if name.startswith(EXPENSE) else PARSERS[name]
    n = len(raw)
    kinds = value_types(raw)
    texts = kinds == {str}
    if codable(kinds, raw):
        codes, uniques = factorize(raw)
        uniques = np.asarray(uniques, dtype=object)
    else:  # mixed types, or values that are equal but read otherwise: each row by itself
        codes, uniques = np.arange(n), raw
    parsed = np.empty(len(uniques) + 1, dtype=object)  # the last slot: a blank cell (code -1)
    bad = np.zeros(len(uniques) + 1, dtype=bool)
    blank = np.zeros(len(uniques) + 1, dtype=bool)
    blank[-1] = True
    if texts and name in COLUMN_PARSERS and len(uniques):
        stripped = strip_texts(uniques)
        blank[:-1] = stripped == ""
        given = np.flatnonzero(~blank[:-1])
        parsed[given], bad[given] = COLUMN_PARSERS[name](stripped[given])
        uniques = ()  # parsed
    for i, value in enumerate(uniques):
        if is_blank(value):
            blank[i] = True
            continue
        try:
            parsed[i] = parser(value.strip() if isinstance(value, str) else value)
        except ValueError:
            bad[i] = True
    ok = ~blank & ~bad
    same = np.full(len(parsed), -1, dtype=np.int64)
    if ok.any():
        same[ok] = factorize(parsed[ok])[0]
    return _Parsed(parsed[codes], blank[codes], bad[codes], same[codes])


@dataclass
class InputColumns:
    """A validated batch, column by column. Rows are numbered from 1; `valid` marks the rows
    that parsed (the others are in `rejections`, one each)."""

    n: int
    header: Header | None
    cells: dict[str, np.ndarray]  # the user's column name -> the cells as given (messages, pass-through)
    fields: dict[str, _Parsed]  # canonical field (and expense:<element>) -> parsed values
    valid: np.ndarray
    rejections: list[Rejection]
    lines: list[LineInput] | None = None  # when the batch came as LineInput objects
    _cache: dict[str, Any] = field(default_factory=dict)

    # -- the user's words, for messages ----------------------------------------------------

    @property
    def names(self) -> dict[str, str]:
        return self.header.field_to_column if self.header else {}

    def name(self, field_name: str) -> str:
        """The user's column for a field; without a header (LineInput objects) the canonical
        column name (an expense: expense_<element>)."""
        if field_name in self.names:
            return self.names[field_name]
        if field_name.startswith(EXPENSE):
            return "expense_" + field_name[len(EXPENSE):]
        return field_name

    def raw(self, row: int, field_name: str, fallback: Any) -> str:
        """The cell of a field as the user wrote it, for a message (the parsed value when none)."""
        column = self.names.get(field_name)
        if column is not None and column in self.cells:
            value = self.cells[column][row - 1]
            if not is_blank(value):
                return str(value).strip()
        return str(fallback)

    @property
    def own(self) -> tuple[str, ...]:
        return (self.header.own_columns + self.header.ignored) if self.header else ()

    # -- typed views -------------------------------------------------------------------------

    def values(self, name: str) -> np.ndarray:
        """The parsed value of a field per row (None where blank or where the row is rejected)."""
        if self.lines is not None:
            hit = self._cache.get(name)
            if hit is None:
                hit = np.empty(self.n, dtype=object)
                hit[:] = [getattr(line, name) for line in self.lines]
                self._cache[name] = hit
            return hit
        parsed = self.fields.get(name)
        if parsed is None:
            out = np.empty(self.n, dtype=object)
            out[:] = DEFAULTS.get(name)
            return out
        return parsed.values

    def days(self, name: str) -> np.ndarray:
        """A date field as day numbers (NO_DAY where absent)."""
        key = f"days:{name}"
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = _day_numbers(self.values(name))
        return hit

    def flags(self, name: str) -> np.ndarray:
        """A yes/no field as booleans, its default where blank."""
        key = f"flags:{name}"
        hit = self._cache.get(key)
        if hit is None:
            values = self.values(name)
            default = bool(DEFAULTS[name])
            if self.lines is not None:
                hit = np.array([bool(v) for v in values], dtype=bool)
            elif name in self.fields:
                parsed = self.fields[name]
                hit = np.where(parsed.blank | parsed.error, default, values == True).astype(bool)  # noqa: E712
            else:
                hit = np.full(self.n, default)
            self._cache[key] = hit
        return hit

    def share_hundredths(self) -> np.ndarray:
        """Position shares in hundredths of a percent (exact: the grammar allows two decimals;
        a LineInput built by hand with more is refused here, ValueError)."""
        hit = self._cache.get("share_c")
        if hit is None:
            values = self.values("position_share")
            codes, uniques = factorize(values)
            scaled = []
            for v in uniques:
                s = Decimal(v).scaleb(2)
                if s != s.to_integral_value():
                    raise ValueError(f"stillingsandelen {v} har mer enn to desimaler")
                scaled.append(int(s))
            hit = self._cache["share_c"] = np.array(scaled + [0], dtype=np.int64)[codes]
        return hit

    def centrality_override(self) -> np.ndarray:
        """A centrality class given in the input, 0 where none."""
        hit = self._cache.get("override")
        if hit is None:
            values = self.values("centrality_class")
            codes, uniques = factorize(values)
            hit = self._cache["override"] = np.array(list(uniques) + [0], dtype=np.int64)[codes]
        return hit

    def cap_input(self) -> np.ndarray:
        """Whether a row gives any expense, hours or amount applied for (grants.pipeline.caps.has_cap_input)."""
        hit = self._cache.get("cap_input")
        if hit is None:
            hit = np.zeros(self.n, dtype=bool)
            for f in (*CAP_INPUTS, *self.expense_fields()):
                hit |= self.present(f)
            self._cache["cap_input"] = hit
        return hit

    def present(self, name: str) -> np.ndarray:
        """Whether an optional field is given on each row."""
        key = f"present:{name}"
        if key not in self._cache:
            self._cache[key] = self._present(name)
        return self._cache[key]

    def _present(self, name: str) -> np.ndarray:
        if self.lines is not None:
            if name.startswith(EXPENSE):
                return np.array([name[len(EXPENSE):] in line.expenses for line in self.lines], dtype=bool)
            return np.array([v is not None for v in self.values(name)], dtype=bool)
        parsed = self.fields.get(name)
        if parsed is None:
            return np.zeros(self.n, dtype=bool)
        return ~parsed.blank & ~parsed.error

    def expense_fields(self) -> list[str]:
        if self.lines is not None:
            return sorted({f"{EXPENSE}{e}" for line in self.lines for e in line.expenses})
        return [f for f in self.fields if f.startswith(EXPENSE)]

    def doctor_codes(self) -> np.ndarray:
        """One integer per doctor, whatever the spelling of the id (grants.pipeline.inputs.doctor_key);
        -1 where the row has no id."""
        hit = self._cache.get("doctor")
        if hit is None:
            codes, spellings = factorize(self.values("alis_id"))
            keys = doctor_keys([str(s) for s in spellings])
            key_codes = factorize(np.asarray(keys, dtype=object))[0]
            self._cache["spelling"] = codes.astype(np.int64)
            hit = self._cache["doctor"] = np.append(key_codes, -1).astype(np.int64)[codes]
        return hit

    def spelling_codes(self) -> np.ndarray:
        """One integer per id as written."""
        self.doctor_codes()
        return self._cache["spelling"]

    def compared_fields(self) -> list[str]:
        """The fields two rows must share to be copies of each other (all but the id)."""
        if self.lines is not None:
            return [f for f in LineInput.model_fields if f not in ("alis_id", "expenses")] + self.expense_fields()
        return [f for f in self.fields if f != "alis_id"]

    def value_codes(self, name: str) -> np.ndarray:
        """One integer per row, equal exactly when the field's values are equal (a blank yes/no
        as its default, as a LineInput reads it)."""
        if name in ("via_agency", "private_commercial", "new_scheme"):
            return self.flags(name).astype(np.int64)
        if self.lines is None and name in self.fields:
            return self.fields[name].codes
        if name.startswith(EXPENSE):
            element = name[len(EXPENSE):]
            values = [line.expenses.get(element) for line in self.lines or ()]
        else:
            values = self.values(name)
        return factorize(np.asarray(values, dtype=object))[0]

    def _given(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """Each parsed field, the rows that do not give it (blank or in error) and its values:
        what a row's LineInput is read from (`line` a row at a time, `input_columns` a column at
        a time), a field's value where given, its default (DEFAULTS) where not, an expense under
        its element."""
        hit = self._cache.get("given")
        if hit is None:
            hit = self._cache["given"] = [(name, p.blank | p.error, p.values) for name, p in self.fields.items()]
        return hit

    def input_columns(self, rows: np.ndarray) -> dict[str, list[Any]]:
        """The fields of the LineInputs of some valid rows (1-based), one list per field, as
        `line(row)` has them."""
        if self.lines is not None or len(rows) == 1:  # the lines themselves
            made = [self.line(r) for r in rows.tolist()]
            return {name: [getattr(line, name) for line in made] for name in LineInput.model_fields}
        at = rows - 1
        out: dict[str, list[Any]] = {name: [DEFAULTS.get(name)] * len(at) for name in LineInput.model_fields}
        expenses: list[dict[str, Decimal]] = [{} for _ in range(len(at))]
        for name, absent, values in self._given():
            given = np.flatnonzero(~absent[at])
            taken = values[at[given]].tolist()
            if name.startswith(EXPENSE):
                for k, value in zip(given.tolist(), taken):
                    expenses[k][name[len(EXPENSE):]] = value
            elif given.size == len(at):
                out[name] = taken
            else:
                column = out[name]
                for k, value in zip(given.tolist(), taken):
                    column[k] = value
        out["expenses"] = expenses
        return out

    def line(self, row: int) -> LineInput:
        """The LineInput of one valid row, built when asked for."""
        if self.lines is not None:
            return self.lines[row - 1]
        reader = self._cache.get("line_reader")
        if reader is None:
            reader = self._cache["line_reader"] = RowReader(
                [c for _, absent, values in self._given() for c in (absent, values)])
        values = dict(DEFAULTS)
        expenses: dict[str, Decimal] = {}
        read = reader.row(row - 1)
        for (name, _, _), absent, value in zip(self._given(), read[::2], read[1::2]):
            if absent:
                continue
            if name.startswith(EXPENSE):
                expenses[name[len(EXPENSE):]] = value
            else:
                values[name] = value
        values["expenses"] = expenses
        return _construct(values)


@dataclass(frozen=True)
class ColumnTable:
    """A table given column by column, as a file reader holds it: the header, each header
    column's cells, and the message of each malformed row (0-based index -> bokmål)."""

    header: tuple[str, ...]
    columns: tuple[Sequence[Any], ...]
    row_errors: Mapping[int, str] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0


def normalise(lines: Any, elements: Iterable[str], ignore_columns: tuple[str, ...] = ()) -> InputColumns:
    """Rows from any accepted shape (a ColumnTable, a DataFrame, a list of dicts, a list of
    LineInput), as columns; rows that do not parse are rejected with validate_row's own message."""
    if isinstance(lines, ColumnTable):
        header = map_header(lines.header, elements, ignore_columns)
        n = lines.n_rows
        cells: dict[str, np.ndarray] = {}
        for name, column in zip(lines.header, lines.columns):
            values = np.empty(n, dtype=object)
            values[:] = list(column)
            cells[str(name)] = values  # a repeated header name: the last column, as a dict per row has it
        if lines.row_errors:
            errors = np.empty(n, dtype=object)
            for index, message in lines.row_errors.items():
                errors[index] = message
            cells[ROW_ERROR] = errors
        return _from_columns(n, header, cells)
    pd = sys.modules.get("pandas")  # a DataFrame means pandas is loaded; a list does not need it
    if pd is not None and isinstance(lines, pd.DataFrame):
        header = map_header(lines.columns, elements, ignore_columns)
        # by position: a repeated column name keeps its last column, as a dict per row would
        raw = {str(c): lines.iloc[:, i].to_numpy(dtype=object) for i, c in enumerate(lines.columns)}
        return _from_columns(len(lines), header, raw)
    records = lines if isinstance(lines, list) else list(lines)
    if all(isinstance(r, LineInput) for r in records):  # (an empty list too: nothing to map)
        return InputColumns(len(records), None, {}, {}, np.ones(len(records), dtype=bool), [], lines=records)
    keys: dict[str, None] = {}
    for r in records:
        if isinstance(r, Mapping):
            keys.update(dict.fromkeys(map(str, r)))
        elif isinstance(r, LineInput):
            keys.update(dict.fromkeys(_line_record(r)))
    header = map_header(keys, elements, ignore_columns)
    not_rows = [i for i, r in enumerate(records) if not isinstance(r, (Mapping, LineInput))]
    dicts = [r if isinstance(r, Mapping) else _line_record(r) if isinstance(r, LineInput) else {} for r in records]
    raw = {k: _column(dicts, k) for k in keys}
    if any(isinstance(r, Mapping) and ROW_ERROR in r for r in records):
        raw[ROW_ERROR] = _column(dicts, ROW_ERROR)
    out = _from_columns(len(records), header, raw)
    if not_rows:
        out.valid[not_rows] = False
        out.rejections = sorted(
            [r for r in out.rejections if r.row - 1 not in set(not_rows)]
            + [Rejection(i + 1, None, repr(records[i])[:80], "raden er verken en tabellrad (dict) eller en LineInput")
               for i in not_rows], key=lambda r: r.row)
    return out


def _column(records: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    out = np.empty(len(records), dtype=object)
    out[:] = [r.get(key) for r in records]
    return out


def _line_record(line: LineInput) -> dict[str, Any]:
    """A LineInput among dicts, as a record under the canonical column names (its values are
    already parsed; the parsers take them as they are)."""
    out: dict[str, Any] = {k: v for k, v in line.__dict__.items() if k != "expenses" and v is not None}
    out.update({f"expense_{k}": v for k, v in line.expenses.items()})
    return out


def _from_columns(n: int, header: Header, raw: dict[str, np.ndarray]) -> InputColumns:
    fields: dict[str, _Parsed] = {}
    wrong = np.zeros(n, dtype=bool)
    if ROW_ERROR in raw:
        wrong |= np.array([v is not None and bool(v) for v in raw[ROW_ERROR]], dtype=bool)  # as validate_row
    for name, column in header.field_to_column.items():
        parsed = fields[name] = _parse_field(name, raw[column])
        wrong |= parsed.error
        if name in REQUIRED_COLUMNS:
            wrong |= parsed.blank
    if n and "start" in fields and "end" in fields:
        start, end = fields["start"].values, fields["end"].values
        ok = np.flatnonzero(~wrong)
        if ok.size:
            wrong[ok[_day_numbers(end[ok]) < _day_numbers(start[ok])]] = True
    rejections: list[Rejection] = []
    bad_rows = np.flatnonzero(wrong)
    if bad_rows.size:
        names = list(raw)
        for i in bad_rows.tolist():
            record = {k: raw[k][i] for k in names}
            out = validate_row(i + 1, record, header)
            if not isinstance(out, Rejection):
                raise ConservationError(f"row {i + 1}: the column check rejects it but the row check accepts it")
            rejections.append(out)
    valid = ~wrong
    return InputColumns(n, header, {k: v for k, v in raw.items() if k != ROW_ERROR}, fields, valid, rejections)


def valid_lines(cols: InputColumns) -> list[tuple[int, LineInput]]:
    """The valid rows as (row, LineInput): for callers that want typed lines (impact runs)."""
    return [(int(i) + 1, cols.line(int(i) + 1)) for i in np.flatnonzero(cols.valid)]
