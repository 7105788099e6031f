"""A batch's lines as parts, one per line and period, as columns.

With a period named, each line is one part in it: clipped to the period (a note says so), or,
with no day in it, an empty part that is reported outside the period. Without, a line is split
at the period boundaries into one part per period it touches. Periods may share their
boundary day (2022 and 2023 share 2022-10-01): a split line counts that day once, in the later
period (where its month is whole), unless the line ends on it; a part left with no days is
dropped. Days no period covers are named in a note, a line no period touches is rejected, and
so is a split line that carries an expense into a model B period (which period is it for?).

Each part knows its municipality in its period's classification (looked up once per number
and period); an unknown number rejects the line. A part's own notes are kept as a code per
part and each distinct tuple of notes once (`note_texts`); a note worded from the line's own
dates (clipped to the period) is kept as a code and worded when the line is read.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from grants.days import date_of, day_number
from grants.pipeline import notes
from grants.pipeline.codes import combine, factorize, groups
from grants.pipeline.inputs import Rejection

if TYPE_CHECKING:
    from grants.pipeline.columns import InputColumns
    from grants.rates.centrality import CentralityRegistry, Municipality
    from grants.rates.tables import RateBook, RateTable


@dataclass
class Parts:
    """The parts of a batch as columns, in row and period order."""

    rows: np.ndarray  # 0-based input index of the part's line
    which: np.ndarray  # the part's period: index into the rate book's tables
    start: np.ndarray  # the part's first and last day (day numbers)
    end: np.ndarray
    line_start: np.ndarray  # the line's own days, as given
    line_end: np.ndarray
    outside: np.ndarray  # no day in the period asked for (a period was named)
    clipped: np.ndarray  # clipped to the period asked for
    note_codes: np.ndarray  # index into note_texts: the part's own notes
    note_texts: list[tuple[str, ...]]  # note_texts[0] is () (no note)
    classes: np.ndarray  # SSB's centrality class of the part's municipality
    muni_codes: np.ndarray  # the part's municipality: index into munis
    munis: list["Municipality"]

    @property
    def n(self) -> int:
        return len(self.rows)

    def take(self, keep: np.ndarray) -> "Parts":
        return Parts(self.rows[keep], self.which[keep], self.start[keep], self.end[keep], self.line_start[keep],
                     self.line_end[keep], self.outside[keep], self.clipped[keep], self.note_codes[keep],
                     self.note_texts, self.classes[keep], self.muni_codes[keep], self.munis)

    def notes_of(self, i: int) -> tuple[str, ...]:
        return self.note_texts[int(self.note_codes[i])]


def split(cols: "InputColumns", alive: np.ndarray, table: "RateTable | None", ratebook: "RateBook",
          centrality: "CentralityRegistry") -> tuple[Parts, list[Rejection]]:
    """The parts of the rows `alive` marks: in `table`'s period, or in every period they
    touch; with the rows rejected on the way (no period, unknown municipality, an expense
    spanning periods), one rejection each."""
    tables = ratebook.tables
    firsts = np.array([day_number(t.period.first_day) for t in tables], dtype=np.int64)
    lasts = np.array([day_number(t.period.last_day) for t in tables], dtype=np.int64)
    rows = np.flatnonzero(alive)
    start, end = cols.days("start")[rows], cols.days("end")[rows]
    rejections: list[Rejection] = []
    note_texts: list[tuple[str, ...]] = [()]
    if table is not None:
        k = next(i for i, t in enumerate(tables) if t is table)
        line_of = np.arange(rows.size)
        which = np.full(rows.size, k, dtype=np.int64)
        part_start, part_end = np.maximum(start, firsts[k]), np.minimum(end, lasts[k])
        outside = (end < firsts[k]) | (start > lasts[k])
        clipped = ~outside & ((start < firsts[k]) | (end > lasts[k]))
        # a clipped part's note is worded from its line's dates when the line is read (notes.worded)
        note_texts.append((notes.CLIPPED,))
        note_codes = clipped.astype(np.int64)
    else:
        touches = (start[:, None] <= lasts[None, :]) & (end[:, None] >= firsts[None, :])
        none = ~touches.any(axis=1)
        alis, numbers = cols.values("alis_id"), cols.values("kommunenummer")
        for i in np.flatnonzero(none).tolist():
            r = int(rows[i])
            rejections.append(notes.no_table(r + 1, date_of(start[i]), date_of(end[i]), alis[r], numbers[r], cols,
                                             ratebook))
        line_of, which = np.nonzero(touches)  # row-major: by line, then period
        line_of, which = line_of.astype(np.int64), which.astype(np.int64)
        part_start = np.maximum(start[line_of], firsts[which])
        part_end = np.minimum(end[line_of], lasts[which])
        outside = np.zeros(line_of.size, dtype=bool)
        clipped = np.zeros(line_of.size, dtype=bool)
        note_codes = np.zeros(line_of.size, dtype=np.int64)

    # the municipality of every part, in every period the line touches (before a boundary day
    # drops a part): a number unknown in any of them rejects the line
    munis, muni_codes, classes, unknown = _municipalities(cols.values("kommunenummer")[rows[line_of]], which,
                                                         tables, centrality)
    bad_lines = np.unique(line_of[unknown])
    if bad_lines.size:
        alis, numbers = cols.values("alis_id"), cols.values("kommunenummer")
        first_unknown = np.flatnonzero(unknown)[np.searchsorted(line_of[unknown], bad_lines)]
        for j in first_unknown.tolist():
            r = int(rows[line_of[j]])
            rejections.append(notes.unknown_municipality(r + 1, alis[r], numbers[r], tables[int(which[j])], cols,
                                                         centrality))

    keep = ~np.isin(line_of, bad_lines)
    if table is None:
        keep &= _split_at_boundaries(line_of, which, part_start, part_end, start, end, tables, note_codes,
                                     note_texts, keep)
        keep = _reject_spanning_expenses(cols, rows, line_of, which, keep, tables, rejections)
    parts = Parts(rows[line_of], which, part_start, part_end, start[line_of], end[line_of], outside, clipped,
                  note_codes, note_texts, classes, muni_codes, munis)
    return parts.take(keep), rejections


def _municipalities(numbers: np.ndarray, which: np.ndarray, tables: list["RateTable"],
                    centrality: "CentralityRegistry") -> tuple[list[Any], np.ndarray, np.ndarray, np.ndarray]:
    """Each part's municipality in its period's classification, looked up once per number and
    period: (the municipalities, each part's index into them, its SSB class, unknown or not)."""
    muni_codes = np.zeros(which.size, dtype=np.int64)
    classes = np.zeros(which.size, dtype=np.int64)
    unknown = np.zeros(which.size, dtype=bool)
    munis: list[Any] = []
    for k in np.unique(which).tolist():
        t = tables[k]
        members = np.flatnonzero(which == k)
        codes, uniques = factorize(numbers[members])
        found = [centrality.lookup(u, t.centrality.classification, t.centrality.preferred_codes) for u in uniques]
        muni_codes[members] = len(munis) + codes
        munis.extend(found)
        classes[members] = np.array([0 if m is None else m.centrality_class for m in found], dtype=np.int64)[codes]
        unknown[members] = np.array([m is None for m in found], dtype=bool)[codes]
    return munis, muni_codes, classes, unknown


def _split_at_boundaries(line_of: np.ndarray, which: np.ndarray, part_start: np.ndarray, part_end: np.ndarray,
                         start: np.ndarray, end: np.ndarray, tables: list["RateTable"], note_codes: np.ndarray,
                         note_texts: list[tuple[str, ...]], alive: np.ndarray) -> np.ndarray:
    """Count a boundary day two periods share once (in place on part_end), and give the parts
    of split lines their notes; returns the parts kept. Neighbouring periods share at most
    their boundary day (grants.rates.tables.RateBook), so only a line's consecutive parts can
    meet, on that day."""
    n = line_of.size
    keep = np.ones(n, dtype=bool)
    boundary = np.full(n, -1, dtype=np.int64)  # the later period, where the earlier part gave up the shared day
    if n > 1:
        i = np.flatnonzero((line_of[:-1] == line_of[1:]) & (part_end[:-1] >= part_start[1:]))
        ends_there = part_start[i + 1] == part_end[i + 1]  # the line ends on the shared day: it stays earlier
        keep[i[ends_there] + 1] = False
        trim = i[~ends_there]
        part_end[trim] = part_start[trim + 1] - 1
        boundary[trim] = which[trim + 1]
        keep[trim[part_start[trim] > part_end[trim]]] = False
    keep &= alive

    # lines with more than one part left, and lines with days no period covers
    kept_lines = line_of[keep]
    counts = np.bincount(kept_lines, minlength=start.size)
    firsts = np.array([day_number(t.period.first_day) for t in tables], dtype=np.int64)
    lasts = np.array([day_number(t.period.last_day) for t in tables], dtype=np.int64)
    first_part = np.ones(n, dtype=bool)
    first_part[1:] = line_of[1:] != line_of[:-1]
    last_part = np.ones(n, dtype=bool)
    last_part[:-1] = line_of[:-1] != line_of[1:]
    gap_before = first_part & (start[line_of] < firsts[which])
    gap_after = last_part & (end[line_of] > lasts[which])
    gap_between = np.zeros(n, dtype=bool)
    if n > 1:
        gap_between[1:] = ~first_part[1:] & (firsts[which[1:]] > lasts[which[:-1]] + 1)
    uncovered = np.zeros(start.size, dtype=bool)
    uncovered[line_of[gap_before | gap_after | gap_between]] = True
    noted = np.flatnonzero(keep & (uncovered[line_of] | (counts[line_of] > 1) | (boundary >= 0)))
    if noted.size == 0:
        return keep

    # each part's notes depend on: its period, the later period and day of a boundary it gave
    # up, the periods its line was split into, and (for a line with days no period covers, rare)
    # the line's own dates; worded once per distinct case
    ids = [t.id for t in tables]
    bit_type: Any = np.int64 if len(tables) < 63 else object  # Python integers beyond 62 tables
    bits = np.array([1 << k for k in range(len(tables))], dtype=bit_type)
    kept_bits = np.zeros(start.size, dtype=bit_type)
    np.add.at(kept_bits, line_of[keep], bits[which[keep]])  # the periods each line kept, one bit each
    split_bits = np.where(counts[line_of] > 1, kept_bits[line_of], 0)[noted]
    own_line = np.where(uncovered[line_of], line_of, -1)[noted]
    signature = combine([which[noted], boundary[noted] + 1, np.where(boundary >= 0, part_end, 0)[noted], split_bits,
                         own_line + 1], noted.size)
    index: dict[tuple[str, ...], int] = {}
    for same in groups(signature):
        j = int(noted[same[0]])
        line = int(line_of[j])
        text: tuple[str, ...] = ()
        if uncovered[line]:
            lo, hi = np.searchsorted(line_of, [line, line + 1]).tolist()
            touched = [tables[k] for k in which[lo:hi].tolist()]
            text = notes.uncovered_notes(date_of(start[line]), date_of(end[line]), touched)
        if boundary[j] >= 0:
            text += (notes.boundary_note(date_of(part_end[j] + 1), ids[int(boundary[j])]),)
        if counts[line] > 1:
            periods = tuple(ids[k] for k in range(len(tables)) if int(split_bits[same[0]]) >> k & 1)
            text += (_split_text(periods, ids[int(which[j])]),)
        code = index.get(text)
        if code is None:
            code = index[text] = len(note_texts)
            note_texts.append(text)
        note_codes[noted[same]] = code
    return keep


@functools.lru_cache(maxsize=4096)
def _split_text(periods: tuple[str, ...], period: str) -> str:
    return notes.split_note(periods, period)


def _reject_spanning_expenses(cols: "InputColumns", rows: np.ndarray, line_of: np.ndarray, which: np.ndarray,
                              keep: np.ndarray, tables: list["RateTable"], rejections: list[Rejection]) -> np.ndarray:
    """A line split into parts of which one is model B, with an expense, hours or an amount
    applied for: which period is it for? The line is rejected."""
    kept_lines = line_of[keep]
    counts = np.bincount(kept_lines, minlength=rows.size)
    model_b = np.array([t.model == "B" for t in tables], dtype=bool)
    touches_b = np.zeros(rows.size, dtype=bool)
    touches_b[line_of[keep & model_b[which]]] = True
    bad = np.flatnonzero((counts > 1) & touches_b & cols.cap_input()[rows])
    bounds = np.searchsorted(line_of, np.arange(rows.size + 1))
    for line in bad.tolist():
        r = int(rows[line]) + 1
        lo, hi = int(bounds[line]), int(bounds[line + 1])
        periods = tuple(tables[int(k)].id for k in which[lo:hi][keep[lo:hi]])
        rejections.append(notes.spanning_expense(r, cols.line(r), periods, cols))
    return keep & ~np.isin(line_of, bad)
