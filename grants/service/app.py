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

import asyncio
import hmac
import re
from contextlib import contextmanager
from decimal import Decimal
from html import escape as html_escape
import ipaddress
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, Literal

import anyio
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from grants.service.api_models import BatchResult, ComputeRequest, ErrorOut, ExplainOut, ExplainRequest, VocabularyOut
from grants.io.application import ApplicationFile, read_application
from grants.pipeline.engine import Engine, default_engine
from grants.errors import ColumnChoiceError, GrantsError, InputFileError, UnknownIgnoredColumnError, UnknownPeriodError
from grants.pipeline.provenance import package_version
from grants.service.public import compute as compute_batch, explain_row, load_engine
from grants.pipeline.results import GrantResult
from grants.report.vocabulary_nb import COLUMN_NB, STATUS_NB, VALUE_NB
from grants.io.writers import result_document, write_result
from grants.io.output import sidecar_path

log = logging.getLogger("grants.service.app")
access_log = logging.getLogger("grants.service.access")

DEFAULT_MAX_BODY_BYTES = 5_000_000
DEFAULT_BODY_TIMEOUT = 30.0
DEFAULT_BODY_DEADLINE = 120.0
DEFAULT_MAX_TRACE_LINES = 2_000
"""Lines one request may ask traces for: a trace is about 5 kB of JSON, so 2 000 lines answer
with about 11 MB (24 000 lines with traces were 130 MB and cost the server 836 MB)."""
DEFAULT_MAX_WORKBOOK_LINES = 5_000
"""Lines one request may ask the workbook for (format=xlsx): about 30 explanation rows a line;
2 000 lines took 6-9 s and 20 000 lines 72 s and 180 MB on the development machine."""
DEFAULT_MAX_REPORT_LINES = 2_000
"""Lines one request may ask the HTML report for (format=html): the explanation of every line
and a timeline row each, about 6 kB a line (2 000 lines: about 12 MB of HTML)."""
_DOCS_ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
"""Swagger UI's files the API page loads, served from the package swagger-ui-bundle-v2 (a
dependency), never from a CDN: the page works on a network without internet."""
_PUBLIC_PATHS = frozenset({"/", "/page.js", "/health", "/vocabulary", "/docs", "/docs/init.js", "/openapi.json",
                           *(f"/docs/assets/{name}" for name in _DOCS_ASSETS)})
_DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'")
"""The API page may load nothing from another host (Swagger UI sets inline styles and draws
data: images)."""
_PAGE_DIR = Path(__file__).resolve().parent / "web"
_IGNORE_FIELD_NB = "Kolonner som ikke skal brukes"
"""The upload page's field for columns to leave out (the CLI's --ignore-column)."""


class ServiceError(Exception):
    """An error answer: status and a bokmål message that is safe to show the client."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors


@dataclass(frozen=True)
class ServiceConfig:
    token: str | None = None
    require_token: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    body_deadline: float = DEFAULT_BODY_DEADLINE
    max_trace_lines: int = DEFAULT_MAX_TRACE_LINES
    max_workbook_lines: int = DEFAULT_MAX_WORKBOOK_LINES
    max_report_lines: int = DEFAULT_MAX_REPORT_LINES
    rates_dir: str | None = None
    rules_dir: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "ServiceConfig":
        """ALIS_GRANT_TOKEN, ALIS_GRANT_REQUIRE_TOKEN (1 when bound beyond loopback),
        ALIS_GRANT_MAX_BYTES, ALIS_GRANT_BODY_TIMEOUT (a stall), ALIS_GRANT_BODY_DEADLINE (the
        whole body), ALIS_GRANT_MAX_TRACE_LINES, ALIS_GRANT_MAX_WORKBOOK_LINES,
        ALIS_GRANT_MAX_REPORT_LINES, ALIS_GRANT_RATES_DIR, ALIS_GRANT_RULES_DIR."""
        env = dict(os.environ if env is None else env)
        return cls(
            token=env.get("ALIS_GRANT_TOKEN") or None,
            require_token=env.get("ALIS_GRANT_REQUIRE_TOKEN", "") == "1",
            max_body_bytes=int(env.get("ALIS_GRANT_MAX_BYTES") or DEFAULT_MAX_BODY_BYTES),
            body_timeout=float(env.get("ALIS_GRANT_BODY_TIMEOUT") or DEFAULT_BODY_TIMEOUT),
            body_deadline=float(env.get("ALIS_GRANT_BODY_DEADLINE") or DEFAULT_BODY_DEADLINE),
            max_trace_lines=int(env.get("ALIS_GRANT_MAX_TRACE_LINES") or DEFAULT_MAX_TRACE_LINES),
            max_workbook_lines=int(env.get("ALIS_GRANT_MAX_WORKBOOK_LINES") or DEFAULT_MAX_WORKBOOK_LINES),
            max_report_lines=int(env.get("ALIS_GRANT_MAX_REPORT_LINES") or DEFAULT_MAX_REPORT_LINES),
            rates_dir=env.get("ALIS_GRANT_RATES_DIR") or None,
            rules_dir=env.get("ALIS_GRANT_RULES_DIR") or None,
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _server_host(scope: dict[str, Any]) -> str | None:
    """The address the request came to (None for a Unix socket or when the server does not say)."""
    server = scope.get("server")
    if not server or server[1] is None:
        return None
    return str(server[0])


def _loggable(text: str) -> str:
    """Text for one log line: anything not printable is escaped (no forged log lines)."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in text)


# -- the guard: token, size, slow bodies, generic 500 ---------------------------------------------


class _BodyTooLarge(Exception):
    pass


class _BodyTimeout(Exception):
    pass


def error_body(detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The one shape of every error answer (api_models.ErrorOut): `detail` for people, `errors`
    (always a list, empty when the detail says it all) for programs."""
    return {"detail": detail, "errors": list(errors or [])}


async def _send_json(send: Callable[[dict[str, Any]], Awaitable[None]], status: int, detail: str,
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(error_body(detail), ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), *(headers or []),
    ]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Pure ASGI middleware: checks the token and the declared size before the app
    sees the request, counts body bytes and times out a stalled body while the app reads, and
    turns any unexpected exception into a generic 500 (logged by type, never by message)."""

    def __init__(self, app: Any, config: ServiceConfig):
        self.app, self.config = app, config
        self._expected = f"Bearer {config.token}".encode() if config.token else None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        began = loop.time()
        seen: dict[str, Any] = {"status": None, "disconnected": False}

        async def logged_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            await send(message)

        async def watched_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.disconnect":
                seen["disconnected"] = True
            return message

        try:
            await self._guarded(scope, watched_receive, logged_send, seen)
        finally:
            client = scope.get("client")
            who = f"{client[0]}:{client[1]}" if client else "-"
            outcome = "client disconnected" if seen["disconnected"] and seen["status"] is None else seen["status"]
            # the path only: a query string may carry what must not be logged (a token in ?token=)
            access_log.info('%s - "%s %s" %s %.0f ms', who, scope.get("method"), _loggable(scope.get("path", "")),
                            outcome, (loop.time() - began) * 1000)

    async def _guarded(self, scope: dict[str, Any], receive: Any, send: Any, seen: dict[str, Any]) -> None:
        if self._expected is None and not is_loopback(_server_host(scope) or ""):
            log.warning("refused %s %s: no token configured (ALIS_GRANT_TOKEN) and the request came to %s, "
                        "not to a loopback address", scope.get("method"), _loggable(scope.get("path", "")),
                        _server_host(scope) or "a socket without an address")
            await _send_json(send, 503, "tjenesten har ingen tilgangsnøkkel og svarer bare på forespørsler til "
                                        "maskinen selv (127.0.0.1 eller ::1); sett ALIS_GRANT_TOKEN og start den på nytt")
            return
        headers = dict(scope.get("headers") or [])
        if self._expected is not None and scope["path"] not in _PUBLIC_PATHS:
            given = headers.get(b"authorization", b"")
            if not hmac.compare_digest(given, self._expected):
                await _send_json(send, 401, "mangler eller feil tilgangsnøkkel (Authorization: Bearer ...)",
                                 [(b"www-authenticate", b"Bearer")])
                return
        limit = self.config.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await _send_json(send, 400, "ugyldig Content-Length")
                return
            if size > limit:
                await _send_json(send, 413, f"forespørselen er for stor ({size} byte); grensen er {limit} byte")
                return
        received = 0
        body_done = False
        started = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.body_deadline  # a body trickling in forever ends too

        async def limited_receive() -> dict[str, Any]:
            nonlocal received, body_done
            if body_done:
                return await receive()
            wait = min(self.config.body_timeout, deadline - loop.time())
            try:
                if wait <= 0:
                    raise asyncio.TimeoutError
                message = await asyncio.wait_for(receive(), wait)
            except asyncio.TimeoutError:
                raise _BodyTimeout from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
                body_done = not message.get("more_body", False)
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _send_json(send, 413, f"forespørselen er større enn grensen på {limit} byte")
        except _BodyTimeout:
            if not started:
                await _send_json(send, 408, "forespørselen kom ikke fram i tide (stopp i overføringen eller for treg)")
        except Exception as exc:  # noqa: BLE001 - the one place an unexpected error is answered
            if seen["disconnected"] or isinstance(exc, ClientDisconnect):
                seen["disconnected"] = True  # the client went away: nothing to answer, nothing wrong here
                return
            log.error("internal error %s on %s %s", type(exc).__name__, scope.get("method"), scope.get("path"))
            if not started:
                await _send_json(send, 500, "intern feil i tjenesten; forespørselen er ikke behandlet")


# -- request handling ----------------------------------------------------------------------------


def _validation_errors(exc: ValidationError | RequestValidationError) -> list[dict[str, Any]]:
    """pydantic's errors without its documentation links or Python objects."""
    out = []
    for err in exc.errors():
        item = {"loc": [str(p) for p in err.get("loc", ())], "type": err.get("type"), "msg": err.get("msg")}
        out.append(item)
    return out


class _NotJson(ValueError):
    pass


def _not_json(constant: str) -> Any:
    raise _NotJson(f"{constant} er ikke et tall i JSON")


async def _read_json(request: Request) -> Any:
    """The body as JSON with every number exact: a number with a point or an exponent is a
    Decimal (never a float, which would read 99.999999999999999999 as 100), so the value
    grammar judges its exact value as it judges a file's cell. NaN and Infinity are not JSON.
    Text that is not Unicode (a lone surrogate, which JSON's \\u escapes can spell) is a 422
    naming where it is."""
    raw = await request.body()
    if not raw.strip():
        raise ServiceError(400, "tom forespørsel; send JSON")
    try:
        data = json.loads(raw, parse_float=Decimal, parse_constant=_not_json)
    except UnicodeDecodeError:
        raise ServiceError(400, "forespørselen er ikke UTF-8-tekst") from None
    except json.JSONDecodeError as exc:
        raise ServiceError(400, f"ugyldig JSON (linje {exc.lineno}, kolonne {exc.colno}): {exc.msg}") from None
    except RecursionError:
        raise ServiceError(400, "ugyldig JSON: nøstet for dypt") from None
    except _NotJson as exc:  # NaN, Infinity
        raise ServiceError(400, f"ugyldig JSON: {exc}") from None
    except ValueError:  # an integer beyond Python's limit of digits read from text
        raise ServiceError(400, "ugyldig JSON: et heltall har for mange sifre") from None
    problems = list(_lone_surrogates(data, [])) if _may_hold_surrogates(raw) else []
    if problems:
        raise ServiceError(422, "forespørselen har tekst som ikke er gyldig Unicode: "
                           + "; ".join(f"{'.'.join(p['loc'])}: {p['msg']}" for p in problems[:5]), problems)
    return data


_SURROGATE = re.compile("[\ud800-\udfff]")


_SURROGATE_IN_UTF8 = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
"""Where a UTF-8 JSON text can spell a surrogate: a \\uD800-\\uDFFF escape, or one encoded
as bytes (which json.loads lets through)."""


def _may_hold_surrogates(raw: bytes) -> bool:
    """Whether the body can hold a lone surrogate at all (a quick look at the bytes, so a large
    body without any is not walked string by string)."""
    if json.detect_encoding(raw) not in ("utf-8", "utf-8-sig"):
        return True
    return (b"\\u" in raw or b"\xed" in raw) and _SURROGATE_IN_UTF8.search(raw) is not None


def _shown(text: str) -> str:
    """Text with its lone surrogates written as \\uXXXX escapes, safe to send back."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _lone_surrogates(data: Any, loc: list[str]) -> Iterator[dict[str, Any]]:
    """Every field name and text value holding a lone surrogate (half of a UTF-16 pair, not a
    character: it cannot be encoded, compared or written), with its place in the request."""
    if isinstance(data, str):
        found = _SURROGATE.search(data)
        if found:
            yield {"loc": loc, "type": "lone_surrogate",
                   "msg": f"teksten «{_shown(data)[:80]}» har en enslig surrogat (U+{ord(found.group()):04X}), som ikke "
                          "er et tegn; send gyldig Unicode"}
    elif isinstance(data, dict):
        for key, value in data.items():
            where = [*loc, _shown(key)]
            found = _SURROGATE.search(key)
            if found:
                yield {"loc": where, "type": "lone_surrogate",
                       "msg": f"feltnavnet «{_shown(key)[:80]}» har en enslig surrogat (U+{ord(found.group()):04X}), som "
                              "ikke er et tegn; send gyldig Unicode"}
            yield from _lone_surrogates(value, where)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _lone_surrogates(value, [*loc, str(i)])


def _parse_model(model: Any, data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ServiceError(422, "forespørselen følger ikke skjemaet", _validation_errors(exc)) from None


def _safe_name(name: str | None) -> str:
    base = Path(name or "filen").name or "filen"
    return "".join(c for c in base if c.isprintable())[:120]


@contextmanager
def _as_file(upload: "_Upload") -> Iterator[Path]:
    """An uploaded file as a temporary file, for the readers of the command line (the kind is
    decided by the content). Messages name the file as the client called it, never the
    temporary path."""
    shown = _safe_name(upload.filename)
    with tempfile.TemporaryDirectory(prefix="alis-upload-") as folder:
        # under the client's own name (in a private folder), which the result's manifest records
        name = shown if shown not in ("filen", ".", "..") and not shown.startswith(".") else None
        path = Path(folder) / (name or ("upload.xlsx" if upload.data[:4] == b"PK\x03\x04" else "upload.csv"))
        path.write_bytes(upload.data)
        try:
            yield path
        except InputFileError as exc:
            raise ServiceError(400, str(exc).replace(str(path), shown).replace(folder, "")) from None


@dataclass(frozen=True)
class _Upload:
    data: bytes
    filename: str | None


def _read_upload(upload: "_Upload", sheet: str | None, max_bytes: int) -> ApplicationFile:
    """An uploaded CSV or XLSX, read as the command line reads it (grants.read_application),
    with the upload limit as the file limit: a workbook may unpack to at most
    XLSX_EXPANSION times it."""
    with _as_file(upload) as path:
        return read_application(path, sheet, max_bytes=max_bytes)


@dataclass(frozen=True)
class _Batch:
    """What one request asks to compute: the lines (a JSON request's records, or an uploaded
    file as read, so rows carry `file_line` and the CSV is the command line's file), and the
    supervision sessions (a JSON request's rows, or an uploaded sessions file)."""

    lines: Any
    period: str | None
    ignore_columns: tuple[str, ...] = ()
    sessions: list[dict[str, Any]] | _Upload | None = None
    filename: str | None = None  # an upload's name as the client gave it

    @property
    def n_lines(self) -> int:
        return self.source.n_rows if self.source is not None else len(self.lines)

    @property
    def source(self) -> ApplicationFile | None:
        return self.lines if isinstance(self.lines, ApplicationFile) else None

    @property
    def delimiter(self) -> str:
        return self.source.delimiter if self.source is not None else ","


def _json_batch(req: ComputeRequest | ExplainRequest) -> _Batch:
    sessions = [s.record() for s in req.sessions] if req.sessions is not None else None
    return _Batch([line.record() for line in req.lines], req.period, tuple(req.ignore_columns), sessions)


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


def _json_response(doc: Any, status: int = 200) -> Response:
    return Response(json.dumps(doc, ensure_ascii=False).encode("utf-8"), status_code=status,
                    media_type="application/json")


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

    @app.exception_handler(ServiceError)
    async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(error_body(exc.detail, exc.errors), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("forespørselen følger ikke skjemaet", _validation_errors(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = {404: "finnes ikke", 405: "metoden er ikke tillatt her"}.get(exc.status_code, str(exc.detail))
        return JSONResponse(error_body(detail), status_code=exc.status_code, headers=getattr(exc, "headers", None))

    def table_summary(t: Any) -> dict[str, Any]:
        h = engine.provenance.table(t.id)
        return {
            "period": t.id, "first_day": t.period.first_day.isoformat(), "last_day": t.period.last_day.isoformat(),
            "model": t.model, "status": t.status, "status_note": t.status_note,
            "file": h.file if h else None, "sha256": h.sha256 if h else None,
        }

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> Response:
        html = (_PAGE_DIR / "index.html").read_text(encoding="utf-8")
        periods = "".join(
            f'<option value="{html_escape(t.id)}">{html_escape(t.id)} ({VALUE_NB["rates_status"].get(t.status, t.status)} satser)</option>'
            for t in engine.ratebook.tables
        )
        html = (html.replace("<!--PERIODS-->", periods).replace("<!--VERSION-->", version)
                .replace("<!--IGNORE_FIELD-->", html_escape(_IGNORE_FIELD_NB)))
        return HTMLResponse(html, headers={
            "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; "
                                       "connect-src 'self'; form-action 'self'; base-uri 'none'",
            "x-content-type-options": "nosniff",
        })

    @app.get("/page.js", include_in_schema=False)
    async def page_js() -> Response:
        return Response((_PAGE_DIR / "page.js").read_bytes(), media_type="text/javascript",
                        headers={"x-content-type-options": "nosniff"})

    @app.get("/docs", include_in_schema=False)
    async def docs_page() -> Response:
        from swagger_ui_bundle import swagger_ui_path

        html = (_PAGE_DIR / "docs.html").read_text(encoding="utf-8")
        html = html.replace("<!--SWAGGER_VERSION-->", html_escape(Path(str(swagger_ui_path)).name.removeprefix("swagger-ui-")))
        return HTMLResponse(html, headers={"content-security-policy": _DOCS_CSP, "x-content-type-options": "nosniff"})

    @app.get("/docs/init.js", include_in_schema=False)
    async def docs_js() -> Response:
        return Response((_PAGE_DIR / "docs.js").read_bytes(), media_type="text/javascript",
                        headers={"x-content-type-options": "nosniff"})

    @app.get("/docs/assets/{name}", include_in_schema=False)
    async def docs_asset(name: str) -> Response:
        from swagger_ui_bundle import swagger_ui_path

        media = _DOCS_ASSETS.get(name)
        if media is None:
            raise ServiceError(404, "finnes ikke")
        data = await _off_loop((Path(str(swagger_ui_path)) / name).read_bytes)
        return Response(data, media_type=media, headers={"x-content-type-options": "nosniff",
                                                         "cache-control": "public, max-age=86400"})

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


def _form_text(form: Any, name: str) -> str | None:
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        raise ServiceError(400, f"feltet «{name}» må være tekst")
    return (value.strip() or None) if value else None


def _form_ignore_columns(form: Any) -> tuple[str, ...]:
    """`ignore_columns`: column names separated by commas (the page's text field); the field
    may also be repeated."""
    names: list[str] = []
    for value in form.getlist("ignore_columns"):
        if not isinstance(value, str):
            raise ServiceError(400, "feltet «ignore_columns» må være tekst")
        names += [part.strip() for part in value.split(",") if part.strip()]
    return tuple(names)


async def _upload(request: Request, config: ServiceConfig) -> _Batch:
    try:
        form = await request.form(max_files=2, max_fields=10, max_part_size=config.max_body_bytes)
    except (_BodyTooLarge, _BodyTimeout, ClientDisconnect):
        raise
    except Exception:  # noqa: BLE001 - python-multipart's parse errors: a malformed upload
        raise ServiceError(400, "skjemaet (multipart/form-data) kan ikke leses") from None
    try:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ServiceError(400, "mangler filen (feltet «file»)")
        period, sheet = _form_text(form, "period"), _form_text(form, "sheet")
        ignore = _form_ignore_columns(form)
        application = _Upload(await upload.read(), upload.filename)
        sessions = None
        given = form.get("sessions")
        if isinstance(given, str):
            if given.strip():
                raise ServiceError(400, "feltet «sessions» må være en fil (veiledningsøktene som CSV eller .xlsx)")
        elif given is not None:
            data = await given.read()
            if data or given.filename:  # a form's file field left empty sends no name and no bytes
                sessions = _Upload(data, given.filename)
    finally:
        await form.close()
    source = await _off_loop(_read_upload, application, sheet, config.max_body_bytes)
    return _Batch(source, period, ignore, sessions, upload.filename)


_LIMITER: list[anyio.CapacityLimiter] = []


async def _off_loop(func: Callable[..., Any], *args: Any) -> Any:
    """Run CPU work in a worker thread. ALIS_GRANT_THREADS bounds how many run at once in this
    process (default: anyio's pool of 40); the GIL lets only one compute anyway."""
    if not _LIMITER:
        threads = os.environ.get("ALIS_GRANT_THREADS")
        _LIMITER.append(anyio.CapacityLimiter(int(threads)) if threads else anyio.to_thread.current_default_thread_limiter())
    return await anyio.to_thread.run_sync(func, *args, limiter=_LIMITER[0])


def app_from_env() -> Any:
    """uvicorn's factory (`grants.service.app:app_from_env`): configuration from the environment.
    This runs only in a server process, which owns its interpreter: the engine, rates and rules
    loaded at start are moved out of the collector's view (gc.freeze), so a full collection
    under load does not rescan them."""
    import gc

    app = create_app(ServiceConfig.from_env())
    gc.freeze()
    return app
