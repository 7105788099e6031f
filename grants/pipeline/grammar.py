"""The value grammars of the input: what a cell may hold for each kind of field, and what it means.

One grammar per kind of value (a date, a share in percent, an amount in kroner, hours, yes/no,
a municipality number, a doctor's id, a centrality class), used by every door: a file's text, a
spreadsheet's number, a DataFrame's value, a JSON value. A number is judged by its exact value
through the same grammar as the text of a file (grants.money.plain_text). A value a grammar
does not take raises ValueError with the bokmål words a rejection shows. Which field takes
which grammar is declared once, in grants.pipeline.fields.
"""
from __future__ import annotations

import functools
import math
import re
import sys
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from grants.domain import fold, parse_grant_type, parse_role  # noqa: F401 - the grammars of the two enums
from grants.money import plain_text


_TRUE = {"ja", "j", "yes", "y", "true", "sann", "1", "x"}
_FALSE = {"nei", "n", "no", "false", "usann", "0"}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NORWEGIAN = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def is_blank(value: Any) -> bool:
    if value.__class__ is str:
        return not value or value.isspace()
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    if type(value).__name__ == "NAType":  # pandas' NA: its comparisons give NA, not a bool
        return True
    try:  # pandas NaT
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return _parse_date_text(str(value).strip())


_TIME_OF_MIDNIGHT = re.compile(r"^(\S+)[ T]00:00(:00(\.0+)?)?$")


@functools.lru_cache(maxsize=16384)
def _parse_date_text(value: str) -> date:
    """DATE grammar: 2022-03-01 (ISO) or 01.03.2022 / 1.3.2022 (day.month.year, four-digit
    year); a spreadsheet's timestamp at midnight (2022-03-01 00:00:00) is its date. Nothing
    else: not 01/03/2022 (day or month first?), not 01.03.22 (which century?)."""
    text = value
    midnight = _TIME_OF_MIDNIGHT.match(text)
    if midnight:
        text = midnight.group(1)
    m = _ISO.match(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = _NORWEGIAN.match(text)
        if not m:
            raise ValueError(f"«{value}» er ikke en dato; skriv 2022-03-01 eller 01.03.2022")
        d, mo, y = (int(g) for g in m.groups())
    try:
        return date(y, mo, d)
    except ValueError:
        raise ValueError(f"datoen «{value}» finnes ikke") from None


def parse_bool(value: Any) -> bool:
    numpy = sys.modules.get("numpy")  # a numpy bool only exists once numpy is loaded: no import for it here
    if isinstance(value, bool) or (numpy is not None and isinstance(value, numpy.bool_)):
        return bool(value)
    if isinstance(value, (int, float)) and value in (0, 1):  # a 0/1 column, maybe read as floats
        return bool(value)
    key = fold(str(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"«{value}» er ikke ja eller nei")


def _number(value: Any, clean_text: Any, not_a_number: str) -> Decimal:
    """A cell as an exact, finite Decimal. Text is read by its grammar (`clean_text`). A number
    (int, float, Decimal: from a spreadsheet, a DataFrame, JSON read with exact decimals) is
    judged by its exact value, whatever its spelling: it becomes the plain text of that value
    (grants.money.plain_text: 80.50 and 8.05E+1 are "80.5", 99.999999999999999999 stays
    itself) and that text goes through the same grammar as a file's cell. A binary float is
    taken by its shortest decimal text (80.5, not 80.4999...), which str() gives for Python and
    numpy alike. No arithmetic happens on the binary number."""
    if isinstance(value, bool):
        raise ValueError(not_a_number)
    if isinstance(value, str):
        text = value
    else:
        try:
            number = value if isinstance(value, Decimal) else Decimal(value if isinstance(value, int) else str(value))
        except (InvalidOperation, TypeError, ValueError):
            text = str(value)  # not a number at all: its text, which the grammar refuses or reads
        else:
            plain = plain_text(number)
            if plain is None:
                raise ValueError(not_a_number)
            text = plain
    try:
        number = Decimal(clean_text(text))
    except InvalidOperation:
        raise ValueError(not_a_number) from None
    if not number.is_finite():
        raise ValueError(not_a_number)
    return number


_SHARE = re.compile(r"^(-?\d{1,3})(?:[.,](\d{1,2}))?\s*%?$")  # a sign only so that -10 is told "over 0"
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_AMOUNT_PLAIN = re.compile(r"^\d+(?:[.,]\d{1,2})?$")
_AMOUNT_DOT_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?$")


def _share_text(text: str) -> str:
    """SHARE grammar: digits, at most one decimal separator (comma or point) with at most two
    decimals, an optional % (80, 80 %, 80,5, 33.33). Not 80%%, 1_0_0, 1e1, 8E+1."""
    m = _SHARE.match(text.strip())
    if not m:
        raise InvalidOperation(text)
    return m.group(1) + ("." + m.group(2) if m.group(2) else "")


def _amount_text(text: str) -> str:
    """AMOUNT grammar: whole kroner or kroner and øre (two decimals at most), thousands grouped
    by spaces or by points (12 500, 12.500,50), optionally `kr` before or after and `,-` at the
    end. A comma followed by three digits (12,500) is refused: thousands or decimals?"""
    text = _SPACES.sub("", text.strip().lower())
    text = text.removeprefix("kr").removesuffix("kr").removesuffix(",-").removesuffix(".-")
    if _AMOUNT_DOT_THOUSANDS.match(text):  # 12.500 or 12.500,50
        return text.replace(".", "").replace(",", ".")
    if _AMOUNT_PLAIN.match(text):
        return text.replace(",", ".")
    raise InvalidOperation(text)


def quoted(value: Any) -> str:
    """A value as a rejection quotes it: text as it was written; a number (from a DataFrame,
    JSON or a list of dicts) as a Norwegian writes it, with a decimal comma: «120,5»."""
    if isinstance(value, (str, bool)) or value is None:
        return str(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(value if isinstance(value, int) else str(value))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    plain = plain_text(number)
    return plain.replace(".", ",") if plain is not None else str(value)


def parse_share(value: Any) -> Decimal:
    share = _number(value, _share_text, f"«{quoted(value)}» er ikke en stillingsandel i prosent (skriv f.eks. 80, 80 % eller 80,5; høyst to desimaler)")
    if share <= 0 or share > 100:
        raise ValueError(f"stillingsandelen «{quoted(value)}» må være over 0 og høyst 100 %")
    if share <= 1:
        raise ValueError(
            f"stillingsandelen «{quoted(value)}» ser ut som en brøk (0,8 = 80 %?); skriv den i prosent, "
            "f.eks. 80 eller 100. Andeler på 1 % eller mindre godtas ikke"
        )
    return share


def parse_amount(value: Any) -> Decimal:
    """A non-negative amount in kroner: 12500, "12 500", "12 500,50", "kr 12.500,-"."""
    amount = _number(value, _amount_text, f"«{quoted(value)}» er ikke et beløp i kroner (skriv f.eks. 12500 eller 12 500,50)")
    if amount < 0:
        raise ValueError(f"beløpet «{quoted(value)}» kan ikke være negativt")
    return amount


_HOURS = re.compile(r"^(\d{1,4})(?:[.,](\d{1,2}))?\s*(?:t|timer)?$")


def _hours_text(text: str) -> str:
    """HOURS grammar: digits with at most two decimals, optionally followed by t or timer
    (10, 10,5, 10,5 t). Not 1e1, not 10:30."""
    m = _HOURS.match(_SPACES.sub(" ", text.strip().lower()))
    if not m:
        raise InvalidOperation(text)
    return m.group(1) + ("." + m.group(2) if m.group(2) else "")


def parse_hours(value: Any) -> Decimal:
    """Documented supervision hours: 10, "10,5", "10,5 t"; not negative."""
    return _number(value, _hours_text, f"«{quoted(value)}» er ikke et antall timer (skriv f.eks. 10 eller 10,5)")


def parse_expenses(value: Any) -> dict[str, Decimal]:
    if not isinstance(value, Mapping):
        raise ValueError("utgifter må oppgis per element")
    return {fold(str(k)): parse_amount(v) for k, v in value.items() if not is_blank(v)}


def parse_municipality(value: Any) -> str:
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not text.isdigit() or not 1 <= len(text) <= 4:
        raise ValueError(f"«{value}» er ikke et kommunenummer (fire siffer, f.eks. 0301)")
    return text.zfill(4)


def parse_alis_id(value: Any) -> str:
    """ID grammar: any text, kept as written (stripped), whose letters are Latin (æ, ø, å and
    the Sami letters are Latin) and whose digits are 0-9 once read as Unicode NFKC (so a
    full-width ＡＬＩＳ01 is ALIS01). No Norwegian id needs another script, and a letter that
    only looks Latin (Cyrillic А) would make a second doctor of the first: it is refused,
    naming each such character by its code point and name."""
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
    if not text:
        raise ValueError("mangler verdi")
    if not text.isascii():
        foreign = _foreign_characters(text)
        if foreign:
            raise ValueError(
                f"lege-id-en «{text}» har tegn som ikke er latinske bokstaver eller sifrene 0–9: {foreign}; "
                "skriv id-en med latinske bokstaver og vanlige sifre")
    return text


def _foreign_characters(text: str) -> str:
    """The characters of an id (after NFKC) that are letters outside the Latin script or
    digits other than 0-9, as «U+0410 CYRILLIC CAPITAL LETTER A», or "" when there are none."""
    seen: dict[str, None] = {}
    for ch in unicodedata.normalize("NFKC", text):
        category = unicodedata.category(ch)
        if category[0] == "L" and not unicodedata.name(ch, "").startswith("LATIN "):
            seen[ch] = None
        elif category[0] == "N" and ch not in "0123456789":
            seen[ch] = None
    return ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, '(uten navn)')}" for ch in seen)


def parse_alis_ids(texts: "Any") -> "tuple[Any, Any]":
    """`parse_alis_id` over a column of stripped, non-blank texts, in one step: an ASCII id is
    its own id; the others are checked one by one (a test holds the two equal). Returns the
    ids and which failed."""
    import numpy as np

    values = np.asarray(texts, dtype=object)
    bad = np.zeros(len(values), dtype=bool)
    for i, text in enumerate(values.tolist()):
        if not text.isascii() and _foreign_characters(text):
            bad[i] = True
    return values, bad


COLUMN_PARSERS: dict[str, Any] = {"alis_id": parse_alis_ids}
"""Fields whose parser has a column form for text cells (the same answer, in one step)."""


def parse_centrality_class(value: Any) -> int:
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
    if text not in {"1", "2", "3", "4", "5", "6"}:
        raise ValueError(f"sentralitetsklasse «{quoted(value)}» må være et helt tall fra 1 til 6")
    return int(text)


def end_before_start(start: date, end: date) -> str | None:
    """The message for an inverted line, or None when the dates are in order."""
    if end < start:
        return f"sluttdato {end:%d.%m.%Y} er før startdato {start:%d.%m.%Y}"
    return None
