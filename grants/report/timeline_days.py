"""The timeline's data: the days of every line part classified (paid whole months, days before
the agreement, outside the period, not a whole month, split with another line), the rejected
rows whose days can be drawn, and where a doctor's lines overlap."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Mapping, Sequence

from dateutil.relativedelta import relativedelta

from grants.domain import Status
from grants.errors import GrantsError
from grants.months import calendar_months
from grants.pipeline.headers import map_header
from grants.pipeline.inputs import LineInput, Rejection, validate_row
from grants.pipeline.results import LineResult
from grants.report.vocabulary_nb import MONTH_ABBR_NB, date_nb
from grants.rules.rulebook import counted_by


_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of days [start, end] of one line part, and what it is (a DAY_KIND_NB key)."""

    kind: str
    start: date
    end: date
    note: str = ""


def _subtract(spans: list[tuple[date, date]], cut: tuple[date, date]) -> list[tuple[date, date]]:
    """The inclusive spans with the days of `cut` removed."""
    out = []
    for a, b in spans:
        if cut[1] < a or cut[0] > b:
            out.append((a, b))
            continue
        if a < cut[0]:
            out.append((a, cut[0] - _DAY))
        if cut[1] < b:
            out.append((cut[1] + _DAY, b))
    return out


def part_span(r: LineResult) -> tuple[date, date]:
    """The days of the line that belong to this part's period (before any agreement date)."""
    if r.counted_end is None:  # outside the period: an empty span
        return r.rate_table.period.first_day, r.rate_table.period.first_day - _DAY
    return max(r.line.start, r.rate_table.period.first_day), r.counted_end


def month_cells(r: LineResult) -> list[tuple[date, date]]:
    """The whole months the engine counted for this part, as day spans, by the method of the
    line's count_months rule (the table's, unless the rule names another)."""
    if r.counted_start is None or r.counted_end is None or r.counted_end < r.counted_start or r.whole_months <= 0:
        return []
    if counted_by(r.rules, r.rate_table) == "calendar":
        cells = []
        for y, m in calendar_months(r.counted_start, r.counted_end):
            first = date(y, m, 1)
            cells.append((first, first + relativedelta(months=1) - _DAY))
    else:
        start = r.counted_start
        cells = [(start + relativedelta(months=k), start + relativedelta(months=k + 1) - _DAY) for k in range(r.whole_months)]
    return cells


def _not_whole(span: tuple[date, date], cells: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """The days of `span` outside the part's whole months."""
    if span[1] < span[0]:
        return []
    rest = [span]
    for cell in cells:
        rest = [s for piece in rest for s in _subtract([piece], cell)]
    return rest


def _months_touched(a: date, b: date) -> set[tuple[int, int]]:
    out, y, m = set(), a.year, a.month
    while (y, m) <= (b.year, b.month):
        out.add((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def segments(r: LineResult, doctor_parts: Iterable[LineResult] = ()) -> list[Segment]:
    """Every day of the line part, classified: paid whole months, whole months of an ineligible
    line, days before the agreement, days outside the period, and days that make no whole month
    (split with another line of the same doctor, when one covers the rest of that month).

    `doctor_parts` are the doctor's other line parts: days of this row that another part of the
    same row counts (a line split across periods) are drawn there, not here."""
    others = [o for o in doctor_parts if o is not r]
    same_row = [part_span(o) for o in others if o.row == r.row]
    other_rows = [o for o in others if o.row != r.row]
    first, last = part_span(r)
    out: list[Segment] = []
    line_span = [(r.line.start, r.line.end)]
    outside = line_span if last < first else _subtract(line_span, (first, last))
    for span in same_row:
        outside = [s for piece in outside for s in _subtract([piece], span)]
    for a, b in outside:
        out.append(Segment("clipped", a, b, f"utenfor perioden {r.period} ({date_nb(r.rate_table.period.first_day)}–"
                                            f"{date_nb(r.rate_table.period.last_day)})"))
    if last < first or r.counted_start is None or r.counted_end is None:  # outside the period
        return out
    if r.counted_start > first:
        end = min(r.counted_start - _DAY, last)
        signed = r.line.agreement_signed
        out.append(Segment("before_agreement", first, end,
                           f"ALIS-avtalen signert {date_nb(signed)}" if signed else "før tellingen starter"))
    if r.counted_end < r.counted_start:
        return out
    cells = month_cells(r)
    kind = "paid" if r.status is Status.OK else "counted_unpaid"
    for a, b in cells:
        out.append(Segment(kind, a, b, f"{MONTH_ABBR_NB[a.month - 1]} {a.year}" if counted_by(r.rules, r.rate_table) == "calendar" else ""))
    for a, b in _not_whole((r.counted_start, r.counted_end), cells):
        months = _months_touched(a, b)
        sharing = sorted({o.row for o in other_rows
                          if any(months & _months_touched(*span) for span in _not_whole(part_span(o), month_cells(o)))})
        if sharing:
            rows = " og ".join(f"rad {n}" for n in sharing)
            out.append(Segment("split", a, b, f"måneden deles med {rows}; ingen av linjene har hele måneden"))
        else:
            out.append(Segment("partial", a, b, "ikke en hel måned"))
    return sorted(out, key=lambda s: s.start)


@dataclass(frozen=True, slots=True)
class DrawnDays:
    """What the timeline needs of a rejected row whose values do not all parse (a share of 120,
    an unknown role): its doctor and its days."""

    alis_id: str
    kommunenummer: str | None
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class RejectedLine:
    """A rejected row drawn on the timeline: one whose own values could be read (rejected for
    overlapping another line, so the overlap can be seen), or one rejected for a value (its
    share, its role) whose doctor and dates could be read, so its days are seen too."""

    row: int
    line: "LineInput | DrawnDays"
    message: str
    copy_of: int | None = None
    """The row this one is an exact copy of (Rejection.copy_of): it was never counted, so it
    overlaps nothing; it is drawn and labelled as a copy."""

    @property
    def counted(self) -> bool:
        """Whether the engine's checks between rows saw it (all its values valid): only then can
        it overlap another line."""
        return isinstance(self.line, LineInput) and self.copy_of is None


def rejected_lines(records: Sequence[Mapping[str, object]], rejections: Sequence[Rejection]) -> list[RejectedLine]:
    """The rejected rows whose values all parse on their own (the engine rejected them for
    something between rows, such as an overlap); rows with a bad value are left out."""
    if not records or not rejections:
        return []
    keys: dict[str, None] = {}
    for rec in records:
        keys.update(dict.fromkeys(map(str, rec)))
    try:
        header = map_header(keys)
    except (GrantsError, ValueError):
        return []
    out = []
    for rej in rejections:
        if not 1 <= rej.row <= len(records):
            continue
        parsed = validate_row(rej.row, records[rej.row - 1], header)
        if isinstance(parsed, LineInput):
            out.append(RejectedLine(rej.row, parsed, rej.message, rej.copy_of))
            continue
        days = _days_of(records[rej.row - 1], header)
        if days is not None:
            out.append(RejectedLine(rej.row, days, rej.message, rej.copy_of))
    return out


def _days_of(record: Mapping[str, object], header: object) -> DrawnDays | None:
    """A rejected row's doctor and days, when those parse (whatever else is wrong with it)."""
    from grants.pipeline.grammar import end_before_start, parse_alis_id, parse_date

    columns = getattr(header, "field_to_column", {})
    try:
        alis_id = parse_alis_id(record.get(columns["alis_id"]))
        start, end = parse_date(record.get(columns["start"])), parse_date(record.get(columns["end"]))
    except (KeyError, ValueError, TypeError):
        return None
    if end_before_start(start, end):
        return None
    number = record.get(columns.get("kommunenummer", ""))
    return DrawnDays(alis_id, str(number).strip() if number not in (None, "") else None, start, end)


def overlaps(parts: Sequence[LineResult | RejectedLine]) -> list[tuple[date, date, int, int]]:
    """Where two lines (different rows) of one doctor run at the same time: (start, end, row, row).
    A row rejected as a copy of another, or for a value of its own, is no overlap: the engine
    set it aside before checking overlaps, and the timeline draws it as what it is."""
    parts = [p for p in parts if not (isinstance(p, RejectedLine) and not p.counted)]
    out = []
    for i, a in enumerate(parts):
        for b in parts[i + 1:]:
            if a.row == b.row:
                continue
            start, end = max(a.line.start, b.line.start), min(a.line.end, b.line.end)
            if start <= end and (start, end, a.row, b.row) not in out and (start, end, b.row, a.row) not in out:
                out.append((start, end, min(a.row, b.row), max(a.row, b.row)))
    return out
