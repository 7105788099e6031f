"""The `alis-grant` command line, in-process (grants.cli.main) and as a real console script.

Expected amounts for fixtures/examples/soknad_2023.csv, period 2023 (01.10.2022–31.08.2023),
illustrative rates of DOMAIN.md §4, amount = rate × share × whole months / 12:
  row 1 ALIS-001 Oslo (class 1) fastlege 100 %, Oct 2022–Aug 2023 = 11: 300 000 × 1.0 × 11/12 = 275 000
  row 2 ALIS-002 Kongsvinger (class 3) fastlege 80 %, from 15.11.2022: Dec–Aug = 9:
        300 000 × 0.8 × 9/12 = 180 000
  row 3 ALIS-003 Tjeldsund (class 6) vikar 100 %, Jan–Jun 2023 = 6: 380 000 × 1.0 × 6/12 = 190 000
  row 4 ALIS-004 Tjeldsund vikar exactly 3 months: not longer than 3 months -> ineligible, 0
  row 5 ALIS-005 Bodø introduksjonslege 100 %, Oct–Mar = 6: 250 000 × 1.0 × 6/12 = 125 000
  row 6 ALIS-006 Nissedal kun veiledning 60 %, Feb–Jul = 6: 75 000 × 0.6 × 6/12 = 22 500
  row 7 ALIS-007 Bærum annet kommunalt 50 %, Oct–Jun = 9: 200 000 × 0.5 × 9/12 = 75 000
  row 8 ALIS-008 Oslo via vikarbyrå -> ineligible, 0
  row 9 ALIS-009 Ålesund (1508, 2024 code) 100 %, 11 months: 300 000 × 11/12 = 275 000
  total 1 142 500
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grants.cli import main
from tests.conftest import FIXTURES, shipped_book

EXAMPLE = FIXTURES / "examples" / "soknad_2023.csv"
EXPECTED_AMOUNTS = {1: 275_000, 2: 180_000, 3: 190_000, 4: 0, 5: 125_000, 6: 22_500, 7: 75_000, 8: 0, 9: 275_000}
EXPECTED_TOTAL = 1_142_500
REQUIRED_OUTPUT_COLUMNS = [
    "row", "alis_id", "kommunenummer", "period", "whole_months", "centrality_class", "annual_rate",
    "amount_nok", "status", "reason", "rule_ids", "rates_status",
]
NB_HEADER = "lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read an output file; it uses the input's delimiter (semicolon for the example)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        text = fh.read()
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def with_bad_row(tmp_path) -> Path:
    return write(
        tmp_path,
        NB_HEADER + "\n"
        "A1;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023\n"
        "A2;0301;ALIS-avtale;fastlege;mye;01.10.2022;31.08.2023\n"
        "A3;5412;ALIS-avtale;fastlege;50;01.01.2023;31.08.2023\n",
    )


# --- compute ---------------------------------------------------------------------------------


def test_compute_example_prints_warning_and_total(capsys):
    code, out, err = run(capsys, "compute", EXAMPLE, "--period", "2023")
    assert code == 0
    assert "ADVARSEL" in out
    assert "illustrative" in out
    assert "Totalt tilskudd: 1 142 500 kr" in out
    assert "Rader inn: 9 (0 tomme rader hoppet over); linjer: 9 (7 innvilget, 2 ikke rett); avvist: 0 rader." in out
    # the one-line summary is the last line
    assert out.rstrip().splitlines()[-1] == (
        "Totalt tilskudd: 1 142 500 kr (9 rader inn, 9 linjer: 7 innvilget, 2 ikke rett; 0 avvist; 0 tomme rader)"
    )
    # the warning is shown before and after the figures
    assert out.count("ADVARSEL") == 2
    assert re.search(r"ALIS-002\s+1 linje\s+180 000 kr", out)
    assert re.search(r"5412 Tjeldsund\s+2 linjer\s+190 000 kr", out)


def test_compute_quiet(capsys):
    code, out, _ = run(capsys, "compute", EXAMPLE, "--period", "2023", "--quiet")
    assert code == 0
    assert "ADVARSEL" in out
    assert "Totalt tilskudd: 1 142 500 kr (9 rader inn, 9 linjer: 7 innvilget, 2 ikke rett; 0 avvist; 0 tomme rader)" in out
    assert "Sum per lege" not in out


def test_compute_writes_csv_with_one_row_per_input_row(capsys, tmp_path):
    out_path = tmp_path / "out.csv"
    code, out, _ = run(capsys, "compute", EXAMPLE, "--period", "2023", "-o", out_path)
    assert code == 0
    assert f"Skrev 9 rader til {out_path}" in out
    rows = read_csv(out_path)
    assert len(rows) == 9
    for column in REQUIRED_OUTPUT_COLUMNS:
        assert column in rows[0], column
    assert [int(r["row"]) for r in rows] == list(range(1, 10))
    assert {int(r["row"]): int(r["amount_nok"]) for r in rows} == EXPECTED_AMOUNTS
    assert {r["rates_status"] for r in rows} == {"illustrative"}
    assert {r["period"] for r in rows} == {"2023"}
    by_id = {r["alis_id"]: r for r in rows}
    assert by_id["ALIS-001"]["centrality_class"] == "1" and by_id["ALIS-001"]["annual_rate"] == "300000"
    assert by_id["ALIS-002"]["centrality_class"] == "3" and by_id["ALIS-002"]["whole_months"] == "9"
    assert by_id["ALIS-003"]["centrality_class"] == "6" and by_id["ALIS-003"]["annual_rate"] == "380000"
    assert by_id["ALIS-009"]["kommunenummer"] == "1508" and by_id["ALIS-009"]["whole_months"] == "11"
    assert by_id["ALIS-004"]["status"] == "ineligible"
    assert "eligibility.vikar_longer_than_3_months" in by_id["ALIS-004"]["rule_ids"].split()
    assert "3 måneder" in by_id["ALIS-004"]["reason"]
    assert by_id["ALIS-008"]["status"] == "ineligible"
    assert "eligibility.via_agency" in by_id["ALIS-008"]["rule_ids"].split()
    assert by_id["ALIS-001"]["status"] == "ok"
    assert by_id["ALIS-001"]["rule_ids"].split() == [
        "rate.alis_avtale.fastlege", "centrality.class_1_5", "months.whole_months", "amount.model_a",
    ]
    assert sum(int(r["amount_nok"]) for r in rows) == EXPECTED_TOTAL


def test_compute_csv_output_with_semicolon(capsys, tmp_path):
    out_path = tmp_path / "out.csv"
    code, _, _ = run(capsys, "compute", EXAMPLE, "--period", "2023", "-o", out_path, "--delimiter", ";")
    assert code == 0
    header = out_path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(";")[:3] == ["row", "alis_id", "kommunenummer"]


def test_compute_writes_json(capsys, tmp_path):
    out_path = tmp_path / "out.json"
    code, _, _ = run(capsys, "compute", EXAMPLE, "--period", "2023", "-o", out_path)
    assert code == 0
    doc = json.loads(out_path.read_text(encoding="utf-8"))
    for key in ("warning", "rates_status", "lines", "rejections", "traces"):
        assert key in doc, key
    assert "ADVARSEL" in doc["warning"]
    assert doc["rates_status"] == {"2023": "illustrative"}
    assert len(doc["lines"]) == 9
    assert doc["rejections"] == []
    assert len(doc["traces"]) == 9
    assert doc["total_nok"] == EXPECTED_TOTAL
    assert {line["row"]: line["amount_nok"] for line in doc["lines"]} == EXPECTED_AMOUNTS
    trace2 = next(t for t in doc["traces"] if t["row"] == 2)
    assert trace2["months"]["count"] == 9
    assert trace2["months"]["calendar_months"][0] == "2022-12"
    assert trace2["constants"]["rates_status"] == "illustrative"
    assert trace2["calculation"]["amount_nok"] == 180_000


def test_compute_with_a_bad_row_exits_1_and_writes_the_good_rows(capsys, tmp_path, with_bad_row):
    out_path = tmp_path / "out.csv"
    code, out, _ = run(capsys, "compute", with_bad_row, "--period", "2023", "-o", out_path)
    assert code == 1
    assert "rad 2 (linje 3), kolonne «stillingsandel», verdi «mye»" in out
    rows = read_csv(out_path)
    assert [r["row"] for r in rows] == ["1", "2", "3"]
    assert [r["status"] for r in rows] == ["ok", "rejected", "ok"]
    # A1: 275 000; A3 Tjeldsund class 6, 50 %, Jan–Aug 2023 = 8: 380 000 × 0.5 × 8/12 = 126 666.67 -> 126 667
    assert rows[0]["amount_nok"] == "275000" and rows[2]["amount_nok"] == "126667"
    assert rows[1]["amount_nok"] == ""
    assert "«stillingsandel»" in rows[1]["reason"] and "mye" in rows[1]["reason"]
    assert "Totalt tilskudd: 401 667 kr" in out


def test_compute_with_a_bad_row_to_json(capsys, tmp_path, with_bad_row):
    out_path = tmp_path / "out.json"
    code, _, _ = run(capsys, "compute", with_bad_row, "--period", "2023", "-o", out_path)
    assert code == 1
    doc = json.loads(out_path.read_text(encoding="utf-8"))
    assert doc["rejections"] == [{
        "row": 2, "column": "stillingsandel", "value": "mye",
        "message": doc["rejections"][0]["message"], "text": doc["rejections"][0]["text"], "where": "linje 3",
    }]
    assert "er ikke en stillingsandel" in doc["rejections"][0]["message"]
    assert doc["total_nok"] == 275_000 + 126_667
    assert doc["input_rows"] == 3


def test_compute_missing_file_exits_2(capsys, tmp_path):
    code, out, err = run(capsys, "compute", tmp_path / "nope.csv", "--period", "2023")
    assert code == 2
    assert "nope.csv" in err
    assert "Totalt" not in out


def test_compute_unknown_period_exits_2_naming_it(capsys):
    code, _, err = run(capsys, "compute", EXAMPLE, "--period", "2030")
    assert code == 2
    assert "«2030»" in err
    assert "2023-24" in err  # lists the known periods


def test_compute_unknown_period_is_reported_before_a_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "compute", tmp_path / "nope.csv", "--period", "2030")
    assert code == 2
    assert "2030" in err


def test_compute_file_without_required_column_exits_2(capsys, tmp_path):
    path = write(tmp_path, "lege_id;kommunenr;tilskuddstype;rolle;fra;til\nA1;0301;ALIS-avtale;fastlege;01.10.2022;31.08.2023\n")
    out_path = tmp_path / "out.csv"
    code, _, err = run(capsys, "compute", path, "--period", "2023", "-o", out_path)
    assert code == 2
    assert "stillingsandel" in err
    assert not out_path.exists()


def test_compute_empty_file_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "compute", write(tmp_path, ""), "--period", "2023")
    assert code == 2
    assert "tom" in err


def test_compute_windows_1252_file_notes_the_encoding(capsys, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes((NB_HEADER + ";vikarbyrå\nA1;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023;nei\n").encode("cp1252"))
    code, out, err = run(capsys, "compute", path, "--period", "2023")
    assert code == 0
    assert "Windows-1252" in err
    assert "Totalt tilskudd: 275 000 kr" in out


def test_compute_unwritable_output_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "compute", EXAMPLE, "--period", "2023", "-o", tmp_path / "no_such_dir" / "out.csv")
    assert code == 2
    assert "no_such_dir" in err


def test_compute_without_period_splits_a_line_over_three_periods(capsys, tmp_path):
    path = write(tmp_path, NB_HEADER + "\nX1;0301;ALIS-avtale;fastlege;100;01.09.2022;31.12.2023\n")
    out_path = tmp_path / "out.csv"
    code, out, _ = run(capsys, "compute", path, "-o", out_path)
    assert code == 0
    rows = read_csv(out_path)
    assert [r["row"] for r in rows] == ["1", "1", "1"]
    assert [r["period"] for r in rows] == ["2022", "2023", "2023-24"]
    # 2022 (01.01–01.10.2022): September 2022 only (October is whole only in 2023) = 1
    # 2023 (01.10.2022–31.08.2023): October 2022 .. August 2023 = 11
    # 2023-24 (from 01.09.2023): September .. December 2023 = 4
    months = [int(r["whole_months"]) for r in rows]
    assert months == [1, 11, 4]
    assert sum(months) == 16  # September 2022 .. December 2023, each month counted once
    # 240 000 × 1/12 = 20 000; 300 000 × 11/12 = 275 000; 300 000 × 4/12 = 100 000
    assert [int(r["amount_nok"]) for r in rows] == [20_000, 275_000, 100_000]
    assert [r["counted_start"] for r in rows] == ["2022-09-01", "2022-10-01", "2023-09-01"]
    assert all("delt ved periodegrensen" in r["reason"] for r in rows)
    assert "Totalt tilskudd: 395 000 kr" in out
    assert "2022: illustrative" in out and "2023-24: illustrative" in out


# --- explain ---------------------------------------------------------------------------------


def test_explain_row_2(capsys):
    code, out, _ = run(capsys, "explain", EXAMPLE, "--row", "2", "--period", "2023")
    assert code == 0
    assert "ADVARSEL" in out
    assert "Rad 2, lege ALIS-002, periode 2023" in out
    assert "3401 Kongsvinger" in out
    assert "desember 2022" in out and "august 2023" in out
    assert "november 2022" not in out  # 15.11.2022 is not a whole month
    assert "Antall hele måneder: 9" in out
    for rule_id in ("rate.alis_avtale.fastlege", "centrality.class_1_5", "months.whole_months", "amount.model_a"):
        assert rule_id in out
    assert "Årssats: 300 000 kr" in out
    assert "300 000 kr × 80 % × 9/12 = 180 000 kr" in out
    assert "avrundet" in out
    assert "Sum for raden: 180 000 kr" in out


def test_explain_ineligible_row_gives_the_reason(capsys):
    code, out, _ = run(capsys, "explain", EXAMPLE, "--row", "4", "--period", "2023")
    assert code == 0
    assert "eligibility.vikar_longer_than_3_months" in out
    assert "Linjen gir ikke rett til tilskudd" in out
    assert "Sum for raden: 0 kr" in out


def test_explain_split_row_without_period(capsys, tmp_path):
    path = write(tmp_path, NB_HEADER + "\nX1;0301;ALIS-avtale;fastlege;100;01.09.2022;31.12.2023\n")
    code, out, _ = run(capsys, "explain", path, "--row", "1")
    assert code == 0
    assert "periode 2022" in out and "periode 2023 " in out and "periode 2023-24" in out
    assert "september 2022" in out and "desember 2023" in out
    assert "Sum for raden: 395 000 kr" in out


def test_explain_rejected_row_exits_1_naming_the_column(capsys, with_bad_row):
    code, out, _ = run(capsys, "explain", with_bad_row, "--row", "2", "--period", "2023")
    assert code == 1
    assert "Rad 2 er avvist" in out
    assert "kolonne «stillingsandel»" in out
    assert "«mye»" in out


def test_explain_row_out_of_range_exits_2(capsys, with_bad_row):
    code, _, err = run(capsys, "explain", with_bad_row, "--row", "4", "--period", "2023")
    assert code == 2
    assert "rad 4 finnes ikke" in err


def test_explain_unknown_period_exits_2(capsys):
    code, _, err = run(capsys, "explain", EXAMPLE, "--row", "1", "--period", "2019")
    assert code == 2
    assert "2019" in err


# --- rates -----------------------------------------------------------------------------------


def test_rates_list(capsys):
    code, out, _ = run(capsys, "rates", "list")
    assert code == 0
    assert out.startswith("ADVARSEL")
    lines = [l for l in out.splitlines() if l[:4].isdigit()]
    book = shipped_book()
    assert [l.split()[0] for l in lines] == book.period_ids
    words = {"illustrative": "illustrativ", "provisional": "foreløpig", "official": "offisiell"}
    for shown, table in zip(lines, book.tables):
        assert shown.rstrip().endswith(words[table.status]) and f" {table.model} " in shown, shown
    assert "01.10.2022  31.08.2023" in out  # period 2023's first and last day, as people write them
    # the vocabulary, not the codes: no ISO date, no calendar/anniversary/provisional
    assert not re.search(r"\d{4}-\d{2}-\d{2}", out) and "kalendermåneder" in out
    assert not {"calendar", "anniversary", "provisional", "illustrative "} & set(re.findall(r"[a-z]+ ?", out.split("\n\n", 1)[1]))


def test_rates_show_2023(capsys):
    code, out, _ = run(capsys, "rates", "show", "2023")
    assert code == 0
    assert "Periode 2023: 01.10.2022–31.08.2023" in out
    assert "300 000" in out and "380 000" in out
    assert "240 000" not in out  # the 2022 rate
    assert "ILLUSTRATIVE" in out
    assert "eligibility.via_agency" in out


@pytest.mark.parametrize("period", [t.id for t in shipped_book().tables if t.model == "A"])
def test_rates_show_lines_up_every_rate_row(capsys, period):
    """Each rate row's amounts stand in the same columns, whatever the length of the grant type
    and role (kun_veiledning.any stood four places to the right in a user trial)."""
    code, out, _ = run(capsys, "rates", "show", period)
    assert code == 0
    block = out.split("klasse 6):\n", 1)[1].split("\n  Regler", 1)[0].splitlines()
    paths = [l.split()[0] for l in block]
    assert "kun_veiledning.any" in paths and any(p.startswith("alis_avtale.") for p in paths)
    assert len({l.index(" / ") for l in block}) == 1, block
    assert len({l.index("   kilde:") for l in block}) == 1, block


def test_rates_show_2022_has_the_2022_rates(capsys):
    code, out, _ = run(capsys, "rates", "show", "2022")
    assert code == 0
    assert "240 000" in out and "300 000" in out
    assert "380 000" not in out


def test_rates_show_unknown_period_exits_2(capsys):
    code, _, err = run(capsys, "rates", "show", "2030")
    assert code == 2
    assert "2030" in err


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


# --- a real subprocess of the console script -------------------------------------------------


def _script() -> Path:
    script = Path(sys.executable).parent / ("alis-grant.exe" if os.name == "nt" else "alis-grant")
    if not script.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    return script


def test_console_script_compute(tmp_path):
    out_path = tmp_path / "out.csv"
    proc = subprocess.run(
        [str(_script()), "compute", str(EXAMPLE), "--period", "2023", "-o", str(out_path)],
        capture_output=True, timeout=120, cwd=tmp_path,
    )
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert "ADVARSEL" in out
    assert "illustrative" in out
    assert "Totalt tilskudd: 1 142 500 kr" in out
    assert len(read_csv(out_path)) == 9


def test_console_script_exit_codes(tmp_path, with_bad_row):
    script = str(_script())
    bad = subprocess.run([script, "compute", str(with_bad_row), "--period", "2023"], capture_output=True, timeout=120)
    assert bad.returncode == 1
    missing = subprocess.run([script, "compute", str(tmp_path / "nope.csv")], capture_output=True, timeout=120)
    assert missing.returncode == 2
    assert "nope.csv" in missing.stderr.decode("utf-8")


def test_python_dash_m_grants_cli():
    proc = subprocess.run([sys.executable, "-m", "grants.cli", "rates", "list"], capture_output=True, timeout=120)
    assert proc.returncode == 0
    table = [l for l in proc.stdout.decode("utf-8").splitlines() if l[:4].isdigit()]
    from grants.report.vocabulary_nb import TABLE_STATUS_NB

    assert [l.split()[-1] for l in table] == [TABLE_STATUS_NB[t.status] for t in shipped_book().tables]


# -- output options, from a fresh-user trial ---------------------------------------------------


def test_output_keeps_the_inputs_semicolons_and_writes_decimal_commas(capsys, tmp_path):
    path = write(tmp_path, NB_HEADER + "\nX1;0301;ALIS-avtale;fastlege;80,5;01.10.2022;31.08.2023\n")
    out_path = tmp_path / "out.csv"
    code, _, _ = run(capsys, "compute", path, "--period", "2023", "-o", out_path)
    assert code == 0
    header, row = out_path.read_text(encoding="utf-8-sig").splitlines()[:2]
    assert header.startswith("row;alis_id;")
    assert ";80,5;" in row


def test_delimiter_option_accepts_names_and_rejects_nonsense(capsys, tmp_path):
    out_path = tmp_path / "out.csv"
    code, _, _ = run(capsys, "compute", EXAMPLE, "--period", "2023", "-o", out_path, "--delimiter", "tab")
    assert code == 0 and out_path.read_text(encoding="utf-8-sig").startswith("row\talis_id")
    good = out_path.read_bytes()
    with pytest.raises(SystemExit) as info:
        main(["compute", str(EXAMPLE), "--period", "2023", "-o", str(out_path), "--delimiter", "pipe-ish"])
    assert info.value.code == 2
    assert "ukjent skilletegn" in capsys.readouterr().err
    assert out_path.read_bytes() == good  # the earlier result is untouched


def test_output_with_another_extension_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "compute", EXAMPLE, "--period", "2023", "-o", tmp_path / "res.ods")
    assert code == 2 and ".csv, .json eller .xlsx" in err
    assert not (tmp_path / "res.xlsx").exists()


def test_output_over_the_input_is_refused(capsys, tmp_path):
    copy = tmp_path / "soknad.csv"
    copy.write_bytes(EXAMPLE.read_bytes())
    code, _, err = run(capsys, "compute", copy, "--period", "2023", "-o", copy)
    assert code == 2 and "samme som innfilen" in err
    assert copy.read_bytes() == EXAMPLE.read_bytes()


def test_rejected_rows_carry_period_status_and_a_normalised_municipality(capsys, tmp_path):
    path = write(tmp_path, NB_HEADER + "\nX1;301;ALIS-avtale;kirurg;100;01.10.2022;31.08.2023\n")
    out_path = tmp_path / "out.csv"
    code, _, _ = run(capsys, "compute", path, "--period", "2023", "-o", out_path)
    assert code == 1
    (row,) = read_csv(out_path)
    assert (row["status"], row["period"], row["rates_status"], row["kommunenummer"]) == (
        "rejected", "2023", "illustrative", "0301")
