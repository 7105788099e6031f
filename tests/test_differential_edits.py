"""The batch path held to the exact reference after random edits of the rates and the rules.

A person preparing a new period edits numbers (annual rates, model B parameters) and formulas
(the divisor of a formula). Whatever the edit, every line of a random batch, through either
evaluator, pays what the reference computes from the line alone: model A the `formula` rule's
expression in exact fractions (grants.rules.formulas.model_a_amount), model B each element by
its rule's formula in exact fractions (grants.rules.formulas.element_value, no memo, no columns),
rounded once per element. Lines whose doctor gives an expense, hours or an amount applied for go
through the caps and are held by the caps' own tests; here every model B line is priced at its
maxima, so the columns road is what is checked.
"""
from __future__ import annotations

import os
import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from grants import Engine
from grants.domain import Status
from grants.money import to_kroner
from grants.rates.tables import RateBook
from grants.rules.formulas import element_value, model_a_amount
from grants.rules.rulebook import RuleBook, counted_by

from .conftest import EVALUATORS_HERE, REPO

_AMOUNT = re.compile(r"amount: (\d+)")
_VALUE = re.compile(r"(\w+): \{title_nb: ([^,]+), value: ([0-9.]+)")
_DIVIDE = re.compile(r"divide: 12\b")
_KEEP = {"productivity_window_months"}  # a count of months, not an amount: left as it is

_dates = st.sampled_from([
    "2023-01-15", "2023-08-31", "2023-09-01", "2023-11-16", "2024-02-29", "2024-08-31", "2024-09-01",
    "2025-03-31", "2025-06-01", "2025-07-15", "2025-12-31", "2026-05-31", "01.10.2025", "2026-09-30",
])
_line = st.fixed_dictionaries({
    "alis_id": st.sampled_from(["A1", "a 1", "B2", "C3", "D4", "E5", "F6"]),
    "kommunenummer": st.sampled_from(["0301", "5401", "1804", "4201", "1151"]),
    "grant_type": st.sampled_from(["alis_avtale", "ALIS-avtale", "kun_veiledning"]),
    "role": st.sampled_from(["fastlege", "vikar", "introduksjonslege", "annet_kommunalt"]),
    "position_share": st.sampled_from(["100", "80", "80,5", "33.33", "50 %", "60.01", "20", "4"]),
    "start": _dates,
    "end": _dates,
    "first_gp_date": st.sampled_from(["", "", "2025-07-01", "2024-01-15"]),
    "centrality_class": st.sampled_from(["", "", "6", "2"]),
})
_factor = st.sampled_from([Decimal("0.5"), Decimal("0.73"), Decimal("1"), Decimal("1.1"), Decimal("2.37"), Decimal("13")])


def _edited(tmp: Path, data) -> Engine:
    """A copy of rules/ and rates/ with every rate-table number scaled by a drawn factor (kept
    to two decimals) and some formulas' divisor redrawn."""
    rules, rates = tmp / "rules", tmp / "rates"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(REPO / "rules", rules)
    shutil.copytree(REPO / "rates", rates)
    for path in rates.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        text = _AMOUNT.sub(lambda m: f"amount: {int(Decimal(m[1]) * data.draw(_factor))}", text)

        def value(m: re.Match) -> str:
            number = Decimal(m[3])
            if m[1] not in _KEEP:
                number = (number * data.draw(_factor)).quantize(Decimal("0.01"))
            return f"{m[1]}: {{title_nb: {m[2]}, value: {number}"
        path.write_text(_VALUE.sub(value, text), encoding="utf-8")
    for name in ("pricing.yaml", "elements.yaml"):
        path = rules / name
        text = path.read_text(encoding="utf-8")
        path.write_text(_DIVIDE.sub(lambda m: f"divide: {data.draw(st.sampled_from([12, 12, 7, 24]))}", text),
                        encoding="utf-8")
    book = RateBook.load(rates)
    return Engine(book, RuleBook.load(book, rules))


def _reference_b(r) -> int:
    """A model B line's kroner at its elements' maxima, element by element in exact fractions."""
    table, line = r.rate_table, r.line
    method = counted_by(r.rules, table)
    elements = [rule for rule in r.rules if rule.kind == "element"]
    elements.sort(key=lambda rule: table.element(rule.element).share_of is not None)  # shares after their bases
    earlier: dict = {}
    for rule in elements:
        window = getattr(line, rule.window_from) if rule.window_from else None
        earlier[rule.element] = element_value(rule.element, rule.formula, table.element(rule.element), table,
                                              line.position_share, r.whole_months, (r.counted_start, r.counted_end),
                                              method, window, earlier, None)
    return sum(to_kroner(e.granted) for e in earlier.values())


@settings(max_examples=int(os.environ.get("EDIT_EXAMPLES", "12")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.data(), st.lists(_line, min_size=1, max_size=12), st.sampled_from(["2023-24", "2025-26", None]))
def test_every_line_pays_the_reference_after_random_edits_of_rates_and_rules(tmp_path, data, lines, period):
    engine = _edited(tmp_path / "edit", data)
    outcomes = []
    for evaluator in EVALUATORS_HERE:
        result = engine.compute(lines, period, evaluator=evaluator)
        outcomes.append((result.rows(), [r.text() for r in result.rejections]))
        for r in result.lines:
            if r.status is not Status.OK:
                assert r.amount_nok == 0
                continue
            if r.rate_table.model == "A":
                formula = next(rule.formula for rule in r.rules if rule.kind == "formula")
                expected = to_kroner(model_a_amount(formula, r.annual_rate, r.line.position_share, r.whole_months,
                                                    r.rate_table))
            else:
                expected = _reference_b(r)
                assert r.amount_nok == sum(e.amount_nok for e in r.elements)
            assert r.amount_nok == expected, (r.row, r.period, evaluator)
        assert list(result.column("amount_nok")) == [r.amount_nok for r in result.lines]
        assert result.total_nok == sum(r.amount_nok for r in result.lines)
    assert all(o == outcomes[0] for o in outcomes)


def test_the_edits_reach_the_engine(tmp_path):
    """The edit machinery changes what the engine pays (else the test above could not fail)."""
    class Draw:
        def draw(self, strategy):
            return {_factor: Decimal("2.37")}.get(strategy, 7)

    edited = _edited(tmp_path / "edit", Draw())
    shipped = Engine()
    line = {"alis_id": "A1", "kommunenummer": "0301", "grant_type": "alis_avtale", "role": "fastlege",
            "position_share": "100", "start": "2025-06-01", "end": "2026-05-31"}
    a = edited.compute([line], "2025-26").lines[0]
    b = shipped.compute([line], "2025-26").lines[0]
    assert a.amount_nok != b.amount_nok and a.amount_nok == _reference_b(a)
    assert date(2025, 6, 1) == a.counted_start
