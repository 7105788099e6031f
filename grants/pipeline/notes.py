"""The bokmål words of the engine's own notes, reasons and rejections about line parts: a line
clipped to the period or outside it, split at period boundaries, a boundary day counted once,
days no table covers, an unknown municipality, an expense on a line that spans periods, a
centrality class given in the input, a share below the period's minimum.

Each text is made from codes and dates the pipeline keeps (a part's days, its period, a rule);
the same inputs give the same words, so each distinct text is worded once per batch.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from grants.days import day_text
from grants.pipeline.fields import CAP_INPUTS
from grants.pipeline.inputs import Rejection
from grants.rules.ruletext import number_nb, rule_text

if TYPE_CHECKING:
    from grants.pipeline.columns import InputColumns
    from grants.rates.centrality import CentralityRegistry, Municipality
    from grants.rates.tables import RateBook, RateTable
    from grants.rules.rulebook import Rule

_DAY = timedelta(days=1)


class _Deferred:
    """A note or reason kept as a code in a batch's columns and worded from the line's own
    dates when the line is read or written (`worded`): with real dates each clipped line has
    its own words, and a million of them are never made for a batch nobody reads line by line."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}: worded when read>"


CLIPPED = _Deferred("clipped to the period")
"""The note of a line clipped to the period asked for (`clip_note`)."""


def worded(texts: tuple[Any, ...], start: date, end: date, table: "RateTable") -> tuple[str, ...]:
    """A part's notes with the deferred ones worded from its line's dates."""
    if CLIPPED not in texts:
        return texts
    return tuple(clip_note(start, end, table) if t is CLIPPED else t for t in texts)



def outside_reason(start: date, end: date, table: "RateTable", ratebook: "RateBook") -> tuple[str, tuple[str, ...]]:
    """Why a line with no day in the period asked for is not computed, and the periods it fits."""
    first, last = table.period.first_day, table.period.last_day
    fits = tuple(t.id for t in ratebook.overlapping(start, end))
    where = (f"den hører til {'perioden' if len(fits) == 1 else 'periodene'} {', '.join(fits)}"
             if fits else "ingen kjent periode dekker den")
    return (f"linjen ({day_text(start)}–{day_text(end)}) ligger utenfor perioden "
            f"{table.id} ({day_text(first)}–{day_text(last)}) og er ikke beregnet for den; {where}"), fits


def clip_note(start: date, end: date, table: "RateTable") -> str:
    return (f"linjen ({day_text(start)}–{day_text(end)}) er klippet til perioden {table.id} "
            f"({day_text(table.period.first_day)}–{day_text(table.period.last_day)}); tid utenfor perioden er ikke tatt med")


def boundary_note(day: date, later: str) -> str:
    """On the earlier part of a split line: the boundary day it shares with the later period
    is counted there (where its month is whole)."""
    return f"dagen {day:%d.%m.%Y} hører også til perioden {later} og er regnet der"


def split_note(periods: tuple[str, ...], period: str) -> str:
    return f"linjen er delt ved periodegrensene ({', '.join(periods)}); denne delen gjelder perioden {period}"


def uncovered_notes(start: date, end: date, tables: list["RateTable"]) -> tuple[str, ...]:
    """Which days of the line no rate table covers (`tables`: those it touches, in order), so
    nothing is dropped silently."""
    gaps = []
    cursor = start
    for t in tables:
        if t.period.first_day > cursor:
            gaps.append((cursor, min(t.period.first_day - _DAY, end)))
        cursor = max(cursor, t.period.last_day + _DAY)
    if cursor <= end:
        gaps.append((cursor, end))
    return tuple(f"tiden {a:%d.%m.%Y}–{b:%d.%m.%Y} er ikke beregnet: ingen satstabell dekker den" for a, b in gaps)


def minimum_reason(minimum: "Rule", table: "RateTable", share: Decimal) -> str:
    """A share below the period's minimum (the share_minimum rule that reads it)."""
    return (f"{rule_text(minimum, table)} Stillingsandelen er {number_nb(share)} % "
            f"(regel {minimum.id}, satstabellen for {table.id}).")


def fixed_rates_note(table: "RateTable") -> str:
    return f"utgifter, veiledningstimer og søkte beløp brukes ikke i perioden {table.id} (faste satser)"


def override_note(given: int, muni: "Municipality") -> str:
    return (f"sentralitetsklasse {given} er oppgitt i søknaden og brukt i stedet for SSBs "
            f"klasse {muni.centrality_class} for {muni.name}")


def no_table(row: int, start: date, end: date, alis_id: Any, number: Any, columns: "InputColumns",
             ratebook: "RateBook") -> Rejection:
    """A line (no period named) that no rate table's period touches."""
    return Rejection(
        row, f"{columns.name('start')}/{columns.name('end')}",
        f"{columns.raw(row, 'start', start)}–{columns.raw(row, 'end', end)}",
        "ingen satstabell dekker tidsrommet; kjente perioder: "
        + ", ".join(f"{t.id} ({t.period.first_day:%d.%m.%Y}–{t.period.last_day:%d.%m.%Y})" for t in ratebook.tables),
        alis_id, number,
    )


def unknown_municipality(row: int, alis_id: Any, number: Any, table: "RateTable", columns: "InputColumns",
                         centrality: "CentralityRegistry") -> Rejection:
    return Rejection(
        row, columns.name("kommunenummer"), columns.raw(row, "kommunenummer", number),
        f"ukjent kommunenummer (finnes ikke i {centrality.titles[table.centrality.classification]}, "
        "verken med 2020–2023- eller 2024-kommunenumre)",
        alis_id, number,
    )


def spanning_expense(row: int, line: Any, periods: tuple[str, ...], columns: "InputColumns") -> Rejection:
    """A line split across periods cannot say which period its expense is for."""
    fields = [f"expense:{n}" for n in sorted(line.expenses)] + [f for f in CAP_INPUTS if getattr(line, f) is not None]
    first = fields[0]
    value = line.expenses.get(first[len("expense:"):]) if first.startswith("expense:") else getattr(line, first)
    return Rejection(
        row, columns.name(first), columns.raw(row, first, value),
        f"linjen ({line.start:%d.%m.%Y}–{line.end:%d.%m.%Y}) går over periodene {' og '.join(periods)}, og det er "
        "uklart hvilken periode utgiften eller det søkte beløpet gjelder; del linjen ved periodegrensen, eller beregn med --period",
        line.alis_id, line.kommunenummer,
    )
