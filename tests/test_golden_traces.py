"""Every trace of the shipped examples and golden batches is the one written down in
fixtures/golden/traces/ (tests/golden_traces.py): the facts, rules, constants, months,
arithmetic, elements, reasons and notes of each line, as the per-line builder wrote them before
traces were read from the store in columns, through both readings (the batch's traces() and
each line's trace())."""
from __future__ import annotations

import json

import pytest

import grants
from tests.golden_traces import CASES, GOLDEN, traces_of_case


def _first_difference(got: object, want: object, path: str = "") -> str:
    if isinstance(got, dict) and isinstance(want, dict):
        for key in list(want) + [k for k in got if k not in want]:
            if got.get(key, "<missing>") != want.get(key, "<missing>"):
                return _first_difference(got.get(key, "<missing>"), want.get(key, "<missing>"), f"{path}.{key}")
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        for k, (a, b) in enumerate(zip(got, want)):
            if a != b:
                return _first_difference(a, b, f"{path}[{k}]")
    return f"{path}: engine {got!r}, written {want!r}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_traces_are_the_golden_ones(name):
    want = json.loads((GOLDEN / "traces" / f"{name}.json").read_text(encoding="utf-8"))
    got = json.loads(json.dumps(traces_of_case(grants, CASES[name]), ensure_ascii=False))
    assert len(got) == len(want), f"{name}: {len(got)} traces, {len(want)} written"
    for k, (a, b) in enumerate(zip(got, want)):
        assert a == b, f"{name} trace {k} (row {b['row']}): {_first_difference(a, b)}"
    assert list(got[0]) == list(want[0])  # the keys in their order


def test_a_line_s_own_trace_is_the_batch_s():
    case = CASES["soknad_2025-26_timer"]
    result = grants.compute(grants.read_application(case["file"]), period=case["period"], sessions=str(case["sessions"]))
    assert [line.trace() for line in result.lines] == result.traces()
