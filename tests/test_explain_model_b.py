"""`alis-grant explain` on model B (the element-based refund of 2025-26), on the shipped
example fixtures/examples/soknad_2025-26.csv: the elements, their caps and their amounts."""
from __future__ import annotations

import pytest

from grants.cli import main
from grants.commands._common import load_input
from grants.money import format_nok
from tests.conftest import FIXTURES

EXAMPLE = FIXTURES / "examples" / "soknad_2025-26.csv"
ALL = ["praksiskompensasjon", "laeringsaktiviteter", "produktivitet", "veiledning", "sentralitetstillegg",
       "tilrettelegging"]
EXPENSE_CAP = "tak: det laveste av maksimum og dokumenterte utgifter"
APPLIED_CAP = "tak: det laveste av maksimum og søkt beløp"


def explain(capsys, row: int) -> str:
    code = main(["explain", str(EXAMPLE), "--row", str(row), "--period", "2025-26"])
    out, _ = capsys.readouterr()
    assert code == 0, out
    return out


def computed(engine, row: int):
    result = engine.compute(load_input(str(EXAMPLE)).lines, "2025-26")
    return result.line(row, "2025-26")


def block(text: str, name: str) -> str:
    """The lines of one element, from «[name]» to the next element or the line's total."""
    calc = text[text.index("Beregning:"):]
    start = calc.index(f"[{name}]")
    ends = [i for i in (calc.find("\n  • ", start), calc.find("\n  Tilskudd:", start)) if i > 0]
    return calc[start:min(ends)]


@pytest.mark.parametrize("row,elements,total", [
    (1, ALL, 580_433),  # Utsira, class 6, newly qualified fastlege: every element at its maximum
    (3, ["veiledning"], 91_317),  # kun veiledning: the one element
    # annet kommunalt: no practice compensation; 14 000 + 91 317 + 5 % of 105 317,1875 (5 266)
    (4, ["laeringsaktiviteter", "veiledning", "tilrettelegging"], 110_583),
    (6, ["praksiskompensasjon", "laeringsaktiviteter", "veiledning", "tilrettelegging"], 172_200),  # refund
])
def test_explain_shows_the_elements_and_the_amounts_of_the_line(capsys, engine, row, elements, total):
    text = explain(capsys, row)
    assert text.startswith("ADVARSEL") and "FORELØPIGE" in text
    calc = text[text.index("Beregning:"):]
    assert [name for name in ALL if f"[{name}]" in calc] == elements
    line = computed(engine, row)
    assert [e.element for e in line.elements] == elements  # what the engine computed, in its order
    assert line.amount_nok == total
    for e in line.elements:
        assert f"→ {format_nok(e.amount_nok)} (avrundet halvt opp" in block(text, e.element), e.element
    assert f"Tilskudd: {format_nok(total)} (summen av de avrundede elementene)" in text
    assert text.rstrip().endswith(f"Sum for raden: {format_nok(total)}")


def test_explain_shows_the_caps_expenses_and_the_maxima(capsys):
    text = explain(capsys, 6)  # expenses 100 000 for practice compensation and 50 000 for supervision
    assert "refusjon av dokumenterte utgifter" in text
    practice = block(text, "praksiskompensasjon")
    assert "= 132 000 kr × 100 % × 12/12 = 132 000 kr" in practice
    assert f"{EXPENSE_CAP} (oppgitte utgifter 100 000 kr)" in practice and "→ 100 000 kr" in practice
    supervision = block(text, "veiledning")
    assert "1375 (timesats) × 1,15" in supervision and f"{EXPENSE_CAP} (oppgitte utgifter 50 000 kr)" in supervision
    assert "ingen utgiftstak: maksimum gis" in block(text, "tilrettelegging")
    assert "= 0,05 × (praksiskompensasjon + laeringsaktiviteter + produktivitet + veiledning: 164 000 kr, uavrundet) = 8 200 kr" in block(text, "tilrettelegging")  # 5 % of the granted sum
    assert "produktivitetstillegg er ikke beregnet" in text  # first day as fastlege not given


def test_explain_shows_the_applied_amount_and_the_productivity_window(capsys, engine):
    text = explain(capsys, 7)  # sentralitetstillegg applied for: 150 000 of a 200 000 maximum
    supplement = block(text, "sentralitetstillegg")
    assert "= 200 000 kr × 100 % × 12/12 = 200 000 kr" in supplement
    assert f"{APPLIED_CAP} (søkt 150 000 kr)" in supplement
    assert "→ 150 000 kr" in supplement
    assert next(e for e in computed(engine, 7).elements if e.element == "sentralitetstillegg").amount_nok == 150_000
    window = block(explain(capsys, 5), "produktivitet")  # first day as fastlege 01.12.2023
    # 24 months from 01.12.2023 end 30.11.2025: June-November 2025 are 6 of the period's months
    assert "bare innenfor 01.12.2023–30.11.2025 (fra første dag som fastlege/vikar): 6 hele måneder" in window
    assert "= 125 000 kr × 100 % × 6/12 = 62 500 kr" in window and "→ 62 500 kr" in window
