"""Random valid input lines (hypothesis strategies) and the runner that looks for the smallest
line breaking a property."""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

import hypothesis
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, Phase, Verbosity, given, settings, strategies as st
from hypothesis.errors import Unsatisfiable

from grants.rates.tables import RateTable
from grants.tools.ratecheck.context import DAY, GRANT_TYPES, MUNICIPALITIES, ROLES, Context


def line_dict(alis_id: str, kommune: str, grant_type: str, role: str, share: str, start: date, end: date,
          centrality_class: int | None = None, first_gp_date: date | None = None) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "alis_id": alis_id, "kommunenummer": kommune, "grant_type": grant_type, "role": role,
        "position_share": share, "start": start.isoformat(), "end": end.isoformat(),
    }
    if centrality_class is not None:
        rec["centrality_class"] = centrality_class
    if first_gp_date is not None:
        rec["first_gp_date"] = first_gp_date.isoformat()
    return rec


def share_text(tenths: int) -> str:
    return f"{tenths // 10}" + (f".{tenths % 10}" if tenths % 10 else "")


def _shares(table: RateTable) -> st.SearchStrategy[int]:
    """Shares in tenths of a percent, 1.1 % to 100 % (where shrinking ends), often a round
    value or one next to the table's minimum share."""
    edges = {11, 200, 499, 500, 501, 800, 999}
    if table.minimum_share_percent is not None:
        m = int(table.minimum_share_percent * 10)
        edges |= {t for t in (m - 1, m, m + 1) if 11 <= t <= 1000}
    return st.one_of(st.integers(min_value=0, max_value=989).map(lambda n: 1000 - n), st.sampled_from(sorted(edges)))


def _days(lo: date, hi: date, special: list[date]) -> st.SearchStrategy[date]:
    """Dates in [lo, hi], often a period boundary or a day next to one."""
    edges = sorted({d + k * DAY for d in special for k in (-1, 0, 1) if lo <= d + k * DAY <= hi})
    # day offsets shrink to `lo` and to short lines, which dates() (drawn as year, month, day) does not
    any_day = st.integers(min_value=0, max_value=(hi - lo).days).map(lambda k: lo + k * DAY)
    return st.one_of(any_day, st.sampled_from(edges)) if edges else any_day


@st.composite
def lines_in(draw, table: RateTable, lo: date, hi: date, special: list[date], *,
           with_class: bool = True, alis_id: str = "L1") -> dict[str, Any]:
    """One valid input line with start and end in [lo, hi]."""
    days = _days(lo, hi, special)
    a, b = draw(days), draw(days)
    first_gp = None
    if table.model == "B" and draw(st.booleans()):
        first_gp = draw(st.dates(min_value=table.period.first_day - relativedelta(months=30), max_value=hi))
    return line_dict(
        alis_id,
        draw(st.sampled_from(MUNICIPALITIES)),
        draw(st.sampled_from(GRANT_TYPES)),
        draw(st.sampled_from(ROLES)),
        share_text(draw(_shares(table))),
        min(a, b), max(a, b),
        draw(st.none() | st.integers(min_value=1, max_value=6)) if with_class else None,
        first_gp,
    )


def in_period(table: RateTable, **kw: Any) -> st.SearchStrategy[dict[str, Any]]:
    p = table.period
    return lines_in(table, p.first_day, p.last_day, [p.first_day, p.last_day], **kw)


class _Violation(Exception):
    pass


Check = Callable[[Any], "tuple[str, dict[str, Any]] | None"]


def falsify(ctx: Context, strategy: st.SearchStrategy[Any], check: Check, salt: int) -> tuple[str, dict[str, Any] | None] | None:
    """Run `check` on up to max_examples examples; on a failure, hypothesis shrinks it and the
    final (smallest) failing example's message and counter-example come back."""
    seen: dict[str, Any] = {}

    @hypothesis.seed(ctx.seed * 1000 + salt)
    @settings(
        max_examples=ctx.max_examples, deadline=None, database=None, derandomize=False,
        phases=(Phase.explicit, Phase.generate, Phase.shrink), report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, print_blob=False,
    )
    @given(strategy)
    def run(example: Any) -> None:
        seen.clear()
        seen["example"] = example
        found = check(example)
        if found is not None:
            seen["message"], seen["counterexample"] = found
            raise _Violation(found[0])

    try:
        run()
    except _Violation:
        return seen["message"], seen["counterexample"]
    except Unsatisfiable:
        return "generatoren fant ingen linjer motoren godtok (alle ble avvist)", None
    except Exception as exc:  # the engine crashed on a line: that is a failure too
        example = seen.get("example")
        return f"motoren feilet: {type(exc).__name__}: {exc}", _first_line(example)
    return None


def _first_line(example: Any) -> dict[str, Any] | None:
    if isinstance(example, dict):
        return example
    if isinstance(example, tuple):
        return next((e for e in example if isinstance(e, dict)), None)
    return None


def only_lines(result: Any, n: int = 1) -> list[Any]:
    """The lines of a batch of n single-period lines; a rejection means the generator made bad
    input, so the example is dropped."""
    hypothesis.assume(not result.rejections)
    assert len(result.lines) == n, f"{n} linjer ga {len(result.lines)} resultater"
    return result.lines
