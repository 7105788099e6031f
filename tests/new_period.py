"""A next grant period for tests: the last shipped table with its id and dates moved a year on.

Tests that must keep working when a period is added build one here instead of naming periods.
"""
from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta

from grants.datafiles.paths import data_dir
from grants.rates.tables import RateTable

_ID = re.compile(r"^(?P<y>\d{4})(?:-(?P<yy>\d{2}))?$")
_PERIOD_KEY = re.compile(r"^(?P<lead>  (?:first_day|last_day|deadline): )(?P<day>\d{4}-\d{2}-\d{2})", re.M)


def next_period_id(period_id: str) -> str:
    """2025-26 -> 2026-27, 2023 -> 2024."""
    m = _ID.match(period_id)
    assert m, f"a period id of the form 2023 or 2023-24, not {period_id!r}"
    year = int(m["y"]) + 1
    return f"{year}-{(int(m['yy']) + 1) % 100:02d}" if m["yy"] else str(year)


def next_period_text(table: RateTable) -> str:
    """The file of `table` with period.id, first_day, last_day and deadline a year later."""
    text = Path(table.file).read_text(encoding="utf-8")
    old_id = f'id: "{table.id}"'
    assert text.count(old_id) == 1, f"{table.file}: expected one {old_id}"
    text = text.replace(old_id, f'id: "{next_period_id(table.id)}"')

    def later(m: re.Match[str]) -> str:
        return m["lead"] + (date.fromisoformat(m["day"]) + relativedelta(years=1)).isoformat()

    text, n = _PERIOD_KEY.subn(later, text)
    assert n >= 2, f"{table.file}: period.first_day and period.last_day not found"
    return text


def data_copy_with_next_period(folder: Path) -> tuple[Path, Path, str]:
    """Copies of rates/ and rules/ under `folder`, with the next period added to the rates;
    returns (rates, rules, new period id)."""
    from grants.rates.tables import RateBook

    rates, rules = folder / "rates", folder / "rules"
    shutil.copytree(data_dir("rates"), rates)
    shutil.copytree(data_dir("rules"), rules)
    last = RateBook.load(rates).tables[-1]
    new_id = next_period_id(last.id)
    (rates / f"{new_id}.yaml").write_text(next_period_text(last), encoding="utf-8")
    return rates, rules, new_id
