"""A rule's bokmål text with its numbers taken from the period's rate table.

`text_nb` may hold placeholders: `{name}` is the rate-table number `name` (a model B parameter
or one of rates.TABLE_NUMBERS), `{name:%}` the same number written as a percentage (0.05 -> 5 %),
and `{formula}` the rule's own formula in words. A placeholder that names nothing the table has
is refused when the rules are loaded, so a text never shows a number the engine does not use.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grants.rates.tables import RateTable

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)(?::(%))?\}")


def placeholders(text: str) -> list[tuple[str, str | None]]:
    """The (name, format) of each placeholder; ValueError on a brace that is not one."""
    found = [(m.group(1), m.group(2)) for m in _PLACEHOLDER.finditer(text)]
    rest = _PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        raise ValueError(f"text_nb: a brace that is not a placeholder such as {{facilitation_share:%}}: {text!r}")
    return found


def problem(rule: Any, table: "RateTable") -> str | None:
    """Why the rule's text cannot be filled from `table`, or None."""
    try:
        found = placeholders(rule.text_nb)
    except ValueError as exc:
        return str(exc)
    for name, _ in found:
        if name == "formula":
            if rule.formula is None:
                return "text_nb: {formula} is only for rules with a formula"
        elif not table.has_value(name):
            return (f"text_nb: placeholder {{{name}}} names no number of the rate table {table.file} "
                    f"(known: formula, {', '.join(table.value_names)})")
    return None


def number_nb(value: Decimal | None, fmt: str | None = None) -> str:
    """A rate-table number as bokmål text: 0.05 with % -> "5 %", 57.75 -> "57,75"."""
    if value is None:
        return "(ikke satt)"
    if fmt == "%":
        value = value * 100
    text = f"{value.normalize():f}".replace(".", ",")
    return f"{text} %" if fmt == "%" else text


def rule_text(rule: Any, table: "RateTable") -> str:
    """The rule's bokmål text as shown for a line of `table`'s period."""
    def fill(m: re.Match[str]) -> str:
        name, fmt = m.group(1), m.group(2)
        if name == "formula" and rule.formula is not None:
            return rule.formula.text_nb(rule.kind, table)
        return number_nb(table.value(name), fmt)

    return _PLACEHOLDER.sub(fill, rule.text_nb)
