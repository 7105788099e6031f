"""The property suite that checks a rate table before it is published.

    from grants.testing import check_rate_table
    report = check_rate_table("rates/2023.yaml")          # or a draft anywhere: /tmp/x/2026-27.yaml
    print(report.text())
    assert report.ok, report.text()

The table at `path` is loaded together with the shipped tables (it replaces a shipped table with
the same period id), the shipped rules are loaded against that book, and one `Engine` runs the
checks below. A table that does not load (`RateTableError`, `RulesError`) fails the check
"loads" with the loader's message (it names the file and the key) and nothing else runs.

Checks (each a `PropertyResult`; the random ones run hypothesis with a fixed seed and report the
smallest counter-example hypothesis shrinks to, as the line dict given to `Engine.compute`):

- loads                     the table, the shipped tables and the rules load and fit together
- completeness              model A: every rate path a rule selects has both groups, every
                            amount in the table is selected by a rule, every grant type x role x
                            class is priced from the table; model B: every element a rule names
                            exists with its parameters, every element is used
- class6_not_below_class15  class_6 >= class_1_5 for every rate; a line in class 6 never gets
                            less than the same line in class 1-5
- non_negative              no negative amount in the table or in any computed line
- monotone_in_period        lines inside the period: the amount never falls when the share
                            rises or the end date moves later; 0 whole months give 0 kr
- full_year                 12 whole months at 100 % give the annual amount (model B: the
                            veiledning maximum of a kun_veiledning line); a period shorter than
                            12 months gives annual x months / 12 for the whole period
- neighbours                the period overlaps the neighbouring periods by at most the one
                            boundary day they share
- no_month_paid_twice       lines across this period and its neighbours, computed without a
                            period: the parts never share a day and no calendar month repeats

Runs on hypothesis, a dependency of the package (rates check is a user command).
"""
from __future__ import annotations

import calendar
import functools
import json
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings, strategies as st
from hypothesis.errors import Unsatisfiable
from dateutil.relativedelta import relativedelta

from .centrality import CentralityRegistry
from .domain import CentralityGroup, GrantType, Role
from .engine import Engine
from .errors import GrantsError, RateTableError
from .money import format_nok, to_kroner
from .paths import data_dir
from .rates import RateBook, RateTable, load_rate_table, published_tables
from .rules import RuleBook

__all__ = ["check_rate_table", "CheckReport", "PropertyResult", "PROPERTY_TITLES", "MUNICIPALITIES"]

PROPERTY_TITLES: dict[str, str] = {
    "loads": "lastes inn",
    "completeness": "fullstendig: alle satser og elementer reglene trenger finnes",
    "class6_not_below_class15": "klasse 6 aldri under klasse 1–5",
    "non_negative": "ingen negative beløp",
    "monotone_in_period": "linjer i perioden: stiger med stillingsandel og sluttdato, 0 hele måneder gir 0 kr",
    "full_year": "et helt periodeår med 100 % gir årssatsen",
    "neighbours": "ingen overlapp med naboperiodene utover én felles grensedag",
    "no_month_paid_twice": "ingen måned betales i to perioder",
}
"""Check name -> the bokmål title `CheckReport.text()` prints, in the order the checks run."""

MUNICIPALITIES = ("0301", "1151", "4601", "5412", "3401", "5512", "1508", "3024")
"""Oslo (1), Utsira (6), Bergen (2), Tjeldsund on its 2020 code (6), Kongsvinger on its 2024
code (3), Tjeldsund on its 2024 code (6), Ålesund on its 2024 code (3), Bærum on its 2020
code (1): class 6 and classes 1-5 on both code sets."""

_GRANT_TYPES = tuple(g.value for g in GrantType)
_ROLES = tuple(r.value for r in Role)
_DAY = timedelta(days=1)
_EXTRA_DAYS = 27  # fewer days than any month has: added to a line, they never make a whole month


@dataclass(frozen=True)
class PropertyResult:
    """One check: its name (a key of PROPERTY_TITLES), whether it held, a bokmål message, and
    for a failure found on a computed line the smallest counter-example (the line dict)."""

    name: str
    ok: bool
    message: str
    counterexample: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        return PROPERTY_TITLES.get(self.name, self.name)


@dataclass
class CheckReport:
    """The outcome of `check_rate_table`: one result per check that ran."""

    table_path: Path
    period_id: str | None
    results: list[PropertyResult]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    ok: bool = field(init=False)

    def __post_init__(self) -> None:
        self.ok = bool(self.results) and all(r.ok for r in self.results)

    def result(self, name: str) -> PropertyResult | None:
        return next((r for r in self.results if r.name == name), None)

    @property
    def failures(self) -> list[PropertyResult]:
        return [r for r in self.results if not r.ok]

    def text(self) -> str:
        """One line per check (OK / FEIL); a failure adds its smallest counter-example."""
        period = f"periode {self.period_id}" if self.period_id else "periode ukjent"
        out = [f"Kontroll av satstabellen {self.table_path} ({period})"]
        for r in self.results:
            out.append(f"{'OK  ' if r.ok else 'FEIL'}  {r.title}: {r.message}")
            if not r.ok and r.counterexample is not None:
                out.append("      minste moteksempel: " + json.dumps(r.counterexample, ensure_ascii=False))
        ran = {r.name for r in self.results}
        skipped = [PROPERTY_TITLES[n] for n in PROPERTY_TITLES if n not in ran]
        if skipped:
            out.append("IKKE KJØRT  " + "; ".join(skipped) + " (tabellen kan ikke brukes før feilen over er rettet)")
        out.extend(f"MERK  {n}" for n in self.notes)
        failed = len(self.failures)
        verdict = "alle kontroller bestått" if self.ok else f"{failed} av {len(self.results)} kontroller feilet"
        out.append(f"Resultat: {verdict} ({self.seconds:.1f} s)")
        return "\n".join(out)


# -- entry point ---------------------------------------------------------------------------------


def check_rate_table(
    path: str | Path,
    *,
    rates_dir: Path | None = None,
    max_examples: int = 200,
    seed: int = 0,
) -> CheckReport:
    """Check the rate table at `path` against the shipped tables of `rates_dir` (default: the
    package's rates/) and the shipped rules. See the module docstring for the checks."""
    started = time.perf_counter()
    path = Path(path)
    rates_dir = Path(rates_dir) if rates_dir is not None else data_dir("rates")
    results: list[PropertyResult] = []
    notes: list[str] = []

    def report(period_id: str | None) -> CheckReport:
        order = list(PROPERTY_TITLES)
        results.sort(key=lambda r: order.index(r.name) if r.name in order else len(order))
        return CheckReport(path, period_id, results, notes, time.perf_counter() - started)

    try:
        table = _load_candidate(path)
    except GrantsError as exc:
        results.append(PropertyResult("loads", False, str(exc)))
        return report(None)
    try:
        others = _load_shipped(rates_dir, path, table.id)
    except GrantsError as exc:
        results.append(PropertyResult("loads", False, f"de andre satstabellene i {rates_dir} kan ikke leses: {exc}"))
        return report(table.id)
    if path.name != f"{table.id}.yaml":
        notes.append(
            f"filnavnet «{path.name}» må være «{table.id}.yaml» når tabellen legges i rates/ "
            "(perioden leses fra period.id)"
        )
    if table.status != "official":
        notes.append(f"status: {table.status}; tabellen er ikke merket som offisielle satser")

    neighbours = _check_neighbours(table, others)
    results.append(neighbours)
    try:
        ratebook = RateBook([table, *others])
        rulebook = RuleBook.load(ratebook)
        engine = Engine(ratebook, rulebook, _centrality())
    except GrantsError as exc:
        if neighbours.ok:
            results.append(PropertyResult("loads", False, str(exc)))
        else:
            results.append(PropertyResult("loads", True, f"{table.file} leses og valideres"))
        return report(table.id)
    table = ratebook.get(table.id)
    results.append(PropertyResult(
        "loads", True,
        f"{table.file} leses og valideres sammen med {len(others)} andre satstabeller i {rates_dir} og reglene",
    ))

    ctx = _Context(engine, table, max_examples, seed)
    for name, check in _CHECKS:
        try:
            results.append(check(ctx))
        except Exception as exc:  # a crash is a failed check, never a lost report
            results.append(PropertyResult(name, False, f"kontrollen krasjet: {type(exc).__name__}: {exc}"))
    return report(table.id)


# -- loading -------------------------------------------------------------------------------------


def _load_candidate(path: Path) -> RateTable:
    """The candidate table; its file may have any name (a draft, a copy)."""
    return load_rate_table(path, check_name=False)


def _load_shipped(folder: Path, candidate: Path, period_id: str) -> list[RateTable]:
    """The shipped tables (the one loader, grants.rates.RateBook.load), except the candidate's
    own file and the period it replaces."""
    tables, _ = published_tables(folder, exclude=candidate)
    if not tables:
        raise RateTableError(f"{folder}: fant ingen satstabeller (*.yaml)")
    return [t for t in tables if t.id != period_id]


@functools.lru_cache(maxsize=1)
def _centrality() -> CentralityRegistry:
    return CentralityRegistry()


# -- deterministic checks ------------------------------------------------------------------------


def _check_neighbours(table: RateTable, others: list[RateTable]) -> PropertyResult:
    """No other period shares more than one day with this one, and a shared day is a boundary."""
    p = table.period
    problems = []
    for o in sorted(others, key=lambda t: t.period.first_day):
        q = o.period
        first, last = max(p.first_day, q.first_day), min(p.last_day, q.last_day)
        if first > last:
            continue
        shared = (last - first).days + 1
        boundary = shared == 1 and (p.first_day == q.last_day or p.last_day == q.first_day)
        if boundary:
            continue
        key = "period.first_day" if q.first_day <= p.first_day else "period.last_day"
        problems.append(
            f"{table.file}: {key}: perioden {table.id} ({p.first_day:%d.%m.%Y}–{p.last_day:%d.%m.%Y}) "
            f"deler {shared} dager ({first:%d.%m.%Y}–{last:%d.%m.%Y}) med perioden {o.id} "
            f"({q.first_day:%d.%m.%Y}–{q.last_day:%d.%m.%Y}, {o.file}); periodene kan dele høyst grensedagen"
        )
    if problems:
        return PropertyResult("neighbours", False, "; ".join(problems))
    before = [o for o in others if o.period.last_day <= p.first_day]
    after = [o for o in others if o.period.first_day >= p.last_day]
    said = []
    if before:
        prev = max(before, key=lambda t: t.period.last_day)
        gap = (p.first_day - prev.period.last_day).days - 1
        said.append(f"forrige periode {prev.id} slutter {prev.period.last_day:%d.%m.%Y}"
                    + (f" ({gap} dager mellomrom)" if gap > 0 else ""))
    if after:
        nxt = min(after, key=lambda t: t.period.first_day)
        gap = (nxt.period.first_day - p.last_day).days - 1
        said.append(f"neste periode {nxt.id} starter {nxt.period.first_day:%d.%m.%Y}"
                    + (f" ({gap} dager mellomrom)" if gap > 0 else ""))
    return PropertyResult("neighbours", True, "; ".join(said) or "ingen andre perioder")


@dataclass
class _Context:
    engine: Engine
    table: RateTable
    max_examples: int
    seed: int

    @property
    def rules(self):
        return self.engine.rulebook.valid_in(self.table.id)

    @property
    def rate_paths(self) -> list[str]:
        return sorted({r.rate for r in self.rules if r.kind == "select_rate" and r.rate})

    def compute(self, lines: list[dict[str, Any]]) -> Any:
        """The lines computed in this table's period."""
        return self.engine.compute(lines, self.table.id)

    def compute_across(self, lines: list[dict[str, Any]]) -> Any:
        """The lines computed without a period: split at the period boundaries."""
        return self.engine.compute(lines, None)


def _group_of(cls: int) -> str:
    return CentralityGroup.CLASS_6.value if cls == 6 else CentralityGroup.CLASS_1_5.value


def _completeness(ctx: _Context) -> PropertyResult:
    t = ctx.table
    problems: list[str] = []
    if t.model == "A":
        paths = ctx.rate_paths
        for path in paths:
            for group in CentralityGroup:
                try:
                    t.rate(path, group.value)
                except KeyError as exc:
                    problems.append(f"{t.file}: {exc.args[0]}: mangler, men reglene velger satsen i perioden {t.id}")
        for gt, roles in (t.annual_rates or {}).items():
            for role in roles:
                if f"{gt}.{role}" not in paths:
                    problems.append(
                        f"{t.file}: annual_rates.{gt}.{role}: ingen regel velger denne satsen i perioden "
                        f"{t.id}, så den blir aldri brukt (reglene velger {', '.join(paths)})"
                    )
        checked = f"{len(paths)} satsstier × {len(CentralityGroup)} grupper"
    else:
        element_rules = [r for r in ctx.rules if r.kind == "element" and r.element]
        named = {r.element for r in element_rules}
        params = t.parameters or {}
        elements = t.elements or {}
        for r in element_rules:
            spec = elements.get(r.element or "")
            if spec is None:
                problems.append(f"{t.file}: elements.{r.element}: mangler, men regelen {r.id} bruker elementet")
                continue
            for ref in (spec.annual_maximum or []) + [x for x in (spec.share, spec.window_months) if x]:
                if ref not in params:
                    problems.append(f"{t.file}: elements.{r.element}: parameteren {ref!r} mangler under parameters")
            for ref in spec.share_of or []:
                if ref not in elements:
                    problems.append(f"{t.file}: elements.{r.element}.share_of: elementet {ref!r} mangler")
        for name in elements:
            if name not in named:
                problems.append(
                    f"{t.file}: elements.{name}: ingen regel gir dette elementet i perioden {t.id}, så det blir aldri brukt"
                )
        checked = f"{len(named)} elementer med parametere"
    # every grant type x role x class, priced from the table
    probes = []
    for gt in _GRANT_TYPES:
        for role in _ROLES:
            for cls in range(1, 7):
                probes.append(_line(f"P{len(probes) + 1}", "0301", gt, role, "100",
                                    t.period.first_day, t.period.last_day, cls))
    result = ctx.compute(probes)
    for rej in result.rejections:
        problems.append(f"{_probe_label(probes[rej.row - 1])}: linjen ble avvist: {rej.message}")
    paths = set(ctx.rate_paths)
    for r in result.lines:
        if t.model != "A" or r.status.value != "ok":
            continue
        probe = probes[r.row - 1]
        expected_group = _group_of(probe["centrality_class"])
        if r.rate_path not in paths or r.centrality_group != expected_group:
            problems.append(f"{_probe_label(probe)}: fikk satsen annual_rates.{r.rate_path}.{r.centrality_group}")
        elif r.annual_rate != t.rate(r.rate_path, expected_group).amount:
            problems.append(f"{_probe_label(probe)}: årssatsen {r.annual_rate} er ikke tabellens "
                            f"annual_rates.{r.rate_path}.{expected_group}")
    if problems:
        return PropertyResult("completeness", False, "; ".join(problems[:8]) + (
            f" (og {len(problems) - 8} til)" if len(problems) > 8 else ""))
    return PropertyResult("completeness", True,
                          f"{checked}; {len(probes)} kombinasjoner av tilskuddstype, rolle og sentralitetsklasse beregnet")


def _probe_label(probe: dict[str, Any]) -> str:
    return f"{probe['grant_type']}, {probe['role']}, sentralitetsklasse {probe['centrality_class']}"


# -- random lines --------------------------------------------------------------------------------


def _line(alis_id: str, kommune: str, grant_type: str, role: str, share: str, start: date, end: date,
          centrality_class: int | None = None, first_gp_date: date | None = None) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "alis_id": alis_id, "kommunenummer": kommune, "grant_type": grant_type, "role": role,
        "position_share": share, "start": start.isoformat(), "end": end.isoformat(),
    }
    if centrality_class is not None:
        rec["centrality_class"] = centrality_class
    if first_gp_date is not None:
        rec["first_gp_date"] = first_gp_date.isoformat()
    return rec


def _share_text(tenths: int) -> str:
    return f"{tenths // 10}" + (f".{tenths % 10}" if tenths % 10 else "")


def _shares(table: RateTable) -> st.SearchStrategy[int]:
    """Shares in tenths of a percent, 1.1 % to 100 % (where shrinking ends), often a round
    value or one next to the table's minimum share."""
    edges = {11, 200, 499, 500, 501, 800, 999}
    if table.minimum_share_percent is not None:
        m = int(table.minimum_share_percent * 10)
        edges |= {t for t in (m - 1, m, m + 1) if 11 <= t <= 1000}
    return st.one_of(st.integers(min_value=0, max_value=989).map(lambda n: 1000 - n), st.sampled_from(sorted(edges)))


def _days(lo: date, hi: date, special: list[date]) -> st.SearchStrategy[date]:
    """Dates in [lo, hi], often a period boundary or a day next to one."""
    edges = sorted({d + k * _DAY for d in special for k in (-1, 0, 1) if lo <= d + k * _DAY <= hi})
    # day offsets shrink to `lo` and to short lines, which dates() (drawn as year, month, day) does not
    any_day = st.integers(min_value=0, max_value=(hi - lo).days).map(lambda k: lo + k * _DAY)
    return st.one_of(any_day, st.sampled_from(edges)) if edges else any_day


@st.composite
def _lines(draw, table: RateTable, lo: date, hi: date, special: list[date], *,
           with_class: bool = True, alis_id: str = "L1") -> dict[str, Any]:
    """One valid input line with start and end in [lo, hi]."""
    days = _days(lo, hi, special)
    a, b = draw(days), draw(days)
    first_gp = None
    if table.model == "B" and draw(st.booleans()):
        first_gp = draw(st.dates(min_value=table.period.first_day - relativedelta(months=30), max_value=hi))
    return _line(
        alis_id,
        draw(st.sampled_from(MUNICIPALITIES)),
        draw(st.sampled_from(_GRANT_TYPES)),
        draw(st.sampled_from(_ROLES)),
        _share_text(draw(_shares(table))),
        min(a, b), max(a, b),
        draw(st.none() | st.integers(min_value=1, max_value=6)) if with_class else None,
        first_gp,
    )


def _in_period(table: RateTable, **kw: Any) -> st.SearchStrategy[dict[str, Any]]:
    p = table.period
    return _lines(table, p.first_day, p.last_day, [p.first_day, p.last_day], **kw)


class _Violation(Exception):
    pass


Check = Callable[[Any], "tuple[str, dict[str, Any]] | None"]


def _falsify(ctx: _Context, strategy: st.SearchStrategy[Any], check: Check, salt: int) -> tuple[str, dict[str, Any] | None] | None:
    """Run `check` on up to max_examples examples; on a failure, hypothesis shrinks it and the
    final (smallest) failing example's message and counter-example come back."""
    seen: dict[str, Any] = {}

    @hypothesis.seed(ctx.seed * 1000 + salt)
    @settings(
        max_examples=ctx.max_examples, deadline=None, database=None, derandomize=False,
        phases=(Phase.explicit, Phase.generate, Phase.shrink), report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, print_blob=False,
    )
    @given(strategy)
    def run(example: Any) -> None:
        seen.clear()
        seen["example"] = example
        found = check(example)
        if found is not None:
            seen["message"], seen["counterexample"] = found
            raise _Violation(found[0])

    try:
        run()
    except _Violation:
        return seen["message"], seen["counterexample"]
    except Unsatisfiable:
        return "generatoren fant ingen linjer motoren godtok (alle ble avvist)", None
    except Exception as exc:  # the engine crashed on a line: that is a failure too
        example = seen.get("example")
        return f"motoren feilet: {type(exc).__name__}: {exc}", _first_line(example)
    return None


def _first_line(example: Any) -> dict[str, Any] | None:
    if isinstance(example, dict):
        return example
    if isinstance(example, tuple):
        return next((e for e in example if isinstance(e, dict)), None)
    return None


def _one(result: Any, n: int = 1) -> list[Any]:
    """The lines of a batch of n single-period lines; a rejection means the generator made bad
    input, so the example is dropped."""
    hypothesis.assume(not result.rejections)
    assert len(result.lines) == n, f"{n} linjer ga {len(result.lines)} resultater"
    return result.lines


def _class6(ctx: _Context) -> PropertyResult:
    t = ctx.table
    problems = []
    if t.model == "A":
        for gt, roles in (t.annual_rates or {}).items():
            for role, groups in roles.items():
                six, rest = groups[CentralityGroup.CLASS_6].amount, groups[CentralityGroup.CLASS_1_5].amount
                if six < rest:
                    problems.append(f"{t.file}: annual_rates.{gt}.{role}: class_6 ({format_nok(six)}) "
                                    f"er lavere enn class_1_5 ({format_nok(rest)})")
        table_part = f"class_6 ≥ class_1_5 for alle {sum(len(r) for r in (t.annual_rates or {}).values())} satser"
    else:
        table_part = "modell B: ingen satser per sentralitetsgruppe i tabellen"

    def check(example: tuple[dict[str, Any], int]):
        rec, other = example
        six, low = _one(ctx.compute([dict(rec, centrality_class=6), dict(rec, alis_id="L2", centrality_class=other)]), 2)
        if six.amount_nok < low.amount_nok:
            return (f"linjen gir {format_nok(six.amount_nok)} med sentralitetsklasse 6, men "
                    f"{format_nok(low.amount_nok)} med sentralitetsklasse {other}"), dict(rec, centrality_class=6)
        return None

    found = _falsify(ctx, st.tuples(_in_period(t, with_class=False), st.integers(1, 5)), check, 2)
    if found:
        problems.append(found[0])
    if problems:
        return PropertyResult("class6_not_below_class15", False, "; ".join(problems), found[1] if found else None)
    return PropertyResult("class6_not_below_class15", True,
                          f"{table_part}; {ctx.max_examples} tilfeldige linjer i klasse 6 mot klasse 1–5")


def _non_negative(ctx: _Context) -> PropertyResult:
    t = ctx.table
    problems = []
    for gt, roles in (t.annual_rates or {}).items():
        for role, groups in roles.items():
            for group, amount in groups.items():
                if amount.amount < 0:
                    problems.append(f"{t.file}: annual_rates.{gt}.{role}.{group}: {amount.amount} er negativt")
    for name, p in (t.parameters or {}).items():
        if p.value < 0:
            problems.append(f"{t.file}: parameters.{name}: {p.value} er negativt")

    def check(rec: dict[str, Any]):
        (r,) = _one(ctx.compute([rec]))
        if r.amount_nok < 0 or r.exact_amount < 0:
            return f"linjen gir {format_nok(r.amount_nok)}", rec
        for e in r.elements:
            if e.granted < 0 or e.maximum < 0:
                return f"elementet {e.element} gir {e.granted} kr (maksimum {e.maximum})", rec
        return None

    found = _falsify(ctx, _in_period(t), check, 3)
    if found:
        problems.append(found[0])
    if problems:
        return PropertyResult("non_negative", False, "; ".join(problems), found[1] if found else None)
    return PropertyResult("non_negative", True, f"alle beløp i tabellen og {ctx.max_examples} tilfeldige linjer ≥ 0")


def _monotone(ctx: _Context) -> PropertyResult:
    t = ctx.table
    last = t.period.last_day

    def check(example: tuple[dict[str, Any], int, int]):
        rec, step, extra = example
        high = min(1000, int(Decimal(rec["position_share"]) * 10) + step)
        low = max(11, high - step)
        base = dict(rec, position_share=_share_text(low))
        later_end = min(date.fromisoformat(rec["end"]) + extra * _DAY, last)
        a, b, c = _one(ctx.compute([
            base,
            dict(base, alis_id="L2", position_share=_share_text(high)),
            dict(base, alis_id="L3", end=later_end.isoformat()),
        ]), 3)
        if a.whole_months == 0 and a.amount_nok != 0:
            return f"0 hele måneder gir {format_nok(a.amount_nok)}, ikke 0 kr", base
        if b.amount_nok < a.amount_nok:
            return (f"stillingsandel {_share_text(low)} % gir {format_nok(a.amount_nok)}, men høyere andel "
                    f"{_share_text(high)} % gir bare {format_nok(b.amount_nok)}"), base
        if c.amount_nok < a.amount_nok:
            return (f"linjen gir {format_nok(a.amount_nok)} ({a.whole_months} hele måneder), men med senere "
                    f"sluttdato {later_end.isoformat()} bare {format_nok(c.amount_nok)} "
                    f"({c.whole_months} hele måneder)"), base
        return None

    # the second share is the first plus a step in tenths of a percent, often a small one
    steps = st.one_of(st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=989))
    strategy = st.tuples(_in_period(t), steps, st.integers(min_value=1, max_value=400))
    found = _falsify(ctx, strategy, check, 4)
    if found:
        return PropertyResult("monotone_in_period", False, found[0], found[1])
    return PropertyResult("monotone_in_period", True, f"{ctx.max_examples} tilfeldige linjer i perioden {t.id}")


# -- a full period-year --------------------------------------------------------------------------


def _calendar_months(start: date, end: date) -> list[tuple[int, int]]:
    """The calendar months [start, end] covers from the 1st to the last day (independent of
    grants.months, on purpose)."""
    out = []
    y, m = start.year, start.month
    while date(y, m, 1) <= end:
        first, last_ = date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
        if start <= first and last_ <= end:
            out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _anniversary_count(start: date, end: date) -> int:
    n = 0
    while start + relativedelta(months=n + 1) - _DAY <= end:
        n += 1
    return n


def _months(table: RateTable, start: date, end: date) -> int:
    if table.whole_months == "calendar":
        return len(_calendar_months(start, end))
    return _anniversary_count(start, end)


def _year_starts(table: RateTable) -> list[date]:
    """The first days of the 12-whole-month windows inside the period."""
    p = table.period
    if table.whole_months == "calendar":
        firsts = [date(y, m, 1) for y, m in _calendar_months(p.first_day, p.last_day)]
    else:
        firsts = [p.first_day + k * _DAY for k in range(0, 62)]
    return [s for s in firsts if s + relativedelta(months=12) - _DAY <= p.last_day][:62]


def _full_year(ctx: _Context) -> PropertyResult:
    t = ctx.table
    p = t.period
    starts = _year_starts(t)
    period_months = _months(t, p.first_day, p.last_day)
    paths = set(ctx.rate_paths)

    @st.composite
    def year_lines(draw) -> dict[str, Any]:
        if starts:
            start = draw(st.sampled_from(starts))
            end = start + relativedelta(months=12) - _DAY
            before = draw(st.integers(0, _EXTRA_DAYS)) if t.whole_months == "calendar" else 0
            start, end = start - before * _DAY, end + draw(st.integers(0, _EXTRA_DAYS)) * _DAY
            start, end = max(start, p.first_day), min(end, p.last_day)
        else:  # a period shorter than 12 months: the whole period, the line may reach beyond it
            start = p.first_day - draw(st.integers(0, 60)) * _DAY
            end = p.last_day + draw(st.integers(0, 60)) * _DAY
        if t.model == "A":
            grant_type = draw(st.sampled_from(_GRANT_TYPES))
            role = draw(st.sampled_from([r for r in _ROLES if r != Role.FASTLEGEVIKAR.value]))
        else:
            grant_type, role = GrantType.KUN_VEILEDNING.value, draw(st.sampled_from(_ROLES))
        return _line("L1", draw(st.sampled_from(MUNICIPALITIES)), grant_type, role, "100", start, end,
                     draw(st.none() | st.integers(1, 6)))

    months = 12 if starts else period_months

    def check(rec: dict[str, Any]):
        (r,) = _one(ctx.compute([rec]))
        if r.status.value != "ok":
            return f"linjen er ikke beregnet som godkjent ({r.status.value}): {' | '.join(r.reasons)}", rec
        if r.whole_months != months:
            return f"linjen gir {r.whole_months} hele måneder, ventet {months}", rec
        if t.model == "A":
            group = _group_of(r.centrality_class)
            if r.rate_path not in paths or r.centrality_group != group or not r.rate_path.startswith(rec["grant_type"] + "."):
                return f"linjen fikk satsen annual_rates.{r.rate_path}.{r.centrality_group}", rec
            annual = t.rate(r.rate_path, group).amount
            where = f"annual_rates.{r.rate_path}.{group} = {format_nok(annual)}"
        else:
            annual = t.annual_maximum("veiledning")
            where = f"veiledning, årlig maksimum {annual}"
        expected = to_kroner(annual * months / 12)
        if r.amount_nok != expected:
            return (f"{months} hele måneder med 100 % gir {format_nok(r.amount_nok)}, ventet "
                    f"{format_nok(expected)} ({where})"), rec
        return None

    found = _falsify(ctx, year_lines(), check, 5)
    what = "12 hele måneder" if starts else f"hele perioden ({period_months} hele måneder, kortere enn et år)"
    if found:
        return PropertyResult("full_year", False, found[0], found[1])
    target = "årssatsen for sin sats og gruppe" if t.model == "A" else "veiledningens årlige maksimum (kun veiledning)"
    return PropertyResult("full_year", True, f"{what} med 100 % gir {target}")


# -- across periods ------------------------------------------------------------------------------


def _no_month_twice(ctx: _Context) -> PropertyResult:
    t = ctx.table
    tables = ctx.engine.ratebook.tables
    i = tables.index(t)
    prev = tables[i - 1] if i > 0 else None
    nxt = tables[i + 1] if i + 1 < len(tables) else None
    lo = prev.period.first_day if prev else t.period.first_day - timedelta(days=90)
    hi = nxt.period.last_day if nxt else t.period.last_day + timedelta(days=90)
    near = [x for x in (prev, t, nxt) if x is not None]
    special = [d for x in near for d in (x.period.first_day, x.period.last_day)]

    def check(rec: dict[str, Any]):
        result = ctx.compute_across([rec])
        hypothesis.assume(not result.rejections)
        parts = result.lines
        for a, b in zip(parts, parts[1:]):
            if not a.counted_end < b.counted_start:
                return (f"delene for periodene {a.period} ({a.counted_start}–{a.counted_end}) og {b.period} "
                        f"({b.counted_start}–{b.counted_end}) overlapper"), rec
        seen: dict[tuple[int, int], str] = {}
        for part in parts:
            fp = part.table.period
            if part.counted_start < fp.first_day or part.counted_end > fp.last_day:
                return (f"delen for perioden {part.period} ({part.counted_start}–{part.counted_end}) går "
                        f"utenfor perioden ({fp.first_day}–{fp.last_day})"), rec
            if part.table.whole_months != "calendar":
                continue
            months = _calendar_months(part.counted_start, part.counted_end)
            if part.whole_months != len(months):
                return (f"delen for perioden {part.period} teller {part.whole_months} hele måneder, men "
                        f"dekker {len(months)} hele kalendermåneder"), rec
            for ym in months:
                if ym in seen:
                    return (f"måneden {ym[0]:04d}-{ym[1]:02d} telles både i perioden {seen[ym]} og i "
                            f"perioden {part.period}"), rec
                seen[ym] = part.period
        return None

    found = _falsify(ctx, _lines(t, lo, hi, special), check, 7)
    if found:
        return PropertyResult("no_month_paid_twice", False, found[0], found[1])
    names = ", ".join(x.id for x in near)
    return PropertyResult("no_month_paid_twice", True,
                          f"{ctx.max_examples} tilfeldige linjer over periodene {names}, beregnet uten periode")


_CHECKS: tuple[tuple[str, Callable[[_Context], PropertyResult]], ...] = (
    ("completeness", _completeness),
    ("class6_not_below_class15", _class6),
    ("non_negative", _non_negative),
    ("monotone_in_period", _monotone),
    ("full_year", _full_year),
    ("no_month_paid_twice", _no_month_twice),
)
