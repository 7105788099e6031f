"""The formulas a `formula` rule can name. Numbers come from the rate table, never from here.

Each formula returns the exact Decimal amount; rounding happens once, in grants.money.
"""
from __future__ import annotations

from decimal import Decimal

_MONTHS_PER_YEAR_X_PERCENT = Decimal(1200)  # 12 months x 100 percent: units, not rates


def prorated_annual_rate(annual_rate: Decimal, share_percent: Decimal, whole_months: int) -> Decimal:
    """Model A (DOMAIN.md section 4): annual rate x share x whole months / 12.

    One division at the end keeps the value exact wherever it terminates; where it does not
    (a factor 3), 28 significant digits are far from any half-krone boundary.
    """
    return annual_rate * share_percent * whole_months / _MONTHS_PER_YEAR_X_PERCENT


FORMULAS = {"prorated_annual_rate": prorated_annual_rate}
