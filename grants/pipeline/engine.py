"""The engine: input lines in, one result per row and period (or one rejection) out.

No I/O happens here beyond loading the project's own data files once. The flow per batch:
validate rows -> check overlapping shares per doctor -> split each line by grant period ->
resolve centrality -> derive facts -> run the rules in durable_rules -> price -> prove that
every row produced results or exactly one rejection.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from grants.rates.centrality import CentralityRegistry, Municipality
from grants.domain import MONTH_NB, GrantType, Role, Status
from grants.rules.durable_adapter import RuleRunner, runner_for
from grants.errors import ConservationError, RateTableError, RulesError
from grants.rules.facts import FACTS, date_int, decimal_int, part_facts
from grants.pipeline.caps import apply_caps, has_cap_input, line_notes
from grants.rules.formulas import ElementValue, Expression, element_value, model_a_amount
from grants.pipeline.headers import Header, map_header
from grants.pipeline.inputs import LineInput, Rejection, doctor_key, doctor_keys, validate_row
from grants.money import exact, format_percent, to_kroner
from grants.pipeline.months import counted_by, whole_months
from grants.pipeline.overlaps import CapSpan, overlapping, shared_boundary_days
from grants.pipeline.provenance import Provenance
from grants.rates.tables import RateBook, RateTable
from grants.pipeline.results import GrantResult, LineResult
from grants.rules.rulebook import MODEL_REQUIREMENTS, Rule, RuleBook
from grants.rules.ruletext import number_nb, rule_text
from grants.pipeline.sessions import SessionHours

_ZERO = Decimal(0)
_CHUNK = 10_000
"""Parts turned into facts and priced at a time, so the facts of a large batch never all exist."""
VECTOR_THRESHOLD = 50_000
"""From this many line parts a batch's rules are evaluated over columns (grants.rules.fire_columns.fire)
instead of through durable_rules: the same rules files, the same answer (tested), faster."""
_DAY = timedelta(days=1)
EVALUATORS = ("auto", "durable", "vectorised")
"""`compute(..., evaluator=...)`: auto (durable_rules below `vector_threshold` line parts,
vectorised from there), or one of the two always. Both give the same answer (tests/test_conditions*)."""


@dataclass(frozen=True, slots=True)
class _Part:
    row: int
    line: LineInput
    table: RateTable
    start: date
    end: date
    municipality: Municipality
    notes: tuple[str, ...]
    fits: tuple[str, ...] = ()  # a part outside the period asked for: the periods the line falls in
    outside: str | None = None  # the reason, when the line has no day in the period asked for


@dataclass(frozen=True, slots=True)
class _Plan:
    """The meaning of one set of fired rules in one period."""

    rules: tuple[Rule, ...]
    gap: str | None
    clip_facts: tuple[str, ...]
    reasons: tuple[str, ...]
    notes: tuple[str, ...]
    group: str | None = None  # model A
    rate_path: str | None = None  # model A
    annual: Decimal | None = None  # model A
    elements: tuple[Rule, ...] = ()  # model B, in the order they are computed
    months_rule: Rule | None = None  # count_months: which days are counted, and how
    formula: Expression | None = None  # model A: the formula rule's expression
    minimum: Rule | None = None  # share_minimum, when the period's table sets a minimum
    minimum_percent: Decimal | None = None


def _check_kinds(table: RateTable, rules: tuple[Rule, ...]) -> tuple[dict[str, Rule], str | None]:
    """The rules of the kinds the period's model needs, or a bokmål message naming the gap.
    Two rules where one must apply is an overlap in the rules data: that stops the run."""
    needs = MODEL_REQUIREMENTS[table.model]
    chosen: dict[str, Rule] = {}
    gap = None
    for kind in needs["exactly_one"] + needs["at_least_one"]:
        of_kind = [r for r in rules if r.kind == kind]
        if kind in needs["exactly_one"] and len(of_kind) > 1:
            raise RulesError(
                f"rules {', '.join(r.id for r in of_kind)} all apply to one line in period {table.id}: "
                f"an overlap in the dated rules of kind {kind}"
            )
        if not of_kind:
            gap = gap or (
                f"ingen regel av typen {kind} gjelder linjen i perioden {table.id} (et hull i regelverket); "
                "linjen er ikke beregnet"
            )
        else:
            chosen[kind] = of_kind[0]
    seen: dict[str, str] = {}
    for r in rules:
        if r.kind == "element" and r.element:
            if r.element in seen:
                raise RulesError(
                    f"rules {seen[r.element]} and {r.id} both give element {r.element} in period {table.id}: an overlap"
                )
            seen[r.element] = r.id
    return chosen, gap


def _elements(plan: _Plan, part: "_Part", counted_start: date, months: int, method: str) -> tuple[ElementValue, ...]:
    """Model B: each element the rules gave, in order, at its maximum, by its rule's formula.
    The caps (expense, amount applied for) are applied afterwards per line or per doctor
    (grants.pipeline.caps)."""
    line, table = part.line, part.table
    values: dict[str, ElementValue] = {}
    for rule in plan.elements:
        name = rule.element or ""
        assert rule.formula is not None  # an element rule needs one (grants.rules.rulebook)
        window_start = _date_fact(part, rule.window_from) if rule.window_from else None
        if rule.window_from and window_start is None:
            raise RulesError(f"{rule.file}: rule {rule.id}: window_from {rule.window_from} is not given for row "
                             f"{part.row}; the rule's condition must require it")
        values[name] = element_value(
            name, rule.formula, table.element(name), table, line.position_share, months,
            (counted_start, part.end), method, window_start, values, None,  # type: ignore[arg-type]
        )
    return tuple(values.values())


def _date_fact(part: "_Part", name: str) -> date | None:
    """The value of a date fact (grants.rules.facts) for one part, as a date."""
    line = part.line
    return {
        "period_first_day": part.table.period.first_day, "part_start": part.start, "part_end": part.end,
        "line_start": line.start, "line_end": line.end, "agreement_signed": line.agreement_signed,
        "first_gp_date": line.first_gp_date,
    }[name]


def share_caps(ratebook: RateBook, rulebook: RuleBook) -> tuple[CapSpan, ...]:
    """Per period: the summed-share cap its share_cap rule reads from the rate table, in
    hundredths of a percent (grants.pipeline.overlaps)."""
    spans = []
    for table in ratebook.tables:
        rule = next(r for r in rulebook.valid_in(table.id) if r.kind == "share_cap")  # one: checked on load
        value = table.value(rule.parameter or "")
        assert value is not None  # checked on load
        hundredths = value * 100
        if hundredths != hundredths.to_integral_value():
            raise RateTableError(f"{table.file}: {rule.parameter}: {value} has more than two decimals")
        spans.append(CapSpan(table.period.first_day, table.period.last_day, int(hundredths), rule.id))
    return tuple(spans)


class Engine:
    """Loaded rates, rules and centrality data, and the compiled ruleset; reuse it."""

    def __init__(
        self,
        ratebook: RateBook | None = None,
        rulebook: RuleBook | None = None,
        centrality: CentralityRegistry | None = None,
        vector_threshold: int | None = VECTOR_THRESHOLD,
    ):
        self.ratebook = ratebook or RateBook.load()
        self.rulebook = rulebook or RuleBook.load(self.ratebook)
        self.centrality = centrality or CentralityRegistry()
        self.vector_threshold = vector_threshold
        for table in self.ratebook.tables:
            if not self.centrality.has(table.centrality.classification):
                raise RateTableError(
                    f"{table.file}: centrality.classification: unknown classification "
                    f"{table.centrality.classification!r}"
                )
        self._rules_by_key = self.rulebook.by_key
        self._rule_order = {r.key: i for i, r in enumerate(self.rulebook.rules)}
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}
        self._elements = {name for t in self.ratebook.tables for name in (t.elements or {})}
        self._hours_elements = {t.hours_element for t in self.ratebook.tables if t.hours_element}
        self.shared_days = shared_boundary_days((t.period.first_day, t.period.last_day) for t in self.ratebook.tables)
        self.share_caps = share_caps(self.ratebook, self.rulebook)
        self.runner: RuleRunner = runner_for(self.rulebook.digest, self.rulebook.definition)
        self.provenance = Provenance.of(self.ratebook, self.rulebook)  # version and data hashes in every result
        self._unused_inputs = {t.id: _unused_input_notes(self.rulebook, t.id) for t in self.ratebook.tables}
        self._verify_every_combination_is_priced()

    # -- public -----------------------------------------------------------------------------

    def compute(self, lines: Any, period: str | None = None, *, ignore_columns: Iterable[str] = (),
                sessions: SessionHours | None = None, evaluator: str = "auto") -> GrantResult:
        """Compute a batch. `lines`: a pandas DataFrame, a list of dicts or of LineInput.

        A column that matches no known header but resembles one stops the run (InputFileError)
        unless it is named in `ignore_columns`; the officer's other columns come back unchanged
        in `GrantResult.passthrough`. `sessions`: supervision hours per doctor and period
        (grants.pipeline.sessions.aggregate). `evaluator`: one of EVALUATORS; `GrantResult.evaluator`
        says which ran."""
        if evaluator not in EVALUATORS:
            raise ValueError(f"evaluator must be one of {', '.join(EVALUATORS)}, got {evaluator!r}")
        table = self.ratebook.get(period) if period is not None else None
        return self._compute(lines, table, tuple(ignore_columns), sessions, evaluator)

    @exact
    def _compute(self, lines: Any, table: RateTable | None, ignore_columns: tuple[str, ...] = (),
                 sessions: SessionHours | None = None, evaluator: str = "auto") -> GrantResult:
        valid, rejections, ignored, columns = _normalise(lines, self._elements, ignore_columns)
        n_rows = len(valid) + len(rejections)
        valid, duplicates = _reject_duplicates(valid)
        rejections.extend(duplicates)
        valid, hours_rejections = _reject_hours_and_expense(valid, columns, self._hours_elements)
        rejections.extend(hours_rejections)
        valid, overlap_rejections = _reject_overlapping_shares(valid, columns, self.shared_days, self.share_caps)
        rejections.extend(overlap_rejections)

        parts: list[_Part] = []
        for row, line in valid:
            split = self._split(row, line, table, columns)
            if isinstance(split, Rejection):
                rejections.append(split)
            elif len(split) > 1 and has_cap_input(line) and any(p.table.model == "B" for p in split):
                rejections.append(_spanning_expense(row, line, split, columns))
            else:
                parts.extend(split)

        results: list[LineResult] = []
        bad_rows: dict[int, Rejection] = {}
        if evaluator == "auto":
            vectorised = self.vector_threshold is not None and len(parts) >= self.vector_threshold
        else:
            vectorised = evaluator == "vectorised"
        if vectorised:
            from grants.rules import fire_columns as vec

            def fire(facts: list[dict[str, Any]], labels: Sequence[str] | None = None) -> list[list[str]]:
                return vec.fire(self.rulebook, facts)
        else:
            fire = self.runner.fire
        for offset in range(0, len(parts), _CHUNK):
            chunk = parts[offset : offset + _CHUNK]
            fired = fire([_facts(p) for p in chunk], labels=[f"row {p.row}, period {p.table.id}" for p in chunk])
            if len(fired) != len(chunk):
                raise ConservationError(f"posted {len(chunk)} facts, got {len(fired)} outcomes back")
            for part, names in zip(chunk, fired):
                outcome = self._price(part, names)
                if isinstance(outcome, Rejection):
                    bad_rows.setdefault(part.row, outcome)
                else:
                    results.append(outcome)
        if bad_rows:
            results = [r for r in results if r.row not in bad_rows]
            rejections.extend(bad_rows.values())
        results, cap_rejections, batch_notes = apply_caps(results, columns, sessions, self._element_rule_text)
        rejections.extend(cap_rejections)

        results = _name_spellings(_name_split_months(results))
        results.sort(key=lambda r: (r.row, r.table.period.first_day))
        rejections.sort(key=lambda r: r.row)
        _prove_conservation(n_rows, results, rejections)
        used = {table.id: table} if table is not None else {}
        ran = "vectorised" if vectorised else "durable_rules"
        if sessions is not None:
            batch_notes = sessions.file_notes + sessions.duplicates + sessions.not_paid + batch_notes
        return GrantResult(results, rejections, n_rows, ignored, used, evaluator=ran, notes=batch_notes,
                           passthrough=_passthrough(columns, self._elements), provenance=self.provenance)

    def _element_rule_text(self, period: str, element: str) -> str | None:
        """The bokmål text of the rule that gives an element in a period (for notes)."""
        for r in self.rulebook.valid_in(period):
            if r.kind == "element" and r.element == element:
                return rule_text(r, self.ratebook.get(period))
        return None

    # -- steps ------------------------------------------------------------------------------

    def _split(self, row: int, line: LineInput, table: RateTable | None, columns: _Columns) -> list[_Part] | Rejection:
        """The line's parts: clipped to the named period, or split across every period it
        touches. A line outside the named period is one empty part (0 months), not an error."""
        if table is not None:
            tables = [table]
            notes: tuple[str, ...] = ()
            first, last = table.period.first_day, table.period.last_day
            if line.end < first or line.start > last:
                fits = tuple(t.id for t in self.ratebook.overlapping(line.start, line.end))
                where = (f"den hører til {'perioden' if len(fits) == 1 else 'periodene'} {', '.join(fits)}"
                         if fits else "ingen kjent periode dekker den")
                outside = (f"linjen ({line.start:%d.%m.%Y}–{line.end:%d.%m.%Y}) ligger utenfor perioden "
                           f"{table.id} ({first:%d.%m.%Y}–{last:%d.%m.%Y}) og er ikke beregnet for den; {where}")
            else:
                outside, fits = None, ()
            if outside is None and (line.start < first or line.end > last):
                notes = (
                    f"linjen ({line.start:%d.%m.%Y}–{line.end:%d.%m.%Y}) er klippet til perioden {table.id} "
                    f"({first:%d.%m.%Y}–{last:%d.%m.%Y}); tid utenfor perioden er ikke tatt med",
                )
        else:
            outside, fits = None, ()
            tables = self.ratebook.overlapping(line.start, line.end)
            if not tables:
                return Rejection(
                    row, f"{columns.name('start')}/{columns.name('end')}",
                    f"{columns.raw(row, 'start', line.start)}–{columns.raw(row, 'end', line.end)}",
                    "ingen satstabell dekker tidsrommet; kjente perioder: "
                    + ", ".join(f"{t.id} ({t.period.first_day:%d.%m.%Y}–{t.period.last_day:%d.%m.%Y})" for t in self.ratebook.tables),
                    line.alis_id, line.kommunenummer,
                )
            notes = _uncovered_notes(line, tables)
        parts = []
        for t in tables:
            muni = self.centrality.lookup(line.kommunenummer, t.centrality.classification, t.centrality.preferred_codes)
            if muni is None:
                return Rejection(
                    row, columns.name("kommunenummer"), columns.raw(row, "kommunenummer", line.kommunenummer),
                    f"ukjent kommunenummer (finnes ikke i {self.centrality.titles[t.centrality.classification]}, "
                    "verken med 2020–2023- eller 2024-kommunenumre)",
                    line.alis_id, line.kommunenummer,
                )
            parts.append(_Part(row, line, t, max(line.start, t.period.first_day), min(line.end, t.period.last_day), muni,
                               notes, fits, outside))
        if table is None and len(parts) > 1:
            # Periods may share their boundary day (2022 and 2023 share 2022-10-01). When the
            # line is split, that day is counted once: in the later period (where its month is
            # whole), unless the line ends on it. A part left with no days is dropped instead of
            # becoming an empty line.
            kept: list[_Part] = []
            for p in parts:
                if kept and kept[-1].end >= p.start:
                    prev = kept[-1]
                    if p.start == p.end:
                        continue  # the line ends on the shared day: it stays in the earlier part
                    note = f"dagen {p.start:%d.%m.%Y} hører også til perioden {p.table.id} og er regnet der"
                    kept[-1] = replace(prev, end=p.start - _DAY, notes=prev.notes + (note,))
                    if kept[-1].start > kept[-1].end:
                        kept.pop()
                kept.append(p)
            parts = kept
            if len(parts) > 1:
                periods = ", ".join(p.table.id for p in parts)
                parts = [
                    replace(p, notes=p.notes + (
                        f"linjen er delt ved periodegrensene ({periods}); denne delen gjelder perioden {p.table.id}",
                    ))
                    for p in parts
                ]
        return parts

    def _plan(self, table: RateTable, names: list[str]) -> "_Plan":
        """What a set of fired rules means for a period: cached, as few distinct sets occur."""
        key = (table.id, tuple(names))
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        rules = tuple(sorted((self._rules_by_key[n] for n in names), key=lambda r: self._rule_order[r.key]))
        # a minimum share the period's table leaves empty does not apply, and is not shown
        minimum = next((r for r in rules if r.kind == "share_minimum"), None)
        minimum_percent = table.value(minimum.parameter or "") if minimum is not None else None
        if minimum is not None and minimum_percent is None:
            rules = tuple(r for r in rules if r is not minimum)
            minimum = None
        # the cap on a doctor's summed share is checked over the batch before pricing (its
        # rejections name the rule); it is not a step of one line's computation
        rules = tuple(r for r in rules if r.kind != "share_cap")
        chosen, gap = _check_kinds(table, rules)
        clip_facts = tuple(r.to_fact for r in rules if r.kind == "clip_start" and r.to_fact)
        reasons = tuple(rule_text(r, table) for r in rules if r.kind == "exclude")
        notes = tuple(rule_text(r, table) for r in rules if r.kind == "note")
        steps = dict(months_rule=chosen.get("count_months"), minimum=minimum, minimum_percent=minimum_percent)
        if gap is not None:
            plan = _Plan(rules, gap, clip_facts, reasons, notes, **steps)
        elif table.model == "A":
            group = chosen["select_centrality_group"].group
            rate_path = chosen["select_rate"].rate
            assert group is not None and rate_path is not None
            plan = _Plan(rules, None, clip_facts, reasons, notes, group=group, rate_path=rate_path,
                         annual=table.rate(rate_path, group).amount, formula=chosen["formula"].formula, **steps)
        else:
            # shares of other elements are computed after the elements they are shares of
            elements = tuple(sorted(
                (r for r in rules if r.kind == "element"),
                key=lambda r: table.element(r.element or "").share_of is not None,
            ))
            plan = _Plan(rules, None, clip_facts, reasons, notes, elements=elements, **steps)
        self._plans[key] = plan
        return plan

    def _price(self, part: _Part, names: list[str]) -> LineResult | Rejection:
        """Interpret the rules that fired for one part and compute its amount."""
        line, table = part.line, part.table
        plan = self._plan(table, names)
        if plan.gap is not None:
            return Rejection(part.row, None, None, plan.gap, line.alis_id, line.kommunenummer)
        # the count_months rule says which days are counted and how (checked: exactly one)
        counted_start = part.start
        if plan.months_rule is None or plan.months_rule.count_from in (None, "counted_start"):
            for name in plan.clip_facts:
                counted_start = max(counted_start, getattr(line, name))
        method = counted_by(plan.rules, table)
        months = whole_months(counted_start, part.end, method)

        if part.outside is not None:
            return _outside_period(part)
        notes = part.notes + plan.notes + tuple(
            text for given, text in self._unused_inputs[table.id] if given(line))
        reasons = plan.reasons
        minimum = plan.minimum_percent
        if not reasons and plan.minimum is not None and minimum is not None and line.position_share < minimum:
            reasons = (f"{rule_text(plan.minimum, table)} Stillingsandelen er {number_nb(line.position_share)} % "
                       f"(regel {plan.minimum.id}, satstabellen for {table.id}).",)
        elements: tuple[ElementValue, ...] = ()
        if reasons:
            exact, amount, status = _ZERO, 0, Status.INELIGIBLE
            if table.model == "B":
                notes += line_notes(table, line, False, ())
        elif table.model == "A":
            assert plan.annual is not None and plan.formula is not None
            exact = model_a_amount(plan.formula, plan.annual, line.position_share, months, table)
            amount, status = to_kroner(exact), Status.OK
            if has_cap_input(line):
                notes += (f"utgifter, veiledningstimer og søkte beløp brukes ikke i perioden {table.id} (faste satser)",)
        else:
            elements = _elements(plan, part, counted_start, months, method)
            notes += line_notes(table, line, True, elements)  # at the maxima; grants.pipeline.caps redoes them for an expense
            exact = sum((e.granted for e in elements), _ZERO)
            amount, status = sum(e.amount_nok for e in elements), Status.OK
        cls = line.centrality_class if line.centrality_class is not None else part.municipality.centrality_class
        if line.centrality_class is not None and line.centrality_class != part.municipality.centrality_class:
            notes += (f"sentralitetsklasse {line.centrality_class} er oppgitt i søknaden og brukt i stedet for SSBs "
                      f"klasse {part.municipality.centrality_class} for {part.municipality.name}",)
        return LineResult(
            row=part.row,
            line=line,
            period=table.id,
            table=table,
            counted_start=counted_start,
            counted_end=part.end,
            whole_months=months,
            kommunenavn=part.municipality.name,
            centrality_class=cls,
            centrality_source="input" if line.centrality_class is not None else "ssb",
            ssb_class=part.municipality.centrality_class,
            code_set=part.municipality.code_set,
            centrality_group=plan.group,
            rate_path=plan.rate_path,
            annual_rate=plan.annual,
            exact_amount=exact,
            amount_nok=amount,
            status=status,
            reasons=reasons,
            rules=plan.rules,
            notes=notes,
            elements=elements,
        )

    def _verify_every_combination_is_priced(self) -> None:
        """Post every grant type x role x class in every period (with and without the optional
        facts rules test for) and require what the period's model requires (exactly one rate,
        group, month count and formula in model A; one month count and at least one element,
        none twice, in model B), so a gap or overlap in the dated rules is caught on load.
        The probes run through the column evaluator (grants.rules.fire_columns), which the
        differential tests hold to durable_rules' answer (tests/test_startup.py for these very
        probes): cheaper at every start than posting each probe through durable_rules."""
        from grants.rules import fire_columns

        probes = self._price_probes()
        fired = fire_columns.fire(self.rulebook, [f for _, _, f in probes])
        for (table, label, _), names in zip(probes, fired):
            rules = tuple(self._rules_by_key[n] for n in names)
            try:
                _, gap = _check_kinds(table, rules)
            except RulesError as exc:
                raise RulesError(f"period {table.id}, {label[0]}, {label[1]}, centrality class {label[2]}: {exc}") from None
            if gap is not None:
                raise RulesError(f"period {table.id}, {label[0]}, {label[1]}, centrality class {label[2]}: {gap}")

    def _price_probes(self) -> list[tuple[RateTable, tuple[str, str, int], dict[str, Any]]]:
        """The facts `_verify_every_combination_is_priced` posts: (table, label, facts)."""
        probes = []
        for table in self.ratebook.tables:
            p = table.period
            for gt in GrantType:
                for role in Role:
                    for cls in range(1, 7):
                        for optional in ({}, {"first_gp_date": date_int(p.first_day)}):
                            probes.append((table, (gt.value, role.value, cls), {
                                "period_first_day": date_int(p.first_day), "part_start": date_int(p.first_day),
                                "part_end": date_int(p.last_day), "line_start": date_int(p.first_day),
                                "line_end": date_int(p.last_day), "line_whole_months": 12, "line_has_extra_days": True,
                                "grant_type": gt.value, "role": role.value, "centrality_class": cls, "position_share": 10000,
                                "via_agency": False, "private_commercial": False, "new_scheme": True, **optional,
                            }))
        return probes


# -- helpers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Columns:
    """The user's names for the fields, and the raw values as written, for error messages."""

    names: dict[str, str]
    records: Sequence[Any]
    own: tuple[str, ...] = ()  # the officer's own columns, in input order

    def name(self, field: str) -> str:
        return self.names.get(field, field)

    def raw(self, row: int, field: str, fallback: Any) -> str:
        rec = self.records[row - 1] if self.records else None
        if isinstance(rec, Mapping) and field in self.names:
            value = rec.get(self.names[field])
            if value is not None:
                return str(value).strip()
        return str(fallback)


def _normalise(lines: Any, elements: Iterable[str], ignore_columns: tuple[str, ...] = ()) -> tuple[list[tuple[int, LineInput]], list[Rejection], tuple[str, ...], _Columns]:
    """Rows from any accepted shape, numbered from 1, validated one by one."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(lines, pd.DataFrame):
        header = map_header(lines.columns, elements, ignore_columns)
        records: Sequence[Any] = lines.to_dict("records")
    else:
        records = list(lines)
        header = None
        if any(not isinstance(r, LineInput) for r in records):
            keys: dict[str, None] = {}
            for r in records:
                if isinstance(r, Mapping):
                    keys.update(dict.fromkeys(map(str, r)))
            header = map_header(keys, elements, ignore_columns)
    valid: list[tuple[int, LineInput]] = []
    rejections: list[Rejection] = []
    for i, rec in enumerate(records, start=1):
        if isinstance(rec, LineInput):
            valid.append((i, rec))
            continue
        if not isinstance(rec, Mapping):
            rejections.append(Rejection(i, None, repr(rec)[:80], "raden er verken en tabellrad (dict) eller en LineInput"))
            continue
        assert header is not None
        out = validate_row(i, rec, header)
        if isinstance(out, Rejection):
            rejections.append(out)
        else:
            valid.append((i, out))
    columns = _Columns(header.field_to_column if header else {}, records,
                       (header.own_columns + header.ignored) if header else ())
    return valid, rejections, header.ignored if header else (), columns


def _passthrough(columns: _Columns, elements: Iterable[str]) -> dict[str, list[Any]]:
    """The officer's own columns, value per data row, under a name that cannot clash with an
    output column (a clash gets the suffix « (inndata)»)."""
    if not columns.own:
        return {}
    from grants.pipeline.results import LINE_COLUMNS

    taken = set(LINE_COLUMNS) | {"file_line", "basis"} | {f"{e}_nok" for e in elements}
    out: dict[str, list[Any]] = {}
    for name in columns.own:
        label = name if name not in taken else f"{name} (inndata)"
        values = []
        for rec in columns.records:
            value = rec.get(name) if isinstance(rec, Mapping) else None
            values.append(None if value is None or (isinstance(value, float) and value != value) else value)
        out[label] = values
    return out


def _reject_overlapping_shares(
    valid: list[tuple[int, LineInput]], columns: _Columns, shared_days: frozenset[date], caps: tuple[CapSpan, ...]
) -> tuple[list[tuple[int, LineInput]], list[Rejection]]:
    """Lines of one doctor that overlap in time with a summed share above the cap of the
    period's share_cap rule are rejected, each naming the rows it collides with and the rule
    (grants.pipeline.overlaps)."""
    clashes = overlapping(
        ((doctor, row, line.start, line.end, decimal_int(line.position_share, 2))
         for (row, line), doctor in zip(valid, doctor_keys([line.alis_id for _, line in valid]))),
        shared_days, caps,
    )
    if not clashes:
        return valid, []
    shares = {row: line.position_share for row, line in valid}
    kept, rejected = [], []
    for row, line in valid:
        clash = clashes.get(row)
        if clash is not None:
            others = ", ".join(f"rad {r} ({format_percent(shares[r])})" for r in clash.others)
            rejected.append(Rejection(
                row, columns.name("position_share"), columns.raw(row, "position_share", line.position_share),
                f"overlapper i tid med {others} for samme lege ({line.alis_id}); i tiden "
                f"{clash.first_day:%d.%m.%Y}–{clash.last_day:%d.%m.%Y} er stillingsandelene med denne linjens "
                f"{format_percent(line.position_share)} til sammen {format_percent(Decimal(clash.total) / 100)}, over "
                f"{format_percent(Decimal(clash.cap) / 100)} (regel {clash.rule})",
                line.alis_id, line.kommunenummer,
            ))
        else:
            kept.append((row, line))
    return kept, rejected


_OPTIONAL_FACTS = {
    # input field given (not its default) -> how it reads
    "via_agency": (lambda line: line.via_agency, "via vikarbyrå = ja"),
    "private_commercial": (lambda line: line.private_commercial, "privat kommersiell aktør = ja"),
    "new_scheme": (lambda line: not line.new_scheme, "ny spesialistordning = nei"),
    "agreement_signed": (lambda line: line.agreement_signed is not None, "datoen ALIS-avtalen ble signert"),
    "first_gp_date": (lambda line: line.first_gp_date is not None, "første dag som fastlege/vikar"),
}


def _unused_input_notes(rulebook: RuleBook, period: str) -> list[tuple[Any, str]]:
    """For each optional input that no rule of the period tests: when a line gives it, a note
    that says it does not count here (and from when a rule does use it), so an input the
    officer filled in is never ignored without a word (privat kommersiell = ja in 2023)."""
    from grants.rules.conditions import facts_named

    used = set()
    for r in rulebook.valid_in(period):
        if r.when is not None:
            used |= facts_named(r.when)
    order = rulebook.ratebook.period_ids
    out = []
    for fact, (given, words) in _OPTIONAL_FACTS.items():
        if fact in used:
            continue
        elsewhere = sorted({r.valid_from for r in rulebook.rules if r.when is not None and fact in facts_named(r.when)},
                           key=order.index)
        when = f" (regler som bruker den gjelder fra {elsewhere[0]})" if elsewhere else ""
        out.append((given, f"{words} er oppgitt, men ingen regel i perioden {period} bruker den{when}; "
                           "den påvirker ikke beløpet"))
    return out


def _outside_period(part: _Part) -> LineResult:
    """A line with no day in the period asked for: status outside_period, 0 kr, no counted
    dates, and a reason that names the period it fits."""
    line, table = part.line, part.table
    cls = line.centrality_class if line.centrality_class is not None else part.municipality.centrality_class
    return LineResult(
        row=part.row, line=line, period=table.id, table=table, counted_start=None, counted_end=None,
        whole_months=0, kommunenavn=part.municipality.name, centrality_class=cls,
        centrality_source="input" if line.centrality_class is not None else "ssb",
        ssb_class=part.municipality.centrality_class, code_set=part.municipality.code_set,
        centrality_group=None, rate_path=None, annual_rate=None, exact_amount=_ZERO, amount_nok=0,
        status=Status.OUTSIDE_PERIOD, reasons=(part.outside,), rules=(), notes=part.notes,
        line_periods=part.fits,
    )


def _reject_duplicates(valid: list[tuple[int, LineInput]]) -> tuple[list[tuple[int, LineInput]], list[Rejection]]:
    """Exact copies of a line (same doctor, municipality, dates, share, role and every other
    field: a copy-paste) would be paid twice: the copies are rejected, naming the first."""
    first: dict[tuple[Any, ...], tuple[int, str]] = {}
    kept, rejected = [], []
    doctors = doctor_keys([line.alis_id for _, line in valid])
    for (row, line), doctor in zip(valid, doctors):
        key = (doctor,) + tuple(tuple(sorted(v.items())) if isinstance(v, dict) else v
                                for k, v in line.__dict__.items() if k != "alis_id")
        if key in first:
            first_row, first_id = first[key]
            spelled = "" if first_id == line.alis_id else (
                f"; legen er skrevet «{first_id}» der og «{line.alis_id}» her, som er samme lege-id")
            rejected.append(Rejection(
                row, None, None,
                f"raden er en kopi av rad {first_row} (samme lege, kommune, tidsrom, rolle, tilskuddstype "
                f"og stillingsandel) og ville gitt tilskudd to ganger; kopien er ikke tatt med{spelled}. "
                "Skriv linjen én gang",
                line.alis_id, line.kommunenummer,
            ))
        else:
            first[key] = (row, line.alis_id)
            kept.append((row, line))
    return kept, rejected


def _name_spellings(results: list[LineResult]) -> list[LineResult]:
    """Lines whose doctor is written in more than one way get a note naming the spellings."""
    spellings: dict[str, set[str]] = {}
    for r in results:
        spellings.setdefault(doctor_key(r.alis_id), set()).add(r.alis_id)
    mixed = {k: v for k, v in spellings.items() if len(v) > 1}
    if not mixed:
        return results
    out = []
    for r in results:
        names = mixed.get(doctor_key(r.alis_id))
        if names:
            listed = ", ".join(f"«{n}»" for n in sorted(names))
            r = replace(r, notes=r.notes + (f"legen er skrevet på flere måter i filen ({listed}); de er regnet som "
                                            "samme lege i kontrollen av kopier og overlapp",))
        out.append(r)
    return out


def _reject_hours_and_expense(
    valid: list[tuple[int, LineInput]], columns: _Columns, hours_elements: set[str]
) -> tuple[list[tuple[int, LineInput]], list[Rejection]]:
    """A row with both supervision hours and the expense they price is ambiguous: which one
    is the expense? The row is rejected naming both columns."""
    kept, rejected = [], []
    for row, line in valid:
        clash = sorted(e for e in hours_elements if e in line.expenses) if line.supervision_hours is not None else []
        if clash:
            hours_col, expense_col = columns.name("supervision_hours"), columns.name(f"expense:{clash[0]}")
            rejected.append(Rejection(
                row, f"{hours_col}/{expense_col}",
                f"{columns.raw(row, 'supervision_hours', line.supervision_hours)}/"
                f"{columns.raw(row, f'expense:{clash[0]}', line.expenses[clash[0]])}",
                f"både «{hours_col}» og «{expense_col}» er oppgitt: det er uklart hvilken som er utgiften til "
                f"{clash[0]}; oppgi bare én av dem",
                line.alis_id, line.kommunenummer,
            ))
        else:
            kept.append((row, line))
    return kept, rejected


def _name_split_months(results: list[LineResult]) -> list[LineResult]:
    """A doctor's share changes inside a month (one line ends on the 15th, the next starts on
    the 16th): with calendar months that month is whole in neither line, so neither pays it.
    No source says whether it should be paid pro rata (docs/DOMAIN.md §5): name the month in
    both lines' reason so the officer sees it and can ask."""
    by_doctor: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(results):
        if r.status is Status.OK and counted_by(r.rules, r.table) == "calendar" and r.counted_start is not None:
            by_doctor.setdefault((doctor_key(r.alis_id), r.period), []).append(i)
    extra: dict[int, list[str]] = {}
    for idx in by_doctor.values():
        if len(idx) < 2:
            continue
        idx.sort(key=lambda i: results[i].counted_start)
        for a, b in zip(idx, idx[1:]):
            ra, rb = results[a], results[b]
            end, start = ra.counted_end, rb.counted_start
            if start != end + _DAY or start.day == 1:
                continue
            month = f"{MONTH_NB[end.month - 1]} {end.year}"
            text = (f"måneden {month} er delt mellom rad {ra.row} (til {end:%d.%m.%Y}) og rad {rb.row} "
                    f"(fra {start:%d.%m.%Y}) og er hel på ingen av linjene, så den er ikke betalt på noen av dem; "
                    "ingen kilde sier om en slik måned skal betales forholdsmessig")
            extra.setdefault(a, []).append(text)
            extra.setdefault(b, []).append(text)
    if not extra:
        return results
    return [replace(r, notes=r.notes + tuple(extra[i])) if i in extra else r for i, r in enumerate(results)]



def _spanning_expense(row: int, line: LineInput, parts: list[_Part], columns: _Columns) -> Rejection:
    """A line split across periods cannot say which period its expense is for."""
    fields = [f"expense:{n}" for n in sorted(line.expenses)] + [
        f for f in ("supervision_hours", "centrality_supplement_applied", "productivity_applied") if getattr(line, f) is not None
    ]
    first = fields[0]
    value = line.expenses.get(first[len("expense:"):]) if first.startswith("expense:") else getattr(line, first)
    periods = " og ".join(p.table.id for p in parts)
    return Rejection(
        row, columns.name(first), columns.raw(row, first, value),
        f"linjen ({line.start:%d.%m.%Y}–{line.end:%d.%m.%Y}) går over periodene {periods}, og det er uklart hvilken "
        "periode utgiften eller det søkte beløpet gjelder; del linjen ved periodegrensen, eller beregn med --period",
        line.alis_id, line.kommunenummer,
    )


def _uncovered_notes(line: LineInput, tables: list[RateTable]) -> tuple[str, ...]:
    """Say which days of the line no rate table covers, so nothing is dropped silently."""
    gaps = []
    cursor = line.start
    for t in tables:
        if t.period.first_day > cursor:
            gaps.append((cursor, min(t.period.first_day - _DAY, line.end)))
        cursor = max(cursor, t.period.last_day + _DAY)
    if cursor <= line.end:
        gaps.append((cursor, line.end))
    return tuple(
        f"tiden {a:%d.%m.%Y}–{b:%d.%m.%Y} er ikke beregnet: ingen satstabell dekker den" for a, b in gaps
    )


def _facts(part: _Part) -> dict[str, Any]:
    line = part.line
    cls = line.centrality_class if line.centrality_class is not None else part.municipality.centrality_class
    return part_facts(line, part.table, part.start, part.end, cls)


def _prove_conservation(n_rows: int, results: list[LineResult], rejections: list[Rejection]) -> None:
    """Every input row: one or more results (one per period part) or exactly one rejection."""
    computed = {r.row for r in results}
    rejected = [r.row for r in rejections]
    problems = []
    if len(set(rejected)) != len(rejected):
        problems.append("a row was rejected twice")
    if computed & set(rejected):
        problems.append(f"rows both computed and rejected: {sorted(computed & set(rejected))[:10]}")
    if computed | set(rejected) != set(range(1, n_rows + 1)):
        missing = sorted(set(range(1, n_rows + 1)) - computed - set(rejected))
        problems.append(f"rows without any outcome: {missing[:10]}")
    if problems:
        raise ConservationError("; ".join(problems))


@functools.lru_cache(maxsize=1)
def default_engine() -> Engine:
    """The engine on the shipped data, built once per process."""
    return Engine()


def compute(lines: Any, period: str | None = None, *, engine: Engine | None = None,
            ignore_columns: Iterable[str] = (), sessions: SessionHours | None = None,
            evaluator: str = "auto") -> GrantResult:
    """Compute the grant for a batch of lines; see `Engine.compute`."""
    return (engine or default_engine()).compute(lines, period, ignore_columns=ignore_columns, sessions=sessions,
                                                evaluator=evaluator)
