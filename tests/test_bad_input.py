"""Bad input through the Python API: every bad row is rejected with row, column (as the user
wrote it) and value, the good rows of the same batch are still computed, and nothing is
dropped. Broken rate tables and rules files stop the run with an error naming file and key.

Amounts are worked out by hand from DOMAIN.md §4 (illustrative rates):
    amount = annual_rate × share × whole_months / 12, rounded half up once per line.
"""
from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grants
from grants import Engine, InputFileError, RateTableError, RulesError, UnknownPeriodError
from grants.rates.tables import RateBook, load_rate_table
from grants.rules.rulebook import RuleBook
from tests.conftest import REPO, line, shipped_book

# A good line: Oslo (0301, class 1), ALIS-avtale, fastlege, 100 %, 01.10.2022–31.08.2023.
# Period 2023 (01.10.2022–31.08.2023): October 2022 .. August 2023 = 11 whole months.
# 300 000 × 1.00 × 11/12 = 275 000 kr.
GOOD_AMOUNT = 275_000

# Norwegian header -> English header, to run every case in both languages.
NB_TO_EN = {
    "lege_id": "alis_id",
    "kommunenr": "kommunenummer",
    "tilskuddstype": "grant_type",
    "rolle": "role",
    "stillingsandel": "position_share",
    "fra": "start",
    "til": "end",
    "vikarbyrå": "via_agency",
}


def nb_line(**overrides):
    """A valid line with the Norwegian headers a finance officer writes."""
    base = {
        "lege_id": "NB1",
        "kommunenr": "0301",
        "tilskuddstype": "ALIS-avtale",
        "rolle": "fastlege",
        "stillingsandel": "100",
        "fra": "01.10.2022",
        "til": "31.08.2023",
    }
    base.update(overrides)
    return base


def to_english(record):
    return {NB_TO_EN[k]: v for k, v in record.items()}


def assert_conserved(result, n_rows):
    computed = {l.row for l in result.lines}
    rejected = [r.row for r in result.rejections]
    assert len(rejected) == len(set(rejected)), "a row was rejected twice"
    assert not computed & set(rejected), "a row was both computed and rejected"
    assert len(result.rejections) + len(computed) == n_rows
    assert computed | set(rejected) == set(range(1, n_rows + 1))
    assert result.input_rows == n_rows


# --- one bad row between two good rows ------------------------------------------------------

# (id, overrides in Norwegian, column (Norwegian name), value as written, message fragment)
BAD_ROWS = [
    ("unknown role", {"rolle": "kirurg"}, "rolle", "kirurg", "ukjent rolle"),
    ("unknown grant type", {"tilskuddstype": "stipend"}, "tilskuddstype", "stipend", "ukjent tilskuddstype"),
    ("share 0", {"stillingsandel": "0"}, "stillingsandel", "0", "må være over 0 og høyst 100"),
    ("share negative", {"stillingsandel": "-10"}, "stillingsandel", "-10", "må være over 0 og høyst 100"),
    ("share above 100", {"stillingsandel": "101"}, "stillingsandel", "101", "må være over 0 og høyst 100"),
    ("share 100,5 %", {"stillingsandel": "100,5 %"}, "stillingsandel", "100,5 %", "må være over 0 og høyst 100"),
    ("share as text", {"stillingsandel": "mye"}, "stillingsandel", "mye", "er ikke en stillingsandel"),
    ("end before start", {"fra": "01.05.2023", "til": "01.04.2023"}, "til", "01.04.2023", "før startdato"),
    ("date that does not exist", {"fra": "31.02.2023"}, "fra", "31.02.2023", "finnes ikke"),
    ("ISO date that does not exist", {"til": "2023-02-29"}, "til", "2023-02-29", "finnes ikke"),
    ("not a date", {"fra": "snart"}, "fra", "snart", "er ikke en dato"),
    ("municipality not four digits", {"kommunenr": "03010"}, "kommunenr", "03010", "er ikke et kommunenummer"),
    ("missing role (empty)", {"rolle": ""}, "rolle", None, "mangler verdi"),
    ("missing role (blank)", {"rolle": "   "}, "rolle", None, "mangler verdi"),
    ("missing role (None)", {"rolle": None}, "rolle", None, "mangler verdi"),
    ("missing start", {"fra": None}, "fra", None, "mangler verdi"),
    ("bad boolean", {"vikarbyrå": "kanskje"}, "vikarbyrå", "kanskje", "er ikke ja eller nei"),
    ("boolean as number 2", {"vikarbyrå": "2"}, "vikarbyrå", "2", "er ikke ja eller nei"),
]


def _batch(bad):
    return [nb_line(lege_id="G1"), nb_line(lege_id="BAD", **bad), nb_line(lege_id="G3")]


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("case", BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_bad_row_is_rejected_with_row_column_value_and_good_rows_are_computed(case, language):
    _, bad, column, value, fragment = case
    rows = _batch(bad)
    if language == "en":
        rows = [to_english(r) for r in rows]
        column = NB_TO_EN[column]
    result = grants.compute(rows, period="2023")

    assert len(result.rejections) == 1
    rej = result.rejections[0]
    assert rej.row == 2  # 1-based data row
    assert rej.column == column
    assert rej.value == value
    assert fragment in rej.message
    assert rej.alis_id == "BAD"
    text = rej.text()
    assert text.startswith("rad 2, ")
    assert f"kolonne «{column}»" in text
    if value is not None:
        assert f"«{value}»" in text

    assert [(l.row, l.alis_id, l.whole_months, l.amount_nok) for l in result.lines] == [
        (1, "G1", 11, GOOD_AMOUNT),
        (3, "G3", 11, GOOD_AMOUNT),
    ]
    assert result.total_nok == 2 * GOOD_AMOUNT
    assert_conserved(result, 3)


def test_unknown_municipality_is_rejected_and_others_computed():
    rows = [line(alis_id="G1"), line(alis_id="BAD", kommunenummer="9999"), line(alis_id="G3")]
    result = grants.compute(rows, period="2023")
    (rej,) = result.rejections
    assert (rej.row, rej.column, rej.value) == (2, "kommunenummer", "9999")
    assert "ukjent kommunenummer" in rej.message
    assert [l.row for l in result.lines] == [1, 3]
    assert result.total_nok == 2 * GOOD_AMOUNT


def test_unknown_municipality_names_the_norwegian_column():
    result = grants.compute([nb_line(lege_id="G1"), nb_line(lege_id="BAD", kommunenr="9999")], period="2023")
    (rej,) = result.rejections
    assert (rej.row, rej.value) == (2, "9999")
    assert rej.column == "kommunenr"
    assert "kolonne «kommunenr»" in rej.text()


def test_line_outside_every_period_names_the_users_columns():
    result = grants.compute([nb_line(lege_id="OLD", fra="01.01.2019", til="31.12.2019")])
    (rej,) = result.rejections
    assert rej.row == 1
    assert rej.column == "fra/til"
    assert rej.value == "01.01.2019–31.12.2019"


def test_line_outside_every_period_is_rejected_not_dropped():
    rows = [line(alis_id="OLD", start="2019-01-01", end="2019-12-31"), line(alis_id="G2")]
    result = grants.compute(rows)  # no period: split by the periods the line touches
    (rej,) = result.rejections
    assert rej.row == 1
    assert "ingen satstabell dekker tidsrommet" in rej.message
    # Row 2 (01.10.2022–31.08.2023) touches period 2022 only on the day 2022 and 2023 share:
    # that day is counted once, in 2023, so no empty 2022 line appears.
    assert [(l.row, l.period, l.whole_months, l.amount_nok) for l in result.lines] == [
        (2, "2023", 11, GOOD_AMOUNT),
    ]


# --- shares written in different ways -------------------------------------------------------


@pytest.mark.parametrize(
    "share, expected_share, amount",
    [
        ("80 %", Decimal("80"), 220_000),  # 300 000 × 0.80 × 11/12 = 220 000
        ("80%", Decimal("80"), 220_000),
        ("80\u00a0%", Decimal("80"), 220_000),  # non-breaking space from Excel
        ("80,5", Decimal("80.5"), 221_375),  # 300 000 × 0.805 × 11/12 = 221 375
        ("80.5", Decimal("80.5"), 221_375),
        (80, Decimal("80"), 220_000),
        (80.5, Decimal("80.5"), 221_375),
        ("100", Decimal("100"), 275_000),  # 300 000 × 1.00 × 11/12 = 275 000
        ("12,5 %", Decimal("12.5"), 34_375),  # 300 000 × 0.125 × 11/12 = 34 375
    ],
)
def test_share_formats_are_accepted(share, expected_share, amount):
    result = grants.compute([nb_line(stillingsandel=share)], period="2023")
    assert result.rejections == []
    (res,) = result.lines
    assert res.line.position_share == expected_share
    assert res.whole_months == 11
    assert res.amount_nok == amount


# --- overlapping lines of one doctor --------------------------------------------------------


def test_overlapping_lines_above_100_percent_reject_both_naming_each_other():
    rows = [
        line(alis_id="OTHER"),
        line(alis_id="D1", position_share="60"),  # row 2: 01.10.2022–31.08.2023
        line(alis_id="D1", position_share="50", start="2023-01-01"),  # row 3: overlaps from January
    ]
    result = grants.compute(rows, period="2023")
    by_row = {r.row: r for r in result.rejections}
    assert sorted(by_row) == [2, 3]
    assert "rad 3" in by_row[2].message and "rad 2" not in by_row[2].message
    assert "rad 2" in by_row[3].message and "rad 3" not in by_row[3].message
    for rej in by_row.values():
        assert "over 100 %" in rej.message
        assert rej.alis_id == "D1"
        assert rej.column == "position_share"
    assert by_row[2].value == "60" and by_row[3].value == "50"
    assert [(l.row, l.amount_nok) for l in result.lines] == [(1, GOOD_AMOUNT)]
    assert_conserved(result, 3)


def test_overlap_rejection_names_the_norwegian_column():
    rows = [
        nb_line(lege_id="D1", stillingsandel="60 %"),
        nb_line(lege_id="D1", stillingsandel="50 %", fra="01.01.2023"),
    ]
    result = grants.compute(rows, period="2023")
    assert [r.row for r in result.rejections] == [1, 2]
    for rej in result.rejections:
        assert rej.column == "stillingsandel"
        assert "kolonne «stillingsandel»" in rej.text()


def test_overlap_on_a_single_shared_day_is_an_overlap():
    rows = [
        line(alis_id="D1", position_share="60", end="2023-01-31"),
        line(alis_id="D1", position_share="50", start="2023-01-31"),
    ]
    result = grants.compute(rows, period="2023")
    assert [r.row for r in result.rejections] == [1, 2]
    assert result.lines == []


def test_adjacent_lines_do_not_overlap():
    rows = [
        # 60 %, October 2022 .. January 2023 = 4 months: 300 000 × 0.60 × 4/12 = 60 000
        line(alis_id="D1", position_share="60", end="2023-01-31"),
        # 50 %, February .. August 2023 = 7 months: 300 000 × 0.50 × 7/12 = 87 500
        line(alis_id="D1", position_share="50", start="2023-02-01"),
    ]
    result = grants.compute(rows, period="2023")
    assert result.rejections == []
    assert [(l.row, l.whole_months, l.amount_nok) for l in result.lines] == [(1, 4, 60_000), (2, 7, 87_500)]


def test_overlapping_lines_summing_to_exactly_100_percent_are_fine():
    rows = [
        # 60 %, 11 months: 300 000 × 0.60 × 11/12 = 165 000
        nb_line(lege_id="D1", stillingsandel="60 %"),
        # 40 %, January .. August 2023 = 8 months: 300 000 × 0.40 × 8/12 = 80 000
        nb_line(lege_id="D1", stillingsandel="40", fra="01.01.2023"),
    ]
    result = grants.compute(rows, period="2023")
    assert result.rejections == []
    assert [(l.row, l.whole_months, l.amount_nok) for l in result.lines] == [(1, 11, 165_000), (2, 8, 80_000)]
    assert result.total_nok == 245_000


def test_overlap_names_every_row_it_collides_with():
    rows = [
        line(alis_id="D1", position_share="60", end="2022-12-31"),  # row 1: Oct–Dec
        line(alis_id="D1", position_share="60", start="2023-01-01"),  # row 2: Jan–Aug (adjacent to row 1)
        line(alis_id="D1", position_share="50"),  # row 3: whole period, collides with both
    ]
    result = grants.compute(rows, period="2023")
    by_row = {r.row: r.message for r in result.rejections}
    assert sorted(by_row) == [1, 2, 3]
    assert "rad 3" in by_row[1] and "rad 2" not in by_row[1]
    assert "rad 3" in by_row[2] and "rad 1" not in by_row[2]
    assert "rad 1 (60 %), rad 2 (60 %)" in by_row[3]
    # the days and the shares are named: 50 + 60 over Oct–Dec
    assert "01.10.2022–31.12.2022" in by_row[3] and "50 %" in by_row[3] and "110 %" in by_row[3]


def test_shares_are_compared_exactly_in_the_overlap_check():
    """60.009 % + 40.009 % passed (the check truncated the shares) and both were paid; now a
    share has at most two decimals and the sum is exact."""
    rows = [line(alis_id="D1", position_share="60"), line(alis_id="D1", position_share="40")]
    assert grants.compute(rows, period="2023").rejections == []
    rows = [line(alis_id="D1", position_share="60,01"), line(alis_id="D1", position_share="40")]
    result = grants.compute(rows, period="2023")
    assert len(result.rejections) == 2 and result.total_nok == 0
    assert "100,01 %" in result.rejections[0].message
    rows = [line(alis_id="D1", position_share="60.009"), line(alis_id="D1", position_share="40.009")]
    result = grants.compute(rows, period="2023")
    assert result.total_nok == 0 and all("høyst to desimaler" in r.message for r in result.rejections)


def test_different_doctors_never_overlap():
    rows = [line(alis_id="D1", position_share="60"), line(alis_id="D2", position_share="60")]
    result = grants.compute(rows, period="2023")
    assert result.rejections == []
    # 300 000 × 0.60 × 11/12 = 165 000 each
    assert [l.amount_nok for l in result.lines] == [165_000, 165_000]


# --- file-level problems ---------------------------------------------------------------------


@pytest.mark.parametrize("period", ["2030", "2023/24", "2099-00", ""])
def test_unknown_period_raises(period):
    with pytest.raises(UnknownPeriodError) as info:
        grants.compute([line()], period=period)
    assert f"«{period}»" in str(info.value)
    assert "2023-24" in str(info.value)  # lists the known periods


def test_unknown_period_is_a_grants_error_not_a_key_error():
    with pytest.raises(grants.GrantsError):
        grants.compute([line()], period="1999")


@pytest.mark.parametrize("missing", ["stillingsandel", "rolle", "fra", "kommunenr"])
def test_missing_required_column_raises_input_file_error_naming_it(missing):
    rows = [{k: v for k, v in nb_line().items() if k != missing}]
    with pytest.raises(InputFileError) as info:
        grants.compute(rows, period="2023")
    msg = str(info.value)
    assert NB_TO_EN[missing] in msg
    assert missing in msg  # the Norwegian alias is shown as an example


def test_missing_required_column_in_a_dataframe():
    df = pd.DataFrame([nb_line()]).drop(columns=["til"])
    with pytest.raises(InputFileError, match="end"):
        grants.compute(df, period="2023")


@pytest.mark.parametrize(
    "first, second",
    [("stillingsandel", "position_share"), ("rolle", "role"), ("kommunenr", "kommunenummer"), ("fra", "fom")],
)
def test_two_headers_with_one_meaning_raise(first, second):
    rec = nb_line()
    rec[second] = rec[first] if first in rec else "x"
    with pytest.raises(InputFileError) as info:
        grants.compute([rec], period="2023")
    assert f"«{first}»" in str(info.value) and f"«{second}»" in str(info.value)


def test_two_headers_with_one_meaning_in_a_dataframe():
    df = pd.DataFrame([dict(nb_line(), position_share="100")])
    with pytest.raises(InputFileError, match="stillingsandel"):
        grants.compute(df, period="2023")


# --- booleans -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["ja", "Ja", "JA", "yes", "Yes", "j", "y", "true", True, "1"])
def test_via_agency_yes_values_make_the_line_ineligible_in_2023(value):
    result = grants.compute([nb_line(vikarbyrå=value)], period="2023")
    assert result.rejections == []
    (res,) = result.lines
    assert res.line.via_agency is True
    assert res.status == grants.Status.INELIGIBLE
    assert res.amount_nok == 0
    assert "eligibility.via_agency" in res.rule_ids


@pytest.mark.parametrize("value", ["nei", "Nei", "NEI", "no", "No", "n", "false", False, "0", "", None])
def test_via_agency_no_values_are_accepted(value):
    result = grants.compute([nb_line(vikarbyrå=value)], period="2023")
    assert result.rejections == []
    (res,) = result.lines
    assert res.line.via_agency is False
    assert res.status == grants.Status.OK
    assert res.amount_nok == GOOD_AMOUNT


@pytest.mark.parametrize("column", ["via_agency", "private_commercial", "new_scheme"])
@pytest.mark.parametrize("value", ["kanskje", "2", "jaa", "?"])
def test_bad_boolean_is_rejected(column, value):
    result = grants.compute([line(alis_id="G1"), line(alis_id="B", **{column: value})], period="2023")
    (rej,) = result.rejections
    assert (rej.row, rej.column, rej.value) == (2, column, value)
    assert "ja eller nei" in rej.message
    assert [l.row for l in result.lines] == [1]


# --- a DataFrame with many bad rows ---------------------------------------------------------


def test_dataframe_batch_rejects_each_bad_row_and_computes_the_rest():
    ts = pd.Timestamp
    df = pd.DataFrame([
        # row 1: good. kommunenr read by pandas as the integer 301 must still be Oslo 0301.
        {"lege_id": "A", "kommunenr": 301, "tilskuddstype": "ALIS-avtale", "rolle": "fastlege",
         "stillingsandel": 80.0, "fra": ts("2022-10-01"), "til": ts("2023-08-31"), "vikarbyrå": "nei"},
        # row 2: empty share (NaN)
        {"lege_id": "B", "kommunenr": 301, "tilskuddstype": "ALIS-avtale", "rolle": "fastlege",
         "stillingsandel": float("nan"), "fra": ts("2022-10-01"), "til": ts("2023-08-31"), "vikarbyrå": "nei"},
        # row 3: missing end date (NaT)
        {"lege_id": "C", "kommunenr": 301, "tilskuddstype": "ALIS-avtale", "rolle": "fastlege",
         "stillingsandel": 50, "fra": ts("2022-10-01"), "til": pd.NaT, "vikarbyrå": "nei"},
        # row 4: unknown role
        {"lege_id": "D", "kommunenr": 3401, "tilskuddstype": "ALIS-avtale", "rolle": "tannlege",
         "stillingsandel": 50, "fra": ts("2022-10-01"), "til": ts("2023-08-31"), "vikarbyrå": "nei"},
        # row 5: good, Tjeldsund (5412, class 6), 50 %: 380 000 × 0.50 × 11/12 = 174 166.67 -> 174 167
        {"lege_id": "E", "kommunenr": 5412, "tilskuddstype": "ALIS-avtale", "rolle": "fastlege",
         "stillingsandel": 50, "fra": ts("2022-10-01"), "til": ts("2023-08-31"), "vikarbyrå": float("nan")},
        # row 6: bad boolean
        {"lege_id": "F", "kommunenr": 301, "tilskuddstype": "ALIS-avtale", "rolle": "fastlege",
         "stillingsandel": 50, "fra": ts("2022-10-01"), "til": ts("2023-08-31"), "vikarbyrå": "ja-ish"},
    ])
    result = grants.compute(df, period="2023")
    got = {r.row: (r.column, r.value) for r in result.rejections}
    assert got == {2: ("stillingsandel", None), 3: ("til", None), 4: ("rolle", "tannlege"), 6: ("vikarbyrå", "ja-ish")}
    # row 1: 300 000 × 0.80 × 11/12 = 220 000
    assert [(l.row, l.kommunenummer, l.centrality_class, l.amount_nok) for l in result.lines] == [
        (1, "0301", 1, 220_000),
        (5, "5412", 6, 174_167),
    ]
    assert_conserved(result, 6)


# --- nothing is dropped ---------------------------------------------------------------------


def _mixed_batch():
    return [
        line(alis_id="A"),
        line(alis_id="B", role="kirurg"),
        line(alis_id="C", position_share="mye"),
        line(alis_id="D", kommunenummer="9999"),
        line(alis_id="E", start="31.02.2023"),
        line(alis_id="F", position_share="60"),
        line(alis_id="F", position_share="60", start="2023-01-01"),
        line(alis_id="G", start="2022-09-01", end="2023-12-31"),  # split over 3 periods without --period
        line(alis_id="H", via_agency="ja"),
        line(alis_id="I", start="2019-01-01", end="2019-06-30"),  # outside every period
        line(alis_id="J", kommunenummer="1508"),  # Ålesund, 2024 code
        line(alis_id="K", end=None),
    ]


@pytest.mark.parametrize("period", ["2023", None])
def test_nothing_is_dropped_in_a_mixed_batch(period):
    rows = _mixed_batch()
    result = grants.compute(rows, period=period)
    assert_conserved(result, len(rows))
    rejected = {r.row for r in result.rejections}
    assert {2, 3, 4, 5, 6, 7, 12} <= rejected
    assert {1, 8, 9, 11} <= {l.row for l in result.lines}
    if period is None:
        assert [l.period for l in result.lines if l.row == 8] == ["2022", "2023", "2023-24"]
        assert 10 in rejected


_VALUES = {
    "alis_id": st.sampled_from(["A", "B", "C", "", None]),
    "kommunenummer": st.sampled_from(["0301", "5412", "3401", "1508", "9999", "abc", ""]),
    "grant_type": st.sampled_from(["alis_avtale", "kun veiledning", "ALIS-avtale", "stipend", None]),
    "role": st.sampled_from(["fastlege", "fastlegevikar", "introduksjonslege", "annet kommunalt legearbeid", "kirurg", ""]),
    "position_share": st.sampled_from(["100", "80 %", "50,5", 40, "0", "-5", "101", "mye", None]),
    "start": st.sampled_from(["2022-01-15", "01.10.2022", "2023-03-01", "2024-09-01", "31.02.2023", "snart", "2019-01-01"]),
    "end": st.sampled_from(["2022-06-30", "31.08.2023", "2023-12-31", "2025-05-31", "2022-13-01", ""]),
    "via_agency": st.sampled_from(["ja", "nei", "yes", "no", "kanskje", None]),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.fixed_dictionaries(_VALUES), min_size=1, max_size=12),
    period=st.sampled_from([None, "2022", "2023", "2023-24", "2024-25"]),
)
def test_property_every_row_is_computed_or_rejected_once(rows, period):
    result = grants.compute(rows, period=period)
    assert_conserved(result, len(rows))
    for rej in result.rejections:
        assert rej.message
    for res in result.lines:
        assert res.amount_nok >= 0
        assert res.status in (grants.Status.OK, grants.Status.INELIGIBLE, grants.Status.OUTSIDE_PERIOD)
        if res.status is grants.Status.OUTSIDE_PERIOD:
            assert res.amount_nok == 0 and res.counted_start is None and "utenfor perioden" in res.reasons[0]


# --- malformed rate tables -------------------------------------------------------------------


@pytest.fixture
def rates_copy(tmp_path) -> Path:
    folder = tmp_path / "rates"
    shutil.copytree(REPO / "rates", folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not found in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_unbroken_copy_of_rates_loads(rates_copy):
    book = RateBook.load(rates_copy)
    assert book.period_ids == shipped_book().period_ids == sorted(p.stem for p in rates_copy.glob("*.yaml"))
    assert book.get("2023").rate("alis_avtale.fastlege", "class_6").amount == 380_000


BROKEN_RATES = [
    # (id, old text, new text, fragments the message must contain besides the file name)
    ("typo in role", "    introduksjonslege:\n", "    introduksjonlege:\n",
     ["annual_rates.alis_avtale.introduksjonlege", "ukjent rolle"]),
    ("missing class_6", "      class_6: {amount: 320000, source: domain-illustrative}\n", "",
     ["annual_rates.alis_avtale.introduksjonslege.class_6", "mangler"]),
    ("amount as text", "amount: 300000", 'amount: "300 000"',
     ["annual_rates.alis_avtale.fastlege.class_1_5.amount", "300 000"]),
    ("amount with a space, unquoted", "amount: 300000", "amount: 300 000",
     ["annual_rates.alis_avtale.fastlege.class_1_5.amount"]),
    ("negative amount", "amount: 380000", "amount: -380000",
     ["annual_rates.alis_avtale.fastlege.class_6.amount"]),
    ("first_day after last_day", "first_day: 2022-10-01", "first_day: 2023-09-30",
     ["period", "first_day", "last_day"]),
    ("unknown top-level field", "model: A\n", "model: A\nmaximum_rate: 400000\n", ["maximum_rate"]),
    ("model Z", "model: A", "model: Z", ["model"]),
    ("unknown status", "status: illustrative", "status: guessed", ["status"]),
    ("unknown whole-months method", "whole_months: calendar", "whole_months: weeks", ["whole_months"]),
    ("unknown source id", "class_6: {amount: 380000, source: domain-illustrative}",
     "class_6: {amount: 380000, source: nowhere}", ["annual_rates.alis_avtale.fastlege.class_6.source", "nowhere"]),
    ("period id does not match file name", 'id: "2023"', 'id: "2023-b"', ["period.id", "2023-b"]),
    ("not YAML", "model: A", "model: [A", ["2023.yaml"]),
]


@pytest.mark.parametrize("case", BROKEN_RATES, ids=[c[0] for c in BROKEN_RATES])
def test_broken_rate_table_names_file_and_key(rates_copy, case):
    _, old, new, fragments = case
    path = rates_copy / "2023.yaml"
    _edit(path, old, new)
    with pytest.raises(RateTableError) as info:
        RateBook.load(rates_copy)
    msg = str(info.value)
    assert "2023.yaml" in msg
    for fragment in fragments:
        assert fragment in msg
    with pytest.raises(RateTableError) as direct:
        load_rate_table(path)
    assert "2023.yaml" in str(direct.value)


def test_rate_tables_whose_periods_overlap_are_rejected(rates_copy):
    _edit(rates_copy / "2023-24.yaml", "first_day: 2023-09-01", "first_day: 2023-08-01")
    with pytest.raises(RateTableError) as info:
        RateBook.load(rates_copy)
    assert "2023-24.yaml" in str(info.value)


def test_empty_rates_folder_is_an_error(tmp_path):
    with pytest.raises(RateTableError, match="fant ingen satstabeller"):
        RateBook.load(tmp_path)


def test_duplicate_key_in_rate_table_is_an_error(rates_copy):
    _edit(
        rates_copy / "2023.yaml",
        "      class_1_5: {amount: 300000, source: domain-illustrative}\n",
        "      class_1_5: {amount: 300000, source: domain-illustrative}\n"
        "      class_1_5: {amount: 3000000, source: domain-illustrative}\n",
    )
    with pytest.raises(RateTableError) as info:
        RateBook.load(rates_copy)
    assert "2023.yaml" in str(info.value) and "class_1_5" in str(info.value)


def test_missing_role_block_in_rate_table_is_caught_by_the_rules(rates_copy):
    # The table itself is well formed, but rule rate.alis_avtale.annet_kommunalt selects it.
    _edit(
        rates_copy / "2023.yaml",
        "    annet_kommunalt:\n"
        "      class_1_5: {amount: 200000, source: domain-illustrative}\n"
        "      class_6: {amount: 260000, source: domain-illustrative}\n",
        "",
    )
    book = RateBook.load(rates_copy)
    with pytest.raises(RulesError) as info:
        RuleBook.load(book)
    msg = str(info.value)
    assert "2023.yaml" in msg and "annual_rates.alis_avtale.annet_kommunalt" in msg


# --- malformed rules files ------------------------------------------------------------------



def test_unbroken_copy_of_rules_loads(ratebook, rules_copy):
    book = RuleBook.load(ratebook, rules_copy)
    assert "rate.alis_avtale.fastlege" in {r.id for r in book.rules}
    Engine(ratebook, book)  # no gap, no overlap


BROKEN_RULES = [
    ("unknown fact", "eligibility.yaml", "{fact: new_scheme, eq: false}", "{fact: new_sceme, eq: false}",
     ["eligibility.yaml", "eligibility.new_specialisation_scheme", "new_sceme"]),
    ("unknown kind", "eligibility.yaml", "kind: exclude", "kind: exclusion",
     ["eligibility.yaml", "eligibility.new_specialisation_scheme", "kind"]),
    ("unknown operator", "eligibility.yaml", "{fact: new_scheme, eq: false}", "{fact: new_scheme, equals: false}",
     ["eligibility.yaml", "equals"]),
    ("unknown period", "pricing.yaml", 'valid_to: "2024-25"', 'valid_to: "2026"', ["pricing.yaml", "rate.alis_avtale.fastlege", "2026"]),
    ("overlapping versions", "eligibility.yaml",
     '    valid_from: "2023"\n    valid_to: "2023-24"\n    when: {fact: via_agency',
     '    valid_from: "2023"\n    valid_to: "2024-25"\n    when: {fact: via_agency',
     ["eligibility.via_agency", "overlaps", "2024-25"]),
    ("unknown formula term", "pricing.yaml", "product: [annual_rate, share, whole_months]", "product: [annual_rate, share, guess]",
     ["pricing.yaml", "amount.model_a", "guess"]),
    ("select_rate without rate", "pricing.yaml", "    rate: kun_veiledning.any\n", "",
     ["pricing.yaml", "rate.kun_veiledning.any"]),
]


@pytest.mark.parametrize("case", BROKEN_RULES, ids=[c[0] for c in BROKEN_RULES])
def test_broken_rules_file_raises_rules_error(ratebook, rules_copy, case):
    _, file, old, new, fragments = case
    _edit(rules_copy / file, old, new)
    with pytest.raises(RulesError) as info:
        RuleBook.load(ratebook, rules_copy)
    for fragment in fragments:
        assert fragment in str(info.value)


def _remove_rule(path: Path, rule_id: str) -> None:
    text = path.read_text(encoding="utf-8")
    start = text.index(f"  - id: {rule_id}\n")
    nxt = text.find("\n  - id: ", start + 1)
    path.write_text(text[:start] + (text[nxt + 1:] if nxt != -1 else ""), encoding="utf-8")


def test_removed_select_rate_rule_is_a_gap_caught_when_the_engine_is_built(ratebook, rules_copy):
    _remove_rule(rules_copy / "pricing.yaml", "rate.alis_avtale.introduksjonslege")
    assert "rate.alis_avtale.introduksjonslege" not in (rules_copy / "pricing.yaml").read_text()
    with pytest.raises(RulesError) as info:
        Engine(ratebook, RuleBook.load(ratebook, rules_copy))
    msg = str(info.value)
    assert "introduksjonslege" in msg
    assert "select_rate" in msg


def test_narrowed_select_rate_rule_leaves_fastlegevikar_without_a_rate(ratebook, rules_copy):
    _edit(rules_copy / "pricing.yaml", "{fact: role, in: [fastlege, fastlegevikar]}", "{fact: role, eq: fastlege}")
    with pytest.raises(RulesError) as info:
        Engine(ratebook, RuleBook.load(ratebook, rules_copy))
    assert "fastlegevikar" in str(info.value) and "select_rate" in str(info.value)


def test_overlapping_centrality_groups_are_caught_when_the_engine_is_built(ratebook, rules_copy):
    _edit(rules_copy / "pricing.yaml", "{fact: centrality_class, lte: 5}", "{fact: centrality_class, lte: 6}")
    with pytest.raises(RulesError) as info:
        Engine(ratebook, RuleBook.load(ratebook, rules_copy))
    msg = str(info.value)
    assert "centrality class 6" in msg and "select_centrality_group" in msg
    assert "centrality.class_6" in msg and "centrality.class_1_5" in msg


# --- values, duplicates, outside the period, split months ---------------------------


@pytest.mark.parametrize("share", ["80%%", "1_0_0", "1e1", "8E+1", "33.333", "80,5,5", "½"])
def test_text_that_is_not_a_share_is_refused(share):
    result = grants.compute([line(position_share=share)], period="2023")
    assert result.total_nok == 0 and len(result.rejections) == 1
    assert result.rejections[0].value == share


@pytest.mark.parametrize("amount", ["1e5", "1_000", "12,500", "12.5.0", "-100"])
def test_text_that_is_not_an_amount_is_refused(amount):
    result = grants.compute([line(start="2025-06-01", end="2026-05-31", utgift_veiledning=amount)], period="2025-26")
    assert len(result.rejections) == 1 and result.rejections[0].value == amount


def test_an_exact_duplicate_row_is_rejected_naming_the_first():
    """A copy-paste (same doctor, municipality, dates and share) was paid twice: 50 % + 50 %."""
    rows = [line(position_share="50"), line(alis_id="B"), line(position_share="50")]
    result = grants.compute(rows, period="2023")
    assert [r.row for r in result.lines] == [1, 2]
    (rej,) = result.rejections
    assert rej.row == 3 and "kopi av rad 1" in rej.message
    assert result.total_nok == 137500 + 275000


def test_a_line_outside_the_period_says_so_and_has_no_counted_dates():
    result = grants.compute([line(start="2024-01-01", end="2024-03-31")], period="2023")
    (r,) = result.lines
    assert r.status is grants.Status.OUTSIDE_PERIOD and r.amount_nok == 0
    assert r.counted_start is None and r.counted_end is None
    assert "utenfor perioden 2023" in r.reasons[0] and "perioden 2023-24" in r.reasons[0]
    row = result.rows()[0]
    assert row["status"] == "outside_period" and row["counted_start"] is None and row["counted_end"] is None


def test_a_month_split_between_two_lines_is_named_in_both():
    rows = [line(position_share="100", end="2023-03-15"), line(position_share="50", start="2023-03-16")]
    result = grants.compute(rows, period="2023")
    a, b = result.lines
    assert (a.whole_months, b.whole_months) == (5, 5)  # oktober-februar; april-august: mars is whole in neither
    for r in (a, b):
        assert any("mars 2023 er delt mellom rad 1" in n and "rad 2" in n for n in r.notes), r.notes
    assert "mars 2023" in result.rows()[0]["reason"]


def test_one_doctor_written_two_ways_is_not_paid_twice():
    """ALIS-01, alis-01, ALIS 01 and 012345678 / 12345678 (Excel drops the zero) were paid as five
    doctors (user trial)."""
    rows = [line(alis_id="ALIS-01"), line(alis_id="alis-01"), line(alis_id="ALIS 01"),
            line(alis_id="012345678"), line(alis_id="12345678")]
    result = grants.compute(rows, period="2023")
    assert [r.row for r in result.lines] == [1, 4]
    assert {r.row for r in result.rejections} == {2, 3, 5}
    assert all("kopi av rad" in r.message and "samme lege-id" in r.message for r in result.rejections)
    assert result.total_nok == 2 * 275000
    # two lines that follow each other under two spellings are both paid, and the spellings named
    rows = [line(alis_id="ALIS-03", end="2022-12-31"), line(alis_id="alis03", start="2023-01-01")]
    result = grants.compute(rows, period="2023")
    assert not result.rejections
    assert all(any("«ALIS-03», «alis03»" in n for n in r.notes) for r in result.lines)
    # an overlap is caught across spellings too
    rows = [line(alis_id="ALIS-02", position_share="60"), line(alis_id="alis02", position_share="60", end="2023-06-30")]
    result = grants.compute(rows, period="2023")
    assert len(result.rejections) == 2 and "over 100 %" in result.rejections[0].message


@pytest.mark.parametrize("value, quoted", [(120.5, "«120,5»"), (Decimal("0.8"), "«0,8»"), (33.333, "«33,333»"),
                                           ("120.5", "«120.5»"), ("120,5", "«120,5»")])
def test_a_rejection_quotes_a_number_with_its_decimal_comma_and_text_as_written(value, quoted):
    from grants import compute

    result = compute([{"lege_id": "A1", "kommunenr": "0301", "tilskuddstype": "alis_avtale", "rolle": "fastlege",
                       "stillingsandel": value, "fra": "01.10.2022", "til": "31.08.2023"}], period="2023")
    (rejection,) = result.rejections
    assert quoted in rejection.message, rejection.message


def test_lines_that_follow_the_published_periods_are_not_an_overlap():
    # 2022 ends and 2023 starts on 01.10.2022: one doctor at 100 % in both
    from grants import compute

    result = compute([line(start="2022-01-01", end="2022-10-01"), line(start="2022-10-01", end="2023-08-31")])
    assert not result.rejections
    assert [(l.row, l.period, l.whole_months) for l in result.lines] == [(1, "2022", 9), (2, "2023", 11)]
    # a real overlap is still one
    clash = compute([line(start="2022-01-01", end="2022-10-02"), line(start="2022-10-01", end="2023-08-31")])
    assert [r.row for r in clash.rejections] == [1, 2]


def test_an_open_ended_line_written_31_12_9999_is_computed():
    from datetime import date

    from grants import compute

    result = compute([line(start="2023-01-01", end="31.12.9999"),
                      line(start="2024-01-01", end="31.12.9999", position_share="50"),
                      line(alis_id="T2", start="2024-01-01", end="31.12.9999")])
    assert [r.row for r in result.rejections] == [1, 2]  # 100 % + 50 % from 2024: a real overlap
    from_2024 = [t.id for t in shipped_book().tables if t.period.last_day >= date(2024, 1, 1)]
    assert [l.period for l in result.lines] == from_2024 and len(from_2024) >= 3
