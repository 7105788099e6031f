"""The durable_rules adapter keeps its promises: no lost line at any batch size, rulesets built
once per process, 'not handled' turned into an explicit outcome, safe under threads. The
adapter's tests need durable_rules (below Python 3.13); the engine's own conservation check and
the threads test run with whichever evaluator this interpreter has."""
from __future__ import annotations

import threading
from datetime import date

import pytest

from grants import ConservationError, Engine, compute
from grants.days import day_number
from grants.rules import durable_adapter
from grants.pipeline.engine import _prove_conservation
from tests.conftest import line, needs_durable_rules


def _batch(n):
    municipalities = ["0301", "5412", "3401", "3024", "4601"]
    roles = ["fastlege", "fastlegevikar", "introduksjonslege", "annet_kommunalt"]
    return [
        line(
            alis_id=f"L{i}",
            kommunenummer=municipalities[i % 5],
            role=roles[i % 4],
            grant_type="kun_veiledning" if i % 7 == 0 else "alis_avtale",
            position_share=str(20 + i % 81),
            via_agency="ja" if i % 50 == 0 else "nei",
        )
        for i in range(n)
    ]


@needs_durable_rules
def test_fifty_thousand_lines_each_give_exactly_one_result(engine):
    n = 50_000
    durable_only = Engine(engine.ratebook, engine.rulebook, engine.centrality, vector_threshold=None)
    result = durable_only.compute(_batch(n), "2023")
    assert result.evaluator == "durable_rules"
    assert len(result.lines) == n
    assert not result.rejections
    assert [l.row for l in result.lines] == list(range(1, n + 1))
    assert sum(1 for l in result.lines if l.status.value == "ineligible") == n // 50
    # the ineligible rows are exactly the via_agency rows
    assert {l.row for l in result.lines if l.status.value == "ineligible"} == {i + 1 for i in range(0, n, 50)}


@needs_durable_rules
def test_batches_larger_than_the_limit_lose_nothing(engine):
    facts = [_fact(i) for i in range(durable_adapter.BATCH_LIMIT * 3 + 7)]
    fired = engine.runner.fire(facts)
    assert len(fired) == len(facts)
    assert all(any(name.startswith("amount.model_a@") for name in names) for names in fired)


def _fact(i):
    first, last = day_number(date(2022, 10, 1)), day_number(date(2023, 8, 31))  # dates as posted: day numbers
    return {
        "period_first_day": first, "part_start": first, "part_end": last,
        "line_start": first, "line_end": last, "line_whole_months": 11, "line_has_extra_days": False,
        "grant_type": "alis_avtale", "role": "fastlege", "centrality_class": 1 + i % 6,
        "via_agency": False, "private_commercial": False, "new_scheme": True,
    }


@needs_durable_rules
def test_a_fact_no_rule_matches_is_an_explicit_empty_outcome(engine):
    assert engine.runner.fire([{"unrelated": 1}, _fact(0)])[0] == []


@needs_durable_rules
def test_rulesets_are_built_once_per_process(engine):
    before = durable_adapter.created_rulesets()
    Engine()
    Engine()
    assert durable_adapter.created_rulesets() == before


@needs_durable_rules
def test_lost_outcome_is_a_loud_error(engine, monkeypatch):
    real = engine.runner.fire
    monkeypatch.setattr(engine.runner, "fire", lambda facts, labels=None: real(facts, labels)[:-1])
    with pytest.raises(ConservationError):
        engine.compute(_batch(3), "2023")


def test_conservation_proof_catches_a_missing_row(engine):
    result = engine.compute(_batch(2), "2023")
    with pytest.raises(ConservationError, match="without any outcome"):
        _prove_conservation(3, list(result.lines), None, [])


def test_concurrent_callers_are_serialised_not_crashed(engine):
    results = {}

    def work(k):
        results[k] = compute(_batch(400), "2023").total_nok

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results.values())) == 1 and len(results) == 4
