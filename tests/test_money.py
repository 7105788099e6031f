"""The one rounding rule (grants.money): whole kroner, half up, by `half_up` on integers, which
`to_kroner` (a Decimal or an exact fraction) and the column pricer (numpy integers) all call. It
is Decimal's ROUND_HALF_UP, whatever decimal context the caller has."""
from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import numpy as np
from hypothesis import given, strategies as st

from grants.money import half_up, to_kroner

amounts = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6, allow_nan=False)


@given(amounts)
def test_to_kroner_is_round_half_up_for_a_decimal_and_its_fraction(amount):
    expected = int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert to_kroner(amount) == to_kroner(Fraction(amount)) == expected
    with localcontext() as ctx:  # a caller's context changes nothing
        ctx.prec, ctx.rounding = 3, ROUND_DOWN
        assert to_kroner(amount) == expected


@given(st.lists(st.integers(-10**15, 10**15), min_size=1, max_size=20), st.integers(1, 10**6))
def test_half_up_on_a_column_is_half_up_on_each_integer(numerators, denominator):
    column = half_up(np.array(numerators, dtype=np.int64), denominator)
    assert column.tolist() == [half_up(n, denominator) for n in numerators] == [
        to_kroner(Fraction(n, denominator)) for n in numerators]
