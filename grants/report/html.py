"""The report for the case file: one self-contained HTML page (no network, printable to PDF)
that shows a computed batch to a person: the rates and their status, a table and the
explanation of every line per doctor, the rejected rows, and a timeline (inline SVG) of which
days were paid and why the others were not.

The report only shows what the engine computed (LineResult); it recomputes no amount. Every
text that comes from the input passes through `html.escape`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

from grants.money import format_nok
from grants.pipeline.results import GrantResult
from grants.report.explain import rates_warning
from grants.report.html_cells import _e
from grants.report.html_sections import (KONTROLL_ID, _doctors_section, _municipalities_section, _name_of, _rates_section,
                                         _rejections_section, explain_html, kontroll_section)
from grants.report.timeline_days import DrawnDays, RejectedLine, Segment, month_cells, overlaps, part_span, rejected_lines, segments
from grants.report.timeline_svg import timeline_svg
from grants.report.vocabulary_nb import date_nb, value_nb
from grants.rules.rulebook import RuleBook

if TYPE_CHECKING:
    from grants.rates.tables import RateTable


__all__ = ["render_report", "report_page", "KONTROLL_ID", "kontroll_section", "explain_html", "timeline_svg",
           "rejected_lines", "segments", "part_span", "month_cells", "overlaps", "Segment", "DrawnDays", "RejectedLine"]
"""The page and its parts, as importers have always found them here."""


# -- the page -------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; }
body { font-family: "Segoe UI", "DejaVu Sans", Arial, sans-serif; color: #1a1a1a; margin: 24px auto;
       max-width: 1200px; padding: 0 16px; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 2px solid #1565c0; padding-bottom: 2px; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
.warning { border: 3px solid #c62828; background: #ffebee; color: #8e0000; padding: 10px 14px;
           font-weight: bold; margin: 12px 0; }
.nothing { border: 2px solid #ef6c00; background: #fff3e0; padding: 10px 14px; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 0.84em; }
th, td { border: 1px solid #bdbdbd; padding: 3px 5px; text-align: left; vertical-align: top; }
td.reason, td.own { overflow-wrap: anywhere; }
td.reason { min-width: 9em; }
table.doctor { font-size: 0.8em; }
th { background: #e3f2fd; hyphens: auto; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
@media (max-width: 1150px) {
  table.doctor, table.rejections { font-size: 0.74em; }
  table.doctor th, table.doctor td { padding: 2px 3px; }
  table.doctor td:not(.num) { overflow-wrap: anywhere; }
}
tr.sum td { font-weight: bold; background: #f5f5f5; }
.total { font-size: 1.3em; font-weight: bold; margin: 10px 0; }
.explain { font-size: 0.88em; background: #fafafa; border: 1px solid #e0e0e0; border-radius: 3px;
            padding: 6px 12px; margin: 4px 0 12px; overflow-wrap: anywhere; }
.explain h4 { font-size: 1em; margin: 4px 0 6px; }
.explain p { margin: 6px 0 2px; }
.explain p.step { font-weight: bold; margin-top: 8px; }
.explain ul { margin: 2px 0 4px; padding-left: 1.4em; }
.explain li { margin: 1px 0; }
.explain li.more { list-style: none; color: #444; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
#kontroll code, #kontroll pre { white-space: pre-wrap; overflow-wrap: anywhere; }
svg.timeline { border: 1px solid #e0e0e0; background: #ffffff; box-sizing: border-box; max-width: 100%; height: auto; }
.doctor-section { break-inside: auto; }
.keep { break-inside: avoid; }
footer { margin-top: 2em; font-size: 0.85em; color: #555; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 9pt; }
  h2, h3, h4 { break-after: avoid; }
  .keep, table, svg.timeline, .explain { break-inside: avoid; }
  .explain { font-size: 7.5pt; }
  .warning { border-width: 2px; }
}
"""


def render_report(
    result: GrantResult,
    tables: list["RateTable"],
    *,
    rulebook: RuleBook | None = None,
    source: str = "",
    passthrough_columns: bool = True,
    rejected: Sequence[RejectedLine] = (),
    kontroll: tuple[str, dict[str, Any]] | None = None,
) -> str:
    """The whole report as one HTML document (a str). `tables` are the rate tables of the run
    (the named period, or every period the lines touch); `rejected` are the rejected rows to
    draw on the timeline (see `rejected_lines`); `kontroll` (the report file's name and the
    result's manifest) puts the manifest at the bottom (`kontroll_section`)."""
    by_id = {t.id: t for t in tables}
    for r in result.lines:
        by_id.setdefault(r.rate_table.id, r.rate_table)
    tables = sorted(by_id.values(), key=lambda t: t.period.first_day)
    statuses = {t.id: t.status for t in tables} | result.rates_statuses
    warning = rates_warning(statuses)
    munis = result.totals_by_municipality()
    doctors = result.totals_by_doctor()
    total = format_nok(result.total_nok)
    periods = ", ".join(f"{t.id} ({date_nb(t.period.first_day)}–{date_nb(t.period.last_day)})" for t in tables)

    out = ["<!DOCTYPE html>", '<html lang="nb">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>Tilskuddsberegning Nasjonal ALIS og veiledning, {_e(periods or 'ingen periode')}</title>",
           f"<style>{_CSS}</style>", "</head>", "<body>"]
    out.append("<header><h1>Tilskuddsberegning: Nasjonal ALIS og veiledning</h1>")
    if warning:
        out.append(f'<p class="warning" id="warning" role="alert">{_e(warning)}</p>')
    out.append('<dl class="facts">')
    computed = {t.key for t in munis}
    only_rejected = sorted({rej.kommunenummer.strip().zfill(4) for rej in result.rejections
                            if rej.kommunenummer and rej.kommunenummer.strip().isdigit()} - computed)
    listed = [f"{t.key} {t.name}" for t in munis]
    listed += [f"{number}{_name_of(number, tables)} (bare avviste rader)" for number in only_rejected]
    kommuner = "; ".join(listed) or "ingen"
    out.append(f"<dt>{'Kommune' if len(listed) <= 1 else 'Kommuner'}</dt><dd id=\"kommuner\">{_e(kommuner)}</dd>")
    out.append(f"<dt>Periode</dt><dd>{_e(periods or 'ingen')}</dd>")
    if source:
        out.append(f"<dt>Søknadsfil</dt><dd>{_e(source)}</dd>")
    statuses_nb = [s.value for s in (r.status for r in result.lines)]
    out.append(
        f"<dt>Rader</dt><dd>{result.input_rows} {'rad' if result.input_rows == 1 else 'rader'} i filen; "
        f"{len(result.lines)} {'linje' if len(result.lines) == 1 else 'linjer'} beregnet "
        f"({statuses_nb.count('ok')} {value_nb('status', 'ok')}, {statuses_nb.count('ineligible')} "
        f"{value_nb('status', 'ineligible')}"
        + (f", {statuses_nb.count('outside_period')} {value_nb('status', 'outside_period')}"
           if "outside_period" in statuses_nb else "")
        + f"); {len(result.rejections)} {value_nb('status', 'rejected')}</dd>"
    )
    out.append(f'<dt>Totalt tilskudd</dt><dd class="total" id="total">{_e(total)}</dd>')
    out.append("</dl></header>")
    if not result.lines:
        out.append('<p class="nothing" id="nothing">Ingen linjer er beregnet: alle radene i filen er avvist. '
                   "Se de avviste radene og begrunnelsene nedenfor, rett dem i søknadsfilen og kjør på nytt.</p>")

    out.append('<section id="satser"><h2>Satser som er brukt</h2>')
    out.extend(_rates_section(result, tables))
    out.append("</section>")

    if munis:
        out.extend(_municipalities_section(result, munis))

    if (result.lines or rejected) and tables:
        out.append('<section id="tidslinje"><h2>Tidslinje</h2>')
        out.append("<p>Hver stolpe er én linje i søknaden (én rad, delt per periode). Grønne felt er hele måneder med "
                   "tilskudd; skraverte og gule felt er dager det ikke gis tilskudd for, med grunnen i forklaringen "
                   "under. Hold pekeren over et felt for datoene.</p>")
        out.append(timeline_svg(result, tables, rejected))
        out.append("</section>")
    if doctors:
        out.extend(_doctors_section(result, tables, doctors, rulebook, passthrough_columns))

    if result.notes:  # the batch's notes, as compute prints them: sessions not paid, possible copies of a session
        out.append('<section id="merknader"><h2>Merknader</h2><ul>')
        out.extend(f"<li>{_e(note)}</li>" for note in result.notes)
        out.append("</ul></section>")
    out.extend(_rejections_section(result))

    out.append(f'<p class="total">Totalt tilskudd: {_e(total)}</p>')
    if warning:
        out.append(f'<p class="warning">{_e(warning)}</p>')
    out.append("<footer>Laget med alis-grant. Beløpene er beregnet per linje og avrundet halvt opp til hele kroner; "
               "summene er summen av de avrundede linjene.</footer>")
    if kontroll is not None:
        out.append(kontroll_section(*kontroll))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def report_page(result: GrantResult, tables: list["RateTable"], *, rulebook: RuleBook | None, source: str,
                records: Sequence[Mapping[str, object]], name: str) -> str:
    """The page `alis-grant report` writes, with the result's manifest at the bottom; `records`
    are the input's rows (for the rejected rows on the timeline), `name` the report file's name.
    The one road for the command and for `alis-grant verify`, which renders it again."""
    from grants.report.kontroll import manifest_of

    manifest = manifest_of(result, {"format": "html"})
    return render_report(result, tables, rulebook=rulebook, source=source, rejected=rejected_lines(records, result.rejections),
                         kontroll=(name, manifest) if manifest is not None else None)
