"""The bare numpy/pandas reference for the benchmark's headline ratio.

`text_frame(n, seed)` builds a frame of TEXT columns as an officer's CSV gives them (Norwegian
headers; dates as 2023-01-01 or 01.03.2023; shares as "80", "80,5", "50 %"; ja/nei), with a
few doctors written twice with overlapping lines, a few exact copies and a few bad cells, so
every step of the job has work to do.

`bare_reference(frame, engine, period)` does the same job as `grants.compute(frame, period=...)`
with nothing but numpy and pandas: parse the text (each distinct cell text once), reject what
does not parse, exact copies and lines of one doctor whose summed share is above the cap over
overlapping dates (sort and sweep), look up the centrality class in the engine's loaded
registry, apply the period's exclusions, clip to the period, count whole calendar months, look
up the rate, share x months / 12, half up to whole kroner. It reads its numbers (rates, period,
cap, shared boundary days, centrality classes) from the engine's loaded data, but it hard-codes
the 2023 rules; `reference_assumptions` names every way the loaded rules differ from what it
hard-codes, and the benchmark prints those loudly instead of a ratio it cannot trust.
"""
from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

HEADERS = {
    "alis_id": "ALIS-ID", "kommunenummer": "Kommunenummer", "grant_type": "Tilskuddstype", "role": "Rolle",
    "position_share": "Stillingsandel (%)", "start": "Fra dato", "end": "Til dato",
    "via_agency": "Vikarbyrå (ja/nei)", "private_commercial": "Privat kommersiell (ja/nei)",
    "new_scheme": "Ny ordning (ja/nei)",
}
"""Field -> the header the text frame uses (Norwegian, as an officer writes them)."""

EXCLUSIONS_2023 = {"eligibility.new_specialisation_scheme", "eligibility.via_agency",
                   "eligibility.vikar_longer_than_3_months"}
RATE_PATHS = {("alis_avtale", "fastlege"): "alis_avtale.fastlege", ("alis_avtale", "fastlegevikar"): "alis_avtale.fastlege",
              ("alis_avtale", "introduksjonslege"): "alis_avtale.introduksjonslege",
              ("alis_avtale", "annet_kommunalt"): "alis_avtale.annet_kommunalt"}
GRANT_TYPES = ("alis_avtale", "kun_veiledning")
ROLES = ("fastlege", "fastlegevikar", "introduksjonslege", "annet_kommunalt")
_EPOCH = date(1970, 1, 1).toordinal()


# --- the input --------------------------------------------------------------------------------

def text_frame(n: int, seed: int, period: str = "2023") -> pd.DataFrame:
    """`n` lines as text columns, from grants.tools.portfolio.synthetic_frame's proportions,
    plus: 1 % second lines of the previous doctor (id spelled in lower case) starting 20 days
    after that doctor's first line, so most overlap above 100 %; 1 in 20,000 an exact copy of
    the line before; 1 in 50,000 each an unknown municipality, a date that does not exist, an
    end before the start, a share written as a fraction, and a blank role."""
    from grants.tools.portfolio import synthetic_frame

    base = synthetic_frame(n, seed, period)
    rng = np.random.default_rng(seed + 7)
    idx = np.arange(n)
    ids = base["alis_id"].to_numpy(dtype=object).copy()
    start = base["start"].to_numpy().astype("datetime64[D]").astype(np.int64)
    end = base["end"].to_numpy().astype("datetime64[D]").astype(np.int64)
    share = (base["position_share"].to_numpy(dtype=np.float64) * 100).round().astype(np.int64)  # hundredths
    half = rng.random(n) < 0.05  # some shares with a decimal: 80,5
    share = np.where(half & (share < 10000), share + 50, share)
    cols = {f: base[f].to_numpy(dtype=object).copy() for f in ("kommunenummer", "grant_type", "role")}
    flags = {f: base[f].to_numpy(dtype=bool).copy() for f in ("via_agency", "private_commercial", "new_scheme")}

    second = idx[(idx % 100 == 37)]
    prev = second - 1
    ids[second] = np.array([s.lower() for s in ids[prev]], dtype=object)  # same doctor, other spelling
    start[second] = start[prev] + 20
    end[second] = np.maximum(end[prev], start[second] + 40)
    share[second] = np.where(rng.random(len(second)) < 0.2, 10000 - share[prev], share[second])  # some fit
    share[second] = np.where(share[second] <= 100, 5000, share[second])
    copies = idx[(idx % 20_000 == 71)]
    for arr in (ids, start, end, share, *cols.values(), *flags.values()):
        arr[copies] = arr[copies - 1]

    # text
    def day_text(days: np.ndarray) -> np.ndarray:
        uniq, inv = np.unique(days, return_inverse=True)
        iso = np.array([date.fromordinal(int(d) + _EPOCH).isoformat() for d in uniq], dtype=object)
        nor = np.array([date.fromordinal(int(d) + _EPOCH).strftime("%d.%m.%Y") for d in uniq], dtype=object)
        return np.where(rng.random(len(days)) < 0.3, nor[inv], iso[inv])

    s_text = np.where(share % 100 == 0, (share // 100).astype(str).astype(object),
                      np.char.add(np.char.add((share // 100).astype(str), ","), (share % 100 // 10).astype(str)).astype(object))
    s_text = np.where((rng.random(n) < 0.1) & (share % 100 == 0), np.char.add(s_text.astype(str), " %").astype(object), s_text)
    gt = np.where(cols["grant_type"] == "kun_veiledning", "kun veiledning", "ALIS-avtale").astype(object)
    role = cols["role"].copy()
    role[rng.random(n) < 0.1] = "Fastlege"
    role = np.where((role == "fastlegevikar") & (rng.random(n) < 0.5), "vikar", role).astype(object)
    out = {
        "alis_id": ids, "kommunenummer": cols["kommunenummer"], "grant_type": gt, "role": role,
        "position_share": s_text, "start": day_text(start), "end": day_text(end),
        **{f: np.where(v, "ja", "nei").astype(object) for f, v in flags.items()},
    }
    bad = idx[(idx % 50_000 == 113)]
    out["kommunenummer"][bad] = "9999"
    out["start"][bad + 1] = "31.02.2023"
    out["end"][bad + 2] = "01.01.2020"
    out["position_share"][bad + 3] = "0,8"
    out["role"][bad + 4] = ""
    return pd.DataFrame({HEADERS[f]: pd.array(v, dtype="str") for f, v in out.items()})


# --- the realistic mix ----------------------------------------------------------------------------

MIX_LINES_PER_DOCTOR = {1: 40, 2: 25, 3: 15, 4: 12, 5: 8}
"""How many lines a doctor has in the mix (weights; about 2.2 lines a doctor on average)."""
MIX_ROLE_TEXT = {"fastlege": ("fastlege", "Fastlege", "FASTLEGE"), "fastlegevikar": ("fastlegevikar", "vikar", "Fastlegevikar"),
                 "introduksjonslege": ("introduksjonslege", "Introduksjonslege", "intro"),
                 "annet_kommunalt": ("annet_kommunalt", "annet kommunalt", "Annet kommunalt legearbeid")}
MIX_ID_FORMS = ("ALIS-", "alis ", "Alis", "ALIS ", "alis-", " ALIS-")
"""The ways one doctor's id is written: the same doctor key (case, spaces, punctuation folded)."""
MIX_EXPENSES = {"utgift_praksiskompensasjon": (20_000, 140_000), "utgift_laeringsaktiviteter": (2_000, 20_000),
                "utgift_veiledning": (10_000, 110_000)}
"""Model B: the expense columns put on some doctors (the 2025-26 template's headers), kroner drawn from."""


def _period_days(period: str) -> tuple[int, int]:
    """(first, last) day of a period, as days since 1970-01-01, from the engine's loaded tables."""
    import grants

    table = next(t for t in grants.default_engine().ratebook.tables if t.id == period)
    return table.period.first_day.toordinal() - _EPOCH, table.period.last_day.toordinal() - _EPOCH


def _model_a_span() -> tuple[int, int]:
    """The first and last day the model A periods cover: a line of the mix stays inside, so
    without a period it is split over model A periods only."""
    import grants

    tables = [t for t in grants.default_engine().ratebook.tables if t.model == "A"]
    return (min(t.period.first_day for t in tables).toordinal() - _EPOCH,
            max(t.period.last_day for t in tables).toordinal() - _EPOCH)


def _day_texts(days: np.ndarray, nor: np.ndarray) -> np.ndarray:
    """Days as text, 2023-09-01 or (where `nor`) 01.09.2023, each distinct day formatted once."""
    uniq, inv = np.unique(days, return_inverse=True)
    iso = np.array([date.fromordinal(int(d) + _EPOCH).isoformat() for d in uniq], dtype=object)
    nb = np.array([date.fromordinal(int(d) + _EPOCH).strftime("%d.%m.%Y") for d in uniq], dtype=object)
    return np.where(nor, nb[inv], iso[inv])


def mix_frame(n: int, seed: int, period: str = "2023-24") -> pd.DataFrame:
    """`n` lines as text columns with the same Norwegian headers as `text_frame`, shaped like a
    real batch rather than the fast case. Deterministic for a given (n, seed, period).

    - doctors have 1-5 lines (MIX_LINES_PER_DOCTOR), one after the other in time (gaps of a day
      to two months), each doctor's run of lines placed over one of the period's boundaries
      (its first day or the day after its last, from the engine's rate table) for 9 doctors in
      10, so about half the lines cross a boundary; the rest lie anywhere from a year before
      to a year after, so a few percent lie wholly outside the period. Every line stays inside
      the span the model A periods cover (without a period it is split over them only);
    - 15 % of a doctor's later lines start before the line before it ends (overlap); half
      of those keep the summed share at or under 100 %, half go above (the engine rejects both
      lines);
    - ids: for 7 doctors in 10 written one way, for the rest each line in one of MIX_ID_FORMS
      (`ALIS-001234`, `alis 001234`, `Alis001234` ...: one doctor key);
    - dates as 2023-09-01 or 01.09.2023, half each, cell by cell; shares 100 (70 %), 80, 60, 50,
      40, 20 and some with decimals (`80,5`, `33,33`), some written `50 %`; roles and grant types
      in several spellings; ja/nei in several spellings, a few blank (the default);
    - municipalities as `synthetic_frame` draws them (by centrality class), 1 in 20 written
      without its leading zero (`301`), 1 doctor in 5 moving municipality between lines;
    - flags: 2 % via vikarbyrå, 1 % private commercial, 1 % not under the new scheme;
    - 1 in 20,000 lines an exact copy of the line before; 1 in 25,000 each an unknown
      municipality, a date that does not exist, an end before the start, a share written as a
      fraction, a share over 100, a blank role.
    """
    from grants.tools.portfolio import ALIS_AVTALE_SHARE, CLASS_WEIGHTS, ROLE_WEIGHTS, _municipalities

    rng = np.random.default_rng(seed)
    first, last = _period_days(period)
    lo, hi = _model_a_span()
    # doctors and their lines
    counts = np.array(list(MIX_LINES_PER_DOCTOR), dtype=np.int64)
    weights = np.array(list(MIX_LINES_PER_DOCTOR.values()), dtype=np.float64)
    k = rng.choice(counts, size=n // 2 + 8, p=weights / weights.sum())
    k = k[: int(np.searchsorted(np.cumsum(k), n)) + 1]
    doctors = len(k)
    doc = np.repeat(np.arange(doctors), k)[:n]
    k = k.copy()
    k[-1] -= int(k.sum()) - n  # the last doctor keeps the lines that fit
    head = np.concatenate([[0], np.cumsum(k)[:-1]])  # each doctor's first line
    pos = np.arange(n) - head[doc]
    nk = k[doc]

    # time: each doctor's lines one after the other
    length = np.where(nk <= 2, rng.integers(45, 420, size=n), rng.integers(30, 160, size=n))
    gap = np.where(rng.random(n) < 0.5, 1, rng.integers(2, 62, size=n))
    step = length + gap
    offset = np.cumsum(step) - step
    offset -= offset[head][doc]
    total = np.add.reduceat(step, head)  # a doctor's whole run
    at_first = rng.random(doctors) < 0.5
    boundary = np.where(at_first, first, last + 1)
    before = np.where(at_first, rng.random(doctors) * 0.25, 0.75 + rng.random(doctors) * 0.25)  # of the run, before it
    placed = rng.random(doctors) < 0.9
    t0 = np.where(placed, boundary - (before * total).astype(np.int64),
                  first + (rng.random(doctors) * (last - first + 1 - total)).astype(np.int64))  # within, or over it
    start = t0[doc] + offset
    end = start + length - 1
    # overlaps: a later line starting before the previous one ends
    prev_len = np.concatenate([[0], length[:-1]])
    overlap = (pos > 0) & (rng.random(n) < 0.15)
    start = np.where(overlap, start - gap - (rng.random(n) * np.minimum(prev_len - 1, 120)).astype(np.int64) - 1, start)
    start, end = np.clip(start, lo, hi), np.clip(end, lo, hi)
    end = np.maximum(end, start)

    # shares in hundredths of a percent
    share = rng.choice(np.array([10000, 8000, 6000, 5000, 4000, 2000]), size=n, p=[0.70, 0.09, 0.06, 0.08, 0.04, 0.03])
    share = np.where(rng.random(n) < 0.04, rng.choice(np.array([8050, 3333, 7525, 4550]), size=n), share)
    prev_share = np.concatenate([[0], share[:-1]])
    fits = overlap & (rng.random(n) < 0.5)
    share = np.where(fits & (prev_share < 10000), 10000 - prev_share, share)
    share = np.where(fits & (prev_share == 10000), 4000, share)  # above with a full previous line, unless cut
    cut = np.flatnonzero(fits & (prev_share == 10000)) - 1
    share[cut] = 6000  # the previous line at 60 %, this one at 40 %

    # municipalities (by centrality class), moving for 1 doctor in 5
    _, munis = _municipalities(period)
    w = np.array([CLASS_WEIGHTS[m.centrality_class] for m in munis])
    numbers = np.array([m.number for m in munis], dtype=object)
    home = rng.choice(len(munis), size=doctors, p=w / w.sum())
    moved = rng.choice(len(munis), size=n, p=w / w.sum())
    muni = numbers[np.where((rng.random(doctors) < 0.2)[doc] & (pos > 0), moved, home[doc])]
    short = (rng.random(n) < 0.05) & np.array([m.startswith("0") for m in muni])
    muni = np.where(short, np.array([m[1:] for m in muni], dtype=object), muni)

    # ids: one doctor key, written several ways
    forms = np.array(MIX_ID_FORMS, dtype=object)
    varies = (rng.random(doctors) < 0.3)[doc]
    form = np.where(varies, rng.integers(0, len(forms), size=n), rng.integers(0, len(forms), size=doctors)[doc])
    digits = np.char.zfill((doc + 1).astype(str), 6).astype(object)
    ids = forms[form] + digits

    # the other cells
    role_names = list(ROLE_WEIGHTS)
    rw = np.array(list(ROLE_WEIGHTS.values()), dtype=np.float64)
    role_i = rng.choice(len(role_names), size=doctors, p=rw / rw.sum())[doc]
    spelling = rng.choice(3, size=n, p=[0.8, 0.15, 0.05])
    role_text = np.array([MIX_ROLE_TEXT[r] for r in role_names], dtype=object)[role_i, spelling]
    gt = np.where(rng.random(doctors)[doc] < ALIS_AVTALE_SHARE,
                  np.array(["ALIS-avtale", "alis_avtale", "ALIS avtale"], dtype=object)[spelling],
                  np.array(["kun veiledning", "kun_veiledning", "Kun veiledning"], dtype=object)[spelling])

    def flag(p_yes: float, default_yes: bool) -> np.ndarray:
        yes = rng.random(n) < p_yes
        text = np.where(yes, np.array(["ja", "Ja", "j"], dtype=object)[spelling],
                        np.array(["nei", "Nei", "n"], dtype=object)[spelling])
        blank = (rng.random(n) < 0.03) & (yes != default_yes)  # blank: the default, where it is the value
        return np.where(blank, "", text)

    via, priv, new = flag(0.02, False), flag(0.01, False), flag(0.99, True)

    s_whole = (share // 100).astype(str).astype(object)
    s_frac = np.char.zfill((share % 100).astype(str), 2).astype(object)
    s_frac = np.where(share % 10 == 0, np.array([s[:1] for s in s_frac], dtype=object), s_frac)
    s_text = np.where(share % 100 == 0, s_whole, s_whole + "," + s_frac)
    s_text = np.where((rng.random(n) < 0.1) & (share % 100 == 0), s_text + " %", s_text)

    # exact copies of the line before (same doctor, same cells)
    idx = np.arange(n)
    copies = idx[(idx % 20_000 == 71) & (idx > 0)]
    cols = [ids, muni, gt, role_text, s_text, via, priv, new, start, end]
    for arr in cols:
        arr[copies] = arr[copies - 1]

    nor = rng.random((2, n)) < 0.5
    out = {
        "alis_id": ids, "kommunenummer": muni, "grant_type": gt, "role": role_text, "position_share": s_text,
        "start": _day_texts(start, nor[0]), "end": _day_texts(end, nor[1]),
        "via_agency": via, "private_commercial": priv, "new_scheme": new,
    }
    bad = idx[(idx % 25_000 == 113) & (idx + 6 < n)]
    out["kommunenummer"][bad] = "9999"
    out["start"][bad + 1] = "31.02.2024"
    out["end"][bad + 2] = "01.01.2020"
    out["position_share"][bad + 3] = "0,8"
    out["position_share"][bad + 4] = "120"
    out["role"][bad + 5] = ""
    return pd.DataFrame({HEADERS[f]: pd.array(v, dtype="str") for f, v in out.items()})



def _shift_day(text: str, days: int, fold: int | None = None, is_start: bool = False) -> str:
    """A date text moved by `days`, in its own format (2023-09-01 or 01.09.2023); a text that
    is not a date is kept as it is. With `fold` (a day), the days after it move one day less:
    an end on `fold` lands on the day before the day after it moves to, a start on `fold` on
    the day after the day before (ends move as f(e) = e + days - [e >= fold], starts as
    f(s - 1) + 1), so lines that follow each other still follow each other without a day's
    overlap or gap, and lines apart stay apart."""
    day = _day(text)
    if day == _BAD:
        return text
    if fold is not None:
        days -= int(day > fold) if is_start else int(day >= fold)
    moved = date.fromordinal(day + days + _EPOCH)
    return moved.isoformat() if "-" in text else moved.strftime("%d.%m.%Y")


def move_mix(frame: pd.DataFrame, seed: int, to_period: str = "2025-26", from_period: str = "2023-24") -> pd.DataFrame:
    """The same lines moved from `from_period` into `to_period`, with expenses on some doctors.

    Every date moves by the days between the two periods' first days (01.09.2023 ->
    01.06.2025: 639 days), each in its own format, so lengths, gaps and overlaps are those of
    the lines moved, and a line crossing the first day of one crosses the first day of the
    other. Whole years cannot keep the crossing pattern (2023-24 begins in September, 2025-26
    in June), and whole months would fold a month's last days onto one (a line ending
    30.05 and the next starting 31.05 would both touch 28.02). 2023-24 has 366 days and 2025-26
    365: the days after 2023-24's last day move one day less (`_shift_day`'s fold), so a line
    ending on 31.08.2024 ends on 31.05.2026 and one starting 01.09.2024 starts 01.06.2026;
    lines crossing that last day are one day shorter, and a line starting on 31.08.2024 itself
    starts after 2025-26. A date that does not exist stays as written.

    Model B's expenses (the 2025-26 template's columns, MIX_EXPENSES) go on one line of 3
    doctors in 10 (by doctor key): the doctor's first line that touches `to_period`, each
    element for 7 of those in 10, in kroner written `48000`, `48 000` or `48000,50`; the other
    cells are empty."""
    fa, ta = _period_days(from_period), _period_days(to_period)
    days = ta[0] - fa[0]
    fold = (fa[1] - fa[0]) - (ta[1] - ta[0]) == 1  # one day longer: its last day folds into the day before
    out = frame.copy()
    moved_days = {}
    for header, is_start in ((HEADERS["start"], True), (HEADERS["end"], False)):
        codes, uniques = pd.factorize(out[header], use_na_sentinel=True)
        moved = np.array([_shift_day(str(u), days, fa[1] if fold else None, is_start) for u in uniques] + [""],
                         dtype=object)
        out[header] = pd.array(moved[codes], dtype="str")
        moved_days[header] = np.array([_day(str(u)) for u in uniques] + [_BAD], dtype=np.int64)[codes]
    start, end = moved_days[HEADERS["start"]], moved_days[HEADERS["end"]]
    rng = np.random.default_rng(seed + 25)
    doctor, _ = _doctor_keys(frame[HEADERS["alis_id"]])
    n = len(frame)
    touches = (start != _BAD) & (end != _BAD) & (start <= ta[1]) & (end >= ta[0])
    first_line = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(touches)
    first_line[rows[np.unique(doctor[rows], return_index=True)[1]]] = True
    spends = (rng.random(int(doctor.max()) + 1 if n else 0) < 0.3)[doctor] & first_line
    for header, (low, high) in MIX_EXPENSES.items():
        has = spends & (rng.random(n) < 0.7)
        kroner = rng.integers(low, high, size=n)[has]
        style = rng.random(n)[has]
        plain = kroner.astype(str).astype(object)
        spaced = np.array([f"{k:,}".replace(",", " ") for k in kroner], dtype=object)
        text = np.full(n, "", dtype=object)
        text[has] = np.where(style < 0.7, plain, np.where(style < 0.9, spaced, plain + ",50"))
        out[header] = pd.array(text, dtype="str")
    return out

# --- what the reference hard-codes, checked against the loaded rules ----------------------------

def _needs_absent_input(rule, absent: set[str]) -> bool:
    """The rule applies only when a fact is given that the frames here never give (the frames
    carry no such column): its `when` is all of a list holding `exists: true` on such a fact."""
    from grants.rules.conditions import All, Exists

    when = rule.when
    return isinstance(when, All) and any(isinstance(c, Exists) and c.present and c.fact in absent for c in when.items)


ABSENT_INPUTS = {"agreement_signed", "first_gp_date"}
"""Optional inputs neither text_frame nor mix_frame carries: a rule that needs one given never
applies to them, and `reference_assumptions` leaves it out of the comparison."""


def reference_assumptions(engine, period: str = "2023") -> list[str]:
    """Every way the loaded rules and rate table differ from what `bare_reference` hard-codes
    (leaving out rules that apply only to an input the benchmark's frames never give)."""
    table = engine.ratebook.get(period)
    rules = [r for r in engine.rulebook.valid_in(period) if not _needs_absent_input(r, ABSENT_INPUTS)]
    problems = []
    excl = {r.id for r in rules if r.kind == "exclude"}
    if excl != EXCLUSIONS_2023:
        problems.append(f"exclusions in {period}: rules say {sorted(excl)}, reference has {sorted(EXCLUSIONS_2023)}")
    for kind in ("clip_start", "element", "note"):
        if any(r.kind == kind for r in rules):
            problems.append(f"rules of kind {kind} apply in {period}; the reference has none")
    if table.model != "A" or table.whole_months != "calendar":
        problems.append(f"{period}: model {table.model}, whole_months {table.whole_months}; reference: A, calendar")
    formula = next((r.formula for r in rules if r.kind == "formula"), None)
    if formula is None or list(formula.terms) != ["annual_rate", "share", "whole_months"]:
        problems.append(f"formula in {period} is {formula!r}; reference: annual_rate x share x whole_months / 12")
    if table.value("minimum_share_percent") is not None:
        problems.append(f"{period} sets a minimum share; the reference has none")
    rates = {(r.rate, tuple(sorted(str(w) for w in (r.when or {}) ))) for r in rules if r.kind == "select_rate"}
    if {r for r, _ in rates} != set(RATE_PATHS.values()) | {"kun_veiledning.any"}:
        problems.append(f"rate paths in {period}: {sorted(r for r, _ in rates)}")
    return problems


# --- the reference ------------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NOR = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_SHARE = re.compile(r"^(-?\d{1,3})(?:[.,](\d{1,2}))?\s*%?$")
_TRUE, _FALSE = {"ja", "j", "yes", "y", "true", "sann", "1", "x"}, {"nei", "n", "no", "false", "usann", "0"}
_BAD = np.iinfo(np.int64).min
_KEY_DELETE = str.maketrans({**{chr(c): None for c in range(128) if not chr(c).isalnum()},
                             **{chr(c): chr(c).lower() for c in range(65, 91)}})


def _fold(text: str) -> str:
    text = text.strip().lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    return "_".join(p for p in re.sub(r"[^0-9a-z]", "_", text).split("_") if p)


def _day(text: str) -> int:
    m = _ISO.match(text)
    y, mo, d = (int(g) for g in m.groups()) if m else (None, None, None)
    if not m:
        m = _NOR.match(text)
        if not m:
            return _BAD
        d, mo, y = (int(g) for g in m.groups())
    try:
        return date(y, mo, d).toordinal() - _EPOCH
    except ValueError:
        return _BAD


def _share(text: str) -> int:
    m = _SHARE.match(text)
    if not m:
        return _BAD
    if m.group(1).startswith("-"):
        return _BAD
    v = int(m.group(1)) * 100 + (int(m.group(2).ljust(2, "0")) if m.group(2) else 0)
    return v if 100 < v <= 10000 else _BAD


def _bool(text: str) -> int:
    t = _fold(text)
    return 1 if t in _TRUE else 0 if t in _FALSE else -1


def _coded(col: pd.Series, parse, blank):
    """Parse each distinct cell text once: (values per row, blank per row)."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    texts = [str(u).strip() for u in uniques]
    parsed = np.array([parse(t) if t else blank for t in texts] + [blank])
    is_blank = np.array([not t for t in texts] + [True])
    return parsed[codes], is_blank[codes]


def _doctor_keys(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """grants.pipeline.inputs.doctor_key over a column, as integers (equal key, equal doctor),
    and which ids are blank. Spaces and punctuation go with the key's own deletion."""
    ascii_ = ids.str.isascii().fillna(True).to_numpy(dtype=bool)
    folded = ids.fillna("").str.translate(_KEY_DELETE)
    if not ascii_.all():
        slow = ids[~ascii_].str.casefold().str.replace(r"[\W_]+", "", regex=True)
        folded = folded.where(ascii_, slow)
    key = folded.str.lstrip("0")
    key = key.where(key != "", folded)
    empty = (key == "").to_numpy(dtype=bool)
    blank = np.zeros(len(ids), dtype=bool)
    if empty.any():  # only punctuation, or nothing at all: the stripped id is the key
        stripped = ids[empty].fillna("").str.strip()
        key = key.where(~empty, stripped)
        blank[empty] = (stripped == "").to_numpy(dtype=bool)
    return pd.factorize(key)[0], blank


def _month_index(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = days.astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    first_of_next = (m + 1).astype("datetime64[D]")
    return m.astype(np.int64), (d - m.astype("datetime64[D]")).astype(np.int64) + 1, (d == first_of_next - 1)


def bare_reference(frame: pd.DataFrame, engine, period: str = "2023") -> tuple[np.ndarray, np.ndarray]:
    """(amount per row in whole kroner, rejected per row) for the text frame, by numpy/pandas."""
    table = engine.ratebook.get(period)
    n = len(frame)
    col = {f: frame[h] for f, h in HEADERS.items()}
    rejected = np.zeros(n, dtype=bool)

    # parse: every distinct text once
    muni_codes, muni_uniques = pd.factorize(col["kommunenummer"], use_na_sentinel=True)
    muni_text = [str(u).strip() for u in muni_uniques]
    cen = table.centrality
    classes = []
    for t in muni_text:
        number = t.zfill(4) if t.isdigit() and 1 <= len(t) <= 4 else None
        hit = engine.centrality.lookup(number, cen.classification, cen.preferred_codes) if number else None
        classes.append(-1 if number is None else 0 if hit is None else hit.centrality_class)  # -1 bad, 0 unknown
    muni_class = np.array(classes + [-1])[muni_codes]
    muni_norm = np.array([t.zfill(4) for t in muni_text] + [""], dtype=object)
    gt, gt_blank = _coded(col["grant_type"], lambda t: {"alis_avtale": 0, "alis": 0, "avtale": 0, "kun_veiledning": 1,
                                                       "veiledning": 1}.get(_fold(t), -1), -1)
    role_alias = {"fastlege": 0, "fastlegevikar": 1, "vikar": 1, "introduksjonslege": 2, "intro": 2, "introlege": 2,
                  "annet_kommunalt": 3, "annet_kommunalt_legearbeid": 3, "allmennlege_i_annet_kommunalt_legearbeid": 3,
                  "annen_kommunal": 3}
    role, _ = _coded(col["role"], lambda t: role_alias.get(_fold(t), -1), -1)
    share, _ = _coded(col["position_share"], _share, _BAD)
    start, _ = _coded(col["start"], _day, _BAD)
    end, _ = _coded(col["end"], _day, _BAD)
    via, _ = _coded(col["via_agency"], _bool, 0)
    priv, _ = _coded(col["private_commercial"], _bool, 0)
    new, new_blank = _coded(col["new_scheme"], _bool, 1)
    doctor, ids_blank = _doctor_keys(col["alis_id"])
    rejected |= ids_blank | (muni_class < 0) | (gt < 0) | (role < 0) | (share == _BAD) | (start == _BAD) | (end == _BAD)
    rejected |= (via < 0) | (priv < 0) | (new < 0)
    rejected |= ~rejected & (end < start)

    # exact copies of a line (the same doctor by key), then the summed-share cap over overlapping dates
    ok = np.flatnonzero(~rejected)
    fields = pd.DataFrame({"d": doctor[ok], "k": pd.factorize(muni_norm[muni_codes[ok]])[0], "g": gt[ok], "r": role[ok],
                           "s": share[ok], "a": start[ok], "b": end[ok], "v": via[ok], "p": priv[ok], "n": new[ok]})
    rejected[ok[fields.duplicated(keep="first").to_numpy()]] = True
    ok = np.flatnonzero(~rejected)
    multi = ok[pd.Series(doctor[ok]).duplicated(keep=False).to_numpy()]
    if len(multi):
        caps = {c.cap for c in engine.share_caps}
        if len(caps) != 1:
            raise NotImplementedError("the reference assumes one summed-share cap for every period")
        cap = caps.pop()
        shared = np.array([d.toordinal() - _EPOCH for d in engine.shared_days], dtype=np.int64)
        s_end = end[multi] - (np.isin(end[multi], shared) & (end[multi] > start[multi]))
        d = np.concatenate([doctor[multi], doctor[multi]])
        day = np.concatenate([start[multi], s_end + 1])
        delta = np.concatenate([share[multi], -share[multi]])
        ev = pd.DataFrame({"d": d, "day": day, "x": delta}).groupby(["d", "day"], sort=True)["x"].sum().reset_index()
        ev["total"] = ev["x"].cumsum()  # each doctor's deltas sum to 0: the running sum restarts per doctor
        over = ev.loc[ev["total"] > cap, ["d", "day"]]
        rows = pd.DataFrame({"i": multi, "d": doctor[multi], "a": start[multi], "b": s_end + 1})
        hit = rows.merge(over, on="d")
        hit = hit.loc[(hit["a"] <= hit["day"]) & (hit["day"] < hit["b"]), "i"].unique()
        rejected[hit] = True
    rejected |= muni_class == 0  # unknown municipality (checked after the overlaps, as the engine does)

    # eligibility in the period (EXCLUSIONS_2023; reference_assumptions checks they are the rules')
    months3 = (start.astype("datetime64[D]").astype("datetime64[M]") + 3)
    _, day_of_month, _ = _month_index(np.where(rejected, 0, start))
    month_len = ((months3 + 1).astype("datetime64[D]") - months3.astype("datetime64[D]")).astype(np.int64)
    plus3 = months3.astype("datetime64[D]").astype(np.int64) + np.minimum(day_of_month, month_len) - 1
    vikar_short = (role == 1) & (end < plus3)
    excluded = (new == 0) | (via == 1) | vikar_short

    # clip, whole calendar months, rate, amount
    first = table.period.first_day.toordinal() - _EPOCH
    last = table.period.last_day.toordinal() - _EPOCH
    a = np.maximum(np.where(rejected, first, start), first)
    b = np.minimum(np.where(rejected, first, end), last)
    ma, da, _ = _month_index(a)
    mb, _, b_last = _month_index(b)
    months = np.where(b < a, 0, np.maximum(0, (mb - (~b_last).astype(np.int64)) - (ma + (da != 1)) + 1))
    lut = np.zeros((2, 4, 2), dtype=np.int64)  # grant type, role, class 6 -> annual rate in øre
    for g, gname in enumerate(GRANT_TYPES):
        for r, rname in enumerate(ROLES):
            path = RATE_PATHS[(gname, rname)] if gname == "alis_avtale" else "kun_veiledning.any"
            for six, group in enumerate(("class_1_5", "class_6")):
                ore = table.rate(path, group).amount * 100
                if ore != int(ore):
                    raise NotImplementedError("the reference assumes rates in whole øre")
                lut[g, r, six] = int(ore)
    rate = lut[np.maximum(gt, 0), np.maximum(role, 0), (muni_class == 6).astype(np.int64)]
    num = rate * np.where(rejected, 0, share) * months
    den = 12 * 10_000 * 100  # months a year, share in hundredths of a percent, øre
    amount = (2 * num + den) // (2 * den)  # half up (num >= 0)
    amount = np.where(excluded | rejected, 0, amount)
    return amount, rejected


def compare(result, amount: np.ndarray, rejected: np.ndarray) -> list[str]:
    """Differences between the engine's result and the reference, row by row (empty: equal)."""
    rows = np.asarray(result.column("row"))
    got = np.asarray(result.column("amount_nok"))
    problems = []
    engine_rejected = np.array(sorted(r.row for r in result.rejections), dtype=np.int64)
    ref_rejected = np.flatnonzero(rejected) + 1
    if len(np.unique(rows)) != len(rows):
        problems.append(f"{len(rows) - len(np.unique(rows))} rows have more than one result (one period asked for)")
    only_engine = np.setdiff1d(engine_rejected, ref_rejected)
    only_ref = np.setdiff1d(ref_rejected, engine_rejected)
    if len(only_engine):
        problems.append(f"{len(only_engine)} rows rejected by the engine, not by the reference: {only_engine[:8].tolist()}")
    if len(only_ref):
        problems.append(f"{len(only_ref)} rows flagged by the reference, not rejected by the engine: {only_ref[:8].tolist()}")
    accepted = ~rejected[rows - 1]
    diff = rows[accepted][got[accepted] != amount[rows[accepted] - 1]]
    if len(diff):
        i = diff[:5] - 1
        shown = ", ".join(f"row {r}: engine {e}, reference {x}" for r, e, x in
                          zip(diff[:5], got[np.searchsorted(rows, diff[:5])], amount[i]))
        problems.append(f"{len(diff)} amounts differ: {shown}")
    if len(rows) + len(engine_rejected) != len(rejected):
        problems.append(f"{len(rejected)} rows in, {len(rows)} results + {len(engine_rejected)} rejections out")
    return problems


def mix_profile(frame: pd.DataFrame, period: str) -> dict[str, float]:
    """What a frame holds, relative to `period`: the shares of lines that cross one of its
    boundaries, lie wholly outside it, belong to a doctor with more than one line, overlap
    another line of their doctor; lines per doctor; dates written 01.09.2023. (Lines whose dates
    do not parse are left out of the date shares.)"""
    first, last = _period_days(period)
    start, _ = _coded(frame[HEADERS["start"]], _day, _BAD)
    end, _ = _coded(frame[HEADERS["end"]], _day, _BAD)
    doctor, _ = _doctor_keys(frame[HEADERS["alis_id"]])
    ok = (start != _BAD) & (end != _BAD) & (end >= start)
    s, e, d = start[ok], end[ok], doctor[ok]
    crossing = ((s < first) & (e >= first)) | ((s <= last) & (e > last))
    outside = (e < first) | (s > last)
    lines_per = np.bincount(doctor)
    order = np.lexsort((s, d))
    s_o, e_o, d_o = s[order], e[order], d[order]
    run_end = pd.Series(e_o).groupby(d_o).cummax().to_numpy()
    overl = np.zeros(len(s_o), dtype=bool)
    same = d_o[1:] == d_o[:-1]
    hit = same & (s_o[1:] <= run_end[:-1])
    overl[1:] |= hit
    overl[:-1] |= hit  # the earlier line of a pair (approximately: the one just before)
    nor = frame[HEADERS["start"]].str.contains(".", regex=False).mean()
    n = max(len(s), 1)
    return {"lines": len(frame), "doctors": int(len(lines_per)), "lines_per_doctor": len(frame) / max(len(lines_per), 1),
            "crossing": float(crossing.sum() / n), "outside": float(outside.sum() / n),
            "multi_line_doctor": float((lines_per[doctor] > 1).mean()), "overlapping": float(overl.sum() / n),
            "dates_dd_mm_yyyy": float(nor)}
