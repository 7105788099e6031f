"""Reference rules engine for Nasjonal ALIS og veiledning (Helsedirektoratet's ALIS grant).

    from grants import compute
    from grants.report import explain
    result = compute(dataframe_or_list_of_dicts, period="2023")
    result.total_nok, result.lines, result.rejections, result.to_frame(), result.traces()
    print(explain(lines, row=1, period="2023"))

    engine = grants.load_engine(rates_dir="/etc/alis/rates")   # another folder's official tables
    compute(lines, period="2023", engine=engine)

`__all__` is the public API; it is held to tests/api_snapshot/ with the JSON Schemas of
grants.service.api_models (a change needs a new snapshot and a CHANGELOG.md entry). Every result
carries the package version and the SHA-256 of the rules files and rate tables used
(`GrantResult.provenance`). The shipped rate tables are illustrative, not official: check
`result.rates_statuses`.
"""
from grants.domain import GrantType, Role, Status
from grants.pipeline.engine import Engine, compute, default_engine
from grants.errors import (
    ConservationError,
    GrantsError,
    InputFileError,
    RateTableError,
    RulesError,
    UnknownPeriodError,
)
from grants.pipeline.inputs import LineInput, Rejection
from grants.pipeline.provenance import Provenance, package_version
from grants.service.public import explain, load_engine, load_rates, load_rules
from grants.rates.tables import RateBook, RateTable
from grants.pipeline.results import GrantResult, LineResult, Total
from grants.rules.rulebook import RuleBook
from grants.service.api_models import BatchResult, ComputeRequest, LineIn, ResultRow

__all__ = [
    "compute", "explain", "Engine", "default_engine", "load_rates", "load_rules", "load_engine",
    "RateBook", "RateTable", "RuleBook",
    "LineInput", "Rejection", "GrantResult", "LineResult", "Total", "Provenance",
    "LineIn", "ComputeRequest", "ResultRow", "BatchResult",
    "GrantType", "Role", "Status", "GrantsError", "InputFileError", "RateTableError", "RulesError",
    "UnknownPeriodError", "ConservationError", "package_version",
]
__version__ = package_version()
