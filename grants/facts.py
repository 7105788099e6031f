"""The facts a rule may test, and how a line part becomes those facts.

Rules in rules/ name facts from FACT_TYPES only (checked on load). Dates are posted to the rule
engine as integers YYYYMMDD so that they compare correctly.
"""
from __future__ import annotations

from datetime import date

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
