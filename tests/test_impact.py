"""Budget impact of a new rate table, and the synthetic portfolio it is usually run on."""
from __future__ import annotations

import shutil

import pytest

from grants import Engine
from grants.cli import main
from grants.tools.impact import impact, lines_from_records, load_candidate
from grants.tools.portfolio import synthetic_portfolio
from grants.rules.rulebook import RuleBook
from tests.conftest import REPO


@pytest.fixture(scope="module")
def portfolio():
    return synthetic_portfolio(3000, seed=5, period="2023")


def _table(tmp_path, old, new, name="NY.yaml"):
    path = tmp_path / name
    text = (REPO / "rates" / "2023.yaml").read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_table_that_changes_nothing_is_reported_as_such(engine, portfolio, tmp_path):
    same = tmp_path / "NY.yaml"
    shutil.copy(REPO / "rates" / "2023.yaml", same)
    lines, rejections = lines_from_records(portfolio, engine)
    assert not rejections
    report = impact(lines, "2023", same, engine=engine)
    assert report.changed_lines == 0 and report.base_total == report.new_total
    assert "INGEN ENDRING" in report.text()


def test_a_class_6_increase_changes_only_class_6_and_matches_the_durable_path(engine, portfolio, tmp_path):
    path = _table(tmp_path, "class_6: {amount: 380000", "class_6: {amount: 400000")
    lines, _ = lines_from_records(portfolio, engine)
    report = impact(lines, "2023", path, engine=engine)
    by_class = report.by["centrality_class"].set_index("centrality_class")
    assert (by_class.loc[[1, 2, 3, 4, 5], "change_nok"] == 0).all()
    assert by_class.loc[6, "change_nok"] > 0
    # the same totals through durable_rules with the candidate table
    book, _ = load_candidate(path)
    durable_new = Engine(book, RuleBook.load(book)).compute(portfolio, "2023").total_nok
    assert report.base_total == engine.compute(portfolio, "2023").total_nok
    assert report.new_total == durable_new
    assert "INGEN ENDRING" not in report.text()


def test_cli_portfolio_and_impact(capsys, tmp_path):
    out = tmp_path / "portefolje.csv"
    assert main(["portfolio", "--lines", "400", "--seed", "3", "-o", str(out)]) == 0
    first = out.read_text(encoding="utf-8")
    assert len(first.splitlines()) == 401
    assert main(["portfolio", "--lines", "400", "--seed", "3", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == first  # deterministic for a seed
    path = _table(tmp_path, "class_1_5: {amount: 300000", "class_1_5: {amount: 310000")
    capsys.readouterr()
    assert main(["impact", str(out), "--base", "2023", "--new", str(path)]) == 0
    text = capsys.readouterr().out
    assert "ADVARSEL" in text and "Per rolle" in text and "Per sentralitetsklasse" in text and "Per kommune" in text
    assert "endring +" in text and "Satsvirkning: +" in text


def test_cli_impact_with_a_broken_table_names_file_and_key(capsys, tmp_path):
    out = tmp_path / "p.csv"
    main(["portfolio", "--lines", "50", "-o", str(out)])
    path = _table(tmp_path, "    fastlege:\n", "    fastelege:\n")
    capsys.readouterr()
    assert main(["impact", str(out), "--base", "2023", "--new", str(path)]) == 2
    err = capsys.readouterr().err
    assert "NY.yaml" in err and "fastelege" in err


def test_impact_warns_when_the_new_table_fails_the_rate_checks(engine, portfolio, tmp_path):
    path = _table(tmp_path, "class_6: {amount: 380000", "class_6: {amount: 280000")
    lines, _ = lines_from_records(portfolio, engine)
    report = impact(lines, "2023", path, engine=engine)
    assert report.check_failures and "ADVARSEL" in report.text()


def test_no_change_prints_no_zero_tables(engine, portfolio, tmp_path):
    same = tmp_path / "NY.yaml"
    shutil.copy(REPO / "rates" / "2023.yaml", same)
    lines, _ = lines_from_records(portfolio, engine)
    text = impact(lines, "2023", same, engine=engine).text()
    assert "INGEN ENDRING" in text and "Per rolle" not in text


def _portfolio_file(tmp_path, rows):
    path = tmp_path / "portefolje.csv"
    path.write_text("lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til\n" + "".join(
        f"A{i};0301;ALIS-avtale;fastlege;100;{start};{end}\n" for i, (start, end) in enumerate(rows, start=1)),
        encoding="utf-8")
    return path


def test_a_table_like_2024_25_on_a_2023_portfolio_moves_money_only_by_the_shorter_period(capsys, tmp_path):
    """2024-25's amounts equal 2023's: the −18,2 % of a full-period line is all period effect
    (9 months against 11), and the rates effect says INGEN ENDRING; the table is named as the
    user named it, never by the installed file's path."""
    path = _portfolio_file(tmp_path, [("01.10.2022", "31.08.2023")])
    capsys.readouterr()
    assert main(["impact", str(path), "--base", "2023", "--new", "2024-25"]) == 0
    text = capsys.readouterr().out
    assert "mot 2024-25 (illustrativ)" in text and "site-packages" not in text and "rates/" not in text
    assert "endring −50 000 kr (−18,2 %)" in text
    assert "Satsvirkning: INGEN ENDRING" in text
    assert "Periodevirkning: −50 000 kr (−18,2 % av grunnlaget)" in text


def test_the_rates_effect_and_the_period_effect_add_up_to_the_change(engine, tmp_path):
    new = tmp_path / "NY.yaml"
    new.write_text((REPO / "rates" / "2024-25.yaml").read_text(encoding="utf-8").replace(
        "amount: 300000", "amount: 330000"), encoding="utf-8")
    lines, _ = lines_from_records([
        {"lege_id": "A1", "kommunenr": "0301", "tilskuddstype": "ALIS-avtale", "rolle": "fastlege",
         "stillingsandel": "100", "fra": "01.10.2022", "til": "31.08.2023"}], engine)
    report = impact(lines, "2023", new, engine=engine)
    # 11 months at 300 000 → 9 months at 330 000; the base amounts on the new period's days: 9 at 300 000
    assert (report.base_total, report.new_total) == (275_000, 247_500)
    assert report.rates_effect == 247_500 - 225_000 and report.period_effect == 225_000 - 275_000
    assert report.rates_effect + report.period_effect == report.new_total - report.base_total
    text = report.text()
    assert "Satsvirkning: +22 500 kr" in text and "Periodevirkning: −50 000 kr" in text and "−10,0 %" in text


def test_lines_outside_either_period_are_warned_about_not_passed_as_no_change(capsys, tmp_path):
    path = _portfolio_file(tmp_path, [("01.01.2021", "31.08.2021")])  # before 2023, and before 2024-25 once moved
    capsys.readouterr()
    assert main(["impact", str(path), "--base", "2023", "--new", "2023"]) == 0
    text = capsys.readouterr().out
    assert "INGEN ENDRING" in text
    assert "ADVARSEL: 1 av 1 linjer ligger utenfor grunnlagsperioden 2023" in text
    assert "ligger utenfor perioden 2023" in text


def test_impact_into_another_period_moves_lines_by_whole_months(engine, tmp_path):
    # 2023 and 2023-24 have the same illustrative amounts: January 2023 moved 11 months is
    # December 2023, one whole month at the same rate in both
    from tests.conftest import REPO, line

    lines, _ = lines_from_records([line(start="2023-01-01", end="2023-01-31")], engine)
    report = impact(lines, "2023", REPO / "rates" / "2023-24.yaml", engine=engine)
    assert report.shift_months == 11
    assert report.changed_lines == 0 and report.base_total == report.new_total == 25000
