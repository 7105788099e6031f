"""The workbook reader against hand-written and hostile workbooks, through the real command line:
hidden rows in every spelling, hidden sheets, rows and cells written twice, zip bombs (declared
sizes that lie included), entity declarations, and a stray cell in column XFD."""
from __future__ import annotations

import csv
import json
import time
import zlib

import pytest

from grants.errors import InputFileError
from grants.io.reader import read_table
from grants.pipeline.headers import looks_like_header

from .cli_process import error_lines, peak_mb, run_cli
from .xlsx_parts import (HEADER, MAIN, claim, claims_sheet, declare_size, row_xml, sheet_xml, workbook)


def _write(tmp_path, data: bytes, name: str = "søknad.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _read(tmp_path, data: bytes, **kwargs):
    return read_table(_write(tmp_path, data), is_header=looks_like_header, **kwargs)


def _compute(tmp_path, data: bytes, *extra: str, **kwargs):
    """`alis-grant compute` on the workbook, JSON out: (process, document or None)."""
    src = _write(tmp_path, data)
    out = tmp_path / "resultat.json"
    proc = run_cli("compute", src, "--period", "2023", "-o", out, "--quiet", *extra, **kwargs)
    doc = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    return proc, doc


def _rejected_rows(doc) -> dict[int, str]:
    return {r["row"]: r["text"] for r in doc["rejections"]}


# --- hidden rows: every spelling the XML allows --------------------------------------------------

SPELLINGS = {
    "single quotes": " hidden='1'",
    "spaces around the equals sign": ' hidden = "1"',
    "the word true": ' hidden="true"',
    "padded true": " hidden=' true '",
    "zero height": ' ht="0" customHeight="1"',
    "zero height without customHeight": ' ht="0.0"',
}


@pytest.mark.parametrize("attrs", list(SPELLINGS.values()), ids=list(SPELLINGS))
def test_a_hidden_row_is_rejected_whatever_the_spelling(tmp_path, attrs):
    table = _read(tmp_path, workbook([("Søknad", claims_sheet(3, {3: attrs}))]))
    assert table.n_rows == 3 and set(table.row_errors) == {1}
    assert "raden er skjult i Excel" in table.row_errors[1] and "rad 3" in table.row_errors[1]


def test_hidden_rows_in_every_spelling_are_rejected_by_the_command_line_and_the_rest_paid(tmp_path):
    hidden = {r: attrs for r, attrs in zip(range(3, 3 + len(SPELLINGS)), SPELLINGS.values())}
    proc, doc = _compute(tmp_path, workbook([("Søknad", claims_sheet(len(SPELLINGS) + 2, hidden))]))
    assert proc.returncode == 1, proc.stderr
    assert set(_rejected_rows(doc)) == {r - 1 for r in hidden}  # data row = Excel row - 1 (header on row 1)
    assert all("skjult" in text for text in _rejected_rows(doc).values())
    paid = {line["alis_id"] for line in doc["lines"] if line["status"] == "ok"}
    assert paid == {"A1", f"A{len(SPELLINGS) + 2}"}


def test_a_namespace_prefix_hides_nothing(tmp_path):
    """Some generators write <x:worksheet xmlns:x=...><x:row ...>: the same rows to the parser."""
    data = workbook([("Søknad", claims_sheet(3, {3: ' hidden="1"'}, prefix="x:"))])
    proc, doc = _compute(tmp_path, data)
    assert proc.returncode == 1, proc.stderr
    assert set(_rejected_rows(doc)) == {2}
    assert {line["alis_id"] for line in doc["lines"] if line["status"] == "ok"} == {"A1", "A3"}


def test_rows_hidden_by_default_are_rejected_unless_given_a_height(tmp_path):
    """<sheetFormatPr zeroHeight="1">: rows are hidden unless they have a height of their own."""
    rows = [row_xml(1, HEADER, ' ht="15" customHeight="1"'), row_xml(2, claim("A1"), ' ht="15" customHeight="1"'),
            row_xml(3, claim("A2")), row_xml(4, claim("A3"), ' ht="15" customHeight="1"')]
    xml = sheet_xml(rows, before_data='<sheetFormatPr defaultRowHeight="15" zeroHeight="1"/>')
    table = _read(tmp_path, workbook([("Søknad", xml)]))
    assert set(table.row_errors) == {1} and "skjult" in table.row_errors[1]


def test_a_visibility_attribute_that_is_neither_true_nor_false_is_refused(tmp_path):
    with pytest.raises(InputFileError, match="rad 3 .*«yes», som verken er sann eller usann"):
        _read(tmp_path, workbook([("Søknad", claims_sheet(2, {3: ' hidden="yes"'}))]))


# --- which sheet ---------------------------------------------------------------------------------


def test_the_first_visible_sheet_is_read_not_a_hidden_one_before_it(tmp_path):
    data = workbook([("Gammel", claims_sheet(5), "hidden"), ("Søknad", claims_sheet(2))])
    proc, doc = _compute(tmp_path, data)
    assert proc.returncode == 0, proc.stderr
    assert doc["input_rows"] == 2
    assert "det første synlige av 2 ark" in proc.stderr and "«Gammel»" in proc.stderr


def test_a_hidden_sheet_is_read_only_when_named_and_then_with_a_note(tmp_path):
    for state in ("hidden", "veryHidden"):
        data = workbook([("Søknad", claims_sheet(2)), ("Gammel", claims_sheet(5), state)])
        assert _read(tmp_path, data).sheet == "Søknad"
        named = _read(tmp_path, data, sheet="Gammel")
        assert named.n_rows == 5 and any("er skjult i Excel" in note for note in named.notes)
    proc, doc = _compute(tmp_path, data, "--sheet", "Gammel")
    assert proc.returncode == 0, proc.stderr
    assert doc["input_rows"] == 5
    assert "arket «Gammel» er skjult i Excel; det er lest fordi det er valgt med navn" in proc.stderr


def test_a_workbook_with_no_visible_sheet_exits_2(tmp_path):
    proc, doc = _compute(tmp_path, workbook([("A", claims_sheet(1), "hidden"), ("B", claims_sheet(1), "veryHidden")]))
    assert proc.returncode == 2 and doc is None
    [message] = error_lines(proc)
    assert "ingen synlige ark" in message and "--sheet" in message


# --- a row or cell written twice -------------------------------------------------------------------


def test_a_row_written_twice_is_refused_naming_it(tmp_path):
    xml = sheet_xml([row_xml(1, HEADER), row_xml(2, claim("A1")), row_xml(3, claim("A2")), row_xml(2, claim("A3"))])
    proc, doc = _compute(tmp_path, workbook([("Søknad", xml)]))
    assert proc.returncode == 2 and doc is None
    [message] = error_lines(proc)
    assert "rad 2 står to ganger" in message and "«Søknad»" in message


def test_a_cell_written_twice_is_refused_naming_it(tmp_path):
    cells = row_xml(2, claim("A1")).replace("</row>", '<c r="E2"><v>100</v></c></row>')
    xml = sheet_xml([row_xml(1, HEADER), cells])
    proc, doc = _compute(tmp_path, workbook([("Søknad", xml)]))
    assert proc.returncode == 2 and doc is None
    assert "celle E2 står to ganger" in proc.stderr


def test_a_cell_outside_its_row_is_refused(tmp_path):
    xml = sheet_xml([row_xml(1, HEADER), '<row r="2"><c r="A3" t="inlineStr"><is><t>A1</t></is></c></row>'])
    with pytest.raises(InputFileError, match="celle A3 står i rad 2"):
        _read(tmp_path, workbook([("Søknad", xml)]))


def test_rows_and_cells_without_references_follow_the_previous_ones(tmp_path):
    """r is optional in the XML: a row or cell without it is the next one."""
    def bare(values):
        return "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values) + "</row>"

    xml = sheet_xml([bare(HEADER), bare(claim("A1")), row_xml(5, claim("A2")), bare(claim("A3"))])
    table = _read(tmp_path, workbook([("Søknad", xml)]))
    assert table.positions == (2, 5, 6) and table.columns[0] == ("A1", "A2", "A3")
    assert table.blank_rows == 2  # rows 3 and 4 have no cells at all


def test_strict_open_xml_and_rich_shared_strings_are_read(tmp_path):
    """Excel's "Strict Open XML" namespace; shared strings in rich-text runs, phonetic guide left out."""
    strict = "http://purl.oclc.org/ooxml/spreadsheetml/main"
    shared = (f'<sst xmlns="{MAIN}"><si><t>lege_id</t></si><si><r><t>A</t></r><r><t>1</t></r>'
              "<rPh sb=\"0\" eb=\"1\"><t>FURIGANA</t></rPh></si></sst>")
    xml = sheet_xml([row_xml(1, HEADER).replace('<c r="A1" t="inlineStr"><is><t>lege_id</t></is></c>',
                                                '<c r="A1" t="s"><v>0</v></c>'),
                     row_xml(2, claim("x")).replace('<c r="A2" t="inlineStr"><is><t>x</t></is></c>',
                                                    '<c r="A2" t="s"><v>1</v></c>')]).replace(MAIN, strict)
    table = _read(tmp_path, workbook([("Søknad", xml)], shared=shared))
    assert table.header[0] == "lege_id" and table.columns[0] == ("A1",)


# --- entities ------------------------------------------------------------------------------------


def test_an_entity_bomb_and_an_external_entity_are_refused_unread(tmp_path):
    body = sheet_xml([row_xml(1, HEADER), '<row r="2"><c r="A2" t="inlineStr"><is><t>&e;</t></is></c></row>'])
    body = body.split("?>", 1)[1]
    laughs = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(3)) + '<!ENTITY e "&d;&d;">]>')
    external = '<!DOCTYPE worksheet [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    for doctype in (laughs, external):
        proc, doc = _compute(tmp_path, workbook([("Søknad", '<?xml version="1.0"?>' + doctype + body)]))
        assert proc.returncode == 2 and doc is None
        [message] = error_lines(proc)
        assert "DOCTYPE" in message
        assert "root:" not in proc.stdout + proc.stderr and "aaaaaaaaaa" not in proc.stdout + proc.stderr


# --- zip bombs -----------------------------------------------------------------------------------


def test_a_declared_gigabyte_is_refused_before_anything_is_inflated(tmp_path):
    """The 1 MB file that inflated to 1.1 GB: its sizes are declared, and checked before reading
    any member (the mimetype, which an OpenDocument check reads first, included)."""
    data = workbook([("Søknad", claims_sheet(1))], extra={"mimetype": b"application/vnd.ms-excel"})
    data = declare_size(data, "mimetype", 1_100_000_000)
    started = time.monotonic()
    proc, doc = _compute(tmp_path, data, peak=True)
    assert proc.returncode == 2 and doc is None
    assert "pakker ut til 1100000000 byte" in proc.stderr
    assert time.monotonic() - started < 60 and peak_mb(proc) < 200


def test_a_member_that_inflates_past_its_declared_size_is_never_read_past_it(tmp_path):
    """The declaration lies low: zipfile stops at the declared size and the CRC fails."""
    huge = sheet_xml([row_xml(1, HEADER), row_xml(2, claim("A1"))]).replace("<sheetData>", "<sheetData>" + " " * 60_000_000)
    data = declare_size(workbook([("Søknad", huge)]), "xl/worksheets/sheet1.xml", 5_000)
    assert len(data) < 200_000
    proc, doc = _compute(tmp_path, data, peak=True)
    assert proc.returncode == 2 and doc is None
    assert "skadet" in proc.stderr
    assert peak_mb(proc) < 200  # 60 MB of text is never held


def test_a_member_that_inflates_a_thousand_times_is_refused_before_it_is_read(tmp_path):
    packed = zlib.compress(b" " * 8_000_000)
    assert len(packed) * 100 < 8_000_000
    huge = sheet_xml([row_xml(1, HEADER), row_xml(2, claim("A1"))]).replace("<sheetData>", "<sheetData>" + " " * 8_000_000)
    proc, doc = _compute(tmp_path, workbook([("Søknad", huge)]))
    assert proc.returncode == 2 and doc is None
    assert "zip-bombe" in proc.stderr and "xl/worksheets/sheet1.xml" in proc.stderr


# --- a stray cell far to the right ---------------------------------------------------------------


@pytest.mark.parametrize("row", [1, 1501], ids=["in the header row", "in a data row"])
def test_a_stray_cell_in_column_xfd_costs_no_padding_and_beyond_the_header_rejects_its_row(tmp_path, row):
    """3 000 rows and one value in XFD. In the header row it made every row 16 384 cells wide
    (828 MB and 20 s for the reader alone before); now the 16 376 empty columns between are one
    note. Beyond the header, the stray value still rejects its row, naming the cell."""
    rows = [row_xml(1, HEADER)] + [row_xml(r, claim(f"D{r}")) for r in range(2, 3002)]
    rows[row - 1] = rows[row - 1].replace("</row>", f'<c r="XFD{row}"><v>7</v></c></row>')
    src, out = _write(tmp_path, workbook([("Søknad", sheet_xml(rows))])), tmp_path / "resultat.csv"
    proc = run_cli("compute", src, "--period", "2023", "-o", out, "--quiet", peak=True)
    assert peak_mb(proc) < 300, peak_mb(proc)
    lines = list(csv.DictReader(out.open(encoding="utf-8-sig"), delimiter=";"))  # a workbook gives Norwegian Excel's ;
    statuses = [line["status"] for line in lines]
    if row == 1:
        assert proc.returncode == 0, proc.stderr
        assert statuses.count("ok") == 3000 and "16376 kolonner (H, I, J, K, L ...) har ingen overskrift" in proc.stderr
    else:
        assert proc.returncode == 1, proc.stderr
        assert statuses.count("ok") == 2999 and statuses.count("rejected") == 1
        [rejected] = [line for line in lines if line["status"] == "rejected"]
        assert "celle XFD1501 har verdien «7»" in rejected["reason"]
