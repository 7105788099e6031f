"""Kept only for grants/tools/impact.py, which still imports `VectorEvaluator`: a thin adapter
over `Engine.compute(..., evaluator="vectorised")`, so impact prices through the engine like
every other door. No amount is computed here. Delete this module when impact calls the engine
itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from grants.pipeline.inputs import LineInput

if TYPE_CHECKING:
    from grants.pipeline.engine import Engine
    from grants.rates.tables import RateTable


@dataclass
class VectorResult:
    """One period's results per input row, in input order (numpy arrays)."""

    period: str
    rates_status: str
    columns: dict[str, np.ndarray]


class VectorEvaluator:
    """`evaluate(frame, period)`: the engine's results for one period as columns per input row."""

    def __init__(self, engine: "Engine"):
        self.engine = engine

    @staticmethod
    def frame_from_lines(lines: list[LineInput]) -> pd.DataFrame:
        """Validated LineInputs as a DataFrame of their values (the engine reads it as any frame)."""
        return pd.DataFrame({name: [getattr(line, name) for line in lines]
                             for name in LineInput.model_fields if name != "expenses"})

    def evaluate(self, frame: pd.DataFrame, period: str, *, rates: "RateTable | None" = None) -> VectorResult:
        table = self.engine.ratebook.get(period)
        if rates is not None and rates is not table:
            raise ValueError(f"the engine's table for {period} is {table.file}, not {rates.file}: "
                             "build an Engine on a RateBook with that table")
        result = self.engine.compute(_plain(frame), period, evaluator="vectorised")
        n = len(frame)
        out: dict[str, Any] = {
            "row": np.arange(1, n + 1), "alis_id": np.array([None] * n, dtype=object),
            "kommunenummer": np.array([None] * n, dtype=object), "whole_months": np.zeros(n, dtype=np.int64),
            "centrality_class": np.zeros(n, dtype=np.int64), "annual_rate": np.zeros(n, dtype=np.int64),
            "amount_nok": np.zeros(n, dtype=np.int64), "status": np.full(n, "rejected", dtype=object),
            "rule_ids": np.full(n, "", dtype=object), "reason": np.full(n, "", dtype=object),
        }
        for line in result.lines:
            i = line.row - 1
            out["alis_id"][i], out["kommunenummer"][i] = line.alis_id, line.kommunenummer
            out["whole_months"][i], out["centrality_class"][i] = line.whole_months, line.centrality_class
            out["annual_rate"][i] = int(line.annual_rate or 0)
            out["amount_nok"][i], out["status"][i] = line.amount_nok, line.status.value
            out["rule_ids"][i] = " ".join(line.rule_ids)
        for rej in result.rejections:
            out["reason"][rej.row - 1] = rej.message
            out["alis_id"][rej.row - 1], out["kommunenummer"][rej.row - 1] = rej.alis_id, rej.kommunenummer
        return VectorResult(table.id, table.status, out)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Enum values as their text (the reader's grammar takes the canonical codes)."""
    out = frame.copy()
    for name in ("grant_type", "role"):
        if name in out:
            out[name] = [getattr(v, "value", v) for v in out[name]]
    return out
