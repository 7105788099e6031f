"""The column primitives of the batch path and their one-at-a-time meanings: coding distinct
values (dict and pandas alike), doctor keys over a column, alis ids over a column, and the
running maximum per doctor the overlap sweep uses."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from grants.pipeline import codes
from grants.pipeline.grammar import parse_alis_id, parse_alis_ids
from grants.pipeline.inputs import doctor_key, doctor_keys

_cell = st.one_of(st.none(), st.just(math.nan), st.text(max_size=4), st.integers(-3, 3))


@settings(max_examples=200, deadline=None)
@given(st.lists(_cell, max_size=40))
def test_small_columns_are_coded_as_pandas_codes_them(values):
    column = np.empty(len(values), dtype=object)
    column[:] = values
    small_codes, small_uniques = codes.factorize(column)  # pandas may be loaded: force the dict path
    saved = codes.SMALL, codes._use_pandas
    try:
        codes._use_pandas = lambda n: False
        dict_codes, dict_uniques = codes.factorize(column)
    finally:
        codes.SMALL, codes._use_pandas = saved
    pd_codes, pd_uniques = pd.factorize(column, use_na_sentinel=True)
    assert dict_codes.tolist() == pd_codes.tolist() == small_codes.tolist()
    assert list(dict_uniques) == list(pd_uniques)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-5, 5), max_size=30))
def test_integer_columns_are_coded_in_order_of_first_appearance(values):
    column = np.array(values, dtype=np.int64)
    saved = codes._use_pandas
    try:
        codes._use_pandas = lambda n: False
        got, uniques = codes.factorize(column)
    finally:
        codes._use_pandas = saved
    want, want_uniques = pd.factorize(column)
    assert got.tolist() == want.tolist() and uniques.tolist() == want_uniques.tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-1000, 1000)), max_size=30))
def test_running_maximum_per_group(pairs):
    pairs.sort(key=lambda p: p[0])
    groups = np.array([g for g, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=np.int64)
    want = pd.Series(values, dtype=np.int64).groupby(groups).cummax().to_numpy() if pairs else values
    assert codes.running_max_by_group(groups, values).tolist() == want.tolist()


_ids = st.text(alphabet=st.sampled_from(list("aAbZ09 -_.Åøé0") + ["\u00a0", "ß"]), max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ids, max_size=30))
def test_doctor_keys_over_a_column_are_doctor_key_of_each(ids):
    want = [doctor_key(i) for i in ids]
    assert doctor_keys(ids) == want
    saved = codes.SMALL
    try:
        codes.SMALL = 0  # the pandas string-method path, as for a large batch
        assert doctor_keys(ids) == want
    finally:
        codes.SMALL = saved


def _parsed(text):
    try:
        return parse_alis_id(text), False
    except ValueError:
        return text, True


@given(st.lists(st.text(min_size=1).map(str.strip).filter(bool), max_size=20))
def test_alis_ids_over_a_column_are_parse_alis_id_of_each(texts):
    values, bad = parse_alis_ids(np.array(texts, dtype=object))
    want = [_parsed(t) for t in texts]
    assert list(zip(values, bad.tolist())) == want


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=6), max_size=20))
def test_doctor_keys_over_any_unicode_column_are_doctor_key_of_each(ids):
    want = [doctor_key(i) for i in ids]
    saved = codes.SMALL
    try:
        codes.SMALL = 0
        assert doctor_keys(ids) == want
    finally:
        codes.SMALL = saved


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.just(math.nan), st.just(pd.NaT), st.text(max_size=2), st.integers(0, 3),
                          st.floats(allow_nan=False, allow_infinity=False)), max_size=20))
def test_value_types_are_the_types_of_the_cells_that_are_not_blank(values):
    column = np.empty(len(values), dtype=object)
    column[:] = values
    assert codes.value_types(column) == {type(v) for v in values if not codes.is_na(v)}
