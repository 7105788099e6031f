"""Sessions and an officer's file on every door: `grants.compute(..., sessions=path | rows)`,
`grants.read_application`, `alis-grant report --sessions`, and sessions on the service's
/compute and /explain (JSON and upload). Each pays what `alis-grant compute --sessions` pays.

The example: fixtures/examples/soknad_2025-26_timer.csv with veiledningsokter_2025-26.csv (see
tests/test_model_b_sessions.py for its figures)."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import grants
from grants import InputFileError, UnknownPeriodError
from grants.cli import main as cli_main
from grants.io.writers import result_document

from .conftest import FIXTURES, line

APPLICATION = FIXTURES / "examples" / "soknad_2025-26_timer.csv"
SESSIONS = FIXTURES / "examples" / "veiledningsokter_2025-26.csv"
PERIOD = [t for t in grants.default_engine().ratebook.tables if t.model == "B" and t.hours_element][-1].id


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _cli(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "cli.json"
    assert cli_main(["compute", str(APPLICATION), "--period", PERIOD, *args, "-o", str(out), "--quiet"]) in (0, 1)
    return json.loads(out.read_text(encoding="utf-8"))


def _money(doc: dict) -> tuple:
    return (doc["total_nok"], [(r["row"], r["status"], r["amount_nok"], r.get("veiledning_nok"), r["reason"])
                               for r in doc["lines"]], doc["rejections"])


# -- the library --------------------------------------------------------------------------------


def test_compute_reads_a_sessions_file_as_the_command_line_does(tmp_path):
    want = _cli(tmp_path, "--sessions", str(SESSIONS))
    without = _cli(tmp_path)
    assert want["total_nok"] < without["total_nok"]  # the sessions pay less than the maximum
    for given in (str(SESSIONS), SESSIONS):
        got = result_document(grants.compute(grants.read_application(APPLICATION), PERIOD, sessions=given), traces=False)
        assert _money(got) == _money(want) and got["notes"] == want["notes"]
        assert [r["file_line"] for r in got["lines"]] == [r["file_line"] for r in want["lines"]]


def test_compute_takes_the_sessions_as_rows_with_the_files_aliases_and_grammar(tmp_path):
    want = _cli(tmp_path, "--sessions", str(SESSIONS))
    rows = _rows(SESSIONS)  # lege_id, dato, timer (Norwegian decimal commas), okt_id, merknad ...
    assert {"dato", "timer"} <= set(rows[0])
    lines = _rows(APPLICATION)
    for sessions in (rows, pd.DataFrame(rows)):
        got = result_document(grants.compute(lines, PERIOD, sessions=sessions), traces=False)
        assert _money(got) == _money(want)
        # the file's own notes (a column not used) are about the file; the sessions' notes are the same
        assert got["notes"] == [n for n in want["notes"] if not n.startswith("øktfilen:")]
    engine = grants.default_engine()
    assert _money(result_document(engine.compute(lines, PERIOD, sessions=rows), traces=False)) == _money(want)


def test_a_session_row_not_understood_stops_the_run_naming_row_column_and_value():
    rows = [{"lege": "ALIS-205", "dato": "05.09.2025", "timer": "2"}, {"lege": "ALIS-205", "dato": "31.09.2025", "timer": "2"}]
    with pytest.raises(InputFileError, match="øktfilen, rad 2, kolonne «dato», verdi «31.09.2025»"):
        grants.compute(_rows(APPLICATION), PERIOD, sessions=rows)
    with pytest.raises(InputFileError, match="øktfilen mangler kolonne: hours"):
        grants.compute(_rows(APPLICATION), PERIOD, sessions=[{"lege": "A", "dato": "05.09.2025"}])
    with pytest.raises(InputFileError, match="rad 1: raden er ikke en tabellrad"):
        grants.compute(_rows(APPLICATION), PERIOD, sessions=["A;05.09.2025;2"])


def test_the_engine_reads_no_file_and_an_unknown_period_stops_before_the_sessions_are_read(tmp_path):
    with pytest.raises(TypeError, match="grants.compute"):
        grants.default_engine().compute(_rows(APPLICATION), PERIOD, sessions=str(SESSIONS))
    with pytest.raises(UnknownPeriodError):
        grants.compute(_rows(APPLICATION), "1999", sessions=tmp_path / "finnes_ikke.csv")
    with pytest.raises(InputFileError, match="finnes_ikke.csv"):
        grants.compute(_rows(APPLICATION), PERIOD, sessions=tmp_path / "finnes_ikke.csv")


def test_explain_takes_the_sessions(tmp_path, capsys):
    text = grants.explain(grants.read_application(APPLICATION), 6, PERIOD, sessions=SESSIONS)
    assert "timer fra øktfilen" in text
    assert cli_main(["explain", str(APPLICATION), "--period", PERIOD, "--row", "6", "--sessions", str(SESSIONS)]) == 0
    printed = capsys.readouterr().out
    assert text.split("\n\n")[-1] in printed  # the same sum for the row
    assert grants.explain(_rows(APPLICATION), 6, PERIOD, sessions=_rows(SESSIONS)) == text


# -- an officer's file --------------------------------------------------------------------------


def _titled_workbook(path: Path) -> Path:
    """A workbook as an officer saves it: a title row, a hidden column, the lines on the second sheet."""
    rows = _rows(APPLICATION)
    wb = openpyxl.Workbook()
    wb.active.title = "Forside"
    wb.active.append(["Søknad om tilskudd"])
    ws = wb.create_sheet("Linjer")
    ws.append(["Søknad om ALIS-tilskudd, Utsira og Oslo"])
    ws.append(list(rows[0]))
    for r in rows:
        ws.append(list(r.values()))
    ws.column_dimensions["L"].hidden = True  # merknad
    wb.save(path)
    return path


def test_read_application_gives_the_lines_and_the_readers_notes(tmp_path):
    path = _titled_workbook(tmp_path / "søknad.xlsx")
    app = grants.read_application(path, sheet="Linjer")
    assert isinstance(app, grants.ApplicationFile) and app.kind == "xlsx" and app.sheet == "Linjer"
    assert app.lines == [dict(r) for r in _rows(APPLICATION)]
    assert app.file_lines == tuple(range(3, 3 + len(app.lines)))
    notes = " ".join(app.notes)
    assert "over overskriften" in notes and "skjult" in notes, app.notes
    with pytest.raises(InputFileError):
        grants.read_application(tmp_path / "finnes_ikke.xlsx")


def test_the_read_application_is_what_the_command_line_computes(tmp_path, capsys):
    path = _titled_workbook(tmp_path / "søknad.xlsx")
    out = tmp_path / "cli.json"
    assert cli_main(["compute", str(path), "--sheet", "Linjer", "--period", PERIOD, "--sessions", str(SESSIONS),
                     "-o", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    notes = grants.read_application(path, sheet="Linjer").notes
    assert notes and all(f"Merk: {note}" in err for note in notes)  # the command line says what the reader noticed
    want = json.loads(out.read_text(encoding="utf-8"))
    got = result_document(grants.compute(grants.read_application(path, "Linjer"), PERIOD, sessions=SESSIONS),
                          traces=False)
    assert got["lines"] == want["lines"] and got["rejections"] == want["rejections"]  # file_line and own columns too


# -- report -------------------------------------------------------------------------------------


def test_report_with_sessions_shows_what_compute_pays(tmp_path):
    want = _cli(tmp_path, "--sessions", str(SESSIONS))
    page = tmp_path / "rapport.html"
    assert cli_main(["report", str(APPLICATION), "--period", PERIOD, "--sessions", str(SESSIONS), "-o", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    shown = re.search(r'id="total">([^<]*)<', html).group(1)
    assert int(re.sub(r"\D", "", shown)) == want["total_nok"]
    assert 'id="merknader"' in html and all(note.split(":")[0] in html for note in want["notes"])
    plain = tmp_path / "uten.html"
    assert cli_main(["report", str(APPLICATION), "--period", PERIOD, "-o", str(plain)]) == 0
    assert int(re.sub(r"\D", "", re.search(r'id="total">([^<]*)<', plain.read_text(encoding="utf-8")).group(1))) \
        != want["total_nok"]


# -- the service --------------------------------------------------------------------------------


def _json_sessions() -> list[dict]:
    """The sessions file's rows as the JSON list: {alis_id, date, hours, kommunenummer?, okt_id?}."""
    out = []
    for r in _rows(SESSIONS):
        item = {"alis_id": r["lege_id"], "date": r["dato"] or None, "hours": r["timer"]}
        for column, field in (("kommunenummer", "kommunenummer"), ("okt_id", "okt_id")):
            if r.get(column):
                item[field] = r[column]
        out.append(item)
    return out


def test_post_compute_takes_sessions_as_json_and_pays_what_the_command_line_pays(client, tmp_path):
    want = _cli(tmp_path, "--sessions", str(SESSIONS))
    body = {"period": PERIOD, "lines": _json_lines(grants.read_application(APPLICATION)), "sessions": _json_sessions()}
    r = client.post("/compute", json=body)
    assert r.status_code == 200, r.text
    assert _money(r.json()) == _money(want)
    assert r.json()["notes"] == [n for n in want["notes"] if not n.startswith("øktfilen:")]


def _json_lines(app) -> list[dict]:
    """The example's lines as LineIn JSON (canonical names, expenses per element)."""
    from grants.pipeline.headers import map_header

    header = map_header(app.header, grants.default_engine()._elements)
    out = []
    for rec in app.lines:
        item: dict = {}
        for field, column in header.field_to_column.items():
            value = rec.get(column)
            if value in (None, ""):
                continue
            if field.startswith("expense:"):
                item.setdefault("expenses", {})[field.split(":", 1)[1]] = value
            else:
                item[field] = value
        out.append(item)
    return out


def test_post_compute_takes_the_sessions_file_in_an_upload(client, tmp_path):
    want = _cli(tmp_path, "--sessions", str(SESSIONS))
    files = {"file": (APPLICATION.name, APPLICATION.read_bytes()), "sessions": (SESSIONS.name, SESSIONS.read_bytes())}
    doc = client.post("/compute", data={"period": PERIOD}, files=files).json()
    assert _money(doc) == _money(want) and doc["notes"] == want["notes"]
    csv_out = client.post("/compute?format=csv", data={"period": PERIOD}, files=files)
    cli_csv = tmp_path / "resultat.csv"
    cli_main(["compute", str(APPLICATION), "--period", PERIOD, "--sessions", str(SESSIONS), "-o", str(cli_csv), "--quiet"])
    assert csv_out.content == cli_csv.read_bytes()


def test_a_broken_sessions_upload_is_a_400_naming_the_file_as_sent(client, service):
    files = {"file": (APPLICATION.name, APPLICATION.read_bytes()),
             "sessions": ("mine økter.csv", b"lege;dato;timer\nA;31.09.2025;2\n")}
    r = client.post("/compute", data={"period": PERIOD}, files=files)
    assert r.status_code == 400 and "rad 1, kolonne «dato», verdi «31.09.2025»" in r.json()["detail"], r.text
    files["sessions"] = ("mine økter.csv", b"\xff\xfe\x00")
    r = client.post("/compute", data={"period": PERIOD}, files=files)
    assert r.status_code == 400 and r.json()["detail"].startswith("mine økter.csv:"), r.text
    assert "alis-upload" not in r.text and "/tmp" not in r.text
    r = client.post("/compute", data={"period": PERIOD, "sessions": "lege;dato;timer"},
                    files={"file": (APPLICATION.name, APPLICATION.read_bytes())})
    assert r.status_code == 400 and "«sessions» må være en fil" in r.json()["detail"]
    empty = client.post("/compute", data={"period": PERIOD},  # a form's file field left empty
                        files={"file": (APPLICATION.name, APPLICATION.read_bytes()), "sessions": ("", b"")})
    assert empty.status_code == 200 and empty.json()["total_nok"] == _money_without()


def _money_without() -> int:
    return grants.compute(grants.read_application(APPLICATION), PERIOD).total_nok


def test_post_explain_takes_sessions(client):
    lines = _json_lines(grants.read_application(APPLICATION))
    body = {"period": PERIOD, "row": 6, "lines": lines, "sessions": _json_sessions()}
    r = client.post("/explain", json=body)
    assert r.status_code == 200, r.text
    want = grants.explain(grants.read_application(APPLICATION), 6, PERIOD, sessions=SESSIONS)
    assert r.json()["text"] == want and "timer fra øktfilen" in want
    without = client.post("/explain", json={k: v for k, v in body.items() if k != "sessions"}).json()["text"]
    assert without != want


def test_a_session_in_json_is_closed_and_typed(client):
    base = {"period": PERIOD, "lines": [line()]}
    for bad, loc in (({"alis_id": "A", "date": None, "hours": 1, "timer": 2}, ["sessions", "0", "timer"]),
                     ({"alis_id": "A", "hours": 1}, ["sessions", "0", "date"]),
                     ({"alis_id": "A", "date": None, "hours": True}, ["sessions", "0", "hours"])):
        r = client.post("/compute", json={**base, "sessions": [bad]})
        assert r.status_code == 422 and [e["loc"][:3] for e in r.json()["errors"]][0] == loc, r.text
