"""The formulas a `formula` (model A) or `element` (model B) rule can name. Numbers come from
the rate table, never from here; each formula returns an exact Decimal, rounded later in one
place (grants.money).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Callable

from dateutil.relativedelta import relativedelta

from .money import to_kroner
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
    hours: Decimal | None = None  # the expense documented as hours x hourly_rate
    hourly_rate: Decimal | None = None
    hours_from: str | None = None  # "input" (veiledning_timer) or "sessions" (the sessions file)
    sharing: "Sharing | None" = None  # the doctor's cap over several lines (expense_scope: doctor)

    @property
    def amount_nok(self) -> int:
        """The element in whole kroner: its share of the doctor's rounded amount when the cap
        is shared across lines (largest remainder), else the granted amount rounded half up."""
        return self.sharing.allotted if self.sharing is not None else to_kroner(self.granted)


@dataclass(frozen=True, slots=True)
class Sharing:
    """How one element's cap was applied for the doctor (one municipality, one period) and
    how the granted amount was shared back to the doctor's lines (docs/DOMAIN.md section 8)."""

    carried_by: str  # "rad 3" or "øktfilen": where the expense or amount applied for was given
    capped_by: Decimal  # the doctor's expense or amount applied for
    rows: tuple[int, ...]  # the doctor's lines that get the element
    maxima: tuple[Decimal, ...]  # their exact maxima, in the order of rows
    granted_total: Decimal  # exact: min(capped_by, sum of maxima)
    kroner_total: int  # the doctor's whole kroner, shared back to the lines
    allotments: tuple[int, ...]  # whole kroner per line, in the order of rows; they sum to kroner_total
    allotted: int  # this line's allotment

    @property
    def maximum_total(self) -> Decimal:
        return sum(self.maxima, Decimal(0))


def largest_remainder(total: int, exact: list[Decimal]) -> list[int]:
    """Share `total` whole kroner over `exact` parts: each part gets its whole kroner, and the
    kroner left go one each to the parts with the largest fractional remainders (earlier parts
    first on a tie), so the parts add up to `total` exactly (docs/DOMAIN.md section 8)."""
    floors = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in exact]
    left = total - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    if left < 0:
        # only when a 28-digit quotient rounded up onto a whole krone: take the krone back
        # from the parts with the smallest remainders that have one
        for i in reversed(order):
            if left == 0:
                break
            if floors[i] > 0:
                floors[i] -= 1
                left += 1
    if not 0 <= left <= len(exact):
        raise ValueError(f"cannot share {total} kr over {exact}: {left} kroner left")
    for i in order[:left]:
        floors[i] += 1
    return floors


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
