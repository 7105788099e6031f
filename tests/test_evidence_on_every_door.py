"""Model B's evidence rules and the doctor key, case by case, on the command line, the Python API
and the service (JSON): each door pays the same money and rejects the same rows.
The rules themselves are pinned in tests/test_model_b_evidence.py and tests/test_doctor_identity.py."""
from __future__ import annotations

import csv
import json
import unicodedata

import pytest

import grants
from grants.cli import main

from .conftest import line

YEAR = dict(start="2025-06-01", end="2026-05-31", position_share="100")

CASES = {
    "a session after the period: 0 kr": (
        [line(alis_id="A", grant_type="kun_veiledning", **YEAR)],
        [{"alis_id": "A", "date": "2026-07-01", "hours": "3"}], "2025-26"),
    "a session spelt otherwise: his hours": (
        [line(alis_id="ALIS-01", grant_type="kun_veiledning", **YEAR)],
        [{"alis_id": "alis 01", "date": "2025-09-01", "hours": "10"}], "2025-26"),
    "sessions beside an expense: rejected": (
        [line(alis_id="A", utgift_veiledning="1000", **YEAR)],
        [{"alis_id": "A", "date": "2026-07-01", "hours": "3"}], "2025-26"),
    "an expense on a line of another period: not used": (
        [line(alis_id="D", start="2024-09-01", end="2025-05-31", utgift_praksiskompensasjon="1000"),
         line(alis_id="D", **YEAR)], [], "2025-26"),
    "the same without naming the period": (
        [line(alis_id="D", start="2024-09-01", end="2025-05-31", utgift_praksiskompensasjon="1000"),
         line(alis_id="D", **YEAR)], [], None),
    "exact ties: the earlier rows": (
        [line(alis_id="G", start="2025-06-01", end="2025-06-30", position_share="2", utgift_laeringsaktiviteter="1088"),
         line(alis_id="G", start="2025-07-01", end="2025-07-31", position_share="2"),
         line(alis_id="G", start="2025-08-01", end="2025-09-30", position_share="100")], [], "2025-26"),
    "NFC and NFD: one doctor": (
        [line(alis_id=unicodedata.normalize("NFC", "ÅSE01")),
         line(alis_id=unicodedata.normalize("NFD", "ÅSE01"), kommunenummer="4601")], [], "2023"),
    "a Cyrillic letter: rejected": ([line(alis_id="АLIS01")], [], "2023"),
}


def _money(lines, rejections):
    """What the doors must agree on: per line its row, period, status, amount and elements;
    per rejection its row and column (an expense column as each door names it: `utgift_X` in a
    file, `expense_X` for JSON's `expenses: {X: ...}`)."""
    return (sorted(lines), sorted((row, column and column.replace("expense_", "utgift_")) for row, column in rejections))


def _api(recs, sessions, period):
    rows = [{"lege": s["alis_id"], "dato": s["date"], "timer": s["hours"]} for s in sessions]
    result = grants.compute(recs, period, sessions=rows or None)
    lines = [(r.row, r.period, r.status.value, r.amount_nok, tuple((e.element, e.amount_nok) for e in r.elements))
             for r in result.lines]
    return _money(lines, [(r.row, r.column) for r in result.rejections])


def _elements(row: dict) -> tuple:
    return tuple((k[:-len("_nok")], int(v)) for k, v in row.items()
                 if k.endswith("_nok") and k != "amount_nok" and v not in ("", None))


def _cli(recs, sessions, period, tmp_path):
    app = tmp_path / "soknad.csv"
    fields = list(dict.fromkeys(k for r in recs for k in r))
    with app.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, delimiter=";")
        w.writeheader()
        w.writerows(recs)
    argv = ["compute", str(app), "-o", str(tmp_path / "r.json"), "--quiet"]
    if period:
        argv += ["--period", period]
    if sessions:
        okter = tmp_path / "okter.csv"
        okter.write_text("lege;dato;timer\n" + "".join(f"{s['alis_id']};{s['date']};{s['hours']}\n" for s in sessions),
                         encoding="utf-8")
        argv += ["--sessions", str(okter)]
    assert main(argv) in (0, 1)
    return _doc_money(json.loads((tmp_path / "r.json").read_text(encoding="utf-8")))


def _doc_money(doc):
    lines = [(r["row"], r["period"], r["status"], r["amount_nok"], _elements(r)) for r in doc["lines"]
             if r["status"] != "rejected"]  # the document lists rejected rows among the lines too
    return _money(lines, [(r["row"], r["column"]) for r in doc["rejections"]])


def _json_line(rec: dict) -> dict:
    out: dict = {}
    for k, v in rec.items():
        if k.startswith("utgift_"):
            out.setdefault("expenses", {})[k[len("utgift_"):]] = v
        else:
            out[k] = v
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_every_door_pays_the_same_by_the_same_evidence(case, client, tmp_path):
    recs, sessions, period = CASES[case]
    want = _api(recs, sessions, period)
    assert _cli(recs, sessions, period, tmp_path) == want
    body: dict = {"lines": [_json_line(r) for r in recs]}
    if period:
        body["period"] = period
    if sessions:
        body["sessions"] = sessions
    answer = client.post("/compute", json=body)
    assert answer.status_code == 200, answer.text
    assert _doc_money(answer.json()) == want


def test_the_cases_show_what_they_say():
    """The cases above are the rules' cases, not just any agreement between doors."""
    money = {case: _api(*CASES[case]) for case in CASES}
    assert money["a session after the period: 0 kr"][0][0][3] == 0
    assert money["a session spelt otherwise: his hours"][0][0][3] == 15_813
    assert money["sessions beside an expense: rejected"][1] == [(1, "utgift_veiledning")]
    in_period = [m for m in money["an expense on a line of another period: not used"][0] if m[0] == 2]
    assert dict(in_period[0][4])["praksiskompensasjon"] == 132_000
    split = [m for m in money["the same without naming the period"][0] if m[0] == 2 and m[1] == "2025-26"]
    assert split == in_period
    ties = [dict(m[4])["laeringsaktiviteter"] for m in money["exact ties: the earlier rows"][0]]
    assert ties == [11, 11, 1066]
    assert [r[0] for r in money["NFC and NFD: one doctor"][1]] == [1, 2]
    assert money["a Cyrillic letter: rejected"][1] == [(1, "alis_id")]
