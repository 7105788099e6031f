"""What produced a result: the package version and the SHA-256 of every rules file and rate table.

A stored result (a JSON file, a service response, a trace) carries this, so anyone can later
check which code and which data gave the amounts: `sha256sum rates/2023.yaml` must print the
hash the result names. Files are named by their base name only (no folder), so no server path
ever reaches a client. A table or rule built in memory (no file) is hashed by its canonical JSON.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from grants.rates.tables import RateBook, RateTable
    from grants.rules.rulebook import RuleBook

PACKAGE = "alis-grants"
_FALLBACK_VERSION = "0.1.0"


def package_version() -> str:
    """The installed distribution's version (pyproject.toml), the one number to quote."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:  # pragma: no cover - running from an uninstalled copy
        return _FALLBACK_VERSION


def _sha256_file(path: str) -> str | None:
    if not path:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _sha256_json(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TableHash:
    period: str
    file: str  # base name, or "<memory>"
    sha256: str
    status: str

    def as_json(self) -> dict[str, str]:
        return {"file": self.file, "sha256": self.sha256, "status": self.status}


@dataclass(frozen=True)
class Provenance:
    """Version and hashes of one engine's data, computed once when the engine is built."""

    version: str
    rules: tuple[tuple[str, str], ...]  # (file base name, sha256), sorted by name
    rates: tuple[TableHash, ...]

    @classmethod
    def of(cls, ratebook: "RateBook", rulebook: "RuleBook") -> "Provenance":
        return cls(package_version(), _rules_hashes(rulebook), tuple(_table_hash(t) for t in ratebook.tables))

    def table(self, period: str) -> TableHash | None:
        return next((t for t in self.rates if t.period == period), None)

    def as_json(self, periods: Iterable[str] | None = None) -> dict[str, Any]:
        """JSON form; `periods` limits the rate tables to those a result used."""
        wanted = None if periods is None else set(periods)
        return {
            "package": PACKAGE,
            "version": self.version,
            "rules_sha256": dict(self.rules),
            "rates_sha256": {t.period: t.as_json() for t in self.rates if wanted is None or t.period in wanted},
        }


def _table_hash(table: "RateTable") -> TableHash:
    digest = _sha256_file(table.file)
    if digest is not None:
        return TableHash(table.id, Path(table.file).name, digest, table.status)
    return TableHash(table.id, "<memory>", _sha256_json(table.model_dump(mode="json", exclude={"file"})), table.status)


def _rules_hashes(rulebook: "RuleBook") -> tuple[tuple[str, str], ...]:
    by_file: dict[str, list[Any]] = {}
    for rule in rulebook.rules:
        by_file.setdefault(rule.file, []).append(rule)
    out: dict[str, str] = {}
    for file, rules in by_file.items():
        digest = _sha256_file(file)
        if digest is not None:
            out[Path(file).name] = digest
        else:
            key = Path(file).name if file else "<memory>"
            out[key] = _sha256_json([r.model_dump(mode="json", exclude={"file"}) for r in rules])
    return tuple(sorted(out.items()))
