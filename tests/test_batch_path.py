"""The batch path (columns from input to result) against the one-by-one path (a LineInput and
a LineResult per line): the same output rows, rejections, traces and notes, for random batches
on both evaluators. Every difference would be money or words that depend on how a batch is
computed."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from grants.pipeline.columns import normalise
from tests.conftest import EVALUATORS_HERE, line, shipped_book

PERIODS = [None] + shipped_book().period_ids

_dates = st.sampled_from([
    "2021-12-01", "2022-01-01", "2022-03-15", "2022-09-30", "2022-10-01", "2022-10-16", "2023-01-31", "2023-02-01",
    "2023-08-31", "2023-09-01", "2023-12-15", "2024-06-30", "2024-09-01", "2025-05-31", "2025-06-01",
    "2025-08-17", "2026-05-31", "01.03.2023",
])
_line = st.fixed_dictionaries({
    "alis_id": st.sampled_from(["A1", "a-1", "A2", "B 7", "0042", "42", "Åse"]),
    "kommunenummer": st.sampled_from(["0301", "301", "5401", "1804", "4201", "3029"]),
    "grant_type": st.sampled_from(["alis_avtale", "ALIS-avtale", "alis_avtale", "kun_veiledning"]),
    "role": st.sampled_from(["fastlege", "vikar", "fastlegevikar", "introduksjonslege", "annet_kommunalt"]),
    "position_share": st.sampled_from(["100", "80", "80,5", "33.33", "50 %", "4", "60.01", "20"]),
    "start": _dates,
    "end": _dates,
}, optional={
    "via_agency": st.sampled_from(["ja", "nei", "", "nei"]),
    "new_scheme": st.sampled_from(["ja", "nei", ""]),
    "private_commercial": st.sampled_from(["ja", "nei"]),
    "centrality_class": st.sampled_from(["", "6", "2"]),
    "agreement_signed": st.sampled_from(["", "2023-03-10", "2024-11-02"]),
    "first_gp_date": st.sampled_from(["", "2025-07-01", "2022-01-01"]),
    "supervision_hours": st.sampled_from(["", "10", "12,5"]),
    "utgift_veiledning": st.sampled_from(["", "12 500", "40000"]),
})
_SPOILED = {  # a value each column refuses
    "alis_id": "", "kommunenummer": "9999", "grant_type": "??", "role": "lege", "position_share": "1e1",
    "start": "2023-02-30", "end": "", "via_agency": "kanskje", "centrality_class": "7",
}


def _outcome(engine, lines, period, evaluator, columnar):
    table = engine.ratebook.get(period) if period else None
    try:
        result = engine._compute(lines, table, evaluator=evaluator, columnar=columnar)
    except Exception as exc:  # the same error on both paths
        return ("error", type(exc).__name__, str(exc))
    return (result.rows(), [r.text() for r in result.rejections], [l.trace() for l in result.lines],
            result.total_nok, [(t.key, t.lines, t.amount_nok) for t in result.totals_by_municipality()])


@settings(max_examples=int(os.environ.get("BATCH_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(_line, min_size=1, max_size=14), st.sampled_from(PERIODS), st.sampled_from(EVALUATORS_HERE),
       st.data())
def test_batch_path_gives_what_one_by_one_gives(engine, lines, period, evaluator, data):
    # copies of earlier lines, sometimes with the doctor spelled another way
    for _ in range(data.draw(st.integers(0, 3))):
        copy = dict(data.draw(st.sampled_from(lines)))
        if data.draw(st.booleans()):
            copy["alis_id"] = copy["alis_id"].lower() + " "
        lines.append(copy)
    for _ in range(data.draw(st.integers(0, 2))):  # a few rows with a value their column refuses
        spoiled = data.draw(st.sampled_from(lines))
        column = data.draw(st.sampled_from(sorted(_SPOILED)))
        spoiled[column] = _SPOILED[column]
    keys = set().union(*lines)
    lines = [{k: l.get(k, "") for k in keys} for l in lines]  # a table: every row has every column
    batch = _outcome(engine, lines, period, evaluator, columnar=True)
    one_by_one = _outcome(engine, lines, period, evaluator, columnar=False)
    assert batch == one_by_one


def test_a_frame_of_numbers_and_dates_reads_as_its_text_does(engine):
    """A DataFrame with numbers, timestamps and NaN (as pandas reads a workbook) gives the
    amounts its text form gives."""
    text = [line(alis_id=f"D{i}", position_share=s, start=a, end=b) for i, (s, a, b) in enumerate([
        ("80", "2022-10-01", "2023-08-31"), ("50,5", "2023-01-15", "2023-06-30"), ("100", "2022-12-01", "2023-03-31")])]
    frame = pd.DataFrame(text)
    frame["position_share"] = [80.0, 50.5, 100]
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    frame["kommunenummer"] = [301, 301.0, np.nan]
    got = engine.compute(frame, "2023")
    want = engine.compute(text[:2] + [dict(text[2], kommunenummer="")], "2023")
    assert list(got.column("amount_nok")) == list(want.column("amount_nok")) == [220000, 63125]
    assert list(got.column("status")) == list(want.column("status"))
    assert [r.text() for r in got.rejections] == [r.text() for r in want.rejections]


def test_columns_parse_each_distinct_value_once(engine, monkeypatch):
    """A batch that repeats its values is parsed per distinct value, not per row."""
    import grants.pipeline.columns as columns

    calls = []
    real = columns.PARSERS["start"]
    monkeypatch.setitem(columns.PARSERS, "start", lambda v: calls.append(v) or real(v))
    cols = normalise([line(alis_id=f"D{i}") for i in range(500)], engine._elements)
    assert cols.valid.all() and calls == ["2022-10-01"]


def test_a_row_the_column_check_and_the_row_check_disagree_on_stops_the_run(engine, monkeypatch):
    """If the column check and validate_row ever disagreed, the run stops instead of paying."""
    import grants.pipeline.columns as columns
    from grants.errors import ConservationError

    monkeypatch.setattr(columns, "validate_row", lambda row, record, header: object())
    with pytest.raises(ConservationError, match="row 1"):
        normalise([line(position_share="abc")], engine._elements)


def test_a_million_row_result_is_columns_until_a_line_is_asked_for(engine):
    """The batch path keeps its results as columns: no LineResult exists until one is read."""
    result = engine.compute([line(alis_id=f"D{i}") for i in range(2000)], "2023")
    assert result.table is not None and len(result.table) == 2000 and result.line_objects == []
    assert result.lines[1999].row == 2000 and result.lines[5].amount_nok == result.column("amount_nok")[5]
    assert result.total_nok == int(result.column("amount_nok").sum())


def test_typed_lines_are_named_by_their_canonical_columns_in_a_rejection(engine):
    """A list of LineInput objects has no header: a rejection names the canonical column
    (expense_veiledning), never the engine's internal key."""
    from decimal import Decimal

    from grants.pipeline.inputs import LineInput

    typed = LineInput(alis_id="T1", kommunenummer="0301", grant_type="alis_avtale", role="fastlege",
                      position_share="100", start="2025-06-01", end="2026-05-31", supervision_hours="10",
                      expenses={"veiledning": Decimal("12500")})
    (rejection,) = engine.compute([typed], "2025-26").rejections
    assert rejection.column == "supervision_hours/expense_veiledning" and "expense:" not in rejection.text()
