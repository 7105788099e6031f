"""Columns read one row at a time, as Python values.

A line, a fact row or a result is made from its row of a batch's numpy columns when it is read.
Reading one value of a numpy column costs about as much as turning a small block of it into a
list, so a reader that goes through the rows in order (a writer, `traces()`) reads them a
block at a time: the block is made into lists on its second read, and a single row read at
random never pays for a block. Both ways give the same Python values (`ndarray.item`, `tolist`).
"""
from __future__ import annotations

from typing import Any, Sequence

BLOCK = 512
"""Rows per block."""


class RowReader:
    """Row i of some columns (numpy arrays of the same length) as a list of Python values."""

    __slots__ = ("_columns", "_block", "_seen")

    def __init__(self, columns: Sequence[Any]):
        self._columns = list(columns)
        self._block: tuple[int, list[list[Any]]] = (-1, [])  # replaced whole, never edited
        self._seen = -1

    def __len__(self) -> int:
        return len(self._columns[0]) if self._columns else 0

    def row(self, i: int) -> list[Any]:
        if not 0 <= i < len(self):
            raise IndexError(f"row {i} of {len(self)}")
        b, lists = self._block
        first = i - i % BLOCK
        if b == first:
            j = i - first
            return [values[j] for values in lists]
        if self._seen != first:  # a first read in this block: this row only
            self._seen = first
            return [column.item(i) for column in self._columns]
        lists = [column[first:first + BLOCK].tolist() for column in self._columns]
        self._block = (first, lists)
        j = i - first
        return [values[j] for values in lists]
