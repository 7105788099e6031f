"""Lines of one doctor that overlap in time with a summed share above a cap (DOMAIN.md §4).

The cap is data: each period's share_cap rule names the rate-table number it reads
(maximum_summed_share_percent, 100 in every shipped table); the engine passes the caps here.

One sweep serves the durable_rules path and the vectorised one. A day two consecutive grant
periods share (2022 and 2023 share 2022-10-01) is counted in the later period only, so a line
that ends on it does not overlap a line that starts on it: applications that follow the
published periods are not rejected.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Hashable, Iterable, Sequence

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CapSpan:
    """The summed-share cap in force from first_day to last_day, and the rule that sets it."""

    first_day: date
    last_day: date
    cap: int  # hundredths of a percent
    rule: str


def _cap_at(caps: Sequence[CapSpan], day: date) -> tuple[int, str]:
    """The cap on `day`: the latest span starting on or before it that covers it (a shared
    boundary day belongs to the later period); a day no span covers takes the lowest cap."""
    best = None
    for c in caps:
        if c.first_day <= day <= c.last_day:
            best = c
    if best is None:
        best = min(caps, key=lambda c: c.cap)
    return best.cap, best.rule


def shared_boundary_days(periods: Iterable[tuple[date, date]]) -> frozenset[date]:
    """The days that are both the last day of one period and the first day of the next."""
    spans = sorted(periods)
    return frozenset(a_last for (_, a_last), (b_first, _) in zip(spans, spans[1:]) if a_last == b_first)


@dataclass(frozen=True, slots=True)
class Clash:
    """A line that overlaps others of the same doctor above the cap: the first span where the
    shares sum above it, that sum, the cap and its rule, and every row it collides with in any
    such span."""

    first_day: date
    last_day: date
    total: int  # summed share in hundredths of a percent
    others: tuple[int, ...]  # the other rows it collides with
    cap: int = 100 * 100  # hundredths of a percent
    rule: str = ""


def overlapping(
    lines: Iterable[tuple[Hashable, int, date, date, int]], shared_days: frozenset[date] = frozenset(),
    caps: Sequence[CapSpan] = (),
) -> dict[int, Clash]:
    """For (doctor, row, start, end, share in hundredths of a percent) tuples: each row whose
    line overlaps others of the same doctor while the shares sum above the cap in force, with
    the first such span, the sum, and the other rows. Shares are compared exactly (integers).
    `caps`: the cap per period (CapSpan); empty means 100 % everywhere. When the periods' caps
    differ, a span is cut at each period's first day so it is judged by one cap."""
    caps = tuple(caps) or (CapSpan(date.min, date.max, 100 * 100, ""),)
    one_cap = len({c.cap for c in caps}) == 1
    boundaries = () if one_cap else tuple(sorted({c.first_day for c in caps} | {c.last_day + _DAY for c in caps if c.last_day < date.max}))
    by_doctor: dict[Hashable, list[tuple[int, date, date, int]]] = {}
    for doctor, row, start, end, share in lines:
        by_doctor.setdefault(doctor, []).append((row, start, end, share))
    clashes: dict[int, Clash] = {}
    for rows in by_doctor.values():
        if len(rows) < 2:
            continue
        events = []
        for row, start, end, share in rows:
            if end in shared_days and end > start:
                end -= _DAY  # the shared day belongs to the later period
            events.append((start, 1, row, share))
            events.append((end + _DAY if end < date.max else date.max, 0, row, share))
        events.extend((day, 2, None, 0) for day in boundaries)  # no change in share: only cuts the span
        events.sort(key=lambda e: (e[0], e[1]))
        active: dict[int, int] = {}
        total = 0
        i = 0
        while i < len(events):
            day = events[i][0]
            while i < len(events) and events[i][0] == day:
                _, is_start, row, share = events[i]
                if is_start == 2:
                    pass
                elif is_start:
                    active[row] = share
                    total += share
                else:
                    total -= active.pop(row)
                i += 1
            cap, rule = _cap_at(caps, day)
            if total > cap and len(active) > 1:
                until = events[i][0] - _DAY if i < len(events) else day
                for row in active:
                    others = {r for r in active if r != row}
                    if row in clashes:  # keep the first span; name every row it ever collides with
                        c = clashes[row]
                        clashes[row] = Clash(c.first_day, c.last_day, c.total, tuple(sorted(set(c.others) | others)),
                                             c.cap, c.rule)
                    else:
                        clashes[row] = Clash(day, until, total, tuple(sorted(others)), cap, rule)
    return clashes
