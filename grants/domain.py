"""The closed vocabularies of the scheme: grant types, roles, centrality groups, statuses.

These are names, not numbers: amounts and rules live in rates/ and rules/. Norwegian spellings
a finance officer would write are mapped to the canonical values here, in one place.
"""
from __future__ import annotations

import functools
import unicodedata
from enum import StrEnum


class GrantType(StrEnum):
    ALIS_AVTALE = "alis_avtale"
    KUN_VEILEDNING = "kun_veiledning"


class Role(StrEnum):
    FASTLEGE = "fastlege"
    FASTLEGEVIKAR = "fastlegevikar"
    INTRODUKSJONSLEGE = "introduksjonslege"
    ANNET_KOMMUNALT = "annet_kommunalt"


class CentralityGroup(StrEnum):
    CLASS_1_5 = "class_1_5"
    CLASS_6 = "class_6"


class Status(StrEnum):
    OK = "ok"
    INELIGIBLE = "ineligible"
    OUTSIDE_PERIOD = "outside_period"  # the line has no day in the period asked for: 0 kr, and said so
    REJECTED = "rejected"


GRANT_TYPE_NB = {
    GrantType.ALIS_AVTALE: "ALIS-avtale",
    GrantType.KUN_VEILEDNING: "kun veiledning",
}
ROLE_NB = {
    Role.FASTLEGE: "fastlege",
    Role.FASTLEGEVIKAR: "fastlegevikar",
    Role.INTRODUKSJONSLEGE: "introduksjonslege",
    Role.ANNET_KOMMUNALT: "allmennlege i annet kommunalt legearbeid",
}


@functools.lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower-case, Norwegian letters folded to ASCII, spaces and dashes to underscores."""
    text = text.strip().lower()
    text = text.replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    out = []
    for ch in text:
        out.append(ch if ch.isalnum() else "_")
    return "_".join(part for part in "".join(out).split("_") if part)


_GRANT_TYPE_ALIASES = {
    "alis_avtale": GrantType.ALIS_AVTALE,
    "alis": GrantType.ALIS_AVTALE,
    "avtale": GrantType.ALIS_AVTALE,
    "kun_veiledning": GrantType.KUN_VEILEDNING,
    "veiledning": GrantType.KUN_VEILEDNING,
}
_ROLE_ALIASES = {
    "fastlege": Role.FASTLEGE,
    "fastlegevikar": Role.FASTLEGEVIKAR,
    "vikar": Role.FASTLEGEVIKAR,
    "introduksjonslege": Role.INTRODUKSJONSLEGE,
    "intro": Role.INTRODUKSJONSLEGE,
    "introlege": Role.INTRODUKSJONSLEGE,
    "annet_kommunalt": Role.ANNET_KOMMUNALT,
    "annet_kommunalt_legearbeid": Role.ANNET_KOMMUNALT,
    "allmennlege_i_annet_kommunalt_legearbeid": Role.ANNET_KOMMUNALT,
    "annen_kommunal": Role.ANNET_KOMMUNALT,
}


def parse_grant_type(value: object) -> GrantType:
    key = fold(str(value))
    if key in _GRANT_TYPE_ALIASES:
        return _GRANT_TYPE_ALIASES[key]
    raise ValueError(
        f"ukjent tilskuddstype «{value}»; gyldige verdier er alis_avtale og kun_veiledning"
    )


def parse_role(value: object) -> Role:
    key = fold(str(value))
    if key in _ROLE_ALIASES:
        return _ROLE_ALIASES[key]
    raise ValueError(
        f"ukjent rolle «{value}»; gyldige verdier er fastlege, fastlegevikar, "
        "introduksjonslege og annet_kommunalt"
    )


MONTH_NB = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
            "november", "desember")
"""Month names in bokmål, January first."""
