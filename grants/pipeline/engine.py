"""The engine: input lines in, one result per row and period (or one rejection) out.

No I/O happens here beyond loading the project's own data files once. The flow per batch:
validate rows -> check overlapping shares per doctor -> split each line by grant period ->
resolve centrality -> derive facts -> run the rules in durable_rules (or over columns: their
numpy compilation, for large batches and where durable_rules is not installed) -> price -> prove
that every row produced results or exactly one rejection.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from typing import Any, Iterable, Sequence

import numpy as np

from grants.pipeline import checks
from grants.pipeline.codes import combine, factorize, groups
from grants.days import NO_DAY, date_of, day_number
from grants.pipeline.columns import InputColumns, normalise
from grants.rates.centrality import CentralityRegistry, Municipality
from grants.rules.conditions import Coded, FactColumns, mask_function
from grants.domain import GrantType, Role, Status
from grants.rules import durable_adapter
from grants.rules.durable_adapter import RuleRunner, runner_for
from grants.errors import ConservationError, EvaluatorUnavailableError, RateTableError, RulesError
from grants.rules.facts import FACTS, date_int, part_facts
from grants.pipeline.caps import apply_caps, has_cap_input, line_notes
from grants.rules.formulas import ElementValue, Expression, element_value, model_a_amount
from grants.pipeline.inputs import LineInput, Rejection
from grants.money import as_decimal, exact, to_kroner
from grants.months import whole_months
from grants.rules.rulebook import counted_by
from grants.pipeline.overlaps import CapSpan, shared_boundary_days
from grants.pipeline.provenance import Provenance
from grants.rates.tables import RateBook, RateTable
from grants.pipeline.results import GrantResult, LineResult, ResultColumns
from grants.rules.rulebook import MODEL_REQUIREMENTS, Rule, RuleBook
from grants.rules.ruletext import number_nb, rule_text
from grants.pipeline.sessions import SessionHours, SessionRows, session_hours

_ZERO = Decimal(0)
_CHUNK = 10_000
"""Parts turned into facts and priced at a time, so the facts of a large batch never all exist."""
VECTOR_THRESHOLD = 50_000
"""From this many line parts a batch's rules are evaluated over columns (grants.rules.fire_columns.fire)
instead of through durable_rules: the same rules files, the same answer (tested), faster."""
_DAY = timedelta(days=1)
EVALUATORS = ("auto", "durable", "vectorised")
"""`compute(..., evaluator=...)`: auto (durable_rules below `vector_threshold` line parts,
vectorised from there; vectorised always where durable_rules is not installed, as on Python 3.13
and later), or one of the two always. Both give the same answer (tests/test_conditions*)."""


def evaluator_in_use(vector_threshold: int | None = VECTOR_THRESHOLD) -> str:
    """Which evaluator `evaluator="auto"` runs in this interpreter, in bokmål, for the screens
    that say so (`alis-grant --version`, `rates list`); not printed on every run."""
    if durable_adapter.available():
        if vector_threshold is None:
            return "Regelmotor: durable_rules."
        size = f"{vector_threshold:,}".replace(",", " ")
        return f"Regelmotor: durable_rules (fra {size} linjedeler evalueres reglene kolonnevis med numpy: samme regler, samme svar)."
    return (f"Regelmotor: numpy (reglene evalueres kolonnevis, «vectorised»: samme regler, samme svar). "
            f"{durable_adapter.unavailable_reason()}.")


def _durable_unavailable() -> EvaluatorUnavailableError:
    return EvaluatorUnavailableError(
        f"evaluator «durable» kan ikke brukes her: {durable_adapter.unavailable_reason()}. Bruk evaluator «auto» "
        "eller «vectorised» (på kommandolinjen --evaluator auto eller vectorised): de evaluerer de samme reglene "
        "kolonnevis med numpy og gir samme svar (testene holder dem like der begge finnes)."
    )


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
        self.runner: RuleRunner | None = (runner_for(self.rulebook.digest, self.rulebook.definition)
                                          if durable_adapter.available() else None)
        """durable_rules' compiled ruleset, or None where durable_rules is not installed."""
        self.provenance = Provenance.of(self.ratebook, self.rulebook)  # version and data hashes in every result
        self._unused_inputs = {t.id: _unused_input_notes(self.rulebook, t.id) for t in self.ratebook.tables}
        self._verify_every_combination_is_priced()

    # -- public -----------------------------------------------------------------------------

    def compute(self, lines: Any, period: str | None = None, *, ignore_columns: Iterable[str] = (),
                sessions: SessionRows | None = None, evaluator: str = "auto") -> GrantResult:
        """Compute a batch. `lines`: a pandas DataFrame, a list of dicts or of LineInput.

        A column that matches no known header but resembles one stops the run (InputFileError)
        unless it is named in `ignore_columns`; the officer's other columns come back unchanged
        in `GrantResult.passthrough`. `sessions`: the supervision sessions, as rows of a sessions
        file (dicts or a DataFrame, read by the file's parser and summed per doctor and period by
        grants.pipeline.sessions.aggregate); a file is read by `grants.compute`. `evaluator`: one
        of EVALUATORS; `GrantResult.evaluator` says which ran. `evaluator="durable"` where
        durable_rules is not installed (Python 3.13 and later) raises EvaluatorUnavailableError
        saying why and what to use."""
        if evaluator not in EVALUATORS:
            raise ValueError(f"evaluator must be one of {', '.join(EVALUATORS)}, got {evaluator!r}")
        table = self.ratebook.get(period) if period is not None else None
        hours = session_hours(sessions, self.ratebook, period)
        return self._compute(lines, table, tuple(ignore_columns), hours, evaluator)

    @exact
    def _compute(self, lines: Any, table: RateTable | None, ignore_columns: tuple[str, ...] = (),
                 sessions: SessionHours | None = None, evaluator: str = "auto", columnar: bool = True) -> GrantResult:
        """The pipeline over columns. Lines that fit the batch path (one part in one model A
        period) stay columns from input to result; lines split across periods and model B
        lines are priced one by one (`_price`) from the same fired rules. `columnar=False`
        sends every line the one-by-one way: the differential tests hold the two to one answer."""
        if evaluator == "durable" and self.runner is None:
            raise _durable_unavailable()
        cols = normalise(lines, self._elements, ignore_columns)
        n_rows = cols.n
        rejections = list(cols.rejections)
        alive = cols.valid.copy()
        for check in (checks.reject_copies, self._reject_hours_and_expense, self._reject_overlaps):
            found = check(cols, alive)
            for rej in found:
                alive[rej.row - 1] = False
            rejections.extend(found)

        batch, one_by_one = self._batch_parts(cols, alive, table, columnar)
        rejections.extend(batch.rejections)
        parts: list[_Part] = []
        for row in one_by_one:
            line = cols.line(row)
            split = self._split(row, line, table, cols)
            if isinstance(split, Rejection):
                rejections.append(split)
            elif len(split) > 1 and has_cap_input(line) and any(p.table.model == "B" for p in split):
                rejections.append(_spanning_expense(row, line, split, cols))
            else:
                parts.extend(split)

        if self.runner is None:  # no durable_rules here ("durable" was refused above)
            vectorised = True
        elif evaluator == "auto":
            vectorised = self.vector_threshold is not None and len(parts) + batch.n >= self.vector_threshold
        else:
            vectorised = evaluator == "vectorised"
        fired_batch = self._fire_batch(cols, batch, vectorised)
        fire = self._fire_vectorised if vectorised else self.runner.fire  # type: ignore[union-attr]

        # the batch path: model B parts and gaps leave it for one-by-one pricing / rejection
        priced = self._price_batch(cols, batch, fired_batch)
        rejections.extend(priced.rejections)
        parts.extend(priced.parts)
        part_names = priced.names

        results: list[LineResult] = []
        bad_rows: dict[int, Rejection] = {}
        pending = [p for p in parts if id(p) not in part_names]
        fired = _fire_chunked(fire, len(pending), lambda a, b: (
            [_facts(p) for p in pending[a:b]], [f"row {p.row}, period {p.table.id}" for p in pending[a:b]]))
        part_names.update((id(p), names) for p, names in zip(pending, fired))
        for part in parts:
            outcome = self._price(part, part_names[id(part)])
            if isinstance(outcome, Rejection):
                bad_rows.setdefault(part.row, outcome)
            else:
                results.append(outcome)
        if bad_rows:
            results = [r for r in results if r.row not in bad_rows]
            rejections.extend(bad_rows.values())
        results, cap_rejections, batch_notes = apply_caps(results, cols, sessions, self._element_rule_text, self._place)
        rejections.extend(cap_rejections)

        results.sort(key=lambda r: (r.row, r.table.period.first_day))
        table_columns = priced.columns
        results, table_columns = _name_split_months_and_spellings(results, table_columns, cols)
        rejections.sort(key=lambda r: r.row)
        _prove_conservation(n_rows, results, table_columns, rejections)
        used = {table.id: table} if table is not None else {}
        ran = "vectorised" if vectorised else "durable_rules"
        if sessions is not None:
            batch_notes = sessions.file_notes + batch_notes
        result = GrantResult(results, rejections, n_rows, cols.header.ignored if cols.header else (), used,
                             evaluator=ran, notes=batch_notes, passthrough=_passthrough(cols, self._elements),
                             provenance=self.provenance)
        if table_columns is not None:
            result.table = self._result_columns(cols, table_columns, batch.muni_list)
        return result

    def _fire_vectorised(self, facts: list[dict[str, Any]], labels: Sequence[str] | None = None) -> list[list[str]]:
        from grants.rules import fire_columns

        return fire_columns.fire(self.rulebook, facts)

    # -- the batch path ------------------------------------------------------------------------

    def _reject_hours_and_expense(self, cols: InputColumns, alive: np.ndarray) -> list[Rejection]:
        return checks.reject_hours_and_expense(cols, alive, self._hours_elements)

    def _reject_overlaps(self, cols: InputColumns, alive: np.ndarray) -> list[Rejection]:
        return checks.reject_overlaps(cols, alive, self.shared_days, self.share_caps)

    def _batch_parts(self, cols: InputColumns, alive: np.ndarray, table: RateTable | None,
                     columnar: bool) -> tuple["_Batch", list[int]]:
        """The rows that become one part in one period without a note on splitting (all rows
        when the period is named, rows inside one period otherwise) as columns; the others'
        row numbers, for `_split` one by one."""
        rows = np.flatnonzero(alive)
        tables = self.ratebook.tables
        if not columnar or rows.size == 0:
            return _Batch.empty(), (rows + 1).tolist()
        start, end = cols.days("start")[rows], cols.days("end")[rows]
        if table is not None:
            which = np.full(rows.size, next(i for i, t in enumerate(tables) if t is table), dtype=np.int64)
            in_batch = np.ones(rows.size, dtype=bool)
        else:
            count = np.zeros(rows.size, dtype=np.int64)
            which = np.full(rows.size, -1, dtype=np.int64)
            inside = np.zeros(rows.size, dtype=bool)
            for k, t in enumerate(tables):
                first, last = day_number(t.period.first_day), day_number(t.period.last_day)
                touches = (start <= last) & (end >= first)
                count += touches
                which[touches] = k
                inside |= touches & (start >= first) & (end <= last)
            in_batch = (count == 1) & inside
        one_by_one = (rows[~in_batch] + 1).tolist()
        rows, start, end, which = rows[in_batch], start[in_batch], end[in_batch], which[in_batch]
        firsts = np.array([day_number(t.period.first_day) for t in tables], dtype=np.int64)[which]
        lasts = np.array([day_number(t.period.last_day) for t in tables], dtype=np.int64)[which]
        outside = (end < firsts) | (start > lasts)
        clipped = ~outside & ((start < firsts) | (end > lasts))

        # the municipality in each period's classification, looked up once per number
        munis = np.empty(rows.size, dtype=object)
        muni_codes = np.zeros(rows.size, dtype=np.int64)  # index into muni_list
        muni_list: list[Municipality | None] = []
        classes = np.zeros(rows.size, dtype=np.int64)
        numbers = cols.values("kommunenummer")[rows]
        rejections: list[Rejection] = []
        unknown = np.zeros(rows.size, dtype=bool)
        for k in np.unique(which).tolist():
            t = tables[k]
            members = np.flatnonzero(which == k)
            codes, uniques = factorize(numbers[members])
            found = [self.centrality.lookup(u, t.centrality.classification, t.centrality.preferred_codes)
                     for u in uniques]
            lookup = np.empty(len(found), dtype=object)
            lookup[:] = found
            munis[members] = lookup[codes]
            muni_codes[members] = len(muni_list) + codes
            muni_list.extend(found)
            classes[members] = np.array([0 if m is None else m.centrality_class for m in found], dtype=np.int64)[codes]
            missing = members[np.array([m is None for m in found], dtype=bool)[codes]]
            unknown[missing] = True
            alis = cols.values("alis_id")
            for i in missing.tolist():
                row = int(rows[i]) + 1
                rejections.append(self._unknown_municipality(row, alis[row - 1], numbers[i], t, cols))
        keep = ~unknown
        batch = _Batch(rows[keep], which[keep], np.maximum(start, firsts)[keep], np.minimum(end, lasts)[keep],
                       start[keep], end[keep], outside[keep], clipped[keep], munis[keep], rejections, classes[keep],
                       muni_codes[keep], muni_list)
        return batch, one_by_one

    def _batch_facts(self, cols: InputColumns, batch: "_Batch") -> FactColumns:
        """The facts of the batch parts as columns (dates as day numbers): what part_facts
        gives for one part (grants.rules.facts), over all of them."""
        from grants.rules.facts import DERIVED_FACTS as _LINE_MONTH_FACTS

        rows = batch.rows
        tables = self.ratebook.tables
        firsts = np.array([day_number(t.period.first_day) for t in tables], dtype=np.int64)[batch.which]
        override = cols.centrality_override()[rows]
        ssb = batch.classes
        given: dict[str, Any] = {
            "period_first_day": (firsts, None),
            "part_start": (batch.start, None),
            "part_end": (batch.end, None),
            "line_start": (batch.line_start, None),
            "line_end": (batch.line_end, None),
            "centrality_class": (np.where(override > 0, override, ssb), None),
            "position_share": (cols.share_hundredths()[rows], None),
        }
        for name in ("grant_type", "role"):
            codes, uniques = factorize(cols.values(name)[rows])
            values = np.array([u.value for u in uniques], dtype=object)
            given[name] = (Coded(values[codes] if len(uniques) else np.zeros(0, dtype=object), codes,
                                 {v: i for i, v in enumerate(values.tolist())}), None)
        for name in ("via_agency", "private_commercial", "new_scheme"):
            given[name] = (cols.flags(name)[rows], None)
        for name in ("agreement_signed", "first_gp_date"):
            exists = cols.present(name)[rows]
            given[name] = (np.where(exists, cols.days(name)[rows], 0), exists)
        return FactColumns(given, _LINE_MONTH_FACTS)

    def _fire_batch(self, cols: InputColumns, batch: "_Batch", vectorised: bool) -> tuple[np.ndarray, list[list[str]]]:
        """For each batch part, a code of the set of rules that fired, and the rule keys of
        each code: over columns, or through durable_rules on the same facts."""
        if batch.n == 0:
            return np.zeros(0, dtype=np.int64), []
        facts = self._batch_facts(cols, batch)
        keys = list(self.rulebook.in_force)
        if vectorised:
            # the rules that fired, as bits of machine words (62 rules a word), one code per set
            words = []
            for w in range(0, len(keys), 62):
                bits = np.zeros(batch.n, dtype=np.int64)
                for b, k in enumerate(keys[w:w + 62]):
                    bits |= mask_function(self.rulebook.in_force[k], day_number)(facts).astype(np.int64) << b
                words.append(bits)
            codes, distinct = factorize(combine(words, batch.n))
            first = np.unique(codes, return_index=True)[1].tolist()
            names = [[k for j, k in enumerate(keys) if (int(words[j // 62][i]) >> (j % 62)) & 1] for i in first]
            return codes.astype(np.int64), names
        dicts = _fact_dicts(facts, batch.n)
        tables = self.ratebook.tables
        fired = _fire_chunked(self.runner.fire, batch.n, lambda a, b: (  # type: ignore[union-attr]
            dicts[a:b], [f"row {int(r) + 1}, period {tables[int(w)].id}" for r, w in zip(batch.rows[a:b], batch.which[a:b])]))
        names_of: dict[tuple[str, ...], int] = {}
        codes = np.array([names_of.setdefault(tuple(sorted(names)), len(names_of)) for names in fired], dtype=np.int64)
        return codes, [list(k) for k in names_of]

    def _price_batch(self, cols: InputColumns, batch: "_Batch", fired: tuple[np.ndarray, list[list[str]]]) -> "_Priced":
        """Price the batch parts by plan (one distinct set of fired rules in one period): model
        A over columns; a gap is a rejection; model B parts go on as _Part objects to `_price`."""
        codes, names_of = fired
        priced = _Priced()
        if batch.n == 0:
            return priced
        tables = self.ratebook.tables
        group, keys = factorize(batch.which * (len(names_of) + 1) + codes)
        alis, kommune = cols.values("alis_id"), cols.values("kommunenummer")
        out: list[dict[str, Any]] = []
        by_group = np.argsort(group, kind="stable")
        bounds = np.cumsum(np.bincount(group, minlength=len(keys)))
        for g, key in enumerate(keys.tolist()):
            k, code = divmod(int(key), len(names_of) + 1)
            table, names = tables[k], names_of[code]
            members = by_group[(bounds[g - 1] if g else 0):bounds[g]]
            plan = self._plan(table, names)
            rows = batch.rows[members]
            if plan.gap is not None:
                priced.rejections.extend(Rejection(int(r) + 1, None, None, plan.gap, alis[r], kommune[r])
                                         for r in rows.tolist())
                continue
            if table.model != "A":
                for i in members.tolist():
                    part = self._batch_part(cols, batch, i)
                    priced.parts.append(part)
                    priced.names[id(part)] = names
                continue
            out.append(self._price_plan(cols, batch, members, table, plan))
        if out:
            priced.columns = {name: np.concatenate([o[name] for o in out]) for name in out[0]}
            order = np.argsort(priced.columns["index"], kind="stable")
            priced.columns = {name: values[order] for name, values in priced.columns.items()}
        return priced

    def _batch_part(self, cols: InputColumns, batch: "_Batch", i: int) -> _Part:
        """One batch part as the _Part the one-by-one pricing takes."""
        row = int(batch.rows[i]) + 1
        line = cols.line(row)
        table = self.ratebook.tables[int(batch.which[i])]
        notes: tuple[str, ...] = (_clip_note(line.start, line.end, table),) if batch.clipped[i] else ()
        outside, fits = _outside_reason(line.start, line.end, table, self.ratebook) if batch.outside[i] else (None, ())
        return _Part(row, line, table, date_of(batch.start[i]), date_of(batch.end[i]), batch.munis[i], notes, fits,
                     outside)

    def _price_plan(self, cols: InputColumns, batch: "_Batch", members: np.ndarray, table: RateTable,
                    plan: _Plan) -> dict[str, np.ndarray]:
        """One model A plan over its parts, as `_price` prices one part: counted days, whole
        months, exclusions and the share minimum, the formula in exact integers, the notes."""
        from grants.months import anniversary_month_counts, calendar_month_counts
        from grants.rules.formulas import model_a_amounts

        rows = batch.rows[members]
        n = members.size
        part_start, part_end = batch.start[members], batch.end[members]
        outside = batch.outside[members]
        counted_start = part_start
        if plan.months_rule is None or plan.months_rule.count_from in (None, "counted_start"):
            for name in plan.clip_facts:
                counted_start = np.maximum(counted_start, cols.days(name)[rows])
        method = counted_by(plan.rules, table)
        if method == "calendar":
            months = calendar_month_counts(counted_start, part_end)
        else:
            months = anniversary_month_counts(counted_start, part_end)[0]
        share_c = cols.share_hundredths()[rows]
        shares = cols.values("position_share")
        below = np.zeros(n, dtype=bool)
        if not plan.reasons and plan.minimum is not None and plan.minimum_percent is not None:
            # share < minimum, exactly: shares are whole hundredths, so compare with the ceiling
            threshold = (plan.minimum_percent * 100).to_integral_value(rounding=ROUND_CEILING)
            below = share_c < int(threshold)
        excluded = np.full(n, bool(plan.reasons)) | below
        eligible = ~excluded & ~outside

        amounts = np.zeros(n, dtype=np.int64)
        if eligible.any():
            assert plan.annual is not None and plan.formula is not None
            annual_c = plan.annual * 100
            if annual_c == annual_c.to_integral_value():
                computed = model_a_amounts(plan.formula, np.full(int(eligible.sum()), int(annual_c), dtype=np.int64),
                                            share_c[eligible], months[eligible], table)
            else:  # an annual rate with fractions of øre: exactly, one line at a time
                computed = np.array([to_kroner(model_a_amount(plan.formula, plan.annual, shares[r], int(m), table))
                                     for r, m in zip(rows[eligible].tolist(), months[eligible].tolist())], dtype=object)
            if computed.dtype == object:
                amounts = amounts.astype(object)
            amounts[eligible] = computed

        # reasons and notes: shared tuples for the usual rows, built one by one for the others
        reasons = np.empty(n, dtype=object)
        notes = np.empty(n, dtype=object)
        fits = np.empty(n, dtype=object)
        reasons[:] = [plan.reasons] if plan.reasons else [()]
        notes[:] = [plan.notes]
        fits[:] = [()]
        for i in np.flatnonzero(below).tolist():
            reasons[i] = (_minimum_reason(plan, table, shares[rows[i]]),)
        override = cols.centrality_override()[rows]
        munis = batch.munis[members]
        ssb = batch.classes[members]
        unused = [(f, text) for f, text in self._unused_inputs[table.id]]
        unused_given = {f: _given_column(cols, f)[rows] for f, _ in unused}
        cap_input = cols.cap_input()[rows]
        clipped = batch.clipped[members]
        overridden = (override > 0) & (override != ssb)
        fixed_rates = cap_input & eligible
        special = clipped | overridden | fixed_rates
        unused_bits = np.zeros(n, dtype=np.int64)
        for bit, given in enumerate(unused_given.values()):
            special |= given
            unused_bits |= given.astype(np.int64) << bit
        line_start, line_end = batch.line_start[members], batch.line_end[members]
        # the notes are the same for every row with the same signature: worded once per signature
        chosen = np.flatnonzero(special & ~outside)
        signature = combine([np.where(clipped, line_start, 0)[chosen], np.where(clipped, line_end, 0)[chosen],
                             unused_bits[chosen], fixed_rates[chosen], np.where(overridden, override, 0)[chosen],
                             np.where(overridden, batch.muni_codes[members], -1)[chosen]], chosen.size)
        for same in groups(signature):
            i = int(chosen[same[0]])
            extra: tuple[str, ...] = ()
            if clipped[i]:
                extra = (_clip_note(date_of(line_start[i]), date_of(line_end[i]), table),)
            extra += plan.notes + tuple(text for f, text in unused if unused_given[f][i])
            if fixed_rates[i]:
                extra += (_fixed_rates_note(table),)
            if overridden[i]:
                extra += (_override_note(int(override[i]), munis[i]),)
            notes[chosen[same]] = _one(extra)
        chosen = np.flatnonzero(outside)
        for same in groups(combine([line_start[chosen], line_end[chosen]], chosen.size)):
            i = int(chosen[same[0]])
            reason, fit = _outside_reason(date_of(line_start[i]), date_of(line_end[i]), table, self.ratebook)
            reasons[chosen[same]], notes[chosen[same]], fits[chosen[same]] = _one((reason,)), _one(()), _one(fit)
        status = np.empty(n, dtype=object)
        status[:] = Status.OK
        status[excluded] = Status.INELIGIBLE
        status[outside] = Status.OUTSIDE_PERIOD
        plans = np.empty(n, dtype=object)
        plans[:] = [plan]
        period = np.empty(n, dtype=object)
        period[:] = table.id
        return {
            "period": period, "split_candidate": (status == Status.OK) & (method == "calendar"),
            "index": rows, "which": batch.which[members], "counted_start": np.where(outside, NO_DAY, counted_start),
            "counted_end": np.where(outside, NO_DAY, part_end), "months": np.where(outside, 0, months),
            "amount": amounts, "status": status, "reasons": reasons, "notes": notes, "fits": fits,
            "munis": munis, "muni_codes": batch.muni_codes[members], "classes": np.where(override > 0, override, ssb),
            "input_class": override > 0,
            "plan": plans,
        }

    def _result_columns(self, cols: InputColumns, c: dict[str, np.ndarray], muni_list: list) -> ResultColumns:
        """The batch results as GrantResult keeps them, with the builder of one LineResult."""
        tables = self.ratebook.tables
        which = c["which"]
        periods = np.array([t.id for t in tables], dtype=object)[which]
        firsts = np.array([day_number(t.period.first_day) for t in tables], dtype=np.int64)[which]
        munis = c["munis"]
        names = np.array([None if m is None else m.name for m in muni_list] + [None], dtype=object)[c["muni_codes"]]
        provenance = self.provenance
        shares = cols.values("position_share")

        @exact
        def make(i: int) -> LineResult:
            table, plan, status = tables[int(which[i])], c["plan"][i], c["status"][i]
            row = int(c["index"][i]) + 1
            line = cols.line(row)
            muni = munis[i]
            outside = status is Status.OUTSIDE_PERIOD
            months = int(c["months"][i])
            if status is Status.OK:
                exact_amount = as_decimal(model_a_amount(plan.formula, plan.annual, shares[row - 1], months, table))
            else:
                exact_amount = _ZERO
            return LineResult(
                row=row, line=line, period=table.id, table=table,
                counted_start=None if outside else date_of(c["counted_start"][i]),
                counted_end=None if outside else date_of(c["counted_end"][i]),
                whole_months=months, kommunenavn=muni.name, centrality_class=int(c["classes"][i]),
                centrality_source="input" if c["input_class"][i] else "ssb", ssb_class=muni.centrality_class,
                code_set=muni.code_set, centrality_group=None if outside else plan.group,
                rate_path=None if outside else plan.rate_path, annual_rate=None if outside else plan.annual,
                exact_amount=exact_amount, amount_nok=int(c["amount"][i]), status=status, reasons=c["reasons"][i],
                rules=() if outside else plan.rules, notes=c["notes"][i], line_periods=c["fits"][i],
                provenance=provenance,
            )

        used = {t.id: t for t in (tables[k] for k in np.unique(which).tolist())}
        return ResultColumns(
            rows=c["index"] + 1, first_days=firsts, amounts=c["amount"], statuses=c["status"], periods=periods,
            months=c["months"], classes=c["classes"], alis_ids=cols.values("alis_id")[c["index"]],
            numbers=cols.values("kommunenummer")[c["index"]], names=names, tables=used, make=make,
        )

    def _place(self, number: str, table: RateTable) -> Any:
        """The municipality a number names in the table's classification, whatever its code set."""
        c = table.centrality
        muni = self.centrality.lookup(number, c.classification, c.preferred_codes)
        return number if muni is None else muni.identity

    def _element_rule_text(self, period: str, element: str) -> str | None:
        """The bokmål text of the rule that gives an element in a period (for notes)."""
        for r in self.rulebook.valid_in(period):
            if r.kind == "element" and r.element == element:
                return rule_text(r, self.ratebook.get(period))
        return None

    # -- steps ------------------------------------------------------------------------------

    def _split(self, row: int, line: LineInput, table: RateTable | None, columns: InputColumns) -> list[_Part] | Rejection:
        """The line's parts: clipped to the named period, or split across every period it
        touches. A line outside the named period is one empty part (0 months), not an error."""
        if table is not None:
            tables = [table]
            notes: tuple[str, ...] = ()
            first, last = table.period.first_day, table.period.last_day
            if line.end < first or line.start > last:
                outside, fits = _outside_reason(line.start, line.end, table, self.ratebook)
            else:
                outside, fits = None, ()
            if outside is None and (line.start < first or line.end > last):
                notes = (_clip_note(line.start, line.end, table),)
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
                return self._unknown_municipality(row, line.alis_id, line.kommunenummer, t, columns)
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

    def _unknown_municipality(self, row: int, alis_id: str, kommunenummer: str, table: RateTable,
                              columns: InputColumns) -> Rejection:
        return Rejection(
            row, columns.name("kommunenummer"), columns.raw(row, "kommunenummer", kommunenummer),
            f"ukjent kommunenummer (finnes ikke i {self.centrality.titles[table.centrality.classification]}, "
            "verken med 2020–2023- eller 2024-kommunenumre)",
            alis_id, kommunenummer,
        )

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
            text for fact, text in self._unused_inputs[table.id] if _given(line, fact))
        reasons = plan.reasons
        minimum = plan.minimum_percent
        if not reasons and plan.minimum is not None and minimum is not None and line.position_share < minimum:
            reasons = (_minimum_reason(plan, table, line.position_share),)
        elements: tuple[ElementValue, ...] = ()
        if reasons:
            exact, amount, status = _ZERO, 0, Status.INELIGIBLE
            if table.model == "B":
                notes += line_notes(table, line, False, ())
        elif table.model == "A":
            assert plan.annual is not None and plan.formula is not None
            exact_fraction = model_a_amount(plan.formula, plan.annual, line.position_share, months, table)
            exact, amount, status = as_decimal(exact_fraction), to_kroner(exact_fraction), Status.OK
            if has_cap_input(line):
                notes += (_fixed_rates_note(table),)
        else:
            elements = _elements(plan, part, counted_start, months, method)
            notes += line_notes(table, line, True, elements)  # at the maxima; grants.pipeline.caps redoes them for an expense
            exact = as_decimal(sum((e.granted for e in elements), Fraction(0)))
            amount, status = sum(e.amount_nok for e in elements), Status.OK
        cls = line.centrality_class if line.centrality_class is not None else part.municipality.centrality_class
        if line.centrality_class is not None and line.centrality_class != part.municipality.centrality_class:
            notes += (_override_note(line.centrality_class, part.municipality),)
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
        for (table, label, facts), names in zip(probes, fired):
            rules = tuple(self._rules_by_key[n] for n in names)
            try:
                _, gap = _check_kinds(table, rules)
            except RulesError as exc:
                raise RulesError(f"period {table.id}, {label[0]}, {label[1]}, centrality class {label[2]}: {exc}") from None
            if gap is not None:
                raise RulesError(f"period {table.id}, {label[0]}, {label[1]}, centrality class {label[2]}: {gap}")
            for r in rules:  # an element whose window starts on a date the line may not give
                if r.kind == "element" and r.window_from and r.window_from not in facts:
                    raise RulesError(
                        f"{r.file}: rule {r.id}: its window starts on {r.window_from}, but it also applies to a "
                        f"line without {r.window_from} (period {table.id}, {label[0]}, {label[1]}); its condition "
                        f"must require {r.window_from} (exists: true)")

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


_GIVEN = object()
_OPTIONAL_FACTS = {
    # input field -> the value that means it is given (not its default), and how it reads
    "via_agency": (True, "via vikarbyrå = ja"),
    "private_commercial": (True, "privat kommersiell aktør = ja"),
    "new_scheme": (False, "ny spesialistordning = nei"),
    "agreement_signed": (_GIVEN, "datoen ALIS-avtalen ble signert"),
    "first_gp_date": (_GIVEN, "første dag som fastlege/vikar"),
}


def _given(line: LineInput, fact: str) -> bool:
    value, _ = _OPTIONAL_FACTS[fact]
    given = getattr(line, fact)
    return given is not None if value is _GIVEN else given == value


def _given_column(cols: InputColumns, fact: str) -> np.ndarray:
    value, _ = _OPTIONAL_FACTS[fact]
    return cols.present(fact) if value is _GIVEN else cols.flags(fact) == value


def _unused_input_notes(rulebook: RuleBook, period: str) -> list[tuple[str, str]]:
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
    for fact, (_, words) in _OPTIONAL_FACTS.items():
        if fact in used:
            continue
        elsewhere = sorted({r.valid_from for r in rulebook.rules if r.when is not None and fact in facts_named(r.when)},
                           key=order.index)
        when = f" (regler som bruker den gjelder fra {elsewhere[0]})" if elsewhere else ""
        out.append((fact, f"{words} er oppgitt, men ingen regel i perioden {period} bruker den{when}; "
                          "den påvirker ikke beløpet"))
    return out


def _outside_reason(start: date, end: date, table: RateTable, ratebook: RateBook) -> tuple[str, tuple[str, ...]]:
    """Why a line with no day in the period asked for is not computed, and the periods it fits."""
    first, last = table.period.first_day, table.period.last_day
    fits = tuple(t.id for t in ratebook.overlapping(start, end))
    where = (f"den hører til {'perioden' if len(fits) == 1 else 'periodene'} {', '.join(fits)}"
             if fits else "ingen kjent periode dekker den")
    return (f"linjen ({start:%d.%m.%Y}–{end:%d.%m.%Y}) ligger utenfor perioden "
            f"{table.id} ({first:%d.%m.%Y}–{last:%d.%m.%Y}) og er ikke beregnet for den; {where}"), fits


def _clip_note(start: date, end: date, table: RateTable) -> str:
    return _clip_text(start, end, table.id, table.period.first_day, table.period.last_day)


@functools.lru_cache(maxsize=65536)
def _clip_text(start: date, end: date, period: str, first: date, last: date) -> str:
    return (f"linjen ({start:%d.%m.%Y}–{end:%d.%m.%Y}) er klippet til perioden {period} "
            f"({first:%d.%m.%Y}–{last:%d.%m.%Y}); tid utenfor perioden er ikke tatt med")


def _minimum_reason(plan: _Plan, table: RateTable, share: Decimal) -> str:
    assert plan.minimum is not None
    return (f"{rule_text(plan.minimum, table)} Stillingsandelen er {number_nb(share)} % "
            f"(regel {plan.minimum.id}, satstabellen for {table.id}).")


def _fixed_rates_note(table: RateTable) -> str:
    return f"utgifter, veiledningstimer og søkte beløp brukes ikke i perioden {table.id} (faste satser)"


def _override_note(given: int, muni: Municipality) -> str:
    return (f"sentralitetsklasse {given} er oppgitt i søknaden og brukt i stedet for SSBs "
            f"klasse {muni.centrality_class} for {muni.name}")


def _passthrough(cols: InputColumns, elements: Iterable[str]) -> dict[str, list[Any]]:
    if not cols.own:
        return {}
    from grants.pipeline.results import LINE_COLUMNS

    taken = set(LINE_COLUMNS) | {"file_line", "basis"} | {f"{e}_nok" for e in elements}
    return checks.passthrough(cols, taken.__contains__)


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


def _spanning_expense(row: int, line: LineInput, parts: list[_Part], columns: InputColumns) -> Rejection:
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


@dataclass
class _Batch:
    """The parts of the batch path as columns (one per row): input index, period (index into
    the rate book's tables), the part's days, the line's days, and its municipality."""

    rows: np.ndarray  # 0-based input index
    which: np.ndarray
    start: np.ndarray
    end: np.ndarray
    line_start: np.ndarray
    line_end: np.ndarray
    outside: np.ndarray
    clipped: np.ndarray
    munis: np.ndarray
    rejections: list[Rejection]

    @property
    def n(self) -> int:
        return len(self.rows)

    classes: np.ndarray  # SSB's centrality class of each part's municipality
    muni_codes: np.ndarray  # the municipality of each part, as an index into muni_list
    muni_list: list

    @classmethod
    def empty(cls) -> "_Batch":
        z, b = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        return cls(z, z, z, z, z, z, b, b, np.zeros(0, dtype=object), [], z, z, [])


@dataclass
class _Priced:
    rejections: list[Rejection] = field(default_factory=list)
    parts: list[_Part] = field(default_factory=list)  # model B parts, for `_price`
    names: dict[int, list[str]] = field(default_factory=dict)  # id(part) -> the rules that fired
    columns: dict[str, np.ndarray] | None = None  # model A results


def _fire_chunked(fire: Any, n: int, make: Any) -> list[list[str]]:
    """`fire` over n facts, _CHUNK at a time (`make(a, b)` gives the facts a..b and their labels),
    so the facts of a large batch never all exist; an outcome missing is a loud error."""
    out: list[list[str]] = []
    for a in range(0, n, _CHUNK):
        facts, labels = make(a, min(a + _CHUNK, n))
        fired = fire(facts, labels=labels)
        if len(fired) != len(facts):
            raise ConservationError(f"posted {len(facts)} facts, got {len(fired)} outcomes back")
        out.extend(fired)
    return out


def _one(value: Any) -> np.ndarray:
    """An object array holding one value, to assign the same tuple to many rows at once."""
    holder = np.empty(1, dtype=object)
    holder[0] = value
    return holder


def _yyyymmdd(days: np.ndarray) -> np.ndarray:
    """Day numbers as YYYYMMDD integers (grants.rules.facts.date_int), the form durable_rules compares."""
    d = days.astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    years = months.astype("datetime64[Y]")
    return ((years.astype(np.int64) + 1970) * 10000 + (months.astype(np.int64) % 12 + 1) * 100
            + (d - months.astype("datetime64[D]")).astype(np.int64) + 1)


def _fact_dicts(facts: FactColumns, n: int) -> list[dict[str, Any]]:
    """Fact columns as the dicts posted to durable_rules, as part_facts makes them (a test
    holds the two equal): dates YYYYMMDD, shares in hundredths, optional dates only when given."""

    columns: dict[str, list[Any]] = {}
    optional: dict[str, np.ndarray] = {}
    for name, spec in FACTS.items():
        values, exists = facts[name]
        if isinstance(values, Coded):
            values = values.values
        if spec.kind == "date":
            values = _yyyymmdd(values)
        if spec.kind == "bool":
            columns[name] = np.asarray(values, dtype=bool).tolist()
        elif spec.kind == "enum":
            columns[name] = list(values)
        else:
            columns[name] = np.asarray(values, dtype=np.int64).tolist()
        if exists is not None:
            optional[name] = np.asarray(exists, dtype=bool)
    always = [k for k in columns if k not in optional]
    out = [dict(zip(always, values)) for values in zip(*(columns[k] for k in always))] if n else []
    for name, exists in optional.items():
        values = columns[name]
        for i in np.flatnonzero(exists).tolist():
            out[i][name] = values[i]
    return out


def _name_split_months_and_spellings(results: list[LineResult], c: dict[str, np.ndarray] | None,
                                     cols: InputColumns) -> tuple[list[LineResult], dict[str, np.ndarray] | None]:
    """The notes only the whole batch shows (grants.pipeline.checks.result_notes), on the
    results made one by one and on those kept as columns alike."""
    k = len(results)
    rows = np.array([r.row for r in results], dtype=np.int64)
    periods = np.array([r.period for r in results], dtype=object)
    candidates = np.array([r.status is Status.OK and r.counted_start is not None
                           and counted_by(r.rules, r.table) == "calendar" for r in results], dtype=bool)
    starts = np.array([day_number(r.counted_start) if r.counted_start else NO_DAY for r in results], dtype=np.int64)
    ends = np.array([day_number(r.counted_end) if r.counted_end else NO_DAY for r in results], dtype=np.int64)
    if c is not None:
        rows = np.concatenate([rows, c["index"] + 1])
        periods = np.concatenate([periods, c["period"]])
        candidates = np.concatenate([candidates, c["split_candidate"]])
        starts = np.concatenate([starts, c["counted_start"]])
        ends = np.concatenate([ends, c["counted_end"]])
    notes = checks.result_notes(rows, periods, candidates, starts, ends, cols)
    for i, extra in sorted(notes.items()):
        if i < k:
            results[i] = replace(results[i], notes=results[i].notes + tuple(extra))
        else:
            assert c is not None
            c["notes"][i - k] = c["notes"][i - k] + tuple(extra)
    return results, c


def _prove_conservation(n_rows: int, results: list[LineResult], c: dict[str, np.ndarray] | None,
                        rejections: list[Rejection]) -> None:
    computed = np.array([r.row for r in results], dtype=np.int64)
    if c is not None:
        computed = np.concatenate([computed, c["index"] + 1])
    checks.prove_conservation(n_rows, computed, [r.row for r in rejections])

@functools.lru_cache(maxsize=1)
def default_engine() -> Engine:
    """The engine on the shipped data, built once per process."""
    return Engine()

