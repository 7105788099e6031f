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
    assert ws.max_row >= 2 and all(ws.cell(2, c).value is None for c in range(1, len(header) + 1))  # empty
    lists = {re.match(r"[A-Z]+", str(dv.sqref)).group(): dv for dv in ws.data_validations.dataValidation}
    col = {h: openpyxl.utils.get_column_letter(i + 1) for i, h in enumerate(header)}
    role, grant_type = lists[col["rolle"]], lists[col["tilskuddstype"]]
    assert role.type == "list" and "fastlegevikar" in role.formula1 and "annet kommunalt legearbeid" in role.formula1
    assert grant_type.type == "list" and grant_type.formula1 == '"ALIS-avtale,kun veiledning"'
    assert lists[col["stillingsandel"]].type == "decimal"
    assert ws[f"{col['fra']}2"].number_format == "DD.MM.YYYY"
    assert ws[f"{col['til']}500"].number_format == "DD.MM.YYYY"
    assert ws[f"{col['stillingsandel']}2"].number_format == '0" %"'
    assert ws[f"{col['kommunenr']}2"].number_format == "@"
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
    assert header == [INPUT_HEADER_NB.get(f) or "utgift_" + f.split(":")[1] for f in input_fields(engine.ratebook.tables[-1])]


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
