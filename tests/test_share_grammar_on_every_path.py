"""A share of 0,8 (a fraction) or 120 is rejected on every path that prices a line: a file on
the command line, a list of dicts, a DataFrame of numbers, a typed LineInput (what a budget
impact run prices) and the service's JSON. (A second evaluator once paid 2 200 and 330 000 kr
for them; every path now prices through the engine, which reads a share with one grammar.)"""
from __future__ import annotations

import json

import httpx
import pandas as pd
import pytest
from pydantic import ValidationError

import grants
from grants.cli import main as cli_main
from grants.pipeline.inputs import LineInput

from .conftest import line
from .service_process import ServiceProcess

SHARES = ("0,8", "120")
WORDS = {"0,8": "ser ut som en brøk", "120": "må være over 0 og høyst 100 %"}


def _lines() -> list[dict]:
    return [line(alis_id="OK", position_share="80")] + [line(alis_id=f"S{i}", position_share=s) for i, s in enumerate(SHARES)]


def _verdict(result) -> tuple:
    return ([(r.row, r.amount_nok) for r in result.lines], [(r.row, r.message) for r in result.rejections])


def test_dicts_a_frame_of_numbers_and_a_file_reject_both_and_pay_the_good_line(tmp_path):
    result = grants.compute(_lines(), "2023")
    assert [(r.row, r.amount_nok) for r in result.lines] == [(1, 220_000)]
    assert [r.row for r in result.rejections] == [2, 3]
    assert all(WORDS[s] in r.message for s, r in zip(SHARES, result.rejections))

    frame = pd.DataFrame(_lines())
    frame["position_share"] = [80, 0.8, 120]
    numbers = grants.compute(frame, "2023")
    assert [r.row for r in numbers.rejections] == [2, 3] and numbers.total_nok == 220_000

    path = tmp_path / "andeler.csv"
    pd.DataFrame(_lines()).to_csv(path, sep=";", index=False)
    out = tmp_path / "ut.json"
    assert cli_main(["compute", str(path), "--period", "2023", "-o", str(out), "--quiet"]) == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["total_nok"] == 220_000 and [r["row"] for r in doc["rejections"]] == [2, 3]


@pytest.mark.parametrize("share", SHARES)
def test_a_typed_line_refuses_the_share(share):
    with pytest.raises(ValidationError, match=WORDS[share]):
        LineInput(**line(position_share=share))


def test_the_service_rejects_both_as_text_and_as_json_numbers(tmp_path):
    svc = ServiceProcess(tmp_path / "server.log")
    try:
        with httpx.Client(base_url=svc.url, timeout=30) as client:
            for shares in (["80", "0,8", "120"], [80, 0.8, 120]):
                lines = [dict(rec, position_share=s) for rec, s in zip(_lines(), shares)]
                doc = client.post("/compute", json={"period": "2023", "lines": lines}).json()
                assert doc["total_nok"] == 220_000, doc
                assert [(r["row"], r["status"]) for r in doc["lines"]] == [(1, "ok"), (2, "rejected"), (3, "rejected")]
    finally:
        svc.stop()
