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

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from .domain import CentralityGroup, GrantType, Role
from .errors import RateTableError, UnknownPeriodError
from .paths import data_dir
from .yaml_loader import load_yaml


def _no_text(value: Any) -> Any:
    if isinstance(value, (str, bool)):
        raise ValueError(f"must be a number, not {value!r}")
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


Money = Annotated[Decimal, BeforeValidator(_no_text), Field(ge=0)]


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
                f"last_day {self.last_day} is before first_day {self.first_day}"
            )
        return self


class CentralityChoice(_Strict):
    classification: str
    preferred_codes: Literal["2020", "2024"]
    note: str | None = None


class Amount(_Strict):
    amount: Money
    source: str


class RateTable(_Strict):
    """One grant period's parameters. Model A: annual amounts by grant type, role and group."""

    period: PeriodInfo
    model: Literal["A"]
    status: Literal["official", "provisional", "illustrative"]
    status_note: str
    whole_months: Literal["calendar", "anniversary"] = "calendar"
    whole_months_note: str | None = None
    centrality: CentralityChoice
    minimum_share_percent: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    sources: list[Source] = Field(min_length=1)
    annual_rates: dict[GrantType, dict[str, dict[CentralityGroup, Amount]]]
    file: str = ""

    @model_validator(mode="after")
    def _complete_and_sourced(self) -> "RateTable":
        ids = {s.id for s in self.sources}
        if self.period.source not in ids:
            raise ValueError(f"period.source: unknown source id {self.period.source!r}")
        allowed_roles = {r.value for r in Role} | {"any"}
        for grant_type, roles in self.annual_rates.items():
            if not roles:
                raise ValueError(f"annual_rates.{grant_type}: no roles")
            for role, groups in roles.items():
                where = f"annual_rates.{grant_type}.{role}"
                if role not in allowed_roles:
                    raise ValueError(
                        f"{where}: unknown role {role!r} (expected one of {sorted(allowed_roles)})"
                    )
                for group in CentralityGroup:
                    if group not in groups:
                        raise ValueError(f"{where}.{group}: missing centrality group")
                for group, amount in groups.items():
                    if amount.source not in ids:
                        raise ValueError(f"{where}.{group}.source: unknown source id {amount.source!r}")
        return self

    @property
    def id(self) -> str:
        return self.period.id

    @property
    def is_official(self) -> bool:
        return self.status == "official"

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(f"sources.{source_id}")

    def rate(self, path: str, group: str) -> Amount:
        """The annual amount at `annual_rates.<path>.<group>`; KeyError names the path."""
        grant_type, _, role = path.partition(".")
        try:
            return self.annual_rates[GrantType(grant_type)][role][CentralityGroup(group)]
        except (KeyError, ValueError):
            raise KeyError(f"annual_rates.{path}.{group}") from None

    def has_rate(self, path: str) -> bool:
        grant_type, _, role = path.partition(".")
        try:
            return role in self.annual_rates[GrantType(grant_type)]
        except ValueError:
            return False


def load_rate_table(path: Path) -> RateTable:
    """Read and validate one rate file; errors name the file and the key."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RateTableError(f"{path}: cannot read rate table: {exc}") from None
    if not isinstance(raw, dict):
        raise RateTableError(f"{path}: a rate table must be a mapping of keys, got {type(raw).__name__}")
    raw = dict(raw, file=str(path))
    try:
        table = RateTable.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()
        )
        raise RateTableError(f"{path}: {problems}") from None
    if path.stem != table.period.id:
        raise RateTableError(
            f"{path}: period.id {table.period.id!r} does not match the file name {path.stem!r}"
        )
    return table


class RateBook:
    """All rate tables, ordered by first day, with the periods' neighbourhood checked."""

    def __init__(self, tables: list[RateTable]):
        self.tables = sorted(tables, key=lambda t: (t.period.first_day, t.period.last_day))
        self._by_id = {t.id: t for t in self.tables}
        if len(self._by_id) != len(self.tables):
            raise RateTableError("two rate tables have the same period id")
        for before, after in zip(self.tables, self.tables[1:]):
            if after.period.first_day < before.period.last_day:
                raise RateTableError(
                    f"{after.file}: period {after.id} starts {after.period.first_day}, before "
                    f"period {before.id} ends {before.period.last_day}; periods may share at most "
                    "their boundary day"
                )

    @classmethod
    def load(cls, folder: Path | None = None) -> "RateBook":
        folder = folder or data_dir("rates")
        files = sorted(folder.glob("*.yaml"))
        if not files:
            raise RateTableError(f"{folder}: no rate tables (*.yaml) found")
        return cls([load_rate_table(f) for f in files])

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
