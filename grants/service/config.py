"""The service's configuration: its limits (body size, stalls, heavy answers), its token, and
its rates and rules folders, from the command line or the environment."""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any


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
