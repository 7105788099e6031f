"""Adding a period is adding a file: a copy of the last rate table with its dates moved a year
on, placed beside copies of rates/ and rules/, is loaded, passes the rate-table property suite
and is computed, with no change in code or tests."""
from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta

from grants import Engine
from grants.months import calendar_months
from grants.rates.tables import RateBook
from grants.rules.rulebook import RuleBook
from grants.testing import check_rate_table
from tests.conftest import line, shipped_book
from tests.new_period import data_copy_with_next_period, next_period_id


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    rates, rules, new_id = data_copy_with_next_period(tmp_path_factory.mktemp("next"))
    book = RateBook.load(rates)
    return rates, new_id, Engine(book, RuleBook.load(book, rules))


def test_next_period_id():
    assert next_period_id("2025-26") == "2026-27"
    assert next_period_id("2099-99") == "2100-00"
    assert next_period_id("2023") == "2024"


def test_the_copy_is_one_more_period_after_the_last(world):
    rates, new_id, engine = world
    shipped = shipped_book()
    assert engine.ratebook.period_ids == shipped.period_ids + [new_id]
    last, new = engine.ratebook.tables[-2:]
    assert new.period.first_day == last.period.first_day + relativedelta(years=1)
    assert new.period.last_day == last.period.last_day + relativedelta(years=1)


def test_the_copy_passes_rates_check(world):
    rates, new_id, _ = world
    report = check_rate_table(rates / f"{new_id}.yaml", rates_dir=rates, max_examples=30)
    assert report.ok, report.text()
    assert report.period_id == new_id and not report.notes[1:]
    assert new_id in report.result("no_month_paid_twice").message


def test_a_line_across_the_new_boundary_is_split_and_no_month_is_paid_twice(world):
    _, new_id, engine = world
    last, new = engine.ratebook.tables[-2:]
    rec = line(start=last.period.first_day.isoformat(), end=new.period.last_day.isoformat())
    result = engine.compute([rec])
    assert not result.rejections, result.rejections[0].text()
    parts = result.lines
    assert [p.period for p in parts] == [last.id, new_id]
    a, b = parts
    assert a.counted_end < b.counted_start  # the shared boundary day, if any, counted once
    if last.whole_months == "calendar":
        months = calendar_months(a.counted_start, a.counted_end) + calendar_months(b.counted_start, b.counted_end)
        assert len(months) == len(set(months))
    # the copy prices a year of the same line as the last period does
    assert b.whole_months == a.whole_months and b.amount_nok == a.amount_nok > 0


def test_the_same_line_a_year_later_gets_the_same_amount(world):
    _, new_id, engine = world
    last = engine.ratebook.tables[-2]
    start = last.period.first_day + timedelta(days=31)
    end = start + relativedelta(months=7) - timedelta(days=1)
    before = engine.compute([line(position_share="80", start=start.isoformat(), end=end.isoformat())], last.id)
    later = engine.compute([line(position_share="80", start=(start + relativedelta(years=1)).isoformat(),
                                 end=(end + relativedelta(years=1)).isoformat())], new_id)
    (x,), (y,) = before.lines, later.lines
    assert (y.period, y.whole_months, y.amount_nok) == (new_id, x.whole_months, x.amount_nok)
    assert y.amount_nok > 0
