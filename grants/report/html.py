"""The report for the case file: one self-contained HTML page (no network, printable to PDF)
that shows a computed batch to a person: the rates and their status, a table and the
explanation of every line per doctor, the rejected rows, and a timeline (inline SVG) of which
days were paid and why the others were not.

The report only shows what the engine computed (LineResult); it recomputes no amount. Every
text that comes from the input passes through `html.escape`.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from dateutil.relativedelta import relativedelta

from grants.domain import Status
from grants.errors import GrantsError
from grants.pipeline.headers import map_header
from grants.pipeline.inputs import LineInput, Rejection, doctor_key, validate_row
from grants.report.explain import MONTH_METHOD_NB, STATUS_NB as RATES_STATUS_NB, explain_line, rates_warning
from grants.money import format_nok, to_kroner
from grants.months import calendar_months
from grants.rules.rulebook import counted_by
from grants.pipeline.results import GrantResult, LineResult
from grants.rules.rulebook import RuleBook
from grants.report.vocabulary_nb import (ANY_ROLE_NB, CAP_NB, CENTRALITY_GROUP_NB, DAY_KIND_NB, MONTH_ABBR_NB, REPORT_COLUMN_NB, column_nb,
                            date_nb, value_nb)

if TYPE_CHECKING:
    from grants.rates.tables import RateTable

_DAY = timedelta(days=1)

# -- the timeline's data: stretches of days per line part ----------------------------------


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
        return r.table.period.first_day, r.table.period.first_day - _DAY
    return max(r.line.start, r.table.period.first_day), r.counted_end


def month_cells(r: LineResult) -> list[tuple[date, date]]:
    """The whole months the engine counted for this part, as day spans, by the method of the
    line's count_months rule (the table's, unless the rule names another)."""
    if r.counted_start is None or r.counted_end is None or r.counted_end < r.counted_start or r.whole_months <= 0:
        return []
    if counted_by(r.rules, r.table) == "calendar":
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
        out.append(Segment("clipped", a, b, f"utenfor perioden {r.period} ({date_nb(r.table.period.first_day)}–"
                                            f"{date_nb(r.table.period.last_day)})"))
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
        out.append(Segment(kind, a, b, f"{MONTH_ABBR_NB[a.month - 1]} {a.year}" if counted_by(r.rules, r.table) == "calendar" else ""))
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


# -- the timeline's drawing -----------------------------------------------------------------

_W, _LABEL, _RIGHT, _TOP, _ROW, _BAR, _HEAD = 1000, 230, 14, 46, 22, 14, 20

_FILL = {
    "paid": "#2e7d32",
    "counted_unpaid": "#90a4ae",
    "partial": "#fbc02d",
    "split": "url(#hatch-split)",
    "before_agreement": "url(#hatch-agreement)",
    "clipped": "url(#hatch-clipped)",
    "rejected": "url(#hatch-rejected)",
    "copy": "url(#hatch-copy)",
}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _span_text(a: date, b: date) -> str:
    return date_nb(a) if a == b else f"{date_nb(a)}–{date_nb(b)}"


class _Axis:
    def __init__(self, start: date, end: date):
        self.start, self.end = start, end
        self.scale = (_W - _LABEL - _RIGHT) / ((end - start).days + 1)

    def x(self, day: date) -> float:
        day = min(max(day, self.start), self.end + _DAY)
        return round(_LABEL + (day - self.start).days * self.scale, 2)

    def span(self, a: date, b: date) -> tuple[float, float] | None:
        """x and width of the inclusive days [a, b], cut to the axis; None when outside."""
        if b < self.start or a > self.end:
            return None
        x0, x1 = self.x(max(a, self.start)), self.x(min(b, self.end) + _DAY)
        return x0, round(max(x1 - x0, 0.8), 2)


def _view(lines: list, windows: list[tuple[date, date]]) -> tuple[date, date]:
    """The axis: the periods, widened to show up to three months of a line outside them."""
    first, last = min(w[0] for w in windows), max(w[1] for w in windows)
    if lines:
        first = max(min(first, min(r.line.start for r in lines)), first - relativedelta(months=3))
        last = min(max(last, max(r.line.end for r in lines)), last + relativedelta(months=3))
    first = date(first.year, first.month, 1)
    last = date(last.year, last.month, 1) + relativedelta(months=1) - _DAY
    return first, last


def timeline_svg(result: GrantResult, tables: list["RateTable"], rejected: Sequence[RejectedLine] = ()) -> str:
    """The timeline: per doctor, one bar per line part across the period(s), coloured by what
    happened to each day; rejected rows whose dates could be read, drawn apart; overlaps
    between a doctor's lines are outlined in red."""
    windows = sorted((t.period.first_day, t.period.last_day) for t in tables)
    axis = _Axis(*_view([*result.lines, *rejected], windows))
    by_doctor: dict[str, list[LineResult | RejectedLine]] = {}  # one doctor however written, first spelling shown
    spelled: dict[str, str] = {}
    for r in sorted([*result.lines, *rejected], key=lambda r: r.row):
        key = doctor_key(r.line.alis_id)
        by_doctor.setdefault(spelled.setdefault(key, r.line.alis_id), []).append(r)
    n_rows = sum(len(v) for v in by_doctor.values())
    legend_y = _TOP + len(by_doctor) * _HEAD + n_rows * _ROW + 18
    height = legend_y + (len(_LEGEND) + 1) // 2 * 20 + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {_W} {height}" width="100%" '
        f'role="img" aria-labelledby="tl-title" font-family="sans-serif" font-size="11">',
        '<title id="tl-title">Tidslinje: linjene per lege, betalte hele måneder og dager uten tilskudd</title>',
        "<defs>",
        _hatch("hatch-split", "#f57c00"),
        _hatch("hatch-agreement", "#7e57c2"),
        _hatch("hatch-clipped", "#9e9e9e"),
        _hatch("hatch-rejected", "#b71c1c"),
        _hatch("hatch-copy", "#6d4c41"),
        "</defs>",
    ]
    body_top, body_bottom = _TOP, legend_y - 18
    # outside the periods: shaded
    cursor = axis.start
    for a, b in windows + [(axis.end + _DAY, axis.end + _DAY)]:
        if a > cursor:
            s = axis.span(cursor, a - _DAY)
            if s:
                out.append(f'<rect class="outside" x="{s[0]}" y="{body_top}" width="{s[1]}" height="{body_bottom - body_top}" '
                           f'fill="#eeeeee"><title>utenfor perioden</title></rect>')
        cursor = max(cursor, b + _DAY)
    # months: grid and labels
    month = axis.start
    while month <= axis.end:
        x = axis.x(month)
        out.append(f'<line x1="{x}" y1="{_TOP - 14}" x2="{x}" y2="{body_bottom}" stroke="#cccccc" stroke-width="0.6"/>')
        nxt = month + relativedelta(months=1)
        mid = round((x + axis.x(nxt)) / 2, 2)
        out.append(f'<text x="{mid}" y="{_TOP - 4}" text-anchor="middle" fill="#333">{MONTH_ABBR_NB[month.month - 1]}</text>')
        if month.month == 1 or month == axis.start:
            out.append(f'<text x="{x + 2}" y="{_TOP - 20}" fill="#333" font-weight="bold">{month.year}</text>')
        month = nxt
    # period borders
    for t in tables:
        p = t.period
        for day in (p.first_day, p.last_day + _DAY):
            x = axis.x(day)
            out.append(f'<line class="period-border" x1="{x}" y1="{_TOP - 30}" x2="{x}" y2="{body_bottom}" '
                       f'stroke="#1565c0" stroke-width="1.2" stroke-dasharray="4 3"/>')
        x = axis.x(p.first_day)
        out.append(f'<text x="{x + 3}" y="{_TOP - 32}" fill="#1565c0">periode {_e(t.id)}: '
                   f'{date_nb(p.first_day)}–{date_nb(p.last_day)}</text>')
    y = _TOP
    several = len({p.period for p in result.lines}) > 1
    for doctor, entries in by_doctor.items():
        out.append(f'<text class="doctor" x="4" y="{y + 14}" font-weight="bold">{_e(doctor)}</text>')
        group_top = y
        y += _HEAD
        parts = [r for r in entries if isinstance(r, LineResult)]
        for r in entries:
            out.extend(_line_row(r, parts, axis, y, several) if isinstance(r, LineResult) else _rejected_row(r, axis, y))
            y += _ROW
        for start, end, a, b in overlaps(entries):
            s = axis.span(start, end)
            if s:
                out.append(
                    f'<rect class="overlap" data-start="{start.isoformat()}" data-end="{end.isoformat()}" x="{s[0]}" '
                    f'y="{group_top + _HEAD - 3}" width="{s[1]}" height="{y - group_top - _HEAD + 2}" '
                    f'fill="#d32f2f" fill-opacity="0.10" stroke="#d32f2f" stroke-width="1.5" stroke-dasharray="5 3">'
                    f'<title>Overlapp: rad {a} og rad {b} for {_e(doctor)}, {_span_text(start, end)}</title></rect>'
                )
    out.extend(_legend(legend_y))
    out.append("</svg>")
    return "\n".join(out)


def _hatch(pattern_id: str, colour: str) -> str:
    return (f'<pattern id="{pattern_id}" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">'
            f'<rect width="6" height="6" fill="{colour}" fill-opacity="0.25"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="{colour}" stroke-width="3"/></pattern>')


def _line_row(r: LineResult, parts: list[LineResult], axis: _Axis, y: float, several_periods: bool) -> list[str]:
    label = f"rad {r.row}" + (f" · {r.period}" if several_periods else "") + f" · {format_nok(r.amount_nok)}"
    if r.status is not Status.OK:
        label += f" · {value_nb('status', r.status.value)}"
    out = [f'<text class="line-label" x="14" y="{y + _BAR - 2}">{_e(label)}</text>']
    bar_y = y + (_ROW - _BAR) / 2 - 2
    whole = axis.span(r.line.start, r.line.end)
    status = value_nb("status", r.status.value)
    title = (f"Rad {r.row}, {r.alis_id}: {_span_text(r.line.start, r.line.end)}, {r.whole_months} hele måneder, "
             f"{format_nok(r.amount_nok)} ({status})")
    if whole:
        out.append(f'<rect class="bar" data-row="{r.row}" data-period="{_e(r.period)}" x="{whole[0]}" y="{bar_y}" '
                   f'width="{whole[1]}" height="{_BAR}" fill="#ffffff" stroke="#555555" stroke-width="0.8">'
                   f'<title>{_e(title)}</title></rect>')
    else:  # the whole line lies outside the axis: a stub at the near edge, and the dates in words
        before = r.line.end < axis.start
        x = _LABEL if before else _W - _RIGHT - 1
        out.append(f'<rect class="bar" data-row="{r.row}" data-period="{_e(r.period)}" x="{x}" y="{bar_y}" '
                   f'width="1" height="{_BAR}" fill="#555555"><title>{_e(title)} (utenfor tidslinjen)</title></rect>')
        words = f"hele linjen ({_span_text(r.line.start, r.line.end)}) ligger utenfor perioden: 0 måneder"
        anchor = f'x="{_LABEL + 12}"' if before else f'x="{_W - _RIGHT - 12}" text-anchor="end"'
        out.append(f'<text class="outside-note" {anchor} y="{bar_y + _BAR - 3}" fill="#555555">{_e(words)}</text>')
    for seg in segments(r, parts):
        s = axis.span(seg.start, seg.end)
        if not s:
            continue
        cls = "month " + seg.kind if seg.kind in ("paid", "counted_unpaid") else "days " + seg.kind
        text = f"Rad {r.row}: {_span_text(seg.start, seg.end)}: {DAY_KIND_NB[seg.kind]}" + (f"; {seg.note}" if seg.note else "")
        out.append(f'<rect class="{cls}" data-row="{r.row}" data-start="{seg.start.isoformat()}" data-end="{seg.end.isoformat()}" '
                   f'x="{s[0]}" y="{bar_y}" width="{s[1]}" height="{_BAR}" fill="{_FILL[seg.kind]}" '
                   f'stroke="#ffffff" stroke-width="0.8"><title>{_e(text)}</title></rect>')
    # a line running past the axis: an arrow at the edge
    if r.line.start < axis.start:
        out.append(f'<path class="beyond" d="M{_LABEL - 1} {bar_y + _BAR / 2} l6 -5 v10 z" fill="#555555"/>')
    if r.line.end > axis.end:
        x = _W - _RIGHT + 1
        out.append(f'<path class="beyond" d="M{x + 6} {bar_y + _BAR / 2} l-6 -5 v10 z" fill="#555555"/>')
    return out


def _rejected_row(r: RejectedLine, axis: _Axis, y: float) -> list[str]:
    copy_of = r.copy_of
    if copy_of is None:
        kind, colour, label = "rejected", "#b71c1c", f"rad {r.row} · avvist"
        text = f"Rad {r.row} er avvist og ikke beregnet ({_span_text(r.line.start, r.line.end)}): {r.message}"
    else:
        kind, colour, label = "copy", "#6d4c41", f"rad {r.row} · kopi av rad {copy_of}"
        text = (f"Rad {r.row} er en kopi av rad {copy_of} ({_span_text(r.line.start, r.line.end)}) og er ikke tatt "
                f"med, så tilskuddet ikke gis to ganger: {r.message}")
    out = [f'<text class="line-label" x="14" y="{y + _BAR - 2}" fill="{colour}">{_e(label)}</text>']
    bar_y = y + (_ROW - _BAR) / 2 - 2
    s = axis.span(r.line.start, r.line.end)
    if s:
        copied = f' data-copy-of="{copy_of}"' if copy_of is not None else ""
        out.append(f'<rect class="{kind}" data-row="{r.row}"{copied} data-start="{r.line.start.isoformat()}" '
                   f'data-end="{r.line.end.isoformat()}" x="{s[0]}" y="{bar_y}" width="{s[1]}" height="{_BAR}" '
                   f'fill="{_FILL[kind]}" stroke="{colour}" stroke-width="0.8"><title>{_e(text)}</title></rect>')
    return out


_LEGEND = list(_FILL) + ["overlap"]


def _legend(y: float) -> list[str]:
    out = [f'<text x="4" y="{y + 10}" font-weight="bold">Forklaring:</text>']
    for i, kind in enumerate(_LEGEND):
        col, row = i % 2, i // 2
        x, yy = 90 + col * 450, y + row * 20
        if kind == "overlap":
            swatch = (f'<rect class="legend" x="{x}" y="{yy}" width="22" height="12" fill="#d32f2f" fill-opacity="0.10" '
                      f'stroke="#d32f2f" stroke-width="1.5" stroke-dasharray="5 3"/>')
        else:
            swatch = f'<rect class="legend" x="{x}" y="{yy}" width="22" height="12" fill="{_FILL[kind]}" stroke="#555555" stroke-width="0.5"/>'
        out.append(swatch)
        out.append(f'<text x="{x + 28}" y="{yy + 10}">{_e(DAY_KIND_NB[kind])}</text>')
    return out


# -- the page -------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; }
body { font-family: "Segoe UI", "DejaVu Sans", Arial, sans-serif; color: #1a1a1a; margin: 24px auto;
       max-width: 1200px; padding: 0 16px; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 2px solid #1565c0; padding-bottom: 2px; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
.warning { border: 3px solid #c62828; background: #ffebee; color: #8e0000; padding: 10px 14px;
           font-weight: bold; margin: 12px 0; }
.nothing { border: 2px solid #ef6c00; background: #fff3e0; padding: 10px 14px; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 0.84em; }
th, td { border: 1px solid #bdbdbd; padding: 3px 5px; text-align: left; vertical-align: top; }
td.reason, td.own { overflow-wrap: anywhere; }
td.reason { min-width: 9em; }
table.doctor { font-size: 0.8em; }
th { background: #e3f2fd; hyphens: auto; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
@media (max-width: 1150px) {
  table.doctor, table.rejections { font-size: 0.74em; }
  table.doctor th, table.doctor td { padding: 2px 3px; }
  table.doctor td:not(.num) { overflow-wrap: anywhere; }
}
tr.sum td { font-weight: bold; background: #f5f5f5; }
.total { font-size: 1.3em; font-weight: bold; margin: 10px 0; }
.explain { font-size: 0.88em; background: #fafafa; border: 1px solid #e0e0e0; border-radius: 3px;
            padding: 6px 12px; margin: 4px 0 12px; overflow-wrap: anywhere; }
.explain h4 { font-size: 1em; margin: 4px 0 6px; }
.explain p { margin: 6px 0 2px; }
.explain p.step { font-weight: bold; margin-top: 8px; }
.explain ul { margin: 2px 0 4px; padding-left: 1.4em; }
.explain li { margin: 1px 0; }
.explain li.more { list-style: none; color: #444; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
#kontroll code, #kontroll pre { white-space: pre-wrap; overflow-wrap: anywhere; }
svg.timeline { border: 1px solid #e0e0e0; background: #ffffff; box-sizing: border-box; max-width: 100%; height: auto; }
.doctor-section { break-inside: auto; }
.keep { break-inside: avoid; }
footer { margin-top: 2em; font-size: 0.85em; color: #555; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 9pt; }
  h2, h3, h4 { break-after: avoid; }
  .keep, table, svg.timeline, .explain { break-inside: avoid; }
  .explain { font-size: 7.5pt; }
  .warning { border-width: 2px; }
}
"""

_LINE_COLUMNS = ("row", "period", "kommunenavn", "grant_type", "role", "position_share", "span", "counted_span",
                 "whole_months", "annual_rate", "amount_nok", "status", "reason")
_NUMERIC = {"row", "position_share", "whole_months", "annual_rate", "amount_nok"}


def _class(column: str) -> str:
    return ' class="num"' if column in _NUMERIC else ' class="reason"' if column == "reason" else ""


def _header(column: str) -> str:
    return REPORT_COLUMN_NB.get(column) or column_nb(column)


def _line_cells(r: LineResult) -> dict[str, object]:
    """The output row of a line, with the two date spans joined for a narrower table."""
    row = r.as_row()
    row["span"] = f"{date_nb(r.line.start)}–{date_nb(r.line.end)}"
    row["counted_span"] = ("ingen dager" if r.counted_start is None or r.counted_end is None
                           or r.counted_end < r.counted_start else f"{date_nb(r.counted_start)}–{date_nb(r.counted_end)}")
    return row


def _cell(column: str, value: object) -> str:
    if value is None or value == "":
        return ""
    if column in ("amount_nok", "annual_rate"):
        amount = Decimal(str(value))
        return format_nok(amount).removesuffix(" kr")
    if column == "position_share":
        return str(value).replace(".", ",")
    return str(value_nb(column, value))


def render_report(
    result: GrantResult,
    tables: list["RateTable"],
    *,
    rulebook: RuleBook | None = None,
    source: str = "",
    passthrough_columns: bool = True,
    rejected: Sequence[RejectedLine] = (),
    kontroll: tuple[str, dict[str, Any]] | None = None,
) -> str:
    """The whole report as one HTML document (a str). `tables` are the rate tables of the run
    (the named period, or every period the lines touch); `rejected` are the rejected rows to
    draw on the timeline (see `rejected_lines`); `kontroll` (the report file's name and the
    result's manifest) puts the manifest at the bottom (`kontroll_section`)."""
    by_id = {t.id: t for t in tables}
    for r in result.lines:
        by_id.setdefault(r.table.id, r.table)
    tables = sorted(by_id.values(), key=lambda t: t.period.first_day)
    statuses = {t.id: t.status for t in tables} | result.rates_statuses
    warning = rates_warning(statuses)
    munis = result.totals_by_municipality()
    doctors = result.totals_by_doctor()
    total = format_nok(result.total_nok)
    periods = ", ".join(f"{t.id} ({date_nb(t.period.first_day)}–{date_nb(t.period.last_day)})" for t in tables)

    out = ["<!DOCTYPE html>", '<html lang="nb">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>Tilskuddsberegning Nasjonal ALIS og veiledning, {_e(periods or 'ingen periode')}</title>",
           f"<style>{_CSS}</style>", "</head>", "<body>"]
    out.append("<header><h1>Tilskuddsberegning: Nasjonal ALIS og veiledning</h1>")
    if warning:
        out.append(f'<p class="warning" id="warning" role="alert">{_e(warning)}</p>')
    out.append('<dl class="facts">')
    computed = {t.key for t in munis}
    only_rejected = sorted({rej.kommunenummer.strip().zfill(4) for rej in result.rejections
                            if rej.kommunenummer and rej.kommunenummer.strip().isdigit()} - computed)
    listed = [f"{t.key} {t.name}" for t in munis]
    listed += [f"{number}{_name_of(number, tables)} (bare avviste rader)" for number in only_rejected]
    kommuner = "; ".join(listed) or "ingen"
    out.append(f"<dt>{'Kommune' if len(listed) <= 1 else 'Kommuner'}</dt><dd id=\"kommuner\">{_e(kommuner)}</dd>")
    out.append(f"<dt>Periode</dt><dd>{_e(periods or 'ingen')}</dd>")
    if source:
        out.append(f"<dt>Søknadsfil</dt><dd>{_e(source)}</dd>")
    statuses_nb = [s.value for s in (r.status for r in result.lines)]
    out.append(
        f"<dt>Rader</dt><dd>{result.input_rows} {'rad' if result.input_rows == 1 else 'rader'} i filen; "
        f"{len(result.lines)} {'linje' if len(result.lines) == 1 else 'linjer'} beregnet "
        f"({statuses_nb.count('ok')} {value_nb('status', 'ok')}, {statuses_nb.count('ineligible')} "
        f"{value_nb('status', 'ineligible')}"
        + (f", {statuses_nb.count('outside_period')} {value_nb('status', 'outside_period')}"
           if "outside_period" in statuses_nb else "")
        + f"); {len(result.rejections)} {value_nb('status', 'rejected')}</dd>"
    )
    out.append(f'<dt>Totalt tilskudd</dt><dd class="total" id="total">{_e(total)}</dd>')
    out.append("</dl></header>")
    if not result.lines:
        out.append('<p class="nothing" id="nothing">Ingen linjer er beregnet: alle radene i filen er avvist. '
                   "Se de avviste radene og begrunnelsene nedenfor, rett dem i søknadsfilen og kjør på nytt.</p>")

    out.append('<section id="satser"><h2>Satser som er brukt</h2>')
    out.extend(_rates_section(result, tables))
    out.append("</section>")

    if munis:
        out.append("<section><h2>Sum per kommune</h2><table><thead><tr>"
                   f"<th>{_e(column_nb('kommunenummer'))}</th><th>{_e(column_nb('kommunenavn'))}</th>"
                   f'<th class="num">{_e(_header("lines"))}</th><th class="num">{_e(column_nb("amount_nok"))}</th></tr></thead><tbody>')
        for t in munis:
            out.append(f'<tr><td>{_e(t.key)}</td><td>{_e(t.name)}</td><td class="num">{t.lines}</td>'
                       f'<td class="num">{_e(_cell("amount_nok", t.amount_nok))}</td></tr>')
        out.append(f'<tr class="sum"><td colspan="3">Sum</td><td class="num">{_e(_cell("amount_nok", result.total_nok))}</td></tr>')
        out.append("</tbody></table></section>")

    if (result.lines or rejected) and tables:
        out.append('<section id="tidslinje"><h2>Tidslinje</h2>')
        out.append("<p>Hver stolpe er én linje i søknaden (én rad, delt per periode). Grønne felt er hele måneder med "
                   "tilskudd; skraverte og gule felt er dager det ikke gis tilskudd for, med grunnen i forklaringen "
                   "under. Hold pekeren over et felt for datoene.</p>")
        out.append(timeline_svg(result, tables, rejected))
        out.append("</section>")

    if doctors:
        out.append('<section id="per-lege"><h2>Per lege</h2>')
        extra = list(result.passthrough) if passthrough_columns else []
        columns = [c for c in _LINE_COLUMNS if c != "period" or len(tables) > 1]
        lines_of: dict[str, list[LineResult]] = {}
        for r in result.lines:
            lines_of.setdefault(doctor_key(r.alis_id), []).append(r)
        for doc in doctors:
            parts = lines_of[doctor_key(doc.key)]
            out.append(f'<div class="doctor-section"><div class="keep"><h3>Lege {_e(doc.key)}</h3>')
            out.append(f'<table class="doctor" data-doctor="{_e(doc.key)}"><thead><tr>')
            for c in columns:
                out.append(f'<th{_class(c)}>{_e(_header(c))}</th>')
            for c in extra:
                out.append(f"<th>{_e(c)}</th>")
            out.append("</tr></thead><tbody>")
            for r in parts:
                row = _line_cells(r)
                out.append("<tr>")
                for c in columns:
                    shown = _e(_cell(c, row.get(c)))
                    if c in ("span", "counted_span"):
                        shown = shown.replace("–", "–<wbr>")  # a date span may break after its dash
                    out.append(f'<td{_class(c)}>{shown}</td>')
                for c in extra:
                    value = result.passthrough[c][r.row - 1]
                    out.append(f'<td class="own">{_e(value if value is not None else "")}</td>')
                out.append("</tr>")
            at = columns.index("amount_nok")
            out.append(f'<tr class="sum"><td colspan="{at}">Sum for {_e(doc.key)}</td>'
                       f'<td class="num">{_e(_cell("amount_nok", doc.amount_nok))}</td>'
                       f'<td colspan="{len(columns) - at - 1 + len(extra)}"></td></tr>')
            out.append("</tbody></table></div>")
            for r in parts:
                out.append(explain_html(explain_line(r, rulebook), r.row))
            out.append("</div>")
        out.append("</section>")

    if result.notes:  # the batch's notes, as compute prints them: sessions not paid, possible copies of a session
        out.append('<section id="merknader"><h2>Merknader</h2><ul>')
        out.extend(f"<li>{_e(note)}</li>" for note in result.notes)
        out.append("</ul></section>")

    out.append(f'<section id="avviste"><h2>Avviste rader ({len(result.rejections)})</h2>')
    if result.rejections:
        out.append("<p>Disse radene er ikke beregnet og gir ikke tilskudd før de er rettet. Rad er dataraden: "
                   "første rad under overskriften er rad 1.</p>")
        out.append(f'<table class="rejections"><thead><tr><th class="num">{_e(column_nb("row"))}</th>'
                   f"<th>{_e(column_nb('alis_id'))}</th><th>{_e(column_nb('kommunenummer'))}</th><th>{_e(_header('column'))}</th>"
                   f"<th>{_e(_header('value'))}</th><th>{_e(column_nb('reason'))}</th></tr></thead><tbody>")
        for rej in result.rejections:
            out.append(f'<tr><td class="num">{rej.row}</td><td>{_e(rej.alis_id or "")}</td><td>{_e(rej.kommunenummer or "")}</td>'
                       f"<td>{_e(rej.column or '')}</td><td>{_e(rej.value if rej.value is not None else '')}</td>"
                       f"<td>{_e(rej.message)}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>Ingen rader er avvist.</p>")
    out.append("</section>")

    out.append(f'<p class="total">Totalt tilskudd: {_e(total)}</p>')
    if warning:
        out.append(f'<p class="warning">{_e(warning)}</p>')
    out.append("<footer>Laget med alis-grant. Beløpene er beregnet per linje og avrundet halvt opp til hele kroner; "
               "summene er summen av de avrundede linjene.</footer>")
    if kontroll is not None:
        out.append(kontroll_section(*kontroll))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _name_of(number: str, tables: list["RateTable"]) -> str:
    """« Bodø» for a municipality number SSB's classification of a period names, else ""."""
    from grants.rates.centrality import CentralityRegistry

    if not _CENTRALITY:
        _CENTRALITY.append(CentralityRegistry())  # the shipped classifications, read once when first needed
    for t in reversed(tables):
        found = _CENTRALITY[0].lookup(number, t.centrality.classification, t.centrality.preferred_codes)
        if found is not None:
            return f" {found.name}"
    return ""


_CENTRALITY: list = []


def _maximum_in_words(t: "RateTable", e: object) -> str:
    """How an element's annual maximum is made, in words with its numbers: «timesats 1 375 ×
    andel av timesatsen 0,6 × timer per år 160», or «5 % av summen av praksiskompensasjon,
    læringsaktiviteter, ... (slik de er innvilget)»."""
    from grants.rules.ruletext import number_nb

    factors = getattr(e, "annual_maximum", None)
    if factors:
        return " × ".join(f"{t.parameter(p).title_nb or p} {number_nb(t.parameter(p).value)}" for p in factors)
    share = getattr(e, "share", None)
    value = t.value(share) if isinstance(share, str) else share
    parts = [t.element(n).title_nb or n for n in getattr(e, "share_of", None) or []]
    listed = ", ".join(parts[:-1]) + (" og " if len(parts) > 1 else "") + (parts[-1] if parts else "")
    percent = f"{number_nb(value * 100)} %" if value is not None else str(share)
    return f"{percent} av summen av {listed} (slik de er innvilget)"


def explain_html(text: str, row: int) -> str:
    """An explanation (`explain_line`'s text, the one the command line prints) as text people
    read: its title a heading, the underline dropped, each step's name a paragraph, the indented
    lines under it a list, deeper lines continuing their item. Every word of the text is kept."""
    lines = text.split("\n")
    out = [f'<div class="explain" data-row="{row}">']
    rest = lines[1:]
    if lines:
        out.append(f"<h4>{_e(lines[0])}</h4>")
    if rest and rest[0] and set(rest[0]) == {"="}:
        rest = rest[1:]
    in_list = item_open = False

    def close() -> None:
        nonlocal in_list, item_open
        if item_open:
            out.append("</li>")
        if in_list:
            out.append("</ul>")
        in_list = item_open = False

    for line in rest:
        body = line.strip()
        if not body:
            close()
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            close()
            out.append(f'<p class="step">{_e(body)}</p>' if body.endswith(":") else f"<p>{_e(body)}</p>")
        elif indent <= 3 or not item_open:
            if not in_list:
                out.append("<ul>")
                in_list = True
            if item_open:
                out.append("</li>")
            out.append(f"<li>{_e(body.removeprefix('- ').removeprefix('• '))}")
            item_open = True
        else:
            out.append(f"<br>{_e(body.removeprefix('- ').removeprefix('• '))}")
    close()
    out.append("</div>")
    return "".join(out)


def report_page(result: GrantResult, tables: list["RateTable"], *, rulebook: RuleBook | None, source: str,
                records: Sequence[Mapping[str, object]], name: str) -> str:
    """The page `alis-grant report` writes, with the result's manifest at the bottom; `records`
    are the input's rows (for the rejected rows on the timeline), `name` the report file's name.
    The one road for the command and for `alis-grant verify`, which renders it again."""
    from grants.report.kontroll import manifest_of

    manifest = manifest_of(result, {"format": "html"})
    return render_report(result, tables, rulebook=rulebook, source=source, rejected=rejected_lines(records, result.rejections),
                         kontroll=(name, manifest) if manifest is not None else None)


KONTROLL_ID = "alis-kontroll"
"""The id of the element holding the manifest's JSON (HTML-escaped text, no script)."""


def kontroll_section(name: str, manifest: dict[str, Any]) -> str:
    """The manifest at the bottom of the report: in words (what the result was computed from,
    with hashes, and the command that verifies it), and as data: its JSON, escaped as text in a
    closed <details> (no script: the page runs none), which `alis-grant verify` reads."""
    import json

    from grants.report.kontroll import WHAT_VERIFY_PROVES, manifest_facts, verify_command

    out = ['<section id="kontroll"><h2>Kontroll</h2>', f"<p>{_e(WHAT_VERIFY_PROVES)}</p>",
           f"<p>Kontroller rapporten senere med: <code>{_e(verify_command(name, manifest))}</code></p>", '<dl class="facts">']
    out.extend(f"<dt>{_e(what)}</dt><dd>{_e(value)}</dd>" for what, value in manifest_facts(manifest))
    out.append("</dl>")
    data = json.dumps(manifest, ensure_ascii=False, separators=(",", ":"))
    out.append(f'<details><summary>Kontrolldata (maskinlesbare)</summary><pre id="{KONTROLL_ID}">{_e(data)}</pre></details>')
    out.append("</section>")
    return "\n".join(out)


def _rates_section(result: GrantResult, tables: list["RateTable"]) -> list[str]:
    out = []
    for t in tables:
        p = t.period
        out.append(f"<h3>Periode {_e(t.id)} ({date_nb(p.first_day)}–{date_nb(p.last_day)})</h3>")
        out.append(f"<p>Satstabell rates/{_e(t.id)}.yaml, modell {_e(t.model)}. Status: <strong>{_e(RATES_STATUS_NB[t.status])}</strong>."
                   + (f" {_e(t.status_note)}" if t.status != "official" else "")
                   + f" Hele måneder telles som {_e(MONTH_METHOD_NB[t.whole_months])}.</p>")
        used = [r for r in result.lines if r.table is t]
        if t.model == "A":
            rates = sorted({(r.rate_path, r.centrality_group) for r in used if r.rate_path and r.centrality_group})
            if not rates:
                out.append("<p>Ingen sats er brukt i denne perioden.</p>")
                continue
            out.append(f'<table class="rates"><thead><tr><th>{_e(_header("rate"))}</th><th>{_e(_header("centrality_group"))}</th>'
                       f'<th class="num">{_e(_header("annual_rate_full"))}</th><th>{_e(_header("source"))}</th></tr></thead><tbody>')
            for path, group in rates:
                amount = t.rate(path, group)
                grant_type, _, role = path.partition(".")
                name = f"{value_nb('grant_type', grant_type)}, {ANY_ROLE_NB if role == 'any' else value_nb('role', role)}"
                group_nb = CENTRALITY_GROUP_NB.get(group, group)
                out.append(f"<tr><td>{_e(name)}</td><td>{_e(group_nb)}</td>"
                           f'<td class="num">{_e(_cell("annual_rate", amount.amount))}</td><td>{_e(t.source(amount.source).title)}</td></tr>')
            out.append("</tbody></table>")
        else:
            out.append(f'<table class="rates"><thead><tr><th>{_e(_header("element"))}</th>'
                       f'<th>{_e(_header("formula"))}</th><th class="num">{_e(_header("annual_maximum"))}</th>'
                       f'<th>{_e(_header("cap"))}</th></tr></thead><tbody>')
            for name, e in (t.elements or {}).items():
                maximum = _cell("annual_rate", to_kroner(t.annual_maximum(name))) if e.annual_maximum else ""
                out.append(f"<tr><td>{_e(e.title_nb or name)}</td><td>{_e(_maximum_in_words(t, e))}</td>"
                           f"<td class=\"num\">{_e(maximum)}</td><td>{_e(CAP_NB.get(e.cap, e.cap))}</td></tr>")
            out.append("</tbody></table>")
    if not tables:
        out.append("<p>Ingen satstabell er brukt.</p>")
    return out
