"""Plain bokmål explanations of a computed line, for the finance officer and the citizen."""
from __future__ import annotations

from decimal import Decimal

from grants.domain import GRANT_TYPE_NB, MONTH_NB, ROLE_NB, Status
from grants.rules import durable_adapter
from grants.rules.facts import FACT_NB
from grants.pipeline.inputs import Rejection
from grants.money import ROUNDING_RULE_NB, exact, format_exact, format_nok, format_percent
from grants.months import calendar_months
from grants.rules.rulebook import counted_by
from grants.pipeline.results import GrantResult, LineResult
from grants.report.vocabulary_nb import STATUS_NB as STATUS_WORDS
from grants.report.vocabulary_nb import VALUE_NB
from grants.rules.rulebook import RuleBook
from grants.rules.ruletext import rule_text


MONTH_METHOD_NB = {"calendar": "kalendermåneder", "anniversary": "måneder regnet fra startdato"}

STATUS_NB = {
    "official": "offisielle",
    "provisional": "FORELØPIGE (ikke bekreftet av Helsedirektoratet)",
    "illustrative": "ILLUSTRATIVE (ikke Helsedirektoratets offisielle satser)",
}


def rates_warning(statuses: dict[str, str]) -> str | None:
    """The banner every output shows when a rate table used is not official."""
    unofficial = {p: s for p, s in statuses.items() if s != "official"}
    if not unofficial:
        return None
    words = VALUE_NB["rates_status"]
    parts = ", ".join(f"{p}: {words.get(s, s)}" for p, s in sorted(unofficial.items()))
    return (
        f"ADVARSEL: satsene som er brukt er ikke offisielle ({parts}). Beløpene viser hvordan "
        "reglene virker, men er ikke Helsedirektoratets satser og kan ikke brukes som grunnlag for utbetaling."
    )


def _d(day) -> str:
    return f"{day:%d.%m.%Y}"


@exact
def explain_line(result: LineResult, rulebook: RuleBook | None = None) -> str:
    """The computation of one line part, step by step."""
    line, t = result.line, result.rate_table
    out = []
    out.append(f"Rad {result.row}, lege {line.alis_id}, periode {t.id} ({_d(t.period.first_day)}–{_d(t.period.last_day)})")
    out.append("=" * len(out[0]))
    out.append(f"Satstabell: rates/{t.id}.yaml, status {STATUS_NB[t.status]}.")
    if t.status != "official":
        out.append(f"  {t.status_note}")
    out.append("")
    out.append("Opplysninger fra søknaden:")
    out.append(f"  Kommune: {line.kommunenummer} {result.kommunenavn}")
    out.append(f"  Tilskuddstype: {GRANT_TYPE_NB[line.grant_type]}; rolle: {ROLE_NB[line.role]}")
    out.append(f"  Stillingsandel: {format_percent(line.position_share)}; tidsrom: {_d(line.start)}–{_d(line.end)}")
    flags = [name for name, on in (("via vikarbyrå", line.via_agency), ("privat kommersiell aktør", line.private_commercial)) if on]
    if not line.new_scheme:
        flags.append("ikke ny spesialistordning")
    if line.agreement_signed:
        flags.append(f"ALIS-avtale signert {_d(line.agreement_signed)}")
    if flags:
        out.append("  Øvrige opplysninger: " + "; ".join(flags))
    given = [f"utgift til {k}: {format_nok(v) if v == v.to_integral_value() else format_exact(v)}" for k, v in line.expenses.items()]
    if line.supervision_hours is not None:
        given.append(f"veiledningstimer: {_hours(line.supervision_hours)}")
    for title, value in (("søkt produktivitetstillegg", line.productivity_applied),
                         ("søkt sentralitetstillegg", line.centrality_supplement_applied)):
        if value is not None:
            given.append(f"{title}: {format_exact(value)}")
    if given:
        out.append("  Utgifter og søkte beløp: " + "; ".join(given))
    out.append("")
    out.append("Sentralitet:")
    if result.centrality_source == "input":
        out.append(f"  Klasse {result.centrality_class} er oppgitt i søknaden (overstyrer SSB); "
                   f"SSB-klassifikasjonen gir klasse {result.ssb_class}.")
    else:
        out.append(f"  Klasse {result.centrality_class} etter SSBs sentralitetsindeks ({t.centrality.classification}, "
                   f"kommunenummer fra {result.code_set}-inndelingen).")
    out.append("")
    out.append("Regler som er brukt:")
    for r in result.rules:
        if r.kind == "paper_condition":
            continue
        out.append(f"  [{r.id}, gjelder fra {r.valid_from}] {rule_text(r, t)}")
        out.append(f"      Hjemmel/kilde: {r.citation.text()}")
    paper = [r for r in result.rules if r.kind == "paper_condition"]
    if rulebook is not None:
        paper += rulebook.paper_conditions(t.id)
    if paper:
        out.append("")
        out.append("Vilkår som ikke kan kontrolleres fra søknadsfilen (forutsetninger):")
        for r in paper:
            out.append(f"  [{r.id}] {rule_text(r, t)}")
            out.append(f"      Hjemmel/kilde: {r.citation.text()}")
    out.append("")
    out.append("Hele måneder:")
    if result.counted_start is None or result.counted_end is None:
        out.append("  Linjen har ingen dager i perioden: 0 måneder.")
        out.append("")
        out.append("Beregning:")
        out.extend(f"  {reason}" for reason in result.reasons)
        out.append("  Beløp: 0 kr (linjen er utenfor perioden).")
        return "\n".join(out)
    counted = f"{_d(result.counted_start)}–{_d(result.counted_end)}"
    if result.counted_end < result.counted_start:
        out.append("  Linjen har ingen dager i perioden: 0 måneder.")
    else:
        if result.counted_start != max(line.start, t.period.first_day):
            out.append(f"  Tellingen starter {_d(result.counted_start)}, datoen ALIS-avtalen ble signert.")
        elif line.start < t.period.first_day or line.end > t.period.last_day:
            out.append(f"  Linjen er klippet til perioden: {counted}.")
        method_name = counted_by(result.rules, t)
        if method_name == "calendar":
            months = calendar_months(result.counted_start, result.counted_end)
            listed = ", ".join(f"{MONTH_NB[m - 1]} {y}" for y, m in months) or "ingen"
            out.append(f"  Kalendermåneder der hele måneden er dekket ({counted}): {listed}.")
        else:
            out.append(
                f"  Hele måneder regnet fra {_d(result.counted_start)}: en måned er hel når samme dato måneden etter, "
                f"minus én dag, ligger innenfor {counted}."
            )
        method = MONTH_METHOD_NB[method_name]
        where = "fra satstabellen" if method_name == t.whole_months else "fra regelen for telling av måneder"
        out.append(f"  Antall hele måneder: {result.whole_months} (metode: {method}, {where}).")
    out.append("")
    out.append("Beregning:")
    if result.status is Status.INELIGIBLE:
        out.append("  Linjen gir ikke rett til tilskudd:")
        for reason in result.reasons:
            out.append(f"   - {reason}")
        out.append("  Beløp: 0 kr.")
    elif t.model == "B":
        out.extend(_explain_elements(result))
    else:
        amount = t.rate(result.rate_path, result.centrality_group)
        src = t.source(amount.source)
        out.append(f"  Årssats: {format_nok(result.annual_rate)} (annual_rates.{result.rate_path}.{result.centrality_group}; kilde: {src.title})")
        formula = next((r.formula for r in result.rules if r.kind == "formula" and r.formula is not None), None)
        if formula is not None:
            shown = {"annual_rate": format_nok(result.annual_rate), "share": format_percent(line.position_share),
                     "whole_months": str(result.whole_months)}
            shown.update({n: _number(t, n) for n in formula.terms if n not in shown})
            out.append(f"  Beløp = {formula.text_nb('formula', t)}")
            out.append(f"       = {formula.text(shown, '/')} = {format_nok(result.exact_amount.quantize(Decimal('0.01')))}")
        out.append(f"  Tilskudd: {format_nok(result.amount_nok)} ({ROUNDING_RULE_NB}, én gang per linje).")
    for note in result.notes:
        out.append(f"  Merk: {note}")
    return "\n".join(out)


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def _explain_elements(result: LineResult) -> list[str]:
    """Model B: every element with its formula, numbers, cap and rounded amount."""
    t, line = result.rate_table, result.line
    basis = "refusjon av dokumenterte utgifter" if result.basis == "refusjon" else "maksimalt tilskudd: ingen utgifter oppgitt"
    out = [f"  Tilskuddet er summen av elementene ({basis}):"]
    for e in result.elements:
        spec = t.element(e.element)
        out.append(f"  • {spec.title_nb} [{e.element}]")
        if e.annual_maximum is not None:
            factors = " × ".join(
                f"{t.parameter(p).value.normalize():f}".replace(".", ",") + f" ({t.parameter(p).title_nb or p})"
                for p in spec.annual_maximum or []
            )
            out.append(f"      årlig maksimum = {factors} = {format_exact(e.annual_maximum)}")
            if e.window is not None:
                rule = next((r for r in result.rules if r.kind == "element" and r.element == e.element), None)
                start = FACT_NB.get(rule.window_from, rule.window_from) if rule is not None and rule.window_from else "?"
                out.append(
                    f"      bare innenfor {_d(e.window[0])}–{_d(e.window[1])} (fra {start}): {e.months} hele måneder"
                )
        out.extend(_element_formula(e, t, line.position_share))
        if e.hours is not None and e.hourly_rate is not None:
            rate_parts = " × ".join(
                f"{t.parameter(p).value.normalize():f}".replace(".", ",") + f" ({t.parameter(p).title_nb or p})"
                for p in spec.expense_from_hours or []
            )
            where = "øktfilen" if e.hours_from == "sessions" else "søknaden"
            out.append(f"      timesats for veiledning = {rate_parts} = {format_exact(e.hourly_rate)} per time")
            out.append(f"      utgift = {_hours(e.hours)} timer ({where}) × {format_exact(e.hourly_rate)} = {format_exact(e.hours * e.hourly_rate)}")
        if e.cap == "expense":
            cap = f"oppgitte utgifter {format_exact(e.capped_by)}" if e.capped_by is not None else "ingen utgifter oppgitt"
            out.append(f"      tak: det laveste av maksimum og dokumenterte utgifter ({cap})")
        elif e.cap == "applied":
            cap = f"søkt {format_exact(e.capped_by)}" if e.capped_by is not None else "søkt beløp ikke oppgitt"
            out.append(f"      tak: det laveste av maksimum og søkt beløp ({cap})")
        else:
            out.append("      ingen utgiftstak: maksimum gis")
        if e.sharing is not None:
            sh = e.sharing
            rows = ", ".join(f"rad {r} ({format_exact(m)})" for r, m in zip(sh.rows, sh.maxima))
            out.append(f"      utgiften/søkt beløp gjelder legen i hele perioden (oppgitt på {sh.carried_by}):")
            out.append(f"        legens tak = summen av maksimum på linjene: {rows} = {format_exact(sh.maximum_total)}")
            out.append(f"        innvilget for legen = det laveste av {format_exact(sh.capped_by)} og {format_exact(sh.maximum_total)} = "
                       f"{format_exact(sh.granted_total)} → {format_nok(sh.kroner_total)} ({ROUNDING_RULE_NB}, én gang for legen)")
            shares = ", ".join(f"rad {r}: {format_nok(k)}" for r, k in zip(sh.rows, sh.allotments))
            out.append(f"        fordelt på linjene etter maksimum, største rest: {shares}")
            out.append(f"      denne linjens andel = {format_exact(sh.granted_total)} × {format_exact(e.maximum)} / {format_exact(sh.maximum_total)} = "
                       f"{format_exact(e.granted)} → {format_nok(e.amount_nok)} (største rest)")
        else:
            out.append(f"      = {format_exact(e.granted)} → {format_nok(e.amount_nok)} ({ROUNDING_RULE_NB}, per element)")
    out.append(f"  Tilskudd: {format_nok(result.amount_nok)} (summen av de avrundede elementene).")
    return out


def _number(t, name: str) -> str:
    """A rate-table number a formula reads, as shown in an explanation."""
    from grants.rules.ruletext import number_nb

    return number_nb(t.value(name))


def _element_formula(e, t, share: Decimal) -> list[str]:
    """The element's maximum by its rule's formula: in words, then with the numbers it read."""
    if e.expression is None:
        return []
    spec = t.element(e.element)
    shown = {"share": format_percent(share), "whole_months": str(e.months), "whole_months_in_window": str(e.months)}
    if e.annual_maximum is not None:
        shown["annual_maximum"] = format_exact(e.annual_maximum)
    if e.base is not None:
        shown["elements_base"] = f"({' + '.join(spec.share_of or [])}: {format_exact(e.base)}, uavrundet)"
    if e.share is not None:
        shown["element_share"] = _number(t, spec.share) if spec.share else str(e.share)
    shown.update({n: _number(t, n) for n in e.expression.terms if n not in shown})
    return [f"      maksimum = {e.expression.text_nb('element', t)}",
            f"               = {e.expression.text(shown, '/')} = {format_exact(e.maximum)}"]


def explain_rejection(rej: Rejection) -> str:
    return f"Rad {rej.row} er avvist og ikke beregnet.\n  {rej.text()}"


def _lines(n: int) -> str:
    return f"{n:>5} {'linje ' if n == 1 else 'linjer'}"


def summary(result: GrantResult, max_doctors: int = 25, *, total_line: bool = True, blank_rows: int | None = None) -> str:
    """The on-screen summary: per municipality, per doctor, rejections, and (unless
    `total_line` is False, when the caller prints it last) the one-line summary."""
    out = []
    by_muni = result.totals_by_municipality()
    out.append(f"Sum per kommune ({len(by_muni)}):")
    for t in by_muni:
        out.append(f"  {t.key} {t.name:<28} {_lines(t.lines)}  {format_nok(t.amount_nok):>16}")
    doctors = result.totals_by_doctor()
    out.append(f"Sum per lege ({len(doctors)}):")
    for t in doctors[:max_doctors]:
        out.append(f"  {t.key:<20} {_lines(t.lines)}  {format_nok(t.amount_nok):>16}")
    if len(doctors) > max_doctors:
        out.append(f"  … og {len(doctors) - max_doctors} leger til (se utfilen)")
    periods = result.totals_by_period()
    if len(periods) > 1:
        out.append("Sum per periode:")
        for t in periods:
            out.append(f"  {t.key:<10} {_lines(t.lines)}  {format_nok(t.amount_nok):>16}")
    statuses = list(result.column("status"))
    out.append(
        f"Rader inn: {result.input_rows} ({_blank_text(_blank_rows(result, blank_rows))} hoppet over); "
        f"linjer: {len(result.lines)} ({statuses.count('ok')} {STATUS_WORDS['ok']}, "
        f"{statuses.count('ineligible')} {STATUS_WORDS['ineligible']}"
        + (f", {statuses.count('outside_period')} {STATUS_WORDS['outside_period']}" if "outside_period" in statuses else "")
        + f"); {STATUS_WORDS['rejected']}: {len(result.rejections)} {'rad' if len(result.rejections) == 1 else 'rader'}."
    )
    if result.rejections:
        out.append("Avviste rader (rad = datarad, den første under overskriften er rad 1; i parentes: hvor raden står i filen):")
        for rej in result.rejections:
            out.append(f"  {rej.text()}")
    if result.evaluator != "durable_rules" and durable_adapter.available():
        # where durable_rules is not installed every run is columnar: --version and rates list say so
        out.append(f"Merk: reglene er evaluert kolonnevis ({result.evaluator}) for denne store filen; samme regler og svar som durable_rules.")
    if total_line:
        out.append(one_line_summary(result, blank_rows))
    return "\n".join(out)


def outside_period_warning(result: GrantResult, period: str | None, option: str = "--period") -> str | None:
    """When most lines lie outside the period asked for, the period was probably wrong: say so,
    and name the period(s) the lines fit (from the reasons, which name them)."""
    if period is None or not result.lines:
        return None
    positions = [i for i, s in enumerate(result.column("status")) if s == Status.OUTSIDE_PERIOD.value]
    if len(positions) * 2 <= len(result.lines):
        return None
    outside = [result.lines[i] for i in positions]
    fits: dict[str, int] = {}
    for r in outside:
        for p in r.line_periods:
            fits[p] = fits.get(p, 0) + 1
    best = ", ".join(f"{p} ({n} linjer)" for p, n in sorted(fits.items(), key=lambda kv: -kv[1])) or "ingen kjent periode"
    return (f"ADVARSEL: {len(outside)} av {len(result.lines)} linjer ligger utenfor perioden {period} og gir 0 kr. "
            f"Linjene passer i: {best}. Er {option} riktig?")


def _blank_rows(result: GrantResult, given: int | None) -> int:
    """Blank rows the reader skipped: as given by the caller (the reader counts them), else as
    the result carries them, else 0."""
    if given is not None:
        return given
    return int(getattr(result, "blank_rows", 0) or 0)


def _blank_text(n: int) -> str:
    return f"{n} {'tom rad' if n == 1 else 'tomme rader'}"


def one_line_summary(result: GrantResult, blank_rows: int | None = None) -> str:
    """The last line of every compute run, in the one vocabulary of the summary: total, input
    rows, lines, innvilget, ikke rett, avvist, blank rows."""
    statuses = list(result.column("status"))
    n_lines = len(result.lines)
    blanks = _blank_rows(result, blank_rows)
    return (
        f"Totalt tilskudd: {format_nok(result.total_nok)} ({result.input_rows} {'rad' if result.input_rows == 1 else 'rader'} inn, "
        f"{n_lines} {'linje' if n_lines == 1 else 'linjer'}: {statuses.count('ok')} {STATUS_WORDS['ok']}, "
        f"{statuses.count('ineligible')} {STATUS_WORDS['ineligible']}"
        + (f", {statuses.count('outside_period')} {STATUS_WORDS['outside_period']}" if 'outside_period' in statuses else "")
        + f"; {len(result.rejections)} {STATUS_WORDS['rejected']}; {_blank_text(blanks)})"
    )
