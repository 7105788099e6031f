"""The one rounding rule of the project: Decimal inside, integer kroner out, half up.

DOMAIN.md section 8. Every amount that leaves the engine passes through `to_kroner`, so the
rounding rule lives here and nowhere else.
"""
from __future__ import annotations

import functools
from fractions import Fraction
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from typing import Any, Callable, ParamSpec, TypeVar

ROUNDING_RULE_NB = "avrundet halvt opp til hele kroner"
ROUNDING_RULE = "half up to whole kroner (ROUND_HALF_UP)"

_ONE = Decimal(1)

MONEY_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])
"""The decimal context of every money computation: Python's default precision (28 digits) and
intermediate rounding (half even), fixed, so the result never depends on the caller's context;
the one rounding to kroner is explicit (half up, `to_kroner`). Amounts are at most twelve
digits, so quotients that do not terminate stay far from any half-krone boundary. Used through
`exact`, never installed globally."""

P = ParamSpec("P")
R = TypeVar("R")


def exact(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` in a local copy of MONEY_CONTEXT: the caller's decimal context (precision,
    rounding, traps) neither changes our amounts nor is changed by us. Decimal contexts are
    per thread, so this is safe under threads."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with localcontext(MONEY_CONTEXT):
            return func(*args, **kwargs)

    return wrapper


def to_kroner(amount: Decimal | Fraction) -> int:
    """Round an exact amount to whole kroner, half up (away from zero on the half, as
    Decimal's ROUND_HALF_UP): a Decimal in MONEY_CONTEXT whatever the caller's context is, or
    an exact fraction (model B's elements and their shares) by integer arithmetic. The one
    rounding rule of the project; every path that pays calls it (the column path through
    `half_up`, the same rule on integers)."""
    if isinstance(amount, Fraction):
        return half_up(amount.numerator, amount.denominator)
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal or Fraction, got {type(amount).__name__}")
    return int(amount.quantize(_ONE, rounding=ROUND_HALF_UP, context=MONEY_CONTEXT))


def half_up(numerator: Any, denominator: int) -> Any:
    """numerator / denominator rounded half up (away from zero on the half), exactly, for a
    Python integer or a numpy column of integers over one denominator above 0: `to_kroner`
    on a quotient of integers."""
    if denominator <= 0:
        raise ValueError("the denominator of an amount must be above 0")
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    if isinstance(numerator, int):
        return magnitude if numerator >= 0 else -magnitude
    import numpy as np

    return np.where(numerator >= 0, magnitude, -magnitude)


def exact_value(amount: Decimal | Fraction) -> Fraction:
    """An amount as an exact fraction (a Decimal is one already, read without loss)."""
    return amount if isinstance(amount, Fraction) else Fraction(amount)


def as_decimal(amount: Decimal | Fraction) -> Decimal:
    """An exact amount as a Decimal for showing (traces, explanations): exact when it
    terminates within 28 digits, else correctly rounded there. Never used to pay."""
    if isinstance(amount, Decimal):
        return amount
    with localcontext(MONEY_CONTEXT):
        return Decimal(amount.numerator) / Decimal(amount.denominator)


def format_nok(amount: int | Decimal) -> str:
    """Format kroner the Norwegian way: 1 234 567 kr (thin spaces avoided for spreadsheets)."""
    if isinstance(amount, Decimal) and amount != amount.to_integral_value():
        whole, _, frac = f"{amount:.2f}".partition(".")
        return f"{_group(whole)},{frac} kr"
    return f"{_group(str(int(amount)))} kr"


def _group(digits: str) -> str:
    sign = "-" if digits.startswith("-") else ""
    digits = digits.lstrip("-")
    parts = []
    while len(digits) > 3:
        parts.insert(0, digits[-3:])
        digits = digits[:-3]
    parts.insert(0, digits)
    return sign + " ".join(parts)


def format_exact(amount: Decimal | Fraction) -> str:
    """An exact amount the Norwegian way, with every decimal up to four (then ≈ and four):
    1 581,25 kr, 7 115,625 kr. For showing arithmetic, never for amounts paid."""
    shown = as_decimal(amount).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP, context=MONEY_CONTEXT)
    prefix = "" if shown == amount else "≈ "
    shown = shown.normalize()
    if shown == shown.to_integral_value():
        return prefix + format_nok(int(shown))
    whole, _, frac = f"{shown:f}".partition(".")
    return f"{prefix}{_group(whole)},{frac} kr"


def format_percent(share: Decimal) -> str:
    """A share the Norwegian way: 80 %, 50,5 % (as written, no trailing zeros)."""
    return f"{share.normalize():f}".replace(".", ",") + " %"
