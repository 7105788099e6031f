"""The library's documented entry points: compute a batch (lines as a DataFrame, dicts, typed
lines or an application file read by `read_application`; sessions as a file or rows), load
another folder's rate tables and rules (a service ships its own official tables), and explain
one row in bokmål. The command line and the service call these too: one road for every door.

Everything here is a thin layer over the engine; nothing changes interpreter state.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Union

from grants.io.application import ApplicationFile, attach_source, read_application  # noqa: F401 - public
from grants.pipeline.engine import Engine, default_engine
from grants.pipeline.provenance import SourceRecord, records_sha256
from grants.pipeline.sessions import SessionHours
from grants.errors import GrantsError
from grants.report.explain import explain_line, explain_rejection, rates_warning
from grants.money import format_nok
from grants.rates.tables import RateBook
from grants.pipeline.results import GrantResult
from grants.rules.rulebook import RuleBook


def load_rates(directory: str | Path) -> RateBook:
    """Every rate table (`<period>.yaml`) in `directory`, validated as the shipped ones are."""
    folder = Path(directory)
    if not folder.is_dir():
        raise GrantsError(f"{folder}: finner ingen mappe med satstabeller")
    return RateBook.load(folder)


def load_rules(directory: str | Path, rates: RateBook) -> RuleBook:
    """Every rules file (`*.yaml`) in `directory`, checked against the periods of `rates`."""
    folder = Path(directory)
    if not folder.is_dir():
        raise GrantsError(f"{folder}: finner ingen mappe med regelfiler")
    return RuleBook.load(rates, folder)


def load_engine(rates_dir: str | Path | None = None, rules_dir: str | Path | None = None, **options: Any) -> Engine:
    """An Engine on another folder's rate tables and/or rules (the packaged ones where a folder
    is not given). Build it once and reuse it: building checks every rule combination."""
    rates = load_rates(rates_dir) if rates_dir is not None else RateBook.load()
    rules = load_rules(rules_dir, rates) if rules_dir is not None else RuleBook.load(rates)
    return Engine(rates, rules, **options)


Sessions = Union[str, os.PathLike, Iterable[Mapping[str, Any]], SessionHours]
"""The supervision sessions `compute` takes: the path of a sessions file (CSV or .xlsx, read as
`alis-grant compute --sessions FILE` reads it), or its rows (dicts with the file's columns,
aliases and value grammar, e.g. {"alis_id": "A1", "date": "2025-09-01", "hours": "2,5",
"kommunenummer": "0301", "okt_id": "1"}, or a DataFrame)."""


def compute(lines: Any, period: str | None = None, *, engine: Engine | None = None,
            ignore_columns: Iterable[str] = (), sessions: Sessions | None = None,
            evaluator: str = "auto") -> GrantResult:
    """Compute the grant for a batch of lines; see `Engine.compute`.

    `lines`: a pandas DataFrame, a list of dicts or of LineInput, or an application file read by
    `read_application` (then each result row carries `file_line` and each rejection `where`).
    `sessions`: a sessions file's path, or its rows; a file that cannot be read or a session
    value not understood raises InputFileError naming the row, column and value, as the
    command line stops with exit 2."""
    _check_lines(lines)
    engine = engine or default_engine()
    if period is not None:
        engine.ratebook.get(period)  # an unknown period stops before any file is read
    if isinstance(lines, Iterator):  # a generator: read once, for the engine and for the manifest's hash
        lines = list(lines)
    if isinstance(sessions, Iterator):
        sessions = list(sessions)
    sessions_record = None
    if isinstance(sessions, (str, os.PathLike)):
        from grants.io.sessions_file import sessions_with_record

        sessions, sessions_record = sessions_with_record(sessions, engine.ratebook, period)
    source = lines if isinstance(lines, ApplicationFile) else None
    ignore_columns = tuple(ignore_columns)
    result = engine.compute(source.columns if source is not None else lines, period, ignore_columns=ignore_columns,
                            sessions=sessions, evaluator=evaluator)
    # hashed after computing, so that what the engine refuses is refused as before
    if sessions is not None and sessions_record is None:
        sessions_record = _lines_record(sessions)
    input_record = source.record() if source is not None else _lines_record(lines)
    if source is not None:
        attach_source(result, source)
    options = {"period": period, "sheet": source.table.sheet if source is not None and source.kind == "xlsx" else None,
               "ignore_columns": ignore_columns, "evaluator": evaluator, "evaluator_ran": result.evaluator}
    result.provenance = engine.provenance.for_run(input=input_record, sessions=sessions_record, options=options,
                                                  centrality_folder=engine.centrality.folder)
    return result


LINES_ACCEPTED = ("a list of dicts (one per line: the file's column names and values), a list of LineInput, "
                  "a pandas DataFrame, or an application file read by grants.read_application(path)")


def _check_lines(lines: Any) -> None:
    """The lines `compute` takes, or a TypeError that names them: a path, a single dict or None
    is a mistake a caller makes, never something to guess about."""
    if lines is None:
        raise TypeError(f"compute() got no lines (None); it takes {LINES_ACCEPTED}")
    if isinstance(lines, (str, bytes, os.PathLike)):
        raise TypeError(f"compute() got a {type(lines).__name__} ({str(lines)[:80]!r}), not lines; to compute a "
                        f"file, give grants.read_application({str(lines)[:80]!r}). It takes {LINES_ACCEPTED}")
    if isinstance(lines, Mapping):
        raise TypeError(f"compute() got a single dict; give a list of them ([line]). It takes {LINES_ACCEPTED}")
    if not isinstance(lines, Iterable) and not hasattr(lines, "columns"):
        raise TypeError(f"compute() got an object of type {type(lines).__name__!r}; it takes {LINES_ACCEPTED}")


def _lines_record(lines: Any) -> SourceRecord:
    """The manifest's record of lines (or sessions) given as rows: their hash; sessions already
    summed (SessionHours) are recorded as such, with nothing to check them by."""
    if isinstance(lines, SessionHours):
        return SourceRecord(kind="hours", rows=0, rows_sha256=None)
    try:
        digest, n = records_sha256(lines)
    except TypeError:  # a shape the engine takes and the hash does not know: recorded, not checkable
        return SourceRecord(kind="lines", rows=0, rows_sha256=None)
    return SourceRecord(kind="lines", rows=n, rows_sha256=digest)


def explain(lines: Any, row: int, period: str | None = None, *, engine: Engine | None = None,
            ignore_columns: Iterable[str] = (), sessions: Sessions | None = None) -> str:
    """The bokmål explanation of one data row (numbered from 1) of a batch: its computation rule
    by rule in every period it touches, or why it was rejected. The whole batch is computed, as
    a row's outcome can depend on the others (overlapping shares of one doctor, sessions)."""
    engine = engine or default_engine()
    result = compute(lines, period, engine=engine, ignore_columns=ignore_columns, sessions=sessions)
    if not 1 <= row <= result.input_rows:
        raise IndexError(f"rad {row} finnes ikke; batchen har {result.input_rows} datarader")
    return explain_row(result, row, engine.rulebook)[0]


def explain_row(result: GrantResult, row: int, rulebook: RuleBook | None = None) -> tuple[str, str]:
    """The explanation of one row of a computed batch and the row's status (ok, ineligible or
    rejected): the one text the library, the service and the command line show."""
    parts = []
    lines_of_row = [line for line in result.lines if line.row == row]
    warning = rates_warning({line.period: line.rates_status for line in lines_of_row})
    if warning:
        parts.append(warning)
    rejection = result.rejection(row)
    if rejection is not None:
        parts.append(explain_rejection(rejection))
        return "\n\n".join(parts), "rejected"
    parts.append("\n\n".join(explain_line(line, rulebook) for line in lines_of_row))
    parts.append(f"Sum for raden: {format_nok(sum(line.amount_nok for line in lines_of_row))}")
    status = "ok" if any(line.status.value == "ok" for line in lines_of_row) else "ineligible"
    return "\n\n".join(parts), status
