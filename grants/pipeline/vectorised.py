"""The same rules files, evaluated over whole columns with numpy: for large batches, rate
checks and budget impact runs.

It reads the rules and rate tables the durable_rules path reads (no second copy of any number
or condition): each rule's condition is compiled to a numpy mask by grants.rules.conditions, the same
compiler and the same typed tree that give the durable_rules JSON,
and the model A formula is done in exact integer arithmetic (amounts in øre hundredths, shares
in hundredths of a percent) with the project's rounding rule, half up to whole kroner. A test
checks it line for line against the durable_rules path (amount, status, rule ids).

Scope: model A periods, and lines whose share has at most two decimals; anything else is
refused with ValueError so the caller uses the durable_rules path.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from grants.domain import Status
from grants.errors import RulesError
from grants.rules.conditions import Coded as _Coded, FactColumns as _Facts, mask_function
from grants.rules.formulas import Expression, model_a_amounts as _model_a_amounts  # noqa: F401
from grants.months import (  # noqa: F401 - the column forms, re-exported
    anniversary_month_counts as anniversary_month_count, calendar_month_counts as calendar_month_count,
)
from grants.rules.facts import DERIVED_FACTS as _LINE_MONTH_FACTS
from grants.rules.rulebook import counted_by
from grants.pipeline.overlaps import overlapping
from grants.pipeline.inputs import LineInput, doctor_keys
from grants.rates.tables import RateTable
from grants.rules.rulebook import MODEL_REQUIREMENTS

if TYPE_CHECKING:
    from grants.pipeline.engine import Engine

_EPOCH = np.datetime64("1970-01-01", "D")
_SCALE_RATE = 100  # annual rates in hundredths of a krone
_SCALE_SHARE = 100  # shares in hundredths of a percent

OPTIONAL_DEFAULTS = {"via_agency": False, "private_commercial": False, "new_scheme": True}
OPTIONAL_DATES = ("agreement_signed", "first_gp_date")


def _days(values: Any) -> np.ndarray:
    """Dates (datetime64, Timestamp, date or ISO text) as int64 days since 1970-01-01. Text that
    is not ISO (01.03.2022 could be read month first) is refused: parse it with grants.pipeline.inputs."""
    series = pd.Series(values)
    if len(series) and isinstance(series.iloc[0], str):
        series = pd.to_datetime(series, format="ISO8601")
    return pd.to_datetime(series).to_numpy(dtype="datetime64[D]").astype("int64")


def _day_of(d: date) -> int:
    return int((np.datetime64(d, "D") - _EPOCH).astype("int64"))



def _shares_in_hundredths(values: Any) -> np.ndarray:
    """Percent shares as exact integers (hundredths of a percent); more decimals are refused."""
    if len(values) and isinstance(values[0], (Decimal, str)):
        dec = [Decimal(str(v).replace(",", ".").replace("%", "").strip()) for v in values]
        scaled = [d * _SCALE_SHARE for d in dec]
        if any(s != s.to_integral_value() for s in scaled):
            raise ValueError("the vectorised path takes shares with at most two decimals")
        return np.array([int(s) for s in scaled], dtype=np.int64)
    f = np.asarray(values, dtype=np.float64) * _SCALE_SHARE
    r = np.rint(f)
    if not np.all(np.abs(f - r) < 1e-6):
        raise ValueError("the vectorised path takes shares with at most two decimals")
    return r.astype(np.int64)



def _check_canonical(coded: dict[str, "_Coded"]) -> None:
    """The text columns must hold canonical values (as frame_from_lines makes them), not the
    spellings grants.pipeline.inputs accepts: an alias here would silently match no rule."""
    from grants.domain import GrantType, Role

    for column, allowed in (("grant_type", {g.value for g in GrantType}), ("role", {r.value for r in Role})):
        unknown = set(coded[column].distinct) - allowed
        if unknown:
            raise ValueError(
                f"column {column!r} has values {sorted(map(str, unknown))[:5]} that are not canonical; "
                "build the frame with VectorEvaluator.frame_from_lines or grants.tools.impact.frame_from_records"
            )


@dataclass
class VectorResult:
    """Columns of a vectorised batch for one period, in input order (numpy arrays)."""

    period: str
    rates_status: str
    columns: dict[str, np.ndarray]


class VectorEvaluator:
    """Model A rules and rates over whole columns, built from an Engine's loaded data."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._muni_cache: dict[tuple[str, str], pd.Series] = {}

    # -- input ---------------------------------------------------------------------------------

    @staticmethod
    def frame_from_lines(lines: list[LineInput]) -> pd.DataFrame:
        """Validated LineInputs as the typed columns `evaluate` takes."""
        return pd.DataFrame(
            {
                "alis_id": [l.alis_id for l in lines],
                "kommunenummer": [l.kommunenummer for l in lines],
                "grant_type": [l.grant_type.value for l in lines],
                "role": [l.role.value for l in lines],
                "position_share": [l.position_share for l in lines],
                "start": [l.start for l in lines],
                "end": [l.end for l in lines],
                "via_agency": [l.via_agency for l in lines],
                "private_commercial": [l.private_commercial for l in lines],
                "new_scheme": [l.new_scheme for l in lines],
                "agreement_signed": [l.agreement_signed for l in lines],
                "centrality_class": pd.array([l.centrality_class for l in lines], dtype="Int64"),
                "first_gp_date": [l.first_gp_date for l in lines],
            }
        )

    def _classes(self, numbers: np.ndarray, table: RateTable) -> tuple[np.ndarray, np.ndarray]:
        """(four-digit numbers, SSB class per row, 0 where the municipality is unknown)."""
        key = (table.centrality.classification, table.centrality.preferred_codes)
        lookup = self._muni_cache.get(key)
        if lookup is None:
            reg = self.engine.centrality
            classes: dict[str, int] = {}
            for code_set in reg.code_sets(key[0]):
                for m in reg.municipalities(key[0], code_set):
                    if code_set == key[1] or m.number not in classes:
                        classes[m.number] = m.centrality_class
            lookup = pd.Series(classes)
            self._muni_cache[key] = lookup
        codes, uniques = pd.factorize(numbers)
        padded = pd.Series(uniques).astype(str).str.zfill(4)
        cls = padded.map(lookup).fillna(0).to_numpy(dtype=np.int64)
        return padded.to_numpy(dtype=object)[codes], cls[codes]

    # -- evaluation ----------------------------------------------------------------------------

    def evaluate(self, frame: pd.DataFrame, period: str, *, rates: RateTable | None = None) -> VectorResult:
        """Evaluate every row for `period` (rows clipped to it, as compute(lines, period) does).

        `rates` replaces the period's shipped table (for rate checks and impact runs); the rules
        in force are those of the period id. Unknown municipalities and doctors whose overlapping
        lines sum above 100 % come out as status "rejected", as in the durable_rules path.
        """
        table = rates or self.engine.ratebook.get(period)
        if table.model != "A":
            raise ValueError(f"the vectorised path covers model A periods; {table.id} is model {table.model}")
        n = len(frame)
        coded = {c: _Coded(frame[c].to_numpy(dtype=object)) for c in ("grant_type", "role")}
        _check_canonical(coded)
        first, last = _day_of(table.period.first_day), _day_of(table.period.last_day)
        start = _days(frame["start"])
        end = _days(frame["end"])
        share_c = _shares_in_hundredths(frame["position_share"].to_numpy(dtype=object))
        numbers, ssb = self._classes(frame["kommunenummer"].to_numpy(dtype=object), table)
        override = (
            frame["centrality_class"].astype("Int64").fillna(0).to_numpy(dtype=np.int64)
            if "centrality_class" in frame else np.zeros(n, dtype=np.int64)
        )
        cls = np.where(override > 0, override, ssb)
        part_start = np.maximum(start, first)
        part_end = np.minimum(end, last)
        facts: dict[str, tuple[Any, np.ndarray | None]] = {
            "period_first_day": (np.full(n, first), None),
            "part_start": (part_start, None),
            "part_end": (part_end, None),
            "line_start": (start, None),
            "line_end": (end, None),
            "grant_type": (coded["grant_type"], None),
            "role": (coded["role"], None),
            "centrality_class": (cls, None),
            "position_share": (share_c, None),
        }
        for name, default in OPTIONAL_DEFAULTS.items():
            values = frame[name].fillna(default).to_numpy(dtype=bool) if name in frame else np.full(n, default)
            facts[name] = (values, None)
        for name in OPTIONAL_DATES:
            if name in frame:
                col = pd.to_datetime(frame[name])
                exists = col.notna().to_numpy()
                days = col.to_numpy(dtype="datetime64[D]").astype(np.int64)
                facts[name] = (np.where(exists, days, 0), exists)
            else:
                facts[name] = (np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool))

        rules = [r for r in self.engine.rulebook.valid_in(table.id) if r.when is not None]
        fact_view = _Facts(facts, _LINE_MONTH_FACTS)
        masks = {r.key: mask_function(r.when, _day_of)(fact_view) for r in rules}

        rejected = ssb == 0
        reason = np.full(n, "", dtype=object)
        reason[rejected] = "ukjent kommunenummer"
        # exact copies of a line are rejected (naming the first), as in Engine.compute, and do not
        # count towards a doctor's summed share
        ids, spellings = pd.factorize(frame["alis_id"].to_numpy(dtype=object))
        doctors = np.asarray(doctor_keys([str(v) for v in spellings]), dtype=object)[ids]  # one doctor, any spelling
        same = frame.assign(alis_id=doctors)
        duplicate = same.duplicated(keep="first").to_numpy()
        rejected |= duplicate
        reason[duplicate] = "kopi av en tidligere rad"
        keep = np.flatnonzero(~duplicate)
        overlap_rows = keep[_overlapping_rows(same["alis_id"].to_numpy(dtype=object)[keep], start[keep], end[keep],
                                              share_c[keep], self.engine.shared_days, self.engine.share_caps)]
        if overlap_rows.size:
            rejected[overlap_rows] = True
            reason[overlap_rows] = ("overlappende linjer over taket for samlet stillingsandel (regel "
                                    + ", ".join(sorted({c.rule for c in self.engine.share_caps})) + ")")

        chosen: dict[str, np.ndarray] = {}
        for kind in MODEL_REQUIREMENTS["A"]["exactly_one"]:
            count = np.zeros(n, dtype=np.int8)
            which = np.full(n, -1, dtype=np.int64)
            for i, r in enumerate(r for r in rules if r.kind == kind):
                m = masks[r.key]
                count += m
                which[m] = i
            if np.any((count > 1) & ~rejected):
                raise RulesError(f"an overlap in the dated rules of kind {kind} in period {table.id}")
            gap = (count == 0) & ~rejected
            rejected |= gap
            reason[gap] = f"ingen regel av typen {kind}"
            chosen[kind] = which

        # the count_months rule: which days, and how (as Engine._price)
        months_rules = [r for r in rules if r.kind == "count_months"]
        counted_start = part_start
        if all(r.count_from in (None, "counted_start") for r in months_rules):
            for r in rules:
                if r.kind == "clip_start" and r.to_fact:
                    fact_days, _ = facts[r.to_fact]
                    counted_start = np.where(masks[r.key], np.maximum(counted_start, fact_days), counted_start)
        if counted_by(months_rules, table) == "calendar":
            months = calendar_month_count(counted_start, part_end)
        else:
            months, _ = anniversary_month_count(counted_start, part_end)

        rate_rules = [r for r in rules if r.kind == "select_rate"]
        group_rules = [r for r in rules if r.kind == "select_centrality_group"]
        annual_c = np.zeros((max(len(rate_rules), 1), max(len(group_rules), 1)), dtype=np.int64)
        for i, rr in enumerate(rate_rules):
            for j, gr in enumerate(group_rules):
                value = table.rate(rr.rate or "", gr.group or "").amount * _SCALE_RATE
                if value != value.to_integral_value():
                    raise ValueError(f"{table.file}: annual_rates.{rr.rate}.{gr.group} has more than two decimals")
                annual_c[i, j] = int(value)
        ri = np.maximum(chosen["select_rate"], 0)
        gi = np.maximum(chosen["select_centrality_group"], 0)
        annual = annual_c[ri, gi]

        excluded = np.zeros(n, dtype=bool)
        for r in rules:
            if r.kind == "exclude":
                excluded |= masks[r.key]
        for r in rules:  # the share_minimum rule reads its number from the rate table, as in Engine._price
            if r.kind == "share_minimum" and table.value(r.parameter or "") is not None:
                excluded |= masks[r.key] & (share_c < int(table.value(r.parameter or "") * _SCALE_SHARE))
        excluded &= ~rejected
        formulas = {r.formula for r in rules if r.kind == "formula" and r.formula is not None}
        if len(formulas) != 1:
            raise RulesError(f"period {table.id}: the vectorised path needs one formula rule, found {len(formulas)}")
        amount = _model_a_amounts(formulas.pop(), annual, share_c, months, table)
        amount = np.where(excluded | rejected, 0, amount)

        outside = (end < first) | (start > last)  # as compute(lines, period): no day in the period
        status = np.where(rejected, Status.REJECTED.value, np.where(
            outside, Status.OUTSIDE_PERIOD.value,
            np.where(excluded, Status.INELIGIBLE.value, Status.OK.value)))
        shown = [r for r in rules if r.kind not in ("paper_condition", "share_cap")  # as Engine._plan
                 and not (r.kind == "share_minimum" and table.value(r.parameter or "") is None)]
        codes = np.zeros(n, dtype=np.int64)
        for bit, r in enumerate(shown):
            codes |= masks[r.key].astype(np.int64) << bit
        labels = {int(c): " ".join(r.id for bit, r in enumerate(shown) if (int(c) >> bit) & 1) for c in np.unique(codes)}
        rule_ids = pd.Series(codes).map(labels).to_numpy(dtype=object)
        rule_ids[rejected | outside] = ""

        out = {
            "row": np.arange(1, n + 1),
            "alis_id": frame["alis_id"].to_numpy(dtype=object),
            "kommunenummer": numbers,
            "whole_months": np.where(rejected, 0, months),
            "centrality_class": cls,
            "annual_rate": np.where(rejected, 0, annual // _SCALE_RATE),
            "amount_nok": amount,
            "status": status.astype(object),
            "rule_ids": rule_ids,
            "reason": reason,
        }
        return VectorResult(table.id, table.status, out)


def _overlapping_rows(ids: np.ndarray, start: np.ndarray, end: np.ndarray, share_c: np.ndarray,
                      shared_days: frozenset[date], caps: Any = ()) -> np.ndarray:
    """Row indices of a doctor's lines that overlap in time with a summed share above 100 %
    (grants.pipeline.overlaps). Only doctors with several lines are swept (usually a few per cent)."""
    # 64-bit hashes find the candidates fast; a collision only sends a doctor through the exact
    # sweep, which groups by the ids themselves
    hashed = pd.Series(pd.util.hash_array(ids.astype(object), categorize=False))
    multi = np.flatnonzero(hashed.duplicated(keep=False).to_numpy())
    if multi.size == 0:
        return multi
    to_date = lambda d: (_EPOCH + np.timedelta64(int(d), "D")).astype(object)
    clashes = overlapping(
        ((ids[r], int(r), to_date(start[r]), to_date(end[r]), int(share_c[r])) for r in multi), shared_days, caps
    )
    return np.array(sorted(clashes), dtype=np.int64)
