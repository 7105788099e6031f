"""Every step and every number as data that runs.

Each test edits rules/ or rates/ in a temporary copy and shows the engine's outcome follow the
edit: the month count, the formulas, the share minimum and cap, and the numbers in rule texts.
"""
from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from grants import Engine
from grants.errors import RulesError
from grants.report.explain import explain_line
from grants.rules.formulas import Expression
from grants.pipeline.overlaps import CapSpan, overlapping
from grants.rates.tables import RateBook
from grants.rules.rulebook import RuleBook
from grants.rules.ruletext import placeholders

from .conftest import REPO, line


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    rules, rates = tmp_path / "rules", tmp_path / "rates"
    shutil.copytree(REPO / "rules", rules)
    shutil.copytree(REPO / "rates", rates)
    return rules, rates


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _engine(rules: Path, rates: Path) -> Engine:
    book = RateBook.load(rates)
    return Engine(book, RuleBook.load(book, rules))


def _one(engine: Engine, period: str | None = None, **fields):
    result = engine.compute([line(**fields)], period)
    assert not result.rejections, [r.text() for r in result.rejections]
    (r,) = result.lines
    return r


# -- count_months ---------------------------------------------------------------------------

SIGNED_LATE = dict(start="2023-09-01", end="2024-08-31", agreement_signed="2024-03-10")


def test_count_from_is_read_counting_from_the_part_start_instead_of_the_agreement(tmp_path, engine):
    shipped = _one(engine, **SIGNED_LATE)
    assert shipped.counted_start == date(2024, 3, 10) and shipped.whole_months == 5  # April..August
    rules, rates = _copy(tmp_path)
    _edit(rules / "pricing.yaml", "count_from: counted_start", "count_from: part_start")
    edited = _one(_engine(rules, rates), **SIGNED_LATE)
    assert edited.counted_start == date(2023, 9, 1) and edited.whole_months == 12
    assert edited.amount_nok == 300_000 and shipped.amount_nok == 125_000


def test_method_is_read_forcing_anniversary_months_on_a_calendar_period(tmp_path, engine):
    fields = dict(start="2024-09-15", end="2025-05-31")  # 2024-25 counts calendar months
    shipped = _one(engine, **fields)
    assert shipped.whole_months == 8  # October..May
    rules, rates = _copy(tmp_path)
    _edit(rules / "pricing.yaml", "method: rate_table", "method: anniversary")
    edited = _one(_engine(rules, rates), **fields)
    assert edited.whole_months == 8 and edited.amount_nok == shipped.amount_nok  # 15.09 .. 14.05: 8 as well
    fields = dict(start="2024-09-15", end="2025-05-20")
    assert _one(engine, **fields).whole_months == 7  # May is not whole
    assert _one(_engine(rules, rates), **fields).whole_months == 8  # 15.04 .. 14.05 is
    assert "fra regelen for telling av måneder" in explain_line(_one(_engine(rules, rates), **fields))


def test_an_unknown_count_method_is_refused_at_load(tmp_path):
    rules, rates = _copy(tmp_path)
    _edit(rules / "pricing.yaml", "method: rate_table", "method: weeks")
    with pytest.raises(RulesError, match=r"pricing\.yaml.*months\.whole_months.*method"):
        RuleBook.load(RateBook.load(rates), rules)


# -- formulas -------------------------------------------------------------------------------


def test_model_a_formula_is_run_as_written(tmp_path, engine):
    shipped = _one(engine)
    assert shipped.amount_nok == 275_000  # 300 000 x 100 % x 11 / 12
    rules, rates = _copy(tmp_path)
    _edit(rules / "pricing.yaml", "      divide: 12\n", "      divide: 24\n")
    edited = _one(_engine(rules, rates))
    assert edited.amount_nok == 137_500
    text = explain_line(edited)
    assert "Beløp = årssats × stillingsandel × hele måneder / 24" in text  # the rule's text, from the same data
    assert "300 000 kr × 100 % × 11/24 = 137 500" in text


def test_a_formula_dividing_by_a_term_is_refused_when_the_rules_load_naming_the_rule(tmp_path):
    """A divisor is a number: `divide: whole_months` once loaded, and the column pricer raised
    NameError on an undefined name while the exact reference paid 21 818 kr."""
    rules, rates = _copy(tmp_path)
    _edit(rules / "pricing.yaml", "      divide: 12\n", "      divide: whole_months\n")
    with pytest.raises(RulesError, match=r"pricing\.yaml: rule amount\.model_a: .*divide: 'whole_months' is a term"):
        RuleBook.load(RateBook.load(rates), rules)


def test_a_formula_reading_a_rate_table_number_the_table_leaves_empty_is_refused_when_the_rules_load(tmp_path):
    """minimum_share_percent is empty in the shipped tables: a formula reading it could give no
    amount (the column pricer raised NameError on that path); the load names the rule and file."""
    rules, rates = _copy(tmp_path)
    _edit(rules / "pricing.yaml", "product: [annual_rate, share, whole_months]",
          "product: [annual_rate, share, whole_months, minimum_share_percent]")
    with pytest.raises(RulesError, match=r"rule amount\.model_a: formula: 'minimum_share_percent' is empty in .*2022\.yaml"):
        RuleBook.load(RateBook.load(rates), rules)


def test_model_a_formula_may_read_a_rate_table_number(tmp_path):
    rules, rates = _copy(tmp_path)
    _edit(rules / "pricing.yaml", "product: [annual_rate, share, whole_months]",
          "product: [annual_rate, share, whole_months, maximum_summed_share_percent]")
    _edit(rules / "pricing.yaml", "      divide: 12\n", "      divide: 1200\n")  # x 100 / 100: unchanged
    assert _one(_engine(rules, rates)).amount_nok == 275_000


def _reference(result) -> list[int]:
    """Each model A line's amount by the reference: the formula rule's expression in exact
    fractions (grants.rules.formulas.model_a_amount), rounded half up once."""
    from grants.money import to_kroner
    from grants.rules.formulas import model_a_amount

    out = []
    for r in result.lines:
        formula = next((rule.formula for rule in r.rules if rule.kind == "formula"), None)
        if r.status.value != "ok" or formula is None:
            out.append(r.amount_nok if r.status.value != "ok" else None)
            continue
        out.append(to_kroner(model_a_amount(formula, r.annual_rate, r.line.position_share, r.whole_months, r.rate_table)))
    return out


def test_an_edited_formula_pays_what_the_reference_computes(tmp_path):
    rules, rates = _copy(tmp_path)
    _edit(rules / "pricing.yaml", "      divide: 12\n", "      divide: 7\n")
    eng = _engine(rules, rates)
    lines = [line(alis_id=f"D{i}", position_share=str(s), start=f"2023-0{1 + i % 8}-1{i % 9}")
             for i, s in enumerate([100, 80, 37.5, 12.25, 60, 99.99, 50, 20])]
    result = eng.compute(lines, "2023")
    assert [r.amount_nok for r in result.lines] == _reference(result)
    assert result.lines[0].amount_nok == 300_000  # 10.01.2023: February..August, 7 months / 7


def _valid(eng, lines):
    from grants.pipeline.columns import normalise, valid_lines

    cols = normalise(lines, eng._elements)
    assert not cols.rejections
    return valid_lines(cols)


def test_element_formula_is_run_as_written(tmp_path, engine):
    fields = dict(start="2025-06-01", end="2026-05-31", role="fastlege")
    shipped = {e.element: e for e in _one(engine, **fields).elements}
    rules, rates = _copy(tmp_path)
    _edit(rules / "elements.yaml", "    element: laeringsaktiviteter\n    formula: {product: [annual_maximum, share, whole_months], divide: 12}",
          "    element: laeringsaktiviteter\n    formula: {product: [annual_maximum, share, whole_months], divide: 24}")
    edited = {e.element: e for e in _one(_engine(rules, rates), **fields).elements}
    assert shipped["laeringsaktiviteter"].amount_nok == 14_000 and edited["laeringsaktiviteter"].amount_nok == 7_000
    # tilrettelegging is a share of the others, so it follows: 5 % of 7 000 less
    assert shipped["tilrettelegging"].granted - edited["tilrettelegging"].granted == Decimal("350.00")


@pytest.mark.parametrize("file, old, new, rule_id", [
    ("pricing.yaml", "product: [annual_rate, share, whole_months]", "product: [annual_rate, shares, whole_months]",
     "amount.model_a"),
    ("elements.yaml", "formula: {product: [element_share, elements_base]}", "formula: {product: [element_share, base]}",
     "element.tilrettelegging"),
])
def test_a_formula_naming_an_unknown_term_is_refused_at_load(tmp_path, file, old, new, rule_id):
    rules, rates = _copy(tmp_path)
    _edit(rules / file, old, new)
    with pytest.raises(RulesError) as info:
        RuleBook.load(RateBook.load(rates), rules)
    assert file in str(info.value) and rule_id in str(info.value) and "unknown term" in str(info.value)


def test_a_formula_term_the_element_cannot_give_is_refused_at_load(tmp_path):
    rules, rates = _copy(tmp_path)
    _edit(rules / "elements.yaml", "    element: laeringsaktiviteter\n    formula: {product: [annual_maximum, share, whole_months], divide: 12}",
          "    element: laeringsaktiviteter\n    formula: {product: [annual_maximum, share, whole_months_in_window], divide: 12}\n"
          "    window_from: first_gp_date")
    with pytest.raises(RulesError, match=r"element\.laeringsaktiviteter.*window_months"):
        RuleBook.load(RateBook.load(rates), rules)


def test_expression_is_exact_and_its_text_comes_from_the_same_data():
    expr = Expression.model_validate({"product": ["annual_rate", "share", "whole_months"], "divide": 12})
    values = {"annual_rate": (Decimal(300000), None), "share": (Decimal("37.5"), Decimal(100)),
              "whole_months": (Decimal(11), None)}
    assert expr.evaluate(values) == Decimal(300000) * Decimal("37.5") * 11 / 1200
    assert expr.text_nb("formula") == "årssats × stillingsandel × hele måneder / 12"
    with pytest.raises(ValueError):
        Expression.model_validate({"product": ["a"], "divide": 0})
    with pytest.raises(ValueError):
        Expression.model_validate({"product": []})


# -- the share minimum and cap --------------------------------------------------------------


def test_share_minimum_comes_from_the_rate_table_and_names_its_rule(tmp_path, engine):
    assert _one(engine, position_share="40").amount_nok == 110_000
    rules, rates = _copy(tmp_path)
    _edit(rates / "2023.yaml", "minimum_share_percent: null", "minimum_share_percent: 50")
    eng = _engine(rules, rates)
    low = _one(eng, position_share="40")
    assert low.status.value == "ineligible" and low.amount_nok == 0
    assert "share.minimum" in low.reasons[0] and "minstekravet på 50 %" in low.reasons[0]
    assert "share.minimum" in low.rule_ids
    assert _one(eng, position_share="60").amount_nok == 165_000
    assert "share.minimum" not in _one(engine, position_share="40").rule_ids  # empty minimum: not applied


@pytest.mark.parametrize("key,value", [("minimum_share_percent", "20.005"), ("maximum_summed_share_percent", "100.001")])
def test_a_share_limit_with_more_than_two_decimals_is_refused_by_the_table_loader(tmp_path, key, value):
    """Shares are compared in hundredths of a percent: a minimum of 20.005 % made a 20 % line
    ineligible on one path and paid 55 000 kr on another. The loader refuses it, naming the file
    and the key, so no path has to decide."""
    from grants.errors import RateTableError

    _, rates = _copy(tmp_path)
    old = "minimum_share_percent: null" if key == "minimum_share_percent" else "maximum_summed_share_percent: 100"
    _edit(rates / "2023.yaml", old, f"{key}: {value}")
    with pytest.raises(RateTableError, match=rf"2023\.yaml: {key}: {value} har mer enn to desimaler"):
        RateBook.load(rates)


def test_share_cap_comes_from_the_rate_table_and_names_its_rule(tmp_path, engine):
    two = [line(alis_id="C1", position_share="80"), line(alis_id="C1", position_share="60", kommunenummer="3401")]
    shipped = engine.compute(two)
    assert len(shipped.rejections) == 2
    assert all("share.maximum_summed" in r.message and "over 100 %" in r.message for r in shipped.rejections)
    rules, rates = _copy(tmp_path)
    for f in rates.glob("*.yaml"):
        _edit(f, "maximum_summed_share_percent: 100", "maximum_summed_share_percent: 150")
    raised = _engine(rules, rates).compute(two)
    assert not raised.rejections and raised.total_nok == 275_000 * 140 // 100


def test_share_cap_differs_by_period(tmp_path):
    rules, rates = _copy(tmp_path)
    _edit(rates / "2023-24.yaml", "maximum_summed_share_percent: 100", "maximum_summed_share_percent: 150")
    eng = _engine(rules, rates)
    in_2023_24 = [line(alis_id="C2", position_share="80", start="2023-09-01", end="2024-08-31"),
                  line(alis_id="C2", position_share="60", start="2023-09-01", end="2024-08-31")]
    assert not eng.compute(in_2023_24).rejections
    in_2023 = [dict(l, start="2022-10-01", end="2023-08-31") for l in in_2023_24]
    assert len(eng.compute(in_2023).rejections) == 2


def test_overlap_check_takes_the_cap_as_a_parameter():
    lines = [("d", 1, date(2023, 1, 1), date(2023, 6, 30), 6000), ("d", 2, date(2023, 3, 1), date(2023, 12, 31), 6000)]
    assert set(overlapping(lines)) == {1, 2}
    loose = (CapSpan(date(2022, 1, 1), date(2024, 1, 1), 12000, "r"),)
    assert overlapping(lines, caps=loose) == {}
    split = (CapSpan(date(2022, 1, 1), date(2023, 3, 31), 12000, "a"), CapSpan(date(2023, 4, 1), date(2024, 1, 1), 10000, "b"))
    clash = overlapping(lines, caps=split)[1]
    assert (clash.first_day, clash.last_day, clash.rule) == (date(2023, 4, 1), date(2023, 6, 30), "b")


def test_every_period_needs_one_share_cap_rule(tmp_path):
    rules, rates = _copy(tmp_path)
    _edit(rules / "pricing.yaml", "    kind: share_cap\n", "    kind: share_minimum\n")
    with pytest.raises(RulesError, match="share_cap"):
        RuleBook.load(RateBook.load(rates), rules)


# -- numbers in rule texts ------------------------------------------------------------------


def test_rule_texts_take_their_numbers_from_the_rate_table(tmp_path, engine):
    fields = dict(start="2025-06-01", end="2026-05-31", role="fastlege", first_gp_date="2025-01-01")
    text = explain_line(_one(engine, **fields))
    assert "med 5 % av summen" in text and "de første 24 månedene" in text and "× 1,15." in text
    rules, rates = _copy(tmp_path)
    _edit(rates / "2025-26.yaml", "facilitation_share: {title_nb: andel til tilrettelegging, value: 0.05",
          "facilitation_share: {title_nb: andel til tilrettelegging, value: 0.07")
    _edit(rates / "2025-26.yaml", "value: 24, source", "value: 36, source")
    edited = _one(_engine(rules, rates), **fields)
    text = explain_line(edited)
    assert "med 7 % av summen" in text and "5 %" not in text
    assert "de første 36 månedene" in text
    assert {e.element: e for e in edited.elements}["tilrettelegging"].share == Decimal("0.07")
    trace_texts = " ".join(r["text_nb"] for r in edited.trace()["rules"])
    assert "7 %" in trace_texts and "{" not in trace_texts


def test_no_rule_text_hard_codes_a_rate_table_number():
    import yaml

    for path in (REPO / "rules").glob("*.yaml"):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            for hard in ("5 %", "24 måneder", "24 månedene", "1,15", "/ 12", "100 %"):
                assert hard not in rule["text_nb"], f"{path.name}: {rule['id']} hard-codes {hard!r}"


def test_a_placeholder_naming_a_missing_number_is_refused_at_load(tmp_path):
    rules, rates = _copy(tmp_path)
    _edit(rules / "elements.yaml", "{facilitation_share:%}", "{facilitation_shares:%}")
    with pytest.raises(RulesError) as info:
        RuleBook.load(RateBook.load(rates), rules)
    assert "elements.yaml" in str(info.value) and "element.tilrettelegging" in str(info.value)
    assert "facilitation_shares" in str(info.value)


def test_a_stray_brace_in_a_rule_text_is_refused():
    with pytest.raises(ValueError):
        placeholders("med {facilitation_share:x} av summen")


def test_element_window_start_is_read_from_the_rule(tmp_path, engine):
    fields = dict(start="2025-06-01", end="2026-05-31", role="fastlege", first_gp_date="2023-01-01")
    shipped = {e.element: e for e in _one(engine, **fields).elements}["produktivitet"]
    assert shipped.months == 0 and shipped.amount_nok == 0  # the 24 months ended 31.12.2024
    rules, rates = _copy(tmp_path)
    _edit(rules / "elements.yaml", "    window_from: first_gp_date\n", "    window_from: line_start\n")
    edited = {e.element: e for e in _one(_engine(rules, rates), **fields).elements}["produktivitet"]
    assert edited.window == (date(2025, 6, 1), date(2027, 5, 31)) and edited.months == 12
    assert edited.amount_nok == 125_000
    _edit(rules / "elements.yaml", "    window_from: line_start\n", "")
    with pytest.raises(RulesError, match=r"element\.produktivitet.*window_from"):
        RuleBook.load(RateBook.load(rates), rules)


def test_the_minimum_and_the_count_rule_are_read_on_every_line_of_a_batch(tmp_path):
    rules, rates = _copy(tmp_path)
    _edit(rates / "2023.yaml", "minimum_share_percent: null", "minimum_share_percent: 50")
    _edit(rules / "pricing.yaml", "count_from: counted_start", "count_from: part_start")
    eng = _engine(rules, rates)
    lines = [line(alis_id=f"M{i}", position_share=s, agreement_signed="2023-03-10")
             for i, s in enumerate(["40", "50", "80"])]
    result = eng.compute(lines, "2023")
    assert [r.amount_nok for r in result.lines] == _reference(result) == [0, 137_500, 220_000]
    assert [r.whole_months for r in result.lines] == [11, 11, 11]  # from the part's start, not the agreement


def _random_formula():
    from hypothesis import strategies as st

    number = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50"), places=2)
    term = st.one_of(st.sampled_from(["annual_rate", "share", "whole_months", "maximum_summed_share_percent"]), number)
    return st.fixed_dictionaries({
        "product": st.lists(term, min_size=1, max_size=4),
        "divide": st.one_of(st.none(), st.integers(1, 40), number),
    })


def test_the_column_pricer_pays_what_the_reference_computes_for_any_formula_and_rate(engine):
    """Random formulas in the model A rule and random annual rates (fractions of øre too): the
    pricer (integers over columns) pays on every line what the reference (the expression in
    exact fractions) gives, rounded half up once."""
    from hypothesis import given, settings, strategies as st

    lines = [line(alis_id=f"H{i}", position_share=s, start=f"2022-{10 + i % 3}-0{1 + i % 9}", kommunenummer=k)
             for i, (s, k) in enumerate([("100", "0301"), ("37,5", "1151"), ("12,25", "3401"), ("99,99", "0301"),
                                         ("60", "1151"), ("2,5", "0301")])]
    table = engine.ratebook.get("2023")

    @settings(max_examples=25, deadline=None)
    @given(_random_formula(), st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("9999999"), places=4))
    def check(raw, rate):
        expr = Expression.model_validate(raw)
        rules = [r.model_copy(update={"formula": expr}) if r.kind == "formula" else r for r in engine.rulebook.rules]
        rates = table.model_copy(deep=True)
        for by_role in (rates.annual_rates or {}).values():
            for groups in by_role.values():
                for group, amount in list(groups.items()):
                    groups[group] = amount.model_copy(update={"amount": rate})
        book = RateBook([t if t is not table else rates for t in engine.ratebook.tables])
        eng = Engine(book, RuleBook.build(rules, book), engine.centrality)
        result = eng.compute(lines, "2023")
        assert not result.rejections
        assert [r.amount_nok for r in result.lines] == _reference(result), raw
        assert all(r.annual_rate == rate for r in result.lines if r.status.value == "ok")

    check()


def test_a_window_element_that_may_lack_its_start_date_is_refused_at_load(tmp_path):
    """An element whose window starts on first_gp_date must only apply where the line gives that
    date: a rule edit that drops the requirement is an error when the rules are loaded, naming
    the rule, not a crash (or a silent zero) when a line without the date is priced."""
    rules, rates = _copy(tmp_path)
    _edit(rules / "elements.yaml", "        - {fact: first_gp_date, exists: true}\n", "")
    with pytest.raises(RulesError, match=r"elements.yaml: rule element\.produktivitet: .*must require first_gp_date"):
        _engine(rules, rates)


def test_agreement_date_rules_concern_alis_avtale_only():
    from grants import compute

    result = compute([line(grant_type="kun_veiledning", start="2023-09-01", end="2024-08-31",
                           agreement_signed="2024-03-01")], period="2023-24")
    (r,) = result.lines
    assert r.whole_months == 12 and r.status.value == "ok"


_CLIP_WHEN = """    when:
      all:
        - {fact: grant_type, eq: alis_avtale}
        - {fact: agreement_signed, exists: true}
        - {fact: agreement_signed, gt: {fact: part_start}}
        - {fact: agreement_signed, lte: {fact: part_end}}"""


def test_a_clip_rule_that_fires_without_its_date_is_refused_when_the_rules_load(tmp_path):
    rules, rates = _copy(tmp_path)
    _edit(rules / "eligibility.yaml", _CLIP_WHEN, """    when:
      all:
        - {fact: grant_type, eq: alis_avtale}""")
    with pytest.raises(RulesError, match="counts from agreement_signed, but it also applies to a line without"):
        _engine(rules, rates)


def test_a_clip_rule_that_fires_without_its_date_on_a_case_no_probe_has_stops_the_run_naming_the_row(tmp_path):
    rules, rates = _copy(tmp_path)
    _edit(rules / "eligibility.yaml", _CLIP_WHEN, """    when:
      all:
        - {fact: grant_type, eq: alis_avtale}
        - {fact: via_agency, eq: true}""")
    engine = _engine(rules, rates)  # the probes give no line via an agency: not seen on load
    for period, start, end in (("2023-24", "2023-09-01", "2024-08-31"), ("2025-26", "2025-06-01", "2026-05-31")):
        lines = [line(alis_id="A", start=start, end=end), line(alis_id="B", start=start, end=end, via_agency="ja")]
        for evaluator in ("vectorised",) + (("durable",) if engine.runner is not None else ()):
            with pytest.raises(RulesError, match=r"counts from agreement_signed, but it also applies to row 2 "
                                                 rf"\(period {period}\)"):
                engine.compute(lines, period, evaluator=evaluator)
