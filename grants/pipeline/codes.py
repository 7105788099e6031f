"""Integer codes for the distinct values of a column: the one primitive the batch path is built
on (parse each distinct value once, compare rows by code).

A large column is coded by pandas' hash table; a small one by a dict, so that a command on a
few thousand lines does not pay for importing pandas (about 0.2 s). Both give the same codes:
first appearance order, blanks (None, NaN, NaT) as -1 (tests/test_batch_path.py).
"""
from __future__ import annotations

import sys
from datetime import date, datetime
from typing import Any

import numpy as np

SMALL = 50_000
"""Up to this many values a column is coded with a dict (unless pandas is loaded already)."""


def _pandas() -> Any:
    import pandas as pd

    return pd


def _use_pandas(n: int) -> bool:
    return n > SMALL or "pandas" in sys.modules


def is_na(value: Any) -> bool:
    """None, a float NaN, pandas' NaT or NA: a blank cell."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    pd = sys.modules.get("pandas")
    return pd is not None and (value is pd.NaT or value is pd.NA)


def factorize(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """(codes, uniques): codes[i] is the index of values[i] in uniques, -1 for a blank; the
    uniques in order of first appearance."""
    values = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if _use_pandas(len(values)):
        codes, uniques = _pandas().factorize(values, use_na_sentinel=True)
        return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=values.dtype if values.dtype != object else object)
    if values.dtype != object:
        uniques, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")  # first appearance, as pandas gives them
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank[inverse.reshape(-1)].astype(np.int64), uniques[order]
    # (pandas is not loaded here, so no NaT or NA can exist: a blank is None or a float NaN)
    seen: dict[Any, int] = {}
    get = seen.setdefault
    out_codes = [-1 if v is None or (v.__class__ is float and v != v) else get(v, len(seen))
                 for v in values.tolist()]
    codes = np.array(out_codes, dtype=np.int64)
    out = np.empty(len(seen), dtype=object)
    out[:] = list(seen)
    return codes, out


_CODED_BY_VALUE = (str, bool, int, float, np.integer, np.floating, np.bool_)


def codable(kinds: set[type], values: np.ndarray) -> bool:
    """Whether cells may be coded by value: one type, and one whose equal values read alike (a
    Decimal 80.000 equals 80 but reads otherwise; two equal instants in different time zones
    fall on different dates), so each distinct value is parsed once for all its rows."""
    if len(kinds) > 1:
        return False
    if not kinds:
        return True
    (kind,) = kinds
    if issubclass(kind, _CODED_BY_VALUE):
        return True
    if issubclass(kind, datetime):  # datetime and pandas' Timestamp: only without a time zone
        return all(v.tzinfo is None for v in values.tolist() if isinstance(v, datetime))
    return kind is date


def value_types(values: np.ndarray) -> set[type]:
    """The types of the non-blank values. A column of one type can be coded by value: values
    are equal only when they are the same value (across types 1 == 1.0 == True would merge)."""
    items = values.tolist()
    kinds = set(map(type, items))
    kinds.discard(type(None))
    pd = sys.modules.get("pandas")
    if pd is not None:
        kinds.discard(type(pd.NaT))
        kinds.discard(type(pd.NA))
    if float in kinds and all(v != v for v in items if type(v) is float):
        kinds.discard(float)  # only NaN: blanks, not numbers
    return kinds


def combine(keys: "list[np.ndarray]", n: int) -> np.ndarray:
    """One integer per row that is equal exactly when every key column is equal."""
    if not n:
        return np.zeros(0, dtype=np.int64)
    out = np.zeros(n, dtype=np.int64)
    size = 1  # every code in out is below it
    for key in keys:
        key = np.asarray(key)
        low = high = 0
        if key.dtype.kind in "biu":
            key = key.astype(np.int64)
            low, high = int(key.min()), int(key.max())
        if key.dtype.kind not in "biu" or high - low >= 4 * n:  # not integers, or sparse ones: numbered
            key = factorize(key)[0]  # -1 for a blank
            low, high = -1, int(key.max())
        k = high - low + 1
        if size * k >= 2**62:  # renumbered before the product could overflow
            out = factorize(out)[0]
            size = int(out.max()) + 1
        out = out * k + (key - low)
        size *= k
    return factorize(out)[0]  # in order of first appearance


def groups(codes: np.ndarray) -> list[np.ndarray]:
    """The positions of each distinct code, one array per code (in order of the codes)."""
    if not len(codes):
        return []
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)


def running_max_by_group(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The running maximum of `values` within each run of equal `groups` (sorted by group)."""
    if not len(values):
        return values
    rank = np.concatenate([[0], np.cumsum(groups[1:] != groups[:-1])])
    low = int(values.min())
    span = int(values.max()) - low + 1
    shifted = (values - low) + rank * span  # each group above the one before: one running max serves all
    return np.maximum.accumulate(shifted) - rank * span + low


def strip_texts(values: np.ndarray) -> np.ndarray:
    """str.strip over a column of texts."""
    return np.array([v.strip() for v in values.tolist()], dtype=object) if len(values) else values
