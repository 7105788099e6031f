"""grants.io.read_table: a corpus of awkward and hostile files, built here, with the outcome each
must have (refused with a message naming the place, or read to exactly these rows), plus a
property test that the same logical rows survive any dialect, encoding and layout Excel writes.
"""
from __future__ import annotations

import csv
import io
import os
import re
import threading
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grants.errors import InputFileError
from grants.io import MAX_INPUT_BYTES, read_table

HEADER = ["alis_id", "kommunenummer", "stillingsandel", "første_dato_fastlege", "merknad"]


def is_header(cells) -> bool:
    """What the caller passes: a row naming the id column is the header."""
    return "alis_id" in cells or "lege_id" in cells


def lines_file(rows: list[str], end: str = "\n", encoding: str = "utf-8", bom: bytes = b"") -> bytes:
    return bom + end.join(rows).encode(encoding) + end.encode(encoding)


def good_rows(n: int, sep: str = ";") -> list[str]:
    return [sep.join(HEADER)] + [sep.join([f"A{i}", "0301", "100", "01.01.2020", f"rad {i}"]) for i in range(1, n + 1)]


# --- builders for files that are not plain bytes ---------------------------------------------


def xlsx_bytes(rows, *, sheet="Data", formats=None, extra_sheets=(), patch=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    for ref, fmt in (formats or {}).items():
        ws[ref].number_format = fmt
    for name in extra_sheets:
        wb.create_sheet(name).append(["x"])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    return patch(data) if patch else data


def with_cached_value(data: bytes, ref: str, value: str) -> bytes:
    """Give formula cell `ref` a cached result, as Excel does when it saves (openpyxl does not)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                text, n = re.subn(rf'(<c r="{ref}"[^>]*><f>[^<]*</f>)<v\s*/>', rf"\g<1><v>{value}</v>", text)
                assert n == 1
                content = text.encode()
            dst.writestr(info, content)
    return out.getvalue()


def ods_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hei")
    return out.getvalue()


XLSX_OK = [HEADER, ["A1", 301, 0.8, datetime(2020, 1, 31), "ok"], ["A2", "0302", 1, date(2021, 2, 1), None]]


# --- the corpus --------------------------------------------------------------------------------


@dataclass
class Read:
    rows: int
    blank: int = 0
    delimiter: str | None = ";"
    encoding: str | None = "utf-8"


@dataclass
class Refused:
    fragment: str


def fifo(tmp: Path) -> Path:
    path = tmp / "pipe.csv"
    os.mkfifo(path)
    return path


def folder(tmp: Path) -> Path:
    path = tmp / "mappe.csv"
    path.mkdir()
    return path


def unterminated_quote() -> bytes:
    rows = good_rows(1000, ",")
    rows[5] = 'A5,0301,100,01.01.2020,"en merknad som aldri lukkes'  # line 6
    return lines_file(rows)


def unterminated_quote_closed_later() -> bytes:
    """The stray quote on line 6 is "closed" by a quote inside a field on line 10: lines 6-10
    would become one row and rows A6-A8 would vanish into a cell."""
    rows = good_rows(1000, ",")
    rows[5] = 'A5,0301,100,01.01.2020,"en merknad som aldri lukkes'
    rows[9] = 'A9,0301,5",01.01.2020,x'
    return lines_file(rows)


def unterminated_quote_among_quoted_fields() -> bytes:
    rows = [",".join(HEADER)] + [f'A{i},0301,"80,5",01.01.2020,x' for i in range(1, 1001)]
    rows[5] = 'A5,0301,"80,5",01.01.2020,"merknad uten slutt'
    return lines_file(rows)


def stray_cp1252_byte() -> bytes:
    text = lines_file(good_rows(10)).replace(b"rad 6", b"rad \xe6")  # data row 6 stands on line 7
    assert "første".encode() in text
    return text


def late_cp1252_byte() -> bytes:
    """ASCII header, a UTF-8 letter on line 500, a cp1252 byte on line 900: the header alone
    must not decide the encoding."""
    rows = [r.replace("første", "forste") for r in good_rows(1000)]
    rows[499] = rows[499].replace("rad", "rød")
    data = lines_file(rows)
    return data.replace(b"rad 899;", b"r\xf8d 899;").replace(b"rad 899\n", b"r\xf8d 899\n")


def huge_field(quoted: bool) -> bytes:
    big = "x" * 200_000
    cell = f'"{big};med;skilletegn"' if quoted else big
    return lines_file([";".join(HEADER), f"A1;0301;100;01.01.2020;{cell}", "A2;0301;100;01.01.2020;kort"])


CORPUS: list[tuple[str, bytes | Callable[[Path], Path], object, dict]] = [
    ("comma", lines_file(good_rows(3, ",")), Read(3, delimiter=","), {}),
    ("semicolon", lines_file(good_rows(3)), Read(3), {}),
    ("tab", lines_file(good_rows(3, "\t")), Read(3, delimiter="\t"), {}),
    ("utf-8 BOM", lines_file(good_rows(3), bom=b"\xef\xbb\xbf"), Read(3, encoding="utf-8-sig"), {}),
    ("two BOMs (saved twice)", lines_file(good_rows(3), bom=b"\xef\xbb\xbf\xef\xbb\xbf"), Read(3, encoding="utf-8-sig"), {}),
    ("CRLF", lines_file(good_rows(3), end="\r\n"), Read(3), {}),
    ("bare CR (old Mac Excel)", lines_file(good_rows(3), end="\r"), Read(3), {}),
    ("no line end at the end", b"\n".join(lines_file(good_rows(2)).split(b"\n")[:-1]), Read(2), {}),
    ("quoted fields, doubled quotes, line end inside a field",
     lines_file([",".join(HEADER), 'A1,0301,"80,5",01.01.2020,"sa ""hei""\nlinje 2"', "A2,0301,100,01.01.2020,x"]),
     Read(2, delimiter=","), {}),
    ("200,000-char field", huge_field(False), Read(2), {}),
    ("200,000-char quoted field", huge_field(True), Read(2), {}),
    ("sep=; hint line", lines_file(["sep=;"] + good_rows(2)), Read(2), {}),
    ("sep=, hint with a BOM", lines_file(["sep=,"] + good_rows(2, ","), bom=b"\xef\xbb\xbf"),
     Read(2, delimiter=",", encoding="utf-8-sig"), {}),
    ("title line above the header", lines_file(["Søknad om ALIS-tilskudd 2023", ""] + good_rows(2)), Read(2), {}),
    ("title line with separators", lines_file(["Søknad 2023;;;;", ";;;;"] + good_rows(2)), Read(2), {}),
    ("trailing empty header columns", lines_file([";".join(HEADER) + ";;;", "A1;0301;100;01.01.2020;x;;;"]), Read(1), {}),
    ("separator-only rows and empty lines", lines_file(good_rows(3)[:2] + [";;;;", "", ";;;;;;;;"] + good_rows(3)[2:] + [";;;;", "  "]),
     Read(3, blank=5), {}),
    ("fewer fields than the header", lines_file([";".join(HEADER), "A1;0301"]), Read(1), {}),
    ("unterminated quote in a 1,000-row file", unterminated_quote(), Refused("linje 6: et anførselstegn"), {}),
    ("unterminated quote closed by a quote lines later", unterminated_quote_closed_later(),
     Refused("linje 6: et felt i anførselstegn går over linje 6–10"), {}),
    ("unterminated quote among quoted fields", unterminated_quote_among_quoted_fields(),
     Refused("linje 6: et anførselstegn åpner et felt som ikke lukkes før linje 7, og der står «80,5\",01.01.2020,x» rett etter"), {}),
    ("a legitimate line break inside a quoted field",
     lines_file([",".join(HEADER), 'A1,0301,100,01.01.2020,"linje en\nlinje to"', "A2,0301,100,01.01.2020,x"]),
     Read(2, delimiter=","), {}),
    ("text after a closing quote", lines_file([",".join(HEADER), 'A1,0301,"80"5,x,y']), Refused("linje 2: teksten «5,x,y»"), {}),
    ("one stray cp1252 byte in a UTF-8 file", stray_cp1252_byte(), Refused("linje 7, byte 0xE6"), {}),
    ("cp1252 byte far below a UTF-8 letter", late_cp1252_byte(), Refused("linje 900, byte 0xF8"), {}),
    ("invalid byte after a UTF-8 BOM", lines_file(good_rows(2), bom=b"\xef\xbb\xbf").replace(b"rad 2", b"rad \xe5"),
     Refused("linje 3, byte 0xE5"), {}),
    ("genuine Windows-1252 with Norwegian letters in the header",
     lines_file(good_rows(3) + ["A9;0301;100;01.01.2020;Bodø og Tromsø, Ålesund"], encoding="cp1252"),
     Read(4, encoding="cp1252"), {}),
    ("byte undefined in Windows-1252", lines_file(good_rows(2), encoding="cp1252").replace(b"rad 2", b"rad \x81"),
     Refused("linje 3, byte 0x81: filen er verken UTF-8 eller Windows-1252"), {}),
    ("UTF-16 LE (Excel 'Unicode text', tab, CRLF)", lines_file(good_rows(3, "\t"), end="\r\n", encoding="utf-16"),
     Read(3, delimiter="\t", encoding="utf-16"), {}),
    ("UTF-16 BE with BOM", lines_file(good_rows(3, "\t"), encoding="utf-16-be", bom=b"\xfe\xff"),
     Read(3, delimiter="\t", encoding="utf-16"), {}),
    ("UTF-16 without BOM", lines_file(good_rows(2), encoding="utf-16-le"), Refused("NUL-byte"), {}),
    ("NUL byte in a text file", lines_file(good_rows(3)).replace(b"rad 2", b"rad\x002"), Refused("linje 3 inneholder en NUL-byte"), {}),
    ("empty file", b"", Refused("ingen datarader"), {}),
    ("only blank lines", b"\n\r\n  \n", Refused("ingen datarader"), {}),
    ("header and no data rows", lines_file([";".join(HEADER)]), Refused("filen har ingen datarader"), {}),
    ("header and only blank rows", lines_file([";".join(HEADER), ";;;;", ""]), Refused("filen har ingen datarader"), {}),
    ("no header among the first rows", lines_file([f"tittel {i}" for i in range(12)] + good_rows(2)),
     Refused("fant ingen overskriftsrad blant de første 10 ikke-tomme linjene (fra linje 1)"), {}),
    ("header with no separator", lines_file(["alis_id", "A1"]), Refused("finner ikke skilletegnet"), {}),
    ("nameless column with values", lines_file(["alis_id;;merknad", "A1;x;y"]), Refused("kolonne 2 har ingen overskrift"), {}),
    ("nameless empty column", lines_file(["alis_id;;merknad", "A1;;y"]), Read(1), {}),
    ("a column named twice", lines_file(["alis_id;merknad;merknad", "A1;x;y"]), Refused("«merknad» står to ganger"), {}),
    ("above max_bytes", lines_file(good_rows(20)), Refused("over grensen på 200 byte"), {"max_bytes": 200}),
    ("sheet asked of a CSV", lines_file(good_rows(2)), Refused("et ark kan bare velges i en Excel-fil"), {"sheet": "Data"}),
    ("/dev/zero", lambda tmp: Path("/dev/zero"), Refused("ikke en vanlig fil"), {}),
    ("a FIFO", fifo, Refused("ikke en vanlig fil"), {}),
    ("a directory", folder, Refused("er en mappe"), {}),
    ("a missing file", lambda tmp: tmp / "finnes-ikke.csv", Refused("finner ikke filen"), {}),
    # content decides the type, not the name
    ("xlsx named .csv", xlsx_bytes(XLSX_OK), Read(2, delimiter=None, encoding=None), {}),
    ("xls / OLE2 (or password-protected xlsx)", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
     Refused("lagre som .xlsx uten passord"), {}),
    ("OpenDocument .ods", ods_bytes(), Refused("OpenDocument-regneark (.ods)"), {}),
    ("corrupt zip", b"PK\x03\x04" + b"\x17" * 300, Refused("skadet"), {}),
    ("truncated xlsx", xlsx_bytes(XLSX_OK)[:700], Refused("skadet"), {}),
    ("zip that is not a workbook", plain_zip(), Refused("ikke et Excel-regneark"), {}),
    ("xlsx, missing sheet", xlsx_bytes(XLSX_OK, extra_sheets=["Ark2"]), Refused("arket «Søknader» finnes ikke; arkene i filen er «Data», «Ark2»"),
     {"sheet": "Søknader"}),
    ("xlsx, chosen sheet", xlsx_bytes(XLSX_OK, extra_sheets=["Ark2"]), Refused("ingen overskriftsrad"), {"sheet": "Ark2"}),
    ("xlsx, header only", xlsx_bytes([HEADER]), Refused("ingen datarader"), {}),
    ("xlsx, empty sheet", xlsx_bytes([]), Refused("er tomt"), {}),
    ("xlsx, title and blank rows", xlsx_bytes([["Søknad 2023"], [], HEADER, ["A1", 301], [], [None, None], ["A2", 302], []]),
     Read(2, blank=2, delimiter=None, encoding=None), {}),  # openpyxl writes no empty rows: rows 5 and 6
]


def materialise(tmp_path: Path, source) -> Path:
    if callable(source):
        return source(tmp_path)
    path = tmp_path / "innfil.csv"
    path.write_bytes(source)
    return path


@pytest.mark.parametrize("description,source,expected,kwargs", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus(tmp_path, description, source, expected, kwargs):
    path = materialise(tmp_path, source)
    if isinstance(expected, Refused):
        with pytest.raises(InputFileError) as info:
            run_with_timeout(lambda: read_table(path, is_header=is_header, **kwargs))
        assert expected.fragment in str(info.value)
        return
    table = run_with_timeout(lambda: read_table(path, is_header=is_header, **kwargs))
    assert (table.n_rows, table.blank_rows, table.delimiter, table.encoding) == (
        expected.rows, expected.blank, expected.delimiter, expected.encoding)
    # every data row exactly once, each column as long as the rows, positions in file order
    assert all(len(col) == table.n_rows for col in table.columns)
    assert len(table.header) == len(table.columns) == len(table.column_refs)
    assert list(table.positions) == sorted(set(table.positions))
    assert table.header_position < table.positions[0]
    assert table.header[0] == "alis_id"
    assert [c[0] for c in table.rows()] == [f"A{i}" for i in range(1, expected.rows + 1)] or "Windows" in description


def run_with_timeout(fn, seconds: float = 20):
    """Call fn in a thread: a reader that blocks on a FIFO or reads /dev/zero fails the test
    instead of hanging the suite."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "read_table blocked or read without end"
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_a_file_above_the_default_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "stor.csv"
    with open(path, "wb") as fh:  # sparse: no 100 MB written to disk
        fh.truncate(MAX_INPUT_BYTES + 1)
    with pytest.raises(InputFileError, match="over grensen"):
        run_with_timeout(lambda: read_table(path), seconds=5)


# --- CSV details -------------------------------------------------------------------------------


def write(tmp_path: Path, data: bytes, name: str = "innfil.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_huge_field_is_read_whole_and_field_size_limit_is_untouched(tmp_path):
    before = csv.field_size_limit()
    table = read_table(write(tmp_path, huge_field(True)), is_header=is_header)
    assert csv.field_size_limit() == before
    assert table.columns[4][0] == "x" * 200_000 + ";med;skilletegn"
    assert table.columns[4][1] == "kort"
    table = read_table(write(tmp_path, huge_field(False)), is_header=is_header)
    assert len(table.columns[4][0]) == 200_000
    assert csv.field_size_limit() == before


def test_positions_are_file_lines_after_title_hint_and_blank_lines(tmp_path):
    rows = ["sep=;", "Søknad 2023", "", ";".join(HEADER), "A1;0301;100;01.01.2020;x", ";;;;",
            'A2;0301;100;01.01.2020;"to\nlinjer"', "", "A3;0301;100;01.01.2020;y"]
    table = read_table(write(tmp_path, lines_file(rows, end="\r")), is_header=is_header)
    assert table.header_position == 4
    assert table.positions == (5, 7, 10)
    assert table.blank_rows == 2
    assert table.columns[4] == ("x", "to\nlinjer", "y")  # the field's own line end, not the file's
    assert table.column_refs == ("1", "2", "3", "4", "5")
    assert table.where(1) == "linje 7" and table.where(1, 2) == "linje 7, kolonne 3"
    assert any("linje 2 står over overskriften" in n for n in table.notes)


def test_more_non_empty_fields_than_the_header_is_a_row_error_not_a_lost_row(tmp_path):
    rows = ["alis_id;andel", "A1;80", "A2;80;5", "A3;80;;;", "A4"]
    table = read_table(write(tmp_path, lines_file(rows)), is_header=is_header)
    assert table.n_rows == 4
    assert table.columns == (("A1", "A2", "A3", "A4"), ("80", "80", "80", ""))
    assert set(table.row_errors) == {1}
    assert "linje 3 har 3 felt, men overskriften har 2" in table.row_errors[1]
    assert "«5»" in table.row_errors[1]


def test_trailing_header_columns_are_dropped_and_a_value_under_them_is_a_row_error(tmp_path):
    table = read_table(write(tmp_path, lines_file(["alis_id;andel;;", "A1;80;;", "A2;80;;9"])), is_header=is_header)
    assert table.header == ("alis_id", "andel")
    assert table.n_rows == 2 and set(table.row_errors) == {1}


def test_cp1252_header_letters_are_decoded_and_noted(tmp_path):
    table = read_table(write(tmp_path, lines_file(good_rows(2), encoding="cp1252")), is_header=is_header)
    assert table.encoding == "cp1252"
    assert table.header[3] == "første_dato_fastlege"
    assert any("lest som Windows-1252" in n for n in table.notes)


def test_the_header_alone_never_decides_the_encoding(tmp_path):
    """An ASCII header over a UTF-8 body: the body's letters come back as written."""
    rows = [r.replace("første", "forste") for r in good_rows(3)] + ["A4;0301;100;01.01.2020;Tromsø"]
    table = read_table(write(tmp_path, lines_file(rows)), is_header=is_header)
    assert table.encoding == "utf-8" and table.columns[4][-1] == "Tromsø"


def test_without_is_header_the_first_non_blank_row_is_the_header(tmp_path):
    table = read_table(write(tmp_path, lines_file(["", "a,b;c,d", "1,2;3,4"])))
    assert table.delimiter == "," and table.header == ("a", "b;c", "d")
    table = read_table(write(tmp_path, lines_file(["a;b", "1;2"])))
    assert table.delimiter == ";" and table.header_position == 1


def test_missing_header_message_says_where_and_what(tmp_path):
    rows = ["x"] * 3 + ["kommunenr;andel", "0301;80"]
    with pytest.raises(InputFileError) as info:
        read_table(write(tmp_path, lines_file(rows)), is_header=is_header)
    assert "fra linje 1" in str(info.value) and "«lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til»" in str(info.value)


# --- Excel -------------------------------------------------------------------------------------


def test_xlsx_cells_become_canonical_text(tmp_path):
    rows = [
        ["Søknad ALIS 2023"],
        [],
        HEADER + ["ja_nei", "tall"],
        ["A1", 301, 0.8, datetime(2023, 1, 31), "fri tekst", True, 80.5],
        ["A2", 5001, 1, date(2020, 2, 29), "+47 ikke formel", False, 1e16],
        ["A3", 301.0, 0.805, datetime(2023, 1, 31, 12, 30), None, None, 0.1],
        ["A4", "0301", 0.5, "31.01.2023", None, None, 100],
    ]
    formats = {"C4": "0%", "C5": "0%", "C6": "0.0%", "C7": '0"%"'}
    path = write(tmp_path, xlsx_bytes(rows, formats=formats), "søknad.xlsx")
    table = read_table(path, is_header=is_header)
    assert (table.kind, table.sheet, table.header_position, table.positions) == ("xlsx", "Data", 3, (4, 5, 6, 7))
    assert table.column_refs == ("A", "B", "C", "D", "E", "F", "G")
    cols = dict(zip(table.header, table.columns))
    assert cols["kommunenummer"] == ("301", "5001", "301", "0301")
    # '0"%"' shows a literal % and does not scale; a number's text has the decimal comma Norwegian Excel shows
    assert cols["stillingsandel"] == ("80", "100", "80,5", "0,5")
    assert cols["første_dato_fastlege"] == ("2023-01-31", "2020-02-29", "2023-01-31 12:30:00", "31.01.2023")
    assert cols["ja_nei"] == ("ja", "nei", "", "")
    assert cols["tall"] == ("80,5", "10000000000000000", "0,1", "100")
    assert cols["merknad"] == ("fri tekst", "+47 ikke formel", "", "")
    assert table.row_errors == {}
    assert table.where(2, 1) == "ark «Data», celle B6"


def test_xlsx_percent_is_exact_decimal_arithmetic(tmp_path):
    """0.29 * 100 in floats is 28.999999999999996; the cell says 29 %."""
    assert 0.29 * 100 != 29
    path = write(tmp_path, xlsx_bytes([["alis_id", "andel"], ["A1", 0.29], ["A2", 0.575]], formats={"B2": "0%", "B3": "0.0%"}), "a.xlsx")
    assert read_table(path, is_header=is_header).columns[1] == ("29", "57,5")


def test_xlsx_formula_cells_use_the_cached_value_or_are_a_row_error(tmp_path):
    rows = [["alis_id", "kommunenummer", "andel", "sum"], ["A1", 301, 80, "=C2+20"], ["A2", 301, 80, "=C3+20"]]
    path = write(tmp_path, xlsx_bytes(rows, patch=lambda d: with_cached_value(d, "D2", "100")), "f.xlsx")
    table = read_table(path, is_header=is_header)
    assert table.columns[3] == ("100", "")
    assert set(table.row_errors) == {1}
    assert "celle D3 er en formel uten lagret verdi" in table.row_errors[1]
    assert "«Data»" in table.row_errors[1]


def test_xlsx_error_cells_and_values_outside_the_header_are_row_errors(tmp_path):
    rows = [["alis_id", "andel"], ["A1", 80], ["A2", "=1/0"], ["A3", 80, None, "løs verdi"]]
    path = write(tmp_path, xlsx_bytes(rows, patch=lambda d: with_cached_value(d, "B3", "#DIV/0!")), "e.xlsx")
    # the cached error needs t="e" on the cell, as Excel writes it
    data = path.read_bytes()
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b'<c r="B3">', b'<c r="B3" t="e">')
            dst.writestr(info, content)
    path.write_bytes(out.getvalue())
    table = read_table(path, is_header=is_header)
    assert table.n_rows == 3
    assert "celle B3 har feilverdien #DIV/0!" in table.row_errors[1]
    assert "celle D4 har verdien «løs verdi», men kolonne D har ingen overskrift" in table.row_errors[2]


def test_xlsx_second_sheet_by_name_and_a_note_when_there_are_several(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Forside"
    wb.active.append(["Les meg"])
    ws = wb.create_sheet("Søknader")
    ws.append(["alis_id", "andel"])
    ws.append(["A1", 80])
    buf = io.BytesIO()
    wb.save(buf)
    path = write(tmp_path, buf.getvalue(), "to.xlsx")
    table = read_table(path, sheet="Søknader", is_header=is_header)
    assert table.sheet == "Søknader" and table.columns == (("A1",), ("80",))
    with pytest.raises(InputFileError, match="ingen overskriftsrad"):
        read_table(path, is_header=is_header)  # the first sheet is the default: its text is not a header


def test_xlsx_with_a_wrong_dimension_tag_loses_no_row_or_column(tmp_path):
    """Some programs write <dimension ref="A1"/> whatever the size; read-only openpyxl trusts it."""
    rows = [["alis_id", "andel", "merknad"], ["A1", 80, "x"], ["A2", 90, "y"], ["A3", 100, "z"]]

    def shrink(data: bytes) -> bytes:
        src = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                content = src.read(info.filename)
                if info.filename == "xl/worksheets/sheet1.xml":
                    content, n = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', content)
                    assert n == 1
                dst.writestr(info, content)
        return out.getvalue()

    table = read_table(write(tmp_path, xlsx_bytes(rows, patch=shrink), "d.xlsx"), is_header=is_header)
    assert table.columns == (("A1", "A2", "A3"), ("80", "90", "100"), ("x", "y", "z"))


def test_xlsx_zip_bomb_is_refused_before_inflating(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", "0" * 5_000_000)
    path = write(tmp_path, out.getvalue(), "bomb.xlsx")
    assert path.stat().st_size < 100_000
    with pytest.raises(InputFileError, match="pakker ut til"):
        read_table(path, max_bytes=100_000)


# --- the property: same logical rows, any way Excel or a person writes them ---------------------

_PLAIN = "abcxyzABC019 .:/_"
_NORDIC = "æøåÆØÅé"
_SPECIAL = ",;\t\"'\n\r"


@st.composite
def written_tables(draw):
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "cp1252"]))
    alphabet = _PLAIN + _NORDIC + _SPECIAL + ("" if encoding == "cp1252" else "€ñ😀")
    n_cols = draw(st.integers(2, 5))
    header = ["alis_id"] + [draw(st.sampled_from(["kommunenummer", "andel", "første_dato", "merknad", "navn"])) + f"_{i}"
                            for i in range(1, n_cols)]
    n_rows = draw(st.integers(1, 8))
    rows = [[f"A{r}"] + [draw(st.text(alphabet, max_size=12)) for _ in range(1, n_cols)] for r in range(1, n_rows + 1)]
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    line_end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    hint = draw(st.booleans())
    title = draw(st.booleans())
    blank_before_header = draw(st.integers(0, 2))
    # blank rows: where (after which data row) and what they look like
    blanks = draw(st.lists(st.tuples(st.integers(0, n_rows), st.sampled_from(["", "sep", "space"])), max_size=4))
    final_line_end = draw(st.booleans())
    return dict(encoding=encoding, header=header, rows=rows, delimiter=delimiter, quoting=quoting, line_end=line_end,
                hint=hint, title=title, blank_before_header=blank_before_header, blanks=blanks,
                final_line_end=final_line_end)


def render(spec) -> bytes:
    d, end = spec["delimiter"], spec["line_end"]
    out = io.StringIO()

    class Rows:  # csv.writer quotes a lone \r or \n only if it is in its lineterminator: give it both
        @staticmethod
        def writerow(row):
            buf = io.StringIO()
            csv.writer(buf, delimiter=d, quoting=spec["quoting"], lineterminator="\r\n").writerow(row)
            out.write(buf.getvalue()[:-2] + end)

    writer = Rows()
    blank_text = {"": "", "sep": d * (len(spec["header"]) - 1), "space": " "}
    if spec["hint"]:
        out.write(f"sep={d}{end}")
    if spec["title"]:
        out.write(f"Søknad om ALIS-tilskudd{end}")
    out.write(end * spec["blank_before_header"])
    writer.writerow(spec["header"])
    for i, row in enumerate(spec["rows"]):
        for where, kind in spec["blanks"]:
            if where == i:
                out.write(blank_text[kind] + end)
        writer.writerow(row)
    for where, kind in spec["blanks"]:
        if where == len(spec["rows"]):
            out.write(blank_text[kind] + end)
    text = out.getvalue()
    if not spec["final_line_end"]:
        text = text[: -len(end)]
    enc = spec["encoding"]
    if enc == "utf-16-be":
        return b"\xfe\xff" + text.encode("utf-16-be")
    return text.encode(enc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=written_tables())
def test_same_rows_whatever_the_dialect_encoding_and_layout(tmp_path, spec):
    data = render(spec)
    path = tmp_path / "egenskap.csv"
    path.write_bytes(data)
    table = read_table(path, is_header=is_header)
    assert table.header == tuple(spec["header"])
    assert [list(r) for r in table.rows()] == spec["rows"]  # every data row exactly once, every cell as written
    assert table.n_rows == len(spec["rows"]) == len(set(table.positions))
    expected_blanks = len(spec["blanks"])
    trailing = [kind for where, kind in spec["blanks"] if where == len(spec["rows"])]
    if not spec["final_line_end"] and trailing and trailing[-1] == "":
        expected_blanks -= 1  # a trailing empty line with its line end cut is no line at all
    assert table.blank_rows == expected_blanks
    assert table.delimiter == spec["delimiter"]
    ascii_only = all(ord(c) < 128 for c in data.decode({"utf-16-be": "utf-16"}.get(spec["encoding"], spec["encoding"])))
    expected_encoding = {"utf-16-be": "utf-16"}.get(spec["encoding"], spec["encoding"])
    if spec["encoding"] == "cp1252" and ascii_only:
        expected_encoding = "utf-8"
    assert table.encoding == expected_encoding


def test_reading_changes_no_interpreter_state(tmp_path):
    """The caller's csv limit, decimal context, warnings filters, gc and locale stay as they were."""
    import decimal
    import gc
    import locale
    import warnings

    csv_path = write(tmp_path, huge_field(True))
    xlsx_path = write(tmp_path, xlsx_bytes([["alis_id", "andel"], ["A1", 0.12345]], formats={"B2": "0.000%"}), "s.xlsx")
    read_table(xlsx_path, is_header=is_header)  # first use imports openpyxl (and its own import-time filters)

    def state():
        ctx = decimal.getcontext()
        return (csv.field_size_limit(), ctx.prec, ctx.rounding, list(warnings.filters), gc.isenabled(),
                locale.setlocale(locale.LC_ALL))

    with decimal.localcontext() as ctx:
        ctx.prec = 3  # a caller's unusual context must neither be used nor changed
        before = state()
        # 5 digits, not 3 (written 12,345: a point before three decimals would read as thousands)
        assert read_table(xlsx_path, is_header=is_header).columns[1] == ("12,345",)
        read_table(csv_path, is_header=is_header)
        assert state() == before


_XLSX_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\n"), max_size=15).filter(
    lambda t: not t.startswith("=") and t.strip())  # openpyxl stores "=..." as a formula; blank text is an empty cell


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.tuples(_XLSX_TEXT, st.integers(-10**15, 10**15), st.booleans(),
                                st.dates(date(1900, 3, 1), date(9999, 12, 31)),
                                st.decimals(min_value=0, max_value=10, places=4, allow_nan=False)),
                      min_size=1, max_size=6))
def test_xlsx_values_come_back_as_canonical_text(tmp_path, cells):
    from decimal import Decimal

    rows = [["alis_id", "tekst", "heltall", "flagg", "dato", "andel"]]
    rows += [[f"A{i}", t, n, b, d, float(p)] for i, (t, n, b, d, p) in enumerate(cells, start=1)]
    formats = {f"F{r}": "0.00%" for r in range(2, len(rows) + 1)}
    table = read_table(write(tmp_path, xlsx_bytes(rows, formats=formats), "p.xlsx"), is_header=is_header)
    cols = dict(zip(table.header, table.columns))
    assert table.n_rows == len(cells) and table.row_errors == {}
    assert list(cols["tekst"]) == [t for t, *_ in cells]
    assert list(cols["heltall"]) == [str(n) for _, n, *_ in cells]
    assert list(cols["flagg"]) == ["ja" if b else "nei" for _, _, b, *_ in cells]
    assert list(cols["dato"]) == [d.isoformat() for *_, d, _ in cells]
    # the percent is the decimal the cell shows, times 100, with no float noise
    assert [Decimal(v.replace(",", ".")) for v in cols["andel"]] == [Decimal(repr(float(p))) * 100 for *_, p in cells]
    assert all("e" not in v.lower() for v in cols["andel"])


_VALID_CSV = lines_file(good_rows(4))
_VALID_XLSX = xlsx_bytes(XLSX_OK)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=st.sampled_from([b"", _VALID_CSV, _VALID_XLSX]),
       cuts=st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=8)), max_size=4))
def test_any_bytes_give_a_table_or_a_clear_refusal_never_a_traceback(tmp_path, base, cuts):
    data = bytearray(base)
    for at, junk in cuts:  # overwrite bytes here and there: damaged files, random files
        at = at % (len(data) + 1)
        data[at:at + len(junk)] = junk
    path = write(tmp_path, bytes(data), "tilfeldig.bin")
    try:
        table = read_table(path, is_header=is_header)
    except InputFileError as exc:
        assert str(exc).strip()
        return
    assert all(len(c) == table.n_rows for c in table.columns) and table.n_rows >= 1
