"""Two rate tables side by side: which dates, amounts, parameters and rules differ, and (with
an application) what the difference does to each line and to the total.

A table is named by its period id (a shipped table) or by the path of a draft table; a draft
for an existing period replaces that period's table on its side of the comparison only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any


from grants.report.explain import MONTH_METHOD_NB
from grants.months import shift_months
from grants.pipeline.engine import Engine
from grants.money import format_nok
from grants.rates.tables import RateBook, RateTable, load_rate_table
from grants.rules.conditions import describe as describe_condition
from grants.rules.rulebook import RuleBook
from grants.report.vocabulary_nb import MINUS, TABLE_STATUS_NB, date_nb, signed_percent_nb, value_nb

_GROUP_NB = {"class_1_5": "klasse 1–5", "class_6": "klasse 6"}
_STATUS_NB = TABLE_STATUS_NB


@dataclass(frozen=True)
class Side:
    """One side of the comparison: the table, where it came from, and the engine around it."""

    table: RateTable
    label: str  # "2023" or "rates/NY.yaml (2023)"
    engine: Engine


@dataclass(frozen=True)
class Change:
    section: str  # "periode", "sats", "parameter", "element", "regel"
    what: str  # bokmål label
    old: Any
    new: Any
    kroner: bool = True  # numbers are kroner (amounts) or plain numbers (hours, shares ...)

    def text(self) -> str:
        old, new = _shown(self.old, self.kroner), _shown(self.new, self.kroner)
        line = f"{self.what}: {old} → {new}"
        if isinstance(self.old, (int, Decimal)) and isinstance(self.new, (int, Decimal)) and not isinstance(self.old, bool):
            delta = Decimal(self.new) - Decimal(self.old)
            line += f"  ({_signed_kr(delta) if self.kroner else _signed(delta)}"
            if self.old:
                line += f", {signed_percent_nb(delta, Decimal(self.old))}"
            line += ")"
        return line


@dataclass
class LineChange:
    row: int
    alis_id: str
    old_nok: int | None  # None: rejected on that side
    new_nok: int | None
    old_note: str = ""
    new_note: str = ""

    @property
    def change_nok(self) -> int:
        return (self.new_nok or 0) - (self.old_nok or 0)


@dataclass
class RatesDiff:
    a: Side
    b: Side
    changes: list[Change]
    lines: list[LineChange] = field(default_factory=list)
    portfolio: str | None = None
    shift_months: int = 0

    @property
    def old_total(self) -> int:
        return sum(line.old_nok or 0 for line in self.lines)

    @property
    def new_total(self) -> int:
        return sum(line.new_nok or 0 for line in self.lines)

    @property
    def rejected(self) -> bool:
        return any(line.old_nok is None or line.new_nok is None for line in self.lines)

    def text(self) -> str:
        a, b = self.a, self.b
        out = [f"Satser side om side: {a.label} ({_STATUS_NB[a.table.status]}) → {b.label} ({_STATUS_NB[b.table.status]})"]
        if not self.changes:
            out.append("INGEN ENDRING: datoer, beløp, parametere og regler er like.")
        titles = {"periode": "Periode og metode", "sats": "Årssatser ved 100 % stilling", "parameter": "Parametere",
                  "element": "Elementer (årlig maksimum ved 100 %)", "regel": "Regler"}
        for section, title in titles.items():
            items = [c for c in self.changes if c.section == section]
            if items:
                out.append(f"{title}:")
                out.extend(f"  {c.text()}" for c in items)
        if self.portfolio is not None:
            out.append("")
            moved = ""
            if self.shift_months:
                moved = f"; linjene er flyttet {self.shift_months} måneder, avstanden mellom periodenes første dager"
            out.append(f"Virkning på søknaden {self.portfolio}{moved}:")
            out.append(f"  {'rad':>4}  {'lege':<16} {a.table.id:>14} {b.table.id:>14} {'endring':>14}")
            for line in self.lines:
                old = format_nok(line.old_nok) if line.old_nok is not None else "avvist"
                new = format_nok(line.new_nok) if line.new_nok is not None else "avvist"
                change = _signed_kr(Decimal(line.change_nok)) if line.change_nok else "uendret"
                out.append(f"  {line.row:>4}  {line.alis_id:<16} {old:>14} {new:>14} {change:>14}")
                for note in (line.old_note, line.new_note):
                    if note:
                        out.append(f"        {note}")
            total_change = self.new_total - self.old_total
            out.append(f"  {'':>4}  {'Sum':<16} {format_nok(self.old_total):>14} {format_nok(self.new_total):>14} "
                       f"{(_signed_kr(Decimal(total_change)) if total_change else 'uendret'):>14}")
        return "\n".join(out)


def _shown(value: Any, kroner: bool = True) -> str:
    if value is None:
        return "(ingen)"
    if isinstance(value, date):
        return date_nb(value)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        v = Decimal(value).normalize()
        whole, _, frac = f"{abs(v):f}".partition(".")
        text = ("-" if v < 0 else "") + f"{int(whole):,}".replace(",", " ") + (f",{frac}" if frac else "")
        return f"{text} kr" if kroner else text
    return str(value)


def _signed(value: Decimal) -> str:
    v = value.normalize()
    text = f"{abs(v):f}".replace(".", ",")
    return ("+" if value >= 0 else MINUS) + text


def _signed_kr(value: Decimal) -> str:
    v = value.to_integral_value()
    return ("+" if value >= 0 else MINUS) + format_nok(int(abs(v))) + ("" if v == value else " (avrundet)")


def load_side(spec: str, shipped: RateBook | None = None) -> Side:
    """A period id, or the path of a draft table (which replaces its period's shipped table)."""
    shipped = shipped or RateBook.load()
    path = Path(spec)
    if path.suffix.lower() in (".yaml", ".yml") or (spec not in shipped.period_ids and path.exists()):
        draft = load_rate_table(path, check_name=False)
        book = RateBook([t for t in shipped.tables if t.id != draft.id] + [draft])
        engine = Engine(book, RuleBook.load(book))
        return Side(draft, f"{spec} ({draft.id})", engine)
    table = shipped.get(spec)
    from grants.pipeline.engine import default_engine

    engine = default_engine()
    if engine.ratebook.get(table.id) is not table:  # a caller's own shipped book
        engine = Engine(shipped, RuleBook.load(shipped))
    return Side(table, table.id, engine)


def compare(a: Side, b: Side) -> list[Change]:
    """Every difference in dates, method, amounts, parameters, elements and rules."""
    changes: list[Change] = []
    ta, tb = a.table, b.table

    def period_fields(t: RateTable) -> dict[str, Any]:
        return {
            "første dag": t.period.first_day,
            "siste dag": t.period.last_day,
            "søknadsfrist": t.period.deadline,
            "modell": t.model,
            "status": _STATUS_NB[t.status],
            "hele måneder": MONTH_METHOD_NB[t.whole_months],
            "sentralitet": f"{t.centrality.classification} (kommunenumre {t.centrality.preferred_codes})",
            "minste stillingsandel": None if t.minimum_share_percent is None else f"{t.minimum_share_percent} %",
        }

    changes += _differences("periode", period_fields(ta), period_fields(tb))
    changes += _differences("sats", _rates(ta), _rates(tb))
    changes += _differences("parameter", _parameters(ta), _parameters(tb), kroner=False)
    changes += _differences("element", _elements(ta), _elements(tb))
    changes += _rule_changes(a, b)
    return changes


def _differences(section: str, old: dict[str, Any], new: dict[str, Any], kroner: bool = True) -> list[Change]:
    """Changed, added and removed keys. A detail key ("<key>: kilde") is left out when its
    key itself was added or removed: the whole entry is already named."""
    whole = {k for k in [*old, *new] if (k in old) != (k in new)}
    return [Change(section, key, old.get(key), new.get(key), kroner) for key in dict.fromkeys([*old, *new])
            if old.get(key) != new.get(key) and key.split(": ")[0] not in whole - {key}]


def _parameters(t: RateTable) -> dict[str, Any]:
    return {f"{p.title_nb or name} [{name}]": p.value for name, p in (t.parameters or {}).items()}


def _rates(t: RateTable) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for grant_type, roles in (t.annual_rates or {}).items():
        for role, groups in roles.items():
            for group, amount in groups.items():
                role_nb = "alle roller" if role == "any" else value_nb("role", role)
                label = f"{value_nb('grant_type', grant_type.value)}, {role_nb}, {_GROUP_NB[group.value]}"
                out[label] = _kroner(amount.amount)
                out[f"{label}: kilde"] = t.source(amount.source).title
    return out


def _elements(t: RateTable) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, e in (t.elements or {}).items():
        if e.annual_maximum:
            out[e.title_nb] = _kroner(t.annual_maximum(name))
        else:
            out[e.title_nb] = f"{e.share} × ({' + '.join(e.share_of or [])})"
        out[f"{e.title_nb}: tak"] = {"expense": "dokumenterte utgifter", "applied": "søkt beløp", "none": "ingen"}[e.cap]
    return out


def _kroner(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


def _rule_changes(a: Side, b: Side) -> list[Change]:
    old = {r.id: r for r in a.engine.rulebook.valid_in(a.table.id)}
    new = {r.id: r for r in b.engine.rulebook.valid_in(b.table.id)}
    changes = []
    for rule_id in dict.fromkeys([*old, *new]):
        ra, rb = old.get(rule_id), new.get(rule_id)
        if ra is None:
            changes.append(Change("regel", f"{rule_id} (ny i {b.table.id})", None, rb.text_nb))
        elif rb is None:
            changes.append(Change("regel", f"{rule_id} (gjelder ikke i {b.table.id})", ra.text_nb, None))
        elif _rule_content(ra) != _rule_content(rb):
            what = f"{rule_id} (versjon fra {ra.valid_from} → versjon fra {rb.valid_from})"
            if ra.when != rb.when:
                changes.append(Change("regel", f"{what}, vilkår", describe_condition(ra.when), describe_condition(rb.when)))
            if ra.text_nb != rb.text_nb:
                changes.append(Change("regel", f"{what}, tekst", ra.text_nb, rb.text_nb))
            if (ra.kind, ra.rate, ra.group, ra.formula, ra.element, ra.to_fact) != (rb.kind, rb.rate, rb.group, rb.formula, rb.element, rb.to_fact):
                changes.append(Change("regel", f"{what}, virkning", _effect(ra), _effect(rb)))
    return changes


def _rule_content(r: Any) -> tuple:
    return (r.kind, r.when, r.text_nb, r.rate, r.group, r.formula, r.element, r.to_fact)


def _effect(r: Any) -> str:
    parts = [r.kind] + [f"{k}={v}" for k, v in (("rate", r.rate), ("group", r.group), ("formula", r.formula),
                                                  ("element", r.element), ("to_fact", r.to_fact)) if v]
    return " ".join(parts)


def diff(a: Side, b: Side, records: list[dict[str, Any]] | None = None, portfolio: str | None = None) -> RatesDiff:
    """Compare two sides; with application rows, compute every line under both."""
    result = RatesDiff(a, b, compare(a, b), portfolio=portfolio)
    if records is None:
        return result
    fa, fb = a.table.period.first_day, b.table.period.first_day
    shift = (fb.year - fa.year) * 12 + (fb.month - fa.month)
    result.shift_months = shift
    old = a.engine.compute(records, a.table.id)
    lines: dict[int, LineChange] = {}
    for rej in old.rejections:
        lines[rej.row] = LineChange(rej.row, rej.alis_id or "", None, None, old_note=f"{a.table.id}: {rej.text()}")
    valid = sorted({r.row: r.line for r in old.lines}.items())
    for r in old.lines:
        entry = lines.setdefault(r.row, LineChange(r.row, r.alis_id, 0, None))
        entry.old_nok = (entry.old_nok or 0) + r.amount_nok
    moved = [_shifted(line, shift) for _, line in valid]
    new = b.engine.compute(moved, b.table.id)
    rows = [row for row, _ in valid]
    for r in new.lines:
        entry = lines[rows[r.row - 1]]
        entry.new_nok = (entry.new_nok or 0) + r.amount_nok
    for rej in new.rejections:
        entry = lines[rows[rej.row - 1]]
        entry.new_nok = None
        entry.new_note = f"{b.table.id}: {rej.message}"
    result.lines = [lines[k] for k in sorted(lines)]
    return result


def _shifted(line: Any, months: int) -> Any:
    if not months:
        return line
    update = {name: shift_months(getattr(line, name), months)
              for name in ("start", "end", "agreement_signed", "first_gp_date") if getattr(line, name) is not None}
    return line.model_copy(update=update)
