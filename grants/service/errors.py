"""Error answers: one shape for every error (`detail` for people, `errors` for programs), and
the handlers that give FastAPI's own errors that shape."""
from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException


class ServiceError(Exception):
    """An error answer: status and a bokmål message that is safe to show the client."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors


def error_body(detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The one shape of every error answer (api_models.ErrorOut): `detail` for people, `errors`
    (always a list, empty when the detail says it all) for programs."""
    return {"detail": detail, "errors": list(errors or [])}


def _validation_errors(exc: ValidationError | RequestValidationError) -> list[dict[str, Any]]:
    """pydantic's errors without its documentation links or Python objects."""
    out = []
    for err in exc.errors():
        item = {"loc": [str(p) for p in err.get("loc", ())], "type": err.get("type"), "msg": err.get("msg")}
        out.append(item)
    return out


def _parse_model(model: Any, data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ServiceError(422, "forespørselen følger ikke skjemaet", _validation_errors(exc)) from None


def _json_response(doc: Any, status: int = 200) -> Response:
    return Response(json.dumps(doc, ensure_ascii=False).encode("utf-8"), status_code=status,
                    media_type="application/json")


def add_error_handlers(app: Any) -> None:
    """Every error FastAPI or Starlette answers itself, in the service's one shape."""

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
