"""The guard: pure ASGI middleware in front of the app (token, declared size, counted body
bytes, stalled bodies, a generic 500, the access log)."""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any, Awaitable, Callable

from starlette.requests import ClientDisconnect

from grants.service.errors import error_body
from grants.service.config import ServiceConfig, is_loopback
from grants.service.pages import _DOCS_ASSETS


log = logging.getLogger("grants.service.app")
access_log = logging.getLogger("grants.service.access")

_PUBLIC_PATHS = frozenset({"/", "/page.js", "/health", "/vocabulary", "/docs", "/docs/init.js", "/openapi.json",
                           *(f"/docs/assets/{name}" for name in _DOCS_ASSETS)})


def _server_host(scope: dict[str, Any]) -> str | None:
    """The address the request came to (None for a Unix socket or when the server does not say)."""
    server = scope.get("server")
    if not server or server[1] is None:
        return None
    return str(server[0])


def _loggable(text: str) -> str:
    """Text for one log line: anything not printable is escaped (no forged log lines)."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in text)


class _BodyTooLarge(Exception):
    pass


class _BodyTimeout(Exception):
    pass


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
