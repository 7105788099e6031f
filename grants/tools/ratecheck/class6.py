"""Check `class6_not_below_class15`: class 6 never gets less than classes 1-5."""
from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from grants.domain import CentralityGroup
from grants.money import format_nok
from grants.tools.ratecheck.context import Context
from grants.tools.ratecheck.lines import falsify, in_period, only_lines
from grants.tools.ratecheck.report import PropertyResult


def check_class6(ctx: Context) -> PropertyResult:
    t = ctx.table
    problems = []
    if t.model == "A":
        for gt, roles in (t.annual_rates or {}).items():
            for role, groups in roles.items():
                six, rest = groups[CentralityGroup.CLASS_6].amount, groups[CentralityGroup.CLASS_1_5].amount
                if six < rest:
                    problems.append(f"{t.file}: annual_rates.{gt}.{role}: class_6 ({format_nok(six)}) "
                                    f"er lavere enn class_1_5 ({format_nok(rest)})")
        table_part = f"class_6 ≥ class_1_5 for alle {sum(len(r) for r in (t.annual_rates or {}).values())} satser"
    else:
        table_part = "modell B: ingen satser per sentralitetsgruppe i tabellen"

    def check(example: tuple[dict[str, Any], int]):
        rec, other = example
        six, low = only_lines(ctx.compute([dict(rec, centrality_class=6), dict(rec, alis_id="L2", centrality_class=other)]), 2)
        if six.amount_nok < low.amount_nok:
            return (f"linjen gir {format_nok(six.amount_nok)} med sentralitetsklasse 6, men "
                    f"{format_nok(low.amount_nok)} med sentralitetsklasse {other}"), dict(rec, centrality_class=6)
        return None

    found = falsify(ctx, st.tuples(in_period(t, with_class=False), st.integers(1, 5)), check, 2)
    if found:
        problems.append(found[0])
    if problems:
        return PropertyResult("class6_not_below_class15", False, "; ".join(problems), found[1] if found else None)
    return PropertyResult("class6_not_below_class15", True,
                          f"{table_part}; {ctx.max_examples} tilfeldige linjer i klasse 6 mot klasse 1–5")
