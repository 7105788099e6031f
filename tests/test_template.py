"""`alis-grant template`: the empty application workbook, read back with openpyxl."""
from __future__ import annotations

import re

import openpyxl
import pytest

from grants.cli import main
from grants.pipeline.headers import field_of, map_header
from grants.pipeline.inputs import REQUIRED_COLUMNS
from grants.domain import parse_grant_type, parse_role
from grants.tools.template import EXAMPLE_SHEET, HELP_SHEET, INPUT_SHEET, input_fields
from grants.report.vocabulary_nb import INPUT_HEADER_NB, INPUT_VALUES_NB


def _template(capsys, tmp_path, *period):
    out = tmp_path / "mal.xlsx"
    code = main(["template", *period, "-o", str(out)])
    capsys.readouterr()
    assert code == 0
    return openpyxl.load_workbook(out), out


def test_every_template_header_is_one_the_reader_accepts():
    for field, header in INPUT_HEADER_NB.items():
        assert field_of(header) == field, (field, header)
    for value in INPUT_VALUES_NB["role"]:
        parse_role(value)
    for value in INPUT_VALUES_NB["grant_type"]:
        parse_grant_type(value)


@pytest.mark.parametrize("period", ["2023", "2025-26"])
def test_template_columns_validation_formats(capsys, tmp_path, engine, period):
    wb, _ = _template(capsys, tmp_path, "--period", period)
    assert wb.sheetnames == [INPUT_SHEET, EXAMPLE_SHEET, HELP_SHEET]
    ws = wb[INPUT_SHEET]
    header = [c.value for c in ws[1]]
    mapped = map_header(header, engine._elements)
    assert set(REQUIRED_COLUMNS) <= set(mapped.field_to_column) and not mapped.ignored
    assert header[:7] == ["lege_id", "kommunenr", "tilskuddstype", "rolle", "stillingsandel", "fra", "til"]
    if period == "2025-26":
        assert "utgift_veiledning" in header and "første_dato_fastlege" in header
    else:
        assert not any(h.startswith("utgift_") for h in header) and "første_dato_fastlege" not in header
    assert ws.max_row == 1  # no prepared rows: the formats and lists belong to the columns
    lists = {re.match(r"[A-Z]+", str(dv.sqref)).group(): dv for dv in ws.data_validations.dataValidation}
    col = {h: openpyxl.utils.get_column_letter(i + 1) for i, h in enumerate(header)}
    role, grant_type = lists[col["rolle"]], lists[col["tilskuddstype"]]
    assert role.type == "list" and "fastlegevikar" in role.formula1 and "annet kommunalt legearbeid" in role.formula1
    assert grant_type.type == "list" and grant_type.formula1 == '"ALIS-avtale,kun veiledning"'
    assert str(role.sqref).endswith("1048576")
    assert lists[col["stillingsandel"]].type == "decimal"
    assert ws.column_dimensions[col["fra"]].number_format == "DD.MM.YYYY"
    assert ws.column_dimensions[col["til"]].number_format == "DD.MM.YYYY"
    assert ws.column_dimensions[col["stillingsandel"]].number_format == 'General" %"'
    assert ws.column_dimensions[col["kommunenr"]].number_format == "@"
    assert ws.freeze_panes == "A2"
    help_text = " ".join(str(c.value) for row in wb[HELP_SHEET].iter_rows() for c in row if c.value)
    assert "ADVARSEL" in help_text and f"--period {period}" in help_text and "Fyll inn" in help_text
    for cell in (c for s in wb.worksheets for row in s.iter_rows() for c in row):
        assert cell.data_type != "f"


@pytest.mark.parametrize("period", ["2022", "2023", "2024-25", "2025-26"])
def test_example_row_computes_without_rejection(capsys, tmp_path, engine, period):
    wb, _ = _template(capsys, tmp_path, "--period", period)
    rows = list(wb[EXAMPLE_SHEET].iter_rows(values_only=True))
    assert len(rows) >= 2
    record = {h: v for h, v in zip(rows[0], rows[1])}
    result = engine.compute([record], period)
    assert result.rejections == []
    assert [r.status.value for r in result.lines] == ["ok"] and result.total_nok > 0
    # the example is not on the sheet that is filled in
    assert wb[INPUT_SHEET].cell(2, 1).value is None


def test_default_period_is_the_latest(capsys, tmp_path, engine):
    wb, _ = _template(capsys, tmp_path)
    header = [c.value for c in wb[INPUT_SHEET][1]]
    assert header == [INPUT_HEADER_NB.get(f) or "utgift_" + f.split(":")[1] for f in input_fields(engine.ratebook.tables[-1], engine.rulebook)]


def test_unknown_period_exits_2_and_writes_nothing(capsys, tmp_path):
    out = tmp_path / "mal.xlsx"
    code = main(["template", "--period", "1999", "-o", str(out)])
    _, err = capsys.readouterr()
    assert code == 2 and "1999" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_template_into_missing_folder_or_wrong_suffix_exits_2(capsys, tmp_path):
    assert main(["template", "-o", str(tmp_path / "nei" / "mal.xlsx")]) == 2
    assert "finnes ikke" in capsys.readouterr().err
    assert main(["template", "-o", str(tmp_path / "mal.csv")]) == 2
    assert ".xlsx" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_filled_in_template_computes_as_it_is(tmp_path, capsys):
    """The officer fills the template and gives the workbook itself to compute (no CSV step)."""
    from openpyxl import load_workbook

    from grants.cli import main

    path = tmp_path / "mal.xlsx"
    assert main(["template", "--period", "2023", "-o", str(path)]) == 0
    wb = load_workbook(path)
    example, sheet = wb["Eksempel"], wb["Søknad"]
    header_row = next(r for r in range(1, 6) if sheet.cell(r, 1).value and "lege" in str(sheet.cell(r, 1).value).lower())
    ex_header = next(r for r in range(1, 6) if example.cell(r, 1).value == sheet.cell(header_row, 1).value)
    for col in range(1, sheet.max_column + 1):
        sheet.cell(header_row + 1, col).value = example.cell(ex_header + 1, col).value
        sheet.cell(header_row + 1, col).number_format = example.cell(ex_header + 1, col).number_format
    wb.save(path)
    capsys.readouterr()
    out = tmp_path / "beregning.csv"
    assert main(["compute", str(path), "--period", "2023", "-o", str(out)]) == 0, capsys.readouterr()
    text = out.read_text(encoding="utf-8-sig")
    assert len(text.strip().splitlines()) == 2 and ";ok;" in text


@pytest.mark.parametrize("period, present, absent", [
    ("2022", {"ny_ordning", "sentralitetsklasse"},
     {"vikarbyrå", "privat_kommersiell", "avtale_signert", "produktivitet_søkt", "veiledning_timer"}),
    ("2023", {"vikarbyrå", "ny_ordning", "sentralitetsklasse"},
     {"privat_kommersiell", "avtale_signert", "produktivitet_søkt", "veiledning_timer", "første_dato_fastlege"}),
    ("2024-25", {"vikarbyrå", "privat_kommersiell", "avtale_signert"},
     {"produktivitet_søkt", "veiledning_timer", "sentralitetstillegg_søkt", "første_dato_fastlege"}),
    ("2025-26", {"privat_kommersiell", "første_dato_fastlege", "produktivitet_søkt", "veiledning_timer",
                 "sentralitetstillegg_søkt", "utgift_veiledning"}, set()),
])
def test_the_template_offers_only_the_columns_its_periods_rules_read(capsys, tmp_path, period, present, absent):
    wb, _ = _template(capsys, tmp_path, "--period", period)
    header = {c.value for c in wb[INPUT_SHEET][1]}
    assert present <= header and not absent & header, sorted(header)


def test_the_columns_follow_the_rules_not_a_list_of_periods(engine):
    """A rule that starts reading an input in a period puts its column in that period's
    template: the 2023 rules with the private-commercial exclusion valid from 2023 offer it."""
    from grants.pipeline.fields import fields_read

    table = engine.ratebook.get("2023")
    assert "private_commercial" not in fields_read(table, engine.rulebook)
    rule = next(r for r in engine.rulebook.rules if r.when is not None and "private_commercial" in str(r.when))

    class Earlier:
        rules = engine.rulebook.rules

        @staticmethod
        def valid_in(period):
            return [*engine.rulebook.valid_in(period), rule]

    assert "private_commercial" in fields_read(table, Earlier)


def _fill(path, rows):
    """Fill the template's input sheet as an officer does, each cell with its column's format
    (which Excel gives a cell typed into a formatted column)."""
    wb = openpyxl.load_workbook(path)
    sheet, example = wb[INPUT_SHEET], wb[EXAMPLE_SHEET]
    header = [c.value for c in sheet[1]]
    for r, changes in enumerate(rows, start=2):
        for col, name in enumerate(header, start=1):
            cell = sheet.cell(r, col)
            cell.value = changes.get(name, example.cell(2, col).value)
            fmt = sheet.column_dimensions[openpyxl.utils.get_column_letter(col)].number_format
            if fmt and fmt != "General":
                cell.number_format = fmt
    wb.save(path)


def test_a_share_with_decimals_is_shown_and_paid_with_its_decimals(capsys, tmp_path):
    """62,5 % is shown as typed (a format without decimals showed «63 %», and a CSV saved from
    Excel then paid 63 %) and paid on 62,5 % when the workbook is computed."""
    from grants import compute, read_application

    _, path = _template(capsys, tmp_path, "--period", "2023")
    _fill(path, [{"lege_id": "A1", "stillingsandel": 62.5}])
    sheet = openpyxl.load_workbook(path)[INPUT_SHEET]
    assert sheet["E2"].number_format == 'General" %"'
    result = compute(read_application(path), "2023")
    assert [str(line.line.position_share) for line in result.lines] == ["62.5"]
    assert result.total_nok == 171_875  # 300 000 × 62,5 % × 11/12


def test_a_filled_in_template_reads_without_blank_rows_or_a_sheet_note(capsys, tmp_path):
    """Its unused rows are no rows at all (not «994 tomme rader»), and reading its first sheet
    is what the template says, so the reader notes no sheet choice."""
    from grants import read_application

    _, path = _template(capsys, tmp_path, "--period", "2023")
    _fill(path, [{"lege_id": "A1"}, {"lege_id": "A2"}])
    application = read_application(path)
    assert application.n_rows == 2 and application.blank_rows == 0
    assert application.notes == ()
    capsys.readouterr()
    assert main(["compute", str(path), "--period", "2023", "-o", str(tmp_path / "ut.csv")]) == 0
    out, err = capsys.readouterr()
    assert "Merk" not in out + err and "0 tomme rader" in out
    # another workbook of three sheets still gets the note
    wb = openpyxl.load_workbook(path)
    wb[EXAMPLE_SHEET].title = "Ark2"
    wb.save(path)
    assert any("det første synlige av 3 ark" in n for n in read_application(path).notes)


@pytest.mark.parametrize("shares, noted", [
    (["63 %", "80 %"], True),      # what Excel writes for 0" %": may be rounded
    (["62,5 %", "80 %"], False),   # decimals shown: nothing was rounded away
    (["63", "80"], False),         # typed as numbers
    (["100 %", "80"], False),      # a % typed by hand on some: not a formatted column
])
def test_a_csv_with_whole_percent_shares_gets_a_note_to_compute_the_workbook(tmp_path, shares, noted):
    from grants import read_application

    path = tmp_path / "søknad.csv"
    path.write_text("lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til\n" + "".join(
        f"A{i};0301;ALIS-avtale;fastlege;{s};01.10.2022;31.08.2023\n" for i, s in enumerate(shares)), encoding="utf-8")
    notes = read_application(path).notes
    assert any("Excel kan ha rundet av" in n and ".xlsx" in n for n in notes) == noted, notes
