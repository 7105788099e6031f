"""Write a batch result as CSV (for spreadsheets) or JSON (for services), with the rates'
status in every file."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from .explain import rates_warning
from .io.output import atomic_output, spreadsheet_safe
from .results import GrantResult


_DECIMAL_COLUMNS = ("position_share", "annual_rate")


def write_result(result: GrantResult, path: str | Path, delimiter: str = ",") -> None:
    """Write through `atomic_output`: a failure half-way never leaves a truncated result where a
    good one was. With semicolons (Norwegian Excel) decimals are written with a comma. Every text
    cell (header included) passes `spreadsheet_safe`, so no input text is run as a formula."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        with atomic_output(path, encoding="utf-8") as fh:
            fh.write(json.dumps(result_document(result), ensure_ascii=False, indent=1))
        return
    decimal_comma = delimiter == ";"
    columns = list(result.columns)
    with atomic_output(path, encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow([spreadsheet_safe(c) for c in columns])
        for row in result.iter_rows():
            out = []
            for k in columns:
                v = row.get(k)
                if v is None:
                    v = ""
                elif decimal_comma and k in _DECIMAL_COLUMNS and isinstance(v, str):
                    v = v.replace(".", ",")
                out.append(spreadsheet_safe(v))
            writer.writerow(out)


def result_document(result: GrantResult, traces: bool = True) -> dict[str, Any]:
    """The JSON form: warning, statuses, rows, rejections, totals and (unless `traces` is
    False, as the service answers by default) the trace of each line."""
    doc = {
        "rates_status": result.rates_statuses,
        "warning": rates_warning(result.rates_statuses),
        "provenance": result.provenance_json(),
        "input_rows": result.input_rows,
        "notes": list(result.notes),
        "total_nok": result.total_nok,
        "lines": result.rows(),
        "rejections": [
            {"row": r.row, "column": r.column, "value": r.value, "message": r.message, "text": r.text(), "where": r.where}
            for r in result.rejections
        ],
        "totals": {
            "by_municipality": [_total(t) for t in result.totals_by_municipality()],
            "by_doctor": [_total(t) for t in result.totals_by_doctor()],
            "by_period": [_total(t) for t in result.totals_by_period()],
        },
    }
    if traces:
        doc["traces"] = result.traces()
    return doc


def _total(t: Any) -> dict[str, Any]:
    return {"key": t.key, "name": t.name, "lines": t.lines, "amount_nok": t.amount_nok}
