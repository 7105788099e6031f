"""Dates as day numbers: the one encoding of a date inside the engine.

A day number is the number of days since 1970-01-01 (numpy's datetime64[D]), so date columns
are int64 arrays, compare as integers, and the facts posted to durable_rules, the numpy masks of
the rules and the pricing read the same numbers. Dates are turned into day numbers when a batch
is read and back into dates only where a person or a file reads them.
"""
from __future__ import annotations

import functools
from datetime import date

import numpy as np

EPOCH = date(1970, 1, 1)
_EPOCH_ORDINAL = EPOCH.toordinal()
NO_DAY = int(np.iinfo(np.int64).min)
"""The day number of an absent optional date."""


def day_number(d: date) -> int:
    """A date as days since 1970-01-01."""
    return d.toordinal() - _EPOCH_ORDINAL


def date_of(days: int) -> date:
    """The date of a day number."""
    return date.fromordinal(int(days) + _EPOCH_ORDINAL)


def dates_of(days: "list[int] | np.ndarray") -> list[date | None]:
    """Day numbers as dates, many at once; NO_DAY (an absent date) as None."""
    if len(days) == 1:
        return [None if int(days[0]) == NO_DAY else date_of(days[0])]
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").tolist()  # NO_DAY is NaT: None


@functools.lru_cache(maxsize=8192)
def day_text(d: date) -> str:
    """A date as a person reads it (01.09.2023), worded once per day."""
    return f"{d:%d.%m.%Y}"
