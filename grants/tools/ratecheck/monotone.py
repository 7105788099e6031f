"""Check `monotone_in_period`: more share or a later end never gives less; 0 months give 0 kr."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from grants.money import format_nok
from grants.tools.ratecheck.context import DAY, Context
from grants.tools.ratecheck.lines import falsify, in_period, only_lines, share_text
from grants.tools.ratecheck.report import PropertyResult


def check_monotone(ctx: Context) -> PropertyResult:
    t = ctx.table
    last = t.period.last_day

    def check(example: tuple[dict[str, Any], int, int]):
        rec, step, extra = example
        high = min(1000, int(Decimal(rec["position_share"]) * 10) + step)
        low = max(11, high - step)
        base = dict(rec, position_share=share_text(low))
        later_end = min(date.fromisoformat(rec["end"]) + extra * DAY, last)
        a, b, c = only_lines(ctx.compute([
            base,
            dict(base, alis_id="L2", position_share=share_text(high)),
            dict(base, alis_id="L3", end=later_end.isoformat()),
        ]), 3)
        if a.whole_months == 0 and a.amount_nok != 0:
            return f"0 hele måneder gir {format_nok(a.amount_nok)}, ikke 0 kr", base
        if b.amount_nok < a.amount_nok:
            return (f"stillingsandel {share_text(low)} % gir {format_nok(a.amount_nok)}, men høyere andel "
                    f"{share_text(high)} % gir bare {format_nok(b.amount_nok)}"), base
        if c.amount_nok < a.amount_nok:
            return (f"linjen gir {format_nok(a.amount_nok)} ({a.whole_months} hele måneder), men med senere "
                    f"sluttdato {later_end.isoformat()} bare {format_nok(c.amount_nok)} "
                    f"({c.whole_months} hele måneder)"), base
        return None

    # the second share is the first plus a step in tenths of a percent, often a small one
    steps = st.one_of(st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=989))
    strategy = st.tuples(in_period(t), steps, st.integers(min_value=1, max_value=400))
    found = falsify(ctx, strategy, check, 4)
    if found:
        return PropertyResult("monotone_in_period", False, found[0], found[1])
    return PropertyResult("monotone_in_period", True, f"{ctx.max_examples} tilfeldige linjer i perioden {t.id}")
