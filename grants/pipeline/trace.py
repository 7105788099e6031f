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
from typing import TYPE_CHECKING, Any, Mapping

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
    return trace_of(field_values(line))


def field_values(line: Any) -> dict[str, Any]:
    """A LineResult's fields by name: what `trace_of` reads (a batch's store gives the same
    mapping for each of its rows without making the LineResult: ResultColumns.values)."""
    return {name: getattr(line, name) for name in _LINE_FIELDS}


_LINE_FIELDS = ("row", "line", "period", "rate_table", "counted_start", "counted_end", "whole_months", "kommunenavn",
                "centrality_class", "centrality_source", "ssb_class", "code_set", "centrality_group", "rate_path",
                "exact_amount", "amount_nok", "status", "reasons", "rules", "notes", "elements", "provenance",
                "facts")


@exact
def trace_of(v: Mapping[str, Any]) -> dict[str, Any]:
    """The trace of one line from its fields (`field_values`): its plan's part, shared by
    every trace of the plan (`_plan_part`), and the line's own facts."""
    t = v["rate_table"]
    line = v["line"]
    part = _plan_part(v["rules"], t, v["rate_path"], v["centrality_group"])
    start, end = v["counted_start"], v["counted_end"]
    counted = start is not None and end is not None
    facts = v["facts"]
    provenance = v["provenance"]
    elements = v["elements"]
    return {
        "row": v["row"],
        "period": part.period,
        "status": v["status"].value,
        "input": _input_json(line),
        "centrality": {
            "class": v["centrality_class"],
            "from": v["centrality_source"],
            "ssb_class": v["ssb_class"],
            "classification": part.classification,
            "code_set": v["code_set"],
            "municipality": v["kommunenavn"],
            "group": v["centrality_group"],
        },
        "interval": {
            "line": [line.start.isoformat(), line.end.isoformat()],
            "counted": [start.isoformat(), end.isoformat()] if counted else None,
        },
        "rules": part.rules,
        "assumptions": part.assumptions,
        "months": {"method": part.method, "count": v["whole_months"],
                   "calendar_months": _month_labels(start, end) if part.method == "calendar" and counted else []},
        "constants": part.constants,
        "calculation": {
            "share": str(line.position_share / 100),
            "exact_amount": str(v["exact_amount"]),
            "amount_nok": v["amount_nok"],
            "rounding": ROUNDING_RULE,
        },
        "elements": [_element_json(e) for e in elements] if elements else [],
        "reasons": list(v["reasons"]),
        "notes": list(v["notes"]),
        "facts": None if not counted or facts is None else facts.json(),
        "provenance": None if provenance is None else _provenance_json(provenance, v["period"]),
    }


@dataclass(frozen=True)
class _PlanPart:
    """What every trace of a plan (its rules, on its period's table, at its rate) shows alike."""

    period: dict[str, Any]
    classification: Any
    rules: list[dict[str, Any]]
    assumptions: list[dict[str, Any]]
    method: str
    constants: dict[str, Any]


_PARTS: dict[tuple[int, int, Any, Any], tuple[Any, Any, _PlanPart]] = {}
"""The plan parts made, by the ids of the rules and table they are made of (kept with them, so
a recycled id never matches) and the rate."""


def _plan_part(rules: tuple[Rule, ...], t: "RateTable", rate_path: str | None, group: str | None) -> _PlanPart:
    key = (id(rules), id(t), rate_path, group)
    hit = _PARTS.get(key)
    if hit is not None and hit[0] is rules and hit[1] is t:
        return hit[2]
    rules_json, assumptions = _rules_json(rules, t)
    part = _PlanPart(_period_json(t), t.centrality.classification, rules_json, assumptions, counted_by(rules, t),
                     _constants_json(t, rate_path, group))
    if len(_PARTS) > 4096:
        _PARTS.clear()
    _PARTS[key] = (rules, t, part)
    return part


_SHARED: dict[int, tuple[Any, Any, dict[Any, Any]]] = {}
"""Plan parts of traces: by the id of what they are made from (kept with it, so a recycled id
never matches), then by what else they depend on."""


def _shared(owner: Any, other: Any, key: Any, build: Any) -> Any:
    hit = _SHARED.get(id(owner))
    if hit is None or hit[0] is not owner or hit[1] is not other:
        if len(_SHARED) > 4096:
            _SHARED.clear()
        hit = _SHARED[id(owner)] = (owner, other, {})
    parts = hit[2]
    value = parts.get(key)
    if value is None:
        value = parts[key] = build()
    return value


def _rules_json(rules: tuple[Rule, ...], t: "RateTable") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rules run and the assumptions (paper conditions) of a plan, as its traces share them."""
    return _shared(rules, t, "rules", lambda: (
        [_rule_json(r, t) for r in rules if r.kind != "paper_condition"],
        [_rule_json(r, t) for r in rules if r.kind == "paper_condition"]))


def _provenance_json(provenance: Any, period: str) -> dict[str, Any]:
    return _shared(provenance, None, period, lambda: provenance.as_json([period]))


@functools.lru_cache(maxsize=16384)
def _month_label_tuple(start: date, end: date) -> tuple[str, ...]:
    return tuple(f"{y:04d}-{m:02d}" for y, m in calendar_months(start, end))


def _month_labels(start: date, end: date) -> list[str]:
    return list(_month_label_tuple(start, end))


def _period_json(t: "RateTable") -> dict[str, Any]:
    p = t.period
    return _shared(t, None, "period", lambda: {
        "id": t.id, "first_day": p.first_day.isoformat(), "last_day": p.last_day.isoformat()})


def _constants_json(t: "RateTable", rate_path: str | None, group: str | None) -> dict[str, Any]:
    """The constants a line used, with their source; built once per table and rate."""
    def build() -> dict[str, Any]:
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
    return _shared(t, None, ("constants", rate_path, group), build)


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
    per plan and table with the plan's other rules: `_rules_json`)."""
    return {
        "id": rule.id,
        "version_from": rule.valid_from,
        "kind": rule.kind,
        "description": rule.description,
        "text_nb": rule_text(rule, table),
        "citation": rule.citation.text(),
    }


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
