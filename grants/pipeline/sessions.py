"""Supervision sessions (`alis-grant compute --sessions FILE`): one row per session with the
doctor, the date and the hours, as on the supervision certificate.

Hours are summed per doctor and grant period for sessions dated inside the period; a session
outside the period, undated, or in a period whose rate table has no hours-priced element is
named and not paid. Two sessions of one doctor on the same date with the same hours are a
possible duplicate: counted ONCE (the source counts each session once) and named, so the
officer can correct the file if there really were two. An optional session id column
(`okt_id`) tells real second sessions apart: sessions with different ids are never duplicates.
A value the reader does not understand (a date that is not a date, hours that are not a
number) stops the run naming the row, the column and the value.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Mapping, Union

from grants.domain import fold
from grants.errors import InputFileError
from grants.pipeline.inputs import ROW_ERROR, is_blank, parse_alis_id, parse_date, parse_hours, parse_municipality

SESSION_ALIASES: dict[str, tuple[str, ...]] = {
    "alis_id": ("alis_id", "lege_id", "legeid", "lege", "hpr", "hpr_nr", "doctor"),
    "date": ("dato", "date", "okt_dato", "veiledningsdato", "dato_veiledning"),
    "hours": ("timer", "hours", "antall_timer", "veiledningstimer", "veiledning_timer"),
    "kommunenummer": ("kommunenummer", "kommunenr", "knr"),
    "session_id": ("okt_id", "okt", "session_id"),
}
_REQUIRED = ("alis_id", "date", "hours")
_ALIAS = {alias: name for name, aliases in SESSION_ALIASES.items() for alias in aliases}


@dataclass(frozen=True, slots=True)
class Session:
    row: int  # data row in the sessions file (the first line under the header is 1)
    alis_id: str
    day: date | None
    hours: Decimal
    kommunenummer: str | None = None
    session_id: str | None = None


@dataclass
class DoctorHours:
    """The hours of one doctor in one period (and municipality, when the file names it)."""

    hours: Decimal
    rows: list[int]  # the sessions counted


@dataclass
class SessionHours:
    """Hours per (doctor, period, municipality or None), and what was not paid, in bokmål."""

    hours: dict[tuple[str, str, str | None], DoctorHours] = field(default_factory=dict)
    not_paid: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    file_notes: list[str] = field(default_factory=list)  # about the file: unused columns, encoding
    by_doctor: dict[str, list[str]] = field(default_factory=dict)
    """The same notes per doctor, so each of the doctor's lines names them in its reason."""

    def _note(self, kind: list[str], alis_id: str, text: str) -> None:
        kind.append(text)
        self.by_doctor.setdefault(alis_id, []).append(text)

    def describe(self, key: tuple[str, str, str | None]) -> str:
        entry = self.hours[key]
        rows = ", ".join(str(r) for r in entry.rows)
        return f"{_hours(entry.hours)} timer fra øktfilen ({len(entry.rows)} økter, rad {rows})"


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def map_session_header(columns: Iterable[Any]) -> dict[str, str]:
    """Field -> the user's column name; a missing or doubled column stops the run."""
    mapped: dict[str, str] = {}
    for col in columns:
        name = str(col)
        f = _ALIAS.get(fold(name))
        if f is None:
            continue
        if f in mapped:
            raise InputFileError(f"øktfilen: kolonnene «{mapped[f]}» og «{name}» betyr begge {f}; fjern den ene")
        mapped[f] = name
    missing = [f for f in _REQUIRED if f not in mapped]
    if missing:
        raise InputFileError(
            "øktfilen mangler kolonne: " + ", ".join(f"{f} (f.eks. {' / '.join(SESSION_ALIASES[f][:2])})" for f in missing)
        )
    return mapped


def parse_sessions(records: list[Mapping[str, Any]]) -> list[Session]:
    """Rows of a sessions file to Sessions; a blank date is kept (named later, not paid)."""
    if not records:
        return []
    keys: dict[str, None] = {}
    for r in records:
        keys.update(dict.fromkeys(map(str, r)))
    header = map_session_header(keys)
    out = []
    for i, rec in enumerate(records, start=1):
        if rec.get(ROW_ERROR):
            raise InputFileError(f"øktfilen, rad {i}: {rec[ROW_ERROR]}")
        values: dict[str, Any] = {}
        for f, column in header.items():
            raw = rec.get(column)
            if is_blank(raw):
                if f in ("alis_id", "hours"):
                    raise InputFileError(f"øktfilen, rad {i}, kolonne «{column}»: mangler verdi")
                values[f] = None
                continue
            parser = {"alis_id": parse_alis_id, "date": parse_date, "hours": parse_hours,
                      "kommunenummer": parse_municipality, "session_id": lambda v: str(v).strip()}[f]
            try:
                values[f] = parser(raw)
            except ValueError as exc:
                raise InputFileError(f"øktfilen, rad {i}, kolonne «{column}», verdi «{str(raw).strip()}»: {exc}") from None
        out.append(Session(i, values["alis_id"], values.get("date"), values["hours"],
                           values.get("kommunenummer"), values.get("session_id")))
    return out


def aggregate(sessions: list[Session], ratebook: Any, period: str | None = None) -> SessionHours:
    """Sum hours per doctor and period. With `period`, only that period's sessions count;
    without, each session belongs to the period containing its date (the later one on a
    shared boundary day, as a split line counts it)."""
    out = SessionHours()
    tables = [ratebook.get(period)] if period is not None else list(ratebook.tables)
    seen: dict[tuple[str, date, Decimal, str | None, str | None], int] = {}
    for s in sessions:
        where = f"økt på rad {s.row} (lege {s.alis_id}, {_hours(s.hours)} timer"
        if s.day is None:
            out._note(out.not_paid, s.alis_id, f"{where}, uten dato) er ikke betalt: økten har ingen dato")
            continue
        where += f", {s.day:%d.%m.%Y})"
        inside = [t for t in tables if t.period.first_day <= s.day <= t.period.last_day]
        if not inside:
            scope = f"perioden {period}" if period is not None else "noen kjent periode"
            out._note(out.not_paid, s.alis_id, f"{where} er ikke betalt: datoen er utenfor {scope}")
            continue
        table = inside[-1]
        if table.hours_element is None:
            out._note(out.not_paid, s.alis_id, f"{where} er ikke betalt: perioden {table.id} prises ikke etter veiledningstimer")
            continue
        key = (s.alis_id, s.day, s.hours, s.kommunenummer, s.session_id)
        if key in seen:
            out._note(
                out.duplicates, s.alis_id,
                f"{where} ser ut som en kopi av økten på rad {seen[key]} (samme lege, dato og timer): "
                "regnet én gang; var det to økter, gi dem ulik okt_id"
            )
            continue
        seen[key] = s.row
        entry = out.hours.setdefault((s.alis_id, table.id, s.kommunenummer), DoctorHours(Decimal(0), []))
        entry.hours += s.hours
        entry.rows.append(s.row)
    return out


SessionRows = Union[SessionHours, Iterable[Mapping[str, Any]]]
"""What `compute(..., sessions=...)` takes without reading a file: rows as a sessions file has
them (dicts with its columns, or a pandas DataFrame), or hours already aggregated."""


def session_hours(sessions: SessionRows | None, ratebook: Any, period: str | None = None) -> SessionHours | None:
    """The `sessions` argument of the engine as hours per doctor and period: rows (dicts with
    the sessions file's columns and aliases, or a DataFrame) are read by the file's own parser
    (parse_sessions: the same value grammar, the same errors) and summed by `aggregate`; hours
    already aggregated are taken as they are. A path is read by the caller (grants.compute,
    through grants.io.sessions_file): the engine reads no files."""
    if sessions is None or isinstance(sessions, SessionHours):
        return sessions
    if isinstance(sessions, (str, bytes, os.PathLike)):
        raise TypeError("sessions: a path is read by grants.compute (or grants.io.sessions_file.sessions_for); "
                        "Engine.compute takes the rows")
    if isinstance(sessions, Mapping):
        raise TypeError("sessions: a list of rows (one dict per session), not one dict")
    pd = sys.modules.get("pandas")  # a DataFrame means pandas is loaded
    rows = sessions.to_dict("records") if pd is not None and isinstance(sessions, pd.DataFrame) else list(sessions)
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise InputFileError(f"øktfilen, rad {i}: raden er ikke en tabellrad (dict), men {type(row).__name__}")
    return aggregate(parse_sessions(rows), ratebook, period)
