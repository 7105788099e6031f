"""The rules fired for a batch of facts, computed over columns: the same answer durable_rules
gives (grants.rules.durable_adapter.RuleRunner.fire), from the same compiled conditions
(grants.rules.conditions). The engine uses it for large batches (`evaluator="vectorised"`);
differential tests hold the two to the same answer."""
from __future__ import annotations

from typing import Any

import numpy as np

from grants.rules.conditions import Coded, FactColumns, mask_function
from grants.rules.facts import FACTS, date_int
from grants.rules.rulebook import RuleBook


def columns_from_facts(facts: list[dict[str, Any]]) -> FactColumns:
    """Fact dicts, as posted to durable_rules, as fact columns: a fact missing from a dict is
    absent in that row; dates stay YYYYMMDD integers, decimals scaled integers, bools 0/1.
    Enum columns are coded here (in order of first appearance, as pandas.factorize codes them)
    rather than by Coded, so that checking the rules when an engine is built needs no pandas."""
    n = len(facts)
    columns: dict[str, tuple[Any, np.ndarray | None]] = {}
    for name, spec in FACTS.items():
        raw = [f.get(name) for f in facts]
        exists = np.fromiter((v is not None for v in raw), dtype=bool, count=n)
        if spec.kind == "enum":
            text = [str(v) if v is not None else "" for v in raw]
            index: dict[str, int] = {}
            codes = np.fromiter((index.setdefault(t, len(index)) for t in text), dtype=np.intp, count=n)
            columns[name] = (Coded(np.array(text, dtype=object), codes, index), None if exists.all() else exists)
        else:
            values = np.fromiter((int(v) if v is not None else 0 for v in raw), dtype=np.int64, count=n)
            columns[name] = (values, None if exists.all() else exists)
    return FactColumns(columns)


def fire(rulebook: RuleBook, facts: list[dict[str, Any]]) -> list[list[str]]:
    """For each fact dict, the keys of the rules whose validity and condition hold: the same
    answer durable_rules gives (`RuleRunner.fire`), computed over columns. The engine uses it
    for large batches; a test compares the two on random facts."""
    n = len(facts)
    if n == 0:
        return []
    fact_view = columns_from_facts(facts)
    keys = list(rulebook.in_force)
    masks = [mask_function(rulebook.in_force[k], date_int)(fact_view) for k in keys]
    bits = np.zeros(n, dtype=np.int64) if len(keys) < 63 else None
    if bits is None:  # pragma: no cover - more rules than fit in a machine word
        return [[k for k, m in zip(keys, masks) if m[i]] for i in range(n)]
    for bit, m in enumerate(masks):
        bits |= m.astype(np.int64) << bit
    names = {int(c): [k for bit, k in enumerate(keys) if (int(c) >> bit) & 1] for c in np.unique(bits)}
    return [names[int(c)] for c in bits]
