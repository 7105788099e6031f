"""Declarative rules: loaded from rules/*.yaml, validated, compiled for durable_rules.

A rule has an id, a kind, an English description, a bokmål text, a citation, the grant periods
it is valid in and a condition over facts (grants/rules/facts.py). Versions of one rule (same id,
different periods) must not overlap; the kinds every line needs (rate, centrality group, month
count, formula) must cover every period without gap or overlap. No text from a file is ever
evaluated as code: conditions are a small typed data language (grants.rules.conditions), parsed and
type-checked here on load and compiled from that one tree to durable_rules' JSON form.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from grants.rules import conditions
from grants.errors import RulesError
from grants.months import MonthMethod
from grants.rules.facts import FACT_TYPES
from grants.rules.formulas import TERMS, Expression
from grants.datafiles.paths import data_dir
from grants.datafiles.yaml_loader import load_yaml
from grants.rates.tables import RateBook

Kind = Literal[
    "exclude",
    "clip_start",
    "select_rate",
    "select_centrality_group",
    "count_months",
    "formula",
    "element",
    "note",
    "paper_condition",
    "share_minimum",
    "share_cap",
]
MODEL_REQUIREMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    # Model A: one fixed amount per line from the rate the rules select.
    "A": {"exactly_one": ("select_rate", "select_centrality_group", "count_months", "formula"), "at_least_one": ()},
    # Model B: a sum of elements, each element at most once per line.
    "B": {"exactly_one": ("count_months",), "at_least_one": ("element",)},
}
"""Which rule kinds every line needs in a period of each model (checked on load and per line)."""
MODEL_ONLY_KINDS = {"A": ("select_rate", "select_centrality_group", "formula"), "B": ("element",)}



class Citation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str
    clause: str | None = None
    url: str | None = None

    def text(self) -> str:
        parts = [self.source]
        if self.clause:
            parts.append(self.clause)
        if self.url:
            parts.append(self.url)
        return ", ".join(parts)


class Rule(BaseModel):
    """One dated version of a rule, as written in a rules file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    kind: Kind
    description: str
    text_nb: str
    citation: Citation
    valid_from: str
    valid_to: str | None = None
    when: Any = None  # a grants.rules.conditions.Condition, parsed from the YAML on load
    rate: str | None = None
    group: str | None = None
    to_fact: str | None = None
    formula: Expression | None = None
    element: str | None = None
    count_from: Literal["counted_start", "part_start"] | None = None  # count_months: first day counted
    count_to: Literal["part_end"] | None = None  # count_months: last day counted
    method: Literal["rate_table", "calendar", "anniversary"] | None = None  # count_months: how
    parameter: str | None = None  # share_minimum / share_cap: the rate-table number it reads
    window_from: str | None = None  # element: the date fact its window (whole_months_in_window) starts on
    file: str = ""

    @field_validator("when", mode="before")
    @classmethod
    def _parse_when(cls, value: Any) -> Any:
        if value is None:
            return None
        try:
            return conditions.parse(value)
        except conditions.ConditionError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> "Rule":
        needs = {
            "rate": ("select_rate",), "group": ("select_centrality_group",), "to_fact": ("clip_start",),
            "formula": ("formula", "element"), "element": ("element",),
            "count_from": ("count_months",), "count_to": ("count_months",), "method": ("count_months",),
            "parameter": ("share_minimum", "share_cap"),
        }
        for name, kinds in needs.items():
            given = getattr(self, name) is not None
            if given and self.kind not in kinds:
                raise ValueError(f"{name!r} is only for rules of kind {' or '.join(kinds)}")
            if self.kind in kinds and not given:
                raise ValueError(f"a {self.kind} rule needs {name!r}")
        if self.when is None and self.kind != "paper_condition":
            raise ValueError("a rule needs a 'when' condition")
        # a formula's terms that are not the kind's own are checked against every rate table
        # the rule is valid in (RuleBook.build): they must be numbers of that table
        if self.window_from is not None and self.kind != "element":
            raise ValueError("'window_from' is only for rules of kind element")
        if self.window_from is not None and FACT_TYPES.get(self.window_from) is not date:
            raise ValueError(f"window_from {self.window_from!r} is not a date fact")
        if self.formula is not None and ("whole_months_in_window" in self.formula.terms) != (self.window_from is not None):
            raise ValueError("a formula with whole_months_in_window needs window_from (the date fact the window starts on), and only then")
        if self.to_fact is not None and FACT_TYPES.get(self.to_fact) is not date:
            raise ValueError(f"to_fact {self.to_fact!r} is not a date fact")
        return self

    @property
    def key(self) -> str:
        """The name of this version inside durable_rules."""
        return f"{self.id}@{self.valid_from}"


def counted_by(rules: Iterable[Rule], table: Any) -> MonthMethod:
    """The whole-month method the line's count_months rule names; `rate_table` (or no such
    rule, as for a line outside the period) is the table's own whole_months."""
    for r in rules:
        if r.kind == "count_months" and r.method not in (None, "rate_table"):
            return r.method  # type: ignore[return-value]
    return table.whole_months


@dataclass(frozen=True)
class RuleBook:
    """All rules, validated against the rate book, with their durable_rules definition."""

    rules: tuple[Rule, ...]
    ratebook: RateBook
    definition: dict[str, Any] = field(repr=False)
    digest: str
    in_force: dict[str, Any] = field(repr=False, default_factory=dict)
    """Per rule version (key): its condition anded with its validity (the period's first day
    within valid_from..valid_to); both evaluators compile exactly this."""

    @property
    def by_key(self) -> dict[str, Rule]:
        return {r.key: r for r in self.rules}

    def valid_in(self, period_id: str) -> list[Rule]:
        """The rule versions in force in a period, in file order."""
        order = self.ratebook.period_ids
        idx = order.index(period_id)
        return [
            r
            for r in self.rules
            if order.index(r.valid_from) <= idx and (r.valid_to is None or idx <= order.index(r.valid_to))
        ]

    def paper_conditions(self, period_id: str) -> list[Rule]:
        """Paper conditions with no `when`: they apply to every line of the period."""
        return [r for r in self.valid_in(period_id) if r.kind == "paper_condition" and r.when is None]

    @classmethod
    def load(cls, ratebook: RateBook, folder: Path | None = None) -> "RuleBook":
        folder = folder or data_dir("rules")
        files = sorted(folder.glob("*.yaml"))
        if not files:
            raise RulesError(f"{folder}: no rules files (*.yaml) found")
        rules: list[Rule] = []
        for path in files:
            rules.extend(_read_rules_file(path))
        return cls.build(rules, ratebook)

    @classmethod
    def build(cls, rules: list[Rule], ratebook: RateBook) -> "RuleBook":
        order = ratebook.period_ids
        for r in rules:
            for attr in ("valid_from", "valid_to"):
                p = getattr(r, attr)
                if p is not None and p not in order:
                    raise RulesError(f"{r.file}: rule {r.id}: {attr} {p!r} is not a known period ({', '.join(order)})")
            if r.valid_to is not None and order.index(r.valid_to) < order.index(r.valid_from):
                raise RulesError(f"{r.file}: rule {r.id}: valid_to {r.valid_to} is before valid_from {r.valid_from}")
        _check_versions(rules, order)
        in_force: dict[str, conditions.Condition] = {}
        for r in rules:
            if r.when is None:  # a paper condition that applies to every line: nothing to run
                continue
            first = ratebook.get(r.valid_from).period.first_day
            validity: list[conditions.Condition] = [conditions.Compare(fact="period_first_day", op="gte", value=first)]
            if r.valid_to is not None:
                last = ratebook.get(r.valid_to).period.first_day
                validity.append(conditions.Compare(fact="period_first_day", op="lte", value=last))
            in_force[r.key] = conditions.All(items=(*validity, r.when))
        definition = {key: {"all": [{"m": conditions.to_durable(c)}]} for key, c in in_force.items()}
        digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:16]
        book = cls(tuple(rules), ratebook, definition, digest, in_force)
        _check_coverage(book)
        return book


def _read_rules_file(path: Path) -> list[Rule]:
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{path}: cannot read rules: {exc}") from None
    if not isinstance(raw, dict) or set(raw) != {"rules"} or not isinstance(raw["rules"], list):
        raise RulesError(f"{path}: a rules file is a mapping with one key, 'rules', holding a list")
    out = []
    for i, item in enumerate(raw["rules"]):
        label = item.get("id", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
        try:
            out.append(Rule.model_validate(dict(item, file=str(path))))
        except (ValidationError, TypeError, ValueError) as exc:
            if isinstance(exc, ValidationError):
                msg = "; ".join(_error_text(e) for e in exc.errors())
            else:
                msg = str(exc)
            raise RulesError(f"{path}: rule {label}: {msg}") from None
    return out


def _error_text(error: Any) -> str:
    where = ".".join(map(str, error["loc"])) or "(rule)"
    msg = error["msg"].removeprefix("Value error, ")
    return msg if msg.startswith(where) else f"{where}: {msg}"


def _check_versions(rules: list[Rule], order: list[str]) -> None:
    """Versions of one rule id must not overlap in time, and keep one kind."""
    by_id: dict[str, list[Rule]] = {}
    for r in rules:
        by_id.setdefault(r.id, []).append(r)
    last = len(order) - 1
    for rule_id, versions in by_id.items():
        kinds = {v.kind for v in versions}
        if len(kinds) > 1:
            raise RulesError(f"rule {rule_id}: versions have different kinds {sorted(kinds)}")
        spans = sorted(
            (order.index(v.valid_from), last if v.valid_to is None else order.index(v.valid_to), v) for v in versions
        )
        for (s1, e1, v1), (s2, _e2, v2) in zip(spans, spans[1:]):
            if s2 <= e1:
                raise RulesError(
                    f"rule {rule_id}: the version valid from {v1.valid_from} ({v1.file}) overlaps the "
                    f"version valid from {v2.valid_from} ({v2.file}) in period {order[s2]}"
                )


def _check_coverage(book: RuleBook) -> None:
    """Every period: the kinds its model needs are present, no kind of the other model is in
    force, and every rate or element a rule names exists in the period's table."""
    for table in book.ratebook.tables:
        rules = book.valid_in(table.id)
        needs = MODEL_REQUIREMENTS[table.model]
        for kind in needs["exactly_one"] + needs["at_least_one"]:
            if not any(r.kind == kind for r in rules):
                raise RulesError(f"period {table.id}: no rule of kind {kind} is valid (a gap in the dated rules)")
        foreign = {k for m, kinds in MODEL_ONLY_KINDS.items() if m != table.model for k in kinds} - set(
            MODEL_ONLY_KINDS[table.model]
        )
        for r in rules:
            if r.kind in foreign:
                raise RulesError(
                    f"{r.file}: rule {r.id} (kind {r.kind}) is valid in period {table.id}, a model "
                    f"{table.model} period; set its valid_to to the last period of its model"
                )
            if r.kind == "select_rate" and r.rate and not table.has_rate(r.rate):
                raise RulesError(
                    f"{table.file}: annual_rates.{r.rate}: missing, but rule {r.id} ({r.file}) selects it in period {table.id}"
                )
            if r.kind == "element" and r.element:
                if r.element not in (table.elements or {}):
                    raise RulesError(
                        f"{table.file}: elements.{r.element}: missing, but rule {r.id} ({r.file}) uses it in period {table.id}"
                    )
            _check_rule_data(r, table)
        _check_share_rules(rules, table)


_TERM_NEEDS = {
    # an element formula's term -> what the element's entry in the rate table must have
    "annual_maximum": ("annual_maximum", "annual_maximum"),
    "whole_months_in_window": ("window_months", "window_months"),
    "elements_base": ("share_of", "share_of"),
    "element_share": ("share", "share"),
}


def _check_rule_data(r: Rule, table: Any) -> None:
    """A rule's formula, text and rate-table number must be readable in every period it is
    valid in: an unknown term, a placeholder or parameter naming nothing is an error on load."""
    from grants.rules.ruletext import problem

    where = f"{r.file}: rule {r.id}"
    if r.formula is not None:
        unknown = r.formula.unknown_terms(r.kind, table.value_names)
        if unknown:
            raise RulesError(
                f"{where}: formula: unknown term {', '.join(map(repr, unknown))} in period {table.id} (known: "
                f"{', '.join(TERMS.get(r.kind, {}))} and the numbers of {table.file}: {', '.join(table.value_names)})"
            )
        empty = [t for t in r.formula.terms if t in table.value_names and table.value(t) is None]
        if empty:
            raise RulesError(f"{where}: formula: {', '.join(map(repr, empty))} is empty in {table.file}, "
                             f"but the formula reads it in period {table.id}")
        if r.kind == "element" and r.element:
            spec = table.element(r.element)
            for term in r.formula.terms:
                field_name, shown = _TERM_NEEDS.get(term, (None, None))
                if field_name is not None and not getattr(spec, field_name):
                    raise RulesError(
                        f"{where}: formula term {term} needs elements.{r.element}.{shown} in {table.file}"
                    )
    if r.parameter is not None and not table.has_value(r.parameter):
        raise RulesError(f"{where}: parameter {r.parameter!r} is no number of {table.file} "
                         f"(known: {', '.join(table.value_names)})")
    text_problem = problem(r, table)
    if text_problem:
        raise RulesError(f"{where}: {text_problem}")


def _check_share_rules(rules: list[Rule], table: Any) -> None:
    """Every period has exactly one rule capping a doctor's summed share, reading a number the
    table gives, and at most one minimum share."""
    caps = [r for r in rules if r.kind == "share_cap"]
    if len(caps) != 1:
        raise RulesError(f"period {table.id}: {len(caps)} rules of kind share_cap are valid; exactly one must be "
                         f"({', '.join(r.id for r in caps) or 'none'})")
    if caps[0].parameter and table.value(caps[0].parameter) is None:
        raise RulesError(f"{table.file}: {caps[0].parameter} is empty, but rule {caps[0].id} ({caps[0].file}) reads it")
    minima = [r for r in rules if r.kind == "share_minimum"]
    if len(minima) > 1:
        raise RulesError(f"period {table.id}: rules {', '.join(r.id for r in minima)} all set a minimum share")
