"""Pricing a plan's parts over columns; model B parts the caps may change one by one.

Model A: one plan (a period and a set of fired rules) over all its parts at once: the counted
days and whole months (grants.months), the exclusions and the share minimum, the formula
rule's expression in exact integers with the one half-up rounding (grants.rules.formulas,
grants.money), the notes worded once per distinct case. A single line is a batch of one on
this path. Model B: each part's elements at their maxima by their rules' formulas, each
distinct case once; over columns where the caps cannot change the part, else one LineResult
per part, capped afterwards per line or per doctor (grants.pipeline.caps).

The results keep their row in the batch's fact table, so a trace shows the facts the rules saw.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from grants.days import NO_DAY, date_of, dates_of, day_number
from grants.domain import Status
from grants.errors import RulesError
from grants.money import as_decimal, exact
from grants.months import anniversary_month_counts, calendar_month_counts, whole_months
from grants.pipeline import notes as words
from grants.pipeline.caps import line_notes
from grants.pipeline.codes import combine, groups
from grants.pipeline.fields import GIVEN, OPTIONAL_FACTS
from grants.pipeline.results import LineResult, ResultColumns, interleave
from grants.pipeline.trace import line_columns
from grants.rules.formulas import ElementValue, element_value, model_a_amounts, model_a_exact
from grants.rules.rulebook import counted_by

if TYPE_CHECKING:
    from grants.pipeline.columns import InputColumns
    from grants.pipeline.facts import FactRow, FactTable
    from grants.pipeline.parts import Parts
    from grants.pipeline.plans import Plan
    from grants.pipeline.provenance import Provenance
    from grants.rates.centrality import Municipality
    from grants.rates.tables import RateBook, RateTable

_ZERO = Decimal(0)


def _one(value: Any) -> np.ndarray:
    """An object array holding one value, to assign the same tuple to many rows at once."""
    holder = np.empty(1, dtype=object)
    holder[0] = value
    return holder


def _given_column(cols: "InputColumns", fact: str) -> np.ndarray:
    given = OPTIONAL_FACTS[fact]
    return cols.present(fact) if given.value is GIVEN else cols.flags(fact) == given.value


def _given(line: Any, fact: str) -> bool:
    given = OPTIONAL_FACTS[fact]
    value = getattr(line, fact)
    return value is not None if given.value is GIVEN else value == given.value


@dataclass
class _Counted:
    """What both models read the same way for a plan's parts: the counted days and whole
    months, the share, and which parts the plan excludes (its reasons or the share minimum)."""

    rows: np.ndarray
    outside: np.ndarray
    counted_start: np.ndarray
    part_end: np.ndarray
    method: str
    months: np.ndarray
    share_c: np.ndarray
    below: np.ndarray
    excluded: np.ndarray
    eligible: np.ndarray


def _counted(cols: "InputColumns", parts: "Parts", members: np.ndarray, table: "RateTable", plan: "Plan") -> _Counted:
    rows = parts.rows[members]
    part_end = parts.end[members]
    outside = parts.outside[members]
    counted_start = parts.start[members]
    if plan.counts_from_clip:
        for name in plan.clip_facts:
            counted_start = np.maximum(counted_start, cols.days(name)[rows])
    method = counted_by(plan.rules, table)
    if method == "calendar":
        months = calendar_month_counts(counted_start, part_end)
    else:
        months = anniversary_month_counts(counted_start, part_end)[0]
    share_c = cols.share_hundredths()[rows]
    below = np.zeros(members.size, dtype=bool)
    if not plan.reasons and plan.minimum is not None and plan.minimum_percent is not None:
        below = share_c < int(plan.minimum_percent * 100)  # hundredths, exactly (the table loader allows two decimals)
    excluded = np.full(members.size, bool(plan.reasons)) | below
    return _Counted(rows, outside, counted_start, part_end, method, months, share_c, below, excluded,
                    ~excluded & ~outside)


def _columns(cols: "InputColumns", parts: "Parts", members: np.ndarray, table: "RateTable", plan: "Plan",
             k: _Counted, amounts: np.ndarray, reasons: np.ndarray, notes: np.ndarray) -> dict[str, np.ndarray]:
    """A plan's parts as the result columns both models keep."""
    n = members.size
    status = np.empty(n, dtype=object)
    status[:] = Status.OK
    status[k.excluded] = Status.INELIGIBLE
    status[k.outside] = Status.OUTSIDE_PERIOD
    plans = np.empty(n, dtype=object)
    plans[:] = [plan]
    period = np.empty(n, dtype=object)
    period[:] = table.id
    override = cols.centrality_override()[k.rows]
    ssb = parts.classes[members]
    outside = k.outside
    return {
        "period": period, "split_candidate": (status == Status.OK) & (k.method == "calendar"),
        "index": k.rows, "part": members, "which": parts.which[members],
        "counted_start": np.where(outside, NO_DAY, k.counted_start), "counted_end": np.where(outside, NO_DAY, k.part_end),
        "months": np.where(outside, 0, k.months), "share_c": k.share_c,
        "amount": amounts, "status": status, "reasons": reasons, "notes": notes,
        "muni_codes": parts.muni_codes[members], "classes": np.where(override > 0, override, ssb), "ssb": ssb,
        "input_class": override > 0, "plan": plans,
    }


# -- model A ---------------------------------------------------------------------------------


def price_model_a(cols: "InputColumns", parts: "Parts", members: np.ndarray, table: "RateTable", plan: "Plan",
                  unused: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """One model A plan over its parts (`members`: indices into `parts`, which are the rows of
    the fact table): counted days, whole months, exclusions and the share minimum, the amount,
    the reasons and notes. Returns the results as columns."""
    k = _counted(cols, parts, members, table, plan)
    rows, n, outside, months, share_c = k.rows, members.size, k.outside, k.months, k.share_c
    below, eligible = k.below, k.eligible
    shares = cols.values("position_share")

    amounts = np.zeros(n, dtype=np.int64)
    if eligible.any():
        assert plan.annual is not None and plan.formula is not None
        computed = model_a_amounts(plan.formula, plan.annual, share_c[eligible], months[eligible], table)
        if computed.dtype == object:
            amounts = amounts.astype(object)
        amounts[eligible] = computed

    # reasons and notes: shared tuples for the usual parts, worded once per distinct case
    reasons = np.empty(n, dtype=object)
    notes = np.empty(n, dtype=object)
    reasons[:] = [plan.reasons] if plan.reasons else [()]
    notes[:] = [plan.notes]
    for i in np.flatnonzero(below).tolist():
        reasons[i] = (words.minimum_reason(plan.minimum, table, shares[rows[i]]),)
    override = cols.centrality_override()[rows]
    ssb = parts.classes[members]
    unused_given = {f: _given_column(cols, f)[rows] for f, _ in unused}
    cap_input = cols.cap_input()[rows]
    note_codes = parts.note_codes[members]
    overridden = (override > 0) & (override != ssb)
    fixed_rates = cap_input & eligible
    special = (note_codes > 0) | overridden | fixed_rates
    unused_bits = np.zeros(n, dtype=np.int64)
    for bit, given in enumerate(unused_given.values()):
        special |= given
        unused_bits |= given.astype(np.int64) << bit
    muni_codes = parts.muni_codes[members]
    chosen = np.flatnonzero(special & ~outside)
    signature = combine([note_codes[chosen], unused_bits[chosen], fixed_rates[chosen],
                         np.where(overridden, override, 0)[chosen], np.where(overridden, muni_codes, -1)[chosen]],
                        chosen.size)
    for same in groups(signature):
        i = int(chosen[same[0]])
        extra = parts.note_texts[int(note_codes[i])] + plan.notes
        extra += tuple(text for f, text in unused if unused_given[f][i])
        if fixed_rates[i]:
            extra += (words.fixed_rates_note(table),)
        if overridden[i]:
            extra += (words.override_note(int(override[i]), parts.munis[int(muni_codes[i])]),)
        notes[chosen[same]] = _one(extra)
    # a part outside the period: its reason and the periods its line fits are worded from the
    # line's dates when the line is read (result_columns)
    reasons[outside], notes[outside] = _one(()), _one(())
    return _columns(cols, parts, members, table, plan, k, amounts, reasons, notes)


def _counted_days(days: list[int], outside: list[bool]) -> list[date | None]:
    """Counted days as dates, None for a part outside the period."""
    return [None if o else d for d, o in zip(dates_of(days), outside)]


def result_columns(cols: "InputColumns", c: dict[str, np.ndarray], parts: "Parts", facts: "FactTable",
                   ratebook: "RateBook", provenance: "Provenance | None",
                   price_b: "Callable[[int, Plan], LineResult] | None" = None) -> ResultColumns:
    """The results priced over columns (model A, and the model B parts the caps cannot change)
    as the store keeps them, with the builder of one LineResult: model A's here (wording the
    texts kept as codes: a clip note, the reason of a part outside the period), model B's by
    `price_b` (grants.pipeline.pricing.price_model_b, with the batch's memo)."""
    tables = ratebook.tables
    which = c["which"]
    periods = np.array([t.id for t in tables], dtype=object)[which]
    firsts = np.array([day_number(t.period.first_day) for t in tables], dtype=np.int64)[which]
    munis = parts.munis
    names = np.array([None if m is None else m.name for m in munis] + [None], dtype=object)[c["muni_codes"]]

    exacts: dict[tuple[int, int, int], Decimal] = {}  # the Planner keeps every plan it made
    outsides: dict[tuple[date, date, int], tuple[str, tuple[str, ...]]] = {}
    model_b = np.array([t.model == "B" for t in tables] + [False], dtype=bool)[which]

    def line_b(i: int) -> LineResult:
        """A model B part's line: its elements by the same function and memo that gave its kroner."""
        assert price_b is not None
        r = price_b(int(c["part"][i]), c["plan"][i])
        return replace(r, notes=r.notes + c["notes"][i], provenance=provenance)

    def fields_at(at: np.ndarray) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        """The fields of results `at` as columns (grants.pipeline.trace.RESULT_FIELDS) and their
        inputs' fields, for traces: a model B part's read from its line."""
        at = np.asarray(at, dtype=np.int64)
        b = model_b[at]
        if not b.any():
            return fields_a(at, True)
        ours, theirs = fields_a(at[~b], True), line_columns([line_b(i) for i in at[b].tolist()])
        fields, inputs = ({name: interleave(~b, ours[j][name], theirs[j][name]) for name in ours[j]} for j in (0, 1))
        return fields, inputs

    @exact
    def fields_a(at: np.ndarray, with_inputs: bool) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        """The fields of model A results `at` as columns and, `with_inputs`, their inputs'
        fields: the one reading of a model A result's row, for a line and for a trace."""

        def take(name: str) -> list[Any]:
            return [c[name].item(int(at[0]))] if len(at) == 1 else c[name][at].tolist()

        index = take("index")
        rows = [i + 1 for i in index]
        inputs = cols.input_columns(np.asarray(rows, dtype=np.int64)) if with_inputs else {
            "start": cols.values("start")[np.asarray(index, dtype=np.int64)].tolist(),
            "end": cols.values("end")[np.asarray(index, dtype=np.int64)].tolist()}
        w = take("which")
        table = [tables[k] for k in w]
        plan = take("plan")
        status = take("status")
        outside = [s is Status.OUTSIDE_PERIOD for s in status]
        muni = [munis[k] for k in take("muni_codes")]
        months = take("months")
        share_c = take("share_c")
        reasons = take("reasons")
        notes = take("notes")
        fits: list[tuple[str, ...]] = [()] * len(at)
        exact_amount = [_ZERO] * len(at)
        for k, (o, s, p, t) in enumerate(zip(outside, status, plan, table)):
            start, end = inputs["start"][k], inputs["end"][k]
            notes[k] = words.worded(notes[k], start, end, t)
            if o:
                key = (start, end, w[k])
                hit = outsides.get(key)
                if hit is None:
                    hit = outsides[key] = words.outside_reason(start, end, t, ratebook)
                reasons[k] = (hit[0],) + reasons[k]
                fits[k] = hit[1]
            elif s is Status.OK:
                key = (id(p), share_c[k], months[k])  # the plan's inputs to its formula: worked once
                found = exacts.get(key)
                if found is None:
                    found = exacts[key] = as_decimal(model_a_exact(p.formula, p.annual, key[1], key[2], t))
                exact_amount[k] = found
        fields = {
            "row": rows, "period": [t.id for t in table], "rate_table": table,
            "counted_start": _counted_days(take("counted_start"), outside),
            "counted_end": _counted_days(take("counted_end"), outside),
            "whole_months": months, "kommunenavn": [m.name for m in muni], "centrality_class": take("classes"),
            "centrality_source": ["input" if given else "ssb" for given in take("input_class")],
            "ssb_class": [m.centrality_class for m in muni], "code_set": [m.code_set for m in muni],
            "centrality_group": [None if o else p.group for o, p in zip(outside, plan)],
            "rate_path": [None if o else p.rate_path for o, p in zip(outside, plan)],
            "annual_rate": [None if o else p.annual for o, p in zip(outside, plan)],
            "exact_amount": exact_amount, "amount_nok": take("amount"), "status": status,
            "reasons": reasons, "rules": [() if o else p.rules for o, p in zip(outside, plan)], "notes": notes,
            "elements": [()] * len(at), "line_periods": fits, "provenance": [provenance] * len(at),
            "facts": [facts.row(k) for k in take("part")],
        }
        return fields, inputs

    def lines_at(at: np.ndarray) -> list[LineResult]:
        """The LineResults of results `at`, made from the same reading of their rows."""
        at = np.asarray(at, dtype=np.int64)
        if len(at) == 1 and model_b[at[0]]:
            return [line_b(int(at[0]))]
        b = model_b[at]
        out: list[Any] = [None] * len(at)
        chosen = np.flatnonzero(~b)
        if chosen.size:
            fields, _ = fields_a(at[chosen], False)
            names = list(fields)
            for pos, row, values in zip(chosen.tolist(), fields["row"], zip(*fields.values())):
                out[pos] = LineResult(line=cols.line(row), **dict(zip(names, values)))
        for pos in np.flatnonzero(b).tolist():
            out[pos] = line_b(int(at[pos]))
        return out

    def make(i: int) -> LineResult:
        return lines_at(np.array([i]))[0]

    used = {t.id: t for t in (tables[k] for k in np.unique(which).tolist())}
    return ResultColumns(
        rows=c["index"] + 1, first_days=firsts, amounts=c["amount"], statuses=c["status"], periods=periods,
        months=c["months"], classes=c["classes"], alis_ids=cols.values("alis_id")[c["index"]],
        numbers=cols.values("kommunenummer")[c["index"]], names=names, tables=used, make=make,
        fields_at=fields_at, lines_at=lines_at,
    )


# -- model B ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Part:
    """One line part as model B prices it: the line, its period and days, its municipality,
    its own notes, and its row of the fact table."""

    row: int
    line: Any  # LineInput
    table: "RateTable"
    start: date
    end: date
    municipality: "Municipality"
    notes: tuple[str, ...]
    facts: "FactRow"
    fits: tuple[str, ...] = ()  # a part outside the period asked for: the periods the line falls in
    outside: str | None = None  # the reason, when the line has no day in the period asked for


def part_at(cols: "InputColumns", parts: "Parts", i: int, facts: "FactTable", tables: list["RateTable"],
            ratebook: "RateBook") -> Part:
    row = int(parts.rows[i]) + 1
    line = cols.line(row)
    table = tables[int(parts.which[i])]
    outside, fits = (None, ())
    if parts.outside[i]:
        outside, fits = words.outside_reason(line.start, line.end, table, ratebook)
    return Part(row, line, table, date_of(parts.start[i]), date_of(parts.end[i]), parts.munis[int(parts.muni_codes[i])],
                words.worded(parts.notes_of(i), line.start, line.end, table), facts.row(i), fits, outside)


def price_model_b(part: Part, plan: "Plan", unused: list[tuple[str, str]],
                  memo: dict[tuple[Any, ...], tuple[ElementValue, ...]] | None = None) -> LineResult:
    """One model B part: its elements at their maxima by their rules' formulas (the caps come
    after, grants.pipeline.caps), or 0 kr with the reasons that exclude it. `memo` (one per
    batch) keeps the elements of each distinct case, so parts that give the rules' formulas the
    same values share one computation (and one tuple of frozen values)."""
    line, table = part.line, part.table
    if part.outside is not None:
        return _outside_period(part)
    # the count_months rule says which days are counted and how (checked: exactly one)
    counted_start = part.start
    if plan.counts_from_clip:
        for name in plan.clip_facts:
            counted_start = max(counted_start, getattr(line, name))
    method = counted_by(plan.rules, table)
    months = whole_months(counted_start, part.end, method)
    notes = part.notes + plan.notes + tuple(text for fact, text in unused if _given(line, fact))
    reasons = plan.reasons
    minimum = plan.minimum_percent
    if not reasons and plan.minimum is not None and minimum is not None and line.position_share < minimum:
        reasons = (words.minimum_reason(plan.minimum, table, line.position_share),)
    elements: tuple[ElementValue, ...] = ()
    if reasons:
        exact_amount, amount, status = _ZERO, 0, Status.INELIGIBLE
        notes += line_notes(table, line, False, ())
    else:
        elements = _elements(plan, part, counted_start, months, method, memo)
        notes += line_notes(table, line, True, elements)  # at the maxima; grants.pipeline.caps redoes them for an expense
        exact_amount = as_decimal(sum((e.granted for e in elements), Fraction(0)))
        amount, status = sum(e.amount_nok for e in elements), Status.OK
    cls = line.centrality_class if line.centrality_class is not None else part.municipality.centrality_class
    if line.centrality_class is not None and line.centrality_class != part.municipality.centrality_class:
        notes += (words.override_note(line.centrality_class, part.municipality),)
    return LineResult(
        row=part.row, line=line, period=table.id, rate_table=table, counted_start=counted_start, counted_end=part.end,
        whole_months=months, kommunenavn=part.municipality.name, centrality_class=cls,
        centrality_source="input" if line.centrality_class is not None else "ssb",
        ssb_class=part.municipality.centrality_class, code_set=part.municipality.code_set,
        centrality_group=plan.group, rate_path=plan.rate_path, annual_rate=plan.annual, exact_amount=exact_amount,
        amount_nok=amount, status=status, reasons=reasons, rules=plan.rules, notes=notes, elements=elements,
        facts=part.facts,
    )


def price_model_b_columns(cols: "InputColumns", parts: "Parts", members: np.ndarray, table: "RateTable",
                          plan: "Plan", facts: "FactTable", ratebook: "RateBook", unused: list[tuple[str, str]],
                          memo: dict[tuple[Any, ...], tuple[ElementValue, ...]]) -> dict[str, np.ndarray]:
    """Model B parts whose caps cannot change them (grants.pipeline.caps.parts_to_cap) as
    columns, like model A's: counted days, whole months, status and kroner over columns, the
    elements of each distinct case computed once by `_elements` (the same function, the same
    memo, as `price_model_b`). The LineResult of such a part is `price_model_b`'s, made when
    the line is read (result_columns)."""
    tables = ratebook.tables
    k = _counted(cols, parts, members, table, plan)
    amounts = np.zeros(members.size, dtype=np.int64)
    chosen = np.flatnonzero(k.eligible)
    if chosen.size:
        keys = [k.share_c[chosen], k.months[chosen]]
        windowed = [r.window_from for r in plan.elements if r.window_from]
        if windowed:
            for name in windowed:
                values, exists = facts[name]
                keys.append(np.where(exists[members[chosen]], values[members[chosen]], NO_DAY) if exists is not None
                            else values[members[chosen]])
            keys += [k.counted_start[chosen], k.part_end[chosen]]
        for same in groups(combine(keys, chosen.size)):
            i = int(chosen[same[0]])
            part = part_at(cols, parts, int(members[i]), facts, tables, ratebook)
            elements = _elements(plan, part, date_of(k.counted_start[i]), int(k.months[i]), k.method, memo)
            amounts[chosen[same]] = sum(e.amount_nok for e in elements)
    nothing = np.empty(members.size, dtype=object)
    nothing[:] = [()]
    return _columns(cols, parts, members, table, plan, k, amounts, nothing, nothing.copy())


def _elements(plan: "Plan", part: Part, counted_start: date, months: int, method: str,
              memo: dict[tuple[Any, ...], tuple[ElementValue, ...]] | None = None) -> tuple[ElementValue, ...]:
    """Each element the rules gave, in order, at its maximum, by its rule's formula; a window
    starts on a date fact of the part's row in the fact table.

    The formulas read nothing of the part but its plan, its share as written, its whole months
    and, for a windowed element, the window's start and the counted days; parts alike in those
    are alike in every value, so `memo` computes each distinct case once."""
    line, table = part.line, part.table
    windows = tuple(part.facts.day(r.window_from) for r in plan.elements if r.window_from)
    key = (id(plan), str(line.position_share), months, method,  # the Planner keeps every plan it made
           (windows, counted_start, part.end) if windows else None)
    if memo is not None:
        found = memo.get(key)
        if found is not None:
            return found
    values: dict[str, ElementValue] = {}
    for rule in plan.elements:
        name = rule.element or ""
        assert rule.formula is not None  # an element rule needs one (grants.rules.rulebook)
        window_start = None
        if rule.window_from:
            day = part.facts.day(rule.window_from)
            if day is None:
                raise RulesError(f"{rule.file}: rule {rule.id}: window_from {rule.window_from} is not given for row "
                                 f"{part.row}; the rule's condition must require it")
            window_start = date_of(day)
        values[name] = element_value(
            name, rule.formula, table.element(name), table, line.position_share, months,
            (counted_start, part.end), method, window_start, values, None,  # type: ignore[arg-type]
        )
    elements = tuple(values.values())
    if memo is not None:
        memo[key] = elements
    return elements


def _outside_period(part: Part) -> LineResult:
    """A line with no day in the period asked for: status outside_period, 0 kr, no counted
    dates, and a reason that names the period it fits."""
    line, table = part.line, part.table
    cls = line.centrality_class if line.centrality_class is not None else part.municipality.centrality_class
    return LineResult(
        row=part.row, line=line, period=table.id, rate_table=table, counted_start=None, counted_end=None,
        whole_months=0, kommunenavn=part.municipality.name, centrality_class=cls,
        centrality_source="input" if line.centrality_class is not None else "ssb",
        ssb_class=part.municipality.centrality_class, code_set=part.municipality.code_set,
        centrality_group=None, rate_path=None, annual_rate=None, exact_amount=_ZERO, amount_nok=0,
        status=Status.OUTSIDE_PERIOD, reasons=(part.outside,), rules=(), notes=part.notes,
        line_periods=part.fits, facts=part.facts,
    )
