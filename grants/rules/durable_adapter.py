"""The one door to durable_rules: compile once, post in small batches, lose nothing.

durable_rules (last release 2020) has known defects this module contains:
- a batch above roughly ten thousand events can silently lose events: we post at most
  BATCH_LIMIT facts per call, and every ruleset gets one more rule, SEEN_RULE, that matches
  every posted fact; a fact SEEN_RULE did not fire for was lost (not merely unmatched), and
  raises ConservationError naming the line;
- rulesets are process-global and leak memory when re-created: each distinct definition is
  created once per process and cached by its content digest;
- its Host class starts background timer threads, and threads crash it: we call the C engine
  directly (no Host, no timers) and serialise every call behind one lock;
- a rule whose expression has `$or` fires once for every branch that holds: a rule is
  reported at most once per fact (it matched, or it did not);
- it raises "message not handled" when no rule matches: here that is an explicit empty result
  for that fact, which the engine turns into a visible outcome.

Facts (not events) are used so that every matching rule fires once per line; each batch is
retracted after it has been drained, so the engine's memory does not grow with the input.

durable_rules is installed only where its C engine builds (Python 3.11 and 3.12: it calls
PyEval_CallObject, which Python 3.13 removed). Where it cannot be imported, `available()` is
false, `unavailable_reason()` says why in bokmål, and the engine runs the rules' numpy
compilation (grants.rules.fire_columns) instead.
"""
from __future__ import annotations

import itertools
import json
import sys
import threading
from typing import Any, Sequence

from grants.errors import ConservationError, EvaluatorUnavailableError

try:
    import durable_rules_engine as _engine
except ImportError as _exc:  # not installed (Python 3.13 and later), or installed but broken
    _engine = None
    _IMPORT_ERROR: str | None = f"{type(_exc).__name__}: {_exc}"
else:
    _IMPORT_ERROR = None

BATCH_LIMIT = 1000
"""Facts per call: far below the ~10,000 where post_batch was seen to lose events."""

SEEN_RULE = "__posted__"
"""The catch-all rule added to every ruleset: it fires once for each fact that arrived."""

_POSTED = "__posted"
"""A key every posted fact carries, and only posted facts (not durable_rules' own state)."""

_LOCK = threading.Lock()
_RULESETS: dict[str, "RuleRunner"] = {}
_FACT_IDS = itertools.count(1)


class RuleRunner:
    """A compiled ruleset. Use `runner_for`; do not create these directly."""

    def __init__(self, name: str, definition: dict[str, Any]):
        self.name = name
        if SEEN_RULE in definition:
            raise ValueError(f"rule name {SEEN_RULE!r} is reserved for the adapter")
        with_seen = {key: _posted_only(rule) for key, rule in definition.items()}
        with_seen[SEEN_RULE] = {"all": [{"m": {"$ex": {_POSTED: 1}}}]}
        self._handle = _engine.create_ruleset(name, json.dumps(with_seen, ensure_ascii=False))

    def fire(self, facts: list[dict[str, Any]], labels: Sequence[str] | None = None) -> list[list[str]]:
        """For each fact, in order, the names of the rules that matched it (maybe none).

        Raises ConservationError if a posted fact did not come back (the catch-all SEEN_RULE
        did not fire for it; the message names it by `labels[i]`, or its position), if
        durable_rules reports a fact that was not posted, or if a posted fact is still held
        after the batch was retracted.
        """
        fired: list[list[str]] = [[] for _ in facts]
        seen = [False] * len(facts)
        with _LOCK:
            for offset in range(0, len(facts), BATCH_LIMIT):
                chunk = facts[offset : offset + BATCH_LIMIT]
                index: dict[int, int] = {}
                payload = []
                for i, fact in enumerate(chunk):
                    fact_id = next(_FACT_IDS)
                    index[fact_id] = offset + i
                    payload.append({"id": fact_id, **fact, _POSTED: 1})
                text = json.dumps(payload, ensure_ascii=False)
                _engine.assert_facts(self._handle, text)
                try:
                    self._drain(fired, seen, index)
                finally:  # never leave a batch's facts in the process-wide ruleset
                    _engine.retract_facts(self._handle, text)
            held = json.loads(_engine.get_facts(self._handle, "0") or "[]")
        lost = [i for i, ok in enumerate(seen) if not ok]
        if lost:
            named = ", ".join(labels[i] if labels is not None else f"fact {i + 1} of {len(facts)}" for i in lost[:5])
            raise ConservationError(
                f"durable_rules lost {len(lost)} of {len(facts)} posted facts (no outcome came back): {named}"
            )
        if held:
            raise ConservationError(f"durable_rules still holds {len(held)} facts after retraction")
        return fired

    def _drain(self, fired: list[list[str]], seen: list[bool], index: dict[int, int]) -> None:
        result = _engine.start_action(self._handle)
        while result:
            _state, message, action = result
            rule_name, fact_id = _rule_and_fact_id(message)
            if fact_id not in index:
                _engine.abandon_action(self._handle, action)
                raise ConservationError(f"durable_rules fired rule {rule_name} for fact {fact_id}, which was not posted in this batch")
            if rule_name == SEEN_RULE:
                seen[index[fact_id]] = True
            elif rule_name not in fired[index[fact_id]]:  # a rule fires once per true `$or` branch
                fired[index[fact_id]].append(rule_name)
            following = _engine.complete_and_start_action(self._handle, action)
            result = (None, following, action) if following else _engine.start_action(self._handle)


def _posted_only(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule that matches posted facts only: durable_rules keeps a state fact of its own per
    ruleset (id "sid-0"), which a condition such as `$nex` alone would otherwise match."""
    patterns = rule.get("all")
    if not isinstance(patterns, list):
        raise ValueError("the adapter takes rules of the form {'all': [{'m': EXPRESSION}, ...]}")
    return {**rule, "all": [{k: {"$and": [{"$ex": {_POSTED: 1}}, v]} for k, v in p.items()} for p in patterns]}


_ID_MARK = '":{"m":{"id": '


def _rule_and_fact_id(message: str) -> tuple[str, int]:
    """The rule name and fact id of a fired action. The message echoes the posted JSON, whose
    first key is the id, so a slice is enough; anything unexpected falls back to json."""
    end = message.find('"', 2)
    if end > 2 and message.startswith(_ID_MARK, end):
        start = end + len(_ID_MARK)
        stop = message.find(",", start)
        digits = message[start:stop]
        if digits.isdigit():
            return message[2:end], int(digits)
    (rule_name, match), = json.loads(message).items()
    return rule_name, match["m"]["id"]


def available() -> bool:
    """Whether durable_rules' C engine can be used in this interpreter."""
    return _engine is not None


def unavailable_reason() -> str | None:
    """Why durable_rules cannot be used here (bokmål), or None where it can."""
    if _engine is not None:
        return None
    python = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info >= (3, 13):
        return (f"durable_rules finnes ikke for Python {python}: C-motoren (siste utgave 2020) kaller "
                "PyEval_CallObject, som Python 3.13 fjernet, så prosjektet installerer den bare på Python 3.11 og 3.12")
    return f"durable_rules kan ikke importeres i Python {python} ({_IMPORT_ERROR}); installer prosjektet på nytt"


def runner_for(digest: str, definition: dict[str, Any]) -> RuleRunner:
    """The process-wide ruleset for this definition, created on first use only. Raises
    EvaluatorUnavailableError where durable_rules cannot be imported (see `available`)."""
    if _engine is None:
        raise EvaluatorUnavailableError(unavailable_reason() or "durable_rules mangler")
    with _LOCK:
        runner = _RULESETS.get(digest)
        if runner is None:
            runner = RuleRunner(f"alis_{digest}", definition)
            _RULESETS[digest] = runner
        return runner


def created_rulesets() -> int:
    """How many rulesets this process has created (for tests of the no-leak promise)."""
    return len(_RULESETS)
