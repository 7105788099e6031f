"""An empty application workbook for one period: the input columns its period's rules read,
under their Norwegian headers, drop-down lists for the coded columns, date and percent formats,
an example row (on its own sheet, so a forgotten example is never paid) and a short instruction
in bokmål.

The formats and lists belong to the columns, not to prepared rows: the sheet has no cell below
the header until the officer writes one, so a filled-in template has exactly the rows written
(no formatted empty rows that a CSV export would write as rows of bare separators)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation

from grants.report.explain import rates_warning
from grants.pipeline.fields import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, fields_read
from grants.report.vocabulary_nb import INPUT_VALUES_NB, input_header_nb
from grants.io.workbook import DATE_FORMAT, KRONER_FORMAT, put_cell
from grants.io.xlsx import TEMPLATE_SHEETS

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from grants.rates.tables import RateTable
    from grants.rules.rulebook import RuleBook

INPUT_SHEET, EXAMPLE_SHEET, HELP_SHEET = TEMPLATE_SHEETS
LAST_EXCEL_ROW = 1_048_576
"""The drop-down lists and checks cover each column down to Excel's last row."""

SHARE_FORMAT = 'General" %"'
"""The share as typed, with its decimals: 62,5 shows as «62,5 %», 80 as «80 %». A format
without decimals (0" %") would show 62,5 as «63 %», and a CSV saved from Excel writes what is
shown: the grant would be paid on 63 %."""
_DATES = ("start", "end", "agreement_signed", "first_gp_date")
_TEXT = ("alis_id", "kommunenummer")
_KRONER = ("centrality_supplement_applied", "productivity_applied")

_HELP: dict[str, tuple[str, str]] = {
    "alis_id": ("ja", "Legens id (HPR-nummer eller egen id); samme id på alle linjene til samme lege."),
    "kommunenummer": ("ja", "Fire sifre, f.eks. 0301 (2020–2023- eller 2024-nummer)."),
    "grant_type": ("ja", "ALIS-avtale eller kun veiledning (velg fra listen)."),
    "role": ("ja", "fastlege, fastlegevikar, introduksjonslege eller annet kommunalt legearbeid (velg fra listen)."),
    "position_share": ("ja", "Stillingsandel i prosent: skriv 80 for 80 % (mer enn 0, høyst 100)."),
    "start": ("ja", "Første dag i tidsrommet (dd.mm.åååå); dagen er med."),
    "end": ("ja", "Siste dag i tidsrommet (dd.mm.åååå); dagen er med."),
    "via_agency": ("nei", "ja hvis legen er engasjert via vikarbyrå (gir ikke rett til tilskudd)."),
    "private_commercial": ("nei", "ja hvis legen arbeider for en privat kommersiell aktør."),
    "new_scheme": ("nei", "nei hvis legen ikke spesialiserer seg etter de nye reglene (standard: ja)."),
    "agreement_signed": ("nei", "Datoen ALIS-avtalen ble signert; tilskudd regnes tidligst fra denne datoen."),
    "centrality_class": ("nei", "1–6; bare hvis tildelingsbrevet sier en annen klasse enn SSB (ellers tomt)."),
    "first_gp_date": ("nei", "Legens første dag som fastlege eller vikar (gir produktivitetstillegget)."),
    "centrality_supplement_applied": ("nei", "Sentralitetstillegg det søkes om, i kroner (bare klasse 6)."),
    "productivity_applied": ("nei", "Produktivitetstillegg det søkes om, i kroner; taket for produktivitetstillegget."),
    "supervision_hours": ("nei", "Dokumenterte veiledningstimer (f.eks. 10 eller 10,5); gir utgiften til veiledning. "
                          "Oppgi ikke også utgift_veiledning."),
}


def input_fields(table: "RateTable", rulebook: "RuleBook") -> list[str]:
    """The input columns of a period's template, in order: the required ones, the optional ones
    its rules read (`fields_read`), then one expense column per element with an expense cap."""
    read = fields_read(table, rulebook)
    fields = list(REQUIRED_COLUMNS) + [f for f in OPTIONAL_COLUMNS if f in read]
    for name, element in (table.elements or {}).items():
        if element.cap == "expense":
            fields.append(f"expense:{name}")
    return fields


def example_values(table: "RateTable") -> dict[str, Any]:
    """One complete, eligible line inside the period (it computes without rejection)."""
    p = table.period
    values: dict[str, Any] = {
        "alis_id": "EKS-001",
        "kommunenummer": "0301",
        "grant_type": INPUT_VALUES_NB["grant_type"][0],
        "role": INPUT_VALUES_NB["role"][0],
        "position_share": 80,
        "start": p.first_day,
        "end": p.last_day,
        "via_agency": "nei",
        "private_commercial": "nei",
        "new_scheme": "ja",
        "agreement_signed": p.first_day,
        "centrality_class": None,
        "first_gp_date": p.first_day,
        "centrality_supplement_applied": None,
    }
    for name, element in (table.elements or {}).items():
        if element.cap == "expense":
            values[f"expense:{name}"] = 12_500 if name == "veiledning" else None
    return values


def build_template(table: "RateTable", rulebook: "RuleBook") -> Workbook:
    fields = input_fields(table, rulebook)
    wb = Workbook()
    ws = wb.active
    ws.title = INPUT_SHEET
    _input_sheet(ws, fields)
    example = wb.create_sheet(EXAMPLE_SHEET)
    _input_sheet(example, fields)
    values = example_values(table)
    for col, field in enumerate(fields, start=1):
        put_cell(example, 2, col, values.get(field), _format(field))
    _help_sheet(wb.create_sheet(HELP_SHEET), table, fields)
    return wb


def write_template(table: "RateTable", path: str | Path, rulebook: "RuleBook | None" = None) -> None:
    """Through `atomic_output`: nothing half-written is ever left, the target keeps its mode."""
    from grants.io.output import atomic_output
    from grants.io.workbook import save_into

    if rulebook is None:
        from grants.pipeline.engine import default_engine

        rulebook = default_engine().rulebook
    wb = build_template(table, rulebook)
    with atomic_output(path, binary=True) as fh:
        save_into(wb, fh)


def _input_sheet(ws: "Worksheet", fields: list[str]) -> None:
    """The header row; each column's format (a column style, which Excel gives every cell typed
    into the column) and drop-down list or check down to Excel's last row. No cell is written
    below the header."""
    header_fill = PatternFill("solid", fgColor="DDE6F0")
    for col, field in enumerate(fields, start=1):
        cell = put_cell(ws, 1, col, input_header_nb(field))
        cell.font = Font(bold=True)
        cell.fill = header_fill
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = max(len(input_header_nb(field)) + 4, 14)
        fmt = _format(field)
        if fmt is not None:
            ws.column_dimensions[letter].number_format = fmt
        validation = _validation(field)
        if validation is not None:
            ws.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{LAST_EXCEL_ROW}")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(fields))}1"


def _format(field: str) -> str | None:
    if field in _DATES:
        return DATE_FORMAT
    if field == "position_share":
        return SHARE_FORMAT
    if field in _TEXT:
        return "@"  # text: 0301 keeps its leading zero
    if field.startswith("expense:") or field in _KRONER:
        return KRONER_FORMAT
    return None


def _validation(field: str) -> DataValidation | None:
    title = input_header_nb(field)
    if field in INPUT_VALUES_NB:
        choices = ",".join(INPUT_VALUES_NB[field])
        dv = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=field not in REQUIRED_COLUMNS)
        dv.error = f"Velg en verdi fra listen: {', '.join(INPUT_VALUES_NB[field])}"
    elif field == "position_share":
        dv = DataValidation(type="decimal", operator="between", formula1="0.01", formula2="100")
        dv.error = "Stillingsandel i prosent: mer enn 0 og høyst 100 (skriv 80 for 80 %)"
    elif field in _DATES:
        low, high = to_excel(date(2015, 1, 1)), to_excel(date(2099, 12, 31))
        dv = DataValidation(type="date", operator="between", formula1=str(int(low)), formula2=str(int(high)), allow_blank=True)
        dv.error = "Skriv en dato, dd.mm.åååå"
    elif field == "centrality_class":
        dv = DataValidation(type="whole", operator="between", formula1="1", formula2="6", allow_blank=True)
        dv.error = "Sentralitetsklasse 1–6 (eller tomt: klassen hentes fra SSB)"
    elif field.startswith("expense:") or field in _KRONER:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
        dv.error = "Et beløp i kroner, 0 eller mer"
    else:
        return None
    dv.errorTitle = title
    dv.showErrorMessage = True
    return dv


def _help_sheet(ws: "Worksheet", table: "RateTable", fields: list[str]) -> None:
    p = table.period
    lines = [
        f"Søknad om tilskudd fra Nasjonal ALIS og veiledning, periode {table.id} "
        f"({p.first_day:%d.%m.%Y}–{p.last_day:%d.%m.%Y})",
        "",
        f"1. Fyll inn arket «{INPUT_SHEET}»: én rad per lege, kommune og tidsrom. En lege kan ha flere rader.",
        "2. Ikke endre overskriftene; kolonner du legger til selv (navn, merknad, saksnummer) følger med i resultatet.",
        f"3. Arket «{EXAMPLE_SHEET}» viser en utfylt rad. Den regnes ikke med.",
        "4. Datoer skrives dd.mm.åååå, stillingsandel i prosent med desimaler om avtalen har dem (62,5 betyr 62,5 %). "
        "Begge datoene er med i tidsrommet.",
        f"5. Lagre arbeidsboken og beregn den som den er (arket «{INPUT_SHEET}» er det første, og det som leses): "
        f"alis-grant compute søknad.xlsx --period {table.id} -o beregning.xlsx",
        "   Lagre den ikke som CSV først: en CSV-fil fra Excel har tallene slik de vises, ikke slik de er skrevet.",
        "   Rader med feil avvises med rad, kolonne og verdi; de andre radene beregnes likevel.",
    ]
    warning = rates_warning({table.id: table.status})
    row = 1
    if warning:
        put_cell(ws, row, 1, warning).font = Font(bold=True, color="9C0006")
        row += 2
    for i, text in enumerate(lines):
        cell = put_cell(ws, row, 1, text)
        if i == 0:
            cell.font = Font(bold=True, size=13)
        row += 1
    row += 1
    for col, name in enumerate(("Kolonne", "Påkrevd", "Hva du skriver"), start=1):
        put_cell(ws, row, col, name).font = Font(bold=True)
    for field in fields:
        row += 1
        if field.startswith("expense:"):
            element = field.split(":", 1)[1]
            required, what = "nei", (
                f"Dokumenterte utgifter til {table.element(element).title_nb}, i kroner; tomt gir elementets maksimum."
            )
        else:
            required, what = _HELP[field]
        put_cell(ws, row, 1, input_header_nb(field))
        put_cell(ws, row, 2, required)
        put_cell(ws, row, 3, what).alignment = Alignment(wrap_text=True)
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 100
