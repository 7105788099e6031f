"""Headers as finance officers write them: every alias matched after folding, a
column that resembles a known one refused unless ignored on purpose, the officer's own columns
carried to the output beside their row."""
from __future__ import annotations

import pytest

from grants import compute
from grants.errors import InputFileError
from grants.pipeline.headers import field_of, looks_like_header, map_header, normalise, resembles
from grants.pipeline.inputs import HEADER_ALIASES, REQUIRED_COLUMNS

BASE = {"lege_id": "A", "kommunenr": "0301", "tilskuddstype": "alis_avtale", "rolle": "fastlege",
        "stillingsandel": "100", "fra": "01.09.2024", "til": "31.05.2025"}


@pytest.mark.parametrize("header, field", [
    ("Vikarbyrå (ja/nei)", "via_agency"),
    ("Ansatt i vikarbyrå", "via_agency"),
    ("VIKARBYRAA", "via_agency"),
    ("Privat kommersiell", "private_commercial"),
    ("Privat kommersiell aktør (ja/nei)", "private_commercial"),
    ("Ny ordning (ja/nei)", "new_scheme"),
    ("ALIS-avtale signert", "agreement_signed"),
    ("Første dato fastlege", "first_gp_date"),
    ("Forste dato fastlege", "first_gp_date"),
    ("Foerste dato fastlege", "first_gp_date"),
    ("Stillingsandel (%)", "position_share"),
    ("Utgift (veiledning)", "expense:veiledning"),
])
def test_ordinary_norwegian_headers_are_understood(header, field):
    assert field_of(header, ["veiledning"]) == field


@pytest.mark.parametrize("header, value", [
    ("Vikarbyrå (ja/nei)", "ja"), ("Ansatt i vikarbyrå", "ja"), ("Privat kommersiell", "ja"),
    ("Ny ordning (ja/nei)", "nei"),
])
def test_the_rule_a_norwegian_header_carries_is_applied(header, value):
    """These headers were listed as unused and the doctor paid in full (exit 0)."""
    result = compute([{**BASE, header: value}], period="2024-25")
    (r,) = result.lines
    assert r.status.value == "ineligible" and r.amount_nok == 0, r.reasons


def test_agreement_signed_header_clips_the_months():
    result = compute([{**BASE, "ALIS-avtale signert": "15.01.2025"}], period="2024-25")
    assert result.lines[0].whole_months == 4  # februar-mai 2025


@pytest.mark.parametrize("header", ["Ansatt hos vikarbyrå AS", "Sentralitet (fra tildelingsbrev) klasse",
                                    "Utgifter totalt", "Signert av", "Første arbeidsdag"])
def test_a_column_that_resembles_a_known_one_stops_the_run(header):
    with pytest.raises(InputFileError) as info:
        compute([{**BASE, header: "x"}], period="2024-25")
    # the library names its own way to leave a column out, not the command line's option
    assert f"«{header}»" in str(info.value) and f"ignore_columns=[{header!r}]" in str(info.value)
    assert "--ignore-column" not in str(info.value)


def test_ignore_column_keeps_it_out_on_purpose_and_carries_it():
    result = compute([{**BASE, "Ansatt hos vikarbyrå AS": "ja"}], period="2024-25",
                     ignore_columns=["Ansatt hos vikarbyrå AS"])
    assert result.lines[0].amount_nok > 0
    assert result.passthrough == {"Ansatt hos vikarbyrå AS": ["ja"]}


def test_ignoring_a_column_that_is_not_there_is_an_error():
    with pytest.raises(InputFileError, match="ikke finnes"):
        compute([BASE], period="2024-25", ignore_columns=["Vikarbyra typo"])


@pytest.mark.parametrize("header", ["Merknad om vikarbyrå", "Navn", "Kommentar", "Saksnr", "Kommune", "Legens navn"])
def test_free_text_columns_never_resemble(header):
    assert resembles(header) == [] or header in ("Kommune",)
    result = compute([{**BASE, header: "=1+1"}], period="2024-25")
    assert header in result.passthrough and result.passthrough[header] == ["=1+1"]


def test_own_columns_come_back_beside_their_row_and_a_clash_gets_a_suffix():
    rows = [{**BASE, "Navn": "Kari", "status": "mottatt"}, {**BASE, "lege_id": "B", "Navn": "Ola", "status": "ny",
                                                           "stillingsandel": "abc"}]
    result = compute(rows, period="2024-25")
    assert result.passthrough == {"Navn": ["Kari", "Ola"], "status (inndata)": ["mottatt", "ny"]}
    out = result.rows()
    assert [r["Navn"] for r in out] == ["Kari", "Ola"]  # the rejected row keeps its columns too
    assert [r["status"] for r in out] == ["ok", "rejected"]
    assert result.columns[-2:] == ["Navn", "status (inndata)"]


def test_alias_table_has_no_alias_with_two_meanings_and_required_fields_are_there():
    seen = {}
    for field, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            assert seen.setdefault(normalise(alias), field) == field, alias
    assert set(REQUIRED_COLUMNS) <= set(HEADER_ALIASES)


def test_header_recognition_for_a_title_line():
    assert looks_like_header(list(BASE))
    assert not looks_like_header(["Søknad om ALIS-tilskudd 2023", "", ""])
    assert map_header(list(BASE)).field_to_column["position_share"] == "stillingsandel"


def test_an_input_no_rule_of_the_period_uses_is_said_not_ignored():
    """privat kommersiell = ja in 2023 came out innvilget with an empty reason (user trial):
    the rule only exists from 2024-25."""
    rec = {**BASE, "fra": "01.10.2022", "til": "31.08.2023", "Privat kommersiell": "ja"}
    result = compute([rec], period="2023")
    (r,) = result.lines
    assert r.amount_nok == 275000
    assert any("privat kommersiell aktør = ja er oppgitt, men ingen regel i perioden 2023 bruker den" in n
               and "fra 2024-25" in n for n in r.notes)
    result = compute([{**BASE, "Privat kommersiell": "nei"}], period="2024-25")
    assert not any("privat kommersiell" in n for n in result.lines[0].notes)


def test_column_errors_carry_their_columns_for_other_front_ends():
    """The CLI's message is unchanged; the service words the remedy itself from the parts, and
    the errors survive pickling (worker processes)."""
    import pickle

    from grants.errors import ColumnChoiceError, UnknownIgnoredColumnError, cli_remedy

    with pytest.raises(ColumnChoiceError) as info:
        map_header(["lege_id", "kommunenr", "tilskuddstype", "rolle", "stillingsandel", "fra", "til", "Vikarbyrå AS nr"])
    exc = info.value
    assert exc.columns == ["Vikarbyrå AS nr"] and "compute(..., ignore_columns=['Vikarbyrå AS nr'])" in str(exc)
    assert "kjør med --ignore-column «Vikarbyrå AS nr»" in exc.worded(cli_remedy)
    assert "--ignore-column" not in exc.worded(lambda c: f"velg «{c}» i skjemaet") and "velg «Vikarbyrå AS nr»" in exc.worded(lambda c: f"velg «{c}» i skjemaet")
    assert str(pickle.loads(pickle.dumps(exc))) == str(exc)
    missing = UnknownIgnoredColumnError(["x"])
    assert str(missing).startswith("ignore_columns= nevner") and missing.worded("feltet y", "linjene").endswith("i linjene: «x»")
    assert str(pickle.loads(pickle.dumps(missing))) == str(missing)


def test_the_command_line_names_its_option_for_a_column_that_resembles_a_header(tmp_path, capsys):
    from grants.cli import main

    path = tmp_path / "s.csv"
    path.write_text("lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til;Ansatt hos vikarbyrå AS\n"
                    "A1;0301;alis_avtale;fastlege;100;01.10.2022;31.08.2023;ja\n", encoding="utf-8")
    assert main(["compute", str(path), "--period", "2023"]) == 2
    err = capsys.readouterr().err
    assert "kjør med --ignore-column «Ansatt hos vikarbyrå AS»" in err and "ignore_columns=" not in err
    assert main(["compute", str(path), "--period", "2023", "--ignore-column", "Ansatt hos vikarbyrå AS",
                 "--ignore-column", "finnes ikke"]) == 2
    err = capsys.readouterr().err
    assert "--ignore-column nevner en kolonne som ikke finnes" in err and "ignore_columns=" not in err


def test_a_name_column_called_kommune_is_carried_and_klasse_must_be_named():
    """`kommune` (a name) and `type` are the officer's own columns; `klasse` resembles the
    centrality class, which would change money: it stops the run unless ignored on purpose."""
    rec = {"lege_id": "A", "kommunenr": "0301", "kommune": "Oslo", "klasse": "6", "tilskuddstype": "alis_avtale",
           "rolle": "fastlege", "stillingsandel": "100", "fra": "01.10.2022", "til": "31.08.2023", "type": "x"}
    with pytest.raises(InputFileError, match="«klasse».*sentralitetsklasse"):
        compute([rec], period="2023")
    result = compute([rec], period="2023", ignore_columns=["klasse"])
    assert not result.rejections
    assert result.lines[0].centrality_class == 1 and result.lines[0].amount_nok == 275000
    assert result.ignored_columns == ("klasse",)
    assert result.passthrough == {"kommune": ["Oslo"], "klasse": ["6"], "type": ["x"]}
