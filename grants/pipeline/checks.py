"""The checks over a whole batch, on columns: exact copies, hours given beside the expense they
price, a doctor's overlapping shares above the cap, and, on the results, a month split between
two lines and a doctor written in several ways.

Each check finds its rows with whole-column operations and words the few rows it finds one by
one; the words are the same for a batch of two lines or two million.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, Callable

import numpy as np

from grants.domain import MONTH_NB
from grants.errors import ConservationError
from grants.money import format_percent
from grants.pipeline.codes import combine, factorize, running_max_by_group
from grants.days import date_of, day_text
from grants.pipeline.columns import InputColumns
from grants.pipeline.fields import EXPENSE
from grants.pipeline.inputs import Rejection
from grants.pipeline.overlaps import CapSpan, overlapping

_DAY = timedelta(days=1)


def _several(doctors: np.ndarray) -> np.ndarray:
    """Whether each row's doctor has more than one row."""
    if not len(doctors) or doctors.max() < 0:
        return np.zeros(len(doctors), dtype=bool)
    counts = np.bincount(doctors[doctors >= 0], minlength=int(doctors.max()) + 1)
    return (doctors >= 0) & (counts[np.maximum(doctors, 0)] > 1)


def reject_copies(cols: InputColumns, alive: np.ndarray) -> list[Rejection]:
    """Exact copies of a line (same doctor, whatever the spelling, and every other field equal:
    a copy-paste) would be paid twice: the copies are rejected, naming the first."""
    doctors = np.where(alive, cols.doctor_codes(), -1)
    candidates = np.flatnonzero(_several(doctors))  # a copy needs a doctor with several rows
    if candidates.size == 0:
        return []
    keys = [doctors[candidates]]
    for name in cols.compared_fields():
        keys.append(cols.value_codes(name)[candidates])
    group = combine(keys, candidates.size)
    _, first_at, which = np.unique(group, return_index=True, return_inverse=True)  # candidates ascend: the earliest row
    firsts = candidates[first_at[which.reshape(-1)]]
    copies = np.flatnonzero(firsts != candidates)
    out = []
    alis = cols.values("alis_id")
    kommune = cols.values("kommunenummer")
    for i, first in zip(candidates[copies].tolist(), firsts[copies].tolist()):
        spelled = "" if alis[first] == alis[i] else (
            f"; legen er skrevet «{alis[first]}» der og «{alis[i]}» her, som er samme lege-id")
        out.append(Rejection(
            i + 1, None, None,
            f"raden er en kopi av rad {first + 1} (samme lege, kommune, tidsrom, rolle, tilskuddstype "
            f"og stillingsandel) og ville gitt tilskudd to ganger; kopien er ikke tatt med{spelled}. "
            "Skriv linjen én gang",
            alis[i], kommune[i], copy_of=first + 1,
        ))
    return out


def reject_hours_and_expense(cols: InputColumns, alive: np.ndarray, hours_elements: set[str]) -> list[Rejection]:
    """A row with both supervision hours and the expense they price is ambiguous: which one is
    the expense? The row is rejected naming both columns."""
    expenses = [f for f in cols.expense_fields() if f[len(EXPENSE):] in hours_elements]
    if not expenses or not cols.present("supervision_hours").any():
        return []
    hours = cols.present("supervision_hours") & alive
    out = []
    both = np.zeros(cols.n, dtype=bool)
    for f in expenses:
        both |= hours & cols.present(f)
    for i in np.flatnonzero(both).tolist():
        row, line = i + 1, cols.line(i + 1)
        clash = sorted(e for e in hours_elements if e in line.expenses)
        hours_col, expense_col = cols.name("supervision_hours"), cols.name(f"expense:{clash[0]}")
        out.append(Rejection(
            row, f"{hours_col}/{expense_col}",
            f"{cols.raw(row, 'supervision_hours', line.supervision_hours)}/"
            f"{cols.raw(row, f'expense:{clash[0]}', line.expenses[clash[0]])}",
            f"både «{hours_col}» og «{expense_col}» er oppgitt: det er uklart hvilken som er utgiften til "
            f"{clash[0]}; oppgi bare én av dem",
            line.alis_id, line.kommunenummer,
        ))
    return out


def reject_overlaps(cols: InputColumns, alive: np.ndarray, shared_days: frozenset, caps: tuple[CapSpan, ...]
                    ) -> list[Rejection]:
    """Lines of one doctor that overlap in time with a summed share above the cap of the
    period's share_cap rule are rejected, each naming the rows it collides with and the rule.

    Sort and sweep: a doctor's lines sorted by start overlap only where a start is on or
    before the latest end so far; only those doctors go through the exact sweep
    (grants.pipeline.overlaps.overlapping), which also knows the shared boundary days."""
    doctors = np.where(alive, cols.doctor_codes(), -1)
    rows = np.flatnonzero(_several(doctors))
    if rows.size == 0:
        return []
    start, end = cols.days("start")[rows], cols.days("end")[rows]
    order = np.lexsort((start, doctors[rows]))
    d, s, e = doctors[rows][order], start[order], end[order]
    reach = running_max_by_group(d, e)  # the latest end so far, per doctor
    touches = np.zeros(len(order), dtype=bool)
    touches[1:] = (d[1:] == d[:-1]) & (s[1:] <= reach[:-1])
    suspects = np.unique(d[touches])
    if suspects.size == 0:
        return []
    sweep = rows[np.isin(doctors[rows], suspects)]
    shares = cols.share_hundredths()
    lowest_cap = min((c.cap for c in caps), default=100 * 100)
    sweep = sweep[np.isin(doctors[sweep], _summed_above(doctors[sweep], cols.days("start")[sweep],
                                                        cols.days("end")[sweep], shares[sweep], lowest_cap))]
    if sweep.size == 0:
        return []
    clashes = overlapping(
        ((int(doctors[i]), int(i) + 1, date_of(cols.days("start")[i]), date_of(cols.days("end")[i]), int(shares[i]))
         for i in sweep.tolist()),
        shared_days, caps,
    )
    out = []
    share_values, alis, kommune = cols.values("position_share"), cols.values("alis_id"), cols.values("kommunenummer")
    column = cols.name("position_share")
    worded: dict[tuple[type, str], str] = {}  # each share worded once (80 and 80.0 apart: as written)

    def percent(value: Any) -> str:
        key = (type(value), str(value))
        text = worded.get(key)
        if text is None:
            text = worded[key] = format_percent(value)
        return text

    for row in sorted(clashes):
        clash = clashes[row]
        share = share_values[row - 1]
        others = ", ".join(f"rad {r} ({percent(share_values[r - 1])})" for r in clash.others)
        out.append(Rejection(
            row, column, cols.raw(row, "position_share", share),
            f"overlapper i tid med {others} for samme lege ({alis[row - 1]}); i tiden "
            f"{day_text(clash.first_day)}–{day_text(clash.last_day)} er stillingsandelene med denne linjens "
            f"{percent(share)} til sammen {percent(Decimal(clash.total) / 100)}, over "
            f"{percent(Decimal(clash.cap) / 100)} (regel {clash.rule})",
            alis[row - 1], kommune[row - 1],
        ))
    return out


def _summed_above(doctors: np.ndarray, start: np.ndarray, end: np.ndarray, shares: np.ndarray, cap: int) -> np.ndarray:
    """The doctors whose lines' shares sum above `cap` on some day (each line counted on every
    day from its start to its end): a superset of those the exact sweep finds a clash for (it
    also knows the shared boundary days and each period's own cap, never below the lowest), so
    only they go through it."""
    days = np.concatenate([start, end + 1])
    delta = np.concatenate([shares, -shares])
    who = np.concatenate([doctors, doctors])
    order = np.lexsort((days, who))
    who, days, total = who[order], days[order], np.cumsum(delta[order])  # a doctor's deltas sum to 0
    last_of_day = np.ones(len(days), dtype=bool)  # every change on one day is in before the sum is read
    last_of_day[:-1] = (who[1:] != who[:-1]) | (days[1:] != days[:-1])
    return np.unique(who[last_of_day & (total > cap)])


def result_notes(rows: np.ndarray, periods: np.ndarray, split_candidate: np.ndarray, starts: np.ndarray,
                 ends: np.ndarray, cols: InputColumns) -> list[tuple[np.ndarray, np.ndarray]]:
    """Notes on results that only the batch shows, as layers (result indices, the note of
    each), to be added to the results' notes in order:

    - a doctor's share changes inside a month (one line ends on the 15th, the next starts on
      the 16th): with calendar months that month is whole in neither line, so neither pays it.
      No source says whether it should be paid pro rata (docs/DOMAIN.md §5): the month is named
      in both lines' reason so the officer sees it and can ask;
    - lines whose doctor is written in more than one way name the spellings (worded once per
      doctor).
    `split_candidate`: results with status ok counted in calendar months."""
    layers: list[tuple[np.ndarray, np.ndarray]] = []
    if len(rows) < 2:
        return layers
    doctors = cols.doctor_codes()[rows - 1]
    period_codes = factorize(periods)[0]
    cand = np.flatnonzero(split_candidate)
    if cand.size > 1:
        order = cand[np.lexsort((rows[cand], starts[cand], period_codes[cand], doctors[cand]))]
        a, b = order[:-1], order[1:]
        same = (doctors[a] == doctors[b]) & (period_codes[a] == period_codes[b])
        hit = same & (starts[b] == ends[a] + 1)
        earlier, later = [], []  # a result can be the later line of one split and the earlier of the next
        for ia, ib in zip(a[hit].tolist(), b[hit].tolist()):
            start, end = date_of(starts[ib]), date_of(ends[ia])
            if start.day == 1:
                continue
            month = f"{MONTH_NB[end.month - 1]} {end.year}"
            text = (f"måneden {month} er delt mellom rad {rows[ia]} (til {end:%d.%m.%Y}) og rad {rows[ib]} "
                    f"(fra {start:%d.%m.%Y}) og er hel på ingen av linjene, så den er ikke betalt på noen av dem; "
                    "ingen kilde sier om en slik måned skal betales forholdsmessig")
            earlier.append((ia, text))
            later.append((ib, text))
        by_result: dict[int, list[str]] = {}
        for i, text in sorted(later + earlier, key=lambda p: p[0]):
            by_result.setdefault(i, []).append(text)
        for depth in range(max((len(v) for v in by_result.values()), default=0)):
            chosen = [(i, v[depth]) for i, v in by_result.items() if len(v) > depth]
            layers.append((np.array([i for i, _ in chosen], dtype=np.int64), _objects([t for _, t in chosen])))
    spellings = cols.spelling_codes()[rows - 1]
    width = int(spellings.max()) + 1
    pairs = np.unique(doctors * width + spellings)
    doctor_ids, counts = np.unique(pairs // width, return_counts=True)
    mixed = doctor_ids[counts > 1]
    if mixed.size:
        alis = cols.values("alis_id")
        chosen = np.flatnonzero(np.isin(doctors, mixed))
        written = np.unique(doctors[chosen] * width + spellings[chosen], return_index=True)[1]
        names: dict[int, list[str]] = {}
        for doctor, row in zip(doctors[chosen][written].tolist(), rows[chosen][written].tolist()):
            names.setdefault(doctor, []).append(alis[row - 1])
        who, at = np.unique(doctors[chosen], return_inverse=True)
        texts = _objects([
            f"legen er skrevet på flere måter i filen ({', '.join(f'«{n}»' for n in sorted(set(names[d])))}); de er "
            "regnet som samme lege i kontrollen av kopier og overlapp, i utgiftstakene, i øktfilen og i summene per "
            "lege" for d in who.tolist()])
        layers.append((chosen, texts[at.reshape(-1)]))
    return layers


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def prove_conservation(n_rows: int, computed_rows: np.ndarray, rejected_rows: list[int]) -> None:
    """Every input row: one or more results (one per period part) or exactly one rejection."""
    rejected = np.asarray(rejected_rows, dtype=np.int64)
    computed = np.asarray(computed_rows, dtype=np.int64)
    problems = []
    if ((rejected < 1) | (rejected > n_rows)).any() or ((computed < 1) | (computed > n_rows)).any():
        problems.append("an outcome names a row that is not in the input")
    else:
        times_rejected = np.bincount(rejected, minlength=n_rows + 1)[1:]
        has_result = np.bincount(computed, minlength=n_rows + 1)[1:] > 0
        if (times_rejected > 1).any():
            problems.append("a row was rejected twice")
        both = np.flatnonzero(has_result & (times_rejected > 0)) + 1
        if both.size:
            problems.append(f"rows both computed and rejected: {both[:10].tolist()}")
        missing = np.flatnonzero(~has_result & (times_rejected == 0)) + 1
        if missing.size:
            problems.append(f"rows without any outcome: {missing[:10].tolist()}")
    if problems:
        raise ConservationError("; ".join(problems))


def passthrough(cols: InputColumns, taken: Callable[[str], bool]) -> dict[str, list[Any]]:
    """The officer's own columns, value per data row, under a name that cannot clash with an
    output column (a clash gets the suffix « (inndata)»)."""
    out: dict[str, list[Any]] = {}
    for name in cols.own:
        label = name if not taken(name) else f"{name} (inndata)"
        values = cols.cells.get(name)
        if values is None:
            out[label] = [None] * cols.n
            continue
        out[label] = [None if v is None or (isinstance(v, float) and v != v) else v for v in values.tolist()]
    return out


__all__ = ["reject_copies", "reject_hours_and_expense", "reject_overlaps", "result_notes", "prove_conservation",
           "passthrough"]
