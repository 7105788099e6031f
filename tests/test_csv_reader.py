"""The files finance officers actually produce, through the one reader (grants.io.reader) as the
CLI uses it (grants.commands._common.load_input).

Amounts by hand from DOMAIN.md §4 (illustrative rates), amount = rate × share × months / 12.
"""
from __future__ import annotations

from pathlib import Path

import pytest



import grants
from grants import InputFileError
from types import SimpleNamespace

from grants.commands._common import load_input


def read_lines_csv(path):
    """The CLI's reading of a file: records (with row errors), header, dialect, notes."""
    data = load_input(str(path))
    t = data.table
    return SimpleNamespace(records=data.lines, columns=list(t.header), delimiter=t.delimiter,
                           encoding=t.encoding, notes=t.notes)

NB_HEADER = "lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til"
EN_HEADER = "alis_id,kommunenummer,grant_type,role,position_share,start,end"

# Oslo, 100 %, 01.10.2022–31.08.2023 in period 2023: 11 months, 300 000 × 1 × 11/12 = 275 000.
FULL_2023 = 275_000


def write(tmp_path: Path, text: str, name: str = "in.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def compute(path: Path, period: str | None = "2023"):
    return grants.compute(read_lines_csv(path).records, period=period)


# --- encodings and delimiters ---------------------------------------------------------------


@pytest.mark.parametrize("bom", ["", "\ufeff"], ids=["no-bom", "bom"])
def test_utf8_with_and_without_bom(tmp_path, bom):
    path = write(tmp_path, bom + NB_HEADER + "\nA1;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023\n")
    csv_input = read_lines_csv(path)
    assert csv_input.encoding in ("utf-8", "utf-8-sig")
    assert csv_input.delimiter == ";"
    assert csv_input.columns == NB_HEADER.split(";")  # no BOM glued to «lege_id»
    assert csv_input.notes == ()
    assert csv_input.records == [{
        "lege_id": "A1", "kommunenr": "0301", "tilskuddstype": "ALIS-avtale", "rolle": "fastlege",
        "stillingsandel": "100", "fra": "01.10.2022", "til": "31.08.2023",
    }]
    result = compute(path)
    assert [(l.row, l.alis_id, l.amount_nok) for l in result.lines] == [(1, "A1", FULL_2023)]


def test_bom_file_with_comma_delimiter(tmp_path):
    path = write(tmp_path, "\ufeff" + EN_HEADER + "\nA1,0301,alis_avtale,fastlege,100,2022-10-01,2023-08-31\n")
    csv_input = read_lines_csv(path)
    assert csv_input.delimiter == ","
    assert csv_input.columns[0] == "alis_id"
    assert compute(path).total_nok == FULL_2023


def test_comma_delimiter_with_quoted_decimal_comma(tmp_path):
    path = write(
        tmp_path,
        EN_HEADER + "\n"
        'A1,0301,alis_avtale,fastlege,"80,5",2022-10-01,2023-08-31\n'
        "A2,3401,kun_veiledning,introduksjonslege,50,2023-01-01,2023-06-30\n",
    )
    csv_input = read_lines_csv(path)
    assert csv_input.delimiter == ","
    assert [r["position_share"] for r in csv_input.records] == ["80,5", "50"]
    result = compute(path)
    assert result.rejections == []
    # A1: 300 000 × 0.805 × 11/12 = 221 375
    # A2: Kongsvinger (class 3), kun veiledning 75 000 × 0.50 × 6/12 = 18 750
    assert [(l.row, l.amount_nok) for l in result.lines] == [(1, 221_375), (2, 18_750)]


def test_semicolon_delimiter_with_decimal_comma_unquoted(tmp_path):
    path = write(tmp_path, NB_HEADER + "\nA1;0301;ALIS-avtale;fastlege;80,5;01.10.2022;31.08.2023\n")
    csv_input = read_lines_csv(path)
    assert csv_input.delimiter == ";"
    assert csv_input.records[0]["stillingsandel"] == "80,5"
    assert compute(path).total_nok == 221_375  # 300 000 × 0.805 × 11/12


def test_crlf_line_endings(tmp_path):
    path = write(tmp_path, NB_HEADER + "\r\nA1;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023\r\n")
    csv_input = read_lines_csv(path)
    assert csv_input.columns[-1] == "til"
    assert csv_input.records[0]["til"] == "31.08.2023"
    assert compute(path).total_nok == FULL_2023


def test_windows_1252_file_is_read_with_a_note(tmp_path):
    text = (
        NB_HEADER + ";vikarbyrå;merknad\n"
        "A1;1804;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023;nei;Bodø\n"
        "A2;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023;ja;via byrå\n"
    )
    path = write(tmp_path, text, encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the file really is not UTF-8
    csv_input = read_lines_csv(path)
    assert csv_input.encoding == "cp1252"
    assert "vikarbyrå" in csv_input.columns
    assert csv_input.records[0]["merknad"] == "Bodø"
    assert len(csv_input.notes) == 1 and "Windows-1252" in csv_input.notes[0]
    result = compute(path)
    assert result.rejections == []
    by_row = {l.row: l for l in result.lines}
    # Bodø (1804, class 3): 300 000 × 1 × 11/12 = 275 000
    assert by_row[1].amount_nok == FULL_2023 and by_row[1].kommunenavn == "Bodø"
    # «vikarbyrå» = ja is recognised as via_agency: ineligible in 2023, 0 kr
    assert by_row[2].line.via_agency is True
    assert by_row[2].amount_nok == 0
    assert by_row[2].status == grants.Status.INELIGIBLE


# --- file-level errors ----------------------------------------------------------------------


@pytest.mark.parametrize("content", ["", "\n\n", "   \n\t\n", "\ufeff"], ids=["empty", "newlines", "blanks", "bom-only"])
def test_empty_file_raises(tmp_path, content):
    path = write(tmp_path, content)
    with pytest.raises(InputFileError) as info:
        read_lines_csv(path)
    assert "tom" in str(info.value)
    assert "in.csv" in str(info.value)


def test_missing_file_raises(tmp_path):
    with pytest.raises(InputFileError) as info:
        read_lines_csv(tmp_path / "finnes_ikke.csv")
    assert "finnes_ikke.csv" in str(info.value)


@pytest.mark.parametrize("header", [NB_HEADER, EN_HEADER, NB_HEADER + ";vikarbyrå;merknad"])
def test_header_only_is_refused(tmp_path, header):
    """A file with a header and no data rows exited 0 with a total of 0 kr."""
    path = write(tmp_path, header + "\n")
    with pytest.raises(InputFileError, match="ingen datarader"):
        read_lines_csv(path)


def test_duplicate_header_raises_naming_the_column(tmp_path):
    path = write(tmp_path, NB_HEADER + ";til\nA1;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023;31.12.2023\n")
    with pytest.raises(InputFileError) as info:
        read_lines_csv(path)
    msg = str(info.value)
    assert "«til»" in msg
    assert "7" in msg and "8" in msg  # the two positions


def test_two_headers_meaning_the_same_raise(tmp_path):
    path = write(tmp_path, NB_HEADER + ";position_share\nA1;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023;100\n")
    with pytest.raises(InputFileError) as info:
        grants.compute(read_lines_csv(path).records, period="2023")
    assert "«stillingsandel»" in str(info.value) and "«position_share»" in str(info.value)


@pytest.mark.parametrize("missing", ["stillingsandel", "til", "lege_id", "tilskuddstype"])
def test_missing_required_column_raises(tmp_path, missing):
    columns = [c for c in NB_HEADER.split(";") if c != missing]
    path = write(tmp_path, ";".join(columns) + "\n" + ";".join("x" for _ in columns) + "\n")
    with pytest.raises(InputFileError) as info:
        grants.compute(read_lines_csv(path).records, period="2023")
    assert missing in str(info.value)
    assert "mangler påkrevd kolonne" in str(info.value)


def test_header_without_delimiter_raises(tmp_path):
    path = write(tmp_path, "lege_id\nA1\n")
    with pytest.raises(InputFileError, match="overskriftsrad"):
        read_lines_csv(path)


# --- row-level problems are left to the engine ----------------------------------------------


def test_row_with_extra_non_empty_fields_is_rejected_and_others_computed(tmp_path):
    path = write(
        tmp_path,
        NB_HEADER + "\n"
        "A1;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023\n"
        "A2;0301;ALIS-avtale;fastlege;80;5;01.10.2022;31.08.2023\n"  # 80;5 instead of 80,5
        "A3;5412;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023\n",
    )
    csv_input = read_lines_csv(path)
    assert len(csv_input.records) == 3
    result = grants.compute(csv_input.records, period="2023")
    (rej,) = result.rejections
    assert rej.row == 2
    assert rej.alis_id == "A2"
    assert "8 felt" in rej.message and "7" in rej.message
    assert "«31.08.2023»" in rej.message  # the overflowing value
    # A1: 275 000; A3 Tjeldsund (class 6): 380 000 × 1 × 11/12 = 348 333.33 -> 348 333
    assert [(l.row, l.amount_nok) for l in result.lines] == [(1, FULL_2023), (3, 348_333)]


def test_row_with_extra_empty_fields_is_fine(tmp_path):
    path = write(tmp_path, NB_HEADER + "\nA1;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023;;;\n")
    result = compute(path)
    assert result.rejections == []
    assert result.total_nok == FULL_2023


def test_row_with_too_few_fields_is_rejected_naming_the_missing_column(tmp_path):
    path = write(
        tmp_path,
        NB_HEADER + "\n"
        "A1;0301;ALIS-avtale;fastlege;100;01.10.2022\n"
        "A2;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023\n",
    )
    result = compute(path)
    (rej,) = result.rejections
    assert (rej.row, rej.column, rej.message) == (1, "til", "mangler verdi")
    assert [l.row for l in result.lines] == [2]


def test_trailing_blank_lines_are_ignored(tmp_path):
    path = write(
        tmp_path,
        NB_HEADER + "\n"
        "A1;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023\n"
        "A2;0301;ALIS-avtale;fastlege;50;01.10.2022;31.08.2023\n"
        "\n   \n;;;;;;\n\n",
    )
    csv_input = read_lines_csv(path)
    assert [r["lege_id"] for r in csv_input.records] == ["A1", "A2"]
    result = grants.compute(csv_input.records, period="2023")
    assert result.rejections == []
    assert result.input_rows == 2
    # 275 000 + 300 000 × 0.50 × 11/12 (= 137 500)
    assert result.total_nok == 412_500


def test_leading_blank_lines_before_header_are_skipped_and_rows_numbered_from_header(tmp_path):
    path = write(tmp_path, "\n\n" + NB_HEADER + "\nA1;0301;ALIS-avtale;fastlege;mye;01.10.2022;31.08.2023\n")
    result = compute(path)
    (rej,) = result.rejections
    assert (rej.row, rej.column, rej.value) == (1, "stillingsandel", "mye")


# --- Norwegian file, end to end -------------------------------------------------------------


def test_norwegian_headers_and_dates_end_to_end(tmp_path):
    path = write(
        tmp_path,
        NB_HEADER + "\n"
        "L1;0301;ALIS-avtale;fastlege;80 %;01.03.2022;31.12.2022\n"
        "L2;5412;kun veiledning;fastlege;100;1.1.2023;30.6.2023\n"
        "L3;3401;ALIS-avtale;annet kommunalt legearbeid;50;15.11.2022;31.08.2023\n"
        "L4;0301;ALIS-avtale;fastlege;100;31.02.2023;31.08.2023\n",
    )
    csv_input = read_lines_csv(path)
    assert csv_input.delimiter == ";"
    result = grants.compute(csv_input.records)  # no period: split by period
    got = [(l.row, l.period, l.whole_months, l.centrality_class, l.amount_nok) for l in result.lines]
    assert got == [
        # L1 period 2022 (01.01–01.10.2022): March .. September = 7 months; 240 000 × 0.80 × 7/12 = 112 000
        (1, "2022", 7, 1, 112_000),
        # L1 period 2023: October .. December 2022 = 3 months; 300 000 × 0.80 × 3/12 = 60 000
        (1, "2023", 3, 1, 60_000),
        # L2 Tjeldsund class 6, kun veiledning: January .. June 2023 = 6 months; 75 000 × 1 × 6/12 = 37 500
        (2, "2023", 6, 6, 37_500),
        # L3 Kongsvinger class 3, annet kommunalt 50 %: December 2022 .. August 2023 = 9 months;
        #    200 000 × 0.50 × 9/12 = 75 000
        (3, "2023", 9, 3, 75_000),
    ]
    (rej,) = result.rejections
    assert (rej.row, rej.column, rej.value) == (4, "fra", "31.02.2023")
    assert "finnes ikke" in rej.message
    assert result.total_nok == 112_000 + 60_000 + 37_500 + 75_000
    line1 = result.line(1, "2023").line
    assert (line1.start.isoformat(), line1.end.isoformat()) == ("2022-03-01", "2022-12-31")
