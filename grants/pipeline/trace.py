"""The trace of one line as JSON-ready data: the facts the rules saw (its row of the batch's fact
table), the rules run with their texts and citations, the constants used with their source,
the whole months, the arithmetic, the elements of a model B line, and the version and hashes
of the data that produced it. Built when read (`LineResult.trace()`).

A trace is its plan's part plus the line's own: the period, the rules and assumptions, the
constants and the provenance are built once per plan and table and shared by every trace of
that plan (read them; a program that edits a trace copies it first, e.g. `copy.deepcopy`)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from grants.money import ROUNDING_RULE, as_decimal, exact
from grants.months import calendar_months
from grants.pipeline.inputs import LineInput
from grants.rules.formulas import ElementValue
from grants.rules.rulebook import Rule, counted_by
from grants.rules.ruletext import rule_text

if TYPE_CHECKING:
    from grants.rates.tables import RateTable


def line_trace(line: Any) -> dict[str, Any]:
    """The trace of one line (a grants.pipeline.results.LineResult), standing alone."""
    fields, inputs = line_columns([line])
    return traces_of(fields, inputs)[0]


RESULT_FIELDS = ("row", "period", "rate_table", "counted_start", "counted_end", "whole_months", "kommunenavn",
                 "centrality_class", "centrality_source", "ssb_class", "code_set", "centrality_group", "rate_path",
                 "annual_rate", "exact_amount", "amount_nok", "status", "reasons", "rules", "notes", "elements",
                 "line_periods", "provenance", "facts")
"""A LineResult's fields but its line, as a store gives them in columns
(grants.pipeline.results.ResultColumns.columns_at)."""
INPUT_FIELDS = tuple(LineInput.model_fields)
"""The fields of a line's input (LineInput), as columns beside them."""


def line_columns(lines: Sequence[Any]) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """LineResults as the columns `traces_of` reads: their fields, and their inputs' fields."""
    fields = {name: [getattr(r, name) for r in lines] for name in RESULT_FIELDS}
    inputs = {name: [getattr(r.line, name) for r in lines] for name in INPUT_FIELDS}
    return fields, inputs


@exact
def traces_of(f: Mapping[str, Sequence[Any]], inputs: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The traces of n lines from their fields and their inputs' fields as columns (one value
    per line: `line_columns`, or a batch's store): each its plan's part, shared by every trace of
    the plan (`_plan_part`), and the line's own values, converted column by column."""
    n = len(f["row"])
    tables, starts, ends = f["rate_table"], f["counted_start"], f["counted_end"]
    parts = [_plan_part(rules, t, path, group)
             for rules, t, path, group in zip(f["rules"], tables, f["rate_path"], f["centrality_group"])]
    counted = [a is not None and b is not None for a, b in zip(starts, ends)]
    iso = _Iso()
    lines = [[iso[a], iso[b]] for a, b in zip(inputs["start"], inputs["end"])]
    spans = [[iso[a], iso[b]] if c else None for a, b, c in zip(starts, ends, counted)]
    months = [_month_labels(a, b) if c and p.method == "calendar" else []
              for a, b, c, p in zip(starts, ends, counted, parts)]
    facts = [None] * n
    by_table: dict[int, tuple[Any, list[int]]] = {}
    for k, (row, c) in enumerate(zip(f["facts"], counted)):
        if c and row is not None:
            by_table.setdefault(id(row.table), (row.table, []))[1].append(k)
    for table, ks in by_table.values():
        for k, made in zip(ks, table.rows_json([f["facts"][k].index for k in ks])):
            facts[k] = made
    shares = [str(share / 100) for share in inputs["position_share"]]
    provenance = [None if p is None else _provenance_json(p, period) for p, period in zip(f["provenance"], f["period"])]
    each = zip(f["row"], parts, f["status"], _inputs_json(inputs, iso), f["centrality_class"], f["centrality_source"],
               f["ssb_class"], f["code_set"], f["kommunenavn"], f["centrality_group"], lines, spans, f["whole_months"],
               months, shares, f["exact_amount"], f["amount_nok"], f["elements"], f["reasons"], f["notes"], facts,
               provenance)
    return [{
        "row": row,
        "period": part.period,
        "status": status.value,
        "input": given,
        "centrality": {
            "class": cls,
            "from": source,
            "ssb_class": ssb_class,
            "classification": part.classification,
            "code_set": code_set,
            "municipality": name,
            "group": group,
        },
        "interval": {"line": line, "counted": span},
        "rules": part.rules,
        "assumptions": part.assumptions,
        "months": {"method": part.method, "count": count, "calendar_months": labels},
        "constants": part.constants,
        "calculation": {
            "share": share,
            "exact_amount": str(exact_amount),
            "amount_nok": amount,
            "rounding": ROUNDING_RULE,
        },
        "elements": [_element_json(e) for e in elements] if elements else [],
        "reasons": list(reasons),
        "notes": list(notes),
        "facts": fact,
        "provenance": source_of,
    } for (row, part, status, given, cls, source, ssb_class, code_set, name, group, line, span, count, labels, share,
           exact_amount, amount, elements, reasons, notes, fact, source_of) in each]


class _Iso(dict):
    """A date (or None) in ISO form, each distinct date worded once per call of traces_of."""

    def __missing__(self, day: Any) -> Any:
        text = self[day] = None if day is None else day.isoformat()
        return text


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def _inputs_json(inputs: Mapping[str, Sequence[Any]], iso: _Iso) -> list[dict[str, Any]]:
    """Each line's input as its trace shows it, converted column by column."""
    columns = {
        "alis_id": inputs["alis_id"],
        "kommunenummer": inputs["kommunenummer"],
        "grant_type": [v.value for v in inputs["grant_type"]],
        "role": [v.value for v in inputs["role"]],
        "position_share": [str(v) for v in inputs["position_share"]],
        "start": [iso[v] for v in inputs["start"]],
        "end": [iso[v] for v in inputs["end"]],
        "via_agency": inputs["via_agency"],
        "private_commercial": inputs["private_commercial"],
        "new_scheme": inputs["new_scheme"],
        "agreement_signed": [iso[v] for v in inputs["agreement_signed"]],
        "centrality_class": inputs["centrality_class"],
        "first_gp_date": [iso[v] for v in inputs["first_gp_date"]],
        "centrality_supplement_applied": [_text(v) for v in inputs["centrality_supplement_applied"]],
        "productivity_applied": [_text(v) for v in inputs["productivity_applied"]],
        "supervision_hours": [_text(v) for v in inputs["supervision_hours"]],
        "expenses": [{k: str(v) for k, v in e.items()} if e else {} for e in inputs["expenses"]],
    }
    names = list(columns)
    return [dict(zip(names, values)) for values in zip(*columns.values())]


@dataclass(frozen=True)
class _PlanPart:
    """What every trace of a plan (its rules, on its period's table, at its rate) shows alike."""

    period: dict[str, Any]
    classification: Any
    rules: list[dict[str, Any]]
    assumptions: list[dict[str, Any]]
    method: str
    constants: dict[str, Any]


def _plan_part(rules: tuple[Rule, ...], t: "RateTable", rate_path: str | None, group: str | None) -> _PlanPart:
    def build() -> _PlanPart:
        return _PlanPart(_period_json(t), t.centrality.classification,
                         [_rule_json(r, t) for r in rules if r.kind != "paper_condition"],
                         [_rule_json(r, t) for r in rules if r.kind == "paper_condition"],
                         counted_by(rules, t), _constants_json(t, rate_path, group))
    return _shared(rules, t, (rate_path, group), build)


_SHARED: dict[tuple[int, int, Any], tuple[Any, Any, Any]] = {}
"""The parts traces share, by the ids of the two things each is made from (kept with it, so a
recycled id never matches) and what else it depends on."""


def _shared(owner: Any, other: Any, key: Any, build: Any) -> Any:
    at = (id(owner), id(other), key)
    hit = _SHARED.get(at)
    if hit is not None and hit[0] is owner and hit[1] is other:
        return hit[2]
    value = build()
    if len(_SHARED) > 4096:
        _SHARED.clear()
    _SHARED[at] = (owner, other, value)
    return value


def _provenance_json(provenance: Any, period: str) -> dict[str, Any]:
    return _shared(provenance, None, period, lambda: provenance.as_json([period]))


@functools.lru_cache(maxsize=16384)
def _month_label_tuple(start: date, end: date) -> tuple[str, ...]:
    return tuple(f"{y:04d}-{m:02d}" for y, m in calendar_months(start, end))


def _month_labels(start: date, end: date) -> list[str]:
    return list(_month_label_tuple(start, end))


def _period_json(t: "RateTable") -> dict[str, Any]:
    p = t.period
    return {"id": t.id, "first_day": p.first_day.isoformat(), "last_day": p.last_day.isoformat()}


def _constants_json(t: "RateTable", rate_path: str | None, group: str | None) -> dict[str, Any]:
    """The constants a line used, with their source."""
    source = None
    annual = None
    if rate_path and group:
        amount = t.rate(rate_path, group)
        annual = str(amount.amount)
        src = t.source(amount.source)
        source = {"id": src.id, "title": src.title, "url": src.url}
    return {
        "annual_rate": annual,
        "rate_path": None if rate_path is None else f"annual_rates.{rate_path}.{group}",
        "rate_source": source,
        "rates_status": t.status,
        "rates_file": f"rates/{t.id}.yaml",
    }


def _element_json(e: ElementValue) -> dict[str, Any]:
    return {
        "element": e.element,
        "formula": e.formula,
        "months": e.months,
        "annual_maximum": None if e.annual_maximum is None else str(e.annual_maximum),
        "maximum": str(as_decimal(e.maximum)),
        "cap": e.cap,
        "capped_by": None if e.capped_by is None else str(e.capped_by),
        "granted": str(as_decimal(e.granted)),
        "amount_nok": e.amount_nok,
        "window": None if e.window is None else [e.window[0].isoformat(), e.window[1].isoformat()],
        "base": None if e.base is None else str(as_decimal(e.base)),
        "share": None if e.share is None else str(e.share),
        "hours": None if e.hours is None else str(e.hours),
        "hourly_rate": None if e.hourly_rate is None else str(e.hourly_rate),
        "hours_from": e.hours_from,
        "sharing": None if e.sharing is None else {
            "carried_by": e.sharing.carried_by,
            "capped_by": str(e.sharing.capped_by),
            "rows": list(e.sharing.rows),
            "maxima": [str(as_decimal(m)) for m in e.sharing.maxima],
            "maximum_total": str(as_decimal(e.sharing.maximum_total)),
            "granted_total": str(as_decimal(e.sharing.granted_total)),
            "kroner_total": e.sharing.kroner_total,
            "allotments": list(e.sharing.allotments),
            "method": "largest remainder, in proportion to the lines' maxima (docs/DOMAIN.md section 8)",
        },
    }


def _rule_json(rule: Rule, table: "RateTable") -> dict[str, Any]:
    """A rule as the trace shows it, its text filled from the period's rate table (built once
    per plan and table with the plan's other rules: `_plan_part`)."""
    return {
        "id": rule.id,
        "version_from": rule.valid_from,
        "kind": rule.kind,
        "description": rule.description,
        "text_nb": rule_text(rule, table),
        "citation": rule.citation.text(),
    }
