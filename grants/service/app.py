"""The HTTP service (FastAPI on uvicorn): the engine for callers in other languages and for
officers with a browser (the upload page at /).

Promises, each tested against the real server (tests/test_service.py):
- No state between requests: each request computes from its own body with the one engine,
  which holds only the loaded rates and rules. CPU work runs in a worker thread
  (anyio.to_thread), so a slow client or a large batch never stalls the event loop.
- Bodies are limited (`max_body_bytes`): a declared Content-Length above the limit gets 413 at
  once, and the bytes are counted while reading, so a chunked body cannot slip past. A body
  that stops arriving for `body_timeout` seconds gets 408.
- Bound beyond loopback, the service needs a bearer token from its configuration and refuses to
  start without one. With a token configured, every endpoint but /, /page.js, /health and the
  OpenAPI docs requires it. However the app is started (by `alis-grant serve` or by any ASGI
  server), without a token it answers only requests that came to a loopback address: any other
  gets 503 with the reason, and the refusal is logged.
- No request body is logged, nor a query string (the access log has the path only); no
  traceback, exception text or server path reaches a client: an unexpected error is a generic
  500, logged by type only; a client that goes away is logged as a disconnect.
- Heavy answers are bounded: `traces: true` only for up to `max_trace_lines` lines, the workbook
  (format=xlsx) for up to `max_workbook_lines`, the report (format=html) for up to
  `max_report_lines` (413 beyond, with the limit in the message).
"""
from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

from grants.service.api_models import BatchResult, ComputeRequest, ErrorOut, ExplainOut, ExplainRequest, VocabularyOut
from grants.pipeline.engine import Engine, default_engine
from grants.errors import GrantsError
from grants.pipeline.provenance import package_version
from grants.service.public import load_engine
from grants.report.vocabulary_nb import COLUMN_NB, STATUS_NB, VALUE_NB
from grants.service.batch import _json_batch, _safe_name
from grants.service.config import (DEFAULT_BODY_DEADLINE, DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REPORT_LINES,
                                   DEFAULT_MAX_TRACE_LINES, DEFAULT_MAX_WORKBOOK_LINES, ServiceConfig, is_loopback)
from grants.service.errors import ServiceError, _json_response, _parse_model, add_error_handlers
from grants.service.formats import _bound_answer, _compute_csv, _compute_document, _compute_report, _compute_workbook, _explain
from grants.service.guard import Guard
from grants.service.json_body import _read_json
from grants.service.pages import add_pages
from grants.service.upload_form import _upload
from grants.service.worker import _off_loop

__all__ = ["create_app", "app_from_env", "ServiceConfig", "is_loopback", "DEFAULT_MAX_BODY_BYTES", "DEFAULT_BODY_TIMEOUT",
           "DEFAULT_BODY_DEADLINE", "DEFAULT_MAX_TRACE_LINES", "DEFAULT_MAX_WORKBOOK_LINES", "DEFAULT_MAX_REPORT_LINES"]
"""What callers import from here (the command `serve`, uvicorn's factory); the parts live in the
modules beside this one."""


_ERRORS = {s: {"model": ErrorOut} for s in (400, 401, 408, 413, 415, 422, 500)}

_COMPUTE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ComputeRequest"}},
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary",
                             "description": "søknaden som CSV (komma, semikolon eller tab) eller Excel-fil (.xlsx)"},
                    "period": {"type": "string", "description": "tilskuddsperiode, f.eks. 2023; tom: delt per periode"},
                    "ignore_columns": {"type": "string", "description": "kolonner som ikke skal brukes i beregningen, "
                                       "skilt med komma (som --ignore-column); feltet kan gjentas"},
                    "sheet": {"type": "string", "description": "arket i Excel-filen (standard: det første synlige)"},
                    "sessions": {"type": "string", "format": "binary",
                                 "description": "veiledningsøkter (CSV eller .xlsx: lege, dato, timer; valgfritt "
                                                "kommunenummer, okt_id), som --sessions"},
                },
            }},
        },
    },
}


def create_app(config: ServiceConfig | None = None, engine: Engine | None = None) -> Any:
    """The ASGI application: FastAPI with the Guard as its outermost user middleware (inside
    Starlette's own error middleware, which therefore never sees an exception: the Guard
    answers them all)."""
    config = config or ServiceConfig()
    if config.require_token and not config.token:
        raise GrantsError("tjenesten lytter på en adresse utenfor maskinen og krever en tilgangsnøkkel: sett ALIS_GRANT_TOKEN")
    if engine is None:
        engine = load_engine(config.rates_dir, config.rules_dir) if (config.rates_dir or config.rules_dir) else default_engine()
    version = package_version()
    app = FastAPI(
        title="alis-grants",
        version=version,
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN: the service serves its own (/docs)
        redoc_url=None,
        description="Tilskuddsberegning for Nasjonal ALIS og veiledning. Satsene som følger med er ikke offisielle: "
                    "se `rates_status` og `warning` i hvert svar.",
    )

    add_error_handlers(app)
    add_pages(app, engine, version)  # the pages for people, ahead of the API's routes

    def table_summary(t: Any) -> dict[str, Any]:
        h = engine.provenance.table(t.id)
        return {
            "period": t.id, "first_day": t.period.first_day.isoformat(), "last_day": t.period.last_day.isoformat(),
            "model": t.model, "status": t.status, "status_note": t.status_note,
            "file": h.file if h else None, "sha256": h.sha256 if h else None,
        }

    @app.get("/health", summary="er tjenesten oppe")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "version": version, "periods": engine.ratebook.period_ids,
                "rates_status": {t.id: t.status for t in engine.ratebook.tables},
                "token_required": config.token is not None}

    @app.get("/vocabulary", summary="ordene folk leser for statusene og kodene i JSON-svaret (bokmål)",
             response_model=VocabularyOut)
    async def vocabulary() -> dict[str, Any]:
        return {"status": STATUS_NB, "values": VALUE_NB, "columns": COLUMN_NB}

    @app.get("/rates", summary="satstabellene: periode, datoer, modell, status og SHA-256", responses=_ERRORS)
    async def rates() -> dict[str, Any]:
        return {"version": version, "tables": [table_summary(t) for t in engine.ratebook.tables]}

    @app.get("/rates/{period}", summary="én satstabell med satser og kilder", responses={404: {"model": ErrorOut}, **_ERRORS})
    async def rate_table(period: str) -> Response:
        try:
            t = engine.ratebook.get(period)
        except GrantsError:
            raise ServiceError(404, f"ingen satstabell for perioden «{_safe_name(period)}»; kjente perioder: "
                                    + ", ".join(engine.ratebook.period_ids)) from None
        return _json_response({**table_summary(t), "table": t.model_dump(mode="json", exclude={"file"})})

    @app.post(
        "/compute", summary="beregn en batch: JSON-linjer eller en opplastet CSV- eller Excel-fil",
        openapi_extra=_COMPUTE_BODY, responses={200: {"model": BatchResult, "content": {
            "text/csv": {}, "text/html": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
            **_ERRORS},
    )
    async def compute(request: Request, format: Literal["json", "csv", "xlsx", "html", "kontroll"] = Query(
            "json", description="json: the batch document (its manifest within `provenance`); csv: the result file "
                                "`alis-grant compute -o resultat.csv` writes; xlsx: the finance officer's workbook "
                                "(`-o beregning.xlsx`); html: the report for the case file with its timeline "
                                "(`alis-grant report`); kontroll: the CSV's manifest file, resultat.csv.kontroll.json "
                                "(send the same request; it names the CSV's SHA-256)"),
            lang: Literal["en", "nb"] = Query("en", description="csv and kontroll: en (stable names, the command line's "
                                              "default file) or nb (Norwegian headers, values and dates, as --lang "
                                              "nb); the workbook and the report are always in bokmål")) -> Response:
        if lang == "nb" and format == "json":
            raise ServiceError(400, "lang=nb gjelder CSV; JSON beholder de stabile navnene som andre programmer leser")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "multipart/form-data":
            batch = await _upload(request, config)
            traces = False
        elif ctype in ("application/json", ""):
            req = _parse_model(ComputeRequest, await _read_json(request))
            if req.traces:
                _bound_answer("traces: true", len(req.lines), config.max_trace_lines)
            batch = _json_batch(req)
            traces = req.traces
        else:
            raise ServiceError(415, "send JSON (application/json) eller en fil (multipart/form-data)")
        if format == "csv":
            data = await _off_loop(_compute_csv, engine, batch, lang)
            name = "resultat_nb.csv" if lang == "nb" else "resultat.csv"
            return Response(data, media_type="text/csv; charset=utf-8",
                            headers={"content-disposition": f'attachment; filename="{name}"'})
        if format == "xlsx":
            _bound_answer("arbeidsboken (format=xlsx)", batch.n_lines, config.max_workbook_lines)
            data = await _off_loop(_compute_workbook, engine, batch)
            return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            headers={"content-disposition": 'attachment; filename="beregning.xlsx"'})
        if format == "html":
            _bound_answer("rapporten (format=html)", batch.n_lines, config.max_report_lines)
            data = await _off_loop(_compute_report, engine, batch)
            return Response(data, media_type="text/html; charset=utf-8", headers={
                "content-disposition": 'attachment; filename="rapport.html"',
                "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
                "x-content-type-options": "nosniff"})
        if format == "kontroll":
            data = await _off_loop(_compute_csv, engine, batch, lang, True)
            name = "resultat_nb.csv" if lang == "nb" else "resultat.csv"
            return Response(data, media_type="application/json",
                            headers={"content-disposition": f'attachment; filename="{name}.kontroll.json"'})
        body = await _off_loop(_compute_document, engine, batch, traces)
        return Response(body, media_type="application/json")

    @app.post("/explain", summary="forklar én rad i en batch, regel for regel (bokmål)",
              responses={200: {"model": ExplainOut}, **_ERRORS})
    async def explain(request: Request) -> Response:
        req = _parse_model(ExplainRequest, await _read_json(request))
        return _json_response(await _off_loop(_explain, engine, req))

    # The request models are read by hand (to tell 400 from 422 ourselves); list them in the docs.
    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original_openapi()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ComputeRequest, ExplainRequest):
            defs = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in defs.pop("$defs", {}).items():
                components.setdefault(name, sub)
            components[model.__name__] = defs
        schema["paths"]["/explain"]["post"]["requestBody"] = {
            "required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExplainRequest"}}},
        }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.state.engine = engine
    app.add_middleware(Guard, config=config)
    return app


def app_from_env() -> Any:
    """uvicorn's factory (`grants.service.app:app_from_env`): configuration from the environment.
    This runs only in a server process, which owns its interpreter: the engine, rates and rules
    loaded at start are moved out of the collector's view (gc.freeze), so a full collection
    under load does not rescan them."""
    import gc

    app = create_app(ServiceConfig.from_env())
    gc.freeze()
    return app
