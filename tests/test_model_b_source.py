"""Model B against the only source's published expectations (docs/DOMAIN.md §6).

The source is a third-party municipal prototype of the 2025/26 rules. Its newest version's
calculation tests give the figures below (facts only: inputs and figures). The source never
rounds; this engine publishes whole kroner per element, half up (DOMAIN.md §8), so each test
checks the exact amount before rounding and the whole kroner after.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from grants import compute
from grants.money import to_kroner
from tests.conftest import line

FULL_YEAR = dict(start="2025-06-01", end="2026-05-31", position_share="100")


def _element(rec, name):
    result = compute([rec], period="2025-26")
    assert not result.rejections, result.rejections[0].text()
    (r,) = result.lines
    return {e.element: e for e in r.elements}[name], r


# --- veiledning documented as supervision hours ------------------------------------------
# Source: the prototype's newest version, "Supervision is documented in hours" (the prototype's newest version):
# 1,375 kr x 1.15 = 1,581.25 kr an hour; 10 hours give 15,812.50 kr; 60 hours give 94,875 kr,
# capped at the maximum 91,317.1875 (DOMAIN.md §6: 1 375 x 1.15 x 57.75 h).


def test_ten_supervision_hours_give_15_812_50():
    e, r = _element(line(grant_type="kun_veiledning", veiledning_timer="10", **FULL_YEAR), "veiledning")
    assert e.hourly_rate == Decimal("1581.25")
    assert e.hours * e.hourly_rate == Decimal("15812.50")
    assert e.granted == Decimal("15812.50")
    assert e.amount_nok == 15813  # half up
    assert r.amount_nok == 15813 and r.basis == "refusjon"


def test_sixty_supervision_hours_give_94_875_capped_at_91_317_1875():
    e, _ = _element(line(grant_type="kun_veiledning", veiledning_timer="60", **FULL_YEAR), "veiledning")
    assert e.capped_by == Decimal("94875")
    assert e.maximum == Decimal("91317.1875")
    assert e.granted == Decimal("91317.1875")
    assert e.amount_nok == 91317


def test_the_hourly_rate_is_the_rate_tables_not_a_constant(engine):
    """The hourly supervision rate is the product of the table's parameters (data)."""
    table = engine.ratebook.get("2025-26")
    spec = table.element("veiledning")
    assert spec.expense_from_hours == ["hourly_rate", "supervision_rate_factor"]
    assert table.product(spec.expense_from_hours) == Decimal("1581.25")
    assert spec.cap_source in {s.id for s in table.sources}


# --- produktivitet capped by the amount applied for --------------------------------------
# Source: the prototype's newest version, "Produktivitet can be applied for": 0 applied gives 0, 10,000 gives 10,000,
# 200,000 gives the 125,000 maximum (a full year at 100 % inside the 24-month window).


@pytest.mark.parametrize("applied,expected", [("0", 0), ("10000", 10_000), ("200000", 125_000)])
def test_produktivitet_is_capped_by_the_amount_applied_for(applied, expected):
    e, r = _element(line(first_gp_date="2025-06-01", produktivitet_sokt=applied, **FULL_YEAR), "produktivitet")
    assert e.maximum == Decimal(125_000)
    assert e.cap == "applied" and e.capped_by == Decimal(applied)
    assert e.amount_nok == expected
    assert any("søkt beløp" in n for n in r.notes)


def test_produktivitet_without_an_amount_applied_for_is_its_maximum():
    e, _ = _element(line(first_gp_date="2025-06-01", **FULL_YEAR), "produktivitet")
    assert e.capped_by is None and e.amount_nok == 125_000


@pytest.mark.parametrize("header", ["produktivitet_sokt", "søkt_produktivitet", "productivity_applied",
                                    "Produktivitetstillegg søkt"])
def test_produktivitet_applied_header_aliases(header):
    e, _ = _element(line(first_gp_date="2025-06-01", **{header: "10 000"}, **FULL_YEAR), "produktivitet")
    assert e.amount_nok == 10_000


@pytest.mark.parametrize("header", ["veiledning_timer", "veiledningstimer", "supervision_hours", "Timer veiledning"])
def test_supervision_hours_header_aliases(header):
    e, _ = _element(line(grant_type="kun_veiledning", **{header: "10,0"}, **FULL_YEAR), "veiledning")
    assert e.amount_nok == 15813


def test_tilrettelegging_is_five_percent_of_the_unrounded_elements_as_granted_with_hours():
    # praksiskompensasjon 132 000 + læringsaktiviteter 14 000 + veiledning 10 h = 15 812.50
    e, r = _element(line(veiledning_timer="10", **FULL_YEAR), "tilrettelegging")
    assert e.base == Decimal(132_000) + Decimal(14_000) + Decimal("15812.50")
    assert e.granted == Decimal("8090.625") and e.amount_nok == 8091


# --- sentralitetstillegg: class 6 only --------------------------------------------------
# DOMAIN.md §1 and §6: the supplement is for ALIS-avtale in SSB centrality class 6 only.
# Changing the rule (rules/elements.yaml, element.sentralitetstillegg) to `gte: 5` fails this.


@pytest.mark.parametrize("cls,gets_it", [(4, False), (5, False), (6, True)])
def test_sentralitetstillegg_is_for_class_6_and_not_class_5(cls, gets_it):
    result = compute([line(centrality_class=str(cls), sentralitetstillegg_sokt="150000", **FULL_YEAR)], period="2025-26")
    (r,) = result.lines
    got = {e.element: e for e in r.elements}
    assert ("sentralitetstillegg" in got) is gets_it
    if gets_it:
        assert got["sentralitetstillegg"].amount_nok == 150_000
    else:
        assert any("søkt sentralitetstillegg brukes ikke" in n for n in r.notes)


def test_sentralitetstillegg_boundary_from_ssb_class_of_the_municipality():
    # 1151 Utsira is class 6, 0301 Oslo class 1 (fixtures/centrality, SSB 2024)
    six = compute([line(kommunenummer="1151", **FULL_YEAR)], period="2025-26").lines[0]
    one = compute([line(kommunenummer="0301", **FULL_YEAR)], period="2025-26").lines[0]
    assert "sentralitetstillegg" in {e.element for e in six.elements}
    assert "sentralitetstillegg" not in {e.element for e in one.elements}
    assert to_kroner(Decimal(200_000)) == {e.element: e.amount_nok for e in six.elements}["sentralitetstillegg"]
