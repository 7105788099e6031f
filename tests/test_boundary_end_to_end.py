"""The input boundary end to end: files a finance officer has, through the CLI, with
the outcome each must have (exit code, rows out, a message fragment), and a property test that
the same lines written any way a spreadsheet writes them give the same amounts.

Every file here is built by the test itself; "rows out" counts the data rows of the written
CSV, so rows in = rows accounted is checked on every corpus file that computes."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from grants import compute
from grants.cli import main
from grants.commands._common import load_input

HEADER = ["lege_id", "kommunenr", "tilskuddstype", "rolle", "stillingsandel", "fra", "til", "merknad"]
ROWS = [
    ["A1", "0301", "alis_avtale", "fastlege", "100", "01.10.2022", "31.08.2023", "Oslo"],
    ["A2", "3401", "alis_avtale", "introduksjonslege", "80", "15.11.2022", "31.08.2023", "midt i mnd"],
    ["A3", "1151", "kun_veiledning", "fastlege", "50,5", "01.01.2023", "30.06.2023", ""],
    ["A4", "0301", "alis_avtale", "fastlegevikar", "100", "01.01.2023", "28.02.2023", "kort vikariat"],
    ["A5", "0301", "alis_avtale", "fastlege", "mye", "01.01.2023", "28.02.2023", "feil andel"],
]
EXPECTED_TOTAL = 275000 + 150000 + 18938 + 0  # 250 000 x 80 % x 9/12 for A2; row 5 is rejected


def _csv(rows, sep=";", header=HEADER, end="\n") -> str:
    return end.join(sep.join(r) for r in [header, *rows]) + end


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _out_rows(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    first = text.split("\n")[0]
    return list(csv.DictReader(io.StringIO(text), delimiter=max((";", "\t", ","), key=first.count)))


def _xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Søknad om ALIS-tilskudd, Oslo kommune"])  # a title line above the header
    ws.append(HEADER)
    for r in ROWS:
        ws.append(r)
    # row 2 (Excel row 4): a percent cell and real dates, as Excel stores them
    import datetime as dt

    ws["E4"] = 0.8
    ws["E4"].number_format = "0%"
    ws["F4"] = dt.datetime(2022, 11, 15)
    ws["B3"] = 301  # Oslo typed as a number
    wb.save(path)
    return path


CORPUS = [
    # name, file bytes builder, exit, rows out (None: nothing written), message fragment
    ("clean semicolons", lambda p: p.write_text(_csv(ROWS), encoding="utf-8"), 1, 5, "rad 5 (linje 6)"),
    ("BOM, CRLF, comma", lambda p: p.write_bytes(("\ufeff" + _csv(ROWS, ",", end="\r\n").replace("50,5", '"50,5"')).encode()), 1, 5, ""),
    ("bare CR line ends", lambda p: p.write_text(_csv(ROWS, end="\r"), encoding="utf-8", newline=""), 1, 5, ""),
    ("sep= hint and a title line", lambda p: p.write_text("sep=;\nSøknad 2023\n" + _csv(ROWS), encoding="utf-8"), 1, 5, "linje 8"),
    ("UTF-16 tab text", lambda p: p.write_bytes(_csv(ROWS, "\t").encode("utf-16")), 1, 5, ""),
    ("separator rows and empty trailing columns", lambda p: p.write_text(
        _csv([r + ["", ""] for r in ROWS], header=HEADER + ["", ""]) + ";;;;;;;;;\n;;;;;;;;;\n", encoding="utf-8"), 1, 5, ""),
    ("Windows-1252 throughout", lambda p: p.write_bytes(_csv(ROWS).replace("midt i mnd", "første uke").encode("cp1252")), 1, 5, "Windows-1252"),
    ("one stray byte in UTF-8", lambda p: p.write_bytes(
        _csv(ROWS).replace("midt i mnd", "første uke").replace("Oslo", "Oslø").encode("utf-8").replace("ø".encode(), b"\xf8", 1)),
     2, None, "byte 0xF8"),
    ("unterminated quote", lambda p: p.write_text(_csv(ROWS * 200).replace("midt i mnd", '"midt i mnd', 1), encoding="utf-8"), 2, None, "linje 3"),
    ("header only", lambda p: p.write_text(_csv([]), encoding="utf-8"), 2, None, "ingen datarader"),
    ("no header at all", lambda p: p.write_text("hei;på;deg\n1;2;3\n", encoding="utf-8"), 2, None, "overskriftsrad"),
    ("a column that resembles a rule", lambda p: p.write_text(
        _csv([r + ["ja"] for r in ROWS], header=HEADER + ["Ansatt hos vikarbyrå AS"]), encoding="utf-8"), 2, None, "--ignore-column"),
    ("xlsx with title, percent cell, dates, numeric municipality", _xlsx, 1, 5, "rad 5 (ark «Sheet», celle E7)"),
    ("an old .xls", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), 2, None, ".xlsx"),
]


@pytest.mark.parametrize("name, build, exit_code, rows_out, fragment", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus(capsys, tmp_path, name, build, exit_code, rows_out, fragment):
    src = tmp_path / ("søknad.xlsx" if "xlsx" in name else "søknad.csv")
    build(src)
    out = tmp_path / "resultat.csv"
    code, stdout, stderr = _run(capsys, "compute", src, "--period", "2023", "-o", out)
    assert code == exit_code, stdout + stderr
    assert fragment in stdout + stderr
    if rows_out is None:
        assert not out.exists()
        assert "Traceback" not in stderr
        return
    rows = _out_rows(out)
    assert len(rows) == rows_out  # rows in = rows accounted
    assert [int(r["row"]) for r in rows] == [1, 2, 3, 4, 5]
    assert sum(int(r["amount_nok"] or 0) for r in rows) == (EXPECTED_TOTAL if "xlsx" not in name else EXPECTED_TOTAL)
    assert rows[4]["status"] == "rejected" and rows[4]["file_line"]


def test_dev_zero_and_a_folder_are_refused_before_reading(capsys, tmp_path):
    for path in ("/dev/zero", tmp_path):
        code, _, err = _run(capsys, "compute", path, "--period", "2023")
        assert code == 2 and "Traceback" not in err


def test_output_is_checked_before_computing(capsys, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(_csv(ROWS), encoding="utf-8")
    code, out, err = _run(capsys, "compute", src, "--period", "2023", "-o", tmp_path / "mangler" / "ut.csv")
    assert code == 2 and "finnes ikke" in err and "Totalt" not in out
    target = tmp_path / "ut.csv"
    target.write_text("gammel\n")
    os.chmod(target, 0o444)
    code, out, err = _run(capsys, "compute", src, "--period", "2023", "-o", target)
    assert code == 2 and "skrivebeskyttet" in err and target.read_text() == "gammel\n"
    code, _, err = _run(capsys, "portfolio", "--lines", "10", "-o", tmp_path / "mangler" / "p.csv")
    assert code == 2 and "Traceback" not in err


def test_hostile_cells_are_never_formulas_in_the_output_and_escapes_never_reach_the_terminal(capsys, tmp_path):
    hostile = ['=HYPERLINK("http://x","klikk")', "+4712345678", "-2+3", "@SUM(A1)", "\tTAB", "\x1b[31mrød"]
    rows = [[h, "0301", "alis_avtale", "fastlege", "abc", "01.10.2022", "31.08.2023", h] for h in hostile]
    src = tmp_path / "in.csv"
    src.write_text(_csv(rows), encoding="utf-8")
    out = tmp_path / "ut.csv"
    code, stdout, stderr = _run(capsys, "compute", src, "--period", "2023", "-o", out)
    assert code == 1
    assert "\x1b" not in stdout + stderr
    for row in _out_rows(out):
        for value in row.values():
            assert not (value or "")[:1] in ("=", "+", "-", "@", "\t", "\r"), value


def test_summary_counts_and_the_outside_period_warning(capsys, tmp_path):
    src = tmp_path / "in.csv"
    later = [["B1", "0301", "alis_avtale", "fastlege", "100", "01.01.2024", "31.03.2024", ""],
             ["B2", "0301", "alis_avtale", "fastlege", "100", "01.02.2024", "31.05.2024", ""]]
    src.write_text(_csv(later + ROWS[:1]), encoding="utf-8")
    code, out, _ = _run(capsys, "compute", src, "--period", "2023")
    assert code == 0
    assert "2 av 3 linjer ligger utenfor perioden 2023" in out and "2023-24" in out


# --- the same lines, written any way a spreadsheet writes them, give the same amounts --------

_LINE = st.fixed_dictionaries({
    "lege_id": st.sampled_from(["D1", "D2", "D3", "D4"]),
    "kommunenr": st.sampled_from(["0301", "301", "1151", "3401", "5412"]),
    "tilskuddstype": st.sampled_from(["alis_avtale", "kun_veiledning", "ALIS-avtale"]),
    "rolle": st.sampled_from(["fastlege", "vikar", "introduksjonslege", "annet_kommunalt"]),
    "stillingsandel": st.sampled_from(["100", "80", "50,5", "33.33", "40 %", "120", "x"]),
    "fra": st.sampled_from(["01.10.2022", "2022-11-15", "1.1.2023", "31.02.2023"]),
    "til": st.sampled_from(["31.08.2023", "2023-06-30", "28.02.2023"]),
    "merknad": st.sampled_from(["", "ok", "«sitat»", "a;b", 'si "hei"', "æøå"]),
})


def _write_variant(path: Path, header: list[str], rows: list[list[str]], sep: str, end: str, quote_all: bool,
                   encoding: str, blank_rows: int, title: bool) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator=end,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    if title:
        buf.write("Søknad om tilskudd" + end)
    writer.writerow(header)
    for i, r in enumerate(rows):
        writer.writerow(r)
        if i < blank_rows:
            buf.write(sep * (len(header) - 1) + end)
    path.write_bytes(buf.getvalue().encode(encoding))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(_LINE, min_size=1, max_size=8),
    sep=st.sampled_from([";", ",", "\t"]),
    end=st.sampled_from(["\n", "\r\n", "\r"]),
    quote_all=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    blank_rows=st.integers(0, 2),
    title=st.booleans(),
)
def test_any_spelling_of_the_file_gives_the_same_amounts(tmp_path_factory, lines, sep, end, quote_all, encoding,
                                                          blank_rows, title):
    header = list(lines[0])
    rows = [[line[h] for h in header] for line in lines]
    clean = compute([dict(zip(header, r)) for r in rows], period="2023")
    path = tmp_path_factory.mktemp("variant") / "in.csv"
    _write_variant(path, header, rows, sep, end, quote_all, encoding, blank_rows, title)
    data = load_input(str(path))
    assert data.table.n_rows == len(rows)
    got = compute(data.lines, period="2023")
    outcome = lambda r: ([(l.row, l.status.value, l.amount_nok) for l in r.lines],
                         [(j.row, j.column, j.value) for j in r.rejections])
    assert outcome(got) == outcome(clean)
    accounted = {l.row for l in got.lines} | {j.row for j in got.rejections}
    assert accounted == set(range(1, len(rows) + 1))


def test_hidden_rows_in_a_workbook_are_rejected_and_hidden_columns_named(capsys, tmp_path):
    """A row hidden in Excel was paid although the officer did not see it (user trial)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in ROWS[:3]:
        ws.append(r)
    ws.row_dimensions[3].hidden = True  # A2
    ws.column_dimensions["H"].hidden = True  # merknad
    path = tmp_path / "skjult.xlsx"
    wb.save(path)
    out = tmp_path / "ut.csv"
    code, stdout, stderr = _run(capsys, "compute", path, "--period", "2023", "-o", out)
    assert code == 1
    assert "raden er skjult i Excel" in stdout and "kolonne H («merknad») er skjult" in stderr
    rows = _out_rows(out)
    assert [r["status"] for r in rows] == ["ok", "rejected", "ok"]
