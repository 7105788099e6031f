"""The rate-table property suite (grants.testing): every shipped table passes it, and every
deliberately broken table in tests/broken_rates/ fails the check its first comment line names."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from grants import Engine
from grants.datafiles.paths import data_dir
from grants.rates.tables import RateBook
from grants.rules.rulebook import RuleBook
from grants.testing import PROPERTY_TITLES, CheckReport, check_rate_table
from tests.conftest import shipped_book
from tests.new_period import next_period_id, next_period_text

BROKEN = Path(__file__).resolve().parent / "broken_rates"
SHIPPED = sorted(data_dir("rates").glob("*.yaml"))
FEW = 30  # examples per random property in these tests; the default (200) and its time: benchmarks/run.py
_HEADER = re.compile(r"^# BROKEN: (?P<what>.+?) \| check: (?P<check>\w+) \| key: (?P<key>\S+)\s*$")


def _expected(path: Path) -> dict[str, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = _HEADER.match(first)
    assert m, f"{path.name}: the first line must be '# BROKEN: ... | check: NAME | key: KEY', got {first!r}"
    return m.groupdict()


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_table_passes_every_property(path):
    report = check_rate_table(path, max_examples=FEW)
    assert report.ok, report.text()
    assert report.period_id == path.stem
    assert [r.name for r in report.results] == list(PROPERTY_TITLES)
    assert all(line.startswith(("Kontroll", "OK  ", "MERK", "Resultat")) for line in report.text().splitlines())


BROKEN_FILES = sorted(BROKEN.glob("*.yaml"))


def test_the_broken_tables_are_all_there():
    names = {p.stem for p in BROKEN_FILES}
    assert {
        "class6_below_class15", "negative_amount", "overlaps_neighbour", "typo_in_role", "missing_group",
        "amount_as_text", "end_before_start", "unknown_model", "unused_element", "missing_parameter",
    } <= names
    for p in BROKEN_FILES:
        assert _expected(p)["check"] in PROPERTY_TITLES, p.name
    # the checks no table that loads can break are shown failing in test_ratecheck_can_fail.py
    by_table = {_expected(p)["check"] for p in BROKEN_FILES}
    assert by_table == {"loads", "completeness", "class6_not_below_class15", "neighbours"}
    assert set(PROPERTY_TITLES) - by_table == {"non_negative", "monotone_in_period", "full_year", "no_month_paid_twice"}


@pytest.mark.parametrize("path", BROKEN_FILES, ids=[p.stem for p in BROKEN_FILES])
def test_each_broken_table_fails_the_check_that_must_catch_it(path):
    expected = _expected(path)
    report = check_rate_table(path, max_examples=FEW)
    assert not report.ok, report.text()
    failed = report.result(expected["check"])
    assert failed is not None and not failed.ok, report.text()
    assert path.name in failed.message, failed.message  # names the file ...
    assert expected["key"] in failed.message, failed.message  # ... and the key
    assert f"FEIL  {PROPERTY_TITLES[expected['check']]}: " in report.text()
    if expected["check"] == "loads":
        # a table that does not load stops there: nothing computed from it
        assert {r.name for r in report.results} <= {"loads", "neighbours"}, report.text()
        assert "IKKE KJØRT" in report.text()
    else:
        assert report.result("loads").ok, report.text()
        assert [r.name for r in report.failures] == [expected["check"]], report.text()


def test_class6_counterexample_is_a_concrete_line_that_reproduces(tmp_path):
    report = check_rate_table(BROKEN / "class6_below_class15.yaml", max_examples=FEW)
    failed = report.result("class6_not_below_class15")
    assert not failed.ok
    cx = failed.counterexample
    assert isinstance(cx, dict)
    assert {"alis_id", "kommunenummer", "grant_type", "role", "position_share", "start", "end"} <= set(cx)
    assert cx["centrality_class"] == 6
    assert "annual_rates.alis_avtale.fastlege: class_6 (280 000 kr) er lavere enn class_1_5 (300 000 kr)" in failed.message
    assert "minste moteksempel: {" in report.text()
    # the counter-example, fed to an engine with the broken table published, shows the problem
    rates = tmp_path / "rates"
    shutil.copytree(data_dir("rates"), rates)
    shutil.copy(BROKEN / "class6_below_class15.yaml", rates / "2023.yaml")
    book = RateBook.load(rates)
    engine = Engine(book, RuleBook.load(book))
    six = engine.compute([cx], "2023").lines[0].amount_nok
    other = engine.compute([dict(cx, centrality_class=1)], "2023").lines[0].amount_nok
    assert 0 < six < other
    # shrunk: 100 %, the first municipality and one whole month from the period's first day
    assert cx["position_share"] == "100" and cx["kommunenummer"] == "0301"
    assert (cx["start"], cx["end"]) == ("2022-10-01", "2022-10-31")


def test_same_seed_same_report():
    a = check_rate_table(BROKEN / "class6_below_class15.yaml", max_examples=FEW, seed=3)
    b = check_rate_table(BROKEN / "class6_below_class15.yaml", max_examples=FEW, seed=3)
    assert [(r.name, r.ok, r.message, r.counterexample) for r in a.results] == [
        (r.name, r.ok, r.message, r.counterexample) for r in b.results
    ]


def _new_period_text() -> str:
    """The last shipped table with its id and dates moved a year on (tests.new_period)."""
    return next_period_text(RateBook.load().tables[-1])


def test_a_new_period_outside_rates_is_checked_against_the_shipped_book(tmp_path):
    last = RateBook.load().tables[-1]
    new_id = next_period_id(last.id)
    draft = tmp_path / f"{new_id}.yaml"
    draft.write_text(_new_period_text(), encoding="utf-8")
    report = check_rate_table(draft, max_examples=FEW)
    assert report.ok, report.text()
    assert report.period_id == new_id
    assert f"forrige periode {last.id}" in report.result("neighbours").message
    assert f"{last.id}, {new_id}" in report.result("no_month_paid_twice").message
    assert not any("filnavnet" in n for n in report.notes)


def test_a_draft_with_any_name_inside_rates_dir(tmp_path):
    rates = tmp_path / "rates"
    shutil.copytree(data_dir("rates"), rates)
    (rates / "NEW.yaml").write_text(_new_period_text(), encoding="utf-8")
    report = check_rate_table(rates / "NEW.yaml", rates_dir=rates, max_examples=FEW)
    assert report.ok, report.text()
    assert any(f"«NEW.yaml» må være «{report.period_id}.yaml»" in n for n in report.notes)


def test_a_changed_table_replaces_the_shipped_one_with_the_same_period(tmp_path):
    text = (data_dir("rates") / "2024-25.yaml").read_text(encoding="utf-8").replace("status: illustrative", "status: official")
    text = text.replace("class_6: {amount: 380000,", "class_6: {amount: 390000,")
    draft = tmp_path / "2024-25.yaml"
    draft.write_text(text, encoding="utf-8")
    report = check_rate_table(draft, max_examples=FEW)
    assert report.ok, report.text()
    assert report.notes == []
    assert f"{len(RateBook.load().tables) - 1} andre satstabeller" in report.result("loads").message


def test_a_missing_file_fails_loading_with_its_name(tmp_path):
    report = check_rate_table(tmp_path / "nope.yaml", max_examples=FEW)
    assert not report.ok
    assert [r.name for r in report.results] == ["loads"]
    assert "nope.yaml" in report.results[0].message
    assert isinstance(report, CheckReport) and report.period_id is None


@pytest.mark.parametrize("table", shipped_book().tables, ids=lambda t: t.id)
def test_full_year_title_words_the_periods_own_length(table):
    """Only a period of 12 whole months is "et helt periodeår"; period 2023 (01.10.2022-31.08.2023,
    11 months) was called one in a user trial."""
    from grants.tools.ratecheck.months import count_months

    months = count_months(table, table.period.first_day, table.period.last_day)
    title = check_rate_table(table.file, max_examples=5).result("full_year").title
    assert ("helt periodeår" in title) == (months == 12), title
    assert f"{months} hele måneder" in title, title
    if months < 12:
        assert f"{months}/12 av" in title, title


def test_full_year_title_for_short_long_and_whole_year_periods():
    from grants.tools.ratecheck.full_year import full_year_title

    assert full_year_title(11, "A") == "hele perioden (11 hele måneder) med 100 % gir 11/12 av årssatsen"
    assert full_year_title(12, "A") == "et helt periodeår (12 hele måneder) med 100 % gir årssatsen"
    assert "periodeår" not in full_year_title(14, "B") and "12 hele måneder" in full_year_title(14, "B")
