"""Check `neighbours`: the period shares at most its boundary day with the other periods."""
from __future__ import annotations

from grants.rates.tables import RateTable
from grants.tools.ratecheck.report import PropertyResult


def check_neighbours(table: RateTable, others: list[RateTable]) -> PropertyResult:
    """No other period shares more than one day with this one, and a shared day is a boundary."""
    p = table.period
    problems = []
    for o in sorted(others, key=lambda t: t.period.first_day):
        q = o.period
        first, last = max(p.first_day, q.first_day), min(p.last_day, q.last_day)
        if first > last:
            continue
        shared = (last - first).days + 1
        boundary = shared == 1 and (p.first_day == q.last_day or p.last_day == q.first_day)
        if boundary:
            continue
        key = "period.first_day" if q.first_day <= p.first_day else "period.last_day"
        problems.append(
            f"{table.file}: {key}: perioden {table.id} ({p.first_day:%d.%m.%Y}–{p.last_day:%d.%m.%Y}) "
            f"deler {shared} dager ({first:%d.%m.%Y}–{last:%d.%m.%Y}) med perioden {o.id} "
            f"({q.first_day:%d.%m.%Y}–{q.last_day:%d.%m.%Y}, {o.file}); periodene kan dele høyst grensedagen"
        )
    if problems:
        return PropertyResult("neighbours", False, "; ".join(problems))
    before = [o for o in others if o.period.last_day <= p.first_day]
    after = [o for o in others if o.period.first_day >= p.last_day]
    said = []
    if before:
        prev = max(before, key=lambda t: t.period.last_day)
        gap = (p.first_day - prev.period.last_day).days - 1
        said.append(f"forrige periode {prev.id} slutter {prev.period.last_day:%d.%m.%Y}"
                    + (f" ({gap} dager mellomrom)" if gap > 0 else ""))
    if after:
        nxt = min(after, key=lambda t: t.period.first_day)
        gap = (nxt.period.first_day - p.last_day).days - 1
        said.append(f"neste periode {nxt.id} starter {nxt.period.first_day:%d.%m.%Y}"
                    + (f" ({gap} dager mellomrom)" if gap > 0 else ""))
    return PropertyResult("neighbours", True, "; ".join(said) or "ingen andre perioder")
