"""Model B caps: an element's granted amount is the lower of its maximum and the documented
expense (or the amount applied for). Whose the expense is, is a field of the rate table
(`expense_scope`): the line's own, or the doctor's for the period in one municipality.

With `scope: doctor` (2025-26) an expense is the doctor's whichever of his lines carries it,
even a line that is ineligible or cannot get the element (it is his documented cost); given for
one element on more than one line it is ambiguous and those rows are rejected (write it once).
An expense belongs to the period of the line that carries it: on a line outside the period
asked for it is not used (and said so); on a line that runs beyond the period it counts for the
period (and said so). The cap is the sum of the element's maxima over the doctor's lines; the
granted amount is rounded once for the doctor and shared back to the lines in proportion to
their maxima by the largest remainder method, exactly (fractions, the earlier row first on a
tie), so the lines add up to the doctor's amount and no other doctor's rows can move a krone
between them (docs/DOMAIN.md section 8). A doctor with one line gets what he got line by line.

The sessions file is evidence of supervision (grants.pipeline.sessions): a doctor with rows in
it has his veiledning priced from his sessions dated inside the period only (none: 0 kr), and
an expense or hours for veiledning beside them is ambiguous, whatever the sessions' dates.

The pass runs after every line is priced at its maxima; it changes no model A line.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from decimal import Decimal
from typing import Any, Callable

import numpy as np

from grants.domain import Status
from grants.rules.formulas import ElementValue, Sharing, largest_remainder
from grants.pipeline.codes import combine, factorize
from grants.pipeline.fields import CAP_INPUTS
from grants.pipeline.inputs import Rejection, doctor_key
from grants.money import as_decimal, exact_value, format_exact, format_nok, to_kroner
from grants.pipeline.results import LineResult
from grants.pipeline.sessions import Evidence, SessionHours

_ZERO = Fraction(0)
SESSIONS = 0  # the "row" of a cap input that comes from the sessions file


@dataclass(frozen=True, slots=True)
class CapInput:
    """One expense or amount applied for, as given on one row (or in the sessions file)."""

    element: str
    value: Decimal  # kroner: the expense, hours x hourly rate, or the amount applied for
    field: str  # the input field: "expense:<element>", "supervision_hours", "productivity_applied" ...
    row: int  # SESSIONS for the sessions file
    hours: Decimal | None = None
    hourly_rate: Decimal | None = None
    text: str | None = None  # the sessions file: which sessions were counted
    session_rows: tuple[int, ...] = ()  # the sessions file: every row of the doctor's it read

    @property
    def where(self) -> str:
        if self.row != SESSIONS:
            return f"rad {self.row}"
        return f"øktfilen (rad {', '.join(map(str, self.session_rows))})" if self.session_rows else "øktfilen"


def cap_inputs(row: int, line: Any, table: Any) -> dict[str, CapInput]:
    """The expenses and amounts applied for a line gives for the table's capped elements."""
    out: dict[str, CapInput] = {}
    for name, spec in (table.elements or {}).items():
        if spec.cap == "expense":
            if name in line.expenses:
                out[name] = CapInput(name, line.expenses[name], f"expense:{name}", row)
            elif spec.expense_from_hours and line.supervision_hours is not None:
                rate = table.product(spec.expense_from_hours)
                out[name] = CapInput(name, line.supervision_hours * rate, "supervision_hours", row,
                                     line.supervision_hours, rate)
        elif spec.cap == "applied":
            value = getattr(line, spec.applied_from or "", None)
            if value is not None:
                out[name] = CapInput(name, value, spec.applied_from or "", row)
    return out


def has_cap_input(line: Any) -> bool:
    """Whether a line gives any expense, hours or amount applied for."""
    return bool(line.expenses) or any(getattr(line, f) is not None for f in CAP_INPUTS)


Place = Callable[[str, Any], Any]
"""A municipality number in a rate table's classification -> the municipality it names, the
same for its 2020-2023 and its 2024 code (grants.rates.centrality.Municipality.identity)."""


def _group_key(r: LineResult, place: Place) -> tuple[Any, ...]:
    """(period, doctor, municipality): whose one expense an element's cap is."""
    if r.rate_table.doctor_scope:
        return (r.rate_table.id, doctor_key(r.alis_id), place(r.kommunenummer, r.rate_table))
    return (r.rate_table.id, "row", r.row)


def parts_to_cap(cap_input: np.ndarray, doctors: np.ndarray, parts: Any, tables: list[Any],
                 sessions_given: bool) -> np.ndarray:
    """The model B parts `apply_caps` may change: every one when a sessions file is given, else
    those of a (period, doctor, municipality) group (a row, where the expense is the line's own)
    in which some line gives an expense, hours or an amount applied for. Every other model B part
    keeps its maxima and the notes the pricing wrote, so it is kept as columns and its line made
    when read. `cap_input`, `doctors`: per input row (grants.pipeline.columns.InputColumns)."""
    model_b = np.array([t.model == "B" for t in tables], dtype=bool)[parts.which]
    if sessions_given:
        return model_b
    given = cap_input[parts.rows] & model_b
    doctor_scope = np.array([bool(t.doctor_scope) for t in tables], dtype=bool)[parts.which]
    identities: dict[Any, int] = {}
    place = np.array([-1 if m is None else identities.setdefault(m.identity, len(identities)) for m in parts.munis]
                     + [-1], dtype=np.int64)[parts.muni_codes]
    group, _ = factorize(combine([parts.which, doctors[parts.rows] + 1, place + 1], parts.n))
    group_given = np.zeros(int(group.max()) + 1 if group.size else 0, dtype=bool)
    group_given[group[given]] = True
    return model_b & (given | (doctor_scope & group_given[group]))


def apply_caps(
    results: list[LineResult],
    columns: Any,
    sessions: SessionHours | None = None,
    element_rule_text: Callable[[str, str], str | None] = lambda period, element: None,
    place: Place = lambda number, table: number,
) -> tuple[list[LineResult], list[Rejection], list[str]]:
    """Cap the model B elements per line or per doctor (the table's expense_scope).

    Returns the results (model B lines re-priced), the rows rejected as ambiguous, and notes
    for the batch (sessions that no line could take, doctors the sessions file does not name)."""
    groups: dict[tuple[Any, ...], list[LineResult]] = {}
    extra: dict[tuple[int, str], list[str]] = {}  # notes for one result, whatever happens to its group
    for r in sorted((r for r in results if r.rate_table.model == "B"), key=lambda r: r.row):  # the earlier row first
        given = cap_inputs(r.row, r.line, r.rate_table)
        if r.status is Status.OUTSIDE_PERIOD:
            if given:
                extra.setdefault((r.row, r.period), []).append(
                    f"{_given_words(given)} på linjen er ikke brukt: linjen ligger utenfor perioden {r.period}, "
                    "og en utgift eller et søkt beløp hører til perioden linjen ligger i")
            continue
        p = r.rate_table.period
        if given and (r.line.start < p.first_day or r.line.end > p.last_day):
            extra.setdefault((r.row, r.period), []).append(
                f"linjen går utover perioden {r.period}; {_given_words(given)} på linjen er regnet for perioden "
                f"{r.period} i sin helhet")
        groups.setdefault(_group_key(r, place), []).append(r)

    carriers: dict[tuple[Any, ...], dict[str, list[CapInput]]] = {}
    for key, group in groups.items():
        per: dict[str, list[CapInput]] = {}
        for r in group:
            for name, ci in cap_inputs(r.row, r.line, r.rate_table).items():
                per.setdefault(name, []).append(ci)
        carriers[key] = per

    rejected: dict[int, Rejection] = {}
    batch_notes: list[str] = []
    if sessions is not None:
        batch_notes = _attach_sessions(groups, carriers, sessions, rejected, extra, place)

    for key, per in carriers.items():
        lines_by_row = {r.row: r for r in groups[key]}
        for name, given in per.items():
            if len({ci.row for ci in given}) < 2:
                continue
            from_sessions = next((c for c in given if c.row == SESSIONS), None)
            for ci in given:
                if ci.row == SESSIONS:
                    continue
                r = lines_by_row[ci.row]
                title = r.rate_table.element(name).title_nb
                noun = "det søkte beløpet" if r.rate_table.element(name).cap == "applied" else "utgiften"
                if from_sessions is not None:
                    message = (
                        f"{_what(ci)} til {title} er oppgitt, men {from_sessions.where} har rader for samme lege "
                        f"({r.alis_id}) i kommune {r.kommunenummer}: når øktfilen har rader for legen, er øktene "
                        "dokumentasjonen av veiledningen, uansett hvilke datoer de har; fjern "
                        f"{'timene' if ci.field == 'supervision_hours' else noun} fra søknaden eller legens rader "
                        "fra øktfilen")
                else:
                    others = [c.where for c in given if c.row != ci.row]
                    message = (
                        f"{_what(ci)} til {title} er også oppgitt på {' og '.join(others)} for samme lege ({r.alis_id}) "
                        f"i kommune {r.kommunenummer} og perioden {r.period}; {noun} gjelder legen for hele perioden, "
                        f"så det kan ikke stå på flere linjer: skriv {noun} én gang")
                rejected.setdefault(ci.row, Rejection(
                    ci.row, columns.name(ci.field), columns.raw(ci.row, ci.field, ci.value), message,
                    r.alis_id, r.kommunenummer,
                ))

    repriced: dict[tuple[int, str], LineResult] = {}
    for key, group in groups.items():
        kept = [r for r in group if r.row not in rejected]
        per = {name: [ci for ci in given if ci.row not in rejected] for name, given in carriers[key].items()}
        per = {name: given[0] for name, given in per.items() if len(given) == 1}
        if not kept or not per:
            continue  # no expense: every line keeps its maxima and the notes the engine wrote
        for r in _cap_group(kept, per, element_rule_text):
            repriced[(r.row, r.period)] = r
    out: list[LineResult] = []
    for r in results:
        if r.row in rejected:
            continue
        r = repriced.get((r.row, r.period), r)
        notes = extra.get((r.row, r.period))
        out.append(replace(r, notes=r.notes + tuple(notes)) if notes else r)
    return out, sorted(rejected.values(), key=lambda x: x.row), batch_notes


def _what(ci: CapInput) -> str:
    if ci.field in ("supervision_hours", "sessions"):
        return "veiledningstimer"
    if ci.field.startswith("expense:"):
        return "utgiften"
    return "søkt beløp"


def _given_words(given: dict[str, CapInput]) -> str:
    """«utgiften til veiledning og søkt beløp til produktivitet»: what a line gives, in words."""
    return " og ".join(f"{_what(ci)} til {name}" for name, ci in given.items())


def _attach_sessions(groups: dict[tuple[Any, ...], list[LineResult]], carriers: dict[tuple[Any, ...], dict[str, list[CapInput]]],
                     sessions: SessionHours, rejected: dict[int, Rejection],
                     extra: dict[tuple[int, str], list[str]], place: Place) -> list[str]:
    """Give each doctor's sessions, as evidence, to his groups (municipality, hours-priced
    period); name on his lines every session not paid there. Returns the batch's notes: the
    sessions no line could take, and the doctors with hours-priced lines the file does not name."""
    evidence: dict[tuple[Any, ...], Evidence] = {}
    for key, group in groups.items():
        if group[0].rate_table.hours_element is None:
            continue
        table = group[0].rate_table
        found = sessions.evidence(key[1], key[0], lambda number: place(number, table) == key[2])
        if found is not None:
            evidence[key] = found
    has_rows = set(evidence)  # the file has rows for the doctor there, whatever becomes of them
    named: set[int] = set()

    # a session that names no municipality, counted for a doctor with lines in two municipalities
    by_doctor: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for key in evidence:
        by_doctor.setdefault((key[0], key[1]), []).append(key)
    for (period, _), keys in by_doctor.items():
        shared = [s for s in evidence[keys[0]].counted if s.kommunenummer is None]
        if len(keys) < 2 or not shared:
            continue
        rows = ", ".join(str(s.row) for s in shared)
        for key in keys:
            named.update(evidence.pop(key).rows)
            for r in groups[key]:
                rejected.setdefault(r.row, Rejection(
                    r.row, None, None,
                    f"øktene på rad {rows} i øktfilen kan ikke knyttes til én kommune: legen ({r.alis_id}) har linjer i "
                    f"flere kommuner i perioden {period}, og øktene oppgir ingen kommune; oppgi kommunenummer i øktfilen",
                    r.alis_id, r.kommunenummer,
                ))

    for key, found in evidence.items():
        group = groups[key]
        table = group[0].rate_table
        element = table.hours_element
        rate = table.product(table.element(element).expense_from_hours)
        carriers[key].setdefault(element, []).append(CapInput(
            element, found.hours * rate, "sessions", SESSIONS, found.hours, rate, found.describe(), found.rows))
        named.update(found.rows)
        spans = [(r.line.start, r.line.end) for r in group]
        texts = [u.text() for u in found.unpaid] + [
            f"{s.label()} ligger utenfor legens linjer, men innenfor perioden {key[0]}, og er regnet med"
            for s in found.counted if s.day is not None and not any(a <= s.day <= b for a, b in spans)]
        for r in group:
            extra.setdefault((r.row, r.period), []).extend(f"øktfilen: {t}" for t in texts)

    notes = [f"øktfilen: {s.label()} er ikke betalt: {sessions.why_unused(s)}"
             for s in sessions.sessions if s.row not in named]
    unnamed: dict[tuple[str, Any], str] = {}  # (doctor, municipality) -> words: hours-priced lines, nothing given
    for key, group in groups.items():
        element = group[0].rate_table.hours_element
        if element is None or key in has_rows or element in carriers[key]:
            continue
        if any(any(e.element == element for e in r.elements) for r in group):
            unnamed.setdefault((key[1], key[2]), f"{group[0].alis_id} i kommune {group[0].kommunenummer}")
    if unnamed:
        names = ", ".join(unnamed.values())
        notes.append(
            f"øktfilen har ingen rader for {'legen' if len(unnamed) == 1 else 'legene'} {names}, og søknaden oppgir "
            "verken utgift eller timer for veiledning der: veiledning er satt til maksimum (forventet tilskudd, "
            "ikke refusjon)")
    return notes


def _cap_group(
    group: list[LineResult], given: dict[str, CapInput], element_rule_text: Callable[[str, str], str | None]
) -> list[LineResult]:
    """Re-price one group's lines (in row order): shares of elements recomputed, capped
    elements capped, the doctor's amount shared back exactly."""
    table = group[0].rate_table
    values: dict[int, dict[str, ElementValue]] = {r.row: {e.element: e for e in r.elements} for r in group}
    notes: dict[int, list[str]] = {r.row: [] for r in group}
    specs = table.elements or {}
    order = [n for n, s in specs.items() if s.share_of is None] + [n for n, s in specs.items() if s.share_of is not None]
    changed: set[int] = set()
    for name in order:
        spec = specs[name]
        ci = given.get(name)
        if ci is None and (spec.share_of is None or not changed):
            continue
        having = [r for r in group if name in values[r.row]]
        if spec.share_of is not None:
            for r in having:
                if r.row not in changed:
                    continue  # its base is still the maxima the engine priced it with
                e = values[r.row][name]
                base = sum((values[r.row][x].granted for x in spec.share_of if x in values[r.row]), _ZERO)
                values[r.row][name] = e.with_base(base)  # the element's own formula, on the capped base
        if ci is None:
            continue
        if not having:
            rule = element_rule_text(table.id, name)
            what = f"søkt {spec.title_nb}" if spec.cap == "applied" else f"{_what(ci)} til {spec.title_nb}"
            where = "i øktfilen" if ci.row == SESSIONS else "på denne linjen"  # only the line that gave it is told
            text = (f"{what} brukes ikke (oppgitt {where}): legen har ikke rett til elementet "
                    f"på noen linje i kommunen i perioden {table.id}" + (f" ({rule})" if rule else ""))
            for r in group:
                if r.row == ci.row or ci.row == SESSIONS:
                    notes[r.row].append(text)
            continue
        maxima = [values[r.row][name].maximum for r in having]
        total_max = sum(maxima, _ZERO)
        granted = min(exact_value(ci.value), total_max)
        single = len(having) == 1 and ci.row in (having[0].row, SESSIONS)
        kroner = min(to_kroner(granted), sum(to_kroner(m) for m in maxima))
        if len(having) == 1:
            exact = [granted]  # one line's share is the whole
        else:
            exact = [granted * m / total_max if total_max else _ZERO for m in maxima]
        allotments = largest_remainder(kroner, exact)
        for r, part, kr in zip(having, exact, allotments):
            changed.add(r.row)
            e = values[r.row][name]
            sharing = None if single else Sharing(
                carried_by=ci.where, capped_by=ci.value, rows=tuple(h.row for h in having), maxima=tuple(maxima),
                granted_total=granted, kroner_total=kroner, allotments=tuple(allotments), allotted=kr,
            )
            values[r.row][name] = replace(
                e, capped_by=ci.value, granted=part, sharing=sharing,
                hours=ci.hours, hourly_rate=ci.hourly_rate,
                hours_from=None if ci.hours is None else ("sessions" if ci.row == SESSIONS else "input"),
            )
            if ci.text is not None:
                notes[r.row].append(f"{spec.title_nb}: {ci.text} × {format_exact(ci.hourly_rate or Decimal(0))} per time "
                                    f"= {format_exact(ci.value)}")
            if sharing is not None:
                shares = ", ".join(f"rad {row}: {format_nok(k)}" for row, k in zip(sharing.rows, allotments))
                notes[r.row].append(
                    f"{spec.title_nb}: {_what(ci)} ({ci.where}) gjelder legen i perioden; tak = summen av maksimum på "
                    f"rad {', '.join(map(str, sharing.rows))}; innvilget {format_nok(kroner)}, fordelt etter maksimum "
                    f"(største rest): {shares}"
                )
    out = []
    for r in group:
        elements = tuple(values[r.row].values())
        ok = r.status is Status.OK
        priced = line_notes(table, r.line, ok, r.elements)  # what the engine wrote, at the maxima
        kept = r.notes[: len(r.notes) - len(priced)] if priced and r.notes[-len(priced):] == priced else r.notes
        extra = line_notes(table, r.line, ok, elements) + tuple(notes[r.row])
        if not ok:
            out.append(replace(r, notes=kept + extra))
            continue
        out.append(replace(
            r, elements=elements, exact_amount=as_decimal(sum((e.granted for e in elements), _ZERO)),
            amount_nok=sum(e.amount_nok for e in elements), notes=kept + extra,
        ))
    return out


def line_notes(table: Any, line: Any, ok: bool, elements: tuple[ElementValue, ...]) -> tuple[str, ...]:
    """What a model B line's reason says about expenses: unused ones, maximum or refund.
    The engine adds them when it prices the line; a group with an expense recomputes them."""
    specs = table.elements or {}
    notes: tuple[str, ...] = ()
    unknown = sorted(n for n in line.expenses if n not in specs)
    if unknown:
        notes += (f"utgifter til {', '.join(unknown)} er oppgitt, men perioden {table.id} har ikke dette elementet",)
    uncapped = sorted(n for n in line.expenses if n in specs and specs[n].cap != "expense")
    for n in uncapped:
        how = "maksimum gis" if specs[n].cap == "none" else "bare søkt beløp begrenser det"
        notes += (f"utgifter til {n} brukes ikke: elementet har ikke utgiftstak, {how}",)
    if line.supervision_hours is not None and table.hours_element is None:
        notes += (f"veiledningstimer brukes ikke: perioden {table.id} prises ikke etter timer",)
    if not ok:
        return notes
    capped = [e for e in elements if e.cap == "expense"]
    if not any(e.capped_by is not None for e in capped):
        notes += ("maksimalt tilskudd: ingen utgifter er oppgitt for elementene linjen har rett til, "
                  "så hvert av dem er satt til sitt maksimum",)
    else:
        at_maximum = [e.element for e in capped if e.capped_by is None]
        if at_maximum:
            notes += (f"refusjon: ingen utgift er oppgitt for {', '.join(at_maximum)}; "
                      "de elementene er satt til maksimum (forventet tilskudd)",)
    for e in elements:
        if e.cap == "applied" and e.capped_by is not None:
            notes += (f"{specs[e.element].title_nb}: det laveste av søkt beløp {format_exact(e.capped_by)} og maksimum gis",)
    return notes
