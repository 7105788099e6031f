"""Properties of the engine over random lines (hypothesis): monotonicity, class 6, totals,
row conservation, and no month paid in two periods."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from grants.months import anniversary_months, calendar_months
from tests.conftest import line, shipped_book

MUNICIPALITIES = ["0301", "5412", "3401", "1508", "1151", "3024", "4601", "1804"]
ROLES = ["fastlege", "fastlegevikar", "introduksjonslege", "annet_kommunalt"]
GRANT_TYPES = ["alis_avtale", "kun_veiledning"]
_BOOK = shipped_book()
PERIODS = _BOOK.period_ids

# every shipped period and three months on either side
days = st.dates(min_value=_BOOK.tables[0].period.first_day - timedelta(days=92),
                max_value=_BOOK.tables[-1].period.last_day + timedelta(days=92))
shares = st.decimals(min_value=Decimal("1.1"), max_value=Decimal(100), places=1)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def lines(draw, **fixed):
    a, b = draw(days), draw(days)
    start, end = min(a, b), max(a, b)
    values = dict(
        alis_id=draw(st.sampled_from(["D1", "D2", "D3"])),
        kommunenummer=draw(st.sampled_from(MUNICIPALITIES)),
        grant_type=draw(st.sampled_from(GRANT_TYPES)),
        role=draw(st.sampled_from(ROLES)),
        position_share=str(draw(shares)),
        start=start.isoformat(),
        end=end.isoformat(),
        via_agency=draw(st.booleans()),
        private_commercial=draw(st.booleans()),
        new_scheme=draw(st.sampled_from([True, True, True, False])),
    )
    values.update(fixed)
    return line(**values)


def _amount(engine, rec, period):
    result = engine.compute([rec], period)
    assert not result.rejections, result.rejections
    return result.lines[0]


@SETTINGS
@given(lines(), shares, shares, st.sampled_from(PERIODS))
def test_amount_non_decreasing_in_share(engine, rec, s1, s2, period):
    low, high = sorted((s1, s2))
    a = _amount(engine, dict(rec, position_share=str(low)), period)
    b = _amount(engine, dict(rec, position_share=str(high)), period)
    assert a.amount_nok <= b.amount_nok


@SETTINGS
@given(lines(), st.integers(min_value=0, max_value=400), st.sampled_from(PERIODS))
def test_amount_non_decreasing_in_months(engine, rec, extra_days, period):
    longer = date.fromisoformat(rec["end"]) + timedelta(days=extra_days)
    a = _amount(engine, rec, period)
    b = _amount(engine, dict(rec, end=longer.isoformat()), period)
    assert a.whole_months <= b.whole_months
    assert a.amount_nok <= b.amount_nok


@SETTINGS
@given(lines(), st.sampled_from(PERIODS))
def test_zero_months_give_zero(engine, rec, period):
    r = _amount(engine, rec, period)
    if r.whole_months == 0:
        assert r.amount_nok == 0
    if r.status.value == "ineligible":
        assert r.amount_nok == 0 and r.reasons


@SETTINGS
@given(lines(), st.integers(min_value=1, max_value=5), st.sampled_from(PERIODS))
def test_class_6_never_below_classes_1_to_5(engine, rec, other, period):
    six = _amount(engine, dict(rec, centrality_class=6), period)
    lower = _amount(engine, dict(rec, centrality_class=other), period)
    assert six.amount_nok >= lower.amount_nok
    assert six.centrality_source == "input"


@SETTINGS
@given(st.lists(lines(alis_id=st.just("x")), min_size=1, max_size=12), st.sampled_from(PERIODS + [None]))
def test_totals_equal_sum_of_lines_and_rows_are_conserved(engine, recs, period):
    recs = [dict(r, alis_id=f"D{i % 4}") for i, r in enumerate(recs)]
    result = engine.compute(recs, period)
    computed = {l.row for l in result.lines}
    rejected = {r.row for r in result.rejections}
    assert computed.isdisjoint(rejected)
    assert computed | rejected == set(range(1, len(recs) + 1))
    assert result.total_nok == sum(l.amount_nok for l in result.lines)
    assert sum(t.amount_nok for t in result.totals_by_doctor()) == result.total_nok
    assert sum(t.amount_nok for t in result.totals_by_municipality()) == result.total_nok
    assert sum(t.lines for t in result.totals_by_municipality()) == len(result.lines)


@SETTINGS
@given(lines(via_agency=False, private_commercial=False, new_scheme=True, role="fastlege"))
def test_no_month_is_paid_in_two_periods(engine, rec):
    """Split across periods: the parts never share a day (the day 2022 and 2023 share goes to
    one part only), the calendar months of the calendar-method parts never repeat, and together
    they are exactly the line's calendar months inside those periods."""
    result = engine.compute([rec], None)
    if result.rejections:  # the line lies outside every period
        assert "ingen satstabell" in result.rejections[0].message
        return
    parts = result.lines
    for a, b in zip(parts, parts[1:]):
        assert a.counted_end < b.counted_start
    seen: list[tuple[int, int]] = []
    span_start, span_end = None, None
    for part in parts:
        if part.rate_table.whole_months == "calendar":
            months = calendar_months(part.counted_start, part.counted_end)
            assert len(months) == part.whole_months
            seen.extend(months)
            span_start = span_start or part.counted_start
            span_end = part.counted_end
        else:
            assert part.whole_months == anniversary_months(part.counted_start, part.counted_end)
    assert len(seen) == len(set(seen))
    if span_start is not None:
        assert sorted(seen) == calendar_months(span_start, span_end)


def test_consecutive_periods_share_at_most_one_day_and_that_day_is_never_a_whole_month(engine):
    tables = engine.ratebook.tables
    for before, after in zip(tables, tables[1:]):
        assert after.period.first_day >= before.period.last_day
        if after.period.first_day == before.period.last_day:
            day = after.period.first_day
            # the shared day opens a month in the later period only
            assert calendar_months(before.period.first_day, before.period.last_day)[-1] < (day.year, day.month)
