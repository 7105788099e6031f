"""Whole months, both readings of DOMAIN.md section 5, against a day-by-day count."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from hypothesis import given, strategies as st
from dateutil.relativedelta import relativedelta

from grants.months import anniversary_months, calendar_months, longer_than_whole_months, whole_months

dates = st.dates(min_value=date(2019, 1, 1), max_value=date(2028, 12, 31))


def test_domain_examples():
    assert whole_months(date(2022, 1, 15), date(2022, 12, 31), "calendar") == 11
    assert whole_months(date(2022, 1, 15), date(2022, 2, 14), "anniversary") == 1
    assert whole_months(date(2022, 1, 15), date(2022, 2, 15), "anniversary") == 1
    assert whole_months(date(2025, 6, 15), date(2025, 7, 15), "anniversary") == 1
    assert whole_months(date(2022, 1, 15), date(2022, 2, 13), "anniversary") == 0


def test_month_end_clamping():
    # 31 January + 1 month clamps to 28 February; minus one day is 27 February
    assert anniversary_months(date(2022, 1, 31), date(2022, 2, 27)) == 1
    assert anniversary_months(date(2022, 1, 31), date(2022, 2, 26)) == 0


def test_empty_interval_is_zero():
    assert whole_months(date(2022, 3, 2), date(2022, 3, 1), "calendar") == 0
    assert whole_months(date(2022, 3, 2), date(2022, 3, 1), "anniversary") == 0


def test_vikar_measure():
    assert longer_than_whole_months(date(2023, 1, 1), date(2023, 3, 31)) == (3, False)
    assert longer_than_whole_months(date(2023, 1, 1), date(2023, 4, 1)) == (3, True)
    assert longer_than_whole_months(date(2023, 1, 1), date(2023, 1, 1)) == (0, True)


def test_a_line_open_to_31_12_9999_counts_the_months_that_end_by_then_in_both_forms():
    """start + n months - 1 day must be on or before 31.12.9999; a month that would end in the
    year 10000 (which no date can hold) is not whole. The one-interval count counted it, so a
    trace of an open-ended line showed one month more than the facts the rules saw."""
    import numpy as np

    from grants.days import day_number
    from grants.months import anniversary_month_counts

    cases = {date(2022, 3, 15): (95733, True), date(2022, 1, 1): (95736, False), date(2024, 2, 29): (95710, True)}
    open_end = date(9999, 12, 31)
    for start, expected in cases.items():
        assert longer_than_whole_months(start, open_end) == expected
        n, extra = anniversary_month_counts(np.array([day_number(start)]), np.array([day_number(open_end)]))
        assert (int(n[0]), bool(extra[0])) == expected


@given(dates, dates)
def test_calendar_equals_day_by_day_count(a, b):
    start, end = min(a, b), max(a, b)
    if (end - start).days > 800:
        end = start + timedelta(days=800)
    covered = set()
    d = start
    while d <= end:
        covered.add(d)
        d += timedelta(days=1)
    expected = []
    y, m = start.year, start.month
    while date(y, m, 1) <= end:
        days = calendar.monthrange(y, m)[1]
        if all(date(y, m, k) in covered for k in range(1, days + 1)):
            expected.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    assert calendar_months(start, end) == expected


@given(dates, dates)
def test_anniversary_satisfies_its_defining_inequality(a, b):
    start, end = min(a, b), max(a, b)
    n = anniversary_months(start, end)
    one = timedelta(days=1)
    if n > 0:
        assert start + relativedelta(months=n) - one <= end
    assert start + relativedelta(months=n + 1) - one > end


@given(dates, dates)
def test_calendar_count_equals_the_listed_months(a, b):
    assert whole_months(a, b, "calendar") == len(calendar_months(a, b))


def test_shifting_keeps_month_ends_and_clamps():
    """Moving lines between periods for rates diff and impact: 30.06.2023 + 23 months was
    30.05.2025, so May stopped being whole and the same rates showed a cut (user trial)."""
    from grants.months import shift_months

    assert shift_months(date(2023, 6, 30), 23) == date(2025, 5, 31)
    assert shift_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert shift_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert shift_months(date(2023, 2, 28), 12) == date(2024, 2, 29)  # a month end stays one
    assert shift_months(date(2023, 3, 15), -5) == date(2022, 10, 15)
    assert shift_months(date.max, 5) == date.max


def test_same_rates_in_another_period_change_nothing_in_diff_and_impact():
    from grants import default_engine
    from grants.commands._common import load_input
    from grants.tools.impact import impact, lines_from_records
    from grants.datafiles.paths import data_dir
    from grants.tools.ratesdiff import diff
    from tests.conftest import FIXTURES

    example = FIXTURES / "examples" / "soknad_2023.csv"
    records = load_input(str(example)).lines
    from grants.tools.ratesdiff import load_side

    report = diff(load_side("2023"), load_side("2024-25"), records, str(example))
    # rows 3 and 7 lie inside both periods after the move (the others run the whole 11-month 2023
    # period, longer than 2024-25, and are rightly clipped)
    by_row = {l.row: (l.old_nok, l.new_nok) for l in report.lines}
    assert by_row[3] == (190_000, 190_000) and by_row[7] == (75_000, 75_000)
    lines, _ = lines_from_records([records[2], records[6]], default_engine())
    result = impact(lines, "2023", data_dir("rates") / "2024-25.yaml")
    assert result.changed_lines == 0 and result.base_total == result.new_total


def _days(d: date):
    import numpy as np

    from grants.days import day_number

    return np.array([day_number(d)], dtype=np.int64)


@given(dates, dates)
def test_the_column_counts_equal_the_one_interval_counts(a, b):
    """The batch counts months over columns of day numbers; the one-interval functions are the
    reference it is held to."""
    from grants.months import anniversary_month_counts, calendar_month_counts

    assert calendar_month_counts(_days(a), _days(b))[0] == whole_months(a, b, "calendar")
    n, _ = anniversary_month_counts(_days(a), _days(b))
    assert n[0] == anniversary_months(a, b)
    start, end = min(a, b), max(a, b)
    n, extra = anniversary_month_counts(_days(start), _days(end))
    assert (int(n[0]), bool(extra[0])) == longer_than_whole_months(start, end)
