"""The library changes no interpreter state of its caller, and the caller's state does not change
our amounts (library hygiene)."""
from __future__ import annotations

import csv
import decimal
import gc
import threading
import warnings

from grants import compute
from grants.report.explain import explain_line
from tests.conftest import line

LINES = [line(alis_id="A", position_share="80"), line(alis_id="B", kommunenummer="1151", position_share="33,33")]


def _amounts(result):
    return [(l.amount_nok, str(l.exact_amount)) for l in result.lines]


def test_callers_decimal_context_does_not_change_amounts():
    reference = _amounts(compute(LINES, period="2023"))
    with decimal.localcontext() as ctx:
        ctx.prec = 5
        ctx.rounding = decimal.ROUND_DOWN
        ctx.traps[decimal.Inexact] = True  # a strict caller: any rounding in our arithmetic would raise
        result = compute(LINES, period="2023")
        assert _amounts(result) == reference
        result.traces()
        explain_line(result.lines[1])
        assert decimal.getcontext().prec == 5 and decimal.getcontext().rounding == decimal.ROUND_DOWN


def test_garbage_collector_and_warning_filters_are_left_alone():
    filters = list(warnings.filters)
    limit = csv.field_size_limit()
    gc.enable()
    result = compute(LINES * 50, period="2023")
    result.traces()
    assert gc.isenabled()
    gc.disable()
    try:
        compute(LINES, period="2023").traces()
        assert not gc.isenabled(), "the library switched the collector on"
    finally:
        gc.enable()
    assert warnings.filters == filters
    assert csv.field_size_limit() == limit


def test_no_warnings_on_a_clean_run():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compute(LINES * 20, period="2023").traces()
    assert [str(w.message) for w in caught] == []


def test_gc_stays_enabled_when_threads_compute_at_once():
    errors = []

    def work():
        try:
            for _ in range(3):
                compute(LINES * 10, period="2023")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert gc.isenabled()
