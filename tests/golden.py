"""Golden figures: fixtures/golden/<period>.csv, the kroner written down by hand for lines that
pin every number of every shipped rate table (the columns and the review of a rate change are
in fixtures/golden/README.md), the comparison of an engine against them, and the numbers of a
rate table as written in its YAML.

The figures are written down, never derived from the rate table at test time: that is what
lets a change of one number in the table show up as a difference here.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from grants.money import to_kroner
from grants.pipeline.results import GrantResult
from tests.conftest import FIXTURES, REPO

GOLDEN = FIXTURES / "golden"
CASE, PINS, WORKING = "tilfelle", "satsfelt", "utregning"
EXPECTED = "forventet_"
STATUS, MONTHS, AMOUNT = "forventet_status", "forventet_maneder", "forventet_belop"

NOT_PRICED = {
    "period.deadline": "the application deadline is shown (rates list, the workbook's Satser sheet), never priced",
}
"""Numbers of a rate table that no amount depends on. The mutation test requires that changing
one of them changes no golden figure, so a rule that starts to price one fails until a golden
row pins it and it leaves this list."""


@dataclass(frozen=True)
class Golden:
    period: str
    path: Path
    header: list[str]
    rows: list[dict[str, str]]

    @property
    def name(self) -> str:
        return self.path.relative_to(REPO).as_posix()

    @property
    def not_input(self) -> list[str]:
        """The columns that are no input: passed to the engine as ignore_columns."""
        return [c for c in self.header if c in (PINS, WORKING) or c.startswith(EXPECTED)]

    @property
    def expected_columns(self) -> list[str]:
        return [c for c in self.header if c.startswith(EXPECTED)]

    @property
    def elements(self) -> list[str]:
        return [c[len(EXPECTED):] for c in self.expected_columns if c not in (STATUS, MONTHS, AMOUNT)]

    def pins(self, row: dict[str, str]) -> list[str]:
        return row[PINS].split()

    def pinned_cells(self) -> set[str]:
        return {cell for row in self.rows for cell in self.pins(row)}


def read_golden(path: Path) -> Golden:
    text = path.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";", strict=True)
    header = list(reader.fieldnames or [])
    rows = list(reader)
    for n, row in enumerate(rows, start=1):
        assert None not in row and None not in row.values(), f"{path}: row {n} has a wrong number of cells"
    missing = {CASE, PINS, STATUS, MONTHS, AMOUNT} - set(header)
    assert not missing, f"{path}: columns {sorted(missing)} missing"
    return Golden(path.stem, path, header, rows)


def golden_files() -> dict[str, Golden]:
    return {p.stem: read_golden(p) for p in sorted(GOLDEN.glob("*.csv"))}


# -- what the engine says, in the golden file's words ----------------------------------------

def observed_from_result(result: GrantResult, golden: Golden) -> dict[int, dict[str, str]]:
    """Row number -> the expected columns as the engine fills them."""
    seen: dict[int, dict[str, str]] = {}
    for n in range(1, len(golden.rows) + 1):
        lines = [line for line in result.lines if line.row == n]
        rejection = result.rejection(n)
        if rejection is not None or not lines:
            got = {STATUS: "rejected" if rejection is not None else "missing", MONTHS: "", AMOUNT: "0"}
            got.update({EXPECTED + e: "" for e in golden.elements})
        else:
            assert len(lines) == 1, f"{golden.name} row {n}: {len(lines)} results in one period"
            line = lines[0]
            got = {STATUS: line.status.value if line.period == golden.period else f"period {line.period}",
                   MONTHS: str(line.whole_months), AMOUNT: str(line.amount_nok)}
            granted = {e.element: str(to_kroner(e.granted)) for e in line.elements}
            got.update({EXPECTED + e: granted.get(e, "") for e in golden.elements})
        seen[n] = got
    return seen


def observed_from_cli_csv(text: str, golden: Golden) -> dict[int, dict[str, str]]:
    """The same from the command line's output file (`compute -o out.csv`)."""
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))
    seen: dict[int, dict[str, str]] = {}
    for out in rows:
        n = int(out["row"])
        assert n not in seen, f"{golden.name} row {n}: more than one output row"
        rejected = out["status"] == "rejected"
        got = {STATUS: out["status"] if out["period"] == golden.period else f"period {out['period']}",
               MONTHS: "" if rejected else out["whole_months"],
               AMOUNT: "0" if rejected else out["amount_nok"]}
        got.update({EXPECTED + e: out[f"{e}_nok"] for e in golden.elements})
        seen[n] = got
    return seen


def compare(observed: dict[int, dict[str, str]], golden: Golden, table_file: str) -> list[str]:
    """Every golden figure the engine does not give, one message each, naming the golden file,
    its row and column, and the rate-table cells (`<table file>:<cell>`) the row pins."""
    problems = []
    for n, row in enumerate(golden.rows, start=1):
        got = observed.get(n)
        pins = ", ".join(f"{table_file}:{cell}" for cell in golden.pins(row)) or "no rate cell"
        if got is None:
            problems.append(f"{golden.name} row {n} ({row[CASE]}): no result at all; the row pins {pins}")
            continue
        for column in golden.expected_columns:
            if got[column] != row[column]:
                problems.append(f"{golden.name} row {n} ({row[CASE]}), {column}: written {row[column]!r}, "
                                f"engine {got[column]!r}; the row pins {pins}")
    return problems


def compute_golden(engine: Any, golden: Golden) -> GrantResult:
    """All lines of a golden file in one call of the public compute, with the file's period."""
    from grants import compute

    return compute(golden.rows, period=golden.period, engine=engine, ignore_columns=golden.not_input)


# -- the numbers of a rate table, read from its YAML text --------------------------------------

_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}


@dataclass(frozen=True)
class Number:
    """One number written in a rate table: its YAML path, where it stands in the text, and how
    it is written."""

    cell: str
    start: int
    end: int
    text: str
    is_date: bool

    def moved(self, step: int) -> str:
        """The number moved by `step` units in its last written place: 240000 -> 240001,
        0.60 -> 0.61, 57.75 -> 57.76, a date by one day."""
        if self.is_date:
            return (date.fromisoformat(self.text) + timedelta(days=step)).isoformat()
        value = Decimal(self.text)
        unit = Decimal(1).scaleb(value.as_tuple().exponent)  # type: ignore[arg-type]
        return str(value + step * unit)


def numbers_of(text: str) -> list[Number]:
    """Every number and date written in a rate table's YAML, found from the YAML itself, so a
    new parameter is enumerated without a change here."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    found: list[Number] = []

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, path + (str(key.value),))
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                walk(value, path + (str(i),))
        elif isinstance(node, yaml.ScalarNode) and node.tag in _NUMBER_TAGS and not node.style:
            found.append(Number(".".join(path), node.start_mark.index, node.end_mark.index, node.value,
                                node.tag.endswith("timestamp")))

    walk(root, ())
    return found


def with_number_moved(text: str, number: Number, step: int) -> str:
    assert text[number.start:number.end] == number.text, f"{number.cell}: not found where YAML put it"
    return text[:number.start] + number.moved(step) + text[number.end:]
