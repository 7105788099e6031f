"""The report's sections: the rates used, the sum per municipality, per doctor (tables and
explanations), the rejected rows, and the manifest at the bottom (Kontroll)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from grants.money import to_kroner
from grants.pipeline.inputs import doctor_key
from grants.pipeline.results import GrantResult, LineResult
from grants.report.explain import MONTH_METHOD_NB, STATUS_NB as RATES_STATUS_NB, explain_line
from grants.report.html_cells import _LINE_COLUMNS, _cell, _class, _e, _header, _line_cells
from grants.report.vocabulary_nb import ANY_ROLE_NB, CAP_NB, CENTRALITY_GROUP_NB, column_nb, date_nb, value_nb
from grants.rules.rulebook import RuleBook

if TYPE_CHECKING:
    from grants.rates.tables import RateTable


def _municipalities_section(result: GrantResult, munis: list) -> list[str]:
    """The sum per municipality."""
    out: list[str] = []
    out.append("<section><h2>Sum per kommune</h2><table><thead><tr>"
               f"<th>{_e(column_nb('kommunenummer'))}</th><th>{_e(column_nb('kommunenavn'))}</th>"
               f'<th class="num">{_e(_header("lines"))}</th><th class="num">{_e(column_nb("amount_nok"))}</th></tr></thead><tbody>')
    for t in munis:
        out.append(f'<tr><td>{_e(t.key)}</td><td>{_e(t.name)}</td><td class="num">{t.lines}</td>'
                   f'<td class="num">{_e(_cell("amount_nok", t.amount_nok))}</td></tr>')
    out.append(f'<tr class="sum"><td colspan="3">Sum</td><td class="num">{_e(_cell("amount_nok", result.total_nok))}</td></tr>')
    out.append("</tbody></table></section>")
    return out


def _doctors_section(result: GrantResult, tables: list["RateTable"], doctors: list, rulebook: RuleBook | None,
                     passthrough_columns: bool) -> list[str]:
    """Per doctor: a table of the doctor's line parts, then the explanation of each."""
    out: list[str] = []
    out.append('<section id="per-lege"><h2>Per lege</h2>')
    extra = list(result.passthrough) if passthrough_columns else []
    columns = [c for c in _LINE_COLUMNS if c != "period" or len(tables) > 1]
    lines_of: dict[str, list[LineResult]] = {}
    for r in result.lines:
        lines_of.setdefault(doctor_key(r.alis_id), []).append(r)
    for doc in doctors:
        parts = lines_of[doctor_key(doc.key)]
        out.append(f'<div class="doctor-section"><div class="keep"><h3>Lege {_e(doc.key)}</h3>')
        out.append(f'<table class="doctor" data-doctor="{_e(doc.key)}"><thead><tr>')
        for c in columns:
            out.append(f'<th{_class(c)}>{_e(_header(c))}</th>')
        for c in extra:
            out.append(f"<th>{_e(c)}</th>")
        out.append("</tr></thead><tbody>")
        for r in parts:
            row = _line_cells(r)
            out.append("<tr>")
            for c in columns:
                shown = _e(_cell(c, row.get(c)))
                if c in ("span", "counted_span"):
                    shown = shown.replace("–", "–<wbr>")  # a date span may break after its dash
                out.append(f'<td{_class(c)}>{shown}</td>')
            for c in extra:
                value = result.passthrough[c][r.row - 1]
                out.append(f'<td class="own">{_e(value if value is not None else "")}</td>')
            out.append("</tr>")
        at = columns.index("amount_nok")
        out.append(f'<tr class="sum"><td colspan="{at}">Sum for {_e(doc.key)}</td>'
                   f'<td class="num">{_e(_cell("amount_nok", doc.amount_nok))}</td>'
                   f'<td colspan="{len(columns) - at - 1 + len(extra)}"></td></tr>')
        out.append("</tbody></table></div>")
        for r in parts:
            out.append(explain_html(explain_line(r, rulebook), r.row))
        out.append("</div>")
    out.append("</section>")
    return out


def _rejections_section(result: GrantResult) -> list[str]:
    """The rejected rows and why."""
    out: list[str] = []
    out.append(f'<section id="avviste"><h2>Avviste rader ({len(result.rejections)})</h2>')
    if result.rejections:
        out.append("<p>Disse radene er ikke beregnet og gir ikke tilskudd før de er rettet. Rad er dataraden: "
                   "første rad under overskriften er rad 1.</p>")
        out.append(f'<table class="rejections"><thead><tr><th class="num">{_e(column_nb("row"))}</th>'
                   f"<th>{_e(column_nb('alis_id'))}</th><th>{_e(column_nb('kommunenummer'))}</th><th>{_e(_header('column'))}</th>"
                   f"<th>{_e(_header('value'))}</th><th>{_e(column_nb('reason'))}</th></tr></thead><tbody>")
        for rej in result.rejections:
            out.append(f'<tr><td class="num">{rej.row}</td><td>{_e(rej.alis_id or "")}</td><td>{_e(rej.kommunenummer or "")}</td>'
                       f"<td>{_e(rej.column or '')}</td><td>{_e(rej.value if rej.value is not None else '')}</td>"
                       f"<td>{_e(rej.message)}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>Ingen rader er avvist.</p>")
    out.append("</section>")
    return out


def _name_of(number: str, tables: list["RateTable"]) -> str:
    """« Bodø» for a municipality number SSB's classification of a period names, else ""."""
    from grants.rates.centrality import CentralityRegistry

    if not _CENTRALITY:
        _CENTRALITY.append(CentralityRegistry())  # the shipped classifications, read once when first needed
    for t in reversed(tables):
        found = _CENTRALITY[0].lookup(number, t.centrality.classification, t.centrality.preferred_codes)
        if found is not None:
            return f" {found.name}"
    return ""


_CENTRALITY: list = []


def _maximum_in_words(t: "RateTable", e: object) -> str:
    """How an element's annual maximum is made, in words with its numbers: «timesats 1 375 ×
    andel av timesatsen 0,6 × timer per år 160», or «5 % av summen av praksiskompensasjon,
    læringsaktiviteter, ... (slik de er innvilget)»."""
    from grants.rules.ruletext import number_nb

    factors = getattr(e, "annual_maximum", None)
    if factors:
        return " × ".join(f"{t.parameter(p).title_nb or p} {number_nb(t.parameter(p).value)}" for p in factors)
    share = getattr(e, "share", None)
    value = t.value(share) if isinstance(share, str) else share
    parts = [t.element(n).title_nb or n for n in getattr(e, "share_of", None) or []]
    listed = ", ".join(parts[:-1]) + (" og " if len(parts) > 1 else "") + (parts[-1] if parts else "")
    percent = f"{number_nb(value * 100)} %" if value is not None else str(share)
    return f"{percent} av summen av {listed} (slik de er innvilget)"


def explain_html(text: str, row: int) -> str:
    """An explanation (`explain_line`'s text, the one the command line prints) as text people
    read: its title a heading, the underline dropped, each step's name a paragraph, the indented
    lines under it a list, deeper lines continuing their item. Every word of the text is kept."""
    lines = text.split("\n")
    out = [f'<div class="explain" data-row="{row}">']
    rest = lines[1:]
    if lines:
        out.append(f"<h4>{_e(lines[0])}</h4>")
    if rest and rest[0] and set(rest[0]) == {"="}:
        rest = rest[1:]
    in_list = item_open = False

    def close() -> None:
        nonlocal in_list, item_open
        if item_open:
            out.append("</li>")
        if in_list:
            out.append("</ul>")
        in_list = item_open = False

    for line in rest:
        body = line.strip()
        if not body:
            close()
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            close()
            out.append(f'<p class="step">{_e(body)}</p>' if body.endswith(":") else f"<p>{_e(body)}</p>")
        elif indent <= 3 or not item_open:
            if not in_list:
                out.append("<ul>")
                in_list = True
            if item_open:
                out.append("</li>")
            out.append(f"<li>{_e(body.removeprefix('- ').removeprefix('• '))}")
            item_open = True
        else:
            out.append(f"<br>{_e(body.removeprefix('- ').removeprefix('• '))}")
    close()
    out.append("</div>")
    return "".join(out)


KONTROLL_ID = "alis-kontroll"
"""The id of the element holding the manifest's JSON (HTML-escaped text, no script)."""


def kontroll_section(name: str, manifest: dict[str, Any]) -> str:
    """The manifest at the bottom of the report: in words (what the result was computed from,
    with hashes, and the command that verifies it), and as data: its JSON, escaped as text in a
    closed <details> (no script: the page runs none), which `alis-grant verify` reads."""
    import json

    from grants.report.kontroll import WHAT_VERIFY_PROVES, manifest_facts, verify_command

    out = ['<section id="kontroll"><h2>Kontroll</h2>', f"<p>{_e(WHAT_VERIFY_PROVES)}</p>",
           f"<p>Kontroller rapporten senere med: <code>{_e(verify_command(name, manifest))}</code></p>", '<dl class="facts">']
    out.extend(f"<dt>{_e(what)}</dt><dd>{_e(value)}</dd>" for what, value in manifest_facts(manifest))
    out.append("</dl>")
    data = json.dumps(manifest, ensure_ascii=False, separators=(",", ":"))
    out.append(f'<details><summary>Kontrolldata (maskinlesbare)</summary><pre id="{KONTROLL_ID}">{_e(data)}</pre></details>')
    out.append("</section>")
    return "\n".join(out)


def _rates_section(result: GrantResult, tables: list["RateTable"]) -> list[str]:
    out = []
    for t in tables:
        p = t.period
        out.append(f"<h3>Periode {_e(t.id)} ({date_nb(p.first_day)}–{date_nb(p.last_day)})</h3>")
        out.append(f"<p>Satstabell rates/{_e(t.id)}.yaml, modell {_e(t.model)}. Status: <strong>{_e(RATES_STATUS_NB[t.status])}</strong>."
                   + (f" {_e(t.status_note)}" if t.status != "official" else "")
                   + f" Hele måneder telles som {_e(MONTH_METHOD_NB[t.whole_months])}.</p>")
        used = [r for r in result.lines if r.rate_table is t]
        if t.model == "A":
            rates = sorted({(r.rate_path, r.centrality_group) for r in used if r.rate_path and r.centrality_group})
            if not rates:
                out.append("<p>Ingen sats er brukt i denne perioden.</p>")
                continue
            out.append(f'<table class="rates"><thead><tr><th>{_e(_header("rate"))}</th><th>{_e(_header("centrality_group"))}</th>'
                       f'<th class="num">{_e(_header("annual_rate_full"))}</th><th>{_e(_header("source"))}</th></tr></thead><tbody>')
            for path, group in rates:
                amount = t.rate(path, group)
                grant_type, _, role = path.partition(".")
                name = f"{value_nb('grant_type', grant_type)}, {ANY_ROLE_NB if role == 'any' else value_nb('role', role)}"
                group_nb = CENTRALITY_GROUP_NB.get(group, group)
                out.append(f"<tr><td>{_e(name)}</td><td>{_e(group_nb)}</td>"
                           f'<td class="num">{_e(_cell("annual_rate", amount.amount))}</td><td>{_e(t.source(amount.source).title)}</td></tr>')
            out.append("</tbody></table>")
        else:
            out.append(f'<table class="rates"><thead><tr><th>{_e(_header("element"))}</th>'
                       f'<th>{_e(_header("formula"))}</th><th class="num">{_e(_header("annual_maximum"))}</th>'
                       f'<th>{_e(_header("cap"))}</th></tr></thead><tbody>')
            for name, e in (t.elements or {}).items():
                maximum = _cell("annual_rate", to_kroner(t.annual_maximum(name))) if e.annual_maximum else ""
                out.append(f"<tr><td>{_e(e.title_nb or name)}</td><td>{_e(_maximum_in_words(t, e))}</td>"
                           f"<td class=\"num\">{_e(maximum)}</td><td>{_e(CAP_NB.get(e.cap, e.cap))}</td></tr>")
            out.append("</tbody></table>")
    if not tables:
        out.append("<p>Ingen satstabell er brukt.</p>")
    return out
