"""Model B (period 2025-26, element-based refund): elements as rules and rates, properties."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from grants import InputFileError, compute
from grants.money import to_kroner
from tests.conftest import line

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
STANDARD = ("praksiskompensasjon", "laeringsaktiviteter", "produktivitet", "veiledning")

days = st.dates(min_value=date(2025, 6, 1), max_value=date(2026, 5, 31))
shares = st.decimals(min_value=Decimal("1.1"), max_value=Decimal(100), places=1)
expense = st.one_of(st.none(), st.integers(min_value=0, max_value=200_000))


@st.composite
def b_lines(draw):
    a, b = draw(days), draw(days)
    rec = line(
        kommunenummer=draw(st.sampled_from(["0301", "1151", "4601", "5412"])),
        grant_type=draw(st.sampled_from(["alis_avtale", "alis_avtale", "kun_veiledning"])),
        role=draw(st.sampled_from(["fastlege", "fastlegevikar", "introduksjonslege", "annet_kommunalt"])),
        position_share=str(draw(shares)),
        start=min(a, b).isoformat(),
        end=max(a, b).isoformat(),
    )
    if draw(st.booleans()):
        rec["first_gp_date"] = draw(st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 5, 31))).isoformat()
    for element in ("praksiskompensasjon", "laeringsaktiviteter", "veiledning"):
        value = draw(expense)
        if value is not None:
            rec[f"utgift_{element}"] = str(value)
    applied = draw(expense)
    if applied is not None:
        rec["sentralitetstillegg_sokt"] = str(applied)
    return rec


def _b(rec):
    result = compute([rec], period="2025-26")
    assert not result.rejections, result.rejections[0].text()
    return result.lines[0]


@SETTINGS
@given(b_lines())
def test_elements_are_capped_non_negative_and_sum_to_the_total(rec):
    r = _b(rec)
    assert r.rate_table.model == "B" and r.rates_status == "provisional"
    assert r.table is r.rate_table  # the former name still reads the rate table
    for e in r.elements:
        assert Decimal(0) <= e.granted <= e.maximum
        if e.capped_by is not None:
            assert e.granted == min(e.capped_by, e.maximum)
    assert r.amount_nok == sum(to_kroner(e.granted) for e in r.elements)


@SETTINGS
@given(b_lines())
def test_facilitation_is_exactly_five_percent_of_its_base(rec):
    r = _b(rec)
    got = {e.element: e for e in r.elements}
    if "tilrettelegging" in got:
        base = sum((got[name].granted for name in STANDARD if name in got), Fraction(0))
        assert got["tilrettelegging"].granted == Fraction(5, 100) * base  # exactly: no digit lost on the way
        assert to_kroner(got["tilrettelegging"].granted) == to_kroner(Fraction(5, 100) * base)


@SETTINGS
@given(b_lines(), shares, shares)
def test_non_decreasing_in_share(rec, s1, s2):
    low, high = sorted((s1, s2))
    a = _b(dict(rec, position_share=str(low)))
    b = _b(dict(rec, position_share=str(high)))
    assert a.amount_nok <= b.amount_nok
    got = {e.element: e for e in b.elements}
    for e in a.elements:
        assert e.granted <= got[e.element].granted


@SETTINGS
@given(b_lines(), st.integers(min_value=0, max_value=300))
def test_non_decreasing_in_months(rec, extra_days):
    longer = min(date.fromisoformat(rec["end"]) + timedelta(days=extra_days), date(2026, 5, 31))
    a = _b(rec)
    b = _b(dict(rec, end=longer.isoformat()))
    assert a.whole_months <= b.whole_months
    assert a.amount_nok <= b.amount_nok


def test_the_prototypes_off_by_one_is_not_copied():
    # the third-party formula gives 2 for 15.06-15.07; one month ends 14.07, the second 14.08
    r = _b(line(grant_type="kun_veiledning", start="2025-06-15", end="2025-07-15"))
    assert r.whole_months == 1
    assert _b(line(grant_type="kun_veiledning", start="2025-06-15", end="2025-07-14")).whole_months == 1
    assert _b(line(grant_type="kun_veiledning", start="2025-06-15", end="2025-07-13")).whole_months == 0


def test_line_spanning_2024_25_and_2025_26_splits_into_model_a_and_model_b():
    result = compute([line(start="2025-01-01", end="2025-12-31")])
    a, b = result.lines
    assert (a.period, a.rate_table.model, a.whole_months, a.amount_nok) == ("2024-25", "A", 5, 125000)  # 300000*5/12
    assert (b.period, b.rate_table.model, b.whole_months) == ("2025-26", "B", 7)
    assert a.elements == () and b.elements
    # 132000*7/12 + 14000*7/12 + 91317.1875*7/12, then 5 % of their unrounded sum (no first_gp_date)
    assert [to_kroner(e.granted) for e in b.elements] == [77000, 8167, 53268, 6922]
    assert result.total_nok == 125000 + 77000 + 8167 + 53268 + 6922
    by_muni = result.totals_by_municipality()
    assert by_muni[0].amount_nok == result.total_nok


def test_model_a_output_keeps_its_columns():
    only_a = compute([line()], period="2023")
    assert "basis" not in only_a.columns and not any(c.endswith("_nok") and c != "amount_nok" for c in only_a.columns)
    mixed = compute([line(start="2025-01-01", end="2025-12-31")])
    frame = mixed.to_frame()
    assert "veiledning_nok" in frame.columns and "basis" in frame.columns
    assert frame.loc[0, "basis"] != frame.loc[0, "basis"] or frame.loc[0, "basis"] is None  # empty for model A
    assert frame.loc[1, "basis"] == "maksimalt tilskudd"


def test_without_expenses_the_output_says_maximum_grant():
    r = _b(line(start="2025-06-01", end="2026-05-31"))
    assert r.basis == "maksimalt tilskudd"
    assert any("maksimalt tilskudd" in n for n in r.notes)
    assert any("første_dato_fastlege" in n for n in r.notes)  # no produktivitet, said in the reason


def test_expenses_make_it_a_refund():
    r = _b(line(start="2025-06-01", end="2026-05-31", utgift_veiledning="10 000"))
    assert r.basis == "refusjon"
    assert {e.element: to_kroner(e.granted) for e in r.elements}["veiledning"] == 10000


@pytest.mark.parametrize("bad", ["-5", "mye", "12,5,5"])
def test_negative_or_non_numeric_expense_is_a_rejected_row(bad):
    result = compute([line(alis_id="OK"), line(alis_id="BAD", utgift_veiledning=bad)], period="2025-26")
    (rej,) = result.rejections
    assert (rej.row, rej.column, rej.value) == (2, "utgift_veiledning", bad)
    assert [l.alis_id for l in result.lines] == ["OK"]


def test_expense_column_for_an_unknown_element_stops_the_run():
    with pytest.raises(InputFileError, match="utgift_praksis"):
        compute([line(utgift_praksis="100")], period="2025-26")


def test_expense_for_an_element_the_line_does_not_get_is_named():
    r = _b(line(grant_type="kun_veiledning", start="2025-06-01", end="2026-05-31", utgift_praksiskompensasjon="5000"))
    assert [e.element for e in r.elements] == ["veiledning"]
    assert any("praksiskompensasjon" in n and "ikke rett" in n for n in r.notes)


def test_trace_lists_every_element_with_its_numbers():
    result = compute([line(kommunenummer="1151", start="2025-06-01", end="2026-05-31", first_gp_date="2024-01-01")],
                     period="2025-26")
    trace = result.traces()[0]
    elements = {e["element"]: e for e in trace["elements"]}
    assert set(elements) == set(STANDARD) | {"tilrettelegging", "sentralitetstillegg"}
    assert elements["veiledning"]["annual_maximum"] == "91317.1875"
    assert elements["produktivitet"]["window"] == ["2024-01-01", "2025-12-31"]
    assert elements["produktivitet"]["months"] == 7  # June to December 2025
    assert elements["produktivitet"]["amount_nok"] == 72917  # 125000 * 7 / 12 = 72916.67


def test_a_new_model_b_period_is_a_data_only_change(tmp_path):
    """2026-27 as a new rate file only: no new Python, the shipped rules carry over."""
    import shutil

    from grants import Engine
    from grants.rates.tables import RateBook
    from grants.rules.rulebook import RuleBook
    from tests.conftest import REPO

    rates = tmp_path / "rates"
    shutil.copytree(REPO / "rates", rates)
    text = (rates / "2025-26.yaml").read_text(encoding="utf-8")
    text = (text.replace('id: "2025-26"', 'id: "2026-27"')
                .replace("first_day: 2025-06-01", "first_day: 2026-06-01")
                .replace("last_day: 2026-05-31", "last_day: 2027-05-31")
                .replace("value: 1375,", "value: 1400,"))
    (rates / "2026-27.yaml").write_text(text, encoding="utf-8")
    book = RateBook.load(rates)
    engine = Engine(book, RuleBook.load(book))
    result = engine.compute([line(grant_type="kun_veiledning", start="2026-06-01", end="2027-05-31")], "2026-27")
    (r,) = result.lines
    assert r.rate_table.model == "B" and [e.element for e in r.elements] == ["veiledning"]
    assert r.amount_nok == to_kroner(Decimal(1400) * Decimal("1.15") * Decimal("57.75"))  # 92977.5 -> 92978


def test_expenses_and_applications_that_cannot_apply_are_named():
    r = _b(line(start="2025-06-01", end="2026-05-31", first_gp_date="2025-01-01",
                utgift_produktivitet="1000", sentralitetstillegg_sokt="50000"))
    notes = " ".join(r.notes)
    assert "produktivitet brukes ikke" in notes  # no expense cap on that element
    assert "søkt sentralitetstillegg brukes ikke" in notes  # Oslo is class 1


def test_a_refund_line_names_the_elements_left_at_their_maximum():
    r = _b(line(start="2025-06-01", end="2026-05-31", utgift_veiledning="10000"))
    assert r.basis == "refusjon"
    assert any("praksiskompensasjon, laeringsaktiviteter" in n and "maksimum" in n for n in r.notes)


def test_an_applied_supplement_alone_is_not_a_refund():
    from decimal import Decimal

    result = compute([line(kommunenummer="1151", start="2025-06-01", end="2026-05-31", sentralitetstillegg_sokt="50000")],
                     period="2025-26")
    (r,) = result.lines
    assert r.basis == "maksimalt tilskudd"
    assert {e.element: e.granted for e in r.elements}["sentralitetstillegg"] == Decimal(50000)


def test_a_first_gp_date_in_the_year_9999_gives_an_empty_window_not_an_internal_error():
    """The produktivitet window runs from the first GP date for some months; written 31.12.9999
    it would end after the last day a date can name, so it ends on that day: no month of it lies
    in the period, as for any first GP date after the line."""
    import grants

    def line(first_gp):
        return dict(alis_id="E6", kommunenummer="0301", grant_type="alis_avtale", role="fastlege",
                    position_share="100", start="2025-06-01", end="2026-05-31", first_gp_date=first_gp)

    far, later = (grants.compute([line(d)], period="2025-26") for d in ("31.12.9999", "01.01.2030"))
    assert not far.rejections and far.lines[0].amount_nok == later.lines[0].amount_nok
    assert {e.element: e.amount_nok for e in far.lines[0].elements} == {e.element: e.amount_nok for e in later.lines[0].elements}
    assert far.lines[0].trace()["elements"]  # the trace is made too
