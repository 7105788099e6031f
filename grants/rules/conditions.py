"""The condition language of rules/*.yaml (`when:`): parsed once into a typed tree, and the
one compiler from that tree to everything that runs or shows a condition.

Grammar (YAML, unchanged since the first rules files):

    all: [COND, ...]                   every COND holds
    any: [COND, ...]                   at least one COND holds
    {fact: F, exists: true|false}      F is present / absent
    {fact: F, in: [LIT, ...]}          F equals one of the literals (no fact references)
    {fact: F, OP: LIT}                 OP is eq, ne, lt, lte, gt, gte
    {fact: F, OP: {fact: G}}           compare two facts of the same type

Types: every fact has a declared type (grants.rules.facts.FACTS: date, integer, decimal, bool, enum
with its values) and a literal must be of that type: a date is written unquoted (2023-10-01),
an integer as a whole number (6, not "6" or 6.0), a decimal with at most the fact's decimals,
a bool as true/false, an enum value as one of the enum's values. bool and enum facts take eq
and ne (and `in`) only; two facts compared must have the same type. Anything else is refused
when the rules are loaded (RulesError naming the file and the rule).

ABSENT FACTS, the one meaning: a fact missing from a line's facts makes every comparison that
names it false, on either side, with any operator (eq, ne, lt, lte, gt, gte, in); `ne` is
therefore not the negation of `eq`. Only `exists` tests presence: `exists: true` holds exactly
when the fact is present, `exists: false` exactly when it is absent. `all` and `any` combine
the results as usual. Both compiled forms implement this explicitly: the durable_rules form
wraps every comparison in `$ex` tests of the facts it names, the numpy form ands every
comparison with the presence masks of its facts.

Compiled forms: `to_durable` (durable_rules' JSON expression) and `mask_function` (a numpy
boolean mask over fact columns), both with dates as day numbers (grants.days) and decimals as
scaled integers, the one encoding of the fact table they both read; `describe` (the bokmål
sentence). Nothing else interprets a condition.
"""
from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, model_serializer

from grants.days import day_number
from grants.rules.facts import FACTS, Fact, decimal_int

Op = Literal["eq", "ne", "lt", "lte", "gt", "gte"]
OPS: tuple[str, ...] = ("eq", "ne", "lt", "lte", "gt", "gte")
_EQUALITY = ("eq", "ne")
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
_OP_NB = {"eq": "=", "ne": "≠", "lt": "<", "lte": "≤", "gt": ">", "gte": "≥"}
_NUMPY_OP: dict[str, Callable[[Any, Any], Any]] = {
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "lte": np.less_equal,
    "gt": np.greater, "gte": np.greater_equal,
}


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    @model_serializer
    def _as_written(self) -> Any:
        """Dumped in the grammar of the rules files, so a dump (and its hash) tells every
        node apart and parses back to the same tree."""
        return to_yaml(self)  # type: ignore[arg-type]


class FactRef(_Node):
    """The right side of a comparison that names another fact."""

    fact: str


class Compare(_Node):
    fact: str
    op: Op
    value: Any  # a literal coerced to the fact's type (date, int, Decimal, bool, str), or a FactRef


class In(_Node):
    fact: str
    values: tuple[Any, ...]


class Exists(_Node):
    fact: str
    present: bool


class All(_Node):
    items: tuple["Condition", ...]


class AnyOf(_Node):
    items: tuple["Condition", ...]


Condition = Union[All, AnyOf, Compare, In, Exists]
All.model_rebuild()
AnyOf.model_rebuild()


class ConditionError(ValueError):
    """A condition that does not parse or does not type-check; the message says where."""


# -- parsing ---------------------------------------------------------------------------------


def parse(raw: Any, where: str = "when") -> Condition:
    """The YAML condition as a typed tree; literals checked and coerced to their fact's type."""
    if isinstance(raw, (All, AnyOf, Compare, In, Exists)):
        return raw
    if not isinstance(raw, dict):
        raise ConditionError(f"{where}: a condition must be a mapping, got {raw!r}")
    if set(raw) in ({"all"}, {"any"}):
        op = "all" if "all" in raw else "any"
        items = raw[op]
        if not isinstance(items, list) or not items:
            raise ConditionError(f"{where}.{op}: must be a non-empty list")
        parsed = tuple(parse(c, f"{where}.{op}[{i}]") for i, c in enumerate(items))
        return All(items=parsed) if op == "all" else AnyOf(items=parsed)
    name = raw.get("fact")
    fact = FACTS.get(name) if isinstance(name, str) else None
    if fact is None:
        raise ConditionError(f"{where}: unknown fact {name!r} (known: {', '.join(sorted(FACTS))})")
    ops = set(raw) - {"fact"}
    if len(ops) != 1:
        raise ConditionError(f"{where}: a test on fact {name!r} needs exactly one operator, got {sorted(ops)}")
    (op,) = ops
    value = raw[op]
    if op == "exists":
        if not isinstance(value, bool):
            raise ConditionError(f"{where}: 'exists' takes true or false, got {value!r}")
        return Exists(fact=fact.name, present=value)
    if op == "in":
        if not isinstance(value, list) or not value:
            raise ConditionError(f"{where}: 'in' on fact {name!r} takes a non-empty list of values")
        if any(isinstance(v, dict) for v in value):
            raise ConditionError(f"{where}: 'in' on fact {name!r} takes literal values, not fact references ({value!r})")
        return In(fact=fact.name, values=tuple(_literal(fact, v, where) for v in value))
    if op not in OPS:
        raise ConditionError(f"{where}: unknown operator {op!r} (known: all, any, exists, in, {', '.join(OPS)})")
    if fact.kind in ("bool", "enum") and op not in _EQUALITY:
        raise ConditionError(f"{where}: fact {name!r} is {_kind_nb(fact)}; it takes eq, ne or in, not {op!r}")
    if isinstance(value, dict):
        other = FACTS.get(value.get("fact")) if set(value) == {"fact"} and isinstance(value.get("fact"), str) else None
        if other is None:
            raise ConditionError(f"{where}: a comparison with a fact is written {{fact: NAME}} with a known fact name, got {value!r}")
        if (other.kind, other.values, other.scale) != (fact.kind, fact.values, fact.scale):
            raise ConditionError(
                f"{where}: fact {name!r} ({_kind_nb(fact)}) cannot be compared with fact {other.name!r} ({_kind_nb(other)})"
            )
        return Compare(fact=fact.name, op=op, value=FactRef(fact=other.name))
    return Compare(fact=fact.name, op=op, value=_literal(fact, value, where))


def _kind_nb(fact: Fact) -> str:
    if fact.kind == "enum":
        return f"an enum of {', '.join(fact.values)}"
    if fact.kind == "decimal":
        return f"a decimal with at most {fact.scale} decimals"
    return {"date": "a date", "integer": "an integer", "bool": "true/false"}[fact.kind]


def _literal(fact: Fact, value: Any, where: str) -> Any:
    """A literal checked against the fact's type and coerced to its Python form."""
    bad = ConditionError(f"{where}: fact {fact.name!r} is {_kind_nb(fact)}; {value!r} ({type(value).__name__}) is not")
    if fact.kind == "date":
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        raise bad
    if fact.kind == "bool":
        if isinstance(value, bool):
            return value
        raise bad
    if fact.kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise bad
    if fact.kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise bad
        try:
            dec = Decimal(str(value))
            decimal_int(dec, fact.scale)
        except (InvalidOperation, ValueError):
            raise bad from None
        return dec
    if isinstance(value, str) and value in fact.values:
        return value
    raise bad


def to_yaml(cond: "Condition | FactRef") -> Any:
    """The condition in the rules files' own syntax (literals as Python values)."""
    if isinstance(cond, FactRef):
        return {"fact": cond.fact}
    if isinstance(cond, (All, AnyOf)):
        return {"all" if isinstance(cond, All) else "any": [to_yaml(c) for c in cond.items]}
    if isinstance(cond, Exists):
        return {"fact": cond.fact, "exists": cond.present}
    if isinstance(cond, In):
        return {"fact": cond.fact, "in": list(cond.values)}
    return {"fact": cond.fact, cond.op: to_yaml(cond.value) if isinstance(cond.value, FactRef) else cond.value}


# -- (a) durable_rules -------------------------------------------------------------------------


def encode_literal(fact: str, value: Any) -> Any:
    """A literal in the form both evaluators compare: dates as day numbers, decimals as scaled
    integers, the rest as they are."""
    spec = FACTS[fact]
    if spec.kind == "date":
        return day_number(value)
    if spec.kind == "decimal":
        return decimal_int(value, spec.scale)
    return value


def to_durable(cond: Condition) -> dict[str, Any]:
    """durable_rules' JSON expression of the condition (facts posted with dates as day numbers)."""
    if isinstance(cond, (All, AnyOf)):
        parts = [to_durable(c) for c in cond.items]
        return parts[0] if len(parts) == 1 else {"$and" if isinstance(cond, All) else "$or": parts}
    if isinstance(cond, Exists):
        return {"$ex" if cond.present else "$nex": {cond.fact: 1}}
    present = [{"$ex": {cond.fact: 1}}]
    if isinstance(cond, In):
        alts = [{cond.fact: encode_literal(cond.fact, v)} for v in cond.values]
        return {"$and": present + [alts[0] if len(alts) == 1 else {"$or": alts}]}
    if isinstance(cond.value, FactRef):
        present.append({"$ex": {cond.value.fact: 1}})
        right: Any = {"$m": cond.value.fact}
    else:
        right = encode_literal(cond.fact, cond.value)
    test = {cond.fact: right} if cond.op == "eq" else {_DURABLE_OP[cond.op]: {cond.fact: right}}
    return {"$and": present + [test]}


# -- (b) numpy -------------------------------------------------------------------------------


class Coded:
    """An enum column as integer codes, so tests compare integers instead of strings."""

    def __init__(self, values: np.ndarray, codes: np.ndarray | None = None, index: dict | None = None):
        self.values = values
        if codes is None:
            import pandas as pd  # here only: columns coded by their maker (the fact table) need no pandas

            codes, uniques = pd.factorize(values)
            index = {v: i for i, v in enumerate(uniques)}
        self.codes = codes
        self._index = index or {}

    @property
    def distinct(self) -> list[Any]:
        return list(self._index)

    def take(self, rows: np.ndarray) -> "Coded":
        return Coded(self.values[rows], self.codes[rows], self._index)

    def __len__(self) -> int:
        return len(self.codes)

    def code(self, value: Any) -> int:
        return self._index.get(value, -2)  # -2: a value no row has (factorize uses -1 for missing)


Column = tuple[Any, "np.ndarray | None"]
"""A fact column: (values, presence mask or None when present in every row)."""


class FactColumns:
    """Fact columns by name: given ones, derived ones computed on first use, and views on a
    subset of rows (so a condition's later tests run only on the rows its first tests leave)."""

    def __init__(self, given: dict[str, Column], derived: dict[str, Callable[["FactColumns"], Column]] | None = None,
                 parent: "FactColumns | None" = None, rows: np.ndarray | None = None):
        self._given = given
        self._derived = derived or {}
        self._parent = parent
        self._rows = rows
        self._cache: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Column:
        hit = self._cache.get(name)
        if hit is None:
            if name in self._derived:
                hit = self._derived[name](self)
            elif self._parent is not None:
                values, exists = self._parent[name]
                rows = self._rows
                hit = (values.take(rows) if isinstance(values, Coded) else values[rows],
                       None if exists is None else exists[rows])
            else:
                hit = self._given[name]
            self._cache[name] = hit
        return hit

    def subset(self, rows: np.ndarray) -> "FactColumns":
        return FactColumns({}, self._derived, self, rows)


MaskFunction = Callable[[FactColumns], np.ndarray]


def _present(exists: np.ndarray | None, n: int) -> np.ndarray:
    return np.ones(n, dtype=bool) if exists is None else exists


@functools.lru_cache(maxsize=4096)
def mask_function(cond: Condition) -> MaskFunction:
    """The condition as a function from fact columns to a boolean mask. Date columns hold day
    numbers, decimal columns scaled integers, enum columns Coded or object arrays."""
    if isinstance(cond, All):
        fns = [mask_function(c) for c in cond.items]

        def all_of(cols: FactColumns) -> np.ndarray:
            out = fns[0](cols)
            for i in range(1, len(fns)):
                rows = np.flatnonzero(out)
                if len(rows) * 4 < len(out):  # few rows left: test the rest on those rows only
                    final = np.zeros(len(out), dtype=bool)
                    if len(rows):
                        sub = cols.subset(rows)
                        rest = fns[i](sub)
                        for fn in fns[i + 1:]:
                            rest = rest & fn(sub)
                        final[rows] = rest
                    return final
                out = out & fns[i](cols)
            return out

        return all_of
    if isinstance(cond, AnyOf):
        fns = [mask_function(c) for c in cond.items]

        def any_of(cols: FactColumns) -> np.ndarray:
            out = fns[0](cols)
            for fn in fns[1:]:
                out = out | fn(cols)
            return out

        return any_of
    name = cond.fact
    if isinstance(cond, Exists):
        want = cond.present

        def exists(cols: FactColumns) -> np.ndarray:
            values, present = cols[name]
            mask = _present(present, len(values))
            return mask.copy() if want else ~mask

        return exists
    if isinstance(cond, In):
        literals = [encode_literal(name, v) for v in cond.values]

        def one_of(cols: FactColumns) -> np.ndarray:
            values, present = cols[name]
            if isinstance(values, Coded):
                hit = np.isin(values.codes, [values.code(v) for v in literals])
            else:
                hit = np.isin(values, literals)
            return _present(present, len(values)) & hit

        return one_of
    op = _NUMPY_OP[cond.op]
    if isinstance(cond.value, FactRef):
        other = cond.value.fact

        def compare_facts(cols: FactColumns) -> np.ndarray:
            left, lp = cols[name]
            right, rp = cols[other]
            n = len(left)
            left = left.values if isinstance(left, Coded) else left
            right = right.values if isinstance(right, Coded) else right
            return _present(lp, n) & _present(rp, n) & np.asarray(op(left, right), dtype=bool)

        return compare_facts
    literal = encode_literal(name, cond.value)

    def compare(cols: FactColumns) -> np.ndarray:
        values, present = cols[name]
        n = len(values)
        if isinstance(values, Coded):  # enums take eq and ne only
            hit = values.codes == values.code(literal)
            result = hit if cond.op == "eq" else ~hit
        else:
            result = np.asarray(op(values, literal), dtype=bool)
        return _present(present, n) & result

    return compare


# -- (c) bokmål ------------------------------------------------------------------------------


def _value_nb(fact: str, value: Any) -> str:
    if isinstance(value, FactRef):
        return FACTS[value.fact].nb
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, Decimal):
        return f"{value:f}".replace(".", ",")
    return str(value)


def describe(cond: Condition | None) -> str:
    """The condition in plain bokmål, for explanations and `rates show`."""
    if cond is None:
        return "(vilkår på papir, ikke i inndata)"
    if isinstance(cond, (All, AnyOf)):
        if len(cond.items) == 1:
            return describe(cond.items[0])
        joiner = " og " if isinstance(cond, All) else " eller "
        return "(" + joiner.join(describe(c) for c in cond.items) + ")"
    name = FACTS[cond.fact].nb
    if isinstance(cond, Exists):
        return f"{name} er oppgitt" if cond.present else f"{name} mangler"
    if isinstance(cond, In):
        return f"{name} er en av {', '.join(_value_nb(cond.fact, v) for v in cond.values)}"
    return f"{name} {_OP_NB[cond.op]} {_value_nb(cond.fact, cond.value)}"


def facts_named(cond: Condition) -> set[str]:
    """Every fact the condition names (on either side)."""
    if isinstance(cond, (All, AnyOf)):
        return set().union(*(facts_named(c) for c in cond.items))
    out = {cond.fact}
    if isinstance(cond, Compare) and isinstance(cond.value, FactRef):
        out.add(cond.value.fact)
    return out
