"""The facts a rule may test, each with its declared type, and how they are encoded.

Rules in rules/ name facts from FACTS only, and their literals are checked against the fact's
type when the rules are loaded (grants.rules.conditions). A batch's facts are one table of
columns (grants.pipeline.facts): dates as day numbers (grants.days), decimals as integers in
units of 10**-scale (a share of 80.5 % with scale 2 is 8050), so every comparison is exact; the
dicts posted to durable_rules and the numpy masks are both read from that table.
"""
from __future__ import annotations

import functools

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from grants.days import date_of
from grants.domain import GrantType, Role
from grants.months import anniversary_month_counts

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


def decimal_int(value: Decimal, scale: int) -> int:
    """A decimal as the exact integer value * 10**scale; more decimals than `scale` is an error."""
    scaled = Decimal(value).scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than {scale} decimals")
    return int(scaled)


def facts_json(facts: dict[str, Any]) -> dict[str, Any]:
    """Facts as posted (dates as day numbers, shares in hundredths) as a trace shows them:
    dates in ISO form, enums as their values, the rest as posted (`FACT_JSON`)."""
    out: dict[str, Any] = {}
    for name, value in facts.items():
        convert = FACT_JSON.get(name)
        out[name] = value if convert is None else convert(value)
    return out


DATE_FACTS = frozenset(name for name, kind in FACT_TYPES.items() if kind is date)


@functools.lru_cache(maxsize=16384)
def iso_day(days: int) -> str:
    return date_of(days).isoformat()


FACT_JSON: dict[str, Any] = {
    name: iso_day if name in DATE_FACTS else str if f.kind == "enum" else None for name, f in FACTS.items()}
"""How a posted fact's value is shown in a trace, by fact (None: as posted); one row
(`facts_json`) or a column of them (grants.pipeline.facts.FactTable.rows_json)."""


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
