"""Model B pays by evidence, never by accident (docs/DOMAIN.md section 6, "Evidence"):

- sessions are evidence: a doctor with rows in the sessions file is paid veiledning only from
  his sessions dated inside the period (none inside: 0 kr, each unpaid session named), matched
  by the doctor key however the id is written; beside an expense or hours for veiledning they
  are ambiguous, whatever their dates;
- an expense belongs to the period of its line, and is the doctor's even on a line that cannot
  get the element;
- sharing the doctor's amount back to his lines is exact and deterministic: no other doctor's
  row moves a krone between his lines.

Rates: rates/2025-26.yaml (provisional). Veiledning at 100 % for a whole year: 1 375 x 1,15 x
57,75 = 91 317,1875 -> 91 317 kr; an hour of supervision 1 375 x 1,15 = 1 581,25 kr.
"""
from __future__ import annotations

import csv
import random
import re
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from grants import compute, default_engine
from grants.cli import main
from grants.pipeline.sessions import aggregate, parse_sessions
from tests.conftest import line

YEAR = dict(start="2025-06-01", end="2026-05-31", position_share="100")


def _sessions(*rows, period="2025-26"):
    return aggregate(parse_sessions(list(rows)), default_engine().ratebook, period)


def _el(r, name):
    return {e.element: e for e in r.elements}.get(name)


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _write(path, rows, header):
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(header)
        w.writerows(rows)
    return path


def _read(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


# --- sessions are evidence ------------------------------------------------------------------


def test_a_doctor_whose_only_session_lies_after_the_period_gets_no_veiledning():
    sessions = _sessions({"lege": "A", "dato": "01.07.2026", "timer": "3"})
    (r,) = compute([line(alis_id="A", grant_type="kun_veiledning", **YEAR)], "2025-26", sessions=sessions).lines
    assert r.status.value == "ok" and r.amount_nok == 0
    e = _el(r, "veiledning")
    assert e.amount_nok == 0 and e.capped_by == 0 and e.hours_from == "sessions"
    text = " | ".join(r.notes)
    assert "økt på rad 1 (lege A, 3 timer, 01.07.2026) er ikke betalt: datoen er utenfor perioden 2025-26" in text
    assert "0 timer fra øktfilen" in text


def test_without_a_period_a_session_of_another_period_is_named_with_its_period():
    sessions = _sessions({"lege": "A", "dato": "01.10.2024", "timer": "3"}, period=None)
    (r,) = compute([line(alis_id="A", grant_type="kun_veiledning", **YEAR)], sessions=sessions).lines
    assert r.amount_nok == 0
    assert any("datoen hører til perioden 2024-25, ikke 2025-26" in n for n in r.notes)


def test_undated_and_copied_sessions_are_named_on_the_doctors_line():
    sessions = _sessions({"lege": "A", "dato": "", "timer": "2"}, {"lege": "A", "dato": "03.10.2025", "timer": "2"},
                         {"lege": "A", "dato": "03.10.2025", "timer": "2"})
    (r,) = compute([line(alis_id="A", grant_type="kun_veiledning", **YEAR)], "2025-26", sessions=sessions).lines
    assert r.amount_nok == 3163  # 2 h x 1 581,25 = 3 162,50 -> 3 163: the copy counted once
    text = " | ".join(r.notes)
    assert "økt på rad 1 (lege A, 2 timer, uten dato) er ikke betalt: økten har ingen dato" in text
    assert "økt på rad 3 (lege A, 2 timer, 03.10.2025) er ikke betalt: den ser ut som en kopi av økten på rad 2" in text


def test_sessions_match_the_doctor_however_the_id_is_written():
    sessions = _sessions({"lege": "alis 01", "dato": "01.09.2025", "timer": "10"})
    (r,) = compute([line(alis_id="ALIS-01", grant_type="kun_veiledning", **YEAR)], "2025-26", sessions=sessions).lines
    assert r.amount_nok == 15_813  # 10 h x 1 581,25, not the maximum 91 317


def test_a_session_inside_the_period_but_outside_his_lines_counts_and_is_said():
    sessions = _sessions({"lege": "A", "dato": "01.03.2026", "timer": "4"})
    (r,) = compute([line(alis_id="A", grant_type="kun_veiledning", position_share="100", start="2025-06-01",
                         end="2025-12-31")], "2025-26", sessions=sessions).lines
    assert r.amount_nok == 6325  # 4 h x 1 581,25
    assert any("ligger utenfor legens linjer, men innenfor perioden 2025-26, og er regnet med" in n for n in r.notes)


def test_a_session_in_another_municipality_is_not_his_there():
    sessions = _sessions({"lege": "A", "dato": "01.09.2025", "timer": "4", "kommunenr": "4601"})
    result = compute([line(alis_id="A", grant_type="kun_veiledning", **YEAR)], "2025-26", sessions=sessions)
    (r,) = result.lines
    assert r.amount_nok == 91_317  # nothing given in 0301: the maximum
    assert any("økt på rad 1" in n and "ingen beregnet linje i perioden 2025-26 i kommune 4601" in n for n in result.notes)


def test_a_doctor_the_sessions_file_does_not_name_keeps_the_maximum_and_is_listed():
    sessions = _sessions({"lege": "A", "dato": "01.09.2025", "timer": "4"})
    result = compute([line(alis_id="A", grant_type="kun_veiledning", **YEAR),
                      line(alis_id="B", grant_type="kun_veiledning", **YEAR),
                      line(alis_id="C", grant_type="kun_veiledning", utgift_veiledning="1000", **YEAR)],
                     "2025-26", sessions=sessions)
    amounts = {r.alis_id: r.amount_nok for r in result.lines}
    assert amounts == {"A": 6325, "B": 91_317, "C": 1000}
    (note,) = [n for n in result.notes if "har ingen rader for" in n]
    assert "legen B" in note and "maksimum" in note and "C" not in note  # C documented an expense


def test_sessions_beside_an_expense_reject_that_row_whatever_the_sessions_dates():
    sessions = _sessions({"lege": "A", "dato": "01.07.2026", "timer": "3"})  # after the period
    result = compute([line(alis_id="A", utgift_veiledning="1000", **YEAR)], "2025-26", sessions=sessions)
    (rej,) = result.rejections
    assert rej.column == "utgift_veiledning" and rej.value == "1000"
    assert "øktfilen (rad 1)" in rej.message and "uansett hvilke datoer" in rej.message


def test_sessions_beside_hours_reject_that_row_naming_both():
    sessions = _sessions({"lege": "a-1", "dato": "01.09.2025", "timer": "3", "kommunenr": "0301"})
    half = dict(YEAR, position_share="50")
    result = compute([line(alis_id="A1", veiledning_timer="5", **half),
                      line(alis_id="A1", kommunenummer="4601", veiledning_timer="5", **half)],
                     "2025-26", sessions=sessions)
    (rej,) = result.rejections  # the sessions name 0301: the hours in 4601 are the only evidence there
    assert rej.row == 1 and rej.column == "veiledning_timer" and rej.value == "5"
    assert "øktfilen (rad 1) har rader for samme lege (A1) i kommune 0301" in rej.message
    (other,) = result.lines
    assert _el(other, "veiledning").amount_nok == 7906  # 5 h x 1 581,25 = 7 906,25


def test_sessions_naming_no_municipality_for_a_doctor_in_two_are_ambiguous():
    sessions = _sessions({"lege": "A1", "dato": "01.09.2025", "timer": "3"})
    half = dict(YEAR, position_share="50")
    result = compute([line(alis_id="A1", **half), line(alis_id="A1", kommunenummer="4601", **half)], "2025-26",
                     sessions=sessions)
    assert [r.row for r in result.rejections] == [1, 2]
    assert all("oppgi kommunenummer i øktfilen" in r.message for r in result.rejections)


def test_sessions_on_the_command_line_pay_by_evidence(capsys, tmp_path):
    app = _write(tmp_path / "soknad.csv", [["ALIS-01", "0301", "kun_veiledning", "fastlege", "100", "01.06.2025",
                                           "31.05.2026"],
                                          ["ALIS-02", "0301", "kun_veiledning", "fastlege", "100", "01.06.2025",
                                           "31.05.2026"]],
                 ["lege_id", "kommunenr", "tilskuddstype", "rolle", "stillingsandel", "fra", "til"])
    okter = _write(tmp_path / "okter.csv", [["alis 01", "01.07.2026", "3"]], ["lege_id", "dato", "timer"])
    code, out, _ = _run(capsys, "compute", app, "--period", "2025-26", "--sessions", okter, "-o", tmp_path / "r.csv")
    assert code == 0
    rows = _read(tmp_path / "r.csv")
    assert [(r["alis_id"], r["amount_nok"]) for r in rows] == [("ALIS-01", "0"), ("ALIS-02", "91317")]
    assert "utenfor perioden 2025-26" in rows[0]["reason"]
    assert "øktfilen har ingen rader for legen ALIS-02" in out


# --- an expense belongs to its line's period --------------------------------------------------

EARLIER = dict(alis_id="D", start="2024-09-01", end="2025-05-31", position_share="100")


def test_an_expense_on_a_line_of_another_period_never_reaches_this_one():
    recs = [line(**EARLIER, utgift_praksiskompensasjon="1000"), line(alis_id="D", **YEAR)]
    with_period = compute(recs, "2025-26")
    without = compute(recs)
    this = [r for r in with_period.lines if r.period == "2025-26" and r.row == 2]
    that = [r for r in without.lines if r.period == "2025-26" and r.row == 2]
    assert _el(this[0], "praksiskompensasjon").amount_nok == 132_000
    assert [(e.element, e.amount_nok) for e in this[0].elements] == [(e.element, e.amount_nok) for e in that[0].elements]
    (outside,) = [r for r in with_period.lines if r.row == 1]
    assert outside.status.value == "outside_period"
    assert any("utgiften til praksiskompensasjon på linjen er ikke brukt: linjen ligger utenfor perioden 2025-26" in n
               for n in outside.notes)


def test_a_line_crossing_the_boundary_with_an_expense_counts_for_the_period_named():
    crossing = line(alis_id="E", start="2025-01-01", end="2025-12-31", position_share="100",
                    utgift_laeringsaktiviteter="3000")
    assert [r.row for r in compute([crossing]).rejections] == [1]  # which period is it for? say one
    (r,) = compute([crossing], "2025-26").lines
    assert _el(r, "laeringsaktiviteter").amount_nok == 3000
    assert any("linjen går utover perioden 2025-26; utgiften til laeringsaktiviteter på linjen er regnet for perioden "
               "2025-26 i sin helhet" in n for n in r.notes)


def test_an_expense_on_an_ineligible_line_is_still_the_doctors():
    recs = [line(alis_id="F", start="2025-06-01", end="2025-11-30", position_share="50", via_agency="ja",
                 utgift_veiledning="10000"),
            line(alis_id="F", start="2025-06-01", end="2026-05-31", position_share="50")]
    result = compute(recs, "2025-26")
    ineligible, paid = result.lines
    assert ineligible.status.value == "ineligible"
    assert _el(paid, "veiledning").amount_nok == 10_000  # below its maximum 45 658,59
    assert any("(rad 1)" in n and "veiledning" in n for n in paid.notes)  # names the row that carried it


# --- sharing back is exact and deterministic ---------------------------------------------------

THREE = [dict(alis_id="G", start="2025-06-01", end="2025-06-30", position_share="2"),
         dict(alis_id="G", start="2025-07-01", end="2025-07-31", position_share="2"),
         dict(alis_id="G", start="2025-08-01", end="2025-09-30", position_share="100")]


def test_exactly_equal_remainders_go_to_the_earlier_rows():
    """Maxima of læringsaktiviteter 1 : 1 : 100 (23,33 / 23,33 / 2 333,33 kr) and 1 088 kr
    applied: each line's exact share is 10 2/3, 10 2/3 and 1 066 2/3. Three equal remainders
    and two kroner left: rows 1 and 2 get them. At 28 digits the big line's 2/3 looked larger."""
    recs = [line(**THREE[0], utgift_laeringsaktiviteter="1088"), line(**THREE[1]), line(**THREE[2])]
    lines = compute(recs, "2025-26").lines
    assert [_el(r, "laeringsaktiviteter").amount_nok for r in lines] == [11, 11, 1066]
    assert [str(_el(r, "laeringsaktiviteter").granted) for r in lines] == ["32/3", "32/3", "3200/3"]


def test_an_unrelated_doctor_above_does_not_move_a_krone_between_his_lines():
    """His two lines have equal veiledning maxima, so 1 001 kr shares as 500,5 + 500,5: the
    krone left goes to the earlier row, whichever rows of other doctors stand above."""
    own = [line(alis_id="H", grant_type="kun_veiledning", start="2025-06-01", end="2025-06-30", position_share="50",
                utgift_veiledning="1001"),
           line(alis_id="H", start="2025-06-01", end="2025-06-30", position_share="50")]
    alone = compute(own, "2025-26")
    assert [_el(r, "veiledning").amount_nok for r in alone.lines] == [501, 500]
    other = line(alis_id="Q", start="2025-06-01", end="2026-05-31")
    mixed = compute([other, *own], "2025-26")
    assert [_el(r, "veiledning").amount_nok for r in mixed.lines if r.alis_id == "H"] == [501, 500]


def _others(draw_seed: int, n: int) -> list[dict]:
    rnd = random.Random(draw_seed)
    out = []
    for i in range(n):
        start = rnd.choice(["2025-06-01", "2025-09-01", "2024-10-01"])
        rec = line(alis_id=f"O{rnd.randrange(4)}-{i}", start=start, end="2026-02-28",
                   position_share=str(rnd.choice([20, 50, 100])), grant_type=rnd.choice(["alis_avtale", "kun_veiledning"]))
        if rnd.random() < 0.4:
            rec["utgift_veiledning"] = str(rnd.randrange(1000, 60000))
        out.append(rec)
    return out


def _doctor_view(result, ids):
    """His money: per line, its period, status, amount and elements; per rejection, its kind
    (the message without row numbers, which move when rows are added above)."""
    return [(r.period, r.status.value, r.amount_nok, [(e.element, e.amount_nok, e.granted) for e in r.elements])
            for r in result.lines if r.alis_id in ids] + [(rej.column, re.sub(r"\d+", "#", rej.message))
                                                          for rej in result.rejections if rej.alis_id in ids]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["alis_avtale", "kun_veiledning"]), st.sampled_from([2, 7, 33, 50]),
                          st.integers(0, 9)), min_size=2, max_size=4),
       st.integers(1, 60_000), st.integers(0, 2**31), st.integers(0, 8), st.booleans())
def test_other_doctors_rows_never_change_this_doctors_money(parts, expense, seed, n_others, with_period):
    """Shuffle, add or remove other doctors' rows around this doctor's (his own order kept):
    his amounts, elements and statuses do not move. His lines are of two kinds (so they are
    priced in two groups) and often of equal maxima (so remainders tie)."""
    own = []
    for grant_type, share, month in parts:
        start = f"2025-{6 + month:02d}-01" if month < 7 else f"2026-{month - 6:02d}-01"
        own.append(line(alis_id="H", grant_type=grant_type, start=start, end=start[:8] + "28",
                        position_share=str(share)))
    own[0]["utgift_veiledning"] = str(expense)
    period = "2025-26" if with_period else None
    alone = _doctor_view(compute(own, period), {"H"})
    others = _others(seed, n_others)
    rnd = random.Random(seed + 1)
    mixed: list[dict] = list(others)
    at = sorted(rnd.randrange(len(mixed) + 1) for _ in own)
    for offset, (pos, rec) in enumerate(zip(at, own)):
        mixed.insert(pos + offset, rec)
    assert _doctor_view(compute(mixed, period), {"H"}) == alone


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**31), st.integers(1, 10))
def test_the_period_figures_are_the_same_with_and_without_naming_the_period(seed, n):
    """Apart from rows that cross a period boundary carrying an expense, the 2025-26 figures
    are identical whether the period is named or the lines are split per period."""
    rnd = random.Random(seed)
    recs = []
    for i in range(n):
        start = rnd.choice(["2024-09-01", "2025-01-01", "2025-06-01", "2025-09-16"])
        end = rnd.choice(["2025-05-31", "2025-12-31", "2026-05-31"])
        if end < start:
            start, end = end, start
        rec = line(alis_id=f"P{rnd.randrange(3)}", kommunenummer=rnd.choice(["0301", "1151"]), start=start, end=end,
                   position_share=str(rnd.choice([20, 40, 100])))
        if rnd.random() < 0.5 and not (start < "2025-06-01" <= end):
            rec[rnd.choice(["utgift_veiledning", "utgift_praksiskompensasjon", "veiledning_timer"])] = \
                str(rnd.randrange(1, 50_000) if rnd.random() < 0.7 else rnd.randrange(1, 40))
        recs.append(rec)
    named = compute(recs, "2025-26")
    split = compute(recs)

    def view(result):
        lines = {r.row: (r.status.value, r.amount_nok, [(e.element, e.amount_nok) for e in r.elements])
                 for r in result.lines if r.period == "2025-26" and r.status.value != "outside_period"}
        rejected = {rej.row for rej in result.rejections}
        return lines, rejected
    assert view(named) == view(split)


def test_sessions_are_counted_in_decimal_hours_exactly():
    sessions = _sessions({"lege": "A", "dato": "01.09.2025", "timer": "0,25"},
                         {"lege": "A", "dato": "02.09.2025", "timer": "0,5"})
    (r,) = compute([line(alis_id="A", grant_type="kun_veiledning", **YEAR)], "2025-26", sessions=sessions).lines
    assert _el(r, "veiledning").hours == Decimal("0.75") and r.amount_nok == 1186  # 1 185,9375
