"""Supervision sessions (`compute --sessions`), and what `compute`/`explain` show for model B's
new inputs: fixtures/examples/soknad_2025-26_timer.csv with veiledningsokter_2025-26.csv.

Expected (rates/2025-26.yaml, provisional; hourly supervision rate 1 375 x 1.15 = 1 581.25):
  row 1 ALIS-201 kun veiledning, 10 h: 15 812.50 -> 15 813 (the source's 10-hour case)
  row 2 ALIS-202 kun veiledning, 60 h: 94 875 capped at 91 317.1875 -> 91 317 (the 60-hour case)
  row 3 ALIS-203 produktivitet applied for 10 000 (maximum 125 000) -> 10 000
  rows 4-5 ALIS-204 share changes 16.12: veiledning expense 50 000 on row 4 shared 35 294 / 14 706
  row 6 ALIS-205 Utsira, kun veiledning, hours from the sessions file: 05.09 2 h + 03.10 2.5 h
        (its copy on the same date counted once; 14.04.2025 outside the period and an undated
        session not paid) = 4.5 h x 1 581.25 = 7 115.625 -> 7 116
"""
from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from grants import InputFileError, compute, default_engine
from grants.cli import main
from grants.pipeline.sessions import Session, aggregate, parse_sessions
from tests.conftest import FIXTURES, line

APPLICATION = FIXTURES / "examples" / "soknad_2025-26_timer.csv"
SESSIONS = FIXTURES / "examples" / "veiledningsokter_2025-26.csv"
FULL_YEAR = dict(start="2025-06-01", end="2026-05-31", position_share="100")


def _s(row, day, hours, doctor="A", **kw):
    from datetime import date

    return Session(row, doctor, None if day is None else date.fromisoformat(day), Decimal(hours), **kw)


def test_hours_are_summed_per_doctor_inside_the_period():
    book = default_engine().ratebook
    out = aggregate([_s(1, "2025-06-01", "2"), _s(2, "2026-05-31", "1.5"), _s(3, "2025-05-31", "3"),
                     _s(4, None, "1"), _s(5, "2025-09-01", "4", doctor="B")], book, "2025-26")
    a = out.evidence("a", "2025-26", lambda n: n == "0301")
    assert a.hours == Decimal("3.5") and [s.row for s in a.counted] == [1, 2]
    assert out.evidence("b", "2025-26", lambda n: n == "0301").hours == Decimal(4)
    assert [(u.session.row, u.why) for u in a.unpaid] == [
        (3, "datoen er utenfor perioden 2025-26"), (4, "økten har ingen dato")]
    assert out.evidence("c", "2025-26", lambda n: n == "0301") is None  # no row for him: nothing given


def test_same_date_same_hours_is_a_possible_duplicate_counted_once_and_named():
    book = default_engine().ratebook
    out = aggregate([_s(1, "2025-10-03", "2.5"), _s(2, "2025-10-03", "2.5"), _s(3, "2025-10-03", "1")], book, "2025-26")
    a = out.evidence("a", "2025-26", lambda n: n == "0301")
    assert a.hours == Decimal("3.5")
    (dup,) = a.unpaid
    assert dup.session.row == 2 and "rad 1" in dup.why and "regnet én gang" in dup.why


def test_a_session_id_tells_two_real_sessions_apart():
    book = default_engine().ratebook
    out = aggregate([_s(1, "2025-10-03", "2", session_id="a"), _s(2, "2025-10-03", "2", session_id="b")], book, "2025-26")
    a = out.evidence("a", "2025-26", lambda n: n == "0301")
    assert a.hours == Decimal(4) and not a.unpaid


def test_without_a_period_a_session_belongs_to_the_period_of_its_date():
    book = default_engine().ratebook
    out = aggregate([_s(1, "2025-10-03", "2"), _s(2, "2024-10-03", "2"), _s(3, "2030-01-01", "2")], book, None)
    a = out.evidence("a", "2025-26", lambda n: n == "0301")
    assert a.hours == Decimal(2)
    assert [u.why for u in a.unpaid] == ["datoen hører til perioden 2024-25, ikke 2025-26",
                                         "datoen er utenfor alle kjente perioder"]
    assert "prises ikke etter veiledningstimer" in out.why_unused(out.sessions[1])  # 2024-25 is model A


@pytest.mark.parametrize("rec,column", [
    ({"lege": "A", "dato": "31.02.2025", "timer": "2"}, "dato"),
    ({"lege": "A", "dato": "01.10.2025", "timer": "to"}, "timer"),
    ({"lege": "A", "dato": "01.10.2025", "timer": "-1"}, "timer"),
    ({"lege": "A", "dato": "01.10.2025", "timer": ""}, "timer"),
])
def test_a_session_value_not_understood_stops_the_run_naming_row_column_value(rec, column):
    with pytest.raises(InputFileError, match=f"rad 1, kolonne «{column}»"):
        parse_sessions([rec])


def test_a_sessions_file_without_hours_column_stops_the_run():
    with pytest.raises(InputFileError, match="timer"):
        parse_sessions([{"lege": "A", "dato": "01.10.2025"}])


def test_sessions_price_the_doctors_veiledning():
    book = default_engine().ratebook
    hours = aggregate([_s(1, "2025-09-01", "10")], book, "2025-26")
    result = default_engine().compute([line(alis_id="A", grant_type="kun_veiledning", **FULL_YEAR)], "2025-26", sessions=hours)
    (r,) = result.lines
    (e,) = r.elements
    assert e.hours == Decimal(10) and e.hours_from == "sessions" and e.amount_nok == 15_813
    assert any("10 timer fra øktfilen (1 økt, rad 1)" in n for n in r.notes)


def test_one_hour_in_one_session_reads_as_one_in_the_reason():
    book = default_engine().ratebook
    for sessions, words in (([_s(1, "2025-09-01", "1")], "1 time fra øktfilen (1 økt, rad 1)"),
                            ([_s(1, "2025-09-01", "1"), _s(2, "2025-09-08", "1.5")], "2,5 timer fra øktfilen (2 økter, rader 1, 2)")):
        result = default_engine().compute([line(alis_id="A", grant_type="kun_veiledning", **FULL_YEAR)], "2025-26",
                                          sessions=aggregate(sessions, book, "2025-26"))
        assert any(words in n for n in result.lines[0].notes), result.lines[0].notes


def test_sessions_and_an_expense_in_the_application_are_ambiguous():
    book = default_engine().ratebook
    hours = aggregate([_s(1, "2025-09-01", "10")], book, "2025-26")
    result = default_engine().compute([line(alis_id="A", utgift_veiledning="1000", **FULL_YEAR)], "2025-26", sessions=hours)
    (rej,) = result.rejections
    assert "øktfilen" in rej.message and rej.column == "utgift_veiledning"


def test_sessions_of_a_doctor_without_a_line_are_named_not_paid():
    book = default_engine().ratebook
    hours = aggregate([_s(1, "2025-09-01", "10", doctor="NOBODY")], book, "2025-26")
    result = default_engine().compute([line(alis_id="A", **FULL_YEAR)], "2025-26", sessions=hours)
    assert any("NOBODY" in n and "ikke betalt" in n for n in result.notes)


def test_sessions_of_a_doctor_in_two_municipalities_need_the_municipality():
    book = default_engine().ratebook
    recs = [line(alis_id="A", start="2025-06-01", end="2025-11-30"),
            line(alis_id="A", kommunenummer="4601", start="2025-12-01", end="2026-05-31")]
    result = default_engine().compute(recs, "2025-26", sessions=aggregate([_s(1, "2025-09-01", "10")], book, "2025-26"))
    assert [r.row for r in result.rejections] == [1, 2] and "kommunenummer" in result.rejections[0].message
    with_muni = aggregate([_s(1, "2025-09-01", "10", kommunenummer="0301")], book, "2025-26")
    result = default_engine().compute(recs, "2025-26", sessions=with_muni)
    assert not result.rejections
    assert {e.element: e.amount_nok for e in result.lines[0].elements}["veiledning"] == 15_813


# --- the command line ----------------------------------------------------------------------


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_compute_with_sessions_file(capsys, tmp_path):
    out_file = tmp_path / "resultat.csv"
    code, out, _ = _run(capsys, "compute", APPLICATION, "--period", "2025-26", "--sessions", SESSIONS, "-o", out_file)
    assert code == 0
    assert "øktfilen: kolonnen merknad er ikke brukt" in out
    with out_file.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    got = {int(r["row"]): (int(r["amount_nok"]), r["veiledning_nok"], r["produktivitet_nok"]) for r in rows}
    assert got[1][1] == "15813" and got[2][1] == "91317"
    assert got[3][2] == "10000"
    assert (got[4][1], got[5][1]) == ("35294", "14706")
    assert got[6] == (7116, "7116", "")
    # every session of the doctor not paid is named in his line's reason, with why
    reason = rows[5]["reason"]
    assert "4,5 timer fra øktfilen" in reason
    assert "økt på rad 3 " in reason and "kopi av økten på rad 2" in reason and "regnet én gang" in reason
    assert "økt på rad 4 " in reason and "utenfor perioden 2025-26" in reason
    assert "økt på rad 5 " in reason and "ingen dato" in reason


def test_compute_without_sessions_leaves_that_doctor_at_the_maximum(capsys, tmp_path):
    code, out, _ = _run(capsys, "compute", APPLICATION, "--period", "2025-26")
    assert code == 0 and "øktfil" not in out


def test_compute_with_a_missing_sessions_file_stops(capsys, tmp_path):
    code, _, err = _run(capsys, "compute", APPLICATION, "--period", "2025-26", "--sessions", tmp_path / "nei.csv")
    assert code == 2 and "nei.csv" in err


def test_explain_shows_hours_times_rate(capsys):
    code, out, _ = _run(capsys, "explain", APPLICATION, "--period", "2025-26", "--row", "1")
    assert code == 0
    assert "Utgifter og søkte beløp: veiledningstimer: 10" in out
    assert "1375 (timesats) × 1,15 (faktor for veiledningssats) = 1 581,25 kr per time" in out
    assert "utgift = 10 timer (søknaden) × 1 581,25 kr = 15 812,5 kr" in out
    assert "= 15 812,5 kr → 15 813 kr" in out


def test_explain_shows_the_cap_applied_for(capsys):
    code, out, _ = _run(capsys, "explain", APPLICATION, "--period", "2025-26", "--row", "3")
    assert code == 0
    assert "søkt produktivitetstillegg: 10 000 kr" in out
    assert "tak: det laveste av maksimum og søkt beløp (søkt 10 000 kr)" in out
    assert "= 10 000 kr → 10 000 kr" in out


def test_explain_shows_the_sharing_across_lines(capsys):
    code, out, _ = _run(capsys, "explain", APPLICATION, "--period", "2025-26", "--row", "5")
    assert code == 0
    assert "oppgitt på rad 4" in out
    assert "legens tak = summen av maksimum på linjene: rad 4 (≈ 45 658,5938 kr), rad 5 (≈ 19 024,4141 kr)" in out
    assert "innvilget for legen = det laveste av 50 000 kr og ≈ 64 683,0078 kr = 50 000 kr → 50 000 kr" in out
    assert "fordelt på linjene etter maksimum, største rest: rad 4: 35 294 kr, rad 5: 14 706 kr" in out
    assert "→ 14 706 kr (største rest)" in out


def test_trace_carries_hours_and_sharing():
    from grants.io.reader import read_table

    result = compute(read_table(APPLICATION).records(), period="2025-26")
    traces = {t["row"]: t for t in result.traces()}
    (v1,) = [e for e in traces[1]["elements"] if e["element"] == "veiledning"]
    assert (v1["hours"], v1["hourly_rate"], v1["hours_from"]) == ("10", "1581.25", "input")
    (v5,) = [e for e in traces[5]["elements"] if e["element"] == "veiledning"]
    assert v5["sharing"]["rows"] == [4, 5] and v5["sharing"]["allotments"] == [35294, 14706]
    assert traces[3]["input"]["productivity_applied"] == "10000"


def test_explain_with_sessions_shows_the_hours_from_the_file(capsys):
    code, out, _ = _run(capsys, "explain", APPLICATION, "--period", "2025-26", "--row", "6", "--sessions", SESSIONS)
    assert code == 0
    assert "utgift = 4,5 timer (øktfilen) × 1 581,25 kr = 7 115,625 kr" in out
    assert "→ 7 116 kr" in out and "uten dato" in out
