"""How `alis-grant serve` runs the service on uvicorn: a deadline for each request's headers, and
the service's own access log (path only, never the query string) in uvicorn's log format.

uvicorn arms no timer until a request's headers are complete: a client that opens connections
and never finishes its headers (slowloris) holds them forever. `HeaderDeadlineProtocol` is
uvicorn's own HTTP protocol (httptools, or h11 without it) with one timer added: armed when a
connection opens and when the first bytes of a kept-alive connection's next request arrive,
cancelled when the headers are complete (uvicorn then starts a new request cycle); when it fires
the connection is closed. The body has its own limits in the app (`Guard`: a stall and a
deadline). tests/test_service_transport.py holds it against the real server.
"""
from __future__ import annotations

import copy
import logging
import os
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

DEFAULT_HEADER_TIMEOUT = 5.0
"""Seconds a client has from opening a connection (or starting its next request on a kept-alive
one) to the end of its request headers; `ALIS_GRANT_HEADER_TIMEOUT` overrides it."""

log = logging.getLogger("grants.service.server")


def header_timeout() -> float:
    return float(os.environ.get("ALIS_GRANT_HEADER_TIMEOUT") or DEFAULT_HEADER_TIMEOUT)


class HeaderDeadlineProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol with a deadline for the request headers (see the module)."""

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._headers_of = self.cycle
        self._header_timer: Any = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not self._headers_of:  # uvicorn started a request: its headers are complete
            self._headers_of = self.cycle
            self._disarm()
        elif self._header_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._arm()  # the first bytes of the next request on a kept-alive connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._header_timer = self.loop.call_later(header_timeout(), self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            client = "%s:%d" % self.client if self.client else "?"
            log.info("%s - request headers not complete within %g s: connection closed", client, header_timeout())
            self.transport.close()


def logging_config() -> dict[str, Any]:
    """uvicorn's logging configuration, with the service's loggers (access log, refusals,
    errors) on the same handler. uvicorn's own access log is off (it writes the query string)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["grants.service"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
