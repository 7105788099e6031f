"""The HTTP service, started for real (uvicorn on a free loopback port): every endpoint, every
error status, the token rule, slow and oversized bodies, and what must never reach a client."""
from __future__ import annotations

import csv
import io
import json
import re
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

import grants
from grants.service.api_models import BatchResult, ErrorOut, ExplainOut, VocabularyOut
from grants.cli import main as cli_main
from grants.pipeline.headers import looks_like_header
from grants.io.reader import read_table
from grants.report.vocabulary_nb import COLUMN_NB, STATUS_NB, VALUE_NB

from .conftest import FIXTURES, REPO, line
from .service_process import ServiceProcess, free_port

LIMIT = 200_000
SERVICE_ARGS = ("--max-bytes", str(LIMIT))
SERVICE_ENV = {"ALIS_GRANT_BODY_TIMEOUT": "2", "ALIS_GRANT_BODY_DEADLINE": "5"}
EXAMPLE = FIXTURES / "examples" / "soknad_2023.csv"
MARKER = "PERSONNUMMER-7f3a9c"  # must never appear in the server's log


def _body(period="2023", lines=None, **extra):
    return {"period": period, "lines": lines if lines is not None else [line()], **extra}


def _error(r: httpx.Response, status: int) -> ErrorOut:
    """Every error answer has the one shape the README documents: detail and errors (a list)."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert set(r.json()) == {"detail", "errors"} and isinstance(r.json()["errors"], list), r.text
    err = ErrorOut.model_validate(r.json())
    assert "Traceback" not in r.text and "/tmp" not in r.text and ".py" not in r.text
    return err


# -- endpoints ------------------------------------------------------------------------------------


def test_health_rates_and_docs(client):
    h = client.get("/health").json()
    assert h["status"] == "ok" and h["version"] == grants.__version__ and "2023" in h["periods"]
    tables = client.get("/rates").json()["tables"]
    assert [t["period"] for t in tables] == h["periods"]
    assert all(len(t["sha256"]) == 64 and t["status"] in ("illustrative", "provisional", "official") for t in tables)
    one = client.get("/rates/2023").json()
    assert one["period"] == "2023" and one["table"]["annual_rates"] and "file" not in one["table"]
    assert _error(client.get("/rates/1999"), 404).detail.startswith("ingen satstabell")
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/compute", "/explain", "/rates", "/rates/{period}", "/health"} <= set(spec["paths"])
    body = spec["paths"]["/compute"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(body)
    assert "ComputeRequest" in spec["components"]["schemas"]


def test_compute_json_gives_results_and_rejections_beside_them(client, engine):
    lines = [line(), line(alis_id="T2", position_share="120"), line(alis_id="T3", start="2023-02-30")]
    r = client.post("/compute", json=_body(lines=lines))
    assert r.status_code == 200, r.text
    doc = BatchResult.model_validate(r.json())
    want = engine.compute(lines, "2023")
    assert doc.total_nok == want.total_nok > 0
    assert [row.model_dump(exclude_none=True) for row in doc.lines] == [
        {k: v for k, v in row.items() if v is not None} for row in want.rows()
    ]
    assert [(e.row, e.column, e.message) for e in doc.rejections] == [
        (2, "position_share", want.rejection(2).message), (3, "start", want.rejection(3).message)
    ]
    assert doc.traces is None and doc.warning and doc.provenance.rates_sha256["2023"].status == "illustrative"
    with_traces = BatchResult.model_validate(client.post("/compute", json=_body(traces=True)).json())
    assert with_traces.traces and with_traces.traces[0].provenance.version == grants.__version__


def test_compute_without_period_splits_lines(client, engine):
    lines = [line(end="2024-06-30")]
    doc = client.post("/compute", json={"lines": lines}).json()
    assert [row["period"] for row in doc["lines"]] == [r.period for r in engine.compute(lines).lines]
    assert len(doc["lines"]) > 1


def _cli_csv(tmp_path, source, *options: str) -> bytes:
    """What `alis-grant compute SOURCE ... -o resultat.csv` writes."""
    out = tmp_path / "cli" / "resultat.csv"
    out.parent.mkdir(exist_ok=True)
    assert cli_main(["compute", str(source), *options, "-o", str(out), "--quiet"]) in (0, 1)
    return out.read_bytes()


def _workbook(path, title: bool = True):
    """The example as an .xlsx an officer saves: a title row above the header."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append(["Søknad om ALIS-tilskudd 2023"])
    text = EXAMPLE.read_text(encoding="utf-8")
    for row in csv.reader(io.StringIO(text), delimiter=";"):
        ws.append(row)
    ws.append(["ALIS-BAD", "0301", "ALIS-avtale", "fastlege", "120", "01.01.2023", "31.08.2023", "nei", "for stor andel"])
    wb.save(path)
    return path


def _upload(client, path, fields=None, query=""):
    with open(path, "rb") as fh:
        return client.post("/compute" + query, files={"file": (path.name, fh, "application/octet-stream")},
                           data={"period": "2023", **(fields or {})})


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_csv_download_is_the_command_lines_file_byte_for_byte(client, engine, tmp_path, kind):
    source = EXAMPLE if kind == "csv" else _workbook(tmp_path / "soknad.xlsx")
    r = _upload(client, source, query="?format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text
    assert "attachment" in r.headers["content-disposition"]
    assert r.content == _cli_csv(tmp_path, source, "--period", "2023")
    header = r.content.decode("utf-8-sig").splitlines()[0]
    assert "file_line" in header and "merknad" in header
    doc = BatchResult.model_validate(_upload(client, source).json())
    want = engine.compute(read_table(source, is_header=looks_like_header).records(), "2023")
    assert doc.total_nok == want.total_nok and doc.input_rows == want.input_rows
    first = 3 if kind == "xlsx" else 2  # the title row and the header come first in the workbook
    assert [row.model_extra["file_line"] for row in doc.lines if row.status != "rejected"][:2] == [first, first + 1]
    if kind == "xlsx":
        assert doc.rejections and doc.rejections[0].where.startswith("ark")


def test_an_xlsx_upload_is_computed_not_refused(client, tmp_path):
    r = _upload(client, _workbook(tmp_path / "s.xlsx", title=False))
    assert r.status_code == 200, r.text
    assert r.json()["total_nok"] > 0
    assert "ikke støttet" not in r.text
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    page = client.get("/").text
    for text in (readme, page, (REPO / "grants" / "service" / "web" / "page.js").read_text(encoding="utf-8")):
        assert "ikke støttet ennå" not in text
    assert ".xlsx" in page
    assert _upload(client, tmp_path / "s.xlsx", {"sheet": "Sheet"}).status_code == 200  # openpyxl's sheet name
    assert "Ark9" in _error(_upload(client, tmp_path / "s.xlsx", {"sheet": "Ark9"}), 400).detail


def test_explain(client):
    lines = [line(), line(alis_id="T2", position_share="120")]
    out = ExplainOut.model_validate(client.post("/explain", json={"period": "2023", "lines": lines, "row": 1}).json())
    assert out.status == "ok" and "Rad 1, lege T1" in out.text and "Sum for raden" in out.text
    assert out.provenance and set(out.provenance.rates_sha256) == {"2023"}
    rejected = client.post("/explain", json={"period": "2023", "lines": lines, "row": 2}).json()
    assert rejected["status"] == "rejected" and "avvist" in rejected["text"]
    assert "finnes ikke" in _error(client.post("/explain", json={"lines": lines, "row": 3}), 400).detail
    _error(client.post("/explain", json={"lines": lines, "row": 0}), 422)


# -- bad input ------------------------------------------------------------------------------------


def test_malformed_json_is_400(client):
    err = _error(client.post("/compute", content=b'{"lines": [', headers={"content-type": "application/json"}), 400)
    assert "ugyldig JSON" in err.detail
    _error(client.post("/compute", content=b"\xff\xfe", headers={"content-type": "application/json"}), 400)
    _error(client.post("/compute", content=b"", headers={"content-type": "application/json"}), 400)
    _error(client.post("/explain", content=b"nope", headers={"content-type": "application/json"}), 400)
    deep = _error(client.post("/compute", content=b"[" * 100_000, headers={"content-type": "application/json"}), 400)
    assert "ugyldig JSON" in deep.detail


@pytest.mark.parametrize("body", [
    {"period": "2023", "lines": [{**line(), "unknown_field": 1}]},
    {"period": "2023", "lines": [{**line(), "position_share": [100]}]},
    {"period": "2023", "lines": [{**line(), "alis_id": None}]},
    {"period": 2023, "lines": [line()]},
    {"period": "2023", "lines": []},
    {"period": "2023", "lines": "x"},
    {"period": "2023", "lines": [line()], "extra": True},
    [line()],
])
def test_a_request_off_the_schema_is_422(client, body):
    err = _error(client.post("/compute", json=body), 422)
    assert err.errors


def test_unknown_period_and_unknown_expense_element_are_400(client):
    assert "kjente perioder" in _error(client.post("/compute", json=_body(period="1999")), 400).detail
    bad = {**line(), "expenses": {"ukjent_element": 100}}
    err = _error(client.post("/compute", json=_body(period="2025-26", lines=[bad])), 400)
    assert "ukjent_element" in err.detail and "--ignore-column" not in err.detail
    assert "legg «expense_ukjent_element» i feltet ignore_columns" in err.detail
    assert [(e.loc, e.type) for e in err.errors] == [(["columns", "expense_ukjent_element"], "column_not_understood")]


def test_json_ignore_columns_leaves_the_column_out_for_compute_and_explain(client):
    bad = {**line(), "expenses": {"ukjent_element": 100}}
    body = _body(period="2025-26", lines=[bad, line(alis_id="T2")], ignore_columns=["expense_ukjent_element"])
    r = client.post("/compute", json=body)
    assert r.status_code == 200, r.text
    doc = BatchResult.model_validate(r.json())
    assert doc.lines[0].model_extra["expense_ukjent_element"] == 100  # carried beside its row, not used
    without = client.post("/compute", json={**body, "lines": [line(), line(alis_id="T2")], "ignore_columns": []}).json()
    assert doc.total_nok == without["total_nok"]
    explained = client.post("/explain", json={**{k: v for k, v in body.items() if k != "traces"}, "row": 1})
    assert explained.status_code == 200 and ExplainOut.model_validate(explained.json()).status in ("ok", "ineligible")
    _error(client.post("/explain", json={"period": "2025-26", "lines": [bad], "row": 1}), 400)
    missing = _error(client.post("/compute", json={**body, "ignore_columns": ["expense_ukjent_element", "nope"]}), 400)
    assert "feltet ignore_columns nevner en kolonne som ikke finnes i linjene: «nope»" in missing.detail
    _error(client.post("/compute", json={**body, "ignore_columns": "expense_ukjent_element"}), 422)


def _resembling(tmp_path):
    """The example with a column that resembles a known header (vikarbyrå)."""
    rows = EXAMPLE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "med_kolonne.csv"
    path.write_text("\n".join([rows[0] + ";Ansatt hos vikarbyrå AS;Privat notat"] + [r + ";ja;x" for r in rows[1:]]) + "\n",
                    encoding="utf-8")
    return path


def test_upload_ignore_columns_form_field(client, tmp_path):
    path = _resembling(tmp_path)
    err = _error(_upload(client, path), 400)
    assert "«Ansatt hos vikarbyrå AS»" in err.detail
    assert "--ignore-column" not in err.detail and "kjør med" not in err.detail
    assert "i feltet «Kolonner som ikke skal brukes» på opplastingssiden (API: skjemafeltet ignore_columns)" in err.detail
    assert [e.loc for e in err.errors] == [["columns", "Ansatt hos vikarbyrå AS"]]
    assert "Kolonner som ikke skal brukes" in client.get("/").text  # the page has the field the message names
    ok = _upload(client, path, {"ignore_columns": " Ansatt hos vikarbyrå AS "})
    assert ok.status_code == 200, ok.text
    assert ok.json()["total_nok"] == _upload(client, EXAMPLE).json()["total_nok"]
    assert ok.json()["lines"][0]["Ansatt hos vikarbyrå AS"] == "ja"
    csv_out = _upload(client, path, {"ignore_columns": "Ansatt hos vikarbyrå AS"}, query="?format=csv")
    assert csv_out.content == _cli_csv(tmp_path, path, "--period", "2023", "--ignore-column", "Ansatt hos vikarbyrå AS")
    two = _upload(client, path, {"ignore_columns": "Ansatt hos vikarbyrå AS, Privat notat"})
    assert two.status_code == 200, two.text  # comma-separated: several columns
    missing = _error(_upload(client, path, {"ignore_columns": "Ansatt hos vikarbyrå AS,finnes ikke"}), 400)
    assert "«finnes ikke»" in missing.detail and "ignore_columns" in missing.detail
    assert "--ignore-column" not in missing.detail


def test_vocabulary_is_the_one_bokmal_vocabulary(client):
    v = VocabularyOut.model_validate(client.get("/vocabulary").json())
    assert v.status == STATUS_NB and v.values == VALUE_NB and v.columns == COLUMN_NB
    assert v.status["outside_period"] == "utenfor perioden"


def test_the_page_names_rate_status_in_norwegian(client, engine):
    page = client.get("/").text
    for t in engine.ratebook.tables:
        assert f">{t.id} ({VALUE_NB['rates_status'][t.status]} satser)</option>" in page
    js = client.get("/page.js").text
    for word in set(STATUS_NB.values()) | {"uten rett"}:
        assert word not in js  # the words come from /vocabulary, never a copy in the page


def test_other_content_types_are_415(client):
    _error(client.post("/compute", content=b"a=b", headers={"content-type": "application/x-www-form-urlencoded"}), 415)


def test_bad_uploads_are_400_and_name_the_file_not_the_server_path(client):
    broken = "lege;kommune;noe\nA;0301;x\n".encode()
    err = _error(client.post("/compute", files={"file": ("min fil.csv", broken, "text/csv")}), 400)
    assert "mangler påkrevd kolonne" in err.detail and "upload.csv" not in err.detail
    assert "alis-upload" not in err.detail
    empty = _error(client.post("/compute", files={"file": ("tom.csv", b"", "text/csv")}), 400)
    assert "tom.csv" in empty.detail and "alis-upload" not in empty.detail
    xlsx = _error(client.post("/compute", files={"file": ("s.xlsx", b"PK\x03\x04rest", "application/octet-stream")}), 400)
    assert "s.xlsx" in xlsx.detail and "upload" not in xlsx.detail  # a broken workbook: a clear 400, no temp path
    _error(client.post("/compute", files={"other": ("a.csv", b"x", "text/csv")}), 400)
    _error(client.post("/compute", content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data; boundary=x"}), 400)
    binary = _error(client.post("/compute", files={"file": ("b.csv", bytes(range(256)) * 4, "text/csv")}), 400)
    assert "b.csv" in binary.detail


def test_oversized_bodies_are_413_declared_or_counted(client, service):
    big = json.dumps(_body(lines=[line(alis_id=f"D{i}") for i in range(2_000)])).encode()
    assert len(big) > LIMIT
    assert "grensen" in _error(client.post("/compute", content=big, headers={"content-type": "application/json"}), 413).detail

    def chunks():  # no Content-Length: the service must count while it reads
        for i in range(0, len(big), 16_384):
            yield big[i : i + 16_384]

    _error(client.post("/compute", content=chunks(), headers={"content-type": "application/json"}), 413)
    upload = b"lege_id;kommunenr\n" + b"x" * (LIMIT + 10)
    _error(client.post("/compute", files={"file": ("stor.csv", upload, "text/csv")}), 413)
    assert client.get("/health").status_code == 200


def _raw_request(port: int, head: bytes, body: bytes = b"") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    s.sendall(head + body)
    return s


def _read_all(s: socket.socket) -> bytes:
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out


def test_a_slow_body_does_not_block_others_and_times_out(client, service):
    head = (b"POST /compute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 400\r\n\r\n")
    stalled = [_raw_request(service.port, head, b'{"period": "2023", "lin') for _ in range(4)]
    started = time.monotonic()
    for _ in range(5):
        r = client.post("/compute", json=_body())
        assert r.status_code == 200
    assert time.monotonic() - started < 5, "requests waited for the slow clients"
    for s in stalled:
        answer = _read_all(s)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert client.get("/health").status_code == 200


def test_a_body_trickling_in_ends_at_the_deadline(client, service):
    s = _raw_request(service.port, b"POST /compute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: 400\r\n\r\n")
    started = time.monotonic()
    try:
        for _ in range(40):  # a byte every 0.5 s: never a 2 s stall, but 400 bytes would take minutes
            s.sendall(b" ")
            time.sleep(0.5)
            assert client.get("/health").status_code == 200
    except OSError:
        pass  # the service answered and closed
    answer = _read_all(s)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 15


def test_an_unknown_format_is_422(client):
    _error(client.post("/compute?format=pdf", json=_body()), 422)
    _error(client.post("/compute?format=csv&lang=de", json=_body()), 422)


def test_json_in_norwegian_is_refused_as_the_command_line_refuses_it(client):
    assert "lang=nb gjelder CSV" in _error(client.post("/compute?lang=nb", json=_body()), 400).detail


def test_the_workbook_and_the_report_are_bounded_with_the_limit_in_the_message(tmp_path):
    """Heavy answers have a line limit each (here set low), checked before anything is computed."""
    from .service_process import ServiceProcess

    svc = ServiceProcess(tmp_path / "server.log", env={"ALIS_GRANT_MAX_WORKBOOK_LINES": "2",
                                                       "ALIS_GRANT_MAX_REPORT_LINES": "1"})
    try:
        with httpx.Client(base_url=svc.url, timeout=60) as c:
            three = _body(lines=[line(alis_id=f"A{i}") for i in range(3)])
            err = _error(c.post("/compute?format=xlsx", json=three), 413)
            assert "høyst 2 linjer" in err.detail and "har 3" in err.detail
            err = _error(c.post("/compute?format=html", json=_body(lines=[line(), line(alis_id="B")])), 413)
            assert "høyst 1 linjer" in err.detail
            ok = c.post("/compute?format=xlsx", json=_body(lines=[line(), line(alis_id="B")]))
            assert ok.status_code == 200 and ok.content[:2] == b"PK"
            page = c.post("/compute?format=html", json=_body())
            assert page.status_code == 200 and "Tidslinje" in page.text and "Totalt tilskudd" in page.text
    finally:
        svc.stop()


def test_the_json_names_a_rejected_rows_municipality_and_warns_about_the_period(client):
    doc = client.post("/compute", json=_body(period="2024-25", lines=[
        line(alis_id="A1"), line(alis_id="A2", kommunenummer="1804", position_share=120)])).json()
    (rejection,) = doc["rejections"]
    assert (rejection["alis_id"], rejection["kommunenummer"], rejection["kommunenavn"]) == ("A2", "1804", "Bodø")
    assert doc["warnings"] and "utenfor perioden 2024-25" in doc["warnings"][0]


def test_invalid_content_length_is_400(service):
    s = _raw_request(service.port, b"POST /compute HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
    assert _read_all(s).split(b" ")[1] in (b"400",)


def test_every_error_has_the_shape_the_readme_and_the_model_document(client, service):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    documented = re.search(r"Every error is JSON `(\{.*?\})`", readme)
    assert documented, "the README no longer documents the error shape"
    assert set(re.findall(r'"(\w+)":', documented.group(1))) == set(ErrorOut.model_fields) == {"detail", "errors"}
    assert all(f.is_required() for f in ErrorOut.model_fields.values())
    assert _error(client.get("/finnes-ikke"), 404).errors == []
    assert _error(client.put("/compute"), 405).detail == "metoden er ikke tillatt her"
    assert _error(client.post("/compute", json=_body(period="1999")), 400).errors == []
    assert _error(client.post("/compute", json={"lines": []}), 422).errors
    s = _raw_request(service.port, b"POST /compute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: 100\r\n\r\n{")
    head, _, body = _read_all(s).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408") and set(json.loads(body)) == {"detail", "errors"}


def test_no_request_body_in_the_log(client, service):
    client.post("/compute", json=_body(lines=[line(alis_id=MARKER)]))
    client.post("/compute", json=_body(lines=[line(alis_id=MARKER, position_share="x")]))
    client.post("/compute", json={"lines": [{"alis_id": MARKER, "nope": 1}]})
    client.post("/compute", content=b'{"alis_id": "' + MARKER.encode() + b'"', headers={"content-type": "application/json"})
    client.post("/compute", files={"file": ("x.csv", f"lege;b\n{MARKER};1\n".encode(), "text/csv")})
    time.sleep(0.3)
    logs = service.logs()
    assert "POST /compute" in logs  # the access log is on ...
    assert MARKER not in logs  # ... but carries no body


# -- the token rule -------------------------------------------------------------------------------


def test_a_configured_token_is_required(tmp_path):
    svc = ServiceProcess(tmp_path / "server.log", env={"ALIS_GRANT_TOKEN": "s3cret-token"})
    try:
        with httpx.Client(base_url=svc.url, timeout=30) as c:
            assert c.get("/health").json()["token_required"] is True
            assert c.get("/").status_code == 200  # the page itself carries no data
            assert c.get("/vocabulary").status_code == 200  # nor do the words it shows
            for path in ("/rates", "/rates/2023"):
                _error(c.get(path), 401)
            r = c.post("/compute", json=_body())
            _error(r, 401)
            assert r.headers["www-authenticate"] == "Bearer"
            _error(c.post("/compute", json=_body(), headers={"authorization": "Bearer wrong"}), 401)
            ok = c.post("/compute", json=_body(), headers={"authorization": "Bearer s3cret-token"})
            assert ok.status_code == 200 and ok.json()["total_nok"] > 0
    finally:
        svc.stop()
    assert "s3cret-token" not in (tmp_path / "server.log").read_text()


def test_it_refuses_to_listen_beyond_loopback_without_a_token():
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("ALIS_GRANT_")}
    proc = subprocess.run([sys.executable, "-m", "grants.cli", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 2
    assert "ALIS_GRANT_TOKEN" in proc.stderr
    from grants.service.app import ServiceConfig, create_app, is_loopback

    with pytest.raises(grants.GrantsError):
        create_app(ServiceConfig(require_token=True))
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")


# -- an unexpected error --------------------------------------------------------------------------


class _Broken:
    """The real engine, except that compute fails with a message full of secrets."""

    def __init__(self, real):
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)

    def compute(self, *args, **kwargs):
        raise RuntimeError(f"/srv/secret/path.py leaked {MARKER}")


def test_an_internal_error_is_a_generic_500_without_traceback(engine, caplog):
    import uvicorn

    from grants.service.app import ServiceConfig, create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ServiceConfig(), engine=_Broken(engine)), host="127.0.0.1",
                                           port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with caplog.at_level("INFO"), httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            r = c.post("/compute", json=_body())
            err = _error(r, 500)
            assert MARKER not in r.text and "secret" not in r.text and "RuntimeError" not in r.text
            assert err.detail.startswith("intern feil")
            assert c.get("/health").status_code == 200
        logged = "\n".join(rec.getMessage() for rec in caplog.records)
        assert "RuntimeError" in logged and MARKER not in logged and "/srv/secret" not in logged
    finally:
        server.should_exit = True
        thread.join(10)


def test_two_worker_processes_answer_alike(tmp_path, engine):
    svc = ServiceProcess(tmp_path / "server.log", workers=2)
    try:
        lines = [line(alis_id=f"W{i}", kommunenummer=k) for i, k in enumerate(("0301", "5412", "3401", "1804"))]
        want = engine.compute(lines, "2023").total_nok

        def ask(_):
            with httpx.Client(base_url=svc.url, timeout=60) as c:  # a new connection each time
                return c.post("/compute", json=_body(lines=lines)).json()["total_nok"]

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(4) as pool:
            assert set(pool.map(ask, range(16))) == {want}
    finally:
        svc.stop()


def test_an_upload_answers_with_what_the_reader_noticed_in_the_file(client, tmp_path):
    """The reader's notes (a title row skipped, a hidden column read) came only to the command
    line's screen; the service answer carries them in `file_notes`, as the command prints them."""
    import openpyxl

    path = _workbook(tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.active.column_dimensions["B"].hidden = True
    wb.save(path)
    r = _upload(client, path)
    assert r.status_code == 200, r.text
    doc = BatchResult.model_validate(r.json())
    assert doc.file_notes == list(read_table(path, is_header=looks_like_header).notes)
    assert any("rad 1 står over overskriften" in n for n in doc.file_notes), doc.file_notes
    assert any("kolonne B" in n and "skjult" in n for n in doc.file_notes), doc.file_notes
    csv_title = tmp_path / "tittel.csv"
    csv_title.write_text("Søknad 2023\n" + EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    notes = _upload(client, csv_title).json()["file_notes"]
    assert any("linje 1 står over overskriften" in n for n in notes), notes
    assert client.post("/compute", json={"period": "2023", "lines": [line()]}).json()["file_notes"] == []
