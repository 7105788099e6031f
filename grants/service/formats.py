"""A batch computed through grants.compute, the command line's road, and answered in each
format: the JSON document, the result CSV or its manifest file, the workbook, the report; and
one row explained."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Callable


from grants.service.api_models import ExplainRequest
from grants.pipeline.engine import Engine
from grants.errors import ColumnChoiceError, InputFileError, UnknownIgnoredColumnError, UnknownPeriodError
from grants.service.public import compute as compute_batch, explain_row
from grants.pipeline.results import GrantResult
from grants.io.writers import result_document, write_result
from grants.io.output import sidecar_path
from grants.service.batch import _Batch, _Upload, _as_file, _json_batch, _safe_name
from grants.service.errors import ServiceError
from grants.service.pages import _IGNORE_FIELD_NB


def _upload_remedy(column: str) -> str:
    return f"skriv «{column}» i feltet «{_IGNORE_FIELD_NB}» på opplastingssiden (API: skjemafeltet ignore_columns)"


def _json_remedy(column: str) -> str:
    return f"legg «{column}» i feltet ignore_columns"


def _column_error(exc: ColumnChoiceError | UnknownIgnoredColumnError, upload: bool) -> ServiceError:
    """A column the engine will not guess about, worded for the service: how to leave it out
    here (there is no --ignore-column), and one item per column for programs."""
    if isinstance(exc, ColumnChoiceError):
        remedy = _upload_remedy if upload else _json_remedy
        items = [{"loc": ["columns", column], "type": "column_not_understood", "msg": before + remedy(column) + after}
                 for before, column, after in exc.parts]
        return ServiceError(400, exc.worded(remedy), items)
    option = f"feltet «{_IGNORE_FIELD_NB}» (ignore_columns)" if upload else "feltet ignore_columns"
    items = [{"loc": ["ignore_columns", column], "type": "ignored_column_missing",
              "msg": f"kolonnen «{column}» finnes ikke i {'filen' if upload else 'linjene'}"} for column in exc.columns]
    return ServiceError(400, exc.worded(option, "filen" if upload else "linjene"), items)


def _compute(engine: Engine, batch: _Batch) -> GrantResult:
    """The engine's result for a request through grants.compute, the command line's road (an
    uploaded file's rows placed in the file, an uploaded sessions file read as --sessions)."""
    try:
        if isinstance(batch.sessions, _Upload):
            with _as_file(batch.sessions) as path:
                return _compute_with(engine, batch, path)
        return _compute_with(engine, batch, batch.sessions)
    except InputFileError as exc:  # a missing column; a session value not understood
        raise ServiceError(400, str(exc)) from None


def _compute_with(engine: Engine, batch: _Batch, sessions: Any) -> GrantResult:
    try:
        return compute_batch(batch.lines, batch.period, engine=engine, ignore_columns=batch.ignore_columns,
                             sessions=sessions)
    except (ColumnChoiceError, UnknownIgnoredColumnError) as exc:
        raise _column_error(exc, upload=batch.source is not None) from None
    except UnknownPeriodError as exc:
        raise ServiceError(400, str(exc)) from None


def _compute_document(engine: Engine, batch: _Batch, traces: bool) -> bytes:
    """Compute and serialise in one worker-thread call (one hop off the event loop)."""
    result = _compute(engine, batch)
    doc = result_document(result, traces=traces)
    # what the reader noticed in an uploaded file, which the command line prints as «Merk: ...»
    doc["file_notes"] = list(batch.source.notes) if batch.source is not None else []
    doc["warnings"] = batch_warnings(result, batch.period)
    for item, rejection in zip(doc["rejections"], result.rejections):  # the page names whose row and where
        item["alis_id"], item["kommunenummer"] = rejection.alis_id, rejection.kommunenummer
        item["kommunenavn"] = _municipality_name(engine, rejection.kommunenummer)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def batch_warnings(result: GrantResult, period: str | None) -> list[str]:
    """Warnings on the batch as a whole, as the command line prints them (most lines outside
    the period asked for: the period is probably wrong)."""
    from grants.report.explain import outside_period_warning

    outside = outside_period_warning(result, period, option="perioden som er valgt")
    return [outside] if outside else []


def _municipality_name(engine: Engine, number: str | None) -> str | None:
    """The name of a municipality number as written on a rejected row (either code set), or
    None when it names none."""
    if not number:
        return None
    key = number.strip().zfill(4) if number.strip().isdigit() else number.strip()
    for table in reversed(engine.ratebook.tables):
        c = table.centrality
        found = engine.centrality.lookup(key, c.classification, c.preferred_codes)
        if found is not None:
            return found.name
    return None


def _write_to_bytes(write: Callable[[Path], None], name: str) -> bytes:
    """What a writer of the command line writes to `name`, as bytes (through a temporary folder:
    the writers write files, atomically)."""
    with tempfile.TemporaryDirectory(prefix="alis-result-") as folder:
        path = Path(folder) / name
        write(path)
        return path.read_bytes()


def _compute_csv(engine: Engine, batch: _Batch, lang: str = "en", sidecar: bool = False) -> bytes:
    """The result CSV exactly as `alis-grant compute -o resultat.csv [--lang nb]` writes it, or
    (`sidecar`) the manifest file written beside it, `resultat.csv.kontroll.json`, which names
    the CSV's SHA-256: the computation is deterministic, so the same request gives the CSV it names."""
    result = _compute(engine, batch)
    with tempfile.TemporaryDirectory(prefix="alis-result-") as folder:
        path = Path(folder) / "resultat.csv"
        write_result(result, path, batch.delimiter, lang)
        return (sidecar_path(path) if sidecar else path).read_bytes()


def _compute_workbook(engine: Engine, batch: _Batch) -> bytes:
    """The finance officer's workbook exactly as `alis-grant compute -o beregning.xlsx` writes it."""
    from grants.io.workbook import write_workbook

    result = _compute(engine, batch)
    return _write_to_bytes(lambda path: write_workbook(result, path, engine.rulebook), "beregning.xlsx")


def _compute_report(engine: Engine, batch: _Batch) -> bytes:
    """The report for the case file as `alis-grant report` writes it (the timeline too, and the
    result's manifest at the bottom)."""
    from grants.report.html import report_page

    result = _compute(engine, batch)
    tables = [engine.ratebook.get(batch.period)] if batch.period else []
    records = batch.source.lines if batch.source is not None else batch.lines
    source = _safe_name(batch.filename) if batch.source is not None else ""
    page = report_page(result, tables, rulebook=engine.rulebook, source=source, records=records, name="rapport.html")
    return page.encode("utf-8")


def _explain(engine: Engine, req: ExplainRequest) -> dict[str, Any]:
    result = _compute(engine, _json_batch(req))
    if req.row > result.input_rows:
        raise ServiceError(400, f"rad {req.row} finnes ikke; forespørselen har {result.input_rows} linjer")
    text, status = explain_row(result, req.row, engine.rulebook)
    periods = {line.period for line in result.lines if line.row == req.row}
    return {"row": req.row, "text": text, "status": status, "provenance": engine.provenance.as_json(periods)}


def _bound_answer(what: str, lines: int, limit: int) -> None:
    """A heavy answer format (each has its line limit in ServiceConfig) is refused above its
    limit before anything is computed: 413 with the limit."""
    if lines > limit:
        raise ServiceError(413, f"{what} gis for høyst {limit} linjer per forespørsel, og denne har {lines}; "
                                "del den opp, eller be om svaret uten dette")
