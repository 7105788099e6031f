"""`check_rate_table`: load the candidate with the shipped tables and rules, then run every check."""
from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Callable

from grants.rates.centrality import CentralityRegistry
from grants.pipeline.engine import Engine
from grants.errors import GrantsError, RateTableError
from grants.datafiles.paths import data_dir
from grants.rates.tables import RateBook, RateTable, load_rate_table, published_tables
from grants.rules.rulebook import RuleBook
from grants.tools.ratecheck.class6 import check_class6
from grants.tools.ratecheck.completeness import check_completeness
from grants.tools.ratecheck.context import Context
from grants.tools.ratecheck.full_year import check_full_year
from grants.tools.ratecheck.monotone import check_monotone
from grants.tools.ratecheck.neighbours import check_neighbours
from grants.tools.ratecheck.no_month_twice import check_no_month_twice
from grants.tools.ratecheck.non_negative import check_non_negative
from grants.tools.ratecheck.report import PROPERTY_TITLES, CheckReport, PropertyResult


def check_rate_table(
    path: str | Path,
    *,
    rates_dir: Path | None = None,
    rules_dir: Path | None = None,
    max_examples: int = 200,
    seed: int = 0,
) -> CheckReport:
    """Check the rate table at `path` against the shipped tables of `rates_dir` (default: the
    package's rates/) and the rules of `rules_dir` (default: the shipped rules; a draft of the
    rules is checked the same way). See the package docstring for the checks."""
    started = time.perf_counter()
    path = Path(path)
    rates_dir = Path(rates_dir) if rates_dir is not None else data_dir("rates")
    results: list[PropertyResult] = []
    notes: list[str] = []

    def report(period_id: str | None) -> CheckReport:
        order = list(PROPERTY_TITLES)
        results.sort(key=lambda r: order.index(r.name) if r.name in order else len(order))
        return CheckReport(path, period_id, results, notes, time.perf_counter() - started)

    try:
        table = _load_candidate(path)
    except GrantsError as exc:
        results.append(PropertyResult("loads", False, str(exc)))
        return report(None)
    try:
        others = _load_shipped(rates_dir, path, table.id)
    except GrantsError as exc:
        results.append(PropertyResult("loads", False, f"de andre satstabellene i {rates_dir} kan ikke leses: {exc}"))
        return report(table.id)
    if path.name != f"{table.id}.yaml":
        notes.append(
            f"filnavnet «{path.name}» må være «{table.id}.yaml» når tabellen legges i rates/ "
            "(perioden leses fra period.id)"
        )
    if table.status != "official":
        notes.append(f"status: {table.status}; tabellen er ikke merket som offisielle satser")

    neighbours = check_neighbours(table, others)
    results.append(neighbours)
    try:
        ratebook = RateBook([table, *others])
        rulebook = RuleBook.load(ratebook, Path(rules_dir) if rules_dir is not None else None)
        engine = Engine(ratebook, rulebook, _centrality())
    except GrantsError as exc:
        if neighbours.ok:
            results.append(PropertyResult("loads", False, str(exc)))
        else:
            results.append(PropertyResult("loads", True, f"{table.file} leses og valideres"))
        return report(table.id)
    table = ratebook.get(table.id)
    results.append(PropertyResult(
        "loads", True,
        f"{table.file} leses og valideres sammen med {len(others)} andre satstabeller i {rates_dir} og reglene",
    ))

    ctx = Context(engine, table, max_examples, seed)
    for name, check in CHECKS:
        try:
            results.append(check(ctx))
        except Exception as exc:  # a crash is a failed check, never a lost report
            results.append(PropertyResult(name, False, f"kontrollen krasjet: {type(exc).__name__}: {exc}"))
    return report(table.id)


def _load_candidate(path: Path) -> RateTable:
    """The candidate table; its file may have any name (a draft, a copy)."""
    return load_rate_table(path, check_name=False)


def _load_shipped(folder: Path, candidate: Path, period_id: str) -> list[RateTable]:
    """The shipped tables (the one loader, grants.rates.tables.RateBook.load), except the candidate's
    own file and the period it replaces."""
    tables, _ = published_tables(folder, exclude=candidate)
    if not tables:
        raise RateTableError(f"{folder}: fant ingen satstabeller (*.yaml)")
    return [t for t in tables if t.id != period_id]


@functools.lru_cache(maxsize=1)
def _centrality() -> CentralityRegistry:
    return CentralityRegistry()


CHECKS: tuple[tuple[str, Callable[[Context], PropertyResult]], ...] = (
    ("completeness", check_completeness),
    ("class6_not_below_class15", check_class6),
    ("non_negative", check_non_negative),
    ("monotone_in_period", check_monotone),
    ("full_year", check_full_year),
    ("no_month_paid_twice", check_no_month_twice),
)
