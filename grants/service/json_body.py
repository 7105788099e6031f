"""A JSON request body read with every number exact (a Decimal, never a float), and text that
is not Unicode (a lone surrogate) refused naming where it is."""
from __future__ import annotations

import re
from decimal import Decimal
import json
from typing import Any, Iterator

from fastapi import Request

from grants.service.errors import ServiceError


class _NotJson(ValueError):
    pass


def _not_json(constant: str) -> Any:
    raise _NotJson(f"{constant} er ikke et tall i JSON")


async def _read_json(request: Request) -> Any:
    """The body as JSON with every number exact: a number with a point or an exponent is a
    Decimal (never a float, which would read 99.999999999999999999 as 100), so the value
    grammar judges its exact value as it judges a file's cell. NaN and Infinity are not JSON.
    Text that is not Unicode (a lone surrogate, which JSON's \\u escapes can spell) is a 422
    naming where it is."""
    raw = await request.body()
    if not raw.strip():
        raise ServiceError(400, "tom forespørsel; send JSON")
    try:
        data = json.loads(raw, parse_float=Decimal, parse_constant=_not_json)
    except UnicodeDecodeError:
        raise ServiceError(400, "forespørselen er ikke UTF-8-tekst") from None
    except json.JSONDecodeError as exc:
        raise ServiceError(400, f"ugyldig JSON (linje {exc.lineno}, kolonne {exc.colno}): {exc.msg}") from None
    except RecursionError:
        raise ServiceError(400, "ugyldig JSON: nøstet for dypt") from None
    except _NotJson as exc:  # NaN, Infinity
        raise ServiceError(400, f"ugyldig JSON: {exc}") from None
    except ValueError:  # an integer beyond Python's limit of digits read from text
        raise ServiceError(400, "ugyldig JSON: et heltall har for mange sifre") from None
    problems = list(_lone_surrogates(data, [])) if _may_hold_surrogates(raw) else []
    if problems:
        raise ServiceError(422, "forespørselen har tekst som ikke er gyldig Unicode: "
                           + "; ".join(f"{'.'.join(p['loc'])}: {p['msg']}" for p in problems[:5]), problems)
    return data


_SURROGATE = re.compile("[\ud800-\udfff]")


_SURROGATE_IN_UTF8 = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
"""Where a UTF-8 JSON text can spell a surrogate: a \\uD800-\\uDFFF escape, or one encoded
as bytes (which json.loads lets through)."""


def _may_hold_surrogates(raw: bytes) -> bool:
    """Whether the body can hold a lone surrogate at all (a quick look at the bytes, so a large
    body without any is not walked string by string)."""
    if json.detect_encoding(raw) not in ("utf-8", "utf-8-sig"):
        return True
    return (b"\\u" in raw or b"\xed" in raw) and _SURROGATE_IN_UTF8.search(raw) is not None


def _shown(text: str) -> str:
    """Text with its lone surrogates written as \\uXXXX escapes, safe to send back."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _lone_surrogates(data: Any, loc: list[str]) -> Iterator[dict[str, Any]]:
    """Every field name and text value holding a lone surrogate (half of a UTF-16 pair, not a
    character: it cannot be encoded, compared or written), with its place in the request."""
    if isinstance(data, str):
        found = _SURROGATE.search(data)
        if found:
            yield {"loc": loc, "type": "lone_surrogate",
                   "msg": f"teksten «{_shown(data)[:80]}» har en enslig surrogat (U+{ord(found.group()):04X}), som ikke "
                          "er et tegn; send gyldig Unicode"}
    elif isinstance(data, dict):
        for key, value in data.items():
            where = [*loc, _shown(key)]
            found = _SURROGATE.search(key)
            if found:
                yield {"loc": where, "type": "lone_surrogate",
                       "msg": f"feltnavnet «{_shown(key)[:80]}» har en enslig surrogat (U+{ord(found.group()):04X}), som "
                              "ikke er et tegn; send gyldig Unicode"}
            yield from _lone_surrogates(value, where)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _lone_surrogates(value, [*loc, str(i)])
