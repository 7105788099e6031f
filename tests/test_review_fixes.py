"""Cases a code review and two fresh-user trials found; each failed before its fix."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from grants.errors import InputFileError

from grants import compute
from grants.tools.impact import frame_from_records, impact
from grants.pipeline.grammar import parse_amount
from tests.conftest import REPO, line, shipped_book


def test_lines_that_follow_the_published_periods_are_not_an_overlap():
    # 2022 ends and 2023 starts on 01.10.2022: one doctor at 100 % in both
    result = compute([line(start="2022-01-01", end="2022-10-01"), line(start="2022-10-01", end="2023-08-31")])
    assert not result.rejections
    assert [(l.row, l.period, l.whole_months) for l in result.lines] == [(1, "2022", 9), (2, "2023", 11)]
    # a real overlap is still one
    clash = compute([line(start="2022-01-01", end="2022-10-02"), line(start="2022-10-01", end="2023-08-31")])
    assert [r.row for r in clash.rejections] == [1, 2]


def test_impact_into_another_period_moves_lines_by_whole_months(engine, tmp_path):
    # 2023 and 2023-24 have the same illustrative amounts: January 2023 moved 11 months is
    # December 2023, one whole month at the same rate in both
    frame, _ = frame_from_records([line(start="2023-01-01", end="2023-01-31")], engine)
    report = impact(frame, "2023", REPO / "rates" / "2023-24.yaml", engine=engine)
    assert report.shift_months == 11
    assert report.changed_lines == 0 and report.base_total == report.new_total == 25000


@pytest.mark.parametrize("text,expected", [
    ("kr 12.500,-", "12500"), ("12.500", "12500"), ("12 500,50", "12500.50"), ("12 500,- kr", "12500"),
    ("12500", "12500"), ("1.5", "1.5"),
])
def test_norwegian_amounts(text, expected):
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["sNaN", "NaN", "Infinity", "tolv"])
def test_not_an_amount(text):
    with pytest.raises(ValueError, match="ikke et beløp"):
        parse_amount(text)


def test_an_open_ended_line_written_31_12_9999_is_computed():
    result = compute([line(start="2023-01-01", end="31.12.9999"),
                      line(start="2024-01-01", end="31.12.9999", position_share="50"),
                      line(alis_id="T2", start="2024-01-01", end="31.12.9999")])
    assert [r.row for r in result.rejections] == [1, 2]  # 100 % + 50 % from 2024: a real overlap
    from_2024 = [t.id for t in shipped_book().tables if t.period.last_day >= date(2024, 1, 1)]
    assert [l.period for l in result.lines] == from_2024 and len(from_2024) >= 3


def test_numpy_numbers_and_0_1_flags_are_accepted():
    rec = line(position_share=np.float64(80.5), via_agency=np.float64(0.0), new_scheme=1)
    result = compute([rec], period="2023")
    assert not result.rejections and result.lines[0].amount_nok == 221375  # 300000*0.805*11/12
    frame = pd.DataFrame([line(via_agency=1), line(alis_id="B")])  # a 0/1 column with a blank -> floats
    result = compute(frame, period="2023")
    assert not result.rejections
    assert [l.status.value for l in result.lines] == ["ineligible", "ok"]


def test_a_name_column_called_kommune_is_carried_and_klasse_must_be_named():
    """`kommune` (a name) and `type` are the officer's own columns; `klasse` resembles the
    centrality class, which would change money: it stops the run unless ignored on purpose."""
    rec = {"lege_id": "A", "kommunenr": "0301", "kommune": "Oslo", "klasse": "6", "tilskuddstype": "alis_avtale",
           "rolle": "fastlege", "stillingsandel": "100", "fra": "01.10.2022", "til": "31.08.2023", "type": "x"}
    with pytest.raises(InputFileError, match="«klasse».*sentralitetsklasse"):
        compute([rec], period="2023")
    result = compute([rec], period="2023", ignore_columns=["klasse"])
    assert not result.rejections
    assert result.lines[0].centrality_class == 1 and result.lines[0].amount_nok == 275000
    assert result.ignored_columns == ("klasse",)
    assert result.passthrough == {"kommune": ["Oslo"], "klasse": ["6"], "type": ["x"]}


def test_an_applied_supplement_alone_is_not_a_refund():
    result = compute([line(kommunenummer="1151", start="2025-06-01", end="2026-05-31", sentralitetstillegg_sokt="50000")],
                     period="2025-26")
    (r,) = result.lines
    assert r.basis == "maksimalt tilskudd"
    assert {e.element: e.granted for e in r.elements}["sentralitetstillegg"] == Decimal(50000)


def test_agreement_date_rules_concern_alis_avtale_only():
    result = compute([line(grant_type="kun_veiledning", start="2023-09-01", end="2024-08-31",
                           agreement_signed="2024-03-01")], period="2023-24")
    (r,) = result.lines
    assert r.whole_months == 12 and r.status.value == "ok"
