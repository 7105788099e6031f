"""What a set of fired rules means for one period: a plan.

The rules that fire on a line part are read once per distinct set and period into a `Plan`:
the exclusions and notes, the rules that move the first counted day, the month count, and for
model A the rate, the group and the formula, for model B the elements in the order they are
computed. Few distinct sets occur in a batch, so each is read once and priced over all its parts.

Load-time checks live here too: every grant type, role and centrality class of every period
gets exactly what its model needs (a gap or an overlap in the dated rules stops the engine
being built), and each period's cap on a doctor's summed share.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from grants.days import day_number
from grants.domain import GrantType, Role
from grants.errors import RulesError
from grants.pipeline.facts import FactTable, fire
from grants.pipeline.fields import OPTIONAL_FACTS
from grants.pipeline.overlaps import CapSpan
from grants.rules.conditions import Coded, facts_named
from grants.rules.formulas import Expression
from grants.rules.rulebook import MODEL_REQUIREMENTS, Rule, RuleBook
from grants.rules.ruletext import rule_text

if TYPE_CHECKING:
    from grants.rates.tables import RateBook, RateTable


@dataclass(frozen=True, slots=True)
class Plan:
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

    @property
    def counts_from_clip(self) -> bool:
        """Whether the counted days start at the part's start moved by the clip_start rules
        (count_from: counted_start, the default), not at the part's start."""
        return self.months_rule is None or self.months_rule.count_from in (None, "counted_start")


def check_kinds(table: "RateTable", rules: tuple[Rule, ...]) -> tuple[dict[str, Rule], str | None]:
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


class Planner:
    """The plans of one rule book, each read once (cached by period and set of rules)."""

    def __init__(self, rulebook: RuleBook):
        self.rulebook = rulebook
        self._by_key = rulebook.by_key
        self._order = {r.key: i for i, r in enumerate(rulebook.rules)}
        self._plans: dict[tuple[str, tuple[str, ...]], Plan] = {}

    def plan(self, table: "RateTable", names: list[str]) -> Plan:
        """What a set of fired rules (their keys) means for a period."""
        key = (table.id, tuple(names))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._read(table, names)
        return plan

    def _read(self, table: "RateTable", names: list[str]) -> Plan:
        rules = tuple(sorted((self._by_key[n] for n in names), key=lambda r: self._order[r.key]))
        # a minimum share the period's table leaves empty does not apply, and is not shown
        minimum = next((r for r in rules if r.kind == "share_minimum"), None)
        minimum_percent = table.value(minimum.parameter or "") if minimum is not None else None
        if minimum is not None and minimum_percent is None:
            rules = tuple(r for r in rules if r is not minimum)
            minimum = None
        # the cap on a doctor's summed share is checked over the batch before pricing (its
        # rejections name the rule); it is not a step of one line's computation
        rules = tuple(r for r in rules if r.kind != "share_cap")
        chosen, gap = check_kinds(table, rules)
        clip_facts = tuple(r.to_fact for r in rules if r.kind == "clip_start" and r.to_fact)
        reasons = tuple(rule_text(r, table) for r in rules if r.kind == "exclude")
        notes = tuple(rule_text(r, table) for r in rules if r.kind == "note")
        steps = dict(months_rule=chosen.get("count_months"), minimum=minimum, minimum_percent=minimum_percent)
        if gap is not None:
            return Plan(rules, gap, clip_facts, reasons, notes, **steps)
        if table.model == "A":
            group = chosen["select_centrality_group"].group
            rate_path = chosen["select_rate"].rate
            assert group is not None and rate_path is not None
            return Plan(rules, None, clip_facts, reasons, notes, group=group, rate_path=rate_path,
                        annual=table.rate(rate_path, group).amount, formula=chosen["formula"].formula, **steps)
        # shares of other elements are computed after the elements they are shares of
        elements = tuple(sorted(
            (r for r in rules if r.kind == "element"),
            key=lambda r: table.element(r.element or "").share_of is not None,
        ))
        return Plan(rules, None, clip_facts, reasons, notes, elements=elements, **steps)


def share_caps(ratebook: "RateBook", rulebook: RuleBook) -> tuple[CapSpan, ...]:
    """Per period: the summed-share cap its share_cap rule reads from the rate table, in
    hundredths of a percent (grants.pipeline.overlaps; the table loader allows two decimals)."""
    spans = []
    for table in ratebook.tables:
        rule = next(r for r in rulebook.valid_in(table.id) if r.kind == "share_cap")  # one: checked on load
        value = table.value(rule.parameter or "")
        assert value is not None  # checked on load
        spans.append(CapSpan(table.period.first_day, table.period.last_day, int(value * 100), rule.id))
    return tuple(spans)


def unused_input_notes(rulebook: RuleBook, period: str) -> list[tuple[str, str]]:
    """For each optional input that no rule of the period tests: when a line gives it, a note
    that says it does not count here (and from when a rule does use it), so an input the
    officer filled in is never ignored without a word (privat kommersiell = ja in 2023)."""
    used: set[str] = set()
    for r in rulebook.valid_in(period):
        if r.when is not None:
            used |= facts_named(r.when)
    order = rulebook.ratebook.period_ids
    out = []
    for fact, given in OPTIONAL_FACTS.items():
        if fact in used:
            continue
        elsewhere = sorted({r.valid_from for r in rulebook.rules if r.when is not None and fact in facts_named(r.when)},
                           key=order.index)
        when = f" (regler som bruker den gjelder fra {elsewhere[0]})" if elsewhere else ""
        out.append((fact, f"{given.words_nb} er oppgitt, men ingen regel i perioden {period} bruker den{when}; "
                          "den påvirker ikke beløpet"))
    return out


def verify_every_combination_is_priced(planner: Planner, ratebook: "RateBook") -> None:
    """Post every grant type x role x class in every period (with and without the optional
    facts rules test for) and require what the period's model requires (exactly one rate,
    group, month count and formula in model A; one month count and at least one element,
    none twice, in model B), so a gap or overlap in the dated rules is caught on load. The
    probes are one fact table fired over columns, which the differential tests hold to
    durable_rules' answer (tests/test_startup.py for these very probes)."""
    labels, table = probes(ratebook)
    fired = fire(table, planner.rulebook, None)
    for i, (period, label) in enumerate(labels):
        rules = tuple(planner.rulebook.by_key[n] for n in fired.names[int(fired.codes[i])])
        try:
            _, gap = check_kinds(period, rules)
        except RulesError as exc:
            raise RulesError(f"period {period.id}, {label[0]}, {label[1]}, centrality class {label[2]}: {exc}") from None
        if gap is not None:
            raise RulesError(f"period {period.id}, {label[0]}, {label[1]}, centrality class {label[2]}: {gap}")
        for r in rules:  # a rule that reads a date the line may not give (a clip, an element's window)
            if r.kind == "clip_start" and r.to_fact and table.row(i).day(r.to_fact) is None:
                raise RulesError(
                    f"{r.file}: rule {r.id}: it counts from {r.to_fact}, but it also applies to a line without "
                    f"{r.to_fact} (period {period.id}, {label[0]}, {label[1]}); its condition must require "
                    f"{r.to_fact} (exists: true)")
            if r.kind == "element" and r.window_from and table.row(i).day(r.window_from) is None:
                raise RulesError(
                    f"{r.file}: rule {r.id}: its window starts on {r.window_from}, but it also applies to a "
                    f"line without {r.window_from} (period {period.id}, {label[0]}, {label[1]}); its condition "
                    f"must require {r.window_from} (exists: true)")


def probes(ratebook: "RateBook") -> tuple[list[tuple["RateTable", tuple[str, str, int]]], FactTable]:
    """The facts `verify_every_combination_is_priced` fires, as one fact table: a line over
    each whole period at 100 % for every grant type, role and class, with and without a first
    day as fastlege; and (table, (grant type, role, class)) for each row. Enums are coded here,
    so building an engine needs no pandas."""
    labels: list[tuple["RateTable", tuple[str, str, int]]] = []
    rows: list[tuple[int, int, str, str, int, bool]] = []
    for table in ratebook.tables:
        first, last = day_number(table.period.first_day), day_number(table.period.last_day)
        for gt in GrantType:
            for role in Role:
                for cls in range(1, 7):
                    for with_first_gp in (False, True):
                        labels.append((table, (gt.value, role.value, cls)))
                        rows.append((first, last, gt.value, role.value, cls, with_first_gp))
    n = len(rows)
    column = lambda k, dtype=np.int64: np.array([r[k] for r in rows], dtype=dtype)  # noqa: E731
    firsts, lasts = column(0), column(1)
    given_first_gp = column(5, bool)
    given = {
        "period_first_day": (firsts, None), "part_start": (firsts, None), "part_end": (lasts, None),
        "line_start": (firsts, None), "line_end": (lasts, None),
        "line_whole_months": (np.full(n, 12, dtype=np.int64), None), "line_has_extra_days": (np.ones(n, dtype=bool), None),
        "grant_type": (_coded(column(2, object)), None), "role": (_coded(column(3, object)), None),
        "centrality_class": (column(4), None), "position_share": (np.full(n, 10000, dtype=np.int64), None),
        "via_agency": (np.zeros(n, dtype=bool), None), "private_commercial": (np.zeros(n, dtype=bool), None),
        "new_scheme": (np.ones(n, dtype=bool), None),
        "agreement_signed": (np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)),
        "first_gp_date": (np.where(given_first_gp, firsts, 0), given_first_gp),
    }
    return labels, FactTable(given, n)


def _coded(values: np.ndarray) -> Coded:
    index: dict[str, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values.tolist()), dtype=np.intp, count=len(values))
    return Coded(values, codes, index)
