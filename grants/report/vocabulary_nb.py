"""The one mapping from the program's stable names to the words people read (bokmål).

CSV and JSON keep the stable English column names and status values by default, because other
programs read them; the workbook, the HTML report, and CSV with `--lang nb` use these words.
Every place that shows a column header, a status or a date to a person goes through here.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from grants.pipeline.fields import FIELDS

STATUS_NB: dict[str, str] = {
    "ok": "innvilget",
    "ineligible": "ikke rett",
    "outside_period": "utenfor perioden",
    "rejected": "avvist",
}
"""Line status -> what the finance officer reads."""

COLUMN_NB: dict[str, str] = {
    "row": "Rad",
    "file_line": "Linje/rad i filen",
    "alis_id": "Lege (ALIS-id)",
    "kommunenummer": "Kommunenummer",
    "kommunenavn": "Kommune",
    "period": "Periode",
    "grant_type": "Tilskuddstype",
    "role": "Rolle",
    "position_share": "Stillingsandel (%)",
    "start": "Fra",
    "end": "Til",
    "counted_start": "Regnet fra",
    "counted_end": "Regnet til",
    "whole_months": "Hele måneder",
    "centrality_class": "Sentralitetsklasse",
    "centrality_source": "Klasse fra",
    "annual_rate": "Årssats (kr)",
    "amount_nok": "Beløp (kr)",
    "status": "Status",
    "reason": "Begrunnelse",
    "rule_ids": "Regler",
    "rates_status": "Satsenes status",
    "basis": "Grunnlag",
    "praksiskompensasjon_nok": "Praksiskompensasjon (kr)",
    "laeringsaktiviteter_nok": "Læringsaktiviteter (kr)",
    "produktivitet_nok": "Produktivitetstillegg (kr)",
    "veiledning_nok": "Veiledning (kr)",
    "tilrettelegging_nok": "Tilrettelegging (kr)",
    "sentralitetstillegg_nok": "Sentralitetstillegg (kr)",
}
"""Output column -> Norwegian header. An element column not listed here is shown as
"<element> (kr)"; an officer's own column keeps the name it had in the input."""

VALUE_NB: dict[str, dict[str, str]] = {
    "status": STATUS_NB,
    "centrality_source": {"ssb": "SSB", "input": "søknaden"},
    "rates_status": {"official": "offisielle", "provisional": "foreløpige", "illustrative": "illustrative"},
    "grant_type": {"alis_avtale": "ALIS-avtale", "kun_veiledning": "kun veiledning"},
    "role": {
        "fastlege": "fastlege",
        "fastlegevikar": "fastlegevikar",
        "introduksjonslege": "introduksjonslege",
        "annet_kommunalt": "annet kommunalt legearbeid",
    },
}
"""Column -> (stable value -> Norwegian value), for the columns whose values are codes."""

TABLE_STATUS_NB: dict[str, str] = {"official": "offisiell", "provisional": "foreløpig", "illustrative": "illustrativ"}
"""A rate table's status said of the table (satstabellen er foreløpig), as `rates list` shows it;
VALUE_NB["rates_status"] says it of the rates (foreløpige satser)."""

DATE_COLUMNS = ("start", "end", "counted_start", "counted_end")
"""Columns holding ISO dates (2023-01-31) in CSV/JSON; shown as dd.mm.åååå to people."""


def column_nb(name: str) -> str:
    """The Norwegian header of an output column (an unknown name is returned unchanged)."""
    if name in COLUMN_NB:
        return COLUMN_NB[name]
    if name.endswith("_nok"):
        return f"{name[:-4]} (kr)"
    return name


def value_nb(column: str, value: object) -> object:
    """A cell as a person reads it: codes translated, ISO dates as dd.mm.åååå."""
    if value is None:
        return None
    if column in VALUE_NB and isinstance(value, str):
        return VALUE_NB[column].get(value, value)
    if column in DATE_COLUMNS and isinstance(value, str) and len(value) == 10:
        try:
            return date_nb(date.fromisoformat(value))
        except ValueError:
            return value
    return value


MINUS = "\u2212"
"""The minus sign of a change people read (−12,6 %), not the hyphen a program writes."""


def signed_percent_nb(change: int | Decimal, base: int | Decimal) -> str:
    """A change as a percentage of its base, the Norwegian way: «+4,2 %», «−12,6 %», «0,0 %»
    (one decimal, half up, a space before the sign %, the minus sign U+2212). Exact: no float."""
    with localcontext() as ctx:
        ctx.prec = 28
        pct = (Decimal(change) * 100 / Decimal(base)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if pct == 0:
        return "0,0 %"
    return ("+" if pct > 0 else MINUS) + f"{abs(pct):f}".replace(".", ",") + " %"


def signed_nb(text: str, negative: bool, zero: bool = False) -> str:
    """A number already written (e.g. «1 375 kr») with its sign as people read it: «+1 375 kr»,
    «−1 375 kr»; zero has no sign."""
    return text if zero else ("+" if not negative else MINUS) + text


def date_nb(day: date) -> str:
    """dd.mm.åååå, the form Norwegian officers write and read."""
    return f"{day:%d.%m.%Y}"


DAY_KIND_NB: dict[str, str] = {
    "paid": "hel måned med tilskudd",
    "counted_unpaid": "hel måned, men linjen gir ikke rett til tilskudd",
    "partial": "dager som ikke utgjør en hel måned (ikke betalt)",
    "split": "måned delt mellom to linjer for samme lege: ikke hel for noen av dem (ikke betalt)",
    "before_agreement": "før ALIS-avtalen ble signert (ikke betalt)",
    "clipped": "utenfor perioden (klippet bort, ikke betalt)",
    "rejected": "avvist rad: ikke beregnet (se avviste rader)",
    "copy": "kopi av en annen rad: ikke tatt med (ville gitt tilskudd to ganger)",
    "overlap": "linjer for samme lege som overlapper i tid",
}
"""What a stretch of days on the report's timeline is, in the words of its legend."""

MONTH_ABBR_NB = ("jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des")
"""Month names on the timeline's axis."""

REPORT_COLUMN_NB: dict[str, str] = {
    "span": "Tidsrom",
    "counted_span": "Regnet tidsrom",
    "lines": "Linjer",
    "column": "Kolonne",
    "value": "Verdi",
    "rate": "Sats",
    "centrality_group": "Sentralitet",
    "annual_rate_full": "Årssats ved 100 % (kr)",
    "source": "Kilde",
    "element": "Element",
    "annual_maximum": "Årlig maksimum ved 100 % (kr)",
    "formula": "Utregning",
    "cap": "Tak",
}
"""Columns only the HTML report has: two date columns joined (start–end, counted_start–
counted_end), line counts, the rejected cell, and the rate tables' own columns."""

CAP_NB: dict[str, str] = {"expense": "dokumenterte utgifter", "applied": "søkt beløp", "none": "uten utgiftstak"}
"""What caps a model B element (the rate table's `cap`)."""

CENTRALITY_GROUP_NB: dict[str, str] = {"class_1_5": "klasse 1–5", "class_6": "klasse 6"}
"""The rate tables' centrality groups, as the report names them."""

ANY_ROLE_NB = "alle roller"
"""A rate that applies whatever the role (the rate path's role part `any`)."""


# -- the input side: what an officer writes in an application (the template uses these) -------

INPUT_HEADER_NB: dict[str, str] = {name: f.header_nb for name, f in FIELDS.items() if not f.prefixes}
"""Input field -> the Norwegian header the template writes: the registry's (grants.pipeline.fields,
`Field.header_nb`), one of the headers the reader accepts. An expense column is
`utgift_<element>`."""

INPUT_VALUES_NB: dict[str, tuple[str, ...]] = {
    "grant_type": tuple(VALUE_NB["grant_type"].values()),
    "role": tuple(VALUE_NB["role"].values()),
    "via_agency": ("ja", "nei"),
    "private_commercial": ("ja", "nei"),
    "new_scheme": ("ja", "nei"),
}
"""Input field -> the values an officer picks from (the template's drop-down lists); the
reader accepts each of them."""


def input_header_nb(field: str) -> str:
    """The Norwegian header of an input field; `expense:<element>` -> `utgift_<element>`."""
    if field.startswith("expense:"):
        return "utgift_" + field.split(":", 1)[1]
    return INPUT_HEADER_NB[field]


def headers_nb(columns: list[str], own: "set[str] | frozenset[str]" = frozenset()) -> list[str]:
    """The Norwegian headers of output columns; the officer's own columns (`own`) keep their
    name, with " (inndata)" added when it would read like one of ours (e.g. their «Kommune»
    beside our «Kommune»), so no two columns people read have the same header."""
    ours = {column_nb(c).casefold() for c in columns if c not in own}
    out = []
    for c in columns:
        if c in own:
            out.append(f"{c} (inndata)" if c.casefold() in ours else c)
        else:
            out.append(column_nb(c))
    return out
