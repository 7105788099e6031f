"""Write a batch result as CSV (for spreadsheets) or JSON (for services), with the rates'
status in every file."""
from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import IO, Any, Iterator

from grants.report.explain import rates_warning
from grants.io.output import atomic_output, sidecar_path, spreadsheet_safe
from grants.pipeline.results import GrantResult
from grants.report.kontroll import manifest_of
from grants.report.vocabulary_nb import headers_nb, value_nb


_DECIMAL_COLUMNS = ("position_share", "annual_rate")


def write_result(result: GrantResult, path: str | Path, delimiter: str = ",", lang: str = "en") -> None:
    """Write through `atomic_output`: a failure half-way never leaves a truncated result where a
    good one was. With semicolons (Norwegian Excel) decimals are written with a comma. Every text
    cell (header included) passes `spreadsheet_safe`, so no input text is run as a formula.
    `lang="nb"` (CSV only) writes the Norwegian headers, values and dd.mm.åååå dates of
    grants.report.vocabulary_nb instead of the stable names.

    JSON carries the manifest within `provenance`; a CSV gets it beside it, in
    `NAME.csv.kontroll.json` (`sidecar_path`) with the CSV's own SHA-256, written (through
    `atomic_output` too) after the CSV."""
    if lang not in ("en", "nb"):
        raise ValueError(f"unknown language {lang!r}")
    path = Path(path)
    if path.suffix.lower() == ".json":
        with atomic_output(path, encoding="utf-8") as fh:
            write_json_stream(result, fh)
        return
    with atomic_output(path, binary=True) as raw:
        sink = _HashingText(raw)
        write_csv(result, sink, delimiter, lang)
    write_sidecar(result, path, sink.sha256.hexdigest(), sink.size, delimiter, lang)


def write_sidecar(result: GrantResult, path: Path, csv_sha256: str, csv_bytes: int, delimiter: str, lang: str) -> None:
    """The manifest file of a CSV result, naming the CSV and its SHA-256."""
    doc = {
        "kontroll": "alis-grants: kontrollfil for en CSV-fil med resultater (alis-grant verify)",
        "csv": {"file": path.name, "sha256": csv_sha256, "bytes": csv_bytes},
        "provenance": manifest_of(result, {"format": "csv", "delimiter": delimiter, "lang": lang}),
    }
    with atomic_output(sidecar_path(path), encoding="utf-8") as fh:
        fh.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")


class _HashingText:
    """A text sink for csv.writer that writes UTF-8 with a BOM (as Excel wants) to a binary
    file and hashes exactly the bytes written."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0
        self._put(b"\xef\xbb\xbf")

    def _put(self, data: bytes) -> None:
        self.sha256.update(data)
        self.size += len(data)
        self.raw.write(data)

    def write(self, text: str) -> int:
        self._put(text.encode("utf-8"))
        return len(text)


def write_csv(result: GrantResult, fh: Any, delimiter: str = ",", lang: str = "en") -> None:
    """The result's rows as CSV text into `fh` (anything with write(str))."""
    decimal_comma = delimiter == ";"
    columns = list(result.columns)
    nb = lang == "nb"
    own = set(result.passthrough)
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
    False, as the service answers by default) the trace of each line. Whole, in memory: for
    the service's small answers; a file is written by `write_json_stream`."""
    doc = _head(result)
    doc["lines"] = result.rows()
    doc.update(_tail(result))
    if traces:
        doc["traces"] = result.traces()
    return doc


def write_json_stream(result: GrantResult, fh: IO[str]) -> None:
    """Write `result_document(result)` as `json.dumps(..., indent=1)` would, to the character,
    but one row, rejection, trace and total at a time: memory stays flat in the number of lines,
    where the whole document (a trace is a few kB) took gigabytes for 200 000 lines."""
    doc = _head(result)
    doc["lines"] = _Stream(result.iter_rows())
    doc.update(_tail(result, stream=True))
    doc["traces"] = _Stream(result.iter_traces())
    _write_value(fh, doc, 0)


class _Stream:
    """A list value of the document given as an iterator, written item by item."""

    def __init__(self, items: Iterator[Any]) -> None:
        self.items = items


def _write_value(fh: IO[str], value: Any, depth: int) -> None:
    """`value` at nesting `depth`, as json.dumps(indent=1) lays it out; a dict holding a
    `_Stream` is written key by key, a `_Stream` item by item, anything else in one piece."""
    inner = "\n" + " " * (depth + 1)
    if isinstance(value, _Stream):
        first = True
        for item in value.items:
            fh.write(("[" if first else ",") + inner + _indented(_dumps(item, indent=1), depth + 1))
            first = False
        fh.write("[]" if first else "\n" + " " * depth + "]")
    elif isinstance(value, dict) and value and any(isinstance(v, (_Stream, dict)) for v in value.values()):
        for i, (key, item) in enumerate(value.items()):
            fh.write(("," if i else "{") + inner + _dumps(key) + ": ")
            _write_value(fh, item, depth + 1)
        fh.write("\n" + " " * depth + "}")
    else:
        fh.write(_indented(_dumps(value, indent=1), depth))


def _dumps(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent)


def _indented(text: str, depth: int) -> str:
    """`text` (JSON from json.dumps(indent=1)) placed at `depth`: json.dumps escapes a newline
    inside a string, so every raw newline is layout and gets the deeper indent."""
    return text.replace("\n", "\n" + " " * depth)


def _head(result: GrantResult) -> dict[str, Any]:
    return {
        "rates_status": result.rates_statuses,
        "warning": rates_warning(result.rates_statuses),
        "provenance": manifest_of(result, {"format": "json"}),
        "input_rows": result.input_rows,
        "notes": list(result.notes),
        "total_nok": result.total_nok,
    }


def _tail(result: GrantResult, stream: bool = False) -> dict[str, Any]:
    """Rejections and totals; with `stream`, as iterators that are run only when written (the
    totals per doctor are one entry per doctor: as many as the lines, in a large batch)."""
    def part(items: Iterator[Any]) -> Any:
        return _Stream(items) if stream else list(items)

    return {
        "rejections": part(_rejection(r) for r in result.rejections),
        "totals": {
            "by_municipality": part(_totals(result.totals_by_municipality)),
            "by_doctor": part(_totals(result.totals_by_doctor)),
            "by_period": part(_totals(result.totals_by_period)),
        },
    }


def _totals(totals: Any) -> Iterator[dict[str, Any]]:
    """The totals `totals()` gives, as JSON objects; a generator, so nothing is counted before
    the first is asked for."""
    for t in totals():
        yield _total(t)


def _rejection(r: Any) -> dict[str, Any]:
    return {"row": r.row, "column": r.column, "value": r.value, "message": r.message, "text": r.text(), "where": r.where}


def _total(t: Any) -> dict[str, Any]:
    return {"key": t.key, "name": t.name, "lines": t.lines, "amount_nok": t.amount_nok}
