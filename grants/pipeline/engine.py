"""The engine: input lines in, one result per row and period (or one rejection) out.

No I/O happens here beyond loading the project's own data files once. `Engine` is the
orchestrator of one road, the same for a batch of a million lines and for a batch of one:

    columns  the batch as columns, each distinct value parsed once   grants.pipeline.columns
    checks   copies, hours beside an expense, overlapping shares     grants.pipeline.checks
    parts    one part per line and period, municipality looked up    grants.pipeline.parts
    facts    one fact table; the rules fire on it (numpy masks, or   grants.pipeline.facts
             durable_rules on its rows as dicts)
    plans    each distinct set of fired rules in a period, read once grants.pipeline.plans
    pricing  over columns; model B parts the caps may change one by one  grants.pipeline.pricing
    caps     model B expenses per line or per doctor                 grants.pipeline.caps
    results  one store of columns (a LineResult made from its row when read), notes on the
             batch, and the proof that every row ended as results or exactly one rejection
                                                                     grants.pipeline.results, checks
"""
from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any, Iterable

import numpy as np

from grants.days import NO_DAY, day_number
from grants.domain import Status
from grants.errors import EvaluatorUnavailableError, RateTableError, RulesError
from grants.money import exact
from grants.pipeline import checks
from grants.pipeline.caps import apply_caps, parts_to_cap
from grants.pipeline.codes import factorize
from grants.pipeline.columns import InputColumns, normalise
from grants.pipeline.facts import FactTable, fire
from grants.pipeline.inputs import Rejection
from grants.pipeline.overlaps import shared_boundary_days
from grants.pipeline.parts import Parts, split
from grants.pipeline.plans import Planner, share_caps, unused_input_notes, verify_every_combination_is_priced
from grants.pipeline.pricing import part_at, price_model_a, price_model_b, price_model_b_columns, result_columns
from grants.pipeline.provenance import Provenance
from grants.pipeline.results import GrantResult, LineResult, ResultColumns
from grants.pipeline.sessions import SessionHours, SessionRows, session_hours
from grants.rates.centrality import CentralityRegistry
from grants.rates.tables import RateBook, RateTable
from grants.rules import durable_adapter
from grants.rules.durable_adapter import RuleRunner, runner_for
from grants.rules.rulebook import RuleBook, counted_by
from grants.rules.ruletext import rule_text

VECTOR_THRESHOLD = 50_000
"""From this many line parts a batch's rules are evaluated over columns (numpy masks on the fact
table) instead of through durable_rules: the same rules files, the same answer (tested), faster."""
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
        self.planner = Planner(self.rulebook)
        self._elements = {name for t in self.ratebook.tables for name in (t.elements or {})}
        self._hours_elements = {t.hours_element for t in self.ratebook.tables if t.hours_element}
        self._first_days = np.array([day_number(t.period.first_day) for t in self.ratebook.tables], dtype=np.int64)
        self.shared_days = shared_boundary_days((t.period.first_day, t.period.last_day) for t in self.ratebook.tables)
        self.share_caps = share_caps(self.ratebook, self.rulebook)
        self.runner: RuleRunner | None = (runner_for(self.rulebook.digest, self.rulebook.definition)
                                          if durable_adapter.available() else None)
        """durable_rules' compiled ruleset, or None where durable_rules is not installed."""
        self.provenance = Provenance.of(self.ratebook, self.rulebook)  # version and data hashes in every result
        self._unused_inputs = {t.id: unused_input_notes(self.rulebook, t.id) for t in self.ratebook.tables}
        verify_every_combination_is_priced(self.planner, self.ratebook)

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
                 sessions: SessionHours | None = None, evaluator: str = "auto") -> GrantResult:
        if evaluator == "durable" and self.runner is None:
            raise _durable_unavailable()
        cols = normalise(lines, self._elements, ignore_columns)
        rejections = list(cols.rejections)
        alive = cols.valid.copy()
        for check in (checks.reject_copies, self._reject_hours_and_expense, self._reject_overlaps):
            found = check(cols, alive)
            for rej in found:
                alive[rej.row - 1] = False
            rejections.extend(found)

        parts, refused = split(cols, alive, table, self.ratebook, self.centrality)
        rejections.extend(refused)
        runner = self._runner(evaluator, parts.n)
        facts = FactTable.of_parts(parts, cols, self._first_days)
        tables = self.ratebook.tables
        fired = fire(facts, self.rulebook, runner, labels=lambda a, b: [
            f"row {int(r) + 1}, period {tables[int(w)].id}" for r, w in zip(parts.rows[a:b], parts.which[a:b])])

        to_cap = parts_to_cap(cols.cap_input(), cols.doctor_codes(), parts, tables, sessions is not None)
        objects, columns, refused, price_b = self._price(cols, parts, facts, fired.codes, fired.names, to_cap)
        objects, cap_rejections, batch_notes = apply_caps(objects, cols, sessions, self._element_rule_text, self._place)
        refused.extend(cap_rejections)
        if refused:  # a row rejected while pricing one of its parts keeps no result in any period
            dropped_rows = {r.row for r in refused}
            dropped = np.array(sorted(dropped_rows), dtype=np.int64)
            objects = [r for r in objects if r.row not in dropped_rows]
            if columns is not None:
                columns = _take(columns, ~np.isin(columns["index"] + 1, dropped))
            rejections.extend(refused)

        objects.sort(key=lambda r: (r.row, r.rate_table.period.first_day))
        objects, columns = _name_split_months_and_spellings(objects, columns, cols)
        rejections.sort(key=lambda r: r.row)
        _prove_conservation(cols.n, objects, columns, rejections)
        used = {table.id: table} if table is not None else {}
        if sessions is not None:
            batch_notes = sessions.file_notes + batch_notes
        for r in objects:  # the lines made one by one carry the provenance as those made when read do
            object.__setattr__(r, "provenance", self.provenance)
        store = ResultColumns.of_lines(objects)
        if columns is not None and len(columns["index"]):
            store = result_columns(cols, columns, parts, facts, self.ratebook, self.provenance, price_b).merged(store)
        return GrantResult(store, rejections, cols.n, cols.header.ignored if cols.header else (), used,
                           evaluator=fired.evaluator, notes=batch_notes, passthrough=_passthrough(cols, self._elements),
                           provenance=self.provenance)

    # -- stages ------------------------------------------------------------------------------

    def _runner(self, evaluator: str, n_parts: int) -> RuleRunner | None:
        """durable_rules' ruleset when it runs this batch's rules, None for the numpy masks."""
        if self.runner is None:  # no durable_rules here ("durable" was refused above)
            return None
        if evaluator == "auto":
            vectorised = self.vector_threshold is not None and n_parts >= self.vector_threshold
        else:
            vectorised = evaluator == "vectorised"
        return None if vectorised else self.runner

    def _reject_hours_and_expense(self, cols: InputColumns, alive: np.ndarray) -> list[Rejection]:
        return checks.reject_hours_and_expense(cols, alive, self._hours_elements)

    def _reject_overlaps(self, cols: InputColumns, alive: np.ndarray) -> list[Rejection]:
        return checks.reject_overlaps(cols, alive, self.shared_days, self.share_caps)

    def _price(self, cols: InputColumns, parts: Parts, facts: FactTable, codes: np.ndarray,
               names_of: list[list[str]], to_cap: np.ndarray
               ) -> tuple[list[LineResult], dict[str, np.ndarray] | None, list[Rejection], Any]:
        """Price the parts by plan (one distinct set of fired rules in one period): model A over
        columns; model B over columns too, except the parts whose caps may change them
        (`to_cap`), priced part by part for grants.pipeline.caps; a gap in the rules rejects the
        row (naming its first part's period). Returns the model B results made one by one, the
        others as columns (in row and period order), the rejections, and the function that makes
        a model B part's LineResult (the same for both)."""
        tables = self.ratebook.tables
        objects: list[LineResult] = []
        out: list[dict[str, np.ndarray]] = []
        gaps: dict[int, tuple[int, Rejection]] = {}  # row -> (its first part with a gap, the rejection)
        alis, kommune = cols.values("alis_id"), cols.values("kommunenummer")
        memo: dict = {}  # model B: the elements of each distinct case, computed once per batch

        def price_b(i: int, plan: Any) -> LineResult:
            table = tables[int(parts.which[i])]
            return price_model_b(part_at(cols, parts, i, facts, tables, self.ratebook), plan,
                                 self._unused_inputs[table.id], memo)

        if parts.n:
            group, keys = factorize(parts.which * (len(names_of) + 1) + codes)
            by_group = np.argsort(group, kind="stable")
            bounds = np.cumsum(np.bincount(group, minlength=len(keys)))
            plans = []
            for g, key in enumerate(keys.tolist()):
                k, code = divmod(int(key), len(names_of) + 1)
                plans.append((tables[k], self.planner.plan(tables[k], names_of[code]),
                              by_group[(bounds[g - 1] if g else 0):bounds[g]]))
            _require_clip_facts(cols, parts, plans)
            for table, plan, members in plans:
                unused = self._unused_inputs[table.id]
                if plan.gap is not None:
                    for i in members.tolist():
                        r = int(parts.rows[i])
                        if r + 1 not in gaps or gaps[r + 1][0] > i:
                            gaps[r + 1] = (i, Rejection(r + 1, None, None, plan.gap, alis[r], kommune[r]))
                elif table.model == "A":
                    out.append(price_model_a(cols, parts, members, table, plan, unused))
                else:
                    capped = to_cap[members]
                    objects.extend(price_b(i, plan) for i in members[capped].tolist())
                    if not capped.all():
                        out.append(price_model_b_columns(cols, parts, members[~capped], table, plan, facts,
                                                         self.ratebook, unused, memo))
        columns = None
        if out:
            columns = {name: np.concatenate([o[name] for o in out]) for name in out[0]}
            columns = _take(columns, np.argsort(columns["part"], kind="stable"))  # parts are in row and period order
        return objects, columns, [rej for _, rej in gaps.values()], price_b

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


# -- helpers ---------------------------------------------------------------------------------


def _require_clip_facts(cols: InputColumns, parts: Parts, plans: list[tuple[RateTable, Any, np.ndarray]]) -> None:
    """A clip_start rule counts from a date the line gives; one that also fires on a line
    without it is a defect of the rules (its condition must require the date), refused here
    for every part before any is priced, naming the earliest part (whichever evaluator ran),
    never priced as if the rule had not fired."""
    found: list[tuple[int, Any, str, RateTable]] = []
    for table, plan, members in plans:
        if plan.gap is not None or not plan.counts_from_clip:
            continue
        for name in plan.clip_facts:
            missing = members[~parts.outside[members] & ~cols.present(name)[parts.rows[members]]]
            if missing.size:
                rule = next(r for r in plan.rules if r.kind == "clip_start" and r.to_fact == name)
                found.append((int(missing.min()), rule, name, table))
    if found:
        i, rule, name, table = min(found, key=lambda f: f[0])
        raise RulesError(
            f"{rule.file}: rule {rule.id}: it counts from {name}, but it also applies to row {int(parts.rows[i]) + 1} "
            f"(period {table.id}), which does not give {name}; its condition must require {name} (exists: true)")



def _take(columns: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    return {name: values[keep] for name, values in columns.items()}


def _passthrough(cols: InputColumns, elements: Iterable[str]) -> dict[str, list[Any]]:
    if not cols.own:
        return {}
    from grants.pipeline.results import LINE_COLUMNS

    taken = set(LINE_COLUMNS) | {"file_line", "basis"} | {f"{e}_nok" for e in elements}
    return checks.passthrough(cols, taken.__contains__)


def _name_split_months_and_spellings(results: list[LineResult], c: dict[str, np.ndarray] | None,
                                     cols: InputColumns) -> tuple[list[LineResult], dict[str, np.ndarray] | None]:
    """The notes only the whole batch shows (grants.pipeline.checks.result_notes), on the
    results made one by one and on those kept as columns alike."""
    k = len(results)
    rows = np.array([r.row for r in results], dtype=np.int64)
    periods = np.array([r.period for r in results], dtype=object)
    candidates = np.array([r.status is Status.OK and r.counted_start is not None
                           and counted_by(r.rules, r.rate_table) == "calendar" for r in results], dtype=bool)
    starts = np.array([day_number(r.counted_start) if r.counted_start else NO_DAY for r in results], dtype=np.int64)
    ends = np.array([day_number(r.counted_end) if r.counted_end else NO_DAY for r in results], dtype=np.int64)
    if c is not None:
        rows = np.concatenate([rows, c["index"] + 1])
        periods = np.concatenate([periods, c["period"]])
        candidates = np.concatenate([candidates, c["split_candidate"]])
        starts = np.concatenate([starts, c["counted_start"]])
        ends = np.concatenate([ends, c["counted_end"]])
    for at, texts in checks.result_notes(rows, periods, candidates, starts, ends, cols):
        made = at < k
        for i, text in zip(at[made].tolist(), texts[made].tolist()):
            results[i] = replace(results[i], notes=results[i].notes + (text,))
        if not made.all():
            assert c is not None
            kept = at[~made] - k
            added = np.empty(kept.size, dtype=object)  # tuples, one per row (a list of tuples would be read as rows)
            added[:] = [notes + (text,) for notes, text in zip(c["notes"][kept].tolist(), texts[~made].tolist())]
            c["notes"][kept] = added
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
