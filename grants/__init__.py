"""Reference rules engine for Nasjonal ALIS og veiledning (Helsedirektoratet's ALIS grant).

    from grants import compute
    result = compute(dataframe_or_list_of_dicts, period="2023")
    result.total_nok, result.lines, result.rejections, result.to_frame(), result.traces()

The shipped rate tables are illustrative, not official: check `result.rates_statuses`.
"""
from .domain import GrantType, Role, Status
from .engine import Engine, compute, default_engine
from .errors import (
    ConservationError,
    GrantsError,
    InputFileError,
    RateTableError,
    RulesError,
    UnknownPeriodError,
)
from .inputs import LineInput, Rejection
from .results import GrantResult, LineResult, Total

__all__ = [
    "compute", "Engine", "default_engine", "LineInput", "Rejection", "GrantResult", "LineResult", "Total",
    "GrantType", "Role", "Status", "GrantsError", "InputFileError", "RateTableError", "RulesError",
    "UnknownPeriodError", "ConservationError",
]
__version__ = "0.1.0"
