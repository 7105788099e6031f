"""Which input column means which field: the alias table (grants.pipeline.inputs.HEADER_ALIASES) applied
to the headers a finance officer writes.

A header is matched after normalising case, spaces, punctuation, a parenthesised hint such as
`(ja/nei)` or `(%)`, and æ/ø/å written as ae/o/aa. A column that matches no alias but
RESEMBLES one (shares a key word of the alias table: vikarbyrå, privat, ordning, signert,
sentralitet, utgift, første ...) stops the run: it probably carries a rule, and ignoring it
could pay an ineligible doctor. The user may say `--ignore-column NAME` (API: `ignore_columns=`)
to keep it out on purpose. Every other column (a name, a comment, a case number) is the
officer's own and is carried to the output unchanged beside its row.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from grants.errors import ColumnChoiceError, InputFileError, UnknownIgnoredColumnError
from grants.pipeline.fields import (
    EXPENSE,
    EXPENSE_PREFIXES,
    FREE_TEXT_WORDS,
    HEADER_ALIASES,
    OWN_COLUMN_ALIASES,
    REQUIRED_COLUMNS,
    ROW_ERROR,
)

_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_MIN_KEYWORD = 5
"""Alias words this long or longer are key words: shorter ones (fra, til, ny, id, type) are too
common in free text to mean anything on their own."""


@functools.lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Lower case, Norwegian letters and their ASCII spellings folded alike (æ/ae -> ae,
    ø/oe/o -> o, å/aa/a -> a), accents dropped, anything else that is not a letter or digit
    -> one underscore."""
    text = unicodedata.normalize("NFKC", str(text)).strip().lower()
    text = text.replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return text.replace("aa", "a").replace("oe", "o")


def _candidates(header: str) -> tuple[str, ...]:
    """The header without a parenthesised hint first (`Vikarbyrå (ja/nei)`), then whole
    (`Utgift (veiledning)`)."""
    bare = normalise(_PARENTHESES.sub(" ", header))
    whole = normalise(header)
    return (bare, whole) if bare and bare != whole else (whole,)


_ALIAS_TO_FIELD: dict[str, str] = {}
for _field, _aliases in HEADER_ALIASES.items():
    for _alias in _aliases:
        _key = normalise(_alias)
        if _ALIAS_TO_FIELD.get(_key, _field) != _field:  # pragma: no cover - checked by a test too
            raise AssertionError(f"alias {_alias!r} means both {_ALIAS_TO_FIELD[_key]} and {_field}")
        _ALIAS_TO_FIELD[_key] = _field
_OWN = {normalise(a) for a in OWN_COLUMN_ALIASES}
_FREE = {normalise(w) for w in FREE_TEXT_WORDS}
_PREFIXES = tuple(normalise(p) + "_" for p in EXPENSE_PREFIXES)


def _keywords() -> dict[str, set[str]]:
    """field -> the key words of its aliases (the alias table itself, nothing kept elsewhere)."""
    out: dict[str, set[str]] = {}
    for field, aliases in HEADER_ALIASES.items():
        words = {w for a in aliases for w in normalise(a).split("_") if len(w) >= _MIN_KEYWORD}
        out[field] = words
    out[EXPENSE + "*"] = {w for p in EXPENSE_PREFIXES for w in normalise(p).split("_") if len(w) >= _MIN_KEYWORD}
    return out


KEYWORDS = _keywords()


def resembles(header: str) -> list[str]:
    """The fields whose key words the header shares (a word equal to, containing, or contained
    in a key word), unless a word of free text (merknad, navn ...) says it is the officer's own."""
    words = set(normalise(header).split("_"))
    if words & _FREE:
        return []
    hits = []
    for field, keys in KEYWORDS.items():
        for w in words:
            if len(w) < 4:
                continue
            if any(w == k or (len(w) >= _MIN_KEYWORD and (w in k or k in w)) for k in keys):
                hits.append(field)
                break
    return hits


def field_of(header: str, elements: Iterable[str] | None = None) -> str | None:
    """The field a header means (`expense:<element>` for an expense column), or None."""
    for key in _candidates(header):
        if key in _ALIAS_TO_FIELD:
            return _ALIAS_TO_FIELD[key]
        prefix = next((p for p in _PREFIXES if key.startswith(p)), None)
        if prefix is not None:
            element = key[len(prefix):]
            known = None if elements is None else {normalise(e): e for e in elements}
            if known is not None and element not in known:
                raise ColumnChoiceError([(
                    f"kolonnen «{header}» ser ut som en utgiftskolonne, men «{element}» er ikke et kjent element "
                    f"(kjente: {', '.join(sorted(known.values())) or 'ingen'}); rett navnet, eller ",
                    header, " hvis kolonnen ikke skal brukes",
                )])
            return EXPENSE + (known[element] if known else element)
    return None


@dataclass(frozen=True, slots=True)
class Header:
    """How the user's column names map to the canonical fields."""

    field_to_column: dict[str, str]
    own_columns: tuple[str, ...] = ()
    """The officer's own columns, in input order: carried to the output unchanged."""
    ignored: tuple[str, ...] = ()
    """Columns the user asked to ignore (`--ignore-column`); carried to the output like own ones."""


def map_header(columns: Iterable[Any], elements: Iterable[str] | None = None,
               ignore_columns: Iterable[str] = ()) -> Header:
    """Map user column names to fields. A missing required column, two columns meaning one
    field, an expense column for an unknown element and an unknown column that resembles a
    known one are errors (InputFileError, exit 2 in the CLI), each naming the column."""
    elements = None if elements is None else list(elements)
    ignore = {str(c).strip() for c in ignore_columns}
    ignore_keys = {normalise(c) for c in ignore}
    field_to_column: dict[str, str] = {}
    own: list[str] = []
    ignored: list[str] = []
    suspicious: list[tuple[str, list[str]]] = []
    names = [str(c) for c in columns if str(c) != ROW_ERROR]
    for name in names:
        if name.strip() in ignore or normalise(name) in ignore_keys:
            ignored.append(name)
            continue
        field = field_of(name, elements)
        if field is None:
            if normalise(name) in _OWN:
                own.append(name)
                continue
            hits = resembles(name)
            if hits:
                suspicious.append((name, hits))
            else:
                own.append(name)
            continue
        if field in field_to_column:
            raise InputFileError(
                f"kolonnene «{field_to_column[field]}» og «{name}» betyr begge {field}; fjern den ene"
            )
        field_to_column[field] = name
    if suspicious:
        raise ColumnChoiceError(_suspicious_text(name, hits) for name, hits in suspicious)
    missing = [f for f in REQUIRED_COLUMNS if f not in field_to_column]
    if missing:
        from grants.pipeline.fields import FIELDS  # the template's headers

        raise InputFileError(
            "mangler påkrevd kolonne: "
            + ", ".join(f"{FIELDS[f].header_nb} (eller "
                        f"{' / '.join(a for a in HEADER_ALIASES[f][:4] if a != FIELDS[f].header_nb)})"
                        for f in missing)
        )
    unknown_ignores = ignore - {n.strip() for n in ignored}
    if unknown_ignores:
        raise UnknownIgnoredColumnError(sorted(unknown_ignores))
    return Header(field_to_column, tuple(own), tuple(ignored))


def _suspicious_text(name: str, hits: list[str]) -> tuple[str, str, str]:
    meant = " eller ".join(
        "en utgiftskolonne (utgift_<element>)" if h == EXPENSE + "*" else f"«{HEADER_ALIASES[h][1]}»"
        for h in hits
    )
    return (
        f"kolonnen «{name}» er ikke en kjent overskrift, men ligner på {meant}; den kan bære en regel "
        "som ellers ikke blir brukt. Gi den et kjent navn, eller ", name, " hvis den ikke skal brukes",
    )


def looks_like_header(cells: Sequence[str], minimum: int = 1) -> bool:
    """Whether a row is the header: at least two filled cells, `minimum` of them naming
    required fields. (The file reader uses it to find the header under a title line; a header
    that misses required columns is still found, so the message can name what is missing.)"""
    found = set()
    if sum(1 for cell in cells if cell and str(cell).strip()) < 2:
        return False
    for cell in cells:
        if not cell or not str(cell).strip():
            continue
        try:
            field = field_of(str(cell))
        except InputFileError:
            continue
        if field in REQUIRED_COLUMNS:
            found.add(field)
    return len(found) >= minimum
