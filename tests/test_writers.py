"""grants.io.writers: the JSON file is written streaming, one row and one trace at a time, and
is still the document `result_document` describes, to the character."""
from __future__ import annotations

import json

import grants
from grants.io.writers import result_document, write_result
from tests.conftest import line


def _batch():
    # model A and model B periods (element columns), a rejection, an officer's own column whose
    # text holds a newline, quotes and non-ASCII (the layout must not be confused by them)
    return grants.compute([
        line(kommentar='første\nandre "sitat" æøå'),
        line(alis_id="B", position_share="mye"),
        line(alis_id="C", start="2021-01-01", end="2026-01-01"),
    ])


def test_streamed_json_file_is_the_result_document(tmp_path):
    result = _batch()
    assert result.lines and result.rejections and result.passthrough  # the test covers all parts
    out = tmp_path / "ut.json"
    write_result(result, out)
    text = out.read_text(encoding="utf-8")
    doc = result_document(result)
    streamed = json.loads(text)
    assert streamed == doc
    assert list(streamed) == list(doc)  # the keys in the same order
    assert text == json.dumps(doc, ensure_ascii=False, indent=1)  # and the same layout


def test_streamed_json_with_every_row_rejected_has_empty_lists(tmp_path):
    result = grants.compute([line(position_share="mye")], period="2023")
    assert not result.lines
    out = tmp_path / "ut.json"
    write_result(result, out)
    text = out.read_text(encoding="utf-8")
    assert json.loads(text)["traces"] == []
    assert text == json.dumps(result_document(result), ensure_ascii=False, indent=1)


def test_json_file_never_builds_the_whole_document(tmp_path, monkeypatch):
    """The file takes rows and traces from the iterators, never the lists `rows()`/`traces()`
    that hold every line at once."""
    result = _batch()
    expected = json.dumps(result_document(result), ensure_ascii=False, indent=1)

    def whole(self):
        raise AssertionError("the whole list was built")

    monkeypatch.setattr(type(result), "rows", whole)
    monkeypatch.setattr(type(result), "traces", whole)
    out = tmp_path / "ut.json"
    write_result(result, out)
    assert out.read_text(encoding="utf-8") == expected
