"""The finance officer's workbook: read back with openpyxl and checked cell by cell.

The example (fixtures/examples/soknad_2023.csv, period 2023) totals 1 142 500 kr: see the
expected amounts in tests/test_cli.py.
"""
from __future__ import annotations

import stat
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from grants.errors import OutputFileError

from grants.cli import main
from grants.commands._common import load_input
from grants.io.workbook import SHEETS, _looks_like_formula, write_workbook
from tests.conftest import FIXTURES, line

EXAMPLE = FIXTURES / "examples" / "soknad_2023.csv"
EXPECTED_AMOUNTS = {1: 275_000, 2: 180_000, 3: 190_000, 4: 0, 5: 125_000, 6: 22_500, 7: 75_000, 8: 0, 9: 275_000}
HOSTILE = ['=HYPERLINK("http://x","klikk")', "+47 22 00 00 00", "-2+3", "@SUM(A1)", "\t=2+2", "\r=3", "=1+1"]


def _example_result(engine):
    csv_input = load_input(str(EXAMPLE))
    result = engine.compute(csv_input.lines, "2023")
    result.passthrough = {"merknad": [r["merknad"] for r in csv_input.lines]}
    return result


def _header_row(ws) -> int:
    """The header is row 1, or row 2 under the rates warning."""
    return 2 if str(ws.cell(1, 1).value or "").startswith("ADVARSEL") else 1


def _table(ws) -> tuple[list[str], list[tuple]]:
    h = _header_row(ws)
    rows = list(ws.iter_rows(min_row=h, values_only=True))
    return list(rows[0]), [r for r in rows[1:] if any(v is not None for v in r)]


def _book(result, tmp_path, name="b.xlsx"):
    path = tmp_path / name
    write_workbook(result, path)
    return openpyxl.load_workbook(path)


def _all_cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from row


@pytest.fixture(scope="module")
def example_book(engine, tmp_path_factory):
    path = tmp_path_factory.mktemp("wb") / "beregning.xlsx"
    result = _example_result(engine)
    write_workbook(result, path, engine.rulebook)
    return openpyxl.load_workbook(path), result


def test_sheets_and_warning_on_top_of_each(example_book):
    wb, _ = example_book
    assert wb.sheetnames == list(SHEETS)
    for ws in wb.worksheets:
        assert ws.cell(1, 1).value.startswith("ADVARSEL: satsene som er brukt er ikke offisielle (2023: illustrative)")
        assert ws.freeze_panes == "A3", ws.title  # header (row 2) frozen
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith(("A2:",)), ws.title
        assert ws.column_dimensions["A"].width and ws.column_dimensions["A"].width >= 8


def test_lines_amounts_are_numbers_that_sum_to_the_total(example_book):
    wb, result = example_book
    ws = wb["Linjer"]
    header, rows = _table(ws)
    amount = header.index("Beløp (kr)")
    assert {r[header.index("Rad")]: r[amount] for r in rows} == EXPECTED_AMOUNTS
    assert sum(r[amount] for r in rows) == result.total_nok == 1_142_500
    h = _header_row(ws)
    for cell in ws[openpyxl.utils.get_column_letter(amount + 1)][h:]:
        assert cell.data_type == "n" and cell.number_format == "#,##0"
    rate = ws.cell(h + 1, header.index("Årssats (kr)") + 1)
    assert rate.value == 300_000 and rate.number_format == "#,##0"
    share = ws.cell(h + 2, header.index("Stillingsandel (%)") + 1)
    assert share.value == 80 and share.number_format == '0" %"'


def test_lines_dates_are_real_dates_in_norwegian_form(example_book):
    wb, _ = example_book
    ws = wb["Linjer"]
    header, _ = _table(ws)
    h = _header_row(ws)
    for name in ("Fra", "Til", "Regnet fra", "Regnet til"):
        cell = ws.cell(h + 2, header.index(name) + 1)  # row 2: ALIS-002 from 15.11.2022
        assert cell.is_date and isinstance(cell.value, datetime), name
        assert cell.number_format == "DD.MM.YYYY"
    assert ws.cell(h + 2, header.index("Fra") + 1).value == datetime(2022, 11, 15)


def test_lines_norwegian_headers_statuses_and_officers_columns_beside_their_row(example_book):
    wb, _ = example_book
    header, rows = _table(wb["Linjer"])
    assert header[:3] == ["Rad", "Lege (ALIS-id)", "Kommunenummer"]
    by_row = {r[0]: dict(zip(header, r)) for r in rows}
    assert by_row[1]["Status"] == "innvilget" and by_row[4]["Status"] == "ikke rett"
    assert by_row[1]["Tilskuddstype"] == "ALIS-avtale"
    assert by_row[1]["Kommunenummer"] == "0301"  # text: the leading zero stays
    assert by_row[4]["merknad"] == "vikariat på nøyaktig 3 måneder: ikke tilskudd"
    assert by_row[8]["merknad"] == "engasjert via vikarbyrå"
    assert by_row[8]["Lege (ALIS-id)"] == "ALIS-008"


def test_summary_per_municipality_and_doctor_with_total_rows(example_book):
    wb, result = example_book
    ws = wb["Sammendrag"]
    h = _header_row(ws)
    assert [c.value for c in ws[h]][:8] == ["Kommunenummer", "Kommune", "Linjer", "Beløp (kr)", None, "Lege (ALIS-id)", "Linjer", "Beløp (kr)"]
    muni = [r for r in ws.iter_rows(min_row=h + 1, max_col=4, values_only=True) if r[0] is not None]
    assert muni[-1] == ("Sum", None, 9, 1_142_500)
    assert ("5412", "Tjeldsund", 2, 190_000) in muni
    assert sum(r[3] for r in muni[:-1]) == result.total_nok
    doctors = [r for r in ws.iter_rows(min_row=h + 1, min_col=6, max_col=8, values_only=True) if r[0] is not None]
    assert doctors[-1] == ("Sum", 9, 1_142_500)
    assert ("ALIS-002", 1, 180_000) in doctors and len(doctors) == 10
    total_cell = ws.cell(h + len(muni), 4)
    assert total_cell.value == 1_142_500 and total_cell.number_format == "#,##0" and total_cell.font.b


def test_explanations_rates_and_rejections_sheets(example_book):
    wb, _ = example_book
    header, rows = _table(wb["Forklaring"])
    assert header == ["Rad", "Periode", "Lege (ALIS-id)", "Forklaring"]
    row3 = [r[3] for r in rows if r[0] == 3]
    assert row3[0].startswith("Rad 3, lege ALIS-003, periode 2023")
    assert any("380 000 kr × 100 % × 6/12 = 190 000" in t for t in row3)
    assert {r[0] for r in rows} == set(range(1, 10))
    header, rows = _table(wb["Satser"])
    assert header == ["Periode", "Hva", "Verdi", "Kilde", "Lenke"]
    fastlege_6 = [r for r in rows if r[1] == "Årssats ved 100 %: ALIS-avtale, fastlege, sentralitetsklasse 6"]
    assert fastlege_6 and fastlege_6[0][2] == 380_000 and "ikke offisielle" in fastlege_6[0][3]
    first = [r for r in rows if r[1] == "Første dag"][0]
    assert first[2] == datetime(2022, 10, 1)
    header, rows = _table(wb["Avviste"])
    assert header[:7] == ["Rad", "Lege (ALIS-id)", "Kommunenummer", "Kolonne", "Verdi", "Begrunnelse", "merknad"]
    assert rows == []


def test_no_formula_anywhere_even_for_hostile_input(engine, tmp_path):
    records = [line(alis_id=text, end="2023-06-30") for text in HOSTILE]
    records.append(line(alis_id="=BAD()", position_share="=1+1"))  # rejected row, hostile value
    result = engine.compute(records, "2023")
    assert len(result.rejections) == 1
    result.passthrough = {"kommentar": HOSTILE + ["=0+0"]}
    path = tmp_path / "farlig.xlsx"
    write_workbook(result, path, engine.rulebook)
    wb = openpyxl.load_workbook(path)
    texts = []
    for cell in _all_cells(wb):
        assert cell.data_type != "f", (cell.parent.title, cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            texts.append(cell.value)
            if _looks_like_formula(cell.value):
                assert cell.quotePrefix, (cell.parent.title, cell.coordinate, cell.value)
    for text in HOSTILE + ["=BAD()", "=0+0"]:
        # kept as the officer wrote it, as text (the comment column); XML reads CR back as LF
        assert text.replace("\r", "\n") in texts
        assert text.strip() in texts  # the id, as the reader trims it
    # also in the raw XML: no <f> element anywhere
    import zipfile

    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)


def test_looks_like_formula():
    for text in HOSTILE:
        assert _looks_like_formula(text)
    for text in ("ALIS-001", "0301", "Oslo, hele perioden", " =1", "", "2+3"):
        assert not _looks_like_formula(text)


def test_rejections_sheet_names_row_column_value(engine, tmp_path):
    records = [line(), line(alis_id="B", position_share="120"), line(alis_id="C", start="32.01.2023")]
    result = engine.compute(records, "2023")
    result.passthrough = {"saksnummer": ["23/1", "23/2", "23/3"]}
    wb = _book(result, tmp_path)
    header, rows = _table(wb["Avviste"])
    assert [(r[0], r[1], r[3], r[4], r[6]) for r in rows] == [
        (2, "B", "position_share", "120", "23/2"),
        (3, "C", "start", "32.01.2023", "23/3"),
    ]
    assert rows[0][5].startswith("rad 2, kolonne «position_share», verdi «120»")
    lines_header, line_rows = _table(wb["Linjer"])
    statuses = {r[0]: r[lines_header.index("Status")] for r in line_rows}
    assert statuses == {1: "innvilget", 2: "avvist", 3: "avvist"}
    amounts = [r[lines_header.index("Beløp (kr)")] for r in line_rows]
    assert amounts[1] is None and amounts[2] is None


def test_no_warning_row_for_official_rates(engine, tmp_path):
    result = engine.compute([line()], "2023")
    result._rate_tables.clear()
    lines = list(result.lines)
    official = lines[0].rate_table.model_copy(update={"status": "official"})
    lines[0] = replace(lines[0], rate_table=official)
    result.lines = lines  # the result's lines replaced whole (a LineResult is frozen)
    wb = _book(result, tmp_path)
    for ws in wb.worksheets:
        assert ws.cell(1, 1).value != "" and not str(ws.cell(1, 1).value).startswith("ADVARSEL"), ws.title
        assert ws.freeze_panes == "A2"


def test_model_b_element_columns_are_kroner(engine, tmp_path):
    records = [line(start="2025-09-01", end="2026-05-31")]
    result = engine.compute(records, "2025-26")
    wb = _book(result, tmp_path)
    header, rows = _table(wb["Linjer"])
    veiledning = header.index("Veiledning (kr)")
    assert isinstance(rows[0][veiledning], int)
    element_cols = [i for i, h in enumerate(header) if h.endswith("(kr)") and h not in ("Årssats (kr)", "Beløp (kr)")]
    assert sum(rows[0][i] or 0 for i in element_cols) == rows[0][header.index("Beløp (kr)")] == result.total_nok > 0


# -- command line -------------------------------------------------------------------------------


def test_cli_compute_writes_xlsx(capsys, tmp_path):
    out = tmp_path / "beregning.xlsx"
    code = main(["compute", str(EXAMPLE), "--period", "2023", "-o", str(out)])
    assert code == 0
    assert f"Skrev 9 rader til {out}" in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    header, rows = _table(wb["Linjer"])
    assert sum(r[header.index("Beløp (kr)")] for r in rows) == 1_142_500
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left


def test_cli_xlsx_into_missing_folder_exits_2_before_computing(capsys, tmp_path):
    code = main(["compute", str(EXAMPLE), "--period", "2023", "-o", str(tmp_path / "mangler" / "b.xlsx")])
    out, err = capsys.readouterr()
    assert code == 2 and "finnes ikke" in err and "Traceback" not in err
    assert "Totalt" not in out  # refused before computing
    assert not (tmp_path / "mangler").exists()


def test_cli_xlsx_read_only_target_exits_2_and_is_untouched(capsys, tmp_path):
    out = tmp_path / "b.xlsx"
    out.write_bytes(b"old")
    out.chmod(stat.S_IRUSR | stat.S_IRGRP)
    try:
        code = main(["compute", str(EXAMPLE), "--period", "2023", "-o", str(out)])
        _, err = capsys.readouterr()
        assert code == 2 and "skrivebeskyttet" in err
        assert out.read_bytes() == b"old"
        assert [p.name for p in tmp_path.iterdir()] == ["b.xlsx"]
    finally:
        out.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_failed_write_leaves_nothing_half_written(engine, tmp_path, monkeypatch):
    result = engine.compute([line()], "2023")
    out = tmp_path / "b.xlsx"
    out.write_bytes(b"the previous good workbook")
    written = []

    def broken_replace(src, dst):
        written.append(Path(src).stat().st_size)  # the whole temporary file was written ...
        raise OSError(28, "No space left on device")  # ... but moving it in place fails

    monkeypatch.setattr("grants.io.output.os.replace", broken_replace)
    with pytest.raises(OutputFileError, match="disken er full"):
        write_workbook(result, out)
    assert written and written[0] > 1000
    assert [p.name for p in tmp_path.iterdir()] == ["b.xlsx"]
    assert out.read_bytes() == b"the previous good workbook"


def test_cli_only_rejected_rows_still_writes_the_rejections(capsys, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til\nA;0301;ALIS-avtale;fastlege;120;01.01.2023;30.06.2023\n", encoding="utf-8")
    out = tmp_path / "b.xlsx"
    code = main(["compute", str(src), "--period", "2023", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    assert "Ingen rader kunne beregnes: raden er avvist" in captured.out
    assert "verdi «120»" in captured.out
    wb = openpyxl.load_workbook(out)
    assert wb["Avviste"].cell(3, 1).value == 1
    assert wb["Linjer"].cell(1, 1).value.startswith("ADVARSEL")  # the period's rates are still named


def test_explanations_beyond_one_sheet_continue_on_the_next(engine, tmp_path, monkeypatch):
    result = _example_result(engine)
    whole = _book(result, tmp_path, "whole.xlsx")
    expected = _table(whole["Forklaring"])[1]
    monkeypatch.setattr("grants.io.workbook.MAX_ROWS", 40)
    split = _book(result, tmp_path, "split.xlsx")
    names = [n for n in split.sheetnames if n.startswith("Forklaring")]
    assert names[:3] == ["Forklaring", "Forklaring 2", "Forklaring 3"] and len(names) == -(-len(expected) // 38)
    got = [row for name in names for row in _table(split[name])[1]]
    assert got == expected
    assert all(split[n].max_row <= 40 for n in names)
    assert split.sheetnames[-3:] == ["Satser", "Avviste", "Kontroll"]


def test_more_lines_than_a_sheet_holds_is_refused(engine, tmp_path, monkeypatch):
    from grants.errors import OutputFileError

    result = _example_result(engine)
    monkeypatch.setattr("grants.io.workbook.MAX_ROWS", 10)
    with pytest.raises(OutputFileError, match="bruk|skriv til .csv"):
        write_workbook(result, tmp_path / "b.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_officers_column_named_like_ours_gets_a_suffix(engine, tmp_path):
    result = engine.compute([line(), line(alis_id="B", position_share="120")], "2023")
    result.passthrough = {"Kommune": ["Oslo kommune", "Oslo kommune"], "Begrunnelse": ["a", "b"], "saksnr": ["1", "2"]}
    wb = _book(result, tmp_path)
    header, rows = _table(wb["Linjer"])
    assert header.count("Kommune") == 1 and "Kommune (inndata)" in header and "saksnr" in header
    assert header.count("Begrunnelse") == 1 and "Begrunnelse (inndata)" in header
    assert rows[0][header.index("Kommune (inndata)")] == "Oslo kommune"
    assert rows[0][header.index("Kommune")] == "Oslo"
    avviste = _table(wb["Avviste"])[0]
    assert avviste[-3:] == ["Kommune", "Begrunnelse (inndata)", "saksnr"]


def test_summary_per_period_when_lines_are_split(engine, tmp_path):
    result = engine.compute([line(start="2023-01-01", end="2024-06-30")])  # 2023 and 2023-24
    assert len(result.totals_by_period()) == 2
    wb = _book(result, tmp_path)
    ws = wb["Sammendrag"]
    h = _header_row(ws)
    assert [c.value for c in ws[h]][9:12] == ["Periode", "Linjer", "Beløp (kr)"]
    periods = [r for r in ws.iter_rows(min_row=h + 1, min_col=10, max_col=12, values_only=True) if r[0] is not None]
    assert [p[0] for p in periods] == ["2023", "2023-24", "Sum"]
    assert periods[-1][2] == sum(p[2] for p in periods[:-1]) == result.total_nok > 0
    assert "2023: illustrative" in ws.cell(1, 1).value and "2023-24: illustrative" in ws.cell(1, 1).value
    satser = {r[0] for r in _table(wb["Satser"])[1]}
    assert satser == {"2023", "2023-24"}


def test_file_positions_shown_beside_the_row(engine, tmp_path):
    result = engine.compute([line(), line(alis_id="B", role="ukjent")], "2023")
    result.file_positions = [3, 5]  # e.g. a title line and a blank line above the data
    result.position_kind = "csv_line"
    wb = _book(result, tmp_path)
    header, rows = _table(wb["Linjer"])
    assert header[:2] == ["Rad", "Linje/rad i filen"]
    assert [r[:2] for r in rows] == [(1, 3), (2, 5)]
    header, rows = _table(wb["Avviste"])
    assert header[:3] == ["Rad", "Linje/rad i filen", "Lege (ALIS-id)"] and rows[0][:3] == (2, 5, "B")


def test_text_longer_than_a_cell_is_refused_not_cut(engine, tmp_path):
    from grants.errors import OutputFileError

    result = engine.compute([line()], "2023")
    result.passthrough = {"kommentar": ["x" * 40_000]}
    with pytest.raises(OutputFileError, match="40000 tegn"):
        write_workbook(result, tmp_path / "b.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_control_characters_are_shown_not_dropped_or_crashing(engine, tmp_path):
    result = engine.compute([line(alis_id="A\x01B")], "2023")
    result.passthrough = {"kommentar": ["før\x0bnå\x1f"]}
    wb = _book(result, tmp_path)
    header, rows = _table(wb["Linjer"])
    assert rows[0][header.index("Lege (ALIS-id)")] == "A\u2401B"
    assert rows[0][header.index("kommentar")] == "før\u240bnå\u241f"


def test_any_officer_text_is_written_as_text(engine, tmp_path_factory):
    from hypothesis import HealthCheck, given, settings, strategies as st

    result = engine.compute([line(), line(alis_id="B", role="ukjent")], "2023")
    texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(texts, min_size=2, max_size=2))
    def check(values):
        result.passthrough = {"kommentar": values}
        path = tmp_path_factory.mktemp("h") / "b.xlsx"
        write_workbook(result, path)
        wb = openpyxl.load_workbook(path)
        for cell in _all_cells(wb):
            assert cell.data_type != "f"
        header, rows = _table(wb["Linjer"])
        got = [r[header.index("kommentar")] for r in rows]
        for value, shown in zip(values, got):
            if value == "":
                assert shown is None
            else:
                # XML reads a line end back as LF; control characters come back as pictures
                expected = value.replace("\r\n", "\n").replace("\r", "\n")
                assert shown is not None and len(shown) == len(expected)

    check()


def test_a_date_before_excel_dates_is_text(engine, tmp_path):
    result = engine.compute([line(start="1899-01-01", end="2023-08-31")], "2023")
    wb = _book(result, tmp_path)
    header, rows = _table(wb["Linjer"])
    assert rows[0][header.index("Fra")] == "01.01.1899"
    assert rows[0][header.index("Til")] == datetime(2023, 8, 31)
