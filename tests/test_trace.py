"""A trace stands alone: the facts the rules saw (as posted, dates in ISO form), the package
version and the hashes of the rules files and the rate table that produced the line."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from grants.rules.facts import FACT_TYPES, facts_json
from grants.datafiles.paths import data_dir
from grants.pipeline.provenance import package_version
from tests.conftest import line, needs_durable_rules, shipped_book

LINES = [
    line(start="2022-10-01", end="2023-08-31"),
    line(alis_id="T2", kommunenummer="1151", role="fastlegevikar", position_share="60",
         start="2022-11-15", end="2023-04-30", via_agency=True),
    line(alis_id="T3", start="2023-06-01", end="2024-10-31"),  # three periods
    line(alis_id="T4", start="2025-03-01", end="2025-12-31", first_gp_date="2024-01-10"),  # model A and B
    line(alis_id="T5", start="2022-03-01", end="2023-03-31"),  # across the day 2022 and 2023 share
]


@pytest.fixture(scope="module")
def posted(engine):
    """The facts the engine posted to the rules, captured at the one place it derives them
    (durable_rules' door; where it is not installed, the result alone)."""
    if engine.runner is None:
        return engine.compute(LINES), None
    seen: dict[tuple[int, str], dict] = {}
    original = engine.runner.fire

    def spy(facts, labels=None):
        # what is posted to durable_rules, by its label «row N, period P», on every path
        for label, posted in zip(labels, facts):
            row, period = label.removeprefix("row ").split(", period ")
            seen[(int(row), period)] = dict(posted)
        return original(facts, labels)

    engine.runner.fire = spy
    try:
        result = engine.compute(LINES, evaluator="durable")
    finally:
        del engine.runner.fire
    return result, seen


@needs_durable_rules
def test_every_trace_carries_the_facts_the_rules_saw(posted):
    result, seen = posted
    assert len(result.lines) >= 6 and not result.rejections
    for r in result.lines:
        trace = r.trace()
        assert trace["facts"] == facts_json(seen[(r.row, r.period)]), (r.row, r.period)
        assert set(trace["facts"]) <= set(FACT_TYPES)
        for name, kind in FACT_TYPES.items():
            if name in trace["facts"] and kind.__name__ == "date":
                value = trace["facts"][name]
                assert isinstance(value, str) and len(value) == 10 and value[4] == "-", (name, value)


def test_the_facts_differ_where_the_lines_do(posted):
    result, _ = posted
    t2 = result.line(2).trace()["facts"]
    assert t2["via_agency"] is True and t2["role"] == "fastlegevikar" and t2["centrality_class"] == 6
    assert (t2["part_start"], t2["line_start"]) == ("2022-11-15", "2022-11-15")
    parts = [r for r in result.lines if r.row == 3]
    assert [p.trace()["facts"]["part_start"] for p in parts] == [
        max(parts[0].line.start, p.rate_table.period.first_day).isoformat() for p in parts]
    b = result.line(4, "2025-26").trace()["facts"]
    assert b["first_gp_date"] == "2024-01-10" and "first_gp_date" not in result.line(1).trace()["facts"]


def test_a_part_that_gives_up_the_shared_boundary_day_is_traced_with_the_part_end_it_was_priced_with(posted):
    """2022 and 2023 share 01.10.2022; a line across it counts the day in 2023, so its 2022 part
    ends 30.09.2022. The trace shows that end (it once rebuilt the facts and showed 01.10.2022)."""
    result, _ = posted
    first, second = [r for r in result.lines if r.row == 5]
    assert (first.period, str(first.counted_end), second.period, str(second.counted_start)) == (
        "2022", "2022-09-30", "2023", "2022-10-01")
    assert (first.trace()["facts"]["part_end"], second.trace()["facts"]["part_start"]) == ("2022-09-30", "2022-10-01")
    assert first.trace()["interval"]["counted"] == ["2022-03-01", "2022-09-30"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_line_trace_alone_names_the_version_and_the_data_hashes(posted):
    result, _ = posted
    rules = {p.name: _sha(p) for p in sorted(data_dir("rules").glob("*.yaml"))}
    for r in result.lines:
        trace = json.loads(json.dumps(r.trace()))  # JSON as it stands, no help from the batch
        prov = trace["provenance"]
        assert prov["version"] == package_version()
        assert prov["rules_sha256"] == rules
        assert list(prov["rates_sha256"]) == [r.period]  # only the table this line used
        table = prov["rates_sha256"][r.period]
        assert table["sha256"] == _sha(data_dir("rates") / f"{r.period}.yaml")
        assert table["status"] == shipped_book().get(r.period).status
    assert result.traces() == [r.trace() for r in result.lines]


def test_a_part_outside_the_period_asked_for_has_no_facts(engine):
    last = shipped_book().tables[-1]
    result = engine.compute([line(start="2022-10-01", end="2023-08-31")], last.id)
    (r,) = result.lines
    assert r.status.value == "outside_period"
    assert r.trace()["facts"] is None and r.trace()["provenance"]["rates_sha256"].keys() == {last.id}
