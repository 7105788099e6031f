"""Reference rules engine for Nasjonal ALIS og veiledning (Helsedirektoratet's ALIS grant).

    from grants import compute, explain, read_application
    result = compute(dataframe_or_list_of_dicts, period="2023")
    result = compute(read_application("søknad.xlsx"), period="2025-26", sessions="økter.csv")
    result.total_nok, result.lines, result.rejections, result.to_frame(), result.traces()
    print(explain(lines, row=1, period="2023"))
    print(grants.verify("resultat.xlsx", input="søknad.csv").text())   # the auditor's check, later

    engine = grants.load_engine(rates_dir="/etc/alis/rates")   # another folder's official tables
    compute(lines, period="2023", engine=engine)

`__all__` is the public API; it is held to tests/api_snapshot/ with the JSON Schemas of
grants.service.api_models (a change needs a new snapshot and a CHANGELOG.md entry). Every result
carries its manifest (`GrantResult.provenance`): the package version, the rules files and rate
tables used (embedded, with their SHA-256), the input's and the sessions' hashes and the options,
so `grants.verify` can compute it again later. The shipped rate tables are illustrative, not official: check
`result.rates_statuses`.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "compute": "grants.service.public", "Engine": "grants.pipeline.engine", "default_engine": "grants.pipeline.engine",
    "explain": "grants.service.public", "load_rates": "grants.service.public", "load_rules": "grants.service.public",
    "load_engine": "grants.service.public", "verify": "grants.tools.verify", "Verification": "grants.tools.verify",
    "read_application": "grants.io.application", "ApplicationFile": "grants.io.application",
    "RateBook": "grants.rates.tables", "RateTable": "grants.rates.tables", "RuleBook": "grants.rules.rulebook",
    "LineInput": "grants.pipeline.inputs", "Rejection": "grants.pipeline.inputs",
    "GrantResult": "grants.pipeline.results", "LineResult": "grants.pipeline.results", "Total": "grants.pipeline.results",
    "Provenance": "grants.pipeline.provenance", "package_version": "grants.pipeline.provenance",
    "LineIn": "grants.service.api_models", "SessionIn": "grants.service.api_models", "ComputeRequest": "grants.service.api_models",
    "ResultRow": "grants.service.api_models", "BatchResult": "grants.service.api_models",
    "GrantType": "grants.domain", "Role": "grants.domain", "Status": "grants.domain",
    "GrantsError": "grants.errors", "InputFileError": "grants.errors", "RateTableError": "grants.errors",
    "RulesError": "grants.errors", "UnknownPeriodError": "grants.errors", "ConservationError": "grants.errors",
}
"""Where each public name lives. They are imported on first use (PEP 562), so that
`import grants.cli` or `grants.io` does not load the engine, the web service's models and
pandas before a command needs them (the CLI's start-up time)."""

__all__ = [
    "compute", "explain", "Engine", "default_engine", "load_rates", "load_rules", "load_engine",
    "read_application", "ApplicationFile",
    "RateBook", "RateTable", "RuleBook",
    "LineInput", "Rejection", "GrantResult", "LineResult", "Total", "Provenance",
    "LineIn", "SessionIn", "ComputeRequest", "ResultRow", "BatchResult",
    "GrantType", "Role", "Status", "GrantsError", "InputFileError", "RateTableError", "RulesError",
    "UnknownPeriodError", "ConservationError", "package_version", "verify", "Verification",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = importlib.import_module("grants.pipeline.provenance").package_version()
    elif name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
    else:
        raise AttributeError(f"module 'grants' has no attribute {name!r}")
    globals()[name] = value  # once: later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | {"__version__"})


if TYPE_CHECKING:  # for type checkers and editors: the names as if imported here
    from grants.domain import GrantType, Role, Status
    from grants.errors import (
        ConservationError,
        GrantsError,
        InputFileError,
        RateTableError,
        RulesError,
        UnknownPeriodError,
    )
    from grants.io.application import ApplicationFile, read_application
    from grants.pipeline.engine import Engine, default_engine
    from grants.pipeline.inputs import LineInput, Rejection
    from grants.pipeline.provenance import Provenance, package_version
    from grants.pipeline.results import GrantResult, LineResult, Total
    from grants.rates.tables import RateBook, RateTable
    from grants.rules.rulebook import RuleBook
    from grants.service.api_models import BatchResult, ComputeRequest, LineIn, ResultRow, SessionIn
    from grants.service.public import compute, explain, load_engine, load_rates, load_rules
    from grants.tools.verify import Verification, verify

    __version__: str
