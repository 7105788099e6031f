"""`alis-grant rates diff`: two periods, or a draft and a period, side by side.

The draft below is rates/2023.yaml with one amount changed: ALIS-avtale fastlege class 6,
380 000 -> 400 000. In the example application only row 3 (ALIS-003, Tjeldsund, class 6,
fastlegevikar at the fastlege rate, 100 %, 6 whole months) uses it:
  400 000 × 6/12 = 200 000 instead of 190 000: +10 000; total 1 142 500 -> 1 152 500.
Row 4 (also class 6) is ineligible (a vikariat of exactly 3 months) and stays 0.
"""
from __future__ import annotations

from pathlib import Path

from grants.cli import main
from grants.commands._common import load_input
from grants.tools.ratesdiff import Change, diff, load_side
from tests.conftest import FIXTURES, REPO

EXAMPLE = FIXTURES / "examples" / "soknad_2023.csv"
OLD_LINE = "class_6: {amount: 380000, source: domain-illustrative}"


def _draft(tmp_path: Path, old: str = OLD_LINE, new: str = "class_6: {amount: 400000, source: domain-illustrative}") -> Path:
    text = (REPO / "rates" / "2023.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "utkast.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_draft_with_one_changed_amount_shows_exactly_that_change(tmp_path):
    a, b = load_side("2023"), load_side(str(_draft(tmp_path)))
    report = diff(a, b)
    assert report.changes == [Change("sats", "ALIS-avtale, fastlege, klasse 6", 380_000, 400_000)]
    assert report.changes[0].text() == "ALIS-avtale, fastlege, klasse 6: 380 000 kr → 400 000 kr  (+20 000 kr, +5,3 %)"


def test_portfolio_shows_each_line_and_the_total(tmp_path):
    a, b = load_side("2023"), load_side(str(_draft(tmp_path)))
    report = diff(a, b, load_input(str(EXAMPLE)).lines, str(EXAMPLE))
    changed = {line.row: (line.old_nok, line.new_nok) for line in report.lines if line.change_nok}
    assert changed == {3: (190_000, 200_000)}
    assert len(report.lines) == 9 and report.lines[3].old_nok == report.lines[3].new_nok == 0
    assert (report.old_total, report.new_total) == (1_142_500, 1_152_500)
    assert report.shift_months == 0


def test_same_table_says_no_change(capsys):
    assert main(["rates", "diff", "2023", "2023"]) == 0
    out = capsys.readouterr().out
    assert "INGEN ENDRING" in out and "ADVARSEL" in out


def test_two_periods_name_dates_and_rules(capsys):
    assert main(["rates", "diff", "2023", "2024-25"]) == 0
    out = capsys.readouterr().out
    assert "første dag: 01.10.2022 → 01.09.2024" in out
    assert "eligibility.private_commercial (ny i 2024-25)" in out
    assert "Årssatser" not in out  # the illustrative amounts are the same in both


def test_model_a_to_model_b(capsys):
    assert main(["rates", "diff", "2023-24", "2025-26"]) == 0
    out = capsys.readouterr().out
    assert "modell: A → B" in out
    assert "ALIS-avtale, fastlege, klasse 6: 380 000 kr → (ingen)" in out
    assert "veiledning: (ingen) → 91 317,1875 kr" in out
    assert "timesats [hourly_rate]: (ingen) → 1 375\n" in out  # a parameter is a number, not kroner
    assert "amount.model_a (gjelder ikke i 2025-26)" in out


def test_cli_portfolio_across_periods_moves_the_lines(capsys):
    assert main(["rates", "diff", "2023", "2024-25", "--portfolio", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "linjene er flyttet 23 måneder" in out
    assert "Sum" in out and "1 142 500 kr" in out


def test_rejected_rows_are_named_and_exit_1(capsys, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(
        "lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til\n"
        "A;5412;ALIS-avtale;fastlege;100;01.01.2023;30.06.2023\n"
        "B;0301;ALIS-avtale;fastlege;120;01.01.2023;30.06.2023\n",
        encoding="utf-8",
    )
    code = main(["rates", "diff", "2023", str(_draft(tmp_path)), "--portfolio", str(src)])
    out = capsys.readouterr().out
    assert code == 1
    assert "avvist" in out and "verdi «120»" in out
    assert "+10 000 kr" in out


def test_unknown_period_or_missing_draft_exits_2(capsys, tmp_path):
    assert main(["rates", "diff", "2023", "1999"]) == 2
    assert "1999" in capsys.readouterr().err
    assert main(["rates", "diff", "2023", str(tmp_path / "mangler.yaml")]) == 2
    assert "mangler.yaml" in capsys.readouterr().err
