"""Every input field through every door, with the same money.

The batch is built from the one field table (grants.pipeline.fields: every required and
optional column), every element of the shipped model B table (an `expense_<element>` column
each) and the sessions file's columns, so a new field is walked as soon as it is declared. For
each optional field the batch has a line without it, a line with a good value and a line with a
bad value; for each required field a line with a bad value; for the sessions, doctors whose
veiledning is priced from them. The doors:

  cli_csv       `alis-grant compute FILE.csv --sessions S.csv -o out.json` (the reference)
  cli_xlsx      the same as workbooks built here with openpyxl (dates, numbers, booleans as cells)
  dicts         grants.compute(list of dicts with the file's texts, sessions=list of dicts)
  dataframe     grants.compute(pandas DataFrame as a spreadsheet gives it, sessions=DataFrame)
  typed         grants.compute(list of LineInput, sessions=rows of native values); a bad value
                cannot become a LineInput: its ValidationError carries the rejection's message
  json          POST /compute with a JSON body (numbers as JSON numbers, exact)
  upload_csv    POST /compute, multipart: the CSV files
  upload_xlsx   POST /compute, multipart: the workbooks

Each must give the same lines (amount, status, every element, basis, reason), the same
rejections (row, column, value, message) and the same notes. A good value must change the money
or the reason of its line (else a door that dropped the field would pass unnoticed), and a bad
session value stops the run on every door with the same message.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import httpx
import openpyxl
import pandas as pd
import pytest
from pydantic import ValidationError

import grants
from grants.cli import main as cli_main
from grants.io.writers import result_document
from grants.pipeline.fields import DEFAULTS, EXPENSE, OPTIONAL_COLUMNS, PARSERS, REQUIRED_COLUMNS
from grants.pipeline.grammar import parse_amount, parse_bool, parse_centrality_class, parse_date, parse_hours, parse_share
from grants.pipeline.inputs import LineInput
from grants.pipeline.sessions import SESSION_ALIASES
from grants.service.api_models import LineIn, SessionIn

from .conftest import shipped_book

BOOK = shipped_book()
TABLE = [t for t in BOOK.tables if t.model == "B" and t.hours_element][-1]
"""The latest shipped period whose veiledning is priced by hours: it takes every input field."""
PERIOD = TABLE.id
FIRST, LAST = TABLE.period.first_day, TABLE.period.last_day
MID = (FIRST + timedelta(days=100)).replace(day=15)
"""A day well inside the period (a date field's good value, the sessions' day)."""
ELEMENTS = list(TABLE.elements or {})
CLASS_6 = "1151"  # Utsira: centrality class 6 (a sentralitetstillegg applied for needs it)


@dataclass(frozen=True)
class V:
    """One value as each door writes it: the text of a file cell (CSV, dicts), the native Python
    value (DataFrame, LineInput), the JSON value (a Decimal is written as a JSON number, exactly)
    and the workbook cell."""

    text: str
    native: Any
    json: Any
    cell: Any


def _text(value: str) -> V:
    """A value every door writes as the same text (a bad value)."""
    return V(value, value, value, value)


def _number(text: str, exact: str) -> V:
    d = Decimal(exact)
    return V(text, d, d, float(d) if Decimal(repr(float(d))) == d else exact)


_DATE = lambda d: V(f"{d:%d.%m.%Y}", d, d.isoformat(), datetime(d.year, d.month, d.day))  # noqa: E731

# The values of each kind of field, by its parser (grants.pipeline.fields.PARSERS): a new field of
# a known kind is walked without a change here.
GOOD_BY_PARSER: dict[Callable[..., Any], Callable[[str], V]] = {
    parse_bool: lambda f: V("nei", False, False, False) if DEFAULTS[f] else V("ja", True, True, True),
    parse_date: lambda f: _DATE(MID),
    parse_centrality_class: lambda f: V("6", 6, 6, 6),
    parse_amount: lambda f: _number("1 000,50", "1000.50"),
    parse_hours: lambda f: _number("10,5", "10.5"),
}
BAD_BY_PARSER: dict[Callable[..., Any], V] = {
    parse_bool: _text("kanskje"),
    parse_date: _text(f"{LAST.year}-02-30"),
    parse_centrality_class: _text("7"),
    parse_amount: _text("12,500"),  # thousands or decimals?
    parse_hours: _text("10:30"),
    parse_share: V("99.999999999999999999", "99.999999999999999999", Decimal("99.999999999999999999"),
                   "99.999999999999999999"),  # JSON: a number, never read as 100 through a float
}
BAD_REQUIRED: dict[str, V] = {
    "alis_id": V("", "", "", None),
    "kommunenummer": _text("03O1"),
    "grant_type": _text("stipend"),
    "role": _text("sjef"),
}
CONTEXT: dict[str, dict[str, V]] = {
    "centrality_supplement_applied": {"kommunenummer": _text(CLASS_6)},  # paid in class 6 only
    "productivity_applied": {"first_gp_date": _DATE(FIRST)},  # produktivitet needs the first day as fastlege
}
"""What a field needs beside it to count at all (on its line and on the line without it)."""


def _base(alis_id: str) -> dict[str, V]:
    return {"alis_id": _text(alis_id), "kommunenummer": _text("0301"), "grant_type": _text("alis_avtale"),
            "role": _text("fastlege"), "position_share": V("80", Decimal(80), 80, 80),
            "start": _DATE(FIRST), "end": _DATE(LAST)}


def _expense(element: str) -> str:
    return f"{EXPENSE}{element}"


def _column(field: str) -> str:
    """The canonical column name every door uses (an expense: expense_<element>)."""
    return f"expense_{field[len(EXPENSE):]}" if field.startswith(EXPENSE) else field


def _parser(field: str) -> Any:
    return parse_amount if field.startswith(EXPENSE) else PARSERS[field]


OPTIONAL_FIELDS = [*OPTIONAL_COLUMNS, *(_expense(e) for e in ELEMENTS)]


@dataclass
class Case:
    name: str  # what the row shows
    fields: dict[str, V]
    bad: str | None = None  # the field holding a bad value


def _cases() -> list[Case]:
    cases: list[Case] = []
    for k, field in enumerate(OPTIONAL_FIELDS):
        parser = _parser(field)
        assert parser in GOOD_BY_PARSER, f"no walk values for a field read by {parser.__name__} ({field}): add them"
        context = CONTEXT.get(field, {})
        stem = f"W{k:02d}"
        cases.append(Case(f"{field}: without", {**_base(stem + "N"), **context}))
        cases.append(Case(f"{field}: good", {**_base(stem + "G"), **context, field: GOOD_BY_PARSER[parser](field)}))
        cases.append(Case(f"{field}: bad", {**_base(stem + "B"), **context, field: BAD_BY_PARSER[parser]}, bad=field))
    for k, field in enumerate(REQUIRED_COLUMNS):
        bad = BAD_REQUIRED.get(field) or BAD_BY_PARSER[PARSERS[field]]
        cases.append(Case(f"{field}: bad", {**_base(f"R{k:02d}"), field: bad}, bad=field))
    # sessions: S1 two sessions on one date told apart by okt_id (both counted), S2 the same
    # without okt_id (counted once), S0 no sessions; S3/S4 work in two municipalities, and only
    # S3's sessions name the municipality they belong to
    kun = {"grant_type": _text("kun_veiledning")}
    for doctor in ("S0", "S1", "S2"):
        cases.append(Case(f"sessions: {doctor}", {**_base(doctor), **kun}))
    half = MID.replace(day=1) - timedelta(days=1)  # a month's last day: both halves keep whole months
    for doctor in ("S3", "S4"):
        cases.append(Case(f"sessions: {doctor} first half", {**_base(doctor), **kun, "end": _DATE(half)}))
        cases.append(Case(f"sessions: {doctor} second half", {**_base(doctor), **kun, "kommunenummer": _text(CLASS_6),
                                                             "start": _DATE(half + timedelta(days=1))}))
    return cases


CASES = _cases()
SESSION_FIELDS = ["alis_id", "date", "hours", "kommunenummer", "okt_id"]
"""The sessions file's columns under the names the JSON model uses (each an alias of the file)."""


def _sessions() -> list[dict[str, V]]:
    day = _DATE(MID)
    two_hours = _number("2,5", "2.5")
    out = []
    for doctor, ids in (("S1", ("a", "b")), ("S2", (None, None))):
        for okt in ids:
            row = {"alis_id": _text(doctor), "date": day, "hours": two_hours, "kommunenummer": _text("0301")}
            row["okt_id"] = _text(okt) if okt else V("", None, None, None)
            out.append(row)
    for doctor, muni in (("S3", _text("0301")), ("S4", V("", None, None, None))):
        out.append({"alis_id": _text(doctor), "date": day, "hours": _number("4", "4"), "kommunenummer": muni,
                    "okt_id": V("", None, None, None)})
    return out


SESSIONS = _sessions()
BAD_SESSION_VALUES = {"alis_id": V("", "", "", None), "date": _text(f"{LAST.year}-02-30"), "hours": _text("10:30"),
                      "kommunenummer": _text("03O1")}
"""A value each sessions column refuses (okt_id takes any text)."""

# -- the doors --------------------------------------------------------------------------------------


def _columns(rows: list[dict[str, V]]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        seen.update(dict.fromkeys(_column(f) for f in r))
    return list(seen)


def _by_column(row: dict[str, V]) -> dict[str, V]:
    return {_column(f): v for f, v in row.items()}


def _write_csv(path: Path, rows: list[dict[str, V]]) -> Path:
    header = _columns(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(header)
        for r in rows:
            cells = _by_column(r)
            w.writerow([cells[c].text if c in cells else "" for c in header])
    return path


def _write_xlsx(path: Path, rows: list[dict[str, V]]) -> Path:
    header = _columns(rows)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        cells = _by_column(r)
        ws.append([cells[c].cell if c in cells else None for c in header])
    for col in ws.iter_cols(min_row=2):
        for cell in col:
            if isinstance(cell.value, datetime):
                cell.number_format = "DD.MM.YYYY"
    wb.save(path)
    return path


def _lines() -> list[dict[str, V]]:
    return [c.fields for c in CASES]


def _json_text(value: Any) -> str:
    """JSON with each Decimal written as the number it is (json.dumps would refuse it)."""
    marks: list[str] = []

    def mark(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            marks.append(str(obj))
            return f"\0{len(marks) - 1}\0"
        raise TypeError(type(obj).__name__)

    text = json.dumps(value, default=mark, ensure_ascii=False)
    return re.sub('"\\\\u0000(\\d+)\\\\u0000"', lambda m: marks[int(m.group(1))], text)


def _nested(row: dict[str, V], form: str) -> dict[str, Any]:
    """A row as a JSON line or a LineInput takes it: the expense columns under `expenses`, each
    value in `form` (json or native)."""
    out: dict[str, Any] = {}
    for f, v in row.items():
        if f.startswith(EXPENSE):
            out.setdefault("expenses", {})[f[len(EXPENSE):]] = getattr(v, form)
        else:
            out[f] = getattr(v, form)
    return out


def _json_line(row: dict[str, V]) -> dict[str, Any]:
    return _nested(row, "json")


def _typed(row: dict[str, V]) -> LineInput:
    return LineInput(**_nested(row, "native"))


def _frame(rows: list[dict[str, V]]) -> pd.DataFrame:
    """As a spreadsheet gives it: floats, timestamps, booleans, text."""
    header = _columns(rows)
    return pd.DataFrame([{c: _by_column(r)[c].cell if c in _by_column(r) else None for c in header} for r in rows],
                        columns=header)


def _door_cli(tmp: Path, kind: str, lines: list[dict[str, V]], sessions: list[dict[str, V]]) -> dict[str, Any]:
    write = _write_csv if kind == "csv" else _write_xlsx
    app, sess, out = write(tmp / f"soknad.{kind}", lines), write(tmp / f"okter.{kind}", sessions), tmp / "out.json"
    code = cli_main(["compute", str(app), "--period", PERIOD, "--sessions", str(sess), "-o", str(out), "--quiet"])
    assert code in (0, 1)
    return json.loads(out.read_text(encoding="utf-8"))


def _door_upload(client: httpx.Client, tmp: Path, kind: str, lines, sessions) -> dict[str, Any]:
    write = _write_csv if kind == "csv" else _write_xlsx
    app, sess = write(tmp / f"soknad.{kind}", lines), write(tmp / f"okter.{kind}", sessions)
    r = client.post("/compute", data={"period": PERIOD},
                    files={"file": (app.name, app.read_bytes()), "sessions": (sess.name, sess.read_bytes())})
    assert r.status_code == 200, r.text
    return r.json()


def _door_json(client: httpx.Client, lines, sessions) -> dict[str, Any]:
    body = {"period": PERIOD, "lines": [_json_line(r) for r in lines],
            "sessions": [{f: v.json for f, v in s.items()} for s in sessions]}
    r = client.post("/compute", content=_json_text(body).encode("utf-8"), headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    return r.json()


def _door_dicts(lines, sessions) -> dict[str, Any]:
    result = grants.compute([{_column(f): v.text for f, v in r.items()} for r in lines], PERIOD,
                            sessions=[{f: v.text for f, v in s.items()} for s in sessions])
    return result_document(result, traces=False)


def _door_dataframe(lines, sessions) -> dict[str, Any]:
    frame = _frame(lines)
    sess = pd.DataFrame([{f: v.cell for f, v in s.items()} for s in sessions])
    return result_document(grants.compute(frame, PERIOD, sessions=sess), traces=False)


def _door_typed(lines, sessions) -> tuple[dict[str, Any], dict[int, str], list[int]]:
    """The valid lines as LineInput; each bad one's ValidationError text, by its row; and the
    rows the typed batch's rows stand for."""
    typed, errors, rows = [], {}, []
    for i, r in enumerate(lines, start=1):
        try:
            typed.append(_typed(r))
            rows.append(i)
        except ValidationError as exc:
            errors[i] = str(exc)
    result = grants.compute(typed, PERIOD, sessions=[{f: v.native for f, v in s.items()} for s in sessions])
    return result_document(result, traces=False), errors, rows


# -- comparing --------------------------------------------------------------------------------------


def as_written(message: str, value: Any) -> str:
    """A rejection quotes a number (JSON, a DataFrame, a list of dicts) with its decimal comma
    («99,9...») and a file's text as written («99.9...»): the message with the number quoted
    as the file's text was, so the doors compare word for word."""
    text = str(value)
    return message.replace(f"«{text.replace('.', ',')}»", f"«{text}»")


def _money(doc: dict[str, Any], rows: list[int] | None = None) -> dict[str, Any]:
    """What must be equal on every door: each line's money and reason, each rejection, the notes."""
    back = (lambda r: rows[r - 1]) if rows is not None else (lambda r: r)
    keep = ("period", "status", "amount_nok", "basis", "reason", *(f"{e}_nok" for e in ELEMENTS))
    lines = {(back(d["row"]), d["period"]): {k: d.get(k) for k in keep} for d in doc["lines"] if d["status"] != "rejected"}
    rejections = {back(r["row"]): (r["column"], r["value"], as_written(r["message"], r["value"]))
                  for r in doc["rejections"]}
    return {"lines": lines, "rejections": rejections, "notes": doc["notes"], "total_nok": doc["total_nok"]}


CLIENT_TIMEOUT = 60


def _line(money: dict[str, Any], row: int) -> dict[str, Any]:
    return money["lines"][(row, PERIOD)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, Any]:
    return _money(_door_cli(tmp_path_factory.mktemp("ref"), "csv", _lines(), SESSIONS))


def test_the_walk_covers_every_field_of_the_table_every_element_and_the_sessions():
    walked = {f for c in CASES for f in c.fields} | {c.bad for c in CASES if c.bad}
    assert set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS) <= walked
    assert {_expense(e) for e in ELEMENTS} <= walked
    assert {c.bad for c in CASES if c.bad} == set(REQUIRED_COLUMNS) | set(OPTIONAL_FIELDS)
    # the sessions' columns: each is one of the file's, as the JSON model names them
    assert set(SessionIn.model_fields) == set(SESSION_FIELDS) == {f for s in SESSIONS for f in s}
    folded = {alias: name for name, aliases in SESSION_ALIASES.items() for alias in aliases}
    assert {folded[f] for f in SESSION_FIELDS} == set(SESSION_ALIASES)


def test_the_json_line_model_has_every_field_of_the_table():
    """LineIn is written out (a typed public model); it is held to the field table here: a
    field the files take and the JSON does not is a missing door."""
    fields = set(LineIn.model_fields) - {"expenses"}
    assert fields == set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    assert {f for f, info in LineIn.model_fields.items() if info.is_required()} == set(REQUIRED_COLUMNS)
    assert set(LineInput.model_fields) - {"expenses"} == fields


def test_every_good_value_changes_its_line_and_every_bad_value_rejects_it(reference):
    """So the walk can fail: a door that dropped a field would change the money."""
    for i, case in enumerate(CASES, start=1):
        if case.bad:
            column, value, message = reference["rejections"][i]
            assert column == _column(case.bad), (case.name, column)
            assert value == (case.fields[case.bad].text or None), case.name
        elif case.name.endswith(": good"):
            assert _line(reference, i) != _line(reference, i - 1), f"{case.name} changes nothing: the walk cannot see it"
    names = {c.name: i for i, c in enumerate(CASES, start=1)}
    veiledning = f"{TABLE.hours_element}_nok"
    s0, s1, s2 = (_line(reference, names[f"sessions: S{k}"])[veiledning] for k in range(3))
    assert s1 > s2 and s2 != s0, "sessions and okt_id must change the money"
    s3 = _line(reference, names["sessions: S3 first half"])
    assert names["sessions: S4 first half"] in reference["rejections"] or \
        s3 != _line(reference, names["sessions: S4 first half"]), "a session's municipality must count"


@pytest.mark.parametrize("door", ["cli_xlsx", "dicts", "dataframe", "json", "upload_csv", "upload_xlsx"])
def test_every_door_gives_the_money_of_the_csv_file(door, reference, client, tmp_path):
    lines, sessions = _lines(), SESSIONS
    doc = {
        "cli_xlsx": lambda: _door_cli(tmp_path, "xlsx", lines, sessions),
        "dicts": lambda: _door_dicts(lines, sessions),
        "dataframe": lambda: _door_dataframe(lines, sessions),
        "json": lambda: _door_json(client, lines, sessions),
        "upload_csv": lambda: _door_upload(client, tmp_path, "csv", lines, sessions),
        "upload_xlsx": lambda: _door_upload(client, tmp_path, "xlsx", lines, sessions),
    }[door]()
    got = _money(doc)
    for key in ("lines", "rejections", "notes", "total_nok"):
        assert got[key] == reference[key], f"{door}: {key} differ"


def test_typed_lines_give_the_money_of_the_csv_file_and_refuse_the_bad_values_by_the_same_words(reference):
    doc, errors, rows = _door_typed(_lines(), SESSIONS)
    got = _money(doc, rows)
    assert got["lines"] == reference["lines"] and got["notes"] == reference["notes"]
    assert got["total_nok"] == reference["total_nok"]
    by_value = {row for row, case in enumerate(CASES, start=1) if case.bad}
    assert set(errors) == by_value  # the others are rejected by the batch (sessions that fit no line)
    assert got["rejections"] == {r: v for r, v in reference["rejections"].items() if r not in by_value}
    for row, error in errors.items():
        assert reference["rejections"][row][2] in error, (CASES[row - 1].name, error)


@pytest.mark.parametrize("column", list(BAD_SESSION_VALUES))
def test_a_session_value_not_understood_stops_every_door_with_the_same_words(column, client, tmp_path, capsys):
    lines = [_base("S1") | {"grant_type": _text("kun_veiledning")}]
    sessions = [dict(SESSIONS[0], **{column: BAD_SESSION_VALUES[column]})]
    with pytest.raises(grants.InputFileError) as exc:
        _door_dicts(lines, sessions)
    message = str(exc.value)
    assert f"kolonne «{column}»" in message and message.startswith("øktfilen, rad 1")
    for kind in ("csv", "xlsx"):
        folder = tmp_path / kind
        folder.mkdir()
        write = _write_csv if kind == "csv" else _write_xlsx
        app, sess = write(folder / f"a.{kind}", lines), write(folder / f"s.{kind}", sessions)
        assert cli_main(["compute", str(app), "--period", PERIOD, "--sessions", str(sess), "--quiet"]) == 2
        assert message in capsys.readouterr().err
        r = client.post("/compute", data={"period": PERIOD},
                        files={"file": (app.name, app.read_bytes()), "sessions": (sess.name, sess.read_bytes())})
        assert r.status_code == 400 and r.json()["detail"] == message, r.text
    for call in (lambda: _door_dataframe(lines, sessions), lambda: _door_typed(lines, sessions)):
        with pytest.raises(grants.InputFileError, match=re.escape(message)):
            call()
    body = {"period": PERIOD, "lines": [_json_line(r) for r in lines],
            "sessions": [{f: v.json for f, v in s.items()} for s in sessions]}
    r = client.post("/compute", content=_json_text(body).encode(), headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["detail"] == message, r.text
