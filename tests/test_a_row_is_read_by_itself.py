"""A row's outcome depends on its own cells only: not on the type of another row's cell in the
same column, not on an equal value in another row (a Decimal spelled otherwise, the same instant
in another time zone), not on the door the batch came in by. Each test is a small input on
which the batch path, the one-row validator or the coding of equal values once disagreed."""
from __future__ import annotations

import pandas as pd

from grants.pipeline.columns import normalise
from grants.pipeline.headers import map_header
from grants.pipeline.inputs import Rejection, validate_row
from tests.conftest import line


def _outcome(result):
    return [(r["row"], r["status"], r["amount_nok"]) for r in result.rows()]


def test_a_pd_na_cell_is_blank_whatever_the_other_cells_of_its_column_hold(engine):
    """pandas' NA in an optional column is a blank cell: row 1 is paid as if the column were
    empty. Today it is read as blank when the column's other cells are all texts, but as the
    text «<NA>» (row rejected, 275,000 kr not paid) as soon as one other cell is a Timestamp:
    a row's money depends on the type of another row's cell. (inputs.is_blank misses pd.NA:
    bool(pd.NA != pd.NA) raises, so it answers "not blank"; codes.is_na knows better.)"""
    texts = pd.DataFrame([line(alis_id="A"), line(alis_id="B"), line(alis_id="C")])
    texts["first_gp_date"] = pd.Series([pd.NA, "2023-01-01", "2023-01-01"], dtype=object)
    mixed = texts.copy()
    mixed["first_gp_date"] = pd.Series([pd.NA, "2023-01-01", pd.Timestamp("2023-01-01")], dtype=object)
    assert _outcome(engine.compute(texts, "2023"))[0] == (1, "ok", 275000)
    assert _outcome(engine.compute(mixed, "2023"))[0] == (1, "ok", 275000)


def test_the_row_validator_and_the_column_check_agree_on_a_pd_na_cell(engine):
    """columns.py promises that the column check and validate_row never disagree on whether a
    row is valid (the run stops if they do). They disagree on pd.NA in an optional column: the
    columns accept the row (blank), validate_row rejects it («<NA>» er ikke en dato). The check
    cannot see it because validate_row only runs on rows the columns reject."""
    frame = pd.DataFrame([line(alis_id="A"), line(alis_id="B")])
    frame["first_gp_date"] = pd.Series([pd.NA, "2023-01-01"], dtype=object)
    cols = normalise(frame, engine._elements)
    header = map_header(frame.columns, engine._elements, ())
    record = {str(c): frame[c].to_numpy(dtype=object)[0] for c in frame.columns}
    by_row = validate_row(1, record, header)
    assert bool(cols.valid[0]) == (not isinstance(by_row, Rejection)), by_row


def test_a_required_pd_na_cell_is_missing_not_a_bad_value(engine):
    """A required cell holding pd.NA is an empty cell and should be told «mangler verdi», as
    None and NaN are, not ««<NA>» er ikke en stillingsandel» (text the officer never wrote)."""
    frame = pd.DataFrame([line(alis_id="A"), line(alis_id="B")])
    frame["position_share"] = pd.Series([pd.NA, None], dtype=object)
    texts = [r.text() for r in engine.compute(frame, "2023").rejections]
    assert texts == ["rad 1, kolonne «position_share»: mangler verdi", "rad 2, kolonne «position_share»: mangler verdi"]


def test_a_dataframe_with_a_repeated_own_column_passes_cells_through_not_lists(engine):
    """A DataFrame whose officer column «kommentar» appears twice: each output row should carry
    one cell (the last column, as a ColumnTable and a dict per row keep it), not a Python list
    of both cells, which a CSV writer would print as "['x', 'y']"."""
    frame = pd.DataFrame([line()])
    frame["kommentar"] = "x"
    frame = pd.concat([frame, pd.DataFrame({"kommentar": ["y"]})], axis=1)
    result = engine.compute(frame, "2023")
    assert result.passthrough == {"kommentar": ["y"]}
    assert result.rows()[0]["kommentar"] == "y"


def test_a_share_written_with_three_zero_decimals_is_its_value_and_does_not_stop_the_batch(engine):
    """Decimal cells (a database, or the service's JSON read with parse_float=Decimal) are coded
    by equality, so Decimal("80.000") and Decimal("80") count as one value, parsed once from the
    first. A number is judged by its exact value (80.000 is 80, at most two decimals), so both
    rows are paid alike, in either order, and the batch never stops on a ConservationError."""
    from decimal import Decimal

    for first, second in ((Decimal("80.000"), Decimal("80")), (Decimal("80"), Decimal("80.000"))):
        lines = [dict(line(alis_id="A"), position_share=first), dict(line(alis_id="B"), position_share=second)]
        result = engine.compute(lines, "2023")
        assert not result.rejections
        assert _outcome(result) == [(1, "ok", 220000), (2, "ok", 220000)]


def test_a_cell_is_parsed_as_itself_not_as_an_equal_cell_of_another_row(engine):
    """A row's outcome must not depend on another row: Decimal("80.001") (three decimals by
    value) is refused alone and beside Decimal("80"); Decimal("80.000") is paid alone and beside it."""
    from decimal import Decimal

    for value, refused in ((Decimal("80.001"), True), (Decimal("80.000"), False)):
        alone = engine.compute([dict(line(alis_id="B"), position_share=value)], "2023")
        pair = engine.compute([dict(line(alis_id="A"), position_share=Decimal("80")),
                               dict(line(alis_id="B"), position_share=value)], "2023")
        assert [r.row for r in alone.rejections] == ([1] if refused else [])
        assert [r.row for r in pair.rejections] == ([2] if refused else [])


def test_a_municipality_decimal_is_read_alone_whatever_the_row_before_it(engine):
    """kommunenummer Decimal("301.0") before Decimal("301"): one code, parsed from the first
    (refused: not digits), so row 2 is refused by the columns and accepted by validate_row:
    the batch stops with ConservationError instead of paying row 2."""
    from decimal import Decimal

    lines = [dict(line(alis_id="A"), kommunenummer=Decimal("301.0")), dict(line(alis_id="B"), kommunenummer=Decimal("301"))]
    result = engine.compute(lines, "2023")
    assert _outcome(result)[1] == (2, "ok", 275000)


def test_a_timestamp_end_keeps_its_own_date_beside_an_equal_instant_in_another_zone(engine):
    """Timestamps are coded by equality: 2023-07-30 22:00 UTC and 2023-07-31 00:00 Oslo are one
    instant, so row 2's end is read as row 1's date (30.07), July is not whole and row 2 loses
    25,000 kr silently. Alone, row 2 ends 31.07 and is paid 250,000."""
    a = pd.Timestamp("2023-07-30 22:00", tz="UTC")
    b = pd.Timestamp("2023-07-31 00:00", tz="Europe/Oslo")
    alone = pd.DataFrame([line(alis_id="B")])
    alone["end"] = pd.Series([b], dtype=object)
    both = pd.DataFrame([line(alis_id="A"), line(alis_id="B")])
    both["end"] = pd.Series([a, b], dtype=object)
    assert _outcome(engine.compute(alone, "2023")) == [(1, "ok", 250000)]
    assert _outcome(engine.compute(both, "2023"))[1] == (2, "ok", 250000)
