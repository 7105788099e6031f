"""Formulas as data: the expression a `formula` (model A) or `element` (model B) rule carries,
its exact evaluation, and its bokmål text. Numbers come from the rate table, never from here;
each formula returns an exact fraction (its numerator over its one divisor), rounded later in
one place (grants.money.to_kroner).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Annotated, Any, Iterable, Mapping, Union

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, StrictInt, model_validator

from dateutil.relativedelta import relativedelta

from grants.errors import RulesError
from grants.money import exact_value, half_up, to_kroner
from grants.months import MonthMethod, whole_months

if TYPE_CHECKING:
    from grants.rates.tables import Element, RateTable

_HUNDRED = Decimal(100)  # a share is written in percent
_DAY = timedelta(days=1)


def window(first_day: date, months: int) -> tuple[date, date]:
    """[first_day, the day before the same date `months` months later]; a window that would end
    after the last day a date can name (a first day written in 9999) ends on that day."""
    try:
        return first_day, first_day + relativedelta(months=months) - _DAY
    except (ValueError, OverflowError):
        return first_day, date.max


@dataclass(frozen=True, slots=True)
class ElementValue:
    """One element of a line: its months, maximum, cap, and the granted amount."""

    element: str
    formula: str
    months: int | None
    annual_maximum: Decimal | None
    maximum: Fraction  # exact, after share and months
    cap: str  # expense / applied / none
    capped_by: Decimal | None  # the expense or amount applied for, when given
    granted: Fraction  # exact: min(capped_by, maximum), or maximum
    window: tuple[date, date] | None = None
    base: Fraction | None = None  # share_of_elements: the unrounded sum it is a share of
    share: Decimal | None = None
    hours: Decimal | None = None  # the expense documented as hours x hourly_rate
    hourly_rate: Decimal | None = None
    hours_from: str | None = None  # "input" (veiledning_timer) or "sessions" (the sessions file)
    sharing: "Sharing | None" = None  # the doctor's cap over several lines (expense_scope: doctor)
    expression: "Expression | None" = None  # the rule's formula that computed `maximum`
    terms: tuple[tuple[str, "Value"], ...] = ()  # the values it read

    def with_base(self, base: Fraction) -> "ElementValue":
        """The element recomputed by its own formula on a new base (the granted amounts of the
        elements it is a share of, after their caps: grants.pipeline.caps)."""
        if self.expression is None:
            raise ValueError(f"element {self.element} has no formula to recompute")
        values = dict(self.terms)
        values["elements_base"] = (base, None)
        maximum = self.expression.evaluate(values)
        return replace(self, base=base, maximum=maximum, granted=maximum, terms=tuple(values.items()))

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
    maxima: tuple[Fraction, ...]  # their exact maxima, in the order of rows
    granted_total: Fraction  # exact: min(capped_by, sum of maxima)
    kroner_total: int  # the doctor's whole kroner, shared back to the lines
    allotments: tuple[int, ...]  # whole kroner per line, in the order of rows; they sum to kroner_total
    allotted: int  # this line's allotment

    @property
    def maximum_total(self) -> Fraction:
        return sum(self.maxima, Fraction(0))


def largest_remainder(total: int, exact: list[Fraction]) -> list[int]:
    """Share `total` whole kroner over `exact` parts (exact fractions, so two equal remainders
    are equal): each part gets its whole kroner, and the kroner left go one each to the parts
    with the largest fractional remainders, the earlier part (the earlier row) first on a tie,
    so the parts add up to `total` exactly (docs/DOMAIN.md section 8)."""
    exact = [exact_value(x) for x in exact]
    floors = [x.numerator // x.denominator for x in exact]
    left = total - sum(floors)
    if not 0 <= left <= len(exact):
        raise ValueError(f"cannot share {total} kr over {[str(x) for x in exact]}: {left} kroner left")
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


Value = tuple[Decimal | Fraction, Decimal | Fraction | None]
"""A term's value as (numerator, denominator): `share` is (percent, 100), so the one division
at the end of a formula is the only inexact step, as in the formulas written by hand before."""

TERMS: dict[str, dict[str, str]] = {
    # rule kind -> term -> its bokmål name in explanations
    "formula": {"annual_rate": "årssats", "share": "stillingsandel", "whole_months": "hele måneder"},
    "element": {
        "annual_maximum": "årlig maksimum",
        "share": "stillingsandel",
        "whole_months": "hele måneder",
        "whole_months_in_window": "hele måneder innenfor vinduet",
        "elements_base": "summen av elementene (uavrundet)",
        "element_share": "andel",
    },
}
"""The terms a formula of each rule kind may name, besides the numbers of the period's rate
table (a model B parameter such as facilitation_share, or maximum_summed_share_percent)."""


def _number(value: Any) -> Any:
    """A number in a formula: YAML floats through their text, so 0.05 is exactly 0.05."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number or a term name")
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


Operand = Annotated[Union[StrictInt, Annotated[Decimal, Strict()], str], BeforeValidator(_number)]


class Expression(BaseModel):
    """A formula as data: the product of its terms, divided once by `divide` (a number above 0;
    a term as divisor is refused when the rules load). Evaluated exactly; its bokmål text is
    generated from the same tree."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    product: tuple[Operand, ...] = Field(min_length=1)
    divide: Operand | None = None

    @model_validator(mode="after")
    def _positive_divisor(self) -> "Expression":
        if isinstance(self.divide, str):
            raise ValueError(f"divide: {self.divide!r} is a term; a formula divides once, by a number above 0")
        if self.divide is not None and Decimal(self.divide) <= 0:
            raise ValueError(f"divide: {self.divide} must be above 0")
        return self

    @cached_property
    def operands(self) -> tuple[Any, ...]:
        return self.product + ((self.divide,) if self.divide is not None else ())

    @cached_property
    def terms(self) -> tuple[str, ...]:
        """The names the formula reads, in order."""
        return tuple(o for o in self.operands if isinstance(o, str))

    def unknown_terms(self, kind: str, table_names: Iterable[str] = ()) -> list[str]:
        known = set(TERMS.get(kind, {})) | set(table_names)
        return [t for t in self.terms if t not in known]

    def text(self, names: Mapping[str, str], divide: str = " / ") -> str:
        """The formula with each operand written by `names` (a term's name or value)."""
        def show(o: Any) -> str:
            return names.get(o, o) if isinstance(o, str) else _num(Decimal(o))
        out = " × ".join(show(o) for o in self.product)
        return out + (f"{divide}{show(self.divide)}" if self.divide is not None else "")

    def text_nb(self, kind: str, table: "RateTable | None" = None) -> str:
        """The formula in bokmål words (a rate-table number by its title in `table`)."""
        names = dict(TERMS.get(kind, {}))
        if table is not None:
            for name in self.terms:
                if name not in names and name in (table.parameters or {}):
                    names[name] = table.parameter(name).title_nb or name
        return self.text(names)

    @cached_property
    def canonical(self) -> str:
        """The formula with its term names as written (for traces)."""
        return self.text({})

    def evaluate(self, values: Mapping[str, Value]) -> Fraction:
        """Multiply the numerators, then divide once by the denominators and `divide`: exactly,
        as a fraction (rounded to kroner later, in one place: grants.money.to_kroner)."""
        def value(o: Any) -> tuple[Fraction, Fraction | None]:
            n, d = values[o] if isinstance(o, str) else (Decimal(o), None)
            return exact_value(n), None if d is None else exact_value(d)
        num = Fraction(1)
        den = Fraction(1)
        for o in self.product:
            n, d = value(o)
            num *= n
            if d is not None:
                den *= d
        if self.divide is not None:  # a number above 0 (checked when the rules load)
            den *= exact_value(Decimal(self.divide))
        return num / den


def _num(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


def element_value(
    name: str,
    formula: Expression,
    spec: "Element",
    table: "RateTable",
    share_percent: Decimal,
    months: int,
    counted: tuple[date, date],
    method: MonthMethod,
    window_start: date | None,
    earlier: dict[str, "ElementValue"],
    capped_by: Decimal | None,
) -> ElementValue:
    """Compute one element for one line part by the rule's formula; `earlier` holds the
    elements already computed (the base of a share of other elements)."""
    values: dict[str, Value] = {}
    annual_maximum = table.annual_maximum(name) if spec.annual_maximum else None
    win = None
    used_months: int | None = None
    base = share = None
    for term in formula.terms:
        if term == "annual_maximum":
            assert annual_maximum is not None  # checked on load
            values[term] = (annual_maximum, None)
        elif term == "share":
            values[term] = (share_percent, _HUNDRED)
        elif term == "whole_months":
            used_months = months
            values[term] = (Decimal(months), None)
        elif term == "whole_months_in_window":
            assert spec.window_months and window_start is not None
            win = window(window_start, int(table.parameter(spec.window_months).value))
            used_months = whole_months(max(counted[0], win[0]), min(counted[1], win[1]), method)
            values[term] = (Decimal(used_months), None)
        elif term == "elements_base":
            base = sum((earlier[e].granted for e in spec.share_of or [] if e in earlier), Fraction(0))
            values[term] = (base, None)
        elif term == "element_share":
            assert spec.share is not None
            share = table.parameter(spec.share).value
            values[term] = (share, None)
        else:
            number = table.value(term)
            if number is None:
                raise ValueError(f"{table.file}: {term} is empty, but a formula for element {name} reads it")
            values[term] = (number, None)
    maximum = formula.evaluate(values)
    granted = maximum
    if spec.cap != "none" and capped_by is not None:
        granted = min(exact_value(capped_by), maximum)
    return ElementValue(
        element=name, formula=formula.canonical, months=used_months, annual_maximum=annual_maximum, maximum=maximum,
        cap=spec.cap, capped_by=capped_by if spec.cap != "none" else None, granted=granted,
        window=win, base=base, share=share, expression=formula, terms=tuple(values.items()),
    )


def model_a_amount(formula: Expression, annual_rate: Decimal, share_percent: Decimal, months: int,
                   table: "RateTable") -> Fraction:
    """The reference for model A: the `formula` rule's expression evaluated in exact fractions
    (Expression.evaluate) for one line part. The engine prices model A over columns
    (`model_a_amounts`); the tests hold every amount it pays to this."""
    given: dict[str, Value] = {"annual_rate": (annual_rate, None), "share": (share_percent, _HUNDRED),
                               "whole_months": (Decimal(months), None)}
    values: dict[str, Value] = {}
    for term in formula.terms:
        if term in given:
            values[term] = given[term]
        else:
            number = table.value(term)
            if number is None:
                raise RulesError(f"{table.file}: {term} is empty, but the model A formula reads it")
            values[term] = (number, None)
    return formula.evaluate(values)


def model_a_terms(formula: Expression, annual_rate: Decimal, share_c: Any, months: Any,
                  table: "RateTable") -> tuple[Any, int]:
    """The formula rule's expression as one exact quotient of integers, numerator / denominator:
    every operand an integer (or a column of integers) over an integer scale, the share in
    hundredths of a percent, and one division at the end. `share_c` and `months` are integers or
    numpy columns; the numerator is a column of int64 where every value fits with room to spare,
    else of exact Python integers."""
    def operand(o: Any) -> tuple[Any, int]:
        if o == "share":
            return share_c, 100 * 100
        if o == "whole_months":
            return months, 1
        value = annual_rate if o == "annual_rate" else table.value(o) if isinstance(o, str) else Decimal(o)
        if value is None:  # refused when the rules load (grants.rules.rulebook)
            raise RulesError(f"{table.file}: {o} is empty, but the model A formula reads it")
        return Decimal(value).as_integer_ratio()

    ops = [operand(o) for o in formula.product]
    den = 1
    for _, d in ops:
        den *= d
    div_num = 1
    if formula.divide is not None:  # a number: a term as divisor is refused when the rules load
        n, d = Decimal(formula.divide).as_integer_ratio()
        den *= n
        div_num = d
    columns = [n for n, _ in ops if isinstance(n, np.ndarray)]
    if not columns:
        num = div_num
        for n, _ in ops:
            num *= int(n)
        return num, den
    size = len(columns[0])
    bound = div_num
    for n, _ in ops:
        bound *= (int(np.abs(n).max()) if n.size else 0) if isinstance(n, np.ndarray) else abs(int(n))
    dtype: Any = np.int64 if 2 * bound + den < 2**62 else object  # int64 is exact in the usual case
    num = np.full(size, div_num, dtype=dtype)
    for n, _ in ops:
        num = num * (n.astype(dtype) if isinstance(n, np.ndarray) else int(n))
    return num, den


def model_a_amounts(formula: Expression, annual_rate: Decimal, share_c: np.ndarray, months: np.ndarray,
                    table: "RateTable") -> np.ndarray:
    """The model A amounts of a plan's parts, in whole kroner: the exact quotient of
    `model_a_terms` rounded half up (grants.money.half_up, the rule of grants.money.to_kroner);
    int64, or exact Python integers where an amount is beyond int64."""
    num, den = model_a_terms(formula, annual_rate, share_c, months, table)
    amounts = half_up(num, den)
    if getattr(amounts, "dtype", None) == object and any(abs(int(a)) >= 2**63 for a in amounts):
        return amounts  # exact Python integers: an amount beyond int64 is never wrapped round
    return np.asarray(amounts, dtype=np.int64)


def model_a_exact(formula: Expression, annual_rate: Decimal, share_c: int, months: int, table: "RateTable") -> Fraction:
    """One part's exact model A amount, from the same quotient `model_a_amounts` rounds (for
    the trace and the explanation)."""
    num, den = model_a_terms(formula, annual_rate, int(share_c), int(months), table)
    return Fraction(num, den)
