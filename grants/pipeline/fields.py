"""The input columns: which fields a line has, which are required, and every header accepted
for each. This is the one alias table: the header matcher (grants.pipeline.headers), the
template, the documentation and the resemblance check all read it, and nothing else keeps a
list of header names."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REQUIRED_COLUMNS = ("alis_id", "kommunenummer", "grant_type", "role", "position_share", "start", "end")
OPTIONAL_COLUMNS = (
    "via_agency", "private_commercial", "new_scheme", "agreement_signed", "centrality_class",
    "first_gp_date", "centrality_supplement_applied", "productivity_applied", "supervision_hours",
)
EXPENSE_PREFIXES = ("expense_", "utgift_", "utgifter_")
"""An expense column is a prefix plus an element name: utgift_veiledning, expense_praksiskompensasjon."""
EXPENSE = "expense:"

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "alis_id": ("alis_id", "alis", "lege_id", "legeid", "lege", "hpr", "hpr_nr", "hpr_nummer", "hprnr",
                "helsepersonellnummer"),
    "kommunenummer": ("kommunenummer", "kommunenr", "kommune_nr", "knr", "municipality_number"),
    "grant_type": ("grant_type", "tilskuddstype", "tilskudd_type", "type_tilskudd"),
    "role": ("role", "rolle", "legerolle"),
    "position_share": ("position_share", "stillingsandel", "stillingsprosent", "andel", "share",
                       "stillingsandel_i_avtalen"),
    "start": ("start", "fra", "fra_dato", "fom", "fra_og_med", "startdato", "start_dato", "start_date"),
    "end": ("end", "til", "til_dato", "tom", "til_og_med", "sluttdato", "slutt_dato", "slutt", "end_date"),
    "via_agency": ("via_agency", "vikarbyrå", "via_vikarbyrå", "ansatt_i_vikarbyrå", "tilknyttet_vikarbyrå",
                   "engasjert_via_vikarbyrå", "vikarbyrå_ansatt"),
    "private_commercial": ("private_commercial", "privat_kommersiell", "privat_kommersiell_aktør", "privat_aktør",
                           "ansatt_i_privat_kommersiell_aktør", "tilknyttet_privat_kommersiell_aktør"),
    "new_scheme": ("new_scheme", "ny_ordning", "nye_spesialistregler", "ny_spesialistordning",
                   "ny_spesialiseringsordning"),
    "agreement_signed": ("agreement_signed", "avtale_signert", "alis_avtale_signert", "signert", "avtaledato",
                         "dato_signert", "signert_dato", "signeringsdato", "alis_avtale_signert_dato"),
    "centrality_class": ("centrality_class", "sentralitetsklasse", "sentralitet", "sentralitetsgrad"),
    "first_gp_date": ("first_gp_date", "første_dato_fastlege", "første_dag_fastlege", "første_dato_som_fastlege",
                      "første_dag_som_fastlege"),
    "centrality_supplement_applied": ("centrality_supplement_applied", "sentralitetstillegg_søkt",
                                      "søkt_sentralitetstillegg"),
    "productivity_applied": ("productivity_applied", "produktivitet_søkt", "søkt_produktivitet",
                             "produktivitetstillegg_søkt", "søkt_produktivitetstillegg"),
    "supervision_hours": ("supervision_hours", "veiledning_timer", "veiledningstimer", "timer_veiledning"),
}
"""Every input column and the headers accepted for it (matched by grants.pipeline.headers after folding
case, spaces, punctuation, a hint in parentheses, and æ/ø/å written as ae/o/aa). The first name
is the canonical one; the second is the Norwegian one the documentation shows."""

OWN_COLUMN_ALIASES = (
    "kommune", "kommunenavn", "navn", "lege_navn", "legens_navn", "merknad", "kommentar", "notat",
    "saksnummer", "saksnr", "type",
)
"""Headers that are the officer's own columns by name (the engine takes the municipality's
name from SSB): carried to the output, never read as data, never a resemblance."""

FREE_TEXT_WORDS = (
    "merknad", "merknader", "kommentar", "kommentarer", "notat", "notater", "navn", "saksnr",
    "saksnummer", "beskrivelse", "note", "notes", "comment", "comments", "name",
)
"""A header with one of these words is free text (a comment, a name, a case number): it never
resembles a field, so it is carried to the output, not refused."""

ROW_ERROR = "_row_error"
"""A record key a reader sets when the row as a whole is malformed; the row is rejected."""


GIVEN = object()
"""`Given.value` of an optional date: any value given counts."""


@dataclass(frozen=True)
class Given:
    """When an optional input a rule reads counts as given (not its default), and how it reads."""

    value: Any
    words_nb: str


OPTIONAL_FACTS = {
    "via_agency": Given(True, "via vikarbyrå = ja"),
    "private_commercial": Given(True, "privat kommersiell aktør = ja"),
    "new_scheme": Given(False, "ny spesialistordning = nei"),
    "agreement_signed": Given(GIVEN, "datoen ALIS-avtalen ble signert"),
    "first_gp_date": Given(GIVEN, "første dag som fastlege/vikar"),
}
"""The optional inputs rules read: when a line gives one that no rule of the period reads, a note says so."""
