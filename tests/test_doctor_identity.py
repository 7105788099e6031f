"""One doctor is one doctor however the id is written (docs/DOMAIN.md section 6): the key is the
id read as Unicode NFKC, then case, spaces, punctuation and leading zeros folded; combining
marks are letters, never punctuation; a letter outside the Latin script or a digit other than
0-9 is refused. The same key groups a doctor in the checks, the caps, the sessions and every
sum (API, screen, JSON, workbook), shown under the first spelling met."""
from __future__ import annotations

import csv
import json
import unicodedata

import openpyxl
import pytest

from grants import compute
from grants.cli import main
from grants.pipeline.inputs import doctor_key
from tests.conftest import line

NFC = unicodedata.normalize("NFC", "ÅSE01")
NFD = unicodedata.normalize("NFD", "ÅSE01")
FULL_WIDTH = "ＡＬＩＳ01"


def test_the_key_reads_nfkc_and_keeps_combining_marks():
    assert NFC != NFD and doctor_key(NFC) == doctor_key(NFD) == "åse01"
    assert doctor_key(FULL_WIDTH) == doctor_key("ALIS01") == doctor_key("alis-01") == doctor_key("0ALIS 01")
    assert doctor_key(NFD) != doctor_key("ASE01")  # the ring is part of the letter
    assert doctor_key("Čáŋ-7") == "čáŋ7"  # Sami letters are Latin


@pytest.mark.parametrize("a,b", [(NFC, NFD), (FULL_WIDTH, "ALIS01")], ids=["nfc-nfd", "full-width"])
def test_two_spellings_of_one_doctor_in_two_municipalities_are_one_doctor(a, b):
    recs = [line(alis_id=a, kommunenummer="0301"), line(alis_id=b, kommunenummer="4601")]
    result = compute(recs, "2023")
    assert [r.row for r in result.rejections] == [1, 2]  # 200 % at the same time: the overlap is found
    assert all("overlapper" in r.message for r in result.rejections)


def test_a_decomposed_ring_never_merges_with_a_different_doctor():
    result = compute([line(alis_id=NFD, kommunenummer="0301"), line(alis_id="ASE01", kommunenummer="4601")], "2023")
    assert not result.rejections and [r.amount_nok for r in result.lines] == [275_000, 275_000]


@pytest.mark.parametrize("alis_id,named", [
    ("АLIS01", "U+0410 CYRILLIC CAPITAL LETTER A"),
    ("ALIS٠١", "U+0660 ARABIC-INDIC DIGIT ZERO, U+0661 ARABIC-INDIC DIGIT ONE"),
    ("Ωmega7", "U+03A9 GREEK CAPITAL LETTER OMEGA"),
])
def test_an_id_outside_the_latin_script_is_rejected_naming_each_character(alis_id, named):
    result = compute([line(alis_id=alis_id)], "2023")
    (rej,) = result.rejections
    assert rej.column == "alis_id" and rej.value == alis_id and named in rej.message


def test_an_id_outside_the_latin_script_in_the_sessions_file_stops_the_run(tmp_path, capsys):
    app = tmp_path / "soknad.csv"
    app.write_text("lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til\n"
                   "A1;0301;kun_veiledning;fastlege;100;01.06.2025;31.05.2026\n", encoding="utf-8")
    okter = tmp_path / "okter.csv"
    okter.write_text("lege_id;dato;timer\nА1;01.09.2025;2\n", encoding="utf-8")
    code = main(["compute", str(app), "--period", "2025-26", "--sessions", str(okter), "-o", str(tmp_path / "r.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "rad 1" in err and "U+0410 CYRILLIC CAPITAL LETTER A" in err


SPELLINGS = [line(alis_id="ALIS-01", start="2022-10-01", end="2022-12-31"),
             line(alis_id="alis 01", start="2023-01-01", end="2023-08-31"),
             line(alis_id="B2")]


def test_totals_by_doctor_group_every_spelling_under_the_first():
    totals = compute(SPELLINGS, "2023").totals_by_doctor()
    assert [(t.key, t.name, t.lines) for t in totals] == [("ALIS-01", "ALIS-01", 2), ("B2", "B2", 1)]


def test_every_sum_per_doctor_is_one_doctor_however_written(tmp_path, capsys):
    app = tmp_path / "soknad.csv"
    with app.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(SPELLINGS[0]), delimiter=";")
        w.writeheader()
        w.writerows(SPELLINGS)
    assert main(["compute", str(app), "--period", "2023", "-o", str(tmp_path / "r.json")]) == 0
    screen = capsys.readouterr().out
    assert "Sum per lege (2):" in screen and "alis 01" not in screen.split("Sum per lege")[1].split("Rader inn")[0]
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [t["key"] for t in doc["totals"]["by_doctor"]] == ["ALIS-01", "B2"]
    assert main(["compute", str(app), "--period", "2023", "-o", str(tmp_path / "r.xlsx")]) == 0
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)["Sammendrag"]
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "ALIS-01" in cells and "alis 01" not in cells
