"""YAML for rate tables and rules, strict about repeated keys.

PyYAML's safe_load keeps the last of two repeated keys without a word; in a rate table that
silently replaces an amount, so here a repeated key is an error naming the key and the line.

Parsing runs on libyaml (yaml.CSafeLoader) when PyYAML was built with it: about ten times
faster, which matters because every command parses every rate table and rules file at start.
The C and the pure-Python parser build the same data from the same text (a test holds them to
it); a text either refuses is parsed again by the pure-Python one, so a broken file's message
(problem, line and column) does not depend on how PyYAML was built.
"""
from __future__ import annotations

from typing import Any

import yaml


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None,
                f"key {key!r} appears twice (lines {seen[key]} and {key_node.start_mark.line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


class _StrictLoader(yaml.SafeLoader):
    """The pure-Python parser: the reference, and the one whose error messages users see."""


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)

_FastLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):  # pragma: no branch - libyaml ships in PyYAML's wheels

    class _StrictCLoader(yaml.CSafeLoader):  # type: ignore[misc,name-defined]
        """The same constructors on libyaml's parser."""

    _StrictCLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
    _FastLoader = _StrictCLoader


def load_yaml(text: str, *, fast: bool = True) -> Any:
    """Parse YAML safely; a key repeated in one mapping raises yaml.YAMLError. `fast=False`
    uses the pure-Python parser only (the tests compare the two)."""
    if fast and _FastLoader is not None:
        try:
            return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a CSafeLoader subclass
        except yaml.YAMLError:
            pass  # parse again below, so the message is the pure-Python parser's own
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
