"""Check `full_year`: 12 whole months at 100 % give the annual amount."""
from __future__ import annotations

from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from hypothesis import strategies as st

from grants.domain import GrantType, Role
from grants.money import format_nok, to_kroner
from grants.rates.tables import RateTable
from grants.tools.ratecheck.context import DAY, EXTRA_DAYS, GRANT_TYPES, MUNICIPALITIES, ROLES, Context, expected_rate_path, group_of
from grants.tools.ratecheck.lines import falsify, line_dict, only_lines
from grants.tools.ratecheck.months import calendar_months_of, count_months
from grants.tools.ratecheck.report import PropertyResult


def _year_starts(table: RateTable) -> list[date]:
    """The first days of the 12-whole-month windows inside the period."""
    p = table.period
    if table.whole_months == "calendar":
        firsts = [date(y, m, 1) for y, m in calendar_months_of(p.first_day, p.last_day)]
    else:
        firsts = [p.first_day + k * DAY for k in range(0, 62)]
    return [s for s in firsts if s + relativedelta(months=12) - DAY <= p.last_day][:62]


def check_full_year(ctx: Context) -> PropertyResult:
    t = ctx.table
    p = t.period
    starts = _year_starts(t)
    period_months = count_months(t, p.first_day, p.last_day)
    paths = set(ctx.rate_paths)

    @st.composite
    def year_lines(draw) -> dict[str, Any]:
        if starts:
            start = draw(st.sampled_from(starts))
            end = start + relativedelta(months=12) - DAY
            before = draw(st.integers(0, EXTRA_DAYS)) if t.whole_months == "calendar" else 0
            start, end = start - before * DAY, end + draw(st.integers(0, EXTRA_DAYS)) * DAY
            start, end = max(start, p.first_day), min(end, p.last_day)
        else:  # a period shorter than 12 months: the whole period, the line may reach beyond it
            start = p.first_day - draw(st.integers(0, 60)) * DAY
            end = p.last_day + draw(st.integers(0, 60)) * DAY
        if t.model == "A":
            grant_type = draw(st.sampled_from(GRANT_TYPES))
            role = draw(st.sampled_from([r for r in ROLES if r != Role.FASTLEGEVIKAR.value]))
        else:
            grant_type, role = GrantType.KUN_VEILEDNING.value, draw(st.sampled_from(ROLES))
        return line_dict("L1", draw(st.sampled_from(MUNICIPALITIES)), grant_type, role, "100", start, end,
                     draw(st.none() | st.integers(1, 6)))

    months = 12 if starts else period_months

    def check(rec: dict[str, Any]):
        (r,) = only_lines(ctx.compute([rec]))
        if r.status.value != "ok":
            return f"linjen er ikke beregnet som godkjent ({r.status.value}): {' | '.join(r.reasons)}", rec
        if r.whole_months != months:
            return f"linjen gir {r.whole_months} hele måneder, ventet {months}", rec
        if t.model == "A":
            # the rate from the line's own grant type, role and class, not the one the engine chose
            group = group_of(r.centrality_class)
            path = expected_rate_path(t, rec["grant_type"], rec["role"])
            if path is None or path not in paths or r.rate_path != path or r.centrality_group != group:
                return (f"linjen fikk satsen annual_rates.{r.rate_path}.{r.centrality_group}, ventet "
                        f"annual_rates.{path}.{group}"), rec
            annual = t.rate(path, group).amount
            where = f"annual_rates.{path}.{group} = {format_nok(annual)}"
        else:
            annual = t.annual_maximum("veiledning")
            where = f"veiledning, årlig maksimum {annual}"
        expected = to_kroner(annual * months / 12)
        if r.amount_nok != expected:
            return (f"{months} hele måneder med 100 % gir {format_nok(r.amount_nok)}, ventet "
                    f"{format_nok(expected)} ({where})"), rec
        return None

    found = falsify(ctx, year_lines(), check, 5)
    heading = full_year_title(period_months, t.model)
    if found:
        return PropertyResult("full_year", False, found[0], found[1], heading=heading)
    what = "12 hele måneder" if starts else f"hele perioden ({period_months} hele måneder, kortere enn et år)"
    part = "" if months == 12 else f"{months}/12 av "
    target = "årssatsen for sin sats og gruppe" if t.model == "A" else "veiledningens årlige maksimum (kun veiledning)"
    return PropertyResult("full_year", True, f"{what} med 100 % gir {part}{target}", heading=heading)


def full_year_title(period_months: int, model: str) -> str:
    """The check's title worded from the period's length: only a period of 12 whole months is
    a whole year; a shorter one is checked as a whole for its share of the annual amount, a
    longer one on 12-month windows inside it."""
    annual = "årssatsen" if model == "A" else "det årlige maksimum"
    if period_months == 12:
        return f"et helt periodeår (12 hele måneder) med 100 % gir {annual}"
    if period_months > 12:
        return f"12 hele måneder i perioden ({period_months} hele måneder) med 100 % gir {annual}"
    return f"hele perioden ({period_months} hele måneder) med 100 % gir {period_months}/12 av {annual}"
