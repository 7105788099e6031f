"""The one rounding rule of the project: Decimal inside, integer kroner out, half up.

DOMAIN.md section 8. Every amount that leaves the engine passes through `to_kroner`, so the
rounding rule lives here and nowhere else.
"""
from __future__ import annotations

import functools
import re
from fractions import Fraction
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from typing import Any, Callable, ParamSpec, TypeVar

ROUNDING_RULE_NB = "avrundet halvt opp til hele kroner"
ROUNDING_RULE = "half up to whole kroner (ROUND_HALF_UP)"


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
    Decimal's ROUND_HALF_UP): a Decimal or an exact fraction (model B's elements and their
    shares), both as their exact quotient of integers through `half_up`, so no decimal
    context (the caller's or ours) takes part. The one rounding rule of the project: every
    path that pays calls `half_up`, this way or directly (the column pricer, on integers)."""
    if isinstance(amount, Fraction):
        return half_up(amount.numerator, amount.denominator)
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal or Fraction, got {type(amount).__name__}")
    if not amount.is_finite():
        raise InvalidOperation(f"an amount must be a finite number, not {amount}")
    numerator, denominator = amount.as_integer_ratio()
    return half_up(numerator, denominator)


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


PLAIN_DIGITS = 30
"""A number written with more than this many digits before or after the point is no amount,
share or count anyone means (10^30 kroner): `plain_text` refuses it rather than spell it out."""


def plain_text(number: Decimal) -> str | None:
    """A number's exact value as the plain text a cell holding it would show: no exponent, no
    trailing zeros after the point, no sign on zero. 80.50, 8.05E+1 and 80.5 all give "80.5";
    99.999999999999999999 stays itself (no context rounds it). The value grammars of the input
    read this text, so a number is judged by its value, whatever its spelling. One exception
    to the point: a value such as 12.005 would read as twelve thousand and five in the amount
    grammar (12.500 is 12 500 kr), so it is written 12,005, which every grammar refuses (three
    decimals; thousands or decimals?) instead of paying a thousand times the number. None for a
    number no grammar takes: not finite, or more than PLAIN_DIGITS digits either side of the point."""
    if not number.is_finite():
        return None
    if number.is_zero():
        return "0"
    digits = len(number.as_tuple().digits)
    if abs(number.adjusted()) > PLAIN_DIGITS or digits > 4 * PLAIN_DIGITS:
        return None
    number = number.normalize(Context(prec=digits))  # exact: the value never needs more digits than it has
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if -exponent > PLAIN_DIGITS:
        return None
    text = format(number, "f")
    return text.replace(".", ",") if _READS_AS_THOUSANDS.fullmatch(text) else text


_READS_AS_THOUSANDS = re.compile(r"-?\d{1,3}\.\d{3}")


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
