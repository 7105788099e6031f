"""The fast row path (validate_row) and the typed model (LineInput) parse alike."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from pydantic import ValidationError

from grants.pipeline.headers import map_header
from grants.pipeline.inputs import LineInput, Rejection, validate_row

values = st.fixed_dictionaries({
    "alis_id": st.sampled_from(["A1", " B2 ", ""]),
    "kommunenummer": st.sampled_from(["0301", "301", "54x2", "5412"]),
    "grant_type": st.sampled_from(["alis_avtale", "ALIS-avtale", "kun veiledning", "tilskudd"]),
    "role": st.sampled_from(["fastlege", "Vikar", "introduksjonslege", "annet kommunalt legearbeid", "kirurg"]),
    "position_share": st.sampled_from(["80", "80 %", "80,5", "0", "-5", "101", "mye", "100"]),
    "start": st.sampled_from(["2023-01-01", "01.02.2023", "31.02.2023", "i går"]),
    "end": st.sampled_from(["2023-06-30", "15.01.2023", "2022-12-31"]),
    "via_agency": st.sampled_from(["ja", "nei", "yes", "kanskje"]),
    "centrality_class": st.sampled_from(["", "6", "7", "1"]),
})


@settings(max_examples=300, deadline=None)
@given(values)
def test_validate_row_and_line_input_agree(record):
    header = map_header(record)
    fast = validate_row(1, record, header)
    data = {k: v.strip() for k, v in record.items() if v.strip()}
    try:
        model = LineInput.model_validate(data)
    except ValidationError:
        model = None
    if model is None:
        assert isinstance(fast, Rejection)
    else:
        assert fast == model


@pytest.mark.parametrize("text,expected", [
    ("kr 12.500,-", "12500"), ("12.500", "12500"), ("12 500,50", "12500.50"), ("12 500,- kr", "12500"),
    ("12500", "12500"), ("1.5", "1.5"),
])
def test_norwegian_amounts(text, expected):
    from decimal import Decimal

    from grants.pipeline.grammar import parse_amount

    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["sNaN", "NaN", "Infinity", "tolv"])
def test_not_an_amount(text):
    from grants.pipeline.grammar import parse_amount

    with pytest.raises(ValueError, match="ikke et beløp"):
        parse_amount(text)


def test_numpy_numbers_and_0_1_flags_are_accepted():
    import numpy as np
    import pandas as pd

    from grants import compute
    from tests.conftest import line

    rec = line(position_share=np.float64(80.5), via_agency=np.float64(0.0), new_scheme=1)
    result = compute([rec], period="2023")
    assert not result.rejections and result.lines[0].amount_nok == 221375  # 300000*0.805*11/12
    frame = pd.DataFrame([line(via_agency=1), line(alis_id="B")])  # a 0/1 column with a blank -> floats
    result = compute(frame, period="2023")
    assert not result.rejections
    assert [l.status.value for l in result.lines] == ["ineligible", "ok"]
