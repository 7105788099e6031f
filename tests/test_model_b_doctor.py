"""Model B: an expense belongs to the doctor for the period, not to one line (docs/DOMAIN.md §6).

rates/2025-26.yaml says `expense_scope: doctor`: the cap is the sum of the element's maxima
over the doctor's lines in the municipality and period; the granted amount is rounded once for
the doctor and shared back to the lines in proportion to their maxima by the largest remainder
method (docs/DOMAIN.md §8).
"""
from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from grants import Engine, compute
from grants.rules.formulas import largest_remainder
from grants.money import to_kroner
from grants.rates.tables import RateBook
from grants.rules.rulebook import RuleBook
from tests.conftest import REPO, line

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
STANDARD = ("praksiskompensasjon", "laeringsaktiviteter", "produktivitet", "veiledning")

# One doctor whose share changes on 16.12.2025 (DOMAIN.md §5: December is whole in neither line).
# Line 1: 100 %, 01.06–15.12.2025, 6 anniversary months; line 2: 50 %, 16.12.2025–31.05.2026, 5.
# veiledning maxima: 91 317.1875 x 6/12 = 45 658.59375 and 91 317.1875 x 0.5 x 5/12 = 19 024.4140625,
# sum 64 683.0078125. An expense of 50 000 is shared 50 000 x 45 658.59375 / 64 683.0078125 =
# 35 294.1176... and 14 705.8823...: whole kroner 35 294 + 14 705, the krone left goes to the
# larger remainder (0.88 on line 2): 35 294 and 14 706.
FIRST = dict(alis_id="D", start="2025-06-01", end="2025-12-15", position_share="100")
SECOND = dict(alis_id="D", start="2025-12-16", end="2026-05-31", position_share="50")


def _run(*recs, period="2025-26", engine=None):
    return (engine.compute(list(recs), period) if engine else compute(list(recs), period=period))


def _el(r, name):
    return {e.element: e for e in r.elements}[name]


@pytest.mark.parametrize("carrier", [0, 1])
def test_the_expense_is_shared_whichever_line_carries_it(carrier):
    recs = [line(**FIRST), line(**SECOND)]
    recs[carrier]["utgift_veiledning"] = "50000"
    result = _run(*recs)
    assert not result.rejections
    a, b = result.lines
    assert (_el(a, "veiledning").amount_nok, _el(b, "veiledning").amount_nok) == (35_294, 14_706)
    sharing = _el(a, "veiledning").sharing
    assert sharing.rows == (1, 2) and sharing.kroner_total == 50_000 and sharing.carried_by == f"rad {carrier + 1}"
    assert sharing.maximum_total == Decimal("64683.0078125")
    assert any("største rest" in n and "rad 1: 35 294 kr, rad 2: 14 706 kr" in n for n in b.notes)
    # tilrettelegging: 5 % of each line's unrounded granted elements, the shared one at its share
    for r in (a, b):
        base = sum((e.granted for e in r.elements if e.element in STANDARD), Fraction(0))
        assert _el(r, "tilrettelegging").granted == Fraction(5, 100) * base


def test_today_line_by_line_would_have_paid_differently():
    """The bug the issue describes: the same expense refunded by which line carries it."""
    alone_first = _el(_run(line(**FIRST, utgift_veiledning="50000")).lines[0], "veiledning").amount_nok
    alone_second = _el(_run(line(**SECOND, utgift_veiledning="50000")).lines[0], "veiledning").amount_nok
    assert alone_first != alone_second  # 45 659 vs 19 024: per line caps differ
    assert (alone_first, alone_second) == (45_659, 19_024)


def test_an_expense_above_the_sum_of_maxima_gives_each_line_its_maximum():
    a, b = _run(line(**FIRST, utgift_veiledning="1000000"), line(**SECOND)).lines
    # 45 658.59375 -> 45 659 and 19 024.4140625 -> 19 024 line by line; the doctor's 64 683.0078125 -> 64 683
    assert (_el(a, "veiledning").amount_nok, _el(b, "veiledning").amount_nok) == (45_659, 19_024)


def test_no_expense_changes_nothing():
    a, b = _run(line(**FIRST), line(**SECOND)).lines
    alone_a, alone_b = _run(line(**FIRST)).lines[0], _run(line(**SECOND)).lines[0]
    assert [e.amount_nok for e in a.elements] == [e.amount_nok for e in alone_a.elements]
    assert [e.amount_nok for e in b.elements] == [e.amount_nok for e in alone_b.elements]
    assert all(e.sharing is None for e in a.elements + b.elements)


def test_one_line_is_the_same_as_line_by_line():
    (r,) = _run(line(**FIRST, utgift_veiledning="30000.50")).lines
    e = _el(r, "veiledning")
    assert e.sharing is None and e.granted == Decimal("30000.50") and e.amount_nok == 30_001


def test_the_same_expense_on_two_lines_is_rejected_naming_the_lines():
    result = _run(line(**FIRST, utgift_veiledning="50000"), line(**SECOND, utgift_veiledning="50000"),
                  line(alis_id="OTHER", start="2025-06-01", end="2026-05-31", utgift_veiledning="50000"))
    assert [r.row for r in result.rejections] == [1, 2]
    one, two = result.rejections
    assert "rad 2" in one.message and "rad 1" in two.message
    assert "skriv utgiften én gang" in one.message
    assert one.column == "utgift_veiledning" and one.value == "50000"
    assert [r.alis_id for r in result.lines] == ["OTHER"]


def test_hours_on_one_line_and_expense_on_another_are_ambiguous():
    result = _run(line(**FIRST, veiledning_timer="10"), line(**SECOND, utgift_veiledning="50000"))
    assert [r.row for r in result.rejections] == [1, 2]
    assert result.rejections[0].column == "veiledning_timer"


def test_an_amount_applied_for_on_two_lines_is_ambiguous():
    result = _run(line(**FIRST, first_gp_date="2025-06-01", produktivitet_sokt="10000"),
                  line(**SECOND, first_gp_date="2025-06-01", produktivitet_sokt="10000"))
    assert [r.row for r in result.rejections] == [1, 2]
    assert result.rejections[0].column == "produktivitet_sokt"


def test_different_municipalities_are_different_applications():
    result = _run(line(**FIRST, utgift_veiledning="50000"), line(**SECOND, kommunenummer="4601", utgift_veiledning="9000"))
    assert not result.rejections
    a, b = result.lines
    assert _el(a, "veiledning").amount_nok == 45_659 and _el(b, "veiledning").amount_nok == 9_000


def test_an_expense_on_a_line_without_the_element_goes_to_the_doctors_line_with_it():
    # line 2 is annet kommunalt legearbeid: no praksiskompensasjon; the expense is the doctor's
    result = _run(line(**FIRST), line(**SECOND, role="annet_kommunalt", utgift_praksiskompensasjon="10000"))
    a, b = result.lines
    assert _el(a, "praksiskompensasjon").amount_nok == 10_000
    assert _el(a, "praksiskompensasjon").sharing.carried_by == "rad 2"
    assert "praksiskompensasjon" not in {e.element for e in b.elements}


def test_an_expense_no_line_can_use_is_named():
    (r,) = _run(line(grant_type="kun_veiledning", start="2025-06-01", end="2026-05-31",
                     utgift_praksiskompensasjon="5000")).lines
    assert any("praksiskompensasjon" in n and "ikke rett" in n for n in r.notes)


def test_an_expense_on_a_line_spanning_two_periods_needs_a_period():
    rec = line(start="2025-01-01", end="2025-12-31", utgift_veiledning="5000")
    result = compute([rec])
    (rej,) = result.rejections
    assert rej.column == "utgift_veiledning" and "--period" in rej.message and "2024-25" in rej.message
    assert not result.lines
    (r,) = compute([rec], period="2025-26").lines
    assert _el(r, "veiledning").amount_nok == 5_000


def test_a_line_spanning_two_periods_without_an_expense_is_still_split():
    result = compute([line(start="2025-01-01", end="2025-12-31")])
    assert [r.period for r in result.lines] == ["2024-25", "2025-26"]


def test_hours_and_expense_on_one_row_are_rejected_naming_both_columns():
    result = _run(line(grant_type="kun_veiledning", start="2025-06-01", end="2026-05-31",
                       veiledning_timer="10", utgift_veiledning="15000"))
    (rej,) = result.rejections
    assert rej.column == "veiledning_timer/utgift_veiledning" and rej.value == "10/15000"
    assert "«veiledning_timer»" in rej.message and "«utgift_veiledning»" in rej.message


def test_the_scope_is_data_line_scope_caps_each_line(tmp_path):
    """expense_scope: line in a copied table restores line-by-line caps: no code change."""
    rates = tmp_path / "rates"
    shutil.copytree(REPO / "rates", rates)
    path = rates / "2025-26.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  scope: doctor\n" in text
    path.write_text(text.replace("  scope: doctor\n", "  scope: line\n"), encoding="utf-8")
    book = RateBook.load(rates)
    engine = Engine(book, RuleBook.load(book))
    result = _run(line(**FIRST, utgift_veiledning="50000"), line(**SECOND, utgift_veiledning="50000"), engine=engine)
    assert not result.rejections
    a, b = result.lines
    assert (_el(a, "veiledning").amount_nok, _el(b, "veiledning").amount_nok) == (45_659, 19_024)


def test_largest_remainder_adds_up_and_breaks_ties_by_order():
    assert largest_remainder(21, [Decimal("10.5"), Decimal("10.5")]) == [11, 10]
    assert largest_remainder(3, [Decimal("1.2"), Decimal("1.3"), Decimal("0.5")]) == [1, 1, 1]
    assert largest_remainder(100, [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]) == [34, 33, 33]
    assert largest_remainder(0, [Decimal(0), Decimal(0)]) == [0, 0]


# --- properties ----------------------------------------------------------------------------

PERIOD_START, PERIOD_END = date(2025, 6, 1), date(2026, 5, 31)
shares = st.integers(min_value=2, max_value=100)


@st.composite
def doctors(draw):
    """One doctor, 1 to 3 consecutive lines in one municipality, one expense for one element."""
    n = draw(st.integers(min_value=1, max_value=3))
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=363), min_size=n - 1, max_size=n - 1, unique=True)))
    bounds = [PERIOD_START] + [PERIOD_START + timedelta(days=c) for c in cuts] + [PERIOD_END + timedelta(days=1)]
    kommune = draw(st.sampled_from(["0301", "1151", "4601"]))
    recs = []
    for a, b in zip(bounds, bounds[1:]):
        recs.append(line(alis_id="P", kommunenummer=kommune, start=a.isoformat(), end=(b - timedelta(days=1)).isoformat(),
                         grant_type=draw(st.sampled_from(["alis_avtale", "alis_avtale", "kun_veiledning"])),
                         role=draw(st.sampled_from(["fastlege", "introduksjonslege", "annet_kommunalt"])),
                         position_share=str(draw(shares))))
    element = draw(st.sampled_from(["praksiskompensasjon", "laeringsaktiviteter", "veiledning", "timer"]))
    if element == "timer":
        column, value = "veiledning_timer", str(draw(st.decimals(min_value=0, max_value=80, places=2)))
        element = "veiledning"
    else:
        column, value = f"utgift_{element}", str(draw(st.integers(min_value=0, max_value=200_000)))
    return recs, element, column, value


def _with_expense(recs, carrier, column, value):
    out = [dict(r) for r in recs]
    out[carrier][column] = value
    return out


@SETTINGS
@given(doctors(), st.data())
def test_refund_never_exceeds_expense_nor_maxima_and_lines_add_up(doctor, data):
    recs, element, column, value = doctor
    carrier = data.draw(st.integers(min_value=0, max_value=len(recs) - 1))
    result = _run(*_with_expense(recs, carrier, column, value))
    assert not result.rejections, result.rejections[0].text()
    having = [r for r in result.lines if element in {e.element for e in r.elements}]
    maxima = _run(*recs).lines
    max_by_row = {r.row: _el(r, element) for r in maxima if element in {e.element for e in r.elements}}
    assert {r.row for r in having} == set(max_by_row)
    if not having:
        return
    values = [_el(r, element) for r in having]
    expense = values[0].capped_by
    assert expense == (Decimal(value) * Decimal("1581.25") if column == "veiledning_timer" else Decimal(value))
    exact_total = sum((v.granted for v in values), Fraction(0))
    kroner_total = sum(v.amount_nok for v in values)
    sum_max = sum((m.maximum for m in max_by_row.values()), Fraction(0))
    assert exact_total <= expense and exact_total <= sum_max  # exact fractions: no tolerance
    assert kroner_total <= to_kroner(expense)
    assert kroner_total <= sum(m.amount_nok for m in max_by_row.values())  # never more than with no expense
    if values[0].sharing is not None:
        assert kroner_total == values[0].sharing.kroner_total  # the lines add up to the doctor's total
        assert kroner_total == min(to_kroner(min(expense, sum_max)), sum(m.amount_nok for m in max_by_row.values()))
    for r in result.lines:
        assert r.amount_nok == sum(e.amount_nok for e in r.elements)
        for e in r.elements:
            assert 0 <= e.granted <= e.maximum


@SETTINGS
@given(doctors(), st.data())
def test_refund_does_not_depend_on_which_line_carries_the_expense(doctor, data):
    recs, element, column, value = doctor
    k = len(recs)
    i, j = data.draw(st.integers(0, k - 1)), data.draw(st.integers(0, k - 1))
    a = _run(*_with_expense(recs, i, column, value))
    b = _run(*_with_expense(recs, j, column, value))
    assert [(r.row, r.amount_nok, [(e.element, e.amount_nok, e.granted) for e in r.elements]) for r in a.lines] == \
           [(r.row, r.amount_nok, [(e.element, e.amount_nok, e.granted) for e in r.elements]) for r in b.lines]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=100_000, places=4), min_size=1, max_size=5))
def test_largest_remainder_always_adds_up_and_stays_within_a_krone(parts):
    total = to_kroner(sum(parts, Decimal(0)))
    got = largest_remainder(total, parts)
    assert sum(got) == total
    for g, x in zip(got, parts):
        assert x - 1 < g < x + 1 or g == x


def test_an_expense_carried_by_a_line_without_the_element_is_exact():
    """Found by hypothesis: one line with the element, the expense on another line; the share
    must be the doctor's amount exactly (47), not 47 x m / m at 28 digits."""
    base = dict(alis_id="P", position_share="2")
    recs = [line(**base, grant_type="kun_veiledning", start="2025-06-01", end="2025-06-01"),
            line(**base, start="2025-06-02", end="2025-10-01"),
            line(**base, grant_type="kun_veiledning", start="2025-10-02", end="2026-05-31")]
    on_first = _run(*_with_expense(recs, 0, "utgift_laeringsaktiviteter", "47")).lines
    on_second = _run(*_with_expense(recs, 1, "utgift_laeringsaktiviteter", "47")).lines
    assert _el(on_first[1], "laeringsaktiviteter").granted == Decimal(47) == _el(on_second[1], "laeringsaktiviteter").granted
    assert [r.amount_nok for r in on_first] == [r.amount_nok for r in on_second]
    assert [e.granted for e in on_first[1].elements] == [e.granted for e in on_second[1].elements]
