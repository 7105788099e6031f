"""Whole months in an interval, the two readings of DOMAIN.md section 5, and moving a date by
whole months.

The official definition of "hele måneder" was not found, so each rate table names its method.
Both counts take an inclusive interval already clipped to the period; an empty interval (end
before start) has 0 months. Each count has a form for one interval (dates) and a form over
columns of day numbers (grants.days) for the batch; tests/test_months.py holds them equal.
"""
from __future__ import annotations

import calendar
import functools
from datetime import date, timedelta
from typing import Literal

import numpy as np
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
    while n > 0 and _after(_month_end(start, n), end):
        n -= 1
    return n


def _month_end(start: date, n: int) -> date | None:
    """start + n months - 1 day; None when that day is after the last representable one (an
    open-ended line written 31.12.9999 counted from a day other than the 1st)."""
    try:
        return start + relativedelta(months=n) - _ONE_DAY
    except (ValueError, OverflowError):
        if start.day == 1 and start.year * 12 + start.month - 1 + n == 10000 * 12:
            return date.max  # the day before 01.01.10000
        return None


def _after(day: date | None, end: date) -> bool:
    return day is None or day > end


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
    assert covered_to is not None  # n months fit before end
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


# -- the same counts over columns of day numbers (days since 1970-01-01), for the batch path;
# tests/test_months.py and the differential tests hold them to the functions above.

_ONE_MONTH = np.timedelta64(1, "M")
_ONE_DAY_64 = np.timedelta64(1, "D")  # explicit units: numpy deprecates adding bare integers to dates


def calendar_month_counts(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """calendar_month_count over columns of day numbers."""
    s = start.astype("datetime64[D]")
    e = end.astype("datetime64[D]")
    s_month = s.astype("datetime64[M]")
    e_month = e.astype("datetime64[M]")
    first = s_month.astype(np.int64) + (s != s_month.astype("datetime64[D]"))
    last_day_of_end_month = (e_month + _ONE_MONTH).astype("datetime64[D]") - _ONE_DAY_64
    last = e_month.astype(np.int64) - (e != last_day_of_end_month)
    count = np.maximum(0, last - first + 1)
    return np.where(end < start, 0, count)


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day numbers as (months since 1970-01, day of month from 1, days in that month)."""
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    month_start = month.astype("datetime64[D]")
    dim = ((month + _ONE_MONTH).astype("datetime64[D]") - month_start).astype(np.int64)
    return month.astype(np.int64), (d - month_start).astype(np.int64) + 1, dim


def anniversary_month_counts(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """anniversary_months over columns of day numbers (largest n with start + n months - 1 day
    <= end, month ends clamped), and whether days remain after those months.

    With k = whole calendar months between the two dates' months: n = k + 1 exactly when the
    line runs from a 1st to a month's last day; else n = k when the start day (clamped to the
    end month's length) minus one is not after the end day; else n = k - 1."""
    s_month, s_day, _ = _ymd(start)
    e_month, e_day, e_dim = _ymd(end)
    k = e_month - s_month
    clamped = np.minimum(s_day, e_dim)
    full = (s_day == 1) & (e_day == e_dim)
    fits = clamped - 1 <= e_day
    n = np.where(full, k + 1, np.where(fits, k, k - 1))
    extra = np.where(full, False, np.where(fits, e_day > clamped - 1, True))
    empty = end < start
    return np.where(empty | (n < 0), 0, n), np.where(empty, False, extra)
