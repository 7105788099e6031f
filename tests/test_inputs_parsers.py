"""The fast row path (validate_row) and the typed model (LineInput) parse alike."""
from __future__ import annotations

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
