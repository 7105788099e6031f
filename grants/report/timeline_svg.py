"""The timeline's drawing: one inline SVG, per doctor one bar per line part across the
period(s), coloured by what happened to each day."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Sequence

from dateutil.relativedelta import relativedelta

from grants.domain import Status
from grants.money import format_nok
from grants.pipeline.inputs import doctor_key
from grants.pipeline.results import GrantResult, LineResult
from grants.report.html_cells import _e
from grants.report.timeline_days import _DAY, RejectedLine, overlaps, segments
from grants.report.vocabulary_nb import DAY_KIND_NB, MONTH_ABBR_NB, date_nb, value_nb

if TYPE_CHECKING:
    from grants.rates.tables import RateTable


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
