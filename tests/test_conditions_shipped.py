"""The SHIPPED rules, edited at random in a temporary copy of rules/ (an operator flipped, a
literal changed within its type, a clause dropped): whatever the edit, compute's result does
not depend on the evaluator (durable_rules or numpy) nor on the batch size."""
from __future__ import annotations

import os
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, reject, settings, strategies as st

from grants import Engine, RulesError
from grants.days import day_number
from grants.rules.facts import facts_json, FACTS
from grants.rates.tables import RateBook
from grants.rules.rulebook import RuleBook
from grants.datafiles.yaml_loader import load_yaml
from tests.conftest import REPO, needs_durable_rules

pytestmark = needs_durable_rules  # every test here holds durable_rules and the numpy compilation equal

RULE_FILES = sorted((REPO / "rules").glob("*.yaml"))
ORIGINAL = {p.name: load_yaml(p.read_text(encoding="utf-8")) for p in RULE_FILES}


def _lines(n: int, seed: int) -> list[dict[str, str]]:
    """Varied lines over every period, one doctor each (so any subset is a valid batch)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        start = date(2021, 11, 1) + timedelta(days=rnd.randrange(0, 4 * 365 + 200))
        end = start + timedelta(days=rnd.choice([20, 80, 91, 92, 120, 200, 364, 500]))
        row = {
            "alis_id": f"D{i}", "kommunenummer": rnd.choice(["0301", "5412", "3401", "1804", "4601", "5444"]),
            "grant_type": rnd.choice(["alis_avtale"] * 3 + ["kun_veiledning"]),
            "role": rnd.choice(["fastlege", "fastlegevikar", "introduksjonslege", "annet_kommunalt"]),
            "position_share": rnd.choice(["100", "50", "19,5", "20", "80,25", "10"]),
            "start": start.isoformat(), "end": end.isoformat(),
            "via_agency": rnd.choice(["nei"] * 5 + ["ja"]),
            "private_commercial": rnd.choice(["nei"] * 5 + ["ja"]),
            "new_scheme": rnd.choice(["ja"] * 5 + ["nei"]),
            "agreement_signed": rnd.choice(["", (start + timedelta(days=rnd.randrange(-60, 200))).isoformat()]),
            "first_gp_date": rnd.choice(["", (start - timedelta(days=rnd.randrange(0, 1000))).isoformat()]),
            "centrality_class": rnd.choice([""] * 4 + ["6", "3"]),
        }
        out.append(row)
    return out


LINES = _lines(160, seed=11)


def _where_leaves(node: Any, path: tuple) -> list[tuple]:
    """Paths (inside a rule's `when`) of every test and of every all/any list."""
    if isinstance(node, dict) and set(node) & {"all", "any"}:
        key = "all" if "all" in node else "any"
        out = [path + (key,)]
        for i, c in enumerate(node[key]):
            out += _where_leaves(c, path + (key, i))
        return out
    return [path]


SITES = [
    (name, r, path)
    for name, doc in ORIGINAL.items()
    for r, rule in enumerate(doc["rules"])
    if rule.get("when") is not None
    for path in _where_leaves(rule["when"], ())
]


def _get(node: Any, path: tuple) -> Any:
    for p in path:
        node = node[p]
    return node


def _other_literal(fact: str, value: Any, rnd: random.Random) -> Any:
    spec = FACTS[fact]
    if spec.kind == "date":
        return value + timedelta(days=rnd.choice([-400, -31, -1, 1, 31, 400]))
    if spec.kind == "integer":
        return value + rnd.choice([-3, -1, 1, 2])
    if spec.kind == "decimal":
        return value + rnd.choice([-10, -0.5, 0.25, 20])
    if spec.kind == "bool":
        return not value
    return rnd.choice([v for v in spec.values if v != value] or [value])


def _mutate(docs: dict[str, Any], site: tuple, how: str, rnd: random.Random) -> bool:
    """Edit one site in place; False when the edit does not apply there."""
    name, r, path = site
    rule = docs[name]["rules"][r]
    if path and path[-1] in ("all", "any"):  # a list of clauses: drop one, or swap all <-> any
        parent = _get(rule["when"], path[:-1])
        items = parent[path[-1]]
        if how == "drop" and len(items) > 1:
            items.pop(rnd.randrange(len(items)))
            return True
        if how == "flip":
            parent["any" if path[-1] == "all" else "all"] = parent.pop(path[-1])
            return True
        return False
    test = _get(rule["when"], path)
    if how == "drop":  # a single test: drop it from the all/any list it stands in
        if len(path) < 2 or len(_get(rule["when"], path[:-1])) < 2:
            return False
        _get(rule["when"], path[:-1]).pop(path[-1])
        return True
    fact = test["fact"]
    (op,) = set(test) - {"fact"}
    value = test[op]
    spec = FACTS[fact]
    if op == "exists":
        test[op] = not value
        return True
    if how == "flip":
        ops = ["eq", "ne"] if spec.kind in ("bool", "enum") else ["eq", "ne", "lt", "lte", "gt", "gte"]
        if op == "in":
            ops = ["eq", "ne"]
            value = value[0]
        new = rnd.choice([o for o in ops if o != op])
        del test[op]
        test[new] = value
        return True
    if how == "literal":
        if op == "in":
            test[op] = [_other_literal(fact, v, rnd) for v in value]
        elif isinstance(value, dict):  # another fact of the same type
            same = [f for f, s in FACTS.items() if (s.kind, s.values) == (spec.kind, spec.values) and f != value["fact"]]
            test[op] = {"fact": rnd.choice(same)}
        else:
            test[op] = _other_literal(fact, value, rnd)
        return True
    return False


def _outcome(engine: Engine, lines: list[dict], **kw: Any) -> Any:
    try:
        result = engine.compute(lines, **kw)
    except Exception as exc:  # an edit may break pricing (e.g. an element without its input): the same on both paths
        return ("error", f"{type(exc).__name__}: {exc}")
    got = {(l.alis_id, l.period): (l.amount_nok, l.status.value, l.rule_ids, l.whole_months, l.reasons)
           for l in result.lines}
    got.update({(lines[r.row - 1]["alis_id"], "rejected"): r.message for r in result.rejections})
    return got, result.evaluator


def _in_batches(engine: Engine, sizes: list[int], **kw: Any) -> Any:
    merged: dict = {}
    start = 0
    for size in sizes:
        out = _outcome(engine, LINES[start:start + size], **kw)
        if out[0] == "error":
            return out[0], out[1].split(":")[0]
        merged.update(out[0])
        start += size
    return merged



def _engine_for(docs: dict[str, Any], folder: Path, ratebook: RateBook, centrality, threshold) -> Engine:
    folder.mkdir(exist_ok=True)
    for name, doc in docs.items():
        (folder / name).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return Engine(ratebook, RuleBook.load(ratebook, folder), centrality, vector_threshold=threshold)


@settings(max_examples=int(os.environ.get("SHIPPED_EDITS", "25")), deadline=None, database=None, phases=[Phase.generate, Phase.shrink],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(st.sampled_from(SITES), st.sampled_from(["flip", "literal", "drop"]), st.randoms(use_true_random=False),
       st.lists(st.integers(1, 60), min_size=2, max_size=6))
def test_edited_shipped_rules_give_one_answer_whatever_the_evaluator_or_batch(
        tmp_path_factory, ratebook, engine, site, how, rnd, sizes):
    docs = yaml.safe_load(yaml.safe_dump(ORIGINAL))  # a deep copy with dates kept
    if not _mutate(docs, site, how, rnd):
        reject()
    try:
        mutated = _engine_for(docs, tmp_path_factory.mktemp("rules"), ratebook, engine.centrality, threshold=40)
    except RulesError:
        reject()  # refused at load (an ill-typed literal, a gap or an overlap found by the probe)
    durable = _outcome(mutated, LINES, evaluator="durable")
    vector = _outcome(mutated, LINES, evaluator="vectorised")
    if durable[0] == "error":
        assert vector == durable
        assert _in_batches(mutated, sizes + [len(LINES)]) == ("error", durable[1].split(":")[0])
        return
    assert (durable[1], vector[1]) == ("durable_rules", "vectorised")
    assert vector[0] == durable[0]
    # auto switches at 40 line parts here: batches of random sizes run on either path
    sizes = sizes + [len(LINES)]
    assert _in_batches(mutated, sizes) == durable[0]


_DAYS = lambda lo, hi: st.dates(min_value=lo, max_value=hi).map(day_number)  # noqa: E731
fact_values = st.fixed_dictionaries(
    {
        "period_first_day": st.sampled_from([date(2022, 1, 1), date(2022, 10, 1), date(2023, 9, 1), date(2024, 9, 1),
                                             date(2025, 6, 1)]).map(day_number),
        "part_start": _DAYS(date(2022, 1, 1), date(2026, 12, 31)), "part_end": _DAYS(date(2022, 1, 1), date(2026, 12, 31)),
        "line_start": _DAYS(date(2022, 1, 1), date(2026, 12, 31)), "line_end": _DAYS(date(2022, 1, 1), date(2026, 12, 31)),
        "line_whole_months": st.integers(0, 30), "line_has_extra_days": st.booleans(),
        "grant_type": st.sampled_from(["alis_avtale", "kun_veiledning"]),
        "role": st.sampled_from(["fastlege", "fastlegevikar", "introduksjonslege", "annet_kommunalt"]),
        "centrality_class": st.integers(1, 6), "position_share": st.integers(1, 10000), "via_agency": st.booleans(),
        "private_commercial": st.booleans(), "new_scheme": st.booleans(),
    },
    optional={"agreement_signed": _DAYS(date(2022, 1, 1), date(2026, 12, 31)),
              "first_gp_date": _DAYS(date(2020, 1, 1), date(2026, 12, 31))},
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(fact_values, min_size=1, max_size=30))
def test_the_shipped_rules_fire_alike_on_a_random_fact_table_through_either_evaluator(engine, facts):
    """One fact table, read as numpy columns and as the dicts durable_rules is posted: the same
    rules fire on every row (the line-month facts given, as for any fact, not derived)."""
    import numpy as np

    from grants.pipeline.facts import FactTable, fire
    from grants.rules.conditions import Coded

    given = {}
    for name, spec in FACTS.items():
        raw = [f.get(name) for f in facts]
        exists = np.array([v is not None for v in raw]) if spec.optional else None
        if spec.kind == "enum":
            given[name] = (Coded(np.array(raw, dtype=object)), None)
        else:
            given[name] = (np.array([0 if v is None else int(v) for v in raw], dtype=np.int64), exists)
    table = FactTable(given, len(facts))
    assert table.dicts() == facts
    # one row read straight from the columns (a trace's facts) is that row of `dicts`, key order too
    assert [list(table.row_dict(i).items()) for i in range(len(facts))] == [list(d.items()) for d in table.dicts()]
    # rows as a trace shows them, read column by column, are those dicts in trace form
    order = list(range(len(facts)))[::-1]
    posted = table.dicts()
    assert [list(d.items()) for d in table.rows_json(order)] == [list(facts_json(posted[i]).items()) for i in order]
    as_names = lambda fired: [sorted(fired.names[int(c)]) for c in fired.codes]  # noqa: E731
    assert as_names(fire(table, engine.rulebook, None)) == as_names(fire(table, engine.rulebook, engine.runner))


def test_an_edit_changes_the_result_on_both_paths(tmp_path, ratebook, engine):
    """The test above can fail: flipping via_agency changes results, the same way on both paths."""
    docs = yaml.safe_load(yaml.safe_dump(ORIGINAL))
    for rule in docs["eligibility.yaml"]["rules"]:
        if rule["id"] == "eligibility.via_agency":
            rule["when"] = {"fact": "via_agency", "eq": False}
    mutated = _engine_for(docs, tmp_path / "rules", ratebook, engine.centrality, threshold=None)
    before = _outcome(engine, LINES, evaluator="durable")[0]
    after = _outcome(mutated, LINES, evaluator="durable")[0]
    assert after != before
    assert _outcome(mutated, LINES, evaluator="vectorised")[0] == after
