"""The library's documented entry points beyond `compute`: load another folder's rate tables
and rules (a service ships its own official tables), and explain one row in bokmål.

Everything here is a thin layer over the engine; nothing changes interpreter state.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from grants.pipeline.engine import Engine, default_engine
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


def explain(lines: Any, row: int, period: str | None = None, *, engine: Engine | None = None) -> str:
    """The bokmål explanation of one data row (numbered from 1) of a batch: its computation rule
    by rule in every period it touches, or why it was rejected. The whole batch is computed, as
    a row's outcome can depend on the others (overlapping shares of one doctor)."""
    engine = engine or default_engine()
    result = engine.compute(lines, period)
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
