"""The pages for people: the upload page at / with its script, and the API page (/docs) with
Swagger UI served from the package, never from a CDN."""
from __future__ import annotations

from html import escape as html_escape
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse, Response

from grants.pipeline.engine import Engine
from grants.report.vocabulary_nb import VALUE_NB
from grants.service.errors import ServiceError
from grants.service.worker import _off_loop


_DOCS_ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
"""Swagger UI's files the API page loads, served from the package swagger-ui-bundle-v2 (a
dependency), never from a CDN: the page works on a network without internet."""


_DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'")
"""The API page may load nothing from another host (Swagger UI sets inline styles and draws
data: images)."""
_PAGE_DIR = Path(__file__).resolve().parent / "web"
_IGNORE_FIELD_NB = "Kolonner som ikke skal brukes"
"""The upload page's field for columns to leave out (the CLI's --ignore-column)."""


def add_pages(app: Any, engine: Engine, version: str) -> None:
    """The upload page and the API page, with their scripts and Swagger UI's files."""

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
