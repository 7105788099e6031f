"""The facts a rule may test, each with its declared type, and how they are encoded.

Rules in rules/ name facts from FACTS only, and their literals are checked against the fact's
type when the rules are loaded (grants.rules.conditions). Dates are posted to the rule engine as
integers YYYYMMDD so that they compare correctly; decimals as integers in units of
10**-scale (a share of 80.5 % with scale 2 is 8050), so every comparison is exact.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from grants.months import anniversary_month_counts, longer_than_whole_months

if TYPE_CHECKING:
    from grants.pipeline.inputs import LineInput
    from grants.rates.tables import RateTable

from grants.domain import GrantType, Role

FactKind = Literal["date", "integer", "decimal", "bool", "enum"]


@dataclass(frozen=True)
class Fact:
    """One fact: its name, type, bokmål name, and for an enum its values."""

    name: str
    kind: FactKind
    nb: str
    values: tuple[str, ...] = ()  # enum: every value the fact can take
    optional: bool = False  # may be absent from a line's facts (see grants.rules.conditions: absent)
    scale: int = 0  # decimal: digits after the point, posted as an integer times 10**scale


def _facts(*facts: Fact) -> dict[str, Fact]:
    return {f.name: f for f in facts}


FACTS: dict[str, Fact] = _facts(
    Fact("period_first_day", "date", "periodens første dag"),  # first day of the part's grant period
    Fact("part_start", "date", "start i perioden"),  # the line clipped to the period
    Fact("part_end", "date", "slutt i perioden"),
    Fact("line_start", "date", "linjens startdato"),  # the line as given, before clipping
    Fact("line_end", "date", "linjens sluttdato"),
    Fact("line_whole_months", "integer", "hele måneder på linjen (fra startdato)"),  # anniversary months, unclipped
    Fact("line_has_extra_days", "bool", "dager utover de hele månedene"),  # days left after those months
    Fact("grant_type", "enum", "tilskuddstype", tuple(g.value for g in GrantType)),
    Fact("role", "enum", "rolle", tuple(r.value for r in Role)),
    Fact("centrality_class", "integer", "sentralitetsklasse"),
    Fact("position_share", "decimal", "stillingsandel (%)", scale=2),
    Fact("via_agency", "bool", "via vikarbyrå"),
    Fact("private_commercial", "bool", "privat kommersiell aktør"),
    Fact("new_scheme", "bool", "ny spesialistordning"),
    Fact("agreement_signed", "date", "ALIS-avtalen signert", optional=True),
    Fact("first_gp_date", "date", "første dag som fastlege/vikar", optional=True),
)
"""Every fact a rule may name."""

_PY_TYPES = {"date": date, "integer": int, "decimal": Decimal, "bool": bool, "enum": str}
FACT_TYPES: dict[str, type] = {name: _PY_TYPES[f.kind] for name, f in FACTS.items()}
"""The Python type of each fact's value in a line (before encoding)."""

FACT_NB: dict[str, str] = {name: f.nb for name, f in FACTS.items()}
"""The facts in plain bokmål, for explanations of rule conditions."""


def date_int(d: date) -> int:
    """A date as the integer YYYYMMDD, the form the rule engine compares."""
    return d.year * 10000 + d.month * 100 + d.day


def decimal_int(value: Decimal, scale: int) -> int:
    """A decimal as the exact integer value * 10**scale; more decimals than `scale` is an error."""
    scaled = Decimal(value).scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than {scale} decimals")
    return int(scaled)


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
        "position_share": decimal_int(line.position_share, FACTS["position_share"].scale),
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


def _line_months(facts: Any) -> tuple[Any, Any]:
    key = "_line_month_count"
    hit = facts._cache.get(key)
    if hit is None:
        hit = anniversary_month_counts(facts["line_start"][0], facts["line_end"][0])
        facts._cache[key] = hit
    return hit


DERIVED_FACTS = {
    # the unclipped line's anniversary months, for the vikar rule, over fact columns
    # (grants.rules.conditions.FactColumns, dates as day numbers): only computed for the rows a
    # rule's earlier tests leave (role = fastlegevikar), not for every line
    "line_whole_months": lambda f: (_line_months(f)[0], None),
    "line_has_extra_days": lambda f: (_line_months(f)[1], None),
}
