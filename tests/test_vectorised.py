"""The vectorised evaluator gives exactly what the durable_rules path gives, line for line:
amount, status and rule ids, from the same rules and rate files."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from grants.inputs import map_header, validate_row
from grants.portfolio import synthetic_portfolio
from grants.vectorised import VectorEvaluator, anniversary_month_count, calendar_month_count
from grants.months import anniversary_months, whole_months
from tests.conftest import line

PERIODS = ["2022", "2023", "2023-24", "2024-25"]


@pytest.fixture(scope="module")
def vector(engine):
    return VectorEvaluator(engine)


def _both(engine, vector, records, period):
    durable = engine.compute(records, period)
    header = map_header({k: None for r in records for k in r})
    lines = [validate_row(i + 1, r, header) for i, r in enumerate(records)]
    assert all(not hasattr(l, "message") for l in lines), "the generator made an invalid row"
    cols = vector.evaluate(vector.frame_from_lines(lines), period).columns
    return durable, cols


def _assert_same(durable, cols):
    by_row = {l.row: l for l in durable.lines}
    rejected = {r.row for r in durable.rejections}
    for i, row in enumerate(cols["row"]):
        row = int(row)
        if row in rejected:
            assert cols["status"][i] == "rejected", row
            continue
        l = by_row[row]
        got = (int(cols["amount_nok"][i]), cols["status"][i], cols["rule_ids"][i], int(cols["whole_months"][i]))
        assert got == (l.amount_nok, l.status.value, " ".join(l.rule_ids), l.whole_months), row


def test_cross_check_one_hundred_thousand_lines(engine, vector):
    records = []
    for k, period in enumerate(PERIODS):
        records = synthetic_portfolio(25_000, seed=10 + k, period=period)
        durable, cols = _both(engine, vector, records, period)
        assert len(cols["row"]) == 25_000
        _assert_same(durable, cols)
        assert int(cols["amount_nok"].sum()) == durable.total_nok


dates = st.dates(min_value=date(2021, 6, 1), max_value=date(2025, 12, 31))


@st.composite
def records(draw):
    out = []
    for i in range(draw(st.integers(min_value=1, max_value=8))):
        a, b = draw(dates), draw(dates)
        rec = line(
            alis_id=f"D{draw(st.integers(min_value=0, max_value=3))}",
            kommunenummer=draw(st.sampled_from(["0301", "5412", "1151", "3401", "1508", "9999"])),
            grant_type=draw(st.sampled_from(["alis_avtale", "kun_veiledning"])),
            role=draw(st.sampled_from(["fastlege", "fastlegevikar", "introduksjonslege", "annet_kommunalt"])),
            position_share=str(draw(st.sampled_from([100, 80, 50, 20, 33.33, 12.5, 1.5]))),
            start=min(a, b).isoformat(), end=max(a, b).isoformat(),
            via_agency=draw(st.booleans()), private_commercial=draw(st.booleans()),
            new_scheme=draw(st.sampled_from([True, True, False])),
        )
        if draw(st.booleans()):
            rec["agreement_signed"] = draw(dates).isoformat()
        if draw(st.booleans()):
            rec["centrality_class"] = str(draw(st.integers(min_value=1, max_value=6)))
        out.append(rec)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records(), st.sampled_from(PERIODS))
def test_same_as_durable_rules_on_random_batches(engine, vector, recs, period):
    durable, cols = _both(engine, vector, recs, period)
    _assert_same(durable, cols)


@given(st.dates(min_value=date(2019, 1, 1), max_value=date(2028, 12, 31)),
       st.dates(min_value=date(2019, 1, 1), max_value=date(2028, 12, 31)))
def test_month_counts_match_the_scalar_functions(a, b):
    days = lambda d: np.array([(np.datetime64(d, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)])
    assert calendar_month_count(days(a), days(b))[0] == whole_months(a, b, "calendar")
    n, _ = anniversary_month_count(days(a), days(b))
    assert n[0] == anniversary_months(a, b)


def test_model_b_is_refused(engine, vector):
    frame = vector.frame_from_lines([validate_row(1, line(), map_header(line()))])
    with pytest.raises(ValueError, match="model A"):
        vector.evaluate(frame, "2025-26")


def test_shares_with_more_than_two_decimals_are_refused(engine, vector):
    frame = vector.frame_from_lines([validate_row(1, line(position_share="33.333"), map_header(line()))])
    with pytest.raises(ValueError, match="two decimals"):
        vector.evaluate(frame, "2023")


@given(st.dates(min_value=date(2019, 1, 1), max_value=date(2028, 12, 31)),
       st.dates(min_value=date(2019, 1, 1), max_value=date(2028, 12, 31)))
def test_vikar_measure_matches_the_scalar_function(a, b):
    from grants.months import longer_than_whole_months

    start, end = min(a, b), max(a, b)
    days = lambda d: np.array([(np.datetime64(d, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)])
    n, extra = anniversary_month_count(days(start), days(end))
    assert (int(n[0]), bool(extra[0])) == longer_than_whole_months(start, end)
