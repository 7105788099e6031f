"""The formulas a `formula` (model A) or `element` (model B) rule can name. Numbers come from
the rate table, never from here; each formula returns an exact Decimal, rounded later in one
place (grants.money).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Callable

from dateutil.relativedelta import relativedelta

from .months import MonthMethod, whole_months

if TYPE_CHECKING:
    from .rates import Element

_MONTHS_PER_YEAR_X_PERCENT = Decimal(1200)  # 12 months x 100 percent: units, not rates
_DAY = timedelta(days=1)


def prorate(annual: Decimal, share_percent: Decimal, months: int) -> Decimal:
    """annual x share x whole months / 12 (DOMAIN.md sections 4 and 6).

    One division at the end keeps the value exact wherever it terminates; where it does not
    (a factor 3), 28 significant digits are far from any half-krone boundary.
    """
    return annual * share_percent * months / _MONTHS_PER_YEAR_X_PERCENT


def window(first_day: date, months: int) -> tuple[date, date]:
    """[first_day, the day before the same date `months` months later]."""
    return first_day, first_day + relativedelta(months=months) - _DAY


@dataclass(frozen=True, slots=True)
class ElementValue:
    """One element of a line: its months, maximum, cap, and the granted amount."""

    element: str
    formula: str
    months: int | None
    annual_maximum: Decimal | None
    maximum: Decimal  # exact, after share and months
    cap: str  # expense / applied / none
    capped_by: Decimal | None  # the expense or amount applied for, when given
    granted: Decimal  # exact: min(capped_by, maximum), or maximum
    window: tuple[date, date] | None = None
    base: Decimal | None = None  # share_of_elements: the unrounded sum it is a share of
    share: Decimal | None = None


def _needs_annual(e: "Element") -> str | None:
    return None if e.annual_maximum and not e.window_months else "needs annual_maximum and no window_months"


def _needs_window(e: "Element") -> str | None:
    return None if e.annual_maximum and e.window_months else "needs annual_maximum and window_months"


def _needs_share(e: "Element") -> str | None:
    return None if e.share_of and e.share else "needs share_of and share"


@dataclass(frozen=True)
class Formula:
    kind: str  # the rule kind that may name it
    text_nb: str
    fits: Callable[["Element"], str | None]


FORMULAS: dict[str, Formula] = {
    "prorated_annual_rate": Formula("formula", "årssats × stillingsandel × hele måneder / 12", lambda e: None),
    "prorated_maximum": Formula("element", "årlig maksimum × stillingsandel × hele måneder / 12", _needs_annual),
    "prorated_maximum_in_window": Formula(
        "element", "årlig maksimum × stillingsandel × hele måneder innenfor vinduet / 12", _needs_window
    ),
    "share_of_elements": Formula("element", "andel × summen av elementene (uavrundet)", _needs_share),
}


def element_value(
    name: str,
    formula: str,
    spec: "Element",
    annual_maximum: Decimal | None,
    share_percent: Decimal,
    months: int,
    counted: tuple[date, date],
    method: MonthMethod,
    window_months: int | None,
    window_start: date | None,
    share: Decimal | None,
    earlier: dict[str, "ElementValue"],
    capped_by: Decimal | None,
) -> ElementValue:
    """Compute one element for one line part. `earlier` holds the elements already computed."""
    win = None
    base = None
    if formula == "prorated_maximum":
        assert annual_maximum is not None
        maximum = prorate(annual_maximum, share_percent, months)
        used_months: int | None = months
    elif formula == "prorated_maximum_in_window":
        assert annual_maximum is not None and window_months is not None and window_start is not None
        win = window(window_start, window_months)
        used_months = whole_months(max(counted[0], win[0]), min(counted[1], win[1]), method)
        maximum = prorate(annual_maximum, share_percent, used_months)
    elif formula == "share_of_elements":
        assert share is not None
        base = sum((earlier[e].granted for e in spec.share_of or [] if e in earlier), Decimal(0))
        maximum = share * base
        used_months = None
    else:  # pragma: no cover - rules are validated on load
        raise ValueError(f"formula {formula!r} is not an element formula")
    granted = maximum
    if spec.cap != "none" and capped_by is not None:
        granted = min(capped_by, maximum)
    return ElementValue(
        element=name, formula=formula, months=used_months, annual_maximum=annual_maximum, maximum=maximum,
        cap=spec.cap, capped_by=capped_by if spec.cap != "none" else None, granted=granted,
        window=win, base=base, share=share,
    )
