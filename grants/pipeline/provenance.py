"""What produced a result, and everything needed to compute it again: the manifest.

`Provenance` is built once per engine: the package version, and every rules file and rate
table the engine loaded, each with its SHA-256 and its whole text (a few kB each), so that a
result can be computed again months later, when the table that priced it may be gone. A run
adds what it was given (`Provenance.for_run`): the input's name, its SHA-256 and a hash of its
rows as read; the sessions' the same; the centrality files' SHA-256; every option that changes
money or how the result reads. `manifest()` is the JSON form every result file carries (within
`provenance` in JSON; the workbook's *Kontroll* sheet; the HTML report; a CSV's sidecar
`NAME.csv.kontroll.json`), and `alis-grant verify` / `grants.verify` read it back.

`as_json()` is the short form (version and hashes) each line's trace carries: the texts are
per result file, never per line. `sha256sum rates/2023.yaml` prints the hash a result names.
Files are named by their base name only (no folder), so no server path ever reaches a client.
A table or rule built in memory (no file) is hashed and embedded as its canonical JSON.

The rows hash (`rows_sha256`, `records_sha256`) is one definition for a file's rows as read and
for lines given as dicts or a DataFrame: the header, the row count, then column by column each
cell's text (a value that is not text, such as a number or None, tagged with its type),
streamed in chunks, so a million lines are hashed in well under a second without a copy of the
batch. A file saved again with the same rows (other line ends, quoting or separator) has
another SHA-256 but the same rows hash.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

if TYPE_CHECKING:
    from grants.rates.tables import RateBook, RateTable
    from grants.rules.rulebook import RuleBook

PACKAGE = "alis-grants"
_FALLBACK_VERSION = "0.1.0"
MANIFEST_FORMAT = 1
"""The manifest's layout version: a reader that meets a higher one says it cannot read it."""
MEMORY = "<memory>"


def package_version() -> str:
    """The installed distribution's version (pyproject.toml), the one number to quote."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:  # pragma: no cover - running from an uninstalled copy
        return _FALLBACK_VERSION


def _read_text(path: str) -> tuple[str, str] | None:
    """(sha256, text) of a data file, or None when it cannot be read. The text is the bytes
    decoded as UTF-8 without loss (a file that is not UTF-8 keeps its hash and gets no text)."""
    if not path:
        return None
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    return hashlib.sha256(raw).hexdigest(), text


def _canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file's bytes, read in chunks (an input of 100 MB is never held twice)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class TableHash:
    period: str
    file: str  # base name, or "<memory>"
    sha256: str
    status: str
    text: str = field(default="", repr=False, compare=False)  # the table as loaded (embedded in the manifest)

    def as_json(self) -> dict[str, str]:
        return {"file": self.file, "sha256": self.sha256, "status": self.status}


@dataclass(frozen=True)
class SourceRecord:
    """What a run read: the application (`input`) or the supervision sessions.

    `kind`: "file" (a CSV or .xlsx file: `name`, `sha256` of its bytes, `format`, `sheet` read),
    "lines" (dicts, a DataFrame or typed lines given to the library or the service: only the
    rows hash), or "hours" (sessions given already summed: nothing to check them by).
    `rows_sha256` hashes the rows as read (see the module docstring); `rows` counts them."""

    kind: str
    rows: int
    rows_sha256: str | None
    name: str | None = None
    sha256: str | None = None
    format: str | None = None
    sheet: str | None = None
    positions: tuple[tuple[int, int], ...] = ()
    """Where the data rows stood in the file (CSV line or Excel row), as runs (first, count):
    one run for a file without blank lines. A copy saved again may move its rows (a title line
    dropped); the result's texts name the original lines, so a verification uses these."""

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "format": self.format, "sheet": self.sheet,
                "sha256": self.sha256, "rows": self.rows, "rows_sha256": self.rows_sha256,
                "positions": [list(run) for run in self.positions] if self.kind == "file" else None}


def position_runs(positions: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """Consecutive positions as runs (first, count)."""
    runs: list[list[int]] = []
    for p in positions:
        if runs and runs[-1][0] + runs[-1][1] == p:
            runs[-1][1] += 1
        else:
            runs.append([p, 1])
    return tuple((a, n) for a, n in runs)


def expand_runs(runs: Iterable[Sequence[int]]) -> tuple[int, ...]:
    """The positions that `position_runs` made runs of."""
    return tuple(p for first, count in runs for p in range(int(first), int(first) + int(count)))


@dataclass(frozen=True)
class Provenance:
    """Version, hashes and texts of one engine's data (computed once when the engine is built);
    with `for_run`, also what one run read and the options it ran with."""

    version: str
    rules: tuple[tuple[str, str], ...]  # (file base name, sha256), sorted by name
    rates: tuple[TableHash, ...]
    rule_texts: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)  # (name, text)
    centrality: tuple[tuple[str, str], ...] = ()  # (file base name, sha256) of the centrality data
    input: SourceRecord | None = None
    sessions: SourceRecord | None = None
    options: tuple[tuple[str, Any], ...] = ()  # (name, value): period, sheet, ignore_columns, evaluator ...

    @classmethod
    def of(cls, ratebook: "RateBook", rulebook: "RuleBook") -> "Provenance":
        rules, texts = _rules_hashes(rulebook)
        return cls(package_version(), rules, tuple(_table_hash(t) for t in ratebook.tables), texts)

    def table(self, period: str) -> TableHash | None:
        return next((t for t in self.rates if t.period == period), None)

    def for_run(self, *, input: SourceRecord | None = None, sessions: SourceRecord | None = None,
                options: Mapping[str, Any] | None = None, centrality_folder: str | Path | None = None) -> "Provenance":
        """This engine's provenance with what one run read: the input and the sessions, the
        options, and the SHA-256 of the centrality files in `centrality_folder`."""
        return replace(self, input=input, sessions=sessions, options=tuple((options or {}).items()),
                       centrality=centrality_hashes(centrality_folder) if centrality_folder is not None else ())

    def as_json(self, periods: Iterable[str] | None = None) -> dict[str, Any]:
        """The short JSON form (version and hashes, no texts), as every trace carries it;
        `periods` limits the rate tables to those a result used."""
        wanted = None if periods is None else set(periods)
        return {
            "package": PACKAGE,
            "version": self.version,
            "rules_sha256": dict(self.rules),
            "rates_sha256": {t.period: t.as_json() for t in self.rates if wanted is None or t.period in wanted},
        }

    def manifest(self, periods: Iterable[str] | None = None, output: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The manifest: the short form (`rates_sha256` names the tables the result used),
        then the centrality files' hashes, what the run read, its options (with `output`, the
        options of the file written: format, lang, delimiter) and, embedded, every rules file
        and rate table the engine had loaded (a result's lines can depend on a table it did not
        price with: the period a line outside the asked one belongs to)."""
        doc = self.as_json(periods)
        doc["manifest"] = MANIFEST_FORMAT
        doc["centrality_sha256"] = dict(self.centrality)
        doc["input"] = None if self.input is None else self.input.as_json()
        doc["sessions"] = None if self.sessions is None else self.sessions.as_json()
        options = {**dict(self.options), **dict(output or {})}
        doc["options"] = {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}  # as JSON reads back
        texts = dict(self.rule_texts)
        doc["embedded"] = {
            "rules": {name: {"sha256": sha, "text": texts.get(name, "")} for name, sha in self.rules},
            "rates": {t.period: {"file": t.file, "sha256": t.sha256, "status": t.status, "text": t.text}
                      for t in self.rates},
        }
        return doc


def centrality_hashes(folder: str | Path) -> tuple[tuple[str, str], ...]:
    """(file name, sha256) of every data file (*.csv, *.yaml) in the centrality folder."""
    out = []
    for path in sorted(Path(folder).iterdir()):
        if path.suffix.lower() in (".csv", ".yaml", ".yml") and path.is_file():
            read = _read_text(str(path))
            if read is not None:
                out.append((path.name, read[0]))
    return tuple(out)


def _table_hash(table: "RateTable") -> TableHash:
    read = _read_text(table.file)
    if read is not None:
        return TableHash(table.id, Path(table.file).name, read[0], table.status, read[1])
    text = _canonical_json(table.model_dump(mode="json", exclude={"file"}))
    return TableHash(table.id, MEMORY, _sha256_text(text), table.status, text)


def _rules_hashes(rulebook: "RuleBook") -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    by_file: dict[str, list[Any]] = {}
    for rule in rulebook.rules:
        by_file.setdefault(rule.file, []).append(rule)
    hashes: dict[str, str] = {}
    texts: dict[str, str] = {}
    for file, rules in by_file.items():
        read = _read_text(file)
        if read is not None:
            name = Path(file).name
            hashes[name], texts[name] = read
        else:
            name = Path(file).name if file else MEMORY
            text = _canonical_json({"rules": [r.model_dump(mode="json", exclude={"file"}) for r in rules]})
            hashes[name], texts[name] = _sha256_text(text), text
    return tuple(sorted(hashes.items())), tuple(sorted(texts.items()))


# --- the rows hash ------------------------------------------------------------------------------

_SEP, _TAG, _ESC = "\x1f", "\x1e", "\x1b"
_CHUNK = 1 << 20  # cells per piece: a column of a million lines is one join, a larger one is cut
_ROWS_HASH_HEAD = "alis-grants rows v1\n"


def _cell_text(value: Any) -> str:
    """A cell that is not text, as tagged text: never equal to any text cell (a text cell that
    starts with the tag is escaped). Missing values (None, NaN, pandas' NA) are one "empty"."""
    if value is None:
        return _TAG + "N"
    if isinstance(value, bool):
        return _TAG + ("b:true" if value else "b:false")
    if isinstance(value, int):
        return f"{_TAG}i:{value}"
    if isinstance(value, float):
        return _TAG + "N" if math.isnan(value) else f"{_TAG}f:{value!r}"
    if isinstance(value, Decimal):
        return f"{_TAG}d:{value}"
    if isinstance(value, (date, datetime)):
        return f"{_TAG}t:{value.isoformat()}"
    try:
        import pandas as pd  # only when such a value is met: a DataFrame's NA, NaT, numpy numbers

        if pd.isna(value):
            return _TAG + "N"
    except (ImportError, TypeError, ValueError):
        pass
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return _cell_text(item())
        except (TypeError, ValueError):
            pass
    return f"{_TAG}o:{type(value).__name__}:{value}"


def _escape(text: str) -> str:
    return text.replace(_ESC, _ESC + _ESC).replace(_SEP, _ESC + _SEP).replace(_TAG, _ESC + _TAG)


def _update_column(digest: Any, values: Sequence[Any]) -> None:
    """Each cell as its text, ended by the separator; separator, tag and escape characters in
    a text are escaped. The common case (every cell a plain text) is one join per chunk."""
    for start in range(0, len(values), _CHUNK):
        chunk = values if len(values) <= _CHUNK else values[start:start + _CHUNK]
        try:
            joined = _SEP.join(chunk) + _SEP
        except TypeError:  # some values are not text: tagged; only the texts can need escaping
            joined = _SEP.join([v if type(v) is str else _cell_text(v) for v in chunk]) + _SEP
            texts = "".join([v for v in chunk if type(v) is str])
            if texts.count(_SEP) or _TAG in texts or _ESC in texts:
                joined = "".join((_escape(v) if isinstance(v, str) else _cell_text(v)) + _SEP for v in chunk)
        else:
            if joined.count(_SEP) != len(chunk) or _TAG in joined or _ESC in joined:
                joined = "".join(_escape(v) + _SEP for v in chunk)
        digest.update(joined.encode("utf-8", "surrogatepass"))


def rows_sha256(header: Sequence[Any], columns: Sequence[Sequence[Any]], n_rows: int) -> str:
    """The rows hash of a table given column by column (each column one value per row)."""
    digest = hashlib.sha256()
    digest.update((_ROWS_HASH_HEAD + _canonical_json([str(h) for h in header]) + f"\n{n_rows}\n")
                  .encode("utf-8", "surrogatepass"))
    for column in columns:
        _update_column(digest, column if isinstance(column, (list, tuple)) else list(column))
    return digest.hexdigest()


def records_sha256(lines: Any) -> tuple[str, int]:
    """(rows hash, rows) of lines as the library takes them: a DataFrame, a list of dicts (a
    key missing on a row is an empty cell, as the engine reads it), or typed lines (pydantic
    models, hashed as their JSON form)."""
    if hasattr(lines, "columns") and hasattr(lines, "to_numpy") and hasattr(lines, "__getitem__"):  # a DataFrame
        header = [str(c) for c in lines.columns]
        columns = [lines.iloc[:, i].to_numpy(dtype=object).tolist() for i in range(len(header))]
        return rows_sha256(header, columns, len(lines)), len(lines)
    if hasattr(lines, "header") and hasattr(lines, "columns") and hasattr(lines, "n_rows"):  # a table given by columns
        return rows_sha256(lines.header, [list(c) for c in lines.columns], lines.n_rows), lines.n_rows
    records = [_as_record(r) for r in lines]
    keys: dict[Any, None] = {}
    for record in records:
        if not record.keys() <= keys.keys():
            keys.update(dict.fromkeys(record))
    columns = [[record.get(k) for record in records] for k in keys]
    return rows_sha256(list(keys), columns, len(records)), len(records)


def _as_record(row: Any) -> Mapping[Any, Any]:
    """A row as a mapping: a typed line by its JSON form; something that is no row at all (the
    engine rejects it by name) by its type and text, so the hash never fails where the engine
    does not."""
    if isinstance(row, Mapping):
        return row
    if hasattr(row, "model_dump"):
        return row.model_dump(mode="json")
    return {_TAG + "row": f"{type(row).__name__}:{row!r}"}
