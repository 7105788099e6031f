"""A synthetic national portfolio of application lines, for benchmarks (not for tests of amounts).

    from grants.tools.portfolio import synthetic_portfolio
    records = synthetic_portfolio(2500, seed=1, period="2023")

    alis-grant portfolio --lines 2500 --seed 1 --period 2023 -o batch.csv

Every record is a dict of strings with the columns the engine accepts (alis_id, kommunenummer,
grant_type, role, position_share, start, end, via_agency, private_commercial, new_scheme), as
the CSV reader would hand them over. The output is deterministic for a given (lines, seed,
period): all randomness comes from one `random.Random(seed)`.

ASSUMPTIONS, NOT FACTS. No public line-level data on the grant was found; the proportions below
are guesses chosen to look like a national batch (DOMAIN.md §1: a few thousand lines a year,
mostly fastleger). They shape the workload, not any amount the engine computes:

- role: about 70 % fastlege, 8 % fastlegevikar, 10 % introduksjonslege, 12 % annet_kommunalt;
- grant type: about 85 % alis_avtale, 15 % kun_veiledning;
- position share: 100 % for about 75 % of lines; the rest 80, 60, 50, 40 or 20 %;
- dates: about 70 % of lines cover the whole period (a third of those run on from before the
  period's first day or past its last day, as ongoing agreements do); about 12 % start inside
  the period, 10 % end inside it, 5 % do both; about 3 % lie in a short span inside the period
  (for fastlegevikar this exercises the "longer than 3 months" rule). The period's first and
  last day are read from the rate table (`RateBook.load().get(period)`);
- flags: about 2 % via_agency, 1 % private_commercial, 1 % not under the new scheme
  (new_scheme = nei); these lines come out ineligible in the periods whose rules exclude them;
- doctors: one line per alis_id, except about 2-3 % of doctors who get a second line that starts
  the day after the first one ends (moving municipality or role), so a doctor's lines never
  overlap in time and no summed share exceeds 100 %;
- municipalities: drawn from the SSB centrality classification the period's rate table names,
  on the period's preferred code set (2020 codes for 2022/2023, 2024 codes later; via
  `CentralityRegistry().municipalities(classification, code_set)`), weighted by centrality class
  as a stand-in for population (class 1: 40, 2: 12, 3: 5, 4: 2.5, 5: 1.5, 6: 1 per
  municipality, so about 9 % of lines are in class 6). A batch of at least 200 lines always
  has at least one class-6 line.
"""
from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from grants.rates.centrality import CentralityRegistry
from grants.rates.tables import RateBook

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = (
    "alis_id", "kommunenummer", "grant_type", "role", "position_share", "start", "end",
    "via_agency", "private_commercial", "new_scheme",
)

ROLE_WEIGHTS = {"fastlege": 70, "fastlegevikar": 8, "introduksjonslege": 10, "annet_kommunalt": 12}
ALIS_AVTALE_SHARE = 0.85
SHARE_WEIGHTS = {100: 75, 80: 9, 60: 5, 50: 6, 40: 3, 20: 2}
CLASS_WEIGHTS = {1: 40.0, 2: 12.0, 3: 5.0, 4: 2.5, 5: 1.5, 6: 1.0}
P_VIA_AGENCY = 0.02
P_PRIVATE_COMMERCIAL = 0.01
P_OLD_SCHEME = 0.01
P_SECOND_LINE = 0.15
"""Chance of a second line for a doctor whose first line ends a month or more before the
period's last day (about a fifth of doctors), so about 2-3 % of doctors get two lines."""

_DAY = timedelta(days=1)


def _municipalities(period: str):
    table = RateBook.load().get(period)
    choice = table.centrality
    munis = CentralityRegistry().municipalities(choice.classification, choice.preferred_codes)
    munis.sort(key=lambda m: m.number)  # a stable order, whatever the file's order
    return table, munis


def _dates(rng: random.Random, first: date, last: date) -> tuple[date, date]:
    """A line's (start, end) inside or around [first, last]."""
    span = (last - first).days
    u = rng.random()
    if u < 0.70:  # the whole period; a third run on from before or past the end
        start, end = first, last
        if rng.random() < 1 / 3:
            if rng.random() < 0.5:
                start = first - timedelta(days=rng.randint(30, 400))
            else:
                end = last + timedelta(days=rng.randint(30, 400))
    elif u < 0.82:  # starts inside
        start, end = first + timedelta(days=rng.randint(1, span - 1)), last
    elif u < 0.92:  # ends inside
        start, end = first, first + timedelta(days=rng.randint(1, span - 1))
    elif u < 0.97:  # starts and ends inside
        a, b = sorted(rng.sample(range(1, span), 2))
        start, end = first + timedelta(days=a), first + timedelta(days=b)
    else:  # a short span (about 1 to 5 months) inside the period
        length = rng.randint(25, 160)
        a = rng.randint(0, max(0, span - length))
        start, end = first + timedelta(days=a), min(last, first + timedelta(days=a + length))
    return start, end


def _yes(flag: bool) -> str:
    return "ja" if flag else "nei"


def synthetic_portfolio(lines: int, seed: int, period: str = "2023") -> list[dict]:
    """`lines` application lines for `period`, deterministic for a given seed."""
    if lines < 0:
        raise ValueError("lines must be >= 0")
    rng = random.Random(seed)
    table, munis = _municipalities(period)
    first, last = table.period.first_day, table.period.last_day
    muni_weights = [CLASS_WEIGHTS[m.centrality_class] for m in munis]
    class6 = [m for m in munis if m.centrality_class == 6]
    roles, role_w = list(ROLE_WEIGHTS), list(ROLE_WEIGHTS.values())
    shares, share_w = list(SHARE_WEIGHTS), list(SHARE_WEIGHTS.values())

    def line(alis_id: str, start: date, end: date, share: int | None = None) -> dict:
        muni = rng.choices(munis, muni_weights)[0]
        return {
            "alis_id": alis_id,
            "kommunenummer": muni.number,
            "grant_type": "alis_avtale" if rng.random() < ALIS_AVTALE_SHARE else "kun_veiledning",
            "role": rng.choices(roles, role_w)[0],
            "position_share": str(share if share is not None else rng.choices(shares, share_w)[0]),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "via_agency": _yes(rng.random() < P_VIA_AGENCY),
            "private_commercial": _yes(rng.random() < P_PRIVATE_COMMERCIAL),
            "new_scheme": _yes(rng.random() >= P_OLD_SCHEME),
        }

    out: list[dict] = []
    doctor = 0
    while len(out) < lines:
        doctor += 1
        alis_id = f"ALIS-{seed}-{doctor:06d}"
        start, end = _dates(rng, first, last)
        first_line = line(alis_id, start, end)
        out.append(first_line)
        # a few doctors move on: a second line from the day after the first one ends
        if len(out) < lines and end < last - timedelta(days=31) and rng.random() < P_SECOND_LINE:
            second_end = last if rng.random() < 0.8 else last - timedelta(days=rng.randint(0, (last - end).days - 1))
            out.append(line(alis_id, end + _DAY, second_end))

    class6_numbers = {m.number for m in class6}
    if lines >= 200 and class6 and not any(r["kommunenummer"] in class6_numbers for r in out):
        # practically unreachable with the weights above, but promised in the docstring
        out[-1]["kommunenummer"] = rng.choice(class6).number
    return out


def write_csv(records: list[dict], path: str | Path) -> None:
    """Through the one safe writer: unique temporary file, fsync, rename."""
    from grants.io.output import atomic_output

    with atomic_output(path, encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


def synthetic_frame(lines: int, seed: int, period: str = "2023") -> "pd.DataFrame":
    """The same proportions as `synthetic_portfolio`, drawn with numpy into typed columns (a
    DataFrame the engine reads as any frame), for million-line benchmarks. One line
    per doctor, so no overlapping lines; deterministic for a given seed."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    table, munis = _municipalities(period)
    first = np.datetime64(table.period.first_day, "D")
    last = np.datetime64(table.period.last_day, "D")
    span = int((last - first).astype(int))
    w = np.array([CLASS_WEIGHTS[m.centrality_class] for m in munis])
    muni_idx = rng.choice(len(munis), size=lines, p=w / w.sum())
    numbers = np.array([m.number for m in munis], dtype=object)[muni_idx]
    role_names = np.array(list(ROLE_WEIGHTS), dtype=object)
    rw = np.array(list(ROLE_WEIGHTS.values()), dtype=float)
    share_values = np.array(list(SHARE_WEIGHTS), dtype=float)
    sw = np.array(list(SHARE_WEIGHTS.values()), dtype=float)
    u = rng.random(lines)
    a = rng.integers(1, max(span, 2), size=lines)
    b = rng.integers(1, max(span, 2), size=lines)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    start = np.where(u < 0.70, 0, np.where(u < 0.82, a, np.where(u < 0.92, 0, lo)))
    end = np.where(u < 0.70, span, np.where(u < 0.82, span, np.where(u < 0.92, a, hi)))
    run_on = (u < 0.70) & (rng.random(lines) < 1 / 3)
    before = rng.random(lines) < 0.5
    start = np.where(run_on & before, -rng.integers(30, 400, size=lines), start)
    end = np.where(run_on & ~before, span + rng.integers(30, 400, size=lines), end)
    return pd.DataFrame({
        "alis_id": [f"ALIS-{seed}-{i:07d}" for i in range(lines)],
        "kommunenummer": numbers,
        "grant_type": np.where(rng.random(lines) < ALIS_AVTALE_SHARE, "alis_avtale", "kun_veiledning").astype(object),
        "role": role_names[rng.choice(len(role_names), size=lines, p=rw / rw.sum())],
        "position_share": share_values[rng.choice(len(share_values), size=lines, p=sw / sw.sum())],
        "start": first + start.astype("timedelta64[D]"),
        "end": first + end.astype("timedelta64[D]"),
        "via_agency": rng.random(lines) < P_VIA_AGENCY,
        "private_commercial": rng.random(lines) < P_PRIVATE_COMMERCIAL,
        "new_scheme": rng.random(lines) >= P_OLD_SCHEME,
    })
