"""Supervision sessions (`alis-grant compute --sessions FILE`): one row per session with the
doctor, the date and the hours, as on the supervision certificate.

Sessions are evidence (docs/DOMAIN.md section 6). A doctor *has sessions* in a municipality
when the file has any row for him there (matched by the doctor key, grants.pipeline.inputs.
doctor_key; a row that names no municipality is his in every municipality), dated or not,
inside the period or not. His veiledning in an hours-priced period is then priced only from his
sessions dated inside that period: none inside gives 0 kr, and every session not paid is named
with the reason (outside the period, undated, a copy). A session inside the period but outside
all of the doctor's lines still counts (the period is what the source counts by); the line's
reason says so.

Two sessions of one doctor in one municipality on the same date with the same hours (and the
same session id, when given) are a possible duplicate: counted ONCE and named, so the officer
can correct the file if there really were two; an optional session id column (`okt_id`) tells
real second sessions apart. A session that names no municipality is the doctor's in each of
his municipalities, so it is a copy of one that names his. A value the reader does not understand (a date that is not a date,
hours that are not a number, an id in another script) stops the run naming the row, the column
and the value.

This module finds each doctor's evidence; grants.pipeline.caps applies it to his lines.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping, Union

from grants.domain import fold
from grants.errors import InputFileError
from grants.pipeline.fields import ROW_ERROR
from grants.pipeline.grammar import is_blank, parse_alis_id, parse_date, parse_hours, parse_municipality
from grants.pipeline.inputs import doctor_key

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

    def label(self) -> str:
        """«økt på rad 4 (lege X, 2 timer, 14.04.2025)», as every note names a session."""
        day = "uten dato" if self.day is None else f"{self.day:%d.%m.%Y}"
        where = "" if self.kommunenummer is None else f", kommune {self.kommunenummer}"
        return f"økt på rad {self.row} (lege {self.alis_id}, {_hours(self.hours)} timer, {day}{where})"


@dataclass(frozen=True, slots=True)
class Unpaid:
    """A session of the doctor that is not paid in the period, and why (bokmål)."""

    session: Session
    why: str

    def text(self) -> str:
        return f"{self.session.label()} er ikke betalt: {self.why}"


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the sessions file documents for one doctor in one municipality and period: the
    hours of the sessions counted, and each of his sessions that is not paid there."""

    period: str
    hours: Decimal
    counted: tuple[Session, ...]
    unpaid: tuple[Unpaid, ...]

    @property
    def rows(self) -> tuple[int, ...]:
        """Every row of the file this evidence reads, counted or not."""
        return tuple(sorted({s.row for s in self.counted} | {u.session.row for u in self.unpaid}))

    def describe(self) -> str:
        if not self.counted:
            return f"0 timer fra øktfilen (ingen økt datert i perioden {self.period})"
        rows = ", ".join(str(s.row) for s in self.counted)
        n = len(self.counted)
        return (f"{_hours(self.hours)} {'time' if self.hours == 1 else 'timer'} fra øktfilen "
                f"({n} {'økt' if n == 1 else 'økter'}, {'rad' if n == 1 else 'rader'} {rows})")


@dataclass
class SessionHours:
    """The sessions file as evidence: every session, by doctor key, with the period its date
    belongs to and the copies found; `evidence` gives one doctor's in one place and period."""

    sessions: list[Session] = field(default_factory=list)
    period: str | None = None  # the period asked for (None: each session in the period of its date)
    home: dict[int, str | None] = field(default_factory=dict)  # row -> the period its date belongs to
    model_a: dict[int, str] = field(default_factory=dict)  # row -> its period, when that period is not priced by hours
    by_doctor: dict[str, list[Session]] = field(default_factory=dict)  # doctor key -> sessions, file order
    file_notes: list[str] = field(default_factory=list)  # about the file: unused columns, encoding

    def evidence(self, doctor: str, period: str, here: Callable[[str], bool]) -> Evidence | None:
        """The doctor's evidence in a municipality (`here(number)`: whether a number names it)
        and an hours-priced period, or None when the file has no row for him there (then
        nothing is given, and the maximum applies)."""
        matched = [s for s in self.by_doctor.get(doctor, ()) if s.kommunenummer is None or here(s.kommunenummer)]
        if not matched:
            return None
        counted: list[Session] = []
        unpaid: list[Unpaid] = []
        first: dict[tuple[date, Decimal, str | None], int] = {}
        for s in matched:
            why = self.why_not_paid(s, period)
            if why is None:
                same = (s.day, s.hours, s.session_id)
                if same in first:
                    why = (f"den ser ut som en kopi av økten på rad {first[same]} (samme lege, dato og timer): "
                           "regnet én gang; var det to økter, gi dem ulik okt_id")
                else:
                    first[same] = s.row
            if why is None:
                counted.append(s)
            else:
                unpaid.append(Unpaid(s, why))
        return Evidence(period, sum((s.hours for s in counted), Decimal(0)), tuple(counted), tuple(unpaid))

    def why_not_paid(self, s: Session, period: str) -> str | None:
        """Why a session of the doctor is not paid in `period` by its date, or None when its
        date lies there (copies are found among the sessions of one municipality: `evidence`)."""
        if s.day is None:
            return "økten har ingen dato"
        home = self.home.get(s.row)
        if home != period:
            if self.period is not None:
                return f"datoen er utenfor perioden {self.period}"
            if home is None:
                return "datoen er utenfor alle kjente perioder"
            return f"datoen hører til perioden {home}, ikke {period}"
        return None

    def why_unused(self, s: Session) -> str:
        """Why a session no line of the batch could take is not paid (for the batch's notes)."""
        if s.day is None:
            return "økten har ingen dato, og legen har ingen beregnet linje med veiledning etter timer"
        if s.row in self.model_a:
            return f"perioden {self.model_a[s.row]} prises ikke etter veiledningstimer"
        home = self.home.get(s.row)
        if home is None:
            scope = f"perioden {self.period}" if self.period is not None else "alle kjente perioder"
            return f"datoen er utenfor {scope}"
        where = f" i kommune {s.kommunenummer}" if s.kommunenummer is not None else ""
        return f"legen har ingen beregnet linje i perioden {home}{where}"


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
    """The sessions as evidence: each by its doctor key, with the period its date belongs to
    (with `period`, that period or none; without, the period containing the date, the later
    one on a shared boundary day, as a split line counts it)."""
    out = SessionHours(period=period)
    tables = [ratebook.get(period)] if period is not None else list(ratebook.tables)
    for s in sessions:
        key = doctor_key(s.alis_id)
        out.sessions.append(s)
        out.by_doctor.setdefault(key, []).append(s)
        if s.day is None:
            continue
        inside = [t for t in tables if t.period.first_day <= s.day <= t.period.last_day]
        table = inside[-1] if inside else None
        out.home[s.row] = None if table is None else table.id
        if table is not None and table.hours_element is None:
            out.model_a[s.row] = table.id
    return out


SessionRows = Union[SessionHours, Iterable[Mapping[str, Any]]]
"""What `compute(..., sessions=...)` takes without reading a file: rows as a sessions file has
them (dicts with its columns, or a pandas DataFrame), or hours already aggregated."""


def session_hours(sessions: SessionRows | None, ratebook: Any, period: str | None = None) -> SessionHours | None:
    """The `sessions` argument of the engine as the sessions' evidence: rows (dicts with
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
