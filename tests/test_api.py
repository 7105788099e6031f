"""The typed Python API as another service would use it."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta

import grants
from grants import LineInput, compute
from tests.conftest import line, shipped_book


def test_dataframe_dicts_and_models_give_the_same_result():
    recs = [line(alis_id="A", position_share="80"), line(alis_id="B", kommunenummer="5412", role="introduksjonslege")]
    models = [LineInput.model_validate(r) for r in recs]
    by_dicts = compute(recs, period="2023")
    by_frame = compute(pd.DataFrame(recs), period="2023")
    by_models = compute(models, period="2023")
    expected = [220000, 293333]  # 300000*0.8*11/12; 320000*11/12 = 293333.33
    for result in (by_dicts, by_frame, by_models):
        assert [l.amount_nok for l in result.lines] == expected


def test_line_input_is_typed_and_validates():
    model = LineInput(alis_id="A", kommunenummer="301", grant_type="ALIS-avtale", role="vikar",
                      position_share="80,5 %", start="01.03.2023", end=date(2023, 8, 31), via_agency="nei")
    assert model.kommunenummer == "0301"
    assert model.role is grants.Role.FASTLEGEVIKAR
    assert model.position_share == Decimal("80.5")
    assert model.start == date(2023, 3, 1)


def test_result_says_the_rates_are_not_official():
    result = compute([line()], period="2023")
    assert result.rates_statuses == {"2023": "illustrative"}
    assert result.uses_unofficial_rates
    assert result.lines[0].rates_status == "illustrative"
    assert set(result.to_frame()["rates_status"]) == {"illustrative"}


def test_to_frame_has_one_row_per_result_and_per_rejection():
    result = compute([line(), line(alis_id="X", role="kirurg")], period="2023")
    frame = result.to_frame()
    assert list(frame["row"]) == [1, 2]
    assert list(frame["status"]) == ["ok", "rejected"]
    assert "kirurg" in frame.loc[1, "reason"]
    for column in ("row", "alis_id", "kommunenummer", "period", "whole_months", "centrality_class",
                   "annual_rate", "amount_nok", "status", "reason", "rule_ids", "rates_status"):
        assert column in frame.columns


def test_trace_records_rules_facts_constants_and_arithmetic():
    result = compute([line(kommunenummer="5412", position_share="50", start="2022-11-15")], period="2023")
    trace = result.traces()[0]
    json.dumps(trace)  # JSON-ready
    assert [r["id"] for r in trace["rules"]] == [
        "rate.alis_avtale.fastlege", "centrality.class_6", "months.whole_months", "amount.model_a"]
    assert all(r["citation"] for r in trace["rules"])
    assert trace["centrality"] == {"class": 6, "from": "ssb", "ssb_class": 6, "classification": "ssb-2024",
                                   "code_set": "2020", "municipality": "Tjeldsund", "group": "class_6"}
    assert trace["constants"]["rate_path"] == "annual_rates.alis_avtale.fastlege.class_6"
    assert trace["constants"]["annual_rate"] == "380000"
    assert trace["constants"]["rates_status"] == "illustrative"
    assert trace["months"]["count"] == 9 and trace["months"]["calendar_months"][0] == "2022-12"
    # 380000 * 0.5 * 9 / 12 = 142500
    assert trace["calculation"]["amount_nok"] == 142500
    assert Decimal(trace["calculation"]["exact_amount"]) == Decimal(142500)


def test_centrality_override_is_traced_as_input():
    result = compute([line(kommunenummer="0301", centrality_class="6")], period="2023")
    trace = result.traces()[0]
    assert trace["centrality"]["from"] == "input" and trace["centrality"]["ssb_class"] == 1
    assert result.lines[0].amount_nok == 348333  # 380000 * 11 / 12 = 348333.33


def test_line_across_periods_is_split_and_the_trace_shows_it():
    result = compute([line(start="2022-09-01", end="2023-12-31")])
    assert [(l.period, l.whole_months) for l in result.lines] == [("2022", 1), ("2023", 11), ("2023-24", 4)]
    # 240000/12 + 300000*11/12 + 300000*4/12
    assert result.total_nok == 20000 + 275000 + 100000
    assert all("delt ved periodegrensen" in " ".join(l.notes) for l in result.lines)


def test_time_outside_every_period_is_named_not_dropped():
    last = shipped_book().tables[-1]
    after = last.period.last_day + timedelta(days=1)  # the first day no table covers
    start, end = after - relativedelta(months=5), after + relativedelta(months=7) - timedelta(days=1)
    result = compute([line(start=start.isoformat(), end=end.isoformat())])
    (part,) = result.lines
    assert part.period == last.id and part.whole_months == 5
    assert any(f"{after:%d.%m.%Y}–{end:%d.%m.%Y}" in n for n in part.notes)


def test_line_entirely_outside_every_period_is_rejected_with_the_dates():
    result = compute([line(start="2019-01-01", end="2019-12-31")])
    assert not result.lines
    rejection = result.rejections[0]
    assert (rejection.column, rejection.value) == ("start/end", "2019-01-01–2019-12-31")
    assert "ingen satstabell dekker" in rejection.text()


def test_rounding_is_half_up_once_per_line():
    # 60000 * 20.01 % * 1 / 12 = 1000.5 -> 1001 (half up, not half even)
    result = compute([line(grant_type="kun_veiledning", position_share="20,01", start="2022-02-01", end="2022-02-28")], period="2022")
    assert result.lines[0].exact_amount == Decimal("1000.5")
    assert result.lines[0].amount_nok == 1001


def test_shared_boundary_day_is_not_a_line_of_its_own():
    starts_on_it = compute([line(start="2022-10-01", end="2022-12-31")])
    assert [l.period for l in starts_on_it.lines] == ["2023"]
    ends_on_it = compute([line(start="2022-08-01", end="2022-10-01")])
    assert [(l.period, l.whole_months) for l in ends_on_it.lines] == [("2022", 2)]


@pytest.mark.parametrize("share", ["0,8", "1", "0.5"])
def test_a_share_written_as_a_fraction_is_rejected_not_paid_as_a_tiny_percent(share):
    result = compute([line(position_share=share), line(alis_id="OK")], period="2023")
    (rej,) = result.rejections
    assert (rej.row, rej.column, rej.value) == (1, "position_share", share)
    assert "brøk" in rej.message and "prosent" in rej.message
    assert [l.alis_id for l in result.lines] == ["OK"]


def test_a_line_clipped_to_the_period_says_so():
    result = compute([line(start="2023-01-15", end="2023-12-31")], period="2023")
    assert any("klippet til perioden 2023" in n for n in result.lines[0].notes)


def test_a_single_part_is_not_called_split():
    result = compute([line(start="2022-10-01", end="2023-08-31")])
    (part,) = result.lines
    assert not any("delt" in n for n in part.notes)


def test_to_frame_keeps_whole_kroner_as_integers():
    frame = compute([line(), line(alis_id="X", role="kirurg")], period="2023").to_frame()
    assert str(frame["amount_nok"].dtype) == "Int64"
    assert frame.loc[0, "amount_nok"] == 275000 and frame["amount_nok"].isna().tolist() == [False, True]


def test_a_centrality_class_from_the_input_is_said_in_the_reason():
    """Class 6 on an Oslo line raised 275 000 to 348 333 kr with an empty reason (user trial)."""
    result = compute([line(sentralitetsklasse="6")], period="2023")
    (r,) = result.lines
    assert r.amount_nok == 348333 and r.centrality_source == "input"
    assert "sentralitetsklasse 6 er oppgitt i søknaden" in result.rows()[0]["reason"] and "klasse 1" in result.rows()[0]["reason"]
