"""The vectorised evaluator gives exactly what the engine's path gives (durable_rules where it is
installed), line for line: amount, status and rule ids, from the same rules and rate files."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from grants.pipeline.headers import map_header
from grants.pipeline.inputs import validate_row
from grants.tools.portfolio import synthetic_portfolio
from grants.pipeline.vectorised import VectorEvaluator, anniversary_month_count, calendar_month_count
from grants.months import anniversary_months, whole_months
from tests.conftest import line, needs_durable_rules

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
    """The share grammar refuses them at the input (a rejection); a frame built by hand is
    refused by the vectorised path too, never rounded."""
    assert "høyst to desimaler" in engine.compute([line(position_share="33.333")], "2023").rejections[0].message
    frame = vector.frame_from_lines([validate_row(1, line(), map_header(line()))])
    frame["position_share"] = [Decimal("33.333")]
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


@needs_durable_rules
def test_compute_above_the_threshold_gives_the_same_result(engine):
    from grants import Engine

    records = synthetic_portfolio(3000, seed=21, period="2023") + synthetic_portfolio(3000, seed=22, period="2025-26")
    records += [line(alis_id="X1", agreement_signed="2023-11-15", start="2023-09-01", end="2024-08-31"),
                line(alis_id="X2", kommunenummer="9999"), line(alis_id="X3", first_gp_date="2024-01-01",
                                                              start="2025-06-01", end="2026-05-31")]
    durable = Engine(engine.ratebook, engine.rulebook, engine.centrality, vector_threshold=None)
    vectorised = Engine(engine.ratebook, engine.rulebook, engine.centrality, vector_threshold=1)
    a, b = durable.compute(records), vectorised.compute(records)
    assert (a.evaluator, b.evaluator) == ("durable_rules", "vectorised")
    assert [r.as_row() for r in a.lines] == [r.as_row() for r in b.lines]
    assert [r.text() for r in a.rejections] == [r.text() for r in b.rejections]


fact_values = st.fixed_dictionaries(
    {
        "period_first_day": st.sampled_from([20220101, 20221001, 20230901, 20240901, 20250601]),
        "part_start": st.integers(20220101, 20261231), "part_end": st.integers(20220101, 20261231),
        "line_start": st.integers(20220101, 20261231), "line_end": st.integers(20220101, 20261231),
        "line_whole_months": st.integers(0, 30), "line_has_extra_days": st.booleans(),
        "grant_type": st.sampled_from(["alis_avtale", "kun_veiledning"]),
        "role": st.sampled_from(["fastlege", "fastlegevikar", "introduksjonslege", "annet_kommunalt"]),
        "centrality_class": st.integers(1, 6), "via_agency": st.booleans(),
        "private_commercial": st.booleans(), "new_scheme": st.booleans(),
    },
    optional={"agreement_signed": st.integers(20220101, 20261231), "first_gp_date": st.integers(20200101, 20261231)},
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(fact_values, min_size=1, max_size=30))
@needs_durable_rules
def test_vectorised_fire_equals_durable_rules_fire(engine, facts):
    from grants.rules.fire_columns import fire

    durable = [sorted(names) for names in engine.runner.fire(facts)]
    assert [sorted(names) for names in fire(engine.rulebook, facts)] == durable
