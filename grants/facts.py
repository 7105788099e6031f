"""The facts a rule may test, and how a line part becomes those facts.

Rules in rules/ name facts from FACT_TYPES only (checked on load). Dates are posted to the rule
engine as integers YYYYMMDD so that they compare correctly.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from .months import longer_than_whole_months

if TYPE_CHECKING:
    from .inputs import LineInput
    from .rates import RateTable

FACT_TYPES: dict[str, type] = {
    "period_first_day": date,  # first day of the grant period the part belongs to
    "part_start": date,  # the line clipped to the period
    "part_end": date,
    "line_start": date,  # the line as given, before clipping
    "line_end": date,
    "line_whole_months": int,  # anniversary months of the unclipped line
    "line_has_extra_days": bool,  # days left after those whole months
    "grant_type": str,
    "role": str,
    "centrality_class": int,
    "via_agency": bool,
    "private_commercial": bool,
    "new_scheme": bool,
    "agreement_signed": date,  # optional: absent when not given
    "first_gp_date": date,  # optional: the doctor's first day as fastlege or vikar
}


def date_int(d: date) -> int:
    """A date as the integer YYYYMMDD, the form the rule engine compares."""
    return d.year * 10000 + d.month * 100 + d.day


def part_facts(line: "LineInput", table: "RateTable", start: date, end: date, centrality_class: int) -> dict[str, Any]:
    """The facts posted to the rule engine for the part [start, end] of `line` in `table`'s
    period: the one derivation, used by the engine and shown by the trace."""
    n, extra = longer_than_whole_months(line.start, line.end)
    facts: dict[str, Any] = {
        "period_first_day": date_int(table.period.first_day),
        "part_start": date_int(start),
        "part_end": date_int(end),
        "line_start": date_int(line.start),
        "line_end": date_int(line.end),
        "line_whole_months": n,
        "line_has_extra_days": extra,
        "grant_type": line.grant_type,  # StrEnum: serialised as its value
        "role": line.role,
        "centrality_class": centrality_class,
        "via_agency": line.via_agency,
        "private_commercial": line.private_commercial,
        "new_scheme": line.new_scheme,
    }
    if line.agreement_signed is not None:
        facts["agreement_signed"] = date_int(line.agreement_signed)
    if line.first_gp_date is not None:
        facts["first_gp_date"] = date_int(line.first_gp_date)
    return facts


def facts_json(facts: dict[str, Any]) -> dict[str, Any]:
    """Facts as a trace shows them: dates in ISO form (not YYYYMMDD), enums as their values."""
    out: dict[str, Any] = {}
    for name, value in facts.items():
        if FACT_TYPES.get(name) is date and isinstance(value, int):
            value = date(value // 10000, value // 100 % 100, value % 100).isoformat()
        elif isinstance(value, str):
            value = str(value)
        out[name] = value
    return out


FACT_NB: dict[str, str] = {
    "period_first_day": "periodens første dag",
    "part_start": "start i perioden",
    "part_end": "slutt i perioden",
    "line_start": "linjens startdato",
    "line_end": "linjens sluttdato",
    "line_whole_months": "hele måneder på linjen (fra startdato)",
    "line_has_extra_days": "dager utover de hele månedene",
    "grant_type": "tilskuddstype",
    "role": "rolle",
    "centrality_class": "sentralitetsklasse",
    "via_agency": "via vikarbyrå",
    "private_commercial": "privat kommersiell aktør",
    "new_scheme": "ny spesialistordning",
    "agreement_signed": "ALIS-avtalen signert",
    "first_gp_date": "første dag som fastlege/vikar",
}
"""The facts in plain bokmål, for explanations of rule conditions."""
