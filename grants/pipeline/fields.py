"""The input fields, each declared once: its name, its type, its value grammar, the headers
accepted for it (the canonical name first, the Norwegian one shown to people second), whether
it is required and its default, the fact of the rules it is (if the rules read it), and its
help texts (English for the service's JSON schema and the README, bokmål for the person filling
in an application).

Everything else is generated from FIELDS or held to it field by field by a test
(tests/test_field_registry.py): the alias table the header matcher and the resemblance check
read, the parser of each field, the defaults, the notes on optional inputs no rule of a period
reads, the typed line (grants.pipeline.inputs.LineInput), the service's JSON line
(grants.service.api_models.LineIn) and the README's column table. Which periods read a field is
not declared but read from the rules and rate tables (`periods_reading`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable

from grants.domain import GrantType, Role
from grants.pipeline import grammar

if TYPE_CHECKING:
    from grants.rules.rulebook import RuleBook

GIVEN = object()
"""`Given.value` of an optional date: any value given counts."""


@dataclass(frozen=True)
class Given:
    """When an optional input a rule reads counts as given (not its default), and how it reads
    in bokmål in the note that says no rule of the period reads it."""

    value: Any
    words_nb: str


@dataclass(frozen=True)
class Field:
    """One input field."""

    name: str
    type: Any  # the Python type of the parsed value (LineInput's annotation; optional fields add None)
    parse: Callable[[Any], Any]  # the value grammar (grants.pipeline.grammar)
    headers: tuple[str, ...]  # headers accepted: the canonical name, the Norwegian one shown, then others
    summary: str  # English, one line: the service's JSON schema
    grammar: str  # English: the values it takes (the README's column table)
    help_nb: str  # bokmål: what to write (the template's instructions)
    required: bool = False
    default: Any = None
    fact: str | None = None  # the fact of grants.rules.facts.FACTS it is, when rules read it
    given: Given | None = None  # an optional fact: when a line gives it
    cap_input: bool = False  # model B: an expense, hours or an amount applied for, read by the rate table's elements
    prefixes: tuple[str, ...] = ()  # expenses: a column per element, a prefix and the element's name

    @property
    def header_nb(self) -> str:
        """The Norwegian header people see: the template writes it, messages name the field by
        it (the second of `headers`; the first is the canonical name)."""
        return self.headers[1] if len(self.headers) > 1 else self.headers[0]


_FLAGS = "ja/nei: `ja`, `j`, `yes`, `true`, `1`, `x` / `nei`, `n`, `no`, `false`, `0`"
_KRONER = ("kroner, at most two decimals: `12500`, `12 500,50`, `kr 12.500,-`. In text a point before three digits "
           "is the Norwegian thousands point (`12.500` is 12 500 kr; a program writing 12,5 kr writes `12.5`); a number "
           "cell or a JSON number is read by its value. Not `12,500` (thousands or decimals?) or `1e5`")

FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("alis_id", str, grammar.parse_alis_id,
          ("alis_id", "lege_id", "alis", "legeid", "lege", "hpr", "hpr_nr", "hpr_nummer", "hprnr", "helsepersonellnummer"),
          "the doctor's identifier (ALIS id or HPR number)",
          "any identifier of the doctor whose letters are Latin (æ, ø, å and the Sami letters are Latin) and whose "
          "digits are 0-9, read as Unicode NFKC (so a full-width `ＡＬＩＳ01` is `ALIS01`); another script (Cyrillic "
          "`А`, Greek, Arabic-Indic digits) rejects the row naming each character (`U+0410 CYRILLIC CAPITAL LETTER "
          "A`). **One doctor however written:** ids are compared after NFKC, with case folded, everything but "
          "letters, digits and combining marks dropped, and the zeros that lead the id dropped (`ALIS-01`, "
          "`alis 01`, `ＡＬＩＳ01` and a decomposed `Å` are one doctor; combining marks are part of their letter, so "
          "`ÅSE01` is never `ASE01`): in the copy and overlap checks, the caps, the sessions and every sum per "
          "doctor, which is shown under the first spelling met",
          "Legens id (HPR-nummer eller egen id); samme id på alle linjene til samme lege.", required=True),
    Field("kommunenummer", str, grammar.parse_municipality,
          ("kommunenummer", "kommunenr", "kommune_nr", "knr", "municipality_number"),
          "municipality number, 2020-2023 or 2024 code; 301 reads as 0301",
          "1-4 digits: 2020-2023 or 2024 code; `301` is read as `0301`",
          "Fire sifre, f.eks. 0301 (2020–2023- eller 2024-nummer).", required=True),
    Field("grant_type", GrantType, grammar.parse_grant_type,
          ("grant_type", "tilskuddstype", "tilskudd_type", "type_tilskudd"),
          "alis_avtale or kun_veiledning (Norwegian spellings accepted)",
          "`alis_avtale` (ALIS-avtale) or `kun_veiledning`",
          "ALIS-avtale eller kun veiledning (velg fra listen).", required=True, fact="grant_type"),
    Field("role", Role, grammar.parse_role,
          ("role", "rolle", "legerolle"),
          "fastlege, fastlegevikar, introduksjonslege or annet_kommunalt",
          "`fastlege`, `fastlegevikar` (vikar), `introduksjonslege`, `annet_kommunalt`",
          "fastlege, fastlegevikar, introduksjonslege eller annet kommunalt legearbeid (velg fra listen).",
          required=True, fact="role"),
    Field("position_share", Decimal, grammar.parse_share,
          ("position_share", "stillingsandel", "stillingsprosent", "andel", "share", "stillingsandel_i_avtalen"),
          "percent, at most two decimals: 80, 80.5, \"80 %\" or \"80,5\"",
          "percent, digits with at most two decimals and an optional %: `80`, `80 %`, `80,5`, `33.33`. Not `0,8` "
          "(a fraction), `120`, `80%%`, `1e1`, `1_0_0`",
          "Stillingsandel i prosent: skriv 80 for 80 % (mer enn 0, høyst 100).", required=True, fact="position_share"),
    Field("start", date, grammar.parse_date,
          ("start", "fra", "fra_dato", "fom", "fra_og_med", "startdato", "start_dato", "start_date"),
          "first day, 2022-03-01 or 01.03.2022, included",
          "`2022-03-01` or `01.03.2022` (`1.3.2022`), both days included; a spreadsheet timestamp at midnight. "
          "Not `01/03/2022` or `01.03.22`",
          "Første dag i tidsrommet (dd.mm.åååå); dagen er med.", required=True, fact="line_start"),
    Field("end", date, grammar.parse_date,
          ("end", "til", "til_dato", "tom", "til_og_med", "sluttdato", "slutt_dato", "slutt", "end_date"),
          "last day, included",
          "a date as `start`: the last day, included",
          "Siste dag i tidsrommet (dd.mm.åååå); dagen er med.", required=True, fact="line_end"),
    Field("via_agency", bool, grammar.parse_bool,
          ("via_agency", "vikarbyrå", "via_vikarbyrå", "ansatt_i_vikarbyrå", "tilknyttet_vikarbyrå",
           "engasjert_via_vikarbyrå", "vikarbyrå_ansatt"),
          "ja/nei (or true/false): engaged through a temp agency", _FLAGS,
          "ja hvis legen er engasjert via vikarbyrå (gir ikke rett til tilskudd).", default=False,
          fact="via_agency", given=Given(True, "via vikarbyrå = ja")),
    Field("private_commercial", bool, grammar.parse_bool,
          ("private_commercial", "privat_kommersiell", "privat_kommersiell_aktør", "privat_aktør",
           "ansatt_i_privat_kommersiell_aktør", "tilknyttet_privat_kommersiell_aktør"),
          "ja/nei: works for a private commercial actor", "ja/nei",
          "ja hvis legen arbeider for en privat kommersiell aktør.", default=False,
          fact="private_commercial", given=Given(True, "privat kommersiell aktør = ja")),
    Field("new_scheme", bool, grammar.parse_bool,
          ("new_scheme", "ny_ordning", "nye_spesialistregler", "ny_spesialistordning", "ny_spesialiseringsordning"),
          "ja/nei (default ja): specialising under the new rules", "ja/nei: specialising under the new rules",
          "nei hvis legen ikke spesialiserer seg etter de nye reglene (standard: ja).", default=True,
          fact="new_scheme", given=Given(False, "ny spesialistordning = nei")),
    Field("agreement_signed", date, grammar.parse_date,
          ("agreement_signed", "avtale_signert", "alis_avtale_signert", "signert", "avtaledato", "dato_signert",
           "signert_dato", "signeringsdato", "alis_avtale_signert_dato"),
          "the day the ALIS-avtale was signed", "a date: the day the ALIS-avtale was signed",
          "Datoen ALIS-avtalen ble signert; tilskudd regnes tidligst fra denne datoen.",
          fact="agreement_signed", given=Given(GIVEN, "datoen ALIS-avtalen ble signert")),
    Field("centrality_class", int, grammar.parse_centrality_class,
          ("centrality_class", "sentralitetsklasse", "sentralitet", "sentralitetsgrad"),
          "1-6, overrides SSB", "1-6, overrides SSB (e.g. from the allocation letter)",
          "1–6; bare hvis tildelingsbrevet sier en annen klasse enn SSB (ellers tomt).", fact="centrality_class"),
    Field("first_gp_date", date, grammar.parse_date,
          ("first_gp_date", "første_dato_fastlege", "første_dag_fastlege", "første_dato_som_fastlege",
           "første_dag_som_fastlege"),
          "the doctor's first day as fastlege or vikar (produktivitet, model B)",
          "a date: the doctor's first day as fastlege or vikar (produktivitet)",
          "Legens første dag som fastlege eller vikar (gir produktivitetstillegget).",
          fact="first_gp_date", given=Given(GIVEN, "første dag som fastlege/vikar")),
    Field("centrality_supplement_applied", Decimal, grammar.parse_amount,
          ("centrality_supplement_applied", "sentralitetstillegg_søkt", "søkt_sentralitetstillegg"),
          "kroner applied for as sentralitetstillegg (model B)", "kroner, as an expense",
          "Sentralitetstillegg det søkes om, i kroner (bare klasse 6).", cap_input=True),
    Field("productivity_applied", Decimal, grammar.parse_amount,
          ("productivity_applied", "produktivitet_søkt", "søkt_produktivitet", "produktivitetstillegg_søkt",
           "søkt_produktivitetstillegg"),
          "kroner applied for as produktivitet (model B)", "kroner, as an expense: the produktivitet amount applied for",
          "Produktivitetstillegg det søkes om, i kroner; taket for produktivitetstillegget.", cap_input=True),
    Field("supervision_hours", Decimal, grammar.parse_hours,
          ("supervision_hours", "veiledning_timer", "veiledningstimer", "timer_veiledning"),
          "documented supervision hours, at most two decimals (model B); not together with expenses.veiledning",
          "hours, at most two decimals: `10`, `10,5`, `10,5 t` (see model B below)",
          "Dokumenterte veiledningstimer (f.eks. 10 eller 10,5); gir utgiften til veiledning. "
          "Oppgi ikke også utgift_veiledning.", cap_input=True),
    Field("expenses", dict[str, Decimal], grammar.parse_expenses, ("expenses",),
          "documented expense per element (model B), e.g. {\"veiledning\": 12500}", _KRONER,
          "Dokumentert utgift til elementet, i kroner.", default={}, cap_input=True,
          prefixes=("expense_", "utgift_", "utgifter_")),
)}
"""Every input field, in the order of the input's columns."""

REQUIRED_COLUMNS = tuple(f.name for f in FIELDS.values() if f.required)
OPTIONAL_COLUMNS = tuple(f.name for f in FIELDS.values() if not f.required and not f.prefixes)
"""The optional fields with a column of their own (the expenses have one column per element)."""
EXPENSE_PREFIXES = FIELDS["expenses"].prefixes
"""An expense column is a prefix plus an element name: utgift_veiledning, expense_praksiskompensasjon."""
EXPENSE = "expense:"
"""The engine's key of an expense column: expense:<element>."""
HEADER_ALIASES: dict[str, tuple[str, ...]] = {f.name: f.headers for f in FIELDS.values() if not f.prefixes}
"""Every input column and the headers accepted for it (matched by grants.pipeline.headers after
folding case, spaces, punctuation, a hint in parentheses, and æ/ø/å written as ae/o/aa). The
first name is the canonical one; the second is the Norwegian one the documentation shows."""
PARSERS: dict[str, Callable[[Any], Any]] = {f.name: f.parse for f in FIELDS.values()}
"""The one parser per field, used by LineInput's validators and by validate_row alike."""
DEFAULTS: dict[str, Any] = {f.name: f.default for f in FIELDS.values() if not f.required and not f.prefixes}
"""The value of an optional field a line leaves blank."""
OPTIONAL_FACTS: dict[str, Given] = {f.name: f.given for f in FIELDS.values() if f.given is not None}
"""The optional inputs rules read: when a line gives one that no rule of the period reads, a note says so."""
CAP_INPUTS = tuple(sorted((f.name for f in FIELDS.values() if f.cap_input and not f.prefixes),
                          key=lambda name: FIELDS[name].parse is not grammar.parse_hours))
"""The fields (besides the expenses) that give hours or an amount a model B element is capped
by: the documented hours first, then the amounts applied for (the order a rejection names them)."""

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


def reads(name: str, table: Any, rulebook: "RuleBook") -> bool:
    """Whether a period's rules or rate table read a field: a fact a rule in force names (in
    its condition, or as the date an element's window starts on), or a model B input an element
    of the period's table is capped or priced by. Derived from the rules and the table, never
    from a list of periods."""
    from grants.rules.conditions import facts_named

    field = FIELDS[name]
    elements = (table.elements or {}).values()
    if field.fact is not None:
        return any((r.when is not None and field.fact in facts_named(r.when)) or r.window_from == field.fact
                   for r in rulebook.valid_in(table.id))
    if name == "expenses":
        return any(e.cap == "expense" for e in elements)
    if name == "supervision_hours":
        return table.hours_element is not None
    if field.cap_input:
        return any(e.applied_from == name for e in elements)
    return True


def periods_reading(name: str, rulebook: "RuleBook") -> list[str]:
    """The periods (in order) whose rules or rate table read a field (`reads`)."""
    return [t.id for t in rulebook.ratebook.tables if reads(name, t, rulebook)]


def fields_read(table: Any, rulebook: "RuleBook") -> set[str]:
    """The optional input fields a period's rules and rate table read (`reads`): the columns of
    its template; a rule that starts reading an input in a new period puts its column in that
    period's template."""
    return {name for name in OPTIONAL_COLUMNS if reads(name, table, rulebook)}
