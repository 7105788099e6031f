"""Write a batch result as CSV (for spreadsheets) or JSON (for services), with the rates'
status in every file."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from grants.report.explain import rates_warning
from grants.io.output import atomic_output, spreadsheet_safe
from grants.pipeline.results import GrantResult
from grants.report.vocabulary_nb import headers_nb, value_nb


_DECIMAL_COLUMNS = ("position_share", "annual_rate")


def write_result(result: GrantResult, path: str | Path, delimiter: str = ",", lang: str = "en") -> None:
    """Write through `atomic_output`: a failure half-way never leaves a truncated result where a
    good one was. With semicolons (Norwegian Excel) decimals are written with a comma. Every text
    cell (header included) passes `spreadsheet_safe`, so no input text is run as a formula.
    `lang="nb"` (CSV only) writes the Norwegian headers, values and dd.mm.åååå dates of
    grants.report.vocabulary_nb instead of the stable names."""
    if lang not in ("en", "nb"):
        raise ValueError(f"unknown language {lang!r}")
    path = Path(path)
    if path.suffix.lower() == ".json":
        with atomic_output(path, encoding="utf-8") as fh:
            fh.write(json.dumps(result_document(result), ensure_ascii=False, indent=1))
        return
    decimal_comma = delimiter == ";"
    columns = list(result.columns)
    nb = lang == "nb"
    own = set(result.passthrough)
    with atomic_output(path, encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow([spreadsheet_safe(c) for c in (headers_nb(columns, own) if nb else columns)])
        for row in result.iter_rows():
            out = []
            for k in columns:
                v = row.get(k)
                if nb and k not in own:
                    v = value_nb(k, v)
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
