"""The typed input line and the row validator: a row either becomes a `LineInput` or a
`Rejection` that names the row, the column as the user wrote it, and the value. Nothing is
dropped.

Every field's type, grammar, default and headers are declared once, in grants.pipeline.fields;
LineInput spells them out as a typed public class and a test holds the two equal field by
field. One parser per field serves every door (CSV file, workbook, DataFrame, list of dicts,
JSON): grants.pipeline.grammar.
"""
from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from grants.domain import GrantType, Role
from grants.pipeline.fields import (  # noqa: F401 - the alias table and column lists, re-exported for callers
    DEFAULTS,
    EXPENSE,
    HEADER_ALIASES,
    OPTIONAL_COLUMNS,
    PARSERS,
    REQUIRED_COLUMNS,
    ROW_ERROR,
)
from grants.pipeline.grammar import end_before_start, is_blank, parse_amount


@functools.lru_cache(maxsize=65536)
def doctor_key(alis_id: str) -> str:
    """Who a doctor is, whatever the spelling: the id read as Unicode NFKC (a precomposed Å
    and A followed by a combining ring are one letter, a full-width ＡＬＩＳ01 is ALIS01), then
    case, spaces, punctuation and leading zeros folded away (Excel drops them from
    012345678). ALIS-01, alis 01 and ALIS01 are one doctor, so a copy or an overlap cannot hide
    behind a second spelling. Combining marks are part of their letter, never punctuation:
    ÅSE01 is never ASE01."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", alis_id).casefold())
    folded = "".join(ch for ch in text if ch.isalnum() or unicodedata.category(ch)[0] == "M")
    return folded.lstrip("0") or folded or alis_id


_ASCII_KEY = {c: (chr(c).lower() if chr(c).isalnum() else None) for c in range(128)}
"""doctor_key's folding for ASCII text, as one str.translate table: letters in lower case,
digits kept, everything else (spaces, punctuation, underscore) deleted."""


def doctor_keys(ids: "Any") -> "list[str]":
    """`doctor_key` over a column of ids, in one pass of pandas' string methods (ASCII ids;
    others go through doctor_key itself). A test holds it equal to doctor_key."""
    from grants.pipeline.codes import SMALL

    if len(ids) <= SMALL:  # a few: one at a time costs less than importing pandas
        return [doctor_key(str(i)) for i in ids]
    import pandas as pd

    series = pd.Series(ids, dtype=object).astype(str)
    ascii_ = series.str.isascii().to_numpy(dtype=bool)
    folded = series.str.translate(_ASCII_KEY)
    key = folded.str.lstrip("0")
    key = key.where(key != "", folded).where(folded != "", series)
    if not ascii_.all():
        key = key.where(ascii_, series[~ascii_].map(doctor_key))
    return key.tolist()


class LineInput(BaseModel):
    """One line of an application: a doctor, a municipality, a role, a share, a time span."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alis_id: str
    kommunenummer: str
    grant_type: GrantType
    role: Role
    position_share: Decimal
    start: date
    end: date
    via_agency: bool = False
    private_commercial: bool = False
    new_scheme: bool = True
    agreement_signed: date | None = None
    centrality_class: int | None = None
    first_gp_date: date | None = None
    centrality_supplement_applied: Decimal | None = None
    productivity_applied: Decimal | None = None
    supervision_hours: Decimal | None = None
    expenses: dict[str, Decimal] = {}

    @field_validator("*", mode="before")
    @classmethod
    def _parse(cls, value: Any, info: Any) -> Any:
        if value is None and info.field_name in OPTIONAL_COLUMNS:
            return None
        return PARSERS[info.field_name](value)

    @model_validator(mode="after")
    def _end_not_before_start(self) -> "LineInput":
        problem = end_before_start(self.start, self.end)
        if problem:
            raise ValueError(problem)
        return self


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that could not be computed, with where and why, in bokmål."""

    row: int
    column: str | None
    value: str | None
    message: str
    alis_id: str | None = None
    kommunenummer: str | None = None
    where: str | None = None  # where the row stood in the file («linje 12»), when read from one
    copy_of: int | None = None  # rejected as an exact copy: the row it copies

    def text(self) -> str:
        where = f"rad {self.row}" + (f" ({self.where})" if self.where else "")
        if self.column:
            where += f", kolonne «{self.column}»"
        if self.value is not None:
            where += f", verdi «{self.value}»"
        return f"{where}: {self.message}"


_PARSED: dict[tuple[str, str], Any] = {}
"""Parsed values of text cells by (field, text): a batch repeats its roles, municipalities,
shares, dates and yes/no values, and every parsed value is immutable."""
_MISSING = object()
_CACHE_LIMIT = 200_000
_CACHEABLE = frozenset(PARSERS) - {"alis_id", "expenses"}


def validate_row(row: int, record: Mapping[str, Any], header: Any) -> LineInput | Rejection:
    """One mapped record to a LineInput, or a Rejection naming the first bad column."""
    if record.get(ROW_ERROR):
        return _reject(row, None, None, str(record[ROW_ERROR]), record, header)
    values: dict[str, Any] = {}
    for field, column in header.field_to_column.items():
        value = record.get(column)
        if is_blank(value):
            if field in REQUIRED_COLUMNS:
                return _reject(row, column, None, "mangler verdi", record, header)
            continue
        if isinstance(value, str):
            value = value.strip()
            cached = _PARSED.get((field, value), _MISSING)
            if cached is not _MISSING:
                values[field] = cached
                continue
        try:
            if field.startswith(EXPENSE):
                values.setdefault("expenses", {})[field[len(EXPENSE):]] = parse_amount(value)
            else:
                parsed = values[field] = PARSERS[field](value)
                if isinstance(value, str) and field in _CACHEABLE and len(_PARSED) < _CACHE_LIMIT:
                    _PARSED[(field, value)] = parsed
        except ValueError as exc:
            return _reject(row, column, value, str(exc), record, header)
    problem = end_before_start(values["start"], values["end"])
    if problem:
        column = header.field_to_column["end"]
        return _reject(row, column, record.get(column), problem, record, header)
    # every field is parsed by the same PARSERS LineInput validates with; skip re-validation
    values.setdefault("expenses", {})
    return _construct({**DEFAULTS, **values})


_FIELDS = frozenset(LineInput.model_fields)
_set = object.__setattr__


def _construct_fast(values: dict[str, Any]) -> LineInput:
    """What LineInput.model_construct does for a complete set of parsed fields, without its
    per-field default handling (about 10 microseconds a row at 100,000 rows)."""
    line = LineInput.__new__(LineInput)
    _set(line, "__dict__", values)
    _set(line, "__pydantic_fields_set__", set(values))
    _set(line, "__pydantic_extra__", None)
    _set(line, "__pydantic_private__", None)
    return line


def _pick_constructor() -> Any:
    """Use the fast path only if it builds exactly what pydantic builds (checked once)."""
    sample = {**DEFAULTS, "alis_id": "x", "kommunenummer": "0301", "grant_type": GrantType.ALIS_AVTALE,
              "role": Role.FASTLEGE, "position_share": Decimal(100), "start": date(2023, 1, 1),
              "end": date(2023, 1, 31), "expenses": {}}
    try:
        fast, slow = _construct_fast(dict(sample)), LineInput.model_construct(**dict(sample))
        if fast == slow and fast.__pydantic_fields_set__ == slow.__pydantic_fields_set__ and set(sample) == _FIELDS:
            return _construct_fast
    except Exception:  # pragma: no cover - a pydantic that works differently
        pass
    return lambda values: LineInput.model_construct(**values)  # pragma: no cover


_construct = _pick_constructor()


def _reject(row: int, column: str | None, value: Any, message: str, record: Mapping[str, Any], header: Any) -> Rejection:
    def get(field: str) -> str | None:
        v = record.get(header.field_to_column.get(field, ""))
        return None if is_blank(v) else str(v).strip()

    return Rejection(row, column, None if is_blank(value) else str(value), message, get("alis_id"), get("kommunenummer"))
