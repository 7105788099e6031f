"""Scenario cases a finance officer can read: fixtures/scenarios/<period>.csv, one case a row."""
from __future__ import annotations

import pytest

from grants.io.reader import read_table
from grants.money import to_kroner
from tests.conftest import FIXTURES

SCENARIO_FILES = sorted((FIXTURES / "scenarios").glob("*.csv"))


def _cases():
    for path in SCENARIO_FILES:
        for number, rec in enumerate(read_table(path).records(), start=1):
            yield pytest.param(path.stem, number, rec, id=f"{path.stem}:{rec['tilfelle']}")


def test_scenarios_cover_every_kind_of_period(engine):
    """Every scenario file names a shipped period, and every model and month-counting method in
    the shipped tables has hand-worked scenarios. A new period that is a copy of an existing kind
    needs none of its own (its own scenarios are welcome); a new kind of period does."""
    book = engine.ratebook
    covered = {p.stem for p in SCENARIO_FILES}
    assert covered <= set(book.period_ids)
    kinds = {(t.model, t.whole_months) for t in book.tables}
    assert kinds == {(book.get(p).model, book.get(p).whole_months) for p in covered}
    assert len(covered) >= 5


@pytest.mark.parametrize("period,number,case", list(_cases()))
def test_scenario(engine, period, number, case):
    result = engine.compute([case], period, ignore_columns=[k for k in case if k.startswith("forventet_")])
    assert not result.rejections, result.rejections[0].text()
    (line,) = result.lines
    assert line.period == period
    assert line.status.value == case["forventet_status"], line.reasons
    assert line.whole_months == int(case["forventet_maneder"])
    assert line.amount_nok == int(case["forventet_belop"])
    assert line.rates_status == engine.ratebook.get(period).status in ("provisional", "illustrative")
    if line.status.value == "ineligible":
        assert line.reasons and any(r.kind == "exclude" for r in line.rules)
    expected_elements = {k[len("forventet_"):]: v for k, v in case.items()
                         if k.startswith("forventet_") and k not in ("forventet_status", "forventet_maneder", "forventet_belop")}
    if expected_elements:  # model B: each element, blank = the line does not get it
        got = {e.element: e for e in line.elements}
        for element, value in expected_elements.items():
            if value.strip():
                assert element in got, f"{element} missing"
                assert to_kroner(got[element].granted) == int(value), element
            else:
                assert element not in got, f"{element} should not be given"
        assert line.amount_nok == sum(to_kroner(e.granted) for e in line.elements)


def test_whole_scenario_file_as_one_batch_conserves_rows(engine):
    for path in SCENARIO_FILES:
        records = read_table(path).records()
        result = engine.compute(records, path.stem, ignore_columns=[k for k in records[0] if k.startswith("forventet_")])
        assert result.input_rows == len(records)
        assert [l.row for l in result.lines] == list(range(1, len(records) + 1))
        assert result.total_nok == sum(int(r["forventet_belop"]) for r in records)
