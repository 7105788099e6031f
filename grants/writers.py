"""Write a batch result as CSV (for spreadsheets) or JSON (for services), with the rates'
status in every file."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from .explain import rates_warning
from .results import GrantResult
from .vocabulary_nb import headers_nb, value_nb


_DECIMAL_COLUMNS = ("position_share", "annual_rate")


def write_result(result: GrantResult, path: str | Path, delimiter: str = ",", lang: str = "en") -> None:
    """Write to a temporary file beside `path`, then move it in place: a failure half-way
    never leaves a truncated result where a good one was. With semicolons (Norwegian Excel)
    decimals are written with a comma. `lang="nb"` (CSV only) writes the Norwegian headers,
    values and dd.mm.åååå dates of grants.vocabulary_nb instead of the stable names."""
    if lang not in ("en", "nb"):
        raise ValueError(f"unknown language {lang!r}")
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if path.suffix.lower() == ".json":
            tmp.write_text(json.dumps(result_document(result), ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            decimal_comma = delimiter == ";"
            with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=result.columns, delimiter=delimiter, extrasaction="ignore")
                nb = lang == "nb"
                own = set(result.passthrough)
                if nb:
                    writer.writerow(dict(zip(result.columns, headers_nb(result.columns, own))))
                else:
                    writer.writeheader()
                for row in result.iter_rows():
                    if nb:
                        row = {k: (v if k in own else value_nb(k, v)) for k, v in row.items()}
                    out = {k: ("" if v is None else v) for k, v in row.items()}
                    if decimal_comma:
                        for k in _DECIMAL_COLUMNS:
                            if isinstance(out.get(k), str):
                                out[k] = out[k].replace(".", ",")
                    writer.writerow(out)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def result_document(result: GrantResult) -> dict[str, Any]:
    """The JSON form: warning, statuses, rows, rejections, totals and the trace of each line."""
    return {
        "rates_status": result.rates_statuses,
        "warning": rates_warning(result.rates_statuses),
        "input_rows": result.input_rows,
        "total_nok": result.total_nok,
        "lines": result.rows(),
        "rejections": [
            {"row": r.row, "column": r.column, "value": r.value, "message": r.message, "text": r.text()}
            for r in result.rejections
        ],
        "totals": {
            "by_municipality": [_total(t) for t in result.totals_by_municipality()],
            "by_doctor": [_total(t) for t in result.totals_by_doctor()],
            "by_period": [_total(t) for t in result.totals_by_period()],
        },
        "traces": result.traces(),
    }


def _total(t: Any) -> dict[str, Any]:
    return {"key": t.key, "name": t.name, "lines": t.lines, "amount_nok": t.amount_nok}
