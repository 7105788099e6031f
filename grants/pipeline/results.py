"""What the engine returns: one `LineResult` per row and period part, the rejections beside
them, totals per doctor and municipality, and the trace of each line as JSON-ready data."""
from __future__ import annotations

import functools
import heapq
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterator

from grants.domain import Status
from grants.rules.facts import facts_json, part_facts
from grants.pipeline.inputs import LineInput, Rejection, parse_municipality
from grants.money import ROUNDING_RULE, exact
from grants.pipeline.months import calendar_months, counted_by
from grants.rules.rulebook import Rule
from grants.rules.formulas import ElementValue
from grants.rules.ruletext import rule_text

if TYPE_CHECKING:
    import pandas as pd

    from grants.pipeline.provenance import Provenance
    from grants.rates.tables import RateTable


@dataclass(frozen=True, slots=True)
class LineResult:
    """The computation of one input row within one grant period."""

    row: int
    line: LineInput
    period: str
    table: "RateTable"
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

    @property
    def alis_id(self) -> str:
        return self.line.alis_id

    @property
    def kommunenummer(self) -> str:
        return self.line.kommunenummer

    @property
    def rates_status(self) -> str:
        return self.table.status

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
        if self.table.model == "A":
            return "fast sats"
        if any(e.cap == "expense" and e.capped_by is not None for e in self.elements):
            return "refusjon"
        return "maksimalt tilskudd"

    def element_columns(self) -> dict[str, Any]:
        """Model B: one column per element (kroner, rounded per element) and the basis."""
        if self.table.model == "A":
            return {}
        cols: dict[str, Any] = {f"{e.element}_nok": e.amount_nok for e in self.elements}
        cols["basis"] = self.basis
        return cols

    def derived_facts(self) -> dict[str, Any] | None:
        """The facts posted to the rule engine for this part (dates in ISO form); None for a
        part outside the period asked for, which no rule saw."""
        if self.counted_start is None:
            return None
        p = self.table.period
        start, end = max(self.line.start, p.first_day), min(self.line.end, p.last_day)
        return facts_json(part_facts(self.line, self.table, start, end, self.centrality_class))

    @exact
    def trace(self) -> dict[str, Any]:
        """Everything needed to show why, standing alone: the facts the rules saw, the rules run,
        the constants used, the arithmetic, and the package version and hashes of the rules and
        rate table that produced it."""
        t = self.table
        constants = _constants_json(t, self.rate_path, self.centrality_group)
        counted = self.counted_start is not None and self.counted_end is not None
        months = _month_labels(self.counted_start, self.counted_end) if counted_by(self.rules, t) == "calendar" and counted else []
        return {
            "row": self.row,
            "period": _period_json(t),
            "status": self.status.value,
            "input": _input_json(self.line),
            "centrality": {
                "class": self.centrality_class,
                "from": self.centrality_source,
                "ssb_class": self.ssb_class,
                "classification": t.centrality.classification,
                "code_set": self.code_set,
                "municipality": self.kommunenavn,
                "group": self.centrality_group,
            },
            "interval": {
                "line": [self.line.start.isoformat(), self.line.end.isoformat()],
                "counted": [self.counted_start.isoformat(), self.counted_end.isoformat()] if counted else None,
            },
            "rules": [_rule_json(r, t) for r in self.rules if r.kind != "paper_condition"],
            "assumptions": [_rule_json(r, t) for r in self.assumptions],
            "months": {"method": counted_by(self.rules, t), "count": self.whole_months, "calendar_months": months},
            "constants": constants,
            "calculation": {
                "share": str(self.line.position_share / 100),
                "exact_amount": str(self.exact_amount),
                "amount_nok": self.amount_nok,
                "rounding": ROUNDING_RULE,
            },
            "elements": [_element_json(e) for e in self.elements],
            "reasons": list(self.reasons),
            "notes": list(self.notes),
            "facts": self.derived_facts(),
            "provenance": None if self.provenance is None else self.provenance.as_json([self.period]),
        }


@functools.lru_cache(maxsize=16384)
def _month_label_tuple(start: date, end: date) -> tuple[str, ...]:
    return tuple(f"{y:04d}-{m:02d}" for y, m in calendar_months(start, end))


def _month_labels(start: date, end: date) -> list[str]:
    return list(_month_label_tuple(start, end))


_STATIC_JSON: dict[tuple[Any, ...], dict[str, Any]] = {}


def _period_json(t: "RateTable") -> dict[str, Any]:
    key = ("period", id(t))
    entry = _STATIC_JSON.get(key)
    if entry is None or entry["_table"] is not t:
        p = t.period
        entry = {"_table": t, "id": t.id, "first_day": p.first_day.isoformat(), "last_day": p.last_day.isoformat()}
        _STATIC_JSON[key] = entry
    return {k: v for k, v in entry.items() if k != "_table"}


def _constants_json(t: "RateTable", rate_path: str | None, group: str | None) -> dict[str, Any]:
    """The constants a line used, with their source; built once per table and rate."""
    key = ("constants", id(t), rate_path, group)
    entry = _STATIC_JSON.get(key)
    if entry is None or entry["_table"] is not t:
        source = None
        annual = None
        if rate_path and group:
            amount = t.rate(rate_path, group)
            annual = str(amount.amount)
            src = t.source(amount.source)
            source = {"id": src.id, "title": src.title, "url": src.url}
        entry = {
            "_table": t,
            "annual_rate": annual,
            "rate_path": None if rate_path is None else f"annual_rates.{rate_path}.{group}",
            "rate_source": source,
            "rates_status": t.status,
            "rates_file": f"rates/{t.id}.yaml",
        }
        _STATIC_JSON[key] = entry
    out = {k: v for k, v in entry.items() if k != "_table"}
    if out["rate_source"] is not None:
        out["rate_source"] = dict(out["rate_source"])
    return out


def _element_json(e: ElementValue) -> dict[str, Any]:
    return {
        "element": e.element,
        "formula": e.formula,
        "months": e.months,
        "annual_maximum": None if e.annual_maximum is None else str(e.annual_maximum),
        "maximum": str(e.maximum),
        "cap": e.cap,
        "capped_by": None if e.capped_by is None else str(e.capped_by),
        "granted": str(e.granted),
        "amount_nok": e.amount_nok,
        "window": None if e.window is None else [e.window[0].isoformat(), e.window[1].isoformat()],
        "base": None if e.base is None else str(e.base),
        "share": None if e.share is None else str(e.share),
        "hours": None if e.hours is None else str(e.hours),
        "hourly_rate": None if e.hourly_rate is None else str(e.hourly_rate),
        "hours_from": e.hours_from,
        "sharing": None if e.sharing is None else {
            "carried_by": e.sharing.carried_by,
            "capped_by": str(e.sharing.capped_by),
            "rows": list(e.sharing.rows),
            "maxima": [str(m) for m in e.sharing.maxima],
            "maximum_total": str(e.sharing.maximum_total),
            "granted_total": str(e.sharing.granted_total),
            "kroner_total": e.sharing.kroner_total,
            "allotments": list(e.sharing.allotments),
            "method": "largest remainder, in proportion to the lines' maxima (docs/DOMAIN.md section 8)",
        },
    }


_RULE_JSON: dict[str, dict[str, Any]] = {}


def _rule_json(rule: Rule, table: "RateTable") -> dict[str, Any]:
    """A rule as the trace shows it, its text filled from the period's rate table; built once
    per rule version and table and shared (read-only)."""
    key = f"{rule.key}|{table.id}|{table.file}"
    entry = _RULE_JSON.get(key)
    if entry is None or entry["description"] != rule.description or entry["_table"] is not table:
        entry = {
            "id": rule.id,
            "version_from": rule.valid_from,
            "kind": rule.kind,
            "description": rule.description,
            "text_nb": rule_text(rule, table),
            "citation": rule.citation.text(),
            "_table": table,
        }
        _RULE_JSON[key] = entry
    entry = dict(entry)
    del entry["_table"]
    return entry


def _input_json(line: LineInput) -> dict[str, Any]:
    return {
        "alis_id": line.alis_id,
        "kommunenummer": line.kommunenummer,
        "grant_type": line.grant_type.value,
        "role": line.role.value,
        "position_share": str(line.position_share),
        "start": line.start.isoformat(),
        "end": line.end.isoformat(),
        "via_agency": line.via_agency,
        "private_commercial": line.private_commercial,
        "new_scheme": line.new_scheme,
        "agreement_signed": None if line.agreement_signed is None else line.agreement_signed.isoformat(),
        "centrality_class": line.centrality_class,
        "first_gp_date": None if line.first_gp_date is None else line.first_gp_date.isoformat(),
        "centrality_supplement_applied": None if line.centrality_supplement_applied is None else str(line.centrality_supplement_applied),
        "productivity_applied": None if line.productivity_applied is None else str(line.productivity_applied),
        "supervision_hours": None if line.supervision_hours is None else str(line.supervision_hours),
        "expenses": {k: str(v) for k, v in line.expenses.items()},
    }


@dataclass(frozen=True, slots=True)
class Total:
    key: str
    name: str
    lines: int
    amount_nok: int


@dataclass
class GrantResult:
    """The whole batch: results, rejections, totals, and the status of the rates used."""

    lines: list[LineResult]
    rejections: list[Rejection]
    input_rows: int
    ignored_columns: tuple[str, ...] = ()
    _tables: dict[str, "RateTable"] = field(default_factory=dict)
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
        # Each line carries the provenance too, so that its trace stands alone. The lines were
        # just built by the engine for this result; setting the field here (rather than in every
        # place a LineResult is made) is one assignment per line.
        if self.provenance is not None:
            for r in self.lines:
                if r.provenance is None:
                    object.__setattr__(r, "provenance", self.provenance)

    @property
    def total_nok(self) -> int:
        return sum(r.amount_nok for r in self.lines)

    @property
    def rates_statuses(self) -> dict[str, str]:
        """Period id -> status (official / provisional / illustrative) of every table used."""
        return {r.period: r.rates_status for r in self.lines} | {k: v.status for k, v in self._tables.items()}

    def provenance_json(self) -> dict[str, Any] | None:
        """Version and hashes of the rules files and of the rate tables this result used."""
        if self.provenance is None:
            return None
        return self.provenance.as_json(self.rates_statuses)

    @property
    def uses_unofficial_rates(self) -> bool:
        return any(s != "official" for s in self.rates_statuses.values())

    def totals_by_doctor(self) -> list[Total]:
        return self._totals(lambda r: (r.alis_id, r.alis_id))

    def totals_by_municipality(self) -> list[Total]:
        return self._totals(lambda r: (r.kommunenummer, r.kommunenavn))

    def totals_by_period(self) -> list[Total]:
        return self._totals(lambda r: (r.period, r.period))

    def _totals(self, key) -> list[Total]:
        acc: dict[str, list] = {}
        for r in self.lines:
            k, name = key(r)
            entry = acc.setdefault(k, [name, 0, 0])
            entry[1] += 1
            entry[2] += r.amount_nok
        return [Total(k, v[0], v[1], v[2]) for k, v in sorted(acc.items())]

    def rows(self) -> list[dict[str, Any]]:
        """Output rows in input order: each result, and each rejected row with its reason."""
        return list(self.iter_rows())

    def iter_rows(self) -> Iterator[dict[str, Any]]:
        """The same rows one at a time, so a large batch can be written without a copy."""
        results = (r.as_row() for r in self.lines)  # engine keeps lines sorted by row, then period
        table = next(iter(self._tables.values())) if len(self._tables) == 1 else None
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
        for table in {id(r.table): r.table for r in self.lines if r.table.model == "B"}.values():
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
        import numpy as np

        if name in ("row", "amount_nok", "whole_months", "centrality_class"):
            return np.fromiter((getattr(r, name) for r in self.lines), dtype=np.int64, count=len(self.lines))
        if name == "status":
            return np.array([r.status.value for r in self.lines], dtype=object)
        if name in ("period", "alis_id", "kommunenummer"):
            return np.array([getattr(r, name) for r in self.lines], dtype=object)
        raise KeyError(name)

    def traces(self) -> list[dict[str, Any]]:
        """The trace of every line, each with the version and data hashes that produced it."""
        return [r.trace() for r in self.lines]

    def line(self, row: int, period: str | None = None) -> LineResult | None:
        for r in self.lines:
            if r.row == row and (period is None or r.period == period):
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


LINE_COLUMNS = (
    "row", "alis_id", "kommunenummer", "kommunenavn", "period", "grant_type", "role", "position_share",
    "start", "end", "counted_start", "counted_end", "whole_months", "centrality_class", "centrality_source",
    "annual_rate", "amount_nok", "status", "reason", "rule_ids", "rates_status",
)
