"""Check `no_month_paid_twice`: a line across periods, computed without a period, is split into
parts that share no day and repeat no calendar month."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import hypothesis

from grants.tools.ratecheck.context import Context
from grants.tools.ratecheck.lines import falsify, lines_in
from grants.tools.ratecheck.months import anniversary_count, calendar_months_of
from grants.tools.ratecheck.report import PropertyResult


def check_no_month_twice(ctx: Context) -> PropertyResult:
    t = ctx.table
    tables = ctx.engine.ratebook.tables
    i = tables.index(t)
    prev = tables[i - 1] if i > 0 else None
    nxt = tables[i + 1] if i + 1 < len(tables) else None
    lo = prev.period.first_day if prev else t.period.first_day - timedelta(days=90)
    hi = nxt.period.last_day if nxt else t.period.last_day + timedelta(days=90)
    near = [x for x in (prev, t, nxt) if x is not None]
    special = [d for x in near for d in (x.period.first_day, x.period.last_day)]

    def check(rec: dict[str, Any]):
        result = ctx.compute_across([rec])
        hypothesis.assume(not result.rejections)
        parts = result.lines
        for a, b in zip(parts, parts[1:]):
            if not a.counted_end < b.counted_start:
                return (f"delene for periodene {a.period} ({a.counted_start}–{a.counted_end}) og {b.period} "
                        f"({b.counted_start}–{b.counted_end}) overlapper"), rec
        seen: dict[tuple[int, int], str] = {}
        for part in parts:
            fp = part.rate_table.period
            if part.counted_start < fp.first_day or part.counted_end > fp.last_day:
                return (f"delen for perioden {part.period} ({part.counted_start}–{part.counted_end}) går "
                        f"utenfor perioden ({fp.first_day}–{fp.last_day})"), rec
            if part.rate_table.whole_months != "calendar":
                # months counted from the start date: the part's own count, redone independently
                # (this check once skipped such periods, so it could not fail on them)
                n = anniversary_count(part.counted_start, part.counted_end)
                if part.whole_months != n:
                    return (f"delen for perioden {part.period} ({part.counted_start}–{part.counted_end}) teller "
                            f"{part.whole_months} hele måneder, men dekker {n} hele måneder regnet fra startdato"), rec
                continue
            months = calendar_months_of(part.counted_start, part.counted_end)
            if part.whole_months != len(months):
                return (f"delen for perioden {part.period} teller {part.whole_months} hele måneder, men "
                        f"dekker {len(months)} hele kalendermåneder"), rec
            for ym in months:
                if ym in seen:
                    return (f"måneden {ym[0]:04d}-{ym[1]:02d} telles både i perioden {seen[ym]} og i "
                            f"perioden {part.period}"), rec
                seen[ym] = part.period
        return None

    found = falsify(ctx, lines_in(t, lo, hi, special), check, 7)
    if found:
        return PropertyResult("no_month_paid_twice", False, found[0], found[1])
    names = ", ".join(x.id for x in near)
    return PropertyResult("no_month_paid_twice", True,
                          f"{ctx.max_examples} tilfeldige linjer over periodene {names}, beregnet uten periode")
