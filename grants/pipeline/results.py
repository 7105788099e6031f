"""What the engine returns: one `LineResult` per row and period part, the rejections beside
them, totals per doctor and municipality, and the trace of each line as JSON-ready data."""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Iterator

from grants.domain import Status
from grants.pipeline.grammar import parse_municipality
from grants.pipeline.inputs import LineInput, Rejection
from grants.rules.rulebook import Rule
from grants.rules.formulas import ElementValue

if TYPE_CHECKING:
    import pandas as pd

    from grants.pipeline.facts import FactRow
    from grants.pipeline.provenance import Provenance
    from grants.rates.tables import RateTable


@dataclass(frozen=True, slots=True)
class LineResult:
    """The computation of one input row within one grant period."""

    row: int
    line: LineInput
    period: str
    rate_table: "RateTable"  # the period's rate table the line was priced by
    counted_start: date | None  # None: the line has no day in the period (status outside_period)
    counted_end: date | None
    whole_months: int
    kommunenavn: str
    centrality_class: int
    centrality_source: str  # "ssb" or "input"
    ssb_class: int  # what SSB's classification says, even when the input overrides it
    code_set: str
    centrality_group: str | None
    rate_path: str | None
    annual_rate: Decimal | None
    exact_amount: Decimal
    amount_nok: int
    status: Status
    reasons: tuple[str, ...]
    rules: tuple[Rule, ...]
    notes: tuple[str, ...] = ()
    elements: tuple[ElementValue, ...] = ()  # model B only
    line_periods: tuple[str, ...] = ()  # status outside_period: the periods the line's dates fall in
    provenance: "Provenance | None" = None  # set by GrantResult: the version and data hashes behind the line
    facts: "FactRow | None" = None  # the part's row in the batch's fact table: the facts the rules saw

    def __repr__(self) -> str:
        """One short line (the dataclass's own repr spells out the line, the rate table and
        every rule)."""
        return (f"LineResult(row={self.row}, alis_id={self.alis_id!r}, period={self.period!r}, "
                f"status={self.status.value!r}, whole_months={self.whole_months}, amount_nok={self.amount_nok})")

    @property
    def table(self) -> "RateTable":
        """The rate table (the former name of `rate_table`, kept for programs that read it)."""
        return self.rate_table

    @property
    def alis_id(self) -> str:
        return self.line.alis_id

    @property
    def kommunenummer(self) -> str:
        return self.line.kommunenummer

    @property
    def rates_status(self) -> str:
        return self.rate_table.status

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The rules that excluded, clipped or priced the line (not the paper conditions)."""
        return tuple(r.id for r in self.rules if r.kind != "paper_condition")

    @property
    def assumptions(self) -> tuple[Rule, ...]:
        """Paper conditions that concern this line: assumed, since no input carries them."""
        return tuple(r for r in self.rules if r.kind == "paper_condition")

    def as_row(self) -> dict[str, Any]:
        """The flat output row (CSV / JSON / DataFrame)."""
        return {
            "row": self.row,
            "alis_id": self.alis_id,
            "kommunenummer": self.kommunenummer,
            "kommunenavn": self.kommunenavn,
            "period": self.period,
            "grant_type": self.line.grant_type.value,
            "role": self.line.role.value,
            "position_share": str(self.line.position_share),
            "start": self.line.start.isoformat(),
            "end": self.line.end.isoformat(),
            "counted_start": None if self.counted_start is None else self.counted_start.isoformat(),
            "counted_end": None if self.counted_end is None else self.counted_end.isoformat(),
            "whole_months": self.whole_months,
            "centrality_class": self.centrality_class,
            "centrality_source": self.centrality_source,
            "annual_rate": None if self.annual_rate is None else int(self.annual_rate) if self.annual_rate == self.annual_rate.to_integral_value() else str(self.annual_rate),
            "amount_nok": self.amount_nok,
            "status": self.status.value,
            "reason": " | ".join(self.reasons + self.notes),
            "rule_ids": " ".join(self.rule_ids),
            "rates_status": self.rates_status,
            **self.element_columns(),
        }

    @property
    def basis(self) -> str:
        """What the amount is: a fixed rate (model A), the maximum, or a refund of expenses."""
        if self.rate_table.model == "A":
            return "fast sats"
        if any(e.cap == "expense" and e.capped_by is not None for e in self.elements):
            return "refusjon"
        return "maksimalt tilskudd"

    def element_columns(self) -> dict[str, Any]:
        """Model B: one column per element (kroner, rounded per element) and the basis."""
        if self.rate_table.model == "A":
            return {}
        cols: dict[str, Any] = {f"{e.element}_nok": e.amount_nok for e in self.elements}
        cols["basis"] = self.basis
        return cols

    def derived_facts(self) -> dict[str, Any] | None:
        """The facts posted to the rules for this part (dates in ISO form), read from its row of
        the batch's fact table; None for a part outside the period asked for."""
        if self.counted_start is None or self.facts is None:
            return None
        return self.facts.json()

    def trace(self) -> dict[str, Any]:
        """Everything needed to show why, standing alone: the facts the rules saw, the rules run,
        the constants used, the arithmetic, and the package version and hashes of the rules and
        rate table that produced it (grants.pipeline.trace)."""
        from grants.pipeline.trace import line_trace

        return line_trace(self)


@dataclass(frozen=True, slots=True)
class Total:
    key: str
    name: str
    lines: int
    amount_nok: int


@dataclass
class ResultColumns:
    """The one store of a batch's results: one row per result, in row and period order, with
    what totals, sorting and the output need as columns, and `make(i)`, which gives the i-th
    LineResult (a view of that row, made when asked for). A batch of a million lines never holds
    a million LineResult objects; lines made one by one (the model B lines the caps re-priced)
    are rows of the same store, their `make` handing back the line itself."""

    rows: Any  # numpy int64: the input row of each result
    first_days: Any  # numpy int64: the first day of the result's period (ordering within a row)
    amounts: Any  # numpy int64 (object of ints when an amount is beyond int64): kroner
    statuses: Any  # numpy object: Status
    periods: Any  # numpy object: period id
    months: Any  # numpy int64: whole months
    classes: Any  # numpy int64: centrality class used
    alis_ids: Any  # numpy object
    numbers: Any  # numpy object: kommunenummer
    names: Any  # numpy object: kommunenavn
    tables: dict[str, "RateTable"]  # period id -> rate table, for every period in `periods`
    make: Any  # Callable[[int], LineResult]
    fields_at: Any = None
    """Callable[[ndarray], tuple[dict, dict]]: the fields of results `at` as columns
    (grants.pipeline.trace.RESULT_FIELDS, and their inputs' fields), without making their
    LineResults (what traces read: grants.pipeline.trace.traces_of); None: read from the lines
    `make` gives."""

    lines_at: Any = None
    """Callable[[ndarray], list[LineResult]]: the lines of results `at`, made together (rows
    read in order cost less together); None: one by one by `make`."""

    def made_at(self, at: Any) -> list[LineResult]:
        """The LineResults of results `at` (indices)."""
        if self.lines_at is not None:
            return self.lines_at(at)
        return [self.make(int(i)) for i in at]

    def columns_at(self, at: Any) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        """The fields of results `at` (indices) as columns, and their inputs' fields."""
        if self.fields_at is not None:
            return self.fields_at(at)
        from grants.pipeline.trace import line_columns

        return line_columns([self.make(int(i)) for i in at])

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def of_lines(cls, lines: "Sequence[LineResult]") -> "ResultColumns":
        """Lines already made, as a store (in the order given)."""
        import numpy as np

        from grants.days import day_number

        kept = list(lines)

        def column(get: Any, dtype: Any) -> Any:
            values = [get(r) for r in kept]
            if dtype is None:  # kroner: int64 unless an amount is beyond it
                dtype = np.int64 if all(-2**63 <= v < 2**63 for v in values) else object
            return np.array(values, dtype=dtype) if values else np.zeros(0, dtype=dtype)

        return cls(
            rows=column(lambda r: r.row, np.int64),
            first_days=column(lambda r: day_number(r.rate_table.period.first_day), np.int64),
            amounts=column(lambda r: r.amount_nok, None), statuses=column(lambda r: r.status, object),
            periods=column(lambda r: r.period, object), months=column(lambda r: r.whole_months, np.int64),
            classes=column(lambda r: r.centrality_class, np.int64), alis_ids=column(lambda r: r.alis_id, object),
            numbers=column(lambda r: r.kommunenummer, object), names=column(lambda r: r.kommunenavn, object),
            tables={r.period: r.rate_table for r in kept}, make=kept.__getitem__,
        )

    def merged(self, other: "ResultColumns") -> "ResultColumns":
        """Two stores as one, in row and period order."""
        import numpy as np

        if not len(other):
            return self
        if not len(self):
            return other
        n = len(self)
        order = np.lexsort((np.concatenate([self.first_days, other.first_days]),
                            np.concatenate([self.rows, other.rows])))

        def both(name: str) -> Any:
            a, b = getattr(self, name), getattr(other, name)
            if a.dtype != b.dtype:
                a, b = a.astype(object), b.astype(object)
            return np.concatenate([a, b])[order]

        first, second = self.make, other.make

        def make(i: int) -> LineResult:
            k = int(order[i])
            return first(k) if k < n else second(k - n)

        def fields_at(at: Any) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
            ks = order[np.asarray(at, dtype=np.int64)]
            mine = ks < n
            a, b = self.columns_at(ks[mine]), other.columns_at(ks[~mine] - n)
            fields, inputs = ({name: interleave(mine, a[j][name], b[j][name]) for name in a[j]} for j in (0, 1))
            return fields, inputs

        def lines_at(at: Any) -> list[LineResult]:
            ks = order[np.asarray(at, dtype=np.int64)]
            mine = ks < n
            return interleave(mine, self.made_at(ks[mine]), other.made_at(ks[~mine] - n))

        names = ("rows", "first_days", "amounts", "statuses", "periods", "months", "classes", "alis_ids", "numbers",
                 "names")
        return ResultColumns(**{name: both(name) for name in names}, tables={**self.tables, **other.tables},
                             make=make, fields_at=fields_at, lines_at=lines_at)


def interleave(mine: Any, ours: list[Any], theirs: list[Any]) -> list[Any]:
    """Two stores' values in the merged order: ours where `mine`, theirs elsewhere."""
    a, b = iter(ours), iter(theirs)
    return [next(a) if m else next(b) for m in mine.tolist()]


class LazyLines(Sequence):
    """The results of a batch as a sequence of LineResult, each made from its row of the store
    when read; a small batch keeps them once made."""

    KEEP = 50_000

    def __init__(self, store: ResultColumns):
        self._store = store
        self._n = len(store)
        self._kept: list[LineResult] | None = None

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        if self._kept is not None:
            return self._kept[i]
        return self._store.make(i)

    def __iter__(self) -> Iterator[LineResult]:
        if self._kept is not None:
            return iter(self._kept)
        if self._n <= self.KEEP:
            self._kept = list(self._made())
            return iter(self._kept)
        return self._made()

    def _made(self) -> Iterator[LineResult]:
        """Every line in order, made a chunk at a time."""
        import numpy as np

        for a in range(0, self._n, _CHUNK):
            yield from self._store.made_at(np.arange(a, min(a + _CHUNK, self._n)))

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (list, Sequence)) else NotImplemented

    def __add__(self, other: Any) -> list[LineResult]:
        return list(self) + list(other)

    def __radd__(self, other: Any) -> list[LineResult]:
        return list(other) + list(self)

    def __repr__(self) -> str:
        return f"<{self._n} line results>"


@dataclass
class GrantResult:
    """The whole batch: results, rejections, totals, and the status of the rates used."""

    result_columns: ResultColumns
    """Every result, one row each, in row and period order (LineResult objects are made from it
    when read: `lines`). A list of LineResult is taken too, as a store of those lines."""
    rejections: list[Rejection]
    input_rows: int
    ignored_columns: tuple[str, ...] = ()
    _rate_tables: dict[str, "RateTable"] = field(default_factory=dict)
    """The rate tables asked for (a period named), whether or not a line used them."""
    evaluator: str = "durable_rules"  # or "vectorised": which implementation ran the rules
    passthrough: dict[str, list[str | None]] = field(default_factory=dict)
    """The officer's own columns (name, comment, case number ...), carried unchanged beside their
    row: output column name -> the value of each data row (index row - 1). A name that clashes
    with an output column gets the suffix " (inndata)"."""
    file_positions: list[int] | None = None
    """Where each data row stood in the file (index row - 1): the CSV line or the Excel row."""
    position_kind: str | None = None  # "csv_line" or "excel_row", when file_positions is given
    sheet: str | None = None  # the Excel sheet read, when the input was a workbook
    blank_rows: int = 0  # empty or separator-only rows in the file, skipped (not data rows)
    notes: list[str] = field(default_factory=list)
    """Notes on the batch as a whole, in bokmål (sessions not paid, possible duplicates)."""

    @property
    def lines(self) -> LazyLines:
        """Every result, in row and period order."""
        lazy = self.__dict__.get("_lazy")
        if lazy is None:
            lazy = self.__dict__["_lazy"] = LazyLines(self.result_columns)
        return lazy

    @lines.setter
    def lines(self, value: "Sequence[LineResult]") -> None:
        self.result_columns = ResultColumns.of_lines(list(value))
        self.__dict__.pop("_lazy", None)

    def attach_source(self, positions: list[int], kind: str, sheet: str | None, blank_rows: int,
                      where: Any = None) -> None:
        """Where each data row stood in the file (index row - 1); `where(row, column)` words it
        for rejections («linje 12, kolonne 5», «ark «Ark1», celle E7»)."""
        self.file_positions = positions
        self.position_kind = kind
        self.sheet = sheet
        self.blank_rows = blank_rows
        if where is not None:
            self.rejections = [replace(r, where=where(r.row, r.column)) for r in self.rejections]
    provenance: "Provenance | None" = None
    """The package version and the SHA-256 of the rules files and rate tables that produced this."""

    def __post_init__(self) -> None:
        if not isinstance(self.result_columns, ResultColumns):
            self.result_columns = ResultColumns.of_lines(list(self.result_columns))

    @property
    def total_nok(self) -> int:
        return sum(int(a) for a in _sums(self.result_columns.amounts))

    def _used_tables(self) -> dict[str, "RateTable"]:
        """The tables the results used, in period order."""
        return dict(sorted(self.result_columns.tables.items(), key=lambda kv: kv[1].period.first_day))

    def rate_tables(self) -> list["RateTable"]:
        """The rate tables the results used and the ones asked for, in period order."""
        tables = {**self._used_tables(), **self._rate_tables}
        return sorted(tables.values(), key=lambda t: t.period.first_day)

    @property
    def rates_statuses(self) -> dict[str, str]:
        """Period id -> status (official / provisional / illustrative) of every table used."""
        return {t.id: t.status for t in self.rate_tables()}

    def provenance_json(self) -> dict[str, Any] | None:
        """Version and hashes of the rules files and of the rate tables this result used."""
        if self.provenance is None:
            return None
        return self.provenance.as_json(self.rates_statuses)

    @property
    def uses_unofficial_rates(self) -> bool:
        return any(s != "official" for s in self.rates_statuses.values())

    def totals_by_doctor(self) -> list[Total]:
        """Per doctor, however the id is written (grants.pipeline.inputs.doctor_key): one
        total under the first spelling met."""
        import numpy as np

        from grants.pipeline.codes import factorize
        from grants.pipeline.inputs import doctor_keys

        ids = self.column("alis_id")
        codes, spellings = factorize(ids)
        keys = np.asarray(doctor_keys([str(s) for s in spellings]) + [""], dtype=object)[codes]
        return self._totals(keys, ids, shown_by_name=True)

    def totals_by_municipality(self) -> list[Total]:
        return self._totals(self.column("kommunenummer"), self.column("kommunenavn"))

    def totals_by_period(self) -> list[Total]:
        periods = self.column("period")
        return self._totals(periods, periods)

    def _totals(self, keys: Any, names: Any, shown_by_name: bool = False) -> list[Total]:
        """Lines and kroner per key, summed over columns; the name is the key's first one
        (with `shown_by_name`, the total is also keyed by that name: a doctor's first spelling)."""
        import numpy as np

        from grants.pipeline.codes import factorize

        if len(keys) == 0:
            return []
        codes, uniques = factorize(keys)
        first = np.unique(codes, return_index=True)[1]
        counts = np.bincount(codes, minlength=len(uniques))
        amounts = self.column("amount_nok")
        if amounts.dtype == object:  # beyond int64: exact Python integers
            sums = [0] * len(uniques)
            for c, a in zip(codes.tolist(), amounts.tolist()):
                sums[c] += int(a)
        else:
            sums = np.zeros(len(uniques), dtype=np.int64)
            np.add.at(sums, codes, amounts)
        order = sorted(range(len(uniques)), key=lambda k: uniques[k])
        return [Total(str(names[first[k]] if shown_by_name else uniques[k]), names[first[k]], int(counts[k]),
                      int(sums[k])) for k in order]

    def rows(self) -> list[dict[str, Any]]:
        """Output rows in input order: each result, and each rejected row with its reason."""
        return list(self.iter_rows())

    def iter_rows(self) -> Iterator[dict[str, Any]]:
        """The same rows one at a time, so a large batch can be written without a copy."""
        results = (r.as_row() for r in self.lines)  # engine keeps lines sorted by row, then period
        table = next(iter(self._rate_tables.values())) if len(self._rate_tables) == 1 else None
        rejected = (_rejection_row(rej, table) for rej in self.rejections)  # sorted by row
        merged = heapq.merge(results, rejected, key=lambda d: d["row"])
        if not self.passthrough and self.file_positions is None:
            return merged
        return (self._with_input_columns(d) for d in merged)

    def _with_input_columns(self, d: dict[str, Any]) -> dict[str, Any]:
        i = d["row"] - 1
        if self.file_positions is not None:
            d["file_line"] = self.file_positions[i]
        for name, values in self.passthrough.items():
            d[name] = values[i]
        return d

    @property
    def columns(self) -> list[str]:
        """The output columns: the common ones, then (when a model B period is in the batch)
        one column per element and the basis."""
        extra: dict[str, None] = {}
        for table in {id(t): t for t in self._used_tables().values() if t.model == "B"}.values():
            extra.update((f"{name}_nok", None) for name in table.elements or {})
        if extra:
            extra["basis"] = None
        where = ["file_line"] if self.file_positions is not None else []
        # new columns go after today's, so programs that read them by position are not moved
        return list(LINE_COLUMNS) + list(extra) + where + list(self.passthrough)

    def to_frame(self) -> "pd.DataFrame":
        import pandas as pd

        frame = pd.DataFrame(self.rows(), columns=self.columns)
        for column in ("row", "whole_months", "centrality_class", "amount_nok") + tuple(
            c for c in self.columns if c.endswith("_nok")
        ):
            frame[column] = frame[column].astype("Int64")  # whole kroner, empty for rejected rows
        return frame

    def iter_lines(self) -> Iterator[LineResult]:
        """The results one at a time, in row and period order, built as they are asked for (a
        large batch never needs all its LineResult objects at once)."""
        return iter(self.lines)

    def column(self, name: str) -> "Any":
        """One output field over the results (not the rejections), in row and period order, as a
        numpy array: row, amount_nok, whole_months, centrality_class (int64), status, period,
        alis_id, kommunenummer (object)."""
        store = self.result_columns
        attrs = {"row": "rows", "amount_nok": "amounts", "whole_months": "months", "centrality_class": "classes",
                 "status": "statuses", "period": "periods", "alis_id": "alis_ids", "kommunenummer": "numbers",
                 "kommunenavn": "names"}
        if name not in attrs:
            raise KeyError(name)
        values = getattr(store, attrs[name])
        return _status_values(values) if name == "status" else values

    def traces(self) -> list[dict[str, Any]]:
        """The trace of every line, each with the version and data hashes that produced it."""
        return list(self.iter_traces())

    def iter_traces(self) -> Iterator[dict[str, Any]]:
        """The traces one at a time, in row and period order, read from the store a chunk at a
        time (`ResultColumns.columns_at`: for a batch the engine computed, without making the
        LineResults); each is the trace `LineResult.trace()` gives."""
        import numpy as np

        from grants.pipeline.trace import traces_of

        store = self.result_columns
        for a in range(0, len(store), _CHUNK):
            yield from traces_of(*store.columns_at(np.arange(a, min(a + _CHUNK, len(store)))))

    def line(self, row: int, period: str | None = None) -> LineResult | None:
        """The result of one input row (in `period`, when the row was split), or None."""
        import numpy as np

        rows = self.column("row")
        lines = self.lines
        for i in range(int(np.searchsorted(rows, row, "left")), int(np.searchsorted(rows, row, "right"))):
            r = lines[i]
            if period is None or r.period == period:
                return r
        return None

    def rejection(self, row: int) -> Rejection | None:
        return next((r for r in self.rejections if r.row == row), None)


def _rejection_row(rej: Rejection, table: "RateTable | None") -> dict[str, Any]:
    kommune = rej.kommunenummer
    if kommune is not None:
        try:
            kommune = parse_municipality(kommune)
        except ValueError:
            pass
    return {
        "row": rej.row,
        "alis_id": rej.alis_id,
        "kommunenummer": kommune,
        "period": table.id if table is not None else None,
        "status": Status.REJECTED.value,
        "reason": rej.text(),
        "amount_nok": None,
        "rates_status": table.status if table is not None else None,
    }


_CHUNK = 1024
"""Lines or traces made at a time (their rows read together)."""

LINE_COLUMNS = (
    "row", "alis_id", "kommunenummer", "kommunenavn", "period", "grant_type", "role", "position_share",
    "start", "end", "counted_start", "counted_end", "whole_months", "centrality_class", "centrality_source",
    "annual_rate", "amount_nok", "status", "reason", "rule_ids", "rates_status",
)


def _sums(amounts: Any) -> list[int]:
    """The kroner of a column in pieces that cannot overflow (exact Python ints)."""
    import numpy as np

    if getattr(amounts, "dtype", None) == object:
        return [sum(int(a) for a in amounts)]
    return [int(np.sum(amounts[i:i + 1_000_000], dtype=np.int64)) for i in range(0, len(amounts), 1_000_000)]


def _status_values(statuses: Any) -> Any:
    """Status objects as their values, mapped per distinct status."""
    import numpy as np

    from grants.pipeline.codes import factorize

    codes, uniques = factorize(statuses)

    return np.array([u.value for u in uniques], dtype=object)[codes]
