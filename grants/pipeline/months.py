"""Whole months in an interval, the two readings of DOMAIN.md section 5.

The official definition of "hele måneder" was not found, so each rate table names its method.
Both functions take an inclusive interval already clipped to the period; an empty interval
(end before start) has 0 months.
"""
from __future__ import annotations

import calendar
import functools
from datetime import date, timedelta
from typing import Any, Iterable, Literal

from dateutil.relativedelta import relativedelta

MonthMethod = Literal["calendar", "anniversary"]

_ONE_DAY = timedelta(days=1)


def calendar_months(start: date, end: date) -> list[tuple[int, int]]:
    """The calendar months (year, month) in which [start, end] covers every day."""
    return list(_calendar_months(start, end))


@functools.lru_cache(maxsize=16384)
def _calendar_months(start: date, end: date) -> tuple[tuple[int, int], ...]:
    if end < start:
        return ()
    # first month that starts on or after `start`
    y, m = start.year, start.month
    if start.day != 1:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    months = []
    while True:
        last = date(y, m, calendar.monthrange(y, m)[1])
        if last > end:
            break
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return tuple(months)


def anniversary_months(start: date, end: date) -> int:
    """Largest n with start + n months - 1 day <= end (relativedelta clamps month ends)."""
    if end < start:
        return 0
    n = (end.year - start.year) * 12 + (end.month - start.month) + 1
    while n > 0 and _month_end(start, n) > end:
        n -= 1
    return n


def _month_end(start: date, n: int) -> date:
    """start + n months - 1 day; past the last representable date (an open-ended line written
    31.12.9999) it is date.max, which is after any end."""
    try:
        return start + relativedelta(months=n) - _ONE_DAY
    except (ValueError, OverflowError):
        return date.max


def calendar_month_count(start: date, end: date) -> int:
    """len(calendar_months(start, end)) without listing them."""
    if end < start:
        return 0
    first = start.year * 12 + start.month - 1 + (start.day != 1)
    last = end.year * 12 + end.month - 1
    if end.day != calendar.monthrange(end.year, end.month)[1]:
        last -= 1
    return max(0, last - first + 1)


@functools.lru_cache(maxsize=65536)
def whole_months(start: date, end: date, method: MonthMethod) -> int:
    """Count whole months by the named method."""
    if method == "calendar":
        return calendar_month_count(start, end)
    if method == "anniversary":
        return anniversary_months(start, end)
    raise ValueError(f"unknown whole-month method {method!r}")


@functools.lru_cache(maxsize=65536)
def longer_than_whole_months(start: date, end: date) -> tuple[int, bool]:
    """(n, extra): n whole anniversary months from start, and whether days remain after them.

    Used for "the vikariat is longer than 3 months": longer means n > 3, or n == 3 with days
    to spare. Measured on the line's own dates, before clipping to the period.
    """
    n = anniversary_months(start, end)
    covered_to = _month_end(start, n) if n else start - _ONE_DAY
    return n, end > covered_to


def shift_months(day: date, months: int) -> date:
    """The same day `months` months on, for moving a line from one period to another (rates
    diff, budget impact): a month's last day stays the last day (30.06 + 23 months is 31.05,
    not 30.05, so a whole month stays whole), and a day past the target month's end is clamped
    to it (31.01 + 1 month is 28.02 or 29.02). An open end (31.12.9999) stays open."""
    if months == 0 or day == date.max:
        return day
    try:
        moved = day + relativedelta(months=months)
    except (ValueError, OverflowError):
        return date.max
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return moved.replace(day=calendar.monthrange(moved.year, moved.month)[1])
    return moved


def counted_by(rules: "Iterable[Any]", table: "Any") -> MonthMethod:
    """The method the line's count_months rule names; `rate_table` (or no such rule, as for a
    line outside the period) is the table's own whole_months."""
    for r in rules:
        if getattr(r, "kind", None) == "count_months" and r.method not in (None, "rate_table"):
            return r.method
    return table.whole_months
