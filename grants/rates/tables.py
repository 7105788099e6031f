"""Rate tables: one YAML file per grant period in rates/, validated on load.

A rate table holds every number of a period (dates, amounts, whole-month method, centrality
classification) with a source for each block, and a status (official / provisional /
illustrative) that every output repeats. A malformed table stops the run with an error naming
the file and the key.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import re

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from grants.domain import CentralityGroup, GrantType, Role
from grants.errors import RateTableError, UnknownPeriodError
from grants.datafiles.paths import data_dir
from grants.datafiles.yaml_loader import load_yaml


def _no_text(value: Any) -> Any:
    if isinstance(value, (str, bool)):
        raise ValueError(f"må være et tall, ikke {value!r} (skriv 300000, uten mellomrom)")
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


Money = Annotated[Decimal, BeforeValidator(_no_text), Field(ge=0)]


def _hundredths(value: Decimal) -> Decimal:
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{value} har mer enn to desimaler; en stillingsandel i prosent har høyst to "
                         "(andelene i søknaden sammenlignes eksakt i hundredeler av en prosent)")
    return value


SharePercent = Annotated[Decimal, BeforeValidator(_no_text), Field(gt=0), AfterValidator(_hundredths)]
"""A share in percent, as the input's shares: above 0, at most two decimals, so that it is
compared with a line's share exactly, the same way on every path."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    id: str
    title: str
    url: str | None = None
    note: str | None = None


class PeriodInfo(_Strict):
    id: str
    first_day: date
    last_day: date
    deadline: date | None
    source: str

    @model_validator(mode="after")
    def _days_in_order(self) -> "PeriodInfo":
        if self.last_day < self.first_day:
            raise ValueError(
                f"last_day {self.last_day} er før first_day {self.first_day}"
            )
        return self


class CentralityChoice(_Strict):
    classification: str
    preferred_codes: Literal["2020", "2024"]
    note: str | None = None


class Amount(_Strict):
    amount: Money
    source: str


class Parameter(_Strict):
    """A named number of a model B table (an hourly rate, a share, a number of hours ...)."""

    value: Money
    source: str
    title_nb: str | None = None
    note: str | None = None


class Element(_Strict):
    """One element of a model B grant: how its annual maximum is built and what caps it.

    Either `annual_maximum` (the product of named parameters, graded by share and whole
    months) or `share_of` + `share` (a share of other elements' unrounded amounts).
    `cap`: "expense" (lower of documented expense and maximum), "applied" (lower of the amount
    applied for, read from the input field `applied_from`, and maximum) or "none" (the maximum
    is paid, no expense cap). `cap_source` cites where the cap comes from.
    `expense_from_hours`: the parameters whose product is the hourly rate, when the expense may
    be documented as hours (supervision hours x hourly rate); the hours are the input's
    `supervision_hours` (veiledning_timer) or the sessions file.
    """

    title_nb: str
    annual_maximum: list[str] | None = None
    share_of: list[str] | None = None
    share: str | None = None
    window_months: str | None = None
    cap: Literal["expense", "applied", "none"]
    applied_from: Literal["centrality_supplement_applied", "productivity_applied"] | None = None
    cap_source: str | None = None
    expense_from_hours: list[str] | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> "Element":
        if (self.annual_maximum is None) == (self.share_of is None):
            raise ValueError("oppgi enten annual_maximum eller share_of (med share)")
        if (self.share_of is None) != (self.share is None):
            raise ValueError("share_of og share hører sammen")
        if (self.cap == "applied") != (self.applied_from is not None):
            raise ValueError("cap: applied og applied_from (inndatafeltet med søkt beløp) hører sammen")
        if self.expense_from_hours is not None and self.cap != "expense":
            raise ValueError("expense_from_hours gjelder bare elementer med cap: expense")
        return self


class ExpenseScope(_Strict):
    """Whose an element's expense (or amount applied for) is: one line's, or the doctor's for
    the whole period in one municipality, capped by the sum of the element's maxima over the
    doctor's lines and shared back to the lines (docs/DOMAIN.md sections 6 and 8)."""

    scope: Literal["line", "doctor"]
    source: str
    note: str | None = None


TABLE_NUMBERS = ("minimum_share_percent", "maximum_summed_share_percent")
"""The top-level numbers of a rate table that rules read by name (besides model B parameters)."""


class RateTable(_Strict):
    """One grant period's parameters. Model A: annual amounts by grant type, role and group;
    model B: named parameters and the elements built from them."""

    period: PeriodInfo
    model: Literal["A", "B"]
    status: Literal["official", "provisional", "illustrative", "draft"]
    status_note: str
    whole_months: Literal["calendar", "anniversary"] = "calendar"
    whole_months_note: str | None = None
    centrality: CentralityChoice
    minimum_share_percent: Annotated[SharePercent, Field(le=100)] | None = None
    maximum_summed_share_percent: SharePercent
    share_limits_source: str
    sources: list[Source] = Field(min_length=1)
    annual_rates: dict[GrantType, dict[str, dict[CentralityGroup, Amount]]] | None = None
    parameters: dict[str, Parameter] | None = None
    elements: dict[str, Element] | None = None
    expense_scope: ExpenseScope | None = None  # model B; absent: each line's own (as before 2025-26)
    file: str = ""

    @model_validator(mode="after")
    def _complete_and_sourced(self) -> "RateTable":
        ids = {s.id for s in self.sources}
        if self.period.source not in ids:
            raise ValueError(f"period.source: ukjent kilde-id {self.period.source!r}")
        if self.share_limits_source not in ids:
            raise ValueError(f"share_limits_source: ukjent kilde-id {self.share_limits_source!r}")
        if self.model == "A":
            if self.annual_rates is None:
                raise ValueError("annual_rates: en modell A-tabell må ha annual_rates")
            if self.parameters is not None or self.elements is not None or self.expense_scope is not None:
                raise ValueError("parameters/elements/expense_scope: bare modell B-tabeller har elementer")
            self._check_annual_rates(ids)
        else:
            if self.annual_rates is not None:
                raise ValueError("annual_rates: en modell B-tabell har parameters og elements i stedet")
            if not self.parameters or not self.elements:
                raise ValueError("elements: en modell B-tabell må ha parameters og elements")
            self._check_elements(ids)
        return self

    def _check_elements(self, ids: set[str]) -> None:
        params = self.parameters or {}
        elements = self.elements or {}
        for name, p in params.items():
            if p.source not in ids:
                raise ValueError(f"parameters.{name}.source: ukjent kilde-id {p.source!r}")
        if self.expense_scope is not None and self.expense_scope.source not in ids:
            raise ValueError(f"expense_scope.source: ukjent kilde-id {self.expense_scope.source!r}")
        hours = [name for name, e in elements.items() if e.expense_from_hours]
        if len(hours) > 1:
            raise ValueError(f"elements: bare ett element kan ha expense_from_hours (veiledningstimer), ikke {', '.join(hours)}")
        for name, e in elements.items():
            where = f"elements.{name}"
            if e.cap_source is not None and e.cap_source not in ids:
                raise ValueError(f"{where}.cap_source: ukjent kilde-id {e.cap_source!r}")
            for ref in (e.annual_maximum or []) + (e.expense_from_hours or []) + [x for x in (e.share, e.window_months) if x]:
                if ref not in params:
                    raise ValueError(f"{where}: ukjent parameter {ref!r} (kjente: {', '.join(sorted(params))})")
            for ref in e.share_of or []:
                if ref not in elements:
                    raise ValueError(f"{where}.share_of: ukjent element {ref!r}")
                if elements[ref].share_of is not None:
                    raise ValueError(f"{where}.share_of: {ref!r} er selv en andel av andre elementer")
            if e.window_months and e.share_of:
                raise ValueError(f"{where}: en andel av andre elementer har ikke vindu")

    def _check_annual_rates(self, ids: set[str]) -> None:
        assert self.annual_rates is not None
        allowed_roles = {r.value for r in Role} | {"any"}
        for grant_type, roles in self.annual_rates.items():
            if not roles:
                raise ValueError(f"annual_rates.{grant_type}: ingen roller")
            for role, groups in roles.items():
                where = f"annual_rates.{grant_type}.{role}"
                if role not in allowed_roles:
                    raise ValueError(
                        f"{where}: ukjent rolle {role!r} (gyldige: {', '.join(sorted(allowed_roles))})"
                    )
                for group in CentralityGroup:
                    if group not in groups:
                        raise ValueError(f"{where}.{group}: mangler sentralitetsgruppe")
                for group, amount in groups.items():
                    if amount.source not in ids:
                        raise ValueError(f"{where}.{group}.source: ukjent kilde-id {amount.source!r}")

    @property
    def id(self) -> str:
        return self.period.id

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(f"sources.{source_id}")

    def rate(self, path: str, group: str) -> Amount:
        """The annual amount at `annual_rates.<path>.<group>`; KeyError names the path."""
        grant_type, _, role = path.partition(".")
        try:
            return self.annual_rates[GrantType(grant_type)][role][CentralityGroup(group)]  # type: ignore[index]
        except (KeyError, ValueError, TypeError):
            raise KeyError(f"annual_rates.{path}.{group}") from None

    def has_rate(self, path: str) -> bool:
        grant_type, _, role = path.partition(".")
        try:
            return role in (self.annual_rates or {})[GrantType(grant_type)]
        except (ValueError, KeyError):
            return False

    def parameter(self, name: str) -> Parameter:
        return (self.parameters or {})[name]

    def has_value(self, name: str) -> bool:
        """Whether `name` is a number of this table a rule may read (see `value`)."""
        return name in TABLE_NUMBERS or name in (self.parameters or {})

    def value(self, name: str) -> Decimal | None:
        """A number of this table by name, for rules: one of TABLE_NUMBERS (None when the
        table leaves it empty) or a model B parameter. KeyError names what is missing."""
        if name in TABLE_NUMBERS:
            return getattr(self, name)
        if name in (self.parameters or {}):
            return self.parameter(name).value
        raise KeyError(f"{self.file}: no number {name!r} (known: {', '.join(sorted(self.value_names))})")

    @property
    def value_names(self) -> list[str]:
        return list(TABLE_NUMBERS) + list(self.parameters or {})

    def element(self, name: str) -> Element:
        try:
            return (self.elements or {})[name]
        except KeyError:
            raise KeyError(f"elements.{name}") from None

    def annual_maximum(self, element: str) -> Decimal:
        """The element's annual maximum at 100 %: the product of its parameters."""
        return self.product(self.element(element).annual_maximum or [])

    def product(self, names: list[str]) -> Decimal:
        """The product of named parameters (an annual maximum, an hourly rate)."""
        value = Decimal(1)
        for name in names:
            value *= self.parameter(name).value
        return value

    @property
    def hours_element(self) -> str | None:
        """The element whose expense may be given as hours (veiledning), if any."""
        return next((n for n, e in (self.elements or {}).items() if e.expense_from_hours), None)

    @property
    def doctor_scope(self) -> bool:
        """True when an expense belongs to the doctor for the period, not to one line."""
        return self.expense_scope is not None and self.expense_scope.scope == "doctor"


_PYDANTIC_NB = {
    "missing": "mangler",
    "extra_forbidden": "ukjent nøkkel (skrivefeil?)",
    "literal_error": "ugyldig verdi",
    "date_from_datetime_parsing": "er ikke en dato (skriv 2025-06-01)",
    "date_parsing": "er ikke en dato (skriv 2025-06-01)",
    "date_type": "er ikke en dato (skriv 2025-06-01)",
    "decimal_parsing": "er ikke et tall",
    "decimal_type": "er ikke et tall",
    "greater_than_equal": "kan ikke være negativt",
    "greater_than": "må være større",
    "less_than_equal": "er for stort",
    "string_type": "må være tekst",
    "list_type": "må være en liste",
    "dict_type": "må være nøkler med verdier",
    "too_short": "kan ikke være tom",
    "enum": "ugyldig verdi",
}


def describe_errors(exc: ValidationError) -> str:
    """pydantic's errors as 'key.path: problem' in bokmål, without its 'Value error,' prefixes."""
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            msg = _PYDANTIC_NB.get(err["type"], str(err["msg"]))
            if err["type"] in ("literal_error", "enum") and "expected" in err.get("ctx", {}):
                msg += f" (gyldige: {str(err['ctx']['expected']).replace(' or ', ' eller ')})"
            if "input" in err and not isinstance(err["input"], (dict, list)) and err["type"] != "missing":
                msg += f": {err['input']!r}"
        problems.append(f"{where}: {msg}" if where else msg)
    return "; ".join(problems)


def load_rate_table(path: Path, check_name: bool = True) -> RateTable:
    """Read and validate one rate file; errors name the file and the key. A shipped table's
    file is named after its period (`check_name`); a candidate (rates/NEW.yaml) need not be."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RateTableError(f"{path}: finner ikke satstabellen (filen finnes ikke)") from None
    except OSError as exc:
        raise RateTableError(f"{path}: kan ikke lese satstabellen: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise RateTableError(f"{path}: kan ikke lese satstabellen: {exc}") from None
    if not isinstance(raw, dict):
        raise RateTableError(f"{path}: en satstabell må være nøkler med verdier (YAML-mapping), ikke {type(raw).__name__}")
    raw = dict(raw, file=str(path))
    try:
        table = RateTable.model_validate(raw)
    except ValidationError as exc:
        raise RateTableError(f"{path}: {describe_errors(exc)}") from None
    if check_name and path.stem != table.period.id:
        raise RateTableError(
            f"{path}: period.id {table.period.id!r} stemmer ikke med filnavnet {path.stem!r}"
        )
    return table


def published_tables(folder: Path, *, exclude: Path | str | None = None) -> tuple[list[RateTable], list[str]]:
    """The tables of `folder` that are in force, and a note per file left out (see
    RateBook.load); `exclude` is a file the caller loads itself (a table named by path)."""
    own = Path(exclude).resolve() if exclude is not None else None
    tables: list[RateTable] = []
    skipped: list[str] = []
    for f in sorted(Path(folder).glob("*.yaml")):
        if own is not None and f.resolve() == own:
            continue
        if not PERIOD_FILE_NAME.fullmatch(f.stem):
            skipped.append(f"{f} er ikke brukt: filnavnet er ikke en periode (f.eks. 2026-27.yaml); "
                           "en kladd kontrolleres med «alis-grant rates check FIL»")
            continue
        table = load_rate_table(f)
        if table.status == "draft":
            skipped.append(f"{f} er ikke brukt: tabellen er merket status: draft")
            continue
        tables.append(table)
    return tables, skipped


PERIOD_FILE_NAME = re.compile(r"\d{4}(-\d{2})?")
"""A shipped table's file name (without .yaml): a period id such as 2023 or 2024-25."""


class RateBook:
    """All rate tables, ordered by first day, with the periods' neighbourhood checked."""

    skipped: tuple[str, ...] = ()
    """Notes (bokmål) on the files in the folder that were not loaded: drafts, other names."""
    candidate: RateTable | None = None
    """The table named by path, when the book was loaded with one."""

    def __init__(self, tables: list[RateTable]):
        self.tables = sorted(tables, key=lambda t: (t.period.first_day, t.period.last_day))
        self._by_id = {t.id: t for t in self.tables}
        if len(self._by_id) != len(self.tables):
            raise RateTableError("to satstabeller har samme period.id")
        for before, after in zip(self.tables, self.tables[1:]):
            if after.period.first_day < before.period.last_day:
                raise RateTableError(
                    f"{after.file} og {before.file}: perioden {after.id} starter {after.period.first_day}, "
                    f"før perioden {before.id} slutter {before.period.last_day}; perioder kan bare dele "
                    "grensedagen (period.first_day / period.last_day)"
                )

    @classmethod
    def load(cls, folder: Path | None = None, *, candidate: Path | str | None = None) -> "RateBook":
        """The one loader every command uses.

        Every `*.yaml` in `folder` whose name is a period id (2023, 2024-25) is loaded strictly:
        an error in it stops the run. A file with any other name (a draft such as NY.yaml) and
        a table marked `status: draft` are skipped, each with a note in `skipped`, unless the
        command names it: `candidate` is a table given by path (`rates check FILE`, `impact
        --new FILE`); it may have any name and status, and replaces the shipped table of its
        period."""
        folder = Path(folder) if folder is not None else data_dir("rates")
        tables, skipped = published_tables(folder, exclude=candidate)
        chosen = None
        if candidate is not None:
            chosen = load_rate_table(Path(candidate), check_name=False)
            tables = [t for t in tables if t.id != chosen.id] + [chosen]
        if not tables:
            raise RateTableError(f"{folder}: fant ingen satstabeller (*.yaml)")
        book = cls(tables)
        book.skipped = tuple(skipped)
        book.candidate = chosen
        return book

    @property
    def period_ids(self) -> list[str]:
        return [t.id for t in self.tables]

    def get(self, period_id: str) -> RateTable:
        try:
            return self._by_id[str(period_id)]
        except KeyError:
            raise UnknownPeriodError(
                f"ingen satstabell for perioden «{period_id}»; kjente perioder: "
                + ", ".join(self.period_ids)
            ) from None

    def overlapping(self, start: date, end: date) -> list[RateTable]:
        """The tables whose period shares at least one day with [start, end]."""
        return [t for t in self.tables if t.period.first_day <= end and start <= t.period.last_day]
