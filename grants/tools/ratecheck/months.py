"""Whole months counted here independently of grants.months, on purpose: the checks compare the
engine with a second count."""
from __future__ import annotations

import calendar
from datetime import date

from dateutil.relativedelta import relativedelta

from grants.rates.tables import RateTable
from grants.tools.ratecheck.context import DAY


def calendar_months_of(start: date, end: date) -> list[tuple[int, int]]:
    """The calendar months [start, end] covers from the 1st to the last day (independent of
    grants.months, on purpose)."""
    out = []
    y, m = start.year, start.month
    while date(y, m, 1) <= end:
        first, last_ = date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
        if start <= first and last_ <= end:
            out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def anniversary_count(start: date, end: date) -> int:
    n = 0
    while start + relativedelta(months=n + 1) - DAY <= end:
        n += 1
    return n


def count_months(table: RateTable, start: date, end: date) -> int:
    if table.whole_months == "calendar":
        return len(calendar_months_of(start, end))
    return anniversary_count(start, end)
