"""Every check of the rate-table property suite can fail.

Tables that load cannot break four of the checks (non_negative, monotone_in_period, full_year,
no_month_paid_twice): the loader refuses negative numbers, and the engine computes every amount
as a non-negative rate x share x months / 12 from the table. Those checks guard the engine and
the rules against the table, so they are shown failing here on a broken copy of the rules or on
an engine whose results are broken after computing; the checks a table can break have a broken
table each in tests/broken_rates/ (test_rates_check.py). Three checks could not fail before
this file existed: full_year and completeness compared the engine's rate with the rate at the
path the engine itself chose (now: the path from the line's own grant type and role),
no_month_paid_twice skipped every period counting months from the start date (now: counted
again independently), and non_negative's scan of the table repeated the loader's refusal.
"""
from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from grants.pipeline.engine import Engine
from grants.datafiles.paths import data_dir
from grants.testing import check_rate_table

FEW = 30
CALENDAR = data_dir("rates") / "2023.yaml"  # model A, calendar months
ANNIVERSARY = data_dir("rates") / "2025-26.yaml"  # model B, months from the start date


@pytest.fixture
def wrong_rate_rules(tmp_path):
    """The shipped rules with introduksjonsleger priced at the fastlege rate."""
    rules = tmp_path / "rules"
    shutil.copytree(data_dir("rules"), rules)
    pricing = rules / "pricing.yaml"
    text = pricing.read_text(encoding="utf-8")
    assert "    rate: alis_avtale.introduksjonslege\n" in text
    pricing.write_text(text.replace("    rate: alis_avtale.introduksjonslege\n", "    rate: alis_avtale.fastlege\n", 1),
                       encoding="utf-8")
    return rules


def test_full_year_catches_a_rule_that_selects_the_wrong_rate(wrong_rate_rules):
    report = check_rate_table(CALENDAR, rules_dir=wrong_rate_rules, max_examples=FEW)
    failed = report.result("full_year")
    assert not failed.ok, report.text()
    assert "ventet annual_rates.alis_avtale.introduksjonslege" in failed.message
    assert failed.counterexample["role"] == "introduksjonslege"


def test_completeness_names_the_rate_each_probe_should_get(wrong_rate_rules):
    failed = check_rate_table(CALENDAR, rules_dir=wrong_rate_rules, max_examples=FEW).result("completeness")
    assert not failed.ok
    assert ("alis_avtale, introduksjonslege, sentralitetsklasse 6: fikk satsen annual_rates.alis_avtale.fastlege.class_6, "
            "ventet annual_rates.alis_avtale.introduksjonslege.class_6") in failed.message


def _break_results(monkeypatch, change):
    """Engine.compute returns every line through `change` (the computation itself is untouched)."""
    original = Engine.compute

    def compute(self, lines, period=None, **kw):
        result = original(self, lines, period, **kw)
        result.lines = [change(r) for r in result.lines]
        return result

    monkeypatch.setattr(Engine, "compute", compute)


@pytest.mark.parametrize("table", [CALENDAR, ANNIVERSARY], ids=["model_A", "model_B"])
def test_non_negative_fails_on_a_negative_line(monkeypatch, table):
    _break_results(monkeypatch, lambda r: replace(r, amount_nok=-r.amount_nok) if r.amount_nok else r)
    report = check_rate_table(table, max_examples=FEW)
    failed = report.result("non_negative")
    assert not failed.ok and "linjen gir -" in failed.message, report.text()
    assert failed.counterexample is not None


def test_monotone_fails_when_more_share_gives_less(monkeypatch):
    def change(r):
        return replace(r, amount_nok=r.amount_nok // 10) if r.line.position_share > 50 else r

    _break_results(monkeypatch, change)
    failed = check_rate_table(CALENDAR, max_examples=FEW).result("monotone_in_period")
    assert not failed.ok and "gir bare" in failed.message, failed.message


def test_full_year_fails_when_a_year_is_not_the_annual_rate(monkeypatch):
    _break_results(monkeypatch, lambda r: replace(r, amount_nok=r.amount_nok - 1) if r.amount_nok else r)
    failed = check_rate_table(CALENDAR, max_examples=FEW).result("full_year")
    # period 2023 is 11 months long: the whole period gives 11/12 of the annual rate
    assert not failed.ok and "11 hele måneder med 100 % gir 274 999 kr, ventet 275 000 kr" in failed.message, failed.message


@pytest.mark.parametrize("table,method,said", [
    (CALENDAR, "calendar", "hele kalendermåneder"),
    (ANNIVERSARY, "anniversary", "hele måneder regnet fra startdato"),  # once skipped: never checked
], ids=["calendar", "anniversary"])
def test_no_month_paid_twice_fails_when_a_part_counts_a_month_too_many(monkeypatch, table, method, said):
    def change(r):
        wrong = r.counted_start is not None and r.rate_table.whole_months == method
        return replace(r, whole_months=r.whole_months + 1) if wrong else r

    _break_results(monkeypatch, change)
    failed = check_rate_table(table, max_examples=FEW).result("no_month_paid_twice")
    assert not failed.ok and said in failed.message, failed.message
