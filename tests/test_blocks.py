"""Rows read a block at a time (grants.pipeline.blocks) are the rows read one by one, whatever
the order they are read in; and a batch's traces read from its store are its lines' traces."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings, strategies as st

from grants.pipeline.blocks import BLOCK, RowReader
from grants.pipeline.codes import combine


def _columns(n: int) -> list[np.ndarray]:
    objects = np.empty(n, dtype=object)
    objects[:] = [None if i % 7 == 0 else (f"t{i}",) if i % 3 else date(2023, 1, 1) + timedelta(days=i) for i in range(n)]
    return [np.arange(n, dtype=np.int64) * 3 - 7, np.arange(n) % 5 == 0, objects]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3 * BLOCK + 10), min_size=1, max_size=300), st.booleans())
def test_a_row_is_the_same_read_alone_or_in_a_block(order, sort):
    columns = _columns(3 * BLOCK + 11)
    reader = RowReader(columns)
    for i in sorted(order) if sort else order:
        got = reader.row(i)
        want = [c.item(i) for c in columns]
        assert got == want and [type(v) for v in got] == [type(v) for v in want], i


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.lists(st.one_of(
    st.lists(st.integers(-2, 3), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.int64)),
    st.lists(st.integers(-10**17, 10**17), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.int64)),
    st.lists(st.booleans(), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=bool)),
    st.lists(st.sampled_from([None, "a", "b", 1]), min_size=n, max_size=n).map(
        lambda v: np.array(v + [object()], dtype=object)[:-1]),
), min_size=1, max_size=5)))
def test_combine_numbers_the_distinct_rows_in_order_of_first_appearance(keys):
    n = len(keys[0])
    seen: dict[tuple, int] = {}
    want = [seen.setdefault(t, len(seen)) for t in zip(*(k.tolist() for k in keys))]
    assert combine(keys, n).tolist() == want


def test_every_trace_of_a_large_batch_read_from_its_store_is_its_line_s(engine):
    """Blocks of the fact table, the input and the results, read in order and at random."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import reference

    frame = reference.mix_frame(1_600, 5, "2023-24")
    for period in ("2023-24", None):
        result = engine.compute(frame, period=period, evaluator="vectorised")
        lines = result.lines
        assert len(lines) > 2 * BLOCK
        traces = result.traces()
        rng = np.random.default_rng(3)
        for i in rng.permutation(len(lines))[:300].tolist():
            assert traces[i] == lines[i].trace(), i
        assert traces == [r.trace() for r in result.iter_lines()]


def test_the_inputs_read_as_columns_are_the_lines_read_one_by_one(engine):
    """InputColumns.input_columns (what traces read) = the fields of InputColumns.line(row)."""
    import sys
    from pathlib import Path

    from grants.pipeline.columns import normalise
    from grants.pipeline.inputs import LineInput

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import reference

    frame = reference.move_mix(reference.mix_frame(1_200, 7, "2023-24"), 7, "2025-26", "2023-24")
    frame["supervision_hours"] = ["" if i % 5 else "12,5" for i in range(len(frame))]
    cols = normalise(frame, list(engine.ratebook.get("2025-26").elements or {}))
    rows = (np.flatnonzero(cols.valid) + 1)[::-1]
    got = cols.input_columns(rows)
    for k, row in enumerate(rows.tolist()):
        line = cols.line(row)
        assert {name: got[name][k] for name in LineInput.model_fields} == line.__dict__, row
        assert list(got["expenses"][k]) == list(line.expenses), row


def test_a_row_outside_the_columns_is_refused():
    reader = RowReader([np.arange(1000)])
    for i in (-1, 1000, -1, 1000):  # a second read of a block is read from its lists
        try:
            reader.row(i)
        except IndexError:
            continue
        raise AssertionError(f"row {i} was read")
