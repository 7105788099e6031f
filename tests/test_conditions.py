"""The typed condition language (grants.rules.conditions): what is refused at load, the one meaning of
an absent fact, and the two compiled forms (durable_rules, numpy) agreeing on random conditions
over random facts. The shipped rules edited at random are in tests/test_conditions_shipped.py."""
from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import grants
from grants import ConservationError, RulesError
from grants.rules import conditions as cond
from grants.rules import durable_adapter
from grants.days import day_number
from grants.rules.facts import FACTS
from grants.rules.rulebook import RuleBook
from tests.conftest import REPO, line, needs_durable_rules


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# -- refused at load, with the file and the rule id ---------------------------------------------

_NEW_SCHEME = "{fact: new_scheme, eq: false}"
REFUSED = [
    ("date fact against a number", "{fact: agreement_signed, gt: 20230101}", "agreement_signed"),
    ("date fact against quoted text", '{fact: agreement_signed, gt: "2023-01-01"}', "agreement_signed"),
    ("integer fact against a date", "{fact: centrality_class, lt: 2023-01-01}", "centrality_class"),
    ("integer fact against quoted text", '{fact: centrality_class, eq: "6"}', "'6'"),
    ("integer fact against a fraction", "{fact: centrality_class, eq: 6.0}", "centrality_class"),
    ("integer fact against a bool", "{fact: centrality_class, eq: true}", "centrality_class"),
    ("enum fact with an unknown value", "{fact: role, eq: fastlegevikarr}", "fastlegevikarr"),
    ("enum fact in a list with an unknown value", "{fact: role, in: [fastlege, turnuslege]}", "turnuslege"),
    ("enum fact with an order", "{fact: role, lt: fastlege}", "'lt'"),
    ("bool fact with an order", "{fact: new_scheme, gt: false}", "'gt'"),
    ("bool fact against text", "{fact: new_scheme, eq: nei}", "'nei'"),
    ("in with a fact reference", "{fact: part_end, in: [{fact: part_start}]}", "fact references"),
    ("two facts of different types", "{fact: centrality_class, eq: {fact: part_start}}", "cannot be compared"),
    ("two enums of different values", "{fact: role, eq: {fact: grant_type}}", "cannot be compared"),
    ("decimal with too many decimals", "{fact: position_share, lt: 20.555}", "position_share"),
    ("decimal against text", '{fact: position_share, lt: "20"}', "position_share"),
    ("exists with a non-bool", "{fact: agreement_signed, exists: 1}", "exists"),
    ("empty in", "{fact: role, in: []}", "non-empty"),
    ("empty all", "{all: []}", "non-empty"),
    ("two operators", "{fact: new_scheme, eq: false, ne: true}", "exactly one operator"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_ill_typed_condition_is_refused_at_load_naming_file_and_rule(ratebook, rules_copy, case):
    _, new, fragment = case
    _edit(rules_copy / "eligibility.yaml", _NEW_SCHEME, new)
    with pytest.raises(RulesError) as info:
        RuleBook.load(ratebook, rules_copy)
    msg = str(info.value)
    assert "eligibility.yaml" in msg and "eligibility.new_specialisation_scheme" in msg, msg
    assert fragment in msg, msg


def test_well_typed_literals_are_coerced_once_at_load(ratebook, rules_copy):
    _edit(rules_copy / "eligibility.yaml", _NEW_SCHEME,
          "{any: [{fact: position_share, lt: 20.5}, {fact: agreement_signed, lt: 2023-01-01}]}")
    book = RuleBook.load(ratebook, rules_copy)
    (rule,) = [r for r in book.rules if r.id == "eligibility.new_specialisation_scheme"]
    share, signed = rule.when.items
    assert share == cond.Compare(fact="position_share", op="lt", value=Decimal("20.5"))
    assert signed == cond.Compare(fact="agreement_signed", op="lt", value=date(2023, 1, 1))
    assert cond.to_durable(share) == {"$and": [{"$ex": {"position_share": 1}}, {"$lt": {"position_share": 2050}}]}
    assert cond.describe(rule.when) == "(stillingsandel (%) < 20,5 eller ALIS-avtalen signert < 01.01.2023)"


# -- the four constructs the two interpreters used to disagree on --------------------------------


def _durable(conditions_: list[cond.Condition], facts: list[dict]) -> list[list[bool]]:
    """Each condition on each fact, through a throw-away durable_rules ruleset."""
    definition = {f"c{i}": {"all": [{"m": cond.to_durable(c)}]} for i, c in enumerate(conditions_)}
    digest = "test_" + hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:16]
    fired = durable_adapter.runner_for(digest, definition).fire(facts)
    assert all(len(names) == len(set(names)) for names in fired), "a rule fired twice for one fact"
    return [[f"c{i}" in names for i in range(len(conditions_))] for names in fired]


def _columns(facts: list[dict]) -> cond.FactColumns:
    """Fact dicts as fact columns (a fact missing from a dict is absent in that row, whichever
    fact it is): the dicts are what durable_rules is posted, the columns what the masks read."""
    n = len(facts)
    columns = {}
    for name, spec in FACTS.items():
        raw = [f.get(name) for f in facts]
        exists = [v is not None for v in raw]
        if spec.kind == "enum":
            values = np.array([str(v) if v is not None else "" for v in raw], dtype=object)
            columns[name] = (cond.Coded(values), None if all(exists) else np.array(exists))
        else:
            values = np.array([int(v) if v is not None else 0 for v in raw], dtype="int64")
            columns[name] = (values, None if all(exists) else np.array(exists))
    assert all(len(v[0]) == n for v in columns.values())
    return cond.FactColumns(columns)


def _numpy(conditions_: list[cond.Condition], facts: list[dict]) -> list[list[bool]]:
    columns = _columns(facts)
    masks = [cond.mask_function(c)(columns) for c in conditions_]
    return [[bool(m[row]) for m in masks] for row in range(len(facts))]


def _both(conditions_, facts):
    """The numpy form and, where it is installed, durable_rules, on the same facts (dates as
    day numbers, the one encoding): they must agree."""
    got = _numpy(conditions_, facts)
    if durable_adapter.available():
        assert _durable(conditions_, facts) == got
    return got


_D = lambda y, m, d: day_number(date(y, m, d))  # noqa: E731
BASE = {
    "period_first_day": _D(2022, 10, 1), "part_start": _D(2022, 10, 1), "part_end": _D(2023, 8, 31),
    "line_start": _D(2022, 10, 1), "line_end": _D(2023, 8, 31), "line_whole_months": 11, "line_has_extra_days": False,
    "grant_type": "alis_avtale", "role": "fastlege", "centrality_class": 6, "position_share": 10000, "via_agency": False,
    "private_commercial": False, "new_scheme": True,
}


def test_absent_fact_on_the_right_of_a_comparison_is_false_on_both_paths():
    tests = [cond.parse({"fact": "part_end", op: {"fact": "agreement_signed"}}) for op in cond.OPS]
    tests.append(cond.parse({"fact": "agreement_signed", "exists": False}))
    absent, present = dict(BASE), dict(BASE, agreement_signed=_D(2023, 1, 1))
    got = _both(tests, [absent, present])
    assert got[0] == [False] * 6 + [True]  # absent: every comparison false, ne included
    assert got[1] == [False, True, False, False, True, True, False]  # 20230831 vs 20230101


def test_in_with_a_fact_reference_is_refused():
    with pytest.raises(cond.ConditionError, match="fact references"):
        cond.parse({"fact": "part_end", "in": [{"fact": "part_start"}]})


def test_text_six_against_an_integer_fact_is_refused_and_six_works_on_both_paths():
    with pytest.raises(cond.ConditionError, match="integer"):
        cond.parse({"fact": "centrality_class", "eq": "6"})
    got = _both([cond.parse({"fact": "centrality_class", "eq": 6})], [BASE, dict(BASE, centrality_class=5)])
    assert got == [[True], [False]]


def test_date_literal_against_an_integer_fact_is_refused():
    with pytest.raises(cond.ConditionError, match="integer"):
        cond.parse({"fact": "line_whole_months", "lt": date(2023, 1, 1)})
    with pytest.raises(cond.ConditionError, match="date"):
        cond.parse({"fact": "part_start", "lt": 20230101})


def test_ne_is_not_the_negation_of_eq_when_the_fact_is_absent():
    tests = [cond.parse({"fact": "first_gp_date", "eq": date(2023, 1, 1)}),
             cond.parse({"fact": "first_gp_date", "ne": date(2023, 1, 1)}),
             cond.parse({"fact": "first_gp_date", "in": [date(2023, 1, 1)]})]
    assert _both(tests, [BASE]) == [[False, False, False]]


# -- random conditions over random facts: both compiled forms agree -----------------------------

_DATES = st.dates(min_value=date(2021, 12, 25), max_value=date(2026, 6, 10))


def _literal_strategy(name: str) -> st.SearchStrategy:
    spec = FACTS[name]
    if spec.kind == "date":
        return _DATES
    if spec.kind == "integer":
        return st.integers(-1, 14)
    if spec.kind == "decimal":
        return st.decimals(min_value=0, max_value=110, places=spec.scale)
    if spec.kind == "bool":
        return st.booleans()
    return st.sampled_from(spec.values)


def _same_type(name: str) -> list[str]:
    spec = FACTS[name]
    return [o for o, s in FACTS.items() if (s.kind, s.values, s.scale) == (spec.kind, spec.values, spec.scale)]


@st.composite
def _leaf(draw) -> cond.Condition:
    name = draw(st.sampled_from(sorted(FACTS)))
    spec = FACTS[name]
    form = draw(st.sampled_from(["compare", "compare", "fact", "in", "exists"]))
    if form == "exists":
        return cond.Exists(fact=name, present=draw(st.booleans()))
    if form == "in":
        return cond.In(fact=name, values=tuple(draw(st.lists(_literal_strategy(name), min_size=1, max_size=3))))
    ops = ("eq", "ne") if spec.kind in ("bool", "enum") else cond.OPS
    op = draw(st.sampled_from(ops))
    if form == "fact":
        return cond.Compare(fact=name, op=op, value=cond.FactRef(fact=draw(st.sampled_from(_same_type(name)))))
    return cond.Compare(fact=name, op=op, value=draw(_literal_strategy(name)))


_CONDITIONS = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: cond.All(items=tuple(xs))),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: cond.AnyOf(items=tuple(xs))),
    ),
    max_leaves=6,
)


def _fact_value(name: str) -> st.SearchStrategy:
    spec = FACTS[name]
    if spec.kind == "date":
        return _DATES.map(day_number)
    if spec.kind == "integer":
        return st.integers(0, 13)
    if spec.kind == "decimal":
        return st.integers(0, 10000)  # hundredths of a percent, as posted
    if spec.kind == "bool":
        return st.booleans()
    return st.sampled_from(spec.values)


@st.composite
def _facts(draw) -> dict:
    out = {}
    for name, spec in FACTS.items():
        # optional facts are often absent; any other fact sometimes (fire() takes any dict)
        if draw(st.integers(0, 9)) < (5 if spec.optional else 1):
            continue
        out[name] = draw(_fact_value(name))
    return out


@settings(max_examples=int(__import__("os").environ.get("CONDITIONS_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_CONDITIONS, min_size=1, max_size=8), st.lists(_facts(), min_size=1, max_size=25))
@needs_durable_rules
def test_random_conditions_agree_on_durable_rules_and_numpy(conditions_, facts):
    # literals near the facts' values make equal and boundary cases common
    _both(conditions_, facts)


def test_the_random_grammar_reaches_every_construct():
    """The generator above is not vacuous: it makes every operator and node type."""
    seen: set[str] = set()

    def walk(c):
        seen.add(type(c).__name__)
        if isinstance(c, (cond.All, cond.AnyOf)):
            for x in c.items:
                walk(x)
        elif isinstance(c, cond.Compare):
            seen.add(c.op + ("_fact" if isinstance(c.value, cond.FactRef) else ""))

    @settings(max_examples=300, deadline=None, database=None)
    @given(_CONDITIONS)
    def collect(c):
        walk(c)

    collect()
    assert {"All", "AnyOf", "Compare", "In", "Exists"} <= seen
    assert set(cond.OPS) <= seen and any(s.endswith("_fact") for s in seen)


# -- the adapter proves that every posted fact came back ----------------------------------------


@needs_durable_rules
def test_a_fact_durable_rules_drops_raises_naming_the_line(engine, monkeypatch):
    real = durable_adapter._engine

    class Dropping:
        """durable_rules, except that the last fact of every batch never arrives."""

        def __getattr__(self, name):
            return getattr(real, name)

        @staticmethod
        def assert_facts(handle, text):
            return real.assert_facts(handle, json.dumps(json.loads(text)[:-1]))

        @staticmethod
        def retract_facts(handle, text):
            return real.retract_facts(handle, json.dumps(json.loads(text)[:-1]))

    monkeypatch.setattr(durable_adapter, "_engine", Dropping())
    rows = [line(alis_id="A"), line(alis_id="B"), line(alis_id="C")]
    with pytest.raises(ConservationError, match=r"lost 1 of 3.*row 3, period 2023"):
        engine.compute(rows, "2023", evaluator="durable")


@needs_durable_rules
def test_a_fact_no_rule_matches_is_seen_and_not_an_error(engine):
    assert engine.runner.fire([{"unrelated": 1}]) == [[]]


# -- the evaluator choice ------------------------------------------------------------------------


@needs_durable_rules
def test_evaluator_choice_is_reported_and_gives_the_same_result(engine):
    rows = [line(alis_id=str(i), role=r, position_share=str(20 + i), agreement_signed=s)
            for i, (r, s) in enumerate([("fastlege", ""), ("fastlegevikar", "2022-12-15"), ("introduksjonslege", "2024-01-01")])]
    durable = grants.compute(rows, None, evaluator="durable")
    vector = grants.compute(rows, None, evaluator="vectorised")
    auto = grants.compute(rows, None)
    assert (durable.evaluator, vector.evaluator, auto.evaluator) == ("durable_rules", "vectorised", "durable_rules")
    key = lambda r: [(l.row, l.period, l.amount_nok, l.status, l.rule_ids, l.whole_months) for l in r.lines]
    assert key(durable) == key(vector) == key(auto)


@needs_durable_rules
def test_compute_above_the_threshold_gives_the_same_result(engine):
    from grants import Engine
    from grants.tools.portfolio import synthetic_portfolio

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


def test_an_unknown_evaluator_is_an_error(engine):
    with pytest.raises(ValueError, match="evaluator"):
        grants.compute([line()], "2023", evaluator="numpy")


@needs_durable_rules
def test_a_rule_with_two_true_branches_is_reported_once():
    """durable_rules fires a rule once per true `$or` branch; the adapter reports it once, as the
    numpy form does (else the engine would see an overlap in the dated rules on one path only)."""
    both = cond.parse({"any": [{"fact": "role", "exists": True}, {"fact": "grant_type", "in": ["alis_avtale", "alis_avtale"]}]})
    definition = {"c0": {"all": [{"m": cond.to_durable(both)}]}}
    digest = "test_" + hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:16]
    assert durable_adapter.runner_for(digest, definition).fire([BASE]) == [["c0"]]


@needs_durable_rules
def test_the_cli_evaluator_option_writes_the_same_file_on_both_paths(tmp_path, capsys):
    from grants.cli import main

    example = REPO / "fixtures" / "examples" / "soknad_2023.csv"
    outputs = {}
    for name in ("durable", "vectorised"):
        out = tmp_path / f"{name}.csv"
        assert main(["compute", str(example), "-o", str(out), "--evaluator", name, "--quiet"]) == 0
        outputs[name] = out.read_text(encoding="utf-8")
    assert outputs["durable"] == outputs["vectorised"] and outputs["durable"].count("\n") > 5
    with pytest.raises(SystemExit) as info:
        main(["compute", str(example), "--evaluator", "numpy"])
    assert info.value.code == 2
    capsys.readouterr()


@given(_CONDITIONS)
@settings(max_examples=60, deadline=None)
def test_a_condition_dumps_in_the_rules_syntax_and_parses_back(c):
    assert cond.parse(c.model_dump()) == c
    assert isinstance(cond.describe(c), str)


@given(_leaf())
@settings(max_examples=60, deadline=None)
def test_every_durable_comparison_tests_presence_explicitly(leaf):
    """The absent-fact meaning is compiled in, not left to durable_rules' own semantics."""
    compiled = cond.to_durable(leaf)
    if isinstance(leaf, cond.Exists):
        assert compiled == {("$ex" if leaf.present else "$nex"): {leaf.fact: 1}}
        return
    guards = [g for g in compiled["$and"] if set(g) == {"$ex"}]
    assert {"$ex": {leaf.fact: 1}} in guards
    if isinstance(leaf, cond.Compare) and isinstance(leaf.value, cond.FactRef):
        assert {"$ex": {leaf.value.fact: 1}} in guards
