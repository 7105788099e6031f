"""The fact table of a batch and the rules that fire on it.

One table per batch, one row per line part (grants.pipeline.parts), one column per fact of
grants.rules.facts.FACTS: dates as day numbers (grants.days), shares in hundredths of a percent,
enums coded, optional dates with a presence mask. Both evaluators read this one table: the
numpy masks of the rules' conditions run over its columns, and the dicts posted to durable_rules
are its rows (`dicts`). Each result keeps its row in the table (`FactRow`), and a trace shows
that row: the facts that were posted, never facts built again afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from grants.errors import ConservationError
from grants.pipeline.blocks import RowReader
from grants.pipeline.codes import combine, factorize
from grants.rules.conditions import Coded, FactColumns, mask_function
from grants.rules.facts import DERIVED_FACTS, FACT_JSON, FACTS, facts_json

if TYPE_CHECKING:
    from grants.pipeline.columns import InputColumns
    from grants.pipeline.parts import Parts
    from grants.rules.durable_adapter import RuleRunner
    from grants.rules.rulebook import RuleBook

CHUNK = 10_000
"""Rows turned into dicts and posted to durable_rules at a time, so the dicts of a large batch
never all exist."""
_WORD = 62
"""Rules per machine word when the fired rules are kept as bits."""


class FactTable:
    """The facts of n line parts as columns (grants.rules.conditions.FactColumns)."""

    def __init__(self, given: Mapping[str, tuple[Any, np.ndarray | None]], n: int):
        missing = set(FACTS) - set(given) - set(DERIVED_FACTS)
        if missing:
            raise ValueError(f"the fact table lacks {', '.join(sorted(missing))}")
        derived = {name: how for name, how in DERIVED_FACTS.items() if name not in given}
        self.columns = FactColumns(dict(given), derived)
        self.n = n
        self._row_plan: tuple[Any, Any, RowReader] | None = None

    @classmethod
    def of_parts(cls, parts: "Parts", cols: "InputColumns", first_days: np.ndarray) -> "FactTable":
        """The facts of a batch's parts: the part's and the line's days, the period's first day
        (`first_days`: each table's first day as a day number), and the line's fields."""
        rows = parts.rows
        override = cols.centrality_override()[rows]
        given: dict[str, tuple[Any, np.ndarray | None]] = {
            "period_first_day": (first_days[parts.which], None),
            "part_start": (parts.start, None),
            "part_end": (parts.end, None),
            "line_start": (parts.line_start, None),
            "line_end": (parts.line_end, None),
            "centrality_class": (np.where(override > 0, override, parts.classes), None),
            "position_share": (cols.share_hundredths()[rows], None),
        }
        for name, spec in FACTS.items():
            if name in given or name in DERIVED_FACTS:
                continue
            if spec.kind == "enum":
                codes, uniques = factorize(cols.values(name)[rows])
                values = np.array([u.value for u in uniques], dtype=object)
                index = {v: i for i, v in enumerate(values.tolist())}
                given[name] = (Coded(values[codes] if len(uniques) else np.zeros(0, dtype=object), codes, index), None)
            elif spec.kind == "bool":
                given[name] = (cols.flags(name)[rows], None)
            elif spec.kind == "date" and spec.optional:
                exists = cols.present(name)[rows]
                given[name] = (np.where(exists, cols.days(name)[rows], 0), exists)
            else:  # pragma: no cover - a new fact needs its column here
                raise ValueError(f"the fact {name} has no column in the fact table")
        return cls(given, len(rows))

    def __getitem__(self, name: str) -> tuple[Any, np.ndarray | None]:
        return self.columns[name]

    def dicts(self, a: int = 0, b: int | None = None) -> list[dict[str, Any]]:
        """Rows a..b as the dicts posted to durable_rules: every fact by name, an optional fact
        only where it is given (an absent fact is a missing key, grants.rules.conditions)."""
        b = self.n if b is None else min(b, self.n)
        if b <= a:
            return []
        view = self.columns.subset(np.arange(a, b))
        columns: dict[str, list[Any]] = {}
        optional: dict[str, np.ndarray] = {}
        for name, spec in FACTS.items():
            values, exists = view[name]
            if isinstance(values, Coded):
                values = values.values
            if spec.kind == "bool":
                columns[name] = np.asarray(values, dtype=bool).tolist()
            elif spec.kind == "enum":
                columns[name] = list(values)
            else:
                columns[name] = np.asarray(values, dtype=np.int64).tolist()
            if exists is not None:
                optional[name] = np.asarray(exists, dtype=bool)
        always = [k for k in columns if k not in optional]
        out = [dict(zip(always, values)) for values in zip(*(columns[k] for k in always))]
        for name, exists in optional.items():
            values = columns[name]
            for i in np.flatnonzero(exists).tolist():
                out[i][name] = values[i]
        return out

    def rows_json(self, rows: Sequence[int]) -> list[dict[str, Any]]:
        """Rows as a trace shows them (`facts_json` of `row_dict`: the same keys in the same
        order, each value shown by FACT_JSON), read column by column; one row alone as
        `facts_json(row_dict(i))`."""
        if len(rows) <= 1:
            return [facts_json(self.row_dict(int(i))) for i in rows]
        at = np.asarray(rows, dtype=np.int64)
        always: list[str] = []
        columns: list[list[Any]] = []
        optional: list[tuple[str, list[Any], list[bool]]] = []
        for name, spec in FACTS.items():
            values, exists = self.columns[name]
            if isinstance(values, Coded):
                values = values.values
            taken = (values[at] if spec.kind == "enum" else
                     np.asarray(values, dtype=bool if spec.kind == "bool" else np.int64)[at]).tolist()
            convert = FACT_JSON[name]
            if convert is not None:
                taken = [convert(v) for v in taken]
            if exists is None:
                always.append(name)
                columns.append(taken)
            else:
                optional.append((name, taken, np.asarray(exists, dtype=bool)[at].tolist()))
        out = [dict(zip(always, values)) for values in zip(*columns)]
        for name, taken, given in optional:
            for k in (k for k, g in enumerate(given) if g):
                out[k][name] = taken[k]
        return out

    def row(self, i: int) -> "FactRow":
        return FactRow(self, i)

    def row_dict(self, i: int) -> dict[str, Any]:
        """Row i as `dicts` gives it (the same keys in the same order, the same values), read
        straight from the columns; rows read in order are read a block at a time
        (grants.pipeline.blocks)."""
        if self._row_plan is None:  # the columns, as `dicts` converts them, once per table
            always: list[tuple[str, int]] = []
            optional: list[tuple[str, int, int]] = []
            columns: list[np.ndarray] = []
            for name, spec in FACTS.items():
                values, exists = self.columns[name]
                if isinstance(values, Coded):
                    values = values.values
                columns.append(values if spec.kind == "enum" else
                               np.asarray(values, dtype=bool if spec.kind == "bool" else np.int64))
                if exists is None:
                    always.append((name, len(columns) - 1))
                else:
                    columns.append(np.asarray(exists, dtype=bool))
                    optional.append((name, len(columns) - 2, len(columns) - 1))
            self._row_plan = (always, optional, RowReader(columns))
        always, optional, reader = self._row_plan
        values = reader.row(i)
        out = {name: values[k] for name, k in always}
        for name, k, given in optional:
            if values[given]:
                out[name] = values[k]
        return out


@dataclass(frozen=True, slots=True)
class FactRow:
    """One row of a fact table: the facts posted for one line part."""

    table: FactTable
    index: int

    def as_dict(self) -> dict[str, Any]:
        """The facts as posted (dates as day numbers, shares in hundredths)."""
        return self.table.row_dict(self.index)

    def json(self) -> dict[str, Any]:
        """The facts as a trace shows them (dates in ISO form)."""
        return self.table.rows_json([self.index])[0]

    def day(self, name: str) -> int | None:
        """A date fact of this row as a day number, None where the line does not give it."""
        values, exists = self.table[name]
        if exists is not None and not exists[self.index]:
            return None
        return int(values[self.index])


@dataclass
class Fired:
    """The rules that fired on each row of a fact table: a code per row, equal for rows on
    which the same rules fired, and the rule keys of each code."""

    codes: np.ndarray
    names: list[list[str]]
    evaluator: str  # "vectorised" or "durable_rules"


def fire(table: FactTable, rulebook: "RuleBook", runner: "RuleRunner | None",
         labels: Callable[[int, int], Sequence[str]] | None = None) -> Fired:
    """The rules in force that hold on each row: over columns (numpy masks) when `runner` is
    None, else through durable_rules on the table's rows as dicts, CHUNK rows at a time (with
    `labels(a, b)` naming rows a..b in the adapter's errors). Both give the same answer (the
    differential tests hold them equal)."""
    if runner is None:
        return _fire_masks(table, rulebook)
    if table.n == 0:
        return Fired(np.zeros(0, dtype=np.int64), [], "durable_rules")
    names_of: dict[tuple[str, ...], int] = {}
    codes = np.empty(table.n, dtype=np.int64)
    for a in range(0, table.n, CHUNK):
        b = min(a + CHUNK, table.n)
        facts = table.dicts(a, b)
        fired = runner.fire(facts, labels=labels(a, b) if labels is not None else None)
        if len(fired) != len(facts):
            raise ConservationError(f"posted {len(facts)} facts, got {len(fired)} outcomes back")
        codes[a:b] = [names_of.setdefault(tuple(sorted(names)), len(names_of)) for names in fired]
    return Fired(codes, [list(k) for k in names_of], "durable_rules")


def _fire_masks(table: FactTable, rulebook: "RuleBook") -> Fired:
    """Each rule's condition as a numpy mask over the table; the rules that fired kept as bits
    of machine words, one code per distinct set."""
    if table.n == 0:
        return Fired(np.zeros(0, dtype=np.int64), [], "vectorised")
    keys = list(rulebook.in_force)
    words = []
    for w in range(0, len(keys), _WORD):
        bits = np.zeros(table.n, dtype=np.int64)
        for b, k in enumerate(keys[w:w + _WORD]):
            bits |= mask_function(rulebook.in_force[k])(table.columns).astype(np.int64) << b
        words.append(bits)
    codes, _ = factorize(combine(words, table.n) if words else np.zeros(table.n, dtype=np.int64))
    first = np.unique(codes, return_index=True)[1].tolist()
    names = [[k for j, k in enumerate(keys) if (int(words[j // _WORD][i]) >> (j % _WORD)) & 1] for i in first]
    return Fired(codes.astype(np.int64), names, "vectorised")
