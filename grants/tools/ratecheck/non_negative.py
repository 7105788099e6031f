"""Check `non_negative`: no negative amount in the table or in a computed line."""
from __future__ import annotations

from typing import Any

from grants.money import format_nok
from grants.tools.ratecheck.context import Context
from grants.tools.ratecheck.lines import falsify, in_period, only_lines
from grants.tools.ratecheck.report import PropertyResult


def check_non_negative(ctx: Context) -> PropertyResult:
    """Computed lines only: a negative number in the table never gets this far, since the loader
    refuses it (check `loads`, tests/broken_rates/negative_amount.yaml). The scan of the table
    this check once began with could therefore never fail, and is gone."""
    t = ctx.table
    problems = []

    def check(rec: dict[str, Any]):
        (r,) = only_lines(ctx.compute([rec]))
        if r.amount_nok < 0 or r.exact_amount < 0:
            return f"linjen gir {format_nok(r.amount_nok)}", rec
        for e in r.elements:
            if e.granted < 0 or e.maximum < 0:
                return f"elementet {e.element} gir {e.granted} kr (maksimum {e.maximum})", rec
        return None

    found = falsify(ctx, in_period(t), check, 3)
    if found:
        problems.append(found[0])
    if problems:
        return PropertyResult("non_negative", False, "; ".join(problems), found[1] if found else None)
    return PropertyResult("non_negative", True, f"{ctx.max_examples} tilfeldige linjer gir beløp ≥ 0 "
                          "(negative tall i tabellen avvises allerede ved innlesing)")
