"""The one pricer held to the exact reference, on random batches and both evaluators.

Every line, whatever door it came by and whatever its batch, goes one road: columns, parts, one
fact table, plans, model A priced over columns in integers, model B part by part. These tests
hold that road to what the project says a line is worth, computed another way:

- the facts each part was priced with (its trace) are what the reference derivation below gives
  from the line alone: its part of the period (the boundary day two periods share counted once,
  in the later period), its own dates and months, its fields;
- each model A amount is the `formula` rule's expression in exact fractions (the reference,
  grants.rules.formulas.model_a_amount) rounded half up once, and its whole months are the
  one-interval count of grants.months over its counted days;
- a line whose doctor has no other line in the batch gives, alone (a batch of one), exactly
  what it gives in the batch: output row, reason and trace;
- the two evaluators (numpy masks, durable_rules) give the same output, rejections and traces.
"""
from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from grants.domain import Status
from grants.money import to_kroner
from grants.months import longer_than_whole_months, whole_months
from grants.pipeline.columns import normalise
from grants.pipeline.inputs import doctor_key
from grants.rules.formulas import model_a_amount
from grants.rules.rulebook import counted_by
from tests.conftest import EVALUATORS_HERE, line, shipped_book

PERIODS = [None] + shipped_book().period_ids

_dates = st.sampled_from([
    "2021-12-01", "2022-01-01", "2022-03-15", "2022-09-30", "2022-10-01", "2022-10-16", "2023-01-31", "2023-02-01",
    "2023-08-31", "2023-09-01", "2023-12-15", "2024-06-30", "2024-09-01", "2025-05-31", "2025-06-01",
    "2025-08-17", "2026-05-31", "01.03.2023", "31.12.9999",
])
_line = st.fixed_dictionaries({
    "alis_id": st.sampled_from(["A1", "a-1", "A2", "B 7", "0042", "42", "Åse", "C3", "D4"]),
    "kommunenummer": st.sampled_from(["0301", "301", "5401", "1804", "4201", "3029", "1151"]),
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
_DAY = timedelta(days=1)


def _outcome(engine, lines, period, evaluator):
    try:
        result = engine.compute(lines, period, evaluator=evaluator)
    except Exception as exc:  # the same error on every evaluator
        return ("error", type(exc).__name__, str(exc)), None
    return (result.rows(), [r.text() for r in result.rejections], [l.trace() for l in result.lines],
            result.total_nok, [(t.key, t.lines, t.amount_nok) for t in result.totals_by_municipality()]), result


def _reference_parts(start: date, end: date, period: str | None, book) -> dict[str, tuple[date, date]]:
    """Period -> the part of [start, end] priced in it, derived one line at a time."""
    if period is not None:
        t = book.get(period)
        return {t.id: (max(start, t.period.first_day), min(end, t.period.last_day))}
    kept: list[list] = []
    for t in book.overlapping(start, end):
        part = [t.id, max(start, t.period.first_day), min(end, t.period.last_day)]
        if kept and kept[-1][2] >= part[1]:  # a boundary day the two periods share
            if part[1] == part[2]:
                continue  # the line ends on it: it stays in the earlier part
            kept[-1][2] = part[1] - _DAY
            if kept[-1][1] > kept[-1][2]:
                kept.pop()
        kept.append(part)
    return {p: (a, b) for p, a, b in kept}


def _reference_facts(r, part: tuple[date, date]) -> dict:
    """The facts of one part from the line alone (dates in ISO form, as a trace shows them)."""
    line = r.line
    n, extra = longer_than_whole_months(line.start, line.end)
    facts = {
        "period_first_day": r.rate_table.period.first_day.isoformat(), "part_start": part[0].isoformat(),
        "part_end": part[1].isoformat(), "line_start": line.start.isoformat(), "line_end": line.end.isoformat(),
        "line_whole_months": n, "line_has_extra_days": extra, "grant_type": line.grant_type.value,
        "role": line.role.value, "centrality_class": r.centrality_class,
        "position_share": int(line.position_share * 100), "via_agency": line.via_agency,
        "private_commercial": line.private_commercial, "new_scheme": line.new_scheme,
    }
    for name in ("agreement_signed", "first_gp_date"):
        if getattr(line, name) is not None:
            facts[name] = getattr(line, name).isoformat()
    return facts


def _hold_to_the_reference(result, period, book) -> None:
    # the columns totals are summed from are what the lines say (a line kept as columns is made
    # when read, by the same pricing that gave its column values)
    lines = list(result.lines)
    assert list(result.column("amount_nok")) == [r.amount_nok for r in lines]
    assert list(result.column("whole_months")) == [r.whole_months for r in lines]
    assert list(result.column("status")) == [r.status.value for r in lines]
    assert list(result.column("centrality_class")) == [r.centrality_class for r in lines]
    assert list(result.column("period")) == [r.period for r in lines]
    assert result.traces() == [r.trace() for r in lines]  # read from the store = read from the line
    for r in result.lines:
        if r.status is Status.OUTSIDE_PERIOD:
            assert r.amount_nok == 0 and r.derived_facts() is None
            continue
        part = _reference_parts(r.line.start, r.line.end, period, book)[r.period]
        assert r.derived_facts() == _reference_facts(r, part), (r.row, r.period)
        assert r.counted_end == part[1]
        method = counted_by(r.rules, r.rate_table)
        assert r.whole_months == whole_months(r.counted_start, r.counted_end, method)
        if r.rate_table.model == "A" and r.status is Status.OK:
            formula = next(rule.formula for rule in r.rules if rule.kind == "formula")
            exact = model_a_amount(formula, r.annual_rate, r.line.position_share, r.whole_months, r.rate_table)
            assert r.amount_nok == to_kroner(exact) and r.exact_amount == Decimal(exact.numerator) / exact.denominator


@settings(max_examples=int(os.environ.get("BATCH_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(_line, min_size=1, max_size=14), st.sampled_from(PERIODS), st.data())
def test_the_pricer_gives_the_reference_on_every_evaluator_and_alone_what_it_gives_in_a_batch(engine, lines, period, data):
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
    book = engine.ratebook
    outcomes = [_outcome(engine, lines, period, evaluator) for evaluator in EVALUATORS_HERE]
    assert all(o[0] == outcomes[0][0] for o in outcomes)
    batch, result = outcomes[0]
    if result is None:
        return
    _hold_to_the_reference(result, period, book)
    doctors = [doctor_key(str(l["alis_id"]).strip()) for l in lines]
    rows = [r for r in batch[0] if doctors.count(doctors[r["row"] - 1]) == 1 and r["status"] != "rejected"]
    traces = {(t["row"], t["period"]["id"]): t for t in batch[2]}
    for row in {r["row"] for r in rows}:
        alone, one = _outcome(engine, [lines[row - 1]], period, EVALUATORS_HERE[-1])
        assert one is not None
        assert [dict(r, row=row) for r in alone[0]] == [r for r in batch[0] if r["row"] == row]
        for t in alone[2]:
            t = dict(t, row=row)
            assert t == traces[(row, t["period"]["id"])]


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
    assert len(result.result_columns) == 2000 and result.lines._kept is None
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
