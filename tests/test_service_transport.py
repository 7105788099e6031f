"""The service's transport against slow and hostile clients, on the real server: headers that
never finish, the token rule however the app is started, what the access log records, clients
that go away, and the bound on heavy answers."""
from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from grants.io.reader import read_table
from grants.pipeline.headers import looks_like_header
from grants.service.app import DEFAULT_MAX_TRACE_LINES, ServiceConfig

from .conftest import REPO, line
from .xlsx_parts import HEADER, claim, declare_size, row_xml, sheet_xml, workbook

HEADER_TIMEOUT = 1.0
TRACE_LIMIT = 50
LIMIT = 300_000
SERVICE_ARGS = ("--max-bytes", str(LIMIT))
SERVICE_ENV = {"ALIS_GRANT_HEADER_TIMEOUT": str(HEADER_TIMEOUT), "ALIS_GRANT_MAX_TRACE_LINES": str(TRACE_LIMIT)}


def _connect(port: int, first: bytes = b"") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if first:
        s.sendall(first)
    return s


def _closed_within(s: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed the connection (recv gives EOF or a reset), or None."""
    started = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - started < seconds:
        try:
            if s.recv(65536) == b"":
                return time.monotonic() - started
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - started
    return None


def _wait_for_log(service, text: str, seconds: float = 5) -> str:
    deadline = time.monotonic() + seconds
    while True:
        logs = service.logs()
        if text in logs or time.monotonic() > deadline:
            return logs
        time.sleep(0.1)


# --- headers that never finish -------------------------------------------------------------------


def test_connections_that_never_finish_their_headers_are_closed_and_others_are_served(client, service):
    """60 connections: silent, half a request line, headers without their blank line. uvicorn
    kept all of them open (all 60 after 21 s); now each closes after the header deadline."""
    opened = time.monotonic()
    partial = [b"", b"GET /hea", b"POST /compute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"]
    sockets = [_connect(service.port, partial[i % 3]) for i in range(60)]
    assert client.get("/health").status_code == 200  # the service answers meanwhile
    closed = [_closed_within(s, HEADER_TIMEOUT + 4) for s in sockets]
    for s in sockets:
        s.close()
    assert all(t is not None for t in closed), f"{closed.count(None)} of 60 connections still open"
    assert time.monotonic() - opened < HEADER_TIMEOUT + 6
    assert client.get("/health").status_code == 200


def test_headers_trickling_in_a_byte_at_a_time_end_at_the_deadline(service):
    s = _connect(service.port, b"GET /health HTTP/1.1\r\n")
    started = time.monotonic()
    try:
        for _ in range(30):  # a byte every 0.2 s: never idle, but never done
            s.sendall(b"X")
            time.sleep(0.2)
    except OSError:
        pass
    assert _closed_within(s, 3) is not None
    assert time.monotonic() - started < HEADER_TIMEOUT + 3
    s.close()


def test_the_next_request_on_a_kept_alive_connection_has_the_same_deadline(service):
    s = _connect(service.port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(10)
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200")
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # the second request's headers never end
    took = _closed_within(s, HEADER_TIMEOUT + 4)
    s.close()
    assert took is not None and took < HEADER_TIMEOUT + 3


def test_headers_that_arrive_slowly_but_in_time_are_served(service):
    s = _connect(service.port, b"GET /health HTTP/1.1\r\n")
    time.sleep(HEADER_TIMEOUT / 4)
    s.sendall(b"Host: x\r\n")
    time.sleep(HEADER_TIMEOUT / 4)
    s.sendall(b"Connection: close\r\n\r\n")
    s.settimeout(10)
    answer = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        answer += chunk
    s.close()
    assert answer.startswith(b"HTTP/1.1 200") and b'"status":"ok"' in answer


# --- what the access log records ----------------------------------------------------------------


def test_the_access_log_records_the_path_not_the_query_string(client, service):
    assert client.get("/health", params={"token": "HEMMELIG-7c1e"}).status_code == 200
    logs = _wait_for_log(service, '"GET /health"')
    assert '"GET /health" 200' in logs
    assert "HEMMELIG-7c1e" not in logs and "?token" not in logs


def test_a_client_that_goes_away_is_logged_as_a_disconnect_not_an_internal_error(service):
    before = service.logs().count("client disconnected")
    json_head = (b"POST /compute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 5000\r\n\r\n{\"period\": \"2023\", \"li")
    form_head = (b"POST /compute HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                 b"Content-Length: 5000\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; "
                 b"filename=\"a.csv\"\r\n\r\nlege_id;kommunenr\r\n")
    for head in (json_head, form_head):
        s = _connect(service.port, head)
        time.sleep(0.3)
        s.close()
    deadline = time.monotonic() + 5
    while service.logs().count("client disconnected") < before + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    logs = service.logs()
    assert logs.count("client disconnected") >= before + 2, logs[-2000:]
    assert "internal error" not in logs


# --- heavy answers --------------------------------------------------------------------------------


def test_traces_are_given_for_up_to_the_line_limit_and_refused_above_it(client):
    def body(n, traces):
        return {"period": "2023", "traces": traces, "lines": [line(alis_id=f"T{i}") for i in range(n)]}

    r = client.post("/compute", json=body(TRACE_LIMIT + 1, True))
    assert r.status_code == 413, r.text
    assert f"høyst {TRACE_LIMIT} linjer" in r.json()["detail"] and f"har {TRACE_LIMIT + 1}" in r.json()["detail"]
    assert client.post("/compute", json=body(TRACE_LIMIT + 1, False)).status_code == 200
    ok = client.post("/compute", json=body(TRACE_LIMIT, True))
    assert ok.status_code == 200 and len(ok.json()["traces"]) == TRACE_LIMIT


def test_the_default_trace_limit_is_the_documented_one():
    assert ServiceConfig.from_env({}).max_trace_lines == DEFAULT_MAX_TRACE_LINES == 2_000
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "ALIS_GRANT_MAX_TRACE_LINES" in readme and "2 000" in readme


def test_an_uploaded_workbook_may_unpack_to_ten_times_the_upload_limit_only(client, tmp_path):
    rows = [row_xml(1, HEADER)] + [row_xml(r, claim(f"lege-nummer-{r:06d}")) for r in range(2, 9000)]
    data = workbook([("Søknad", sheet_xml(rows))])
    with zipfile_of(data) as z:
        unpacked = sum(i.file_size for i in z.infolist())
    assert len(data) < LIMIT - 1000 and unpacked > 10 * LIMIT
    r = client.post("/compute", files={"file": ("stor.xlsx", data, "application/octet-stream")})
    assert r.status_code == 400 and "pakker ut til" in r.json()["detail"], r.text
    path = tmp_path / "stor.xlsx"
    path.write_bytes(data)
    assert read_table(path, is_header=looks_like_header).n_rows == 8998  # the command line's limit is 100 MB


def test_an_uploaded_zip_bomb_is_refused_before_it_is_inflated(client, service):
    """The 1 MB upload that inflated to 1.1 GB cost the service about 2 GB: now its declared
    size, and the ratio of a part that declares little, stop it before anything is inflated."""
    declared = declare_size(workbook([("Søknad", sheet_xml([row_xml(1, HEADER), row_xml(2, claim("A1"))]))]),
                            "xl/worksheets/sheet1.xml", 1_100_000_000)
    spaces = workbook([("Søknad", sheet_xml([row_xml(1, HEADER), row_xml(2, claim("A1"))]).replace(
        "<sheetData>", "<sheetData>" + " " * 8_000_000))])
    for data in (declared, spaces):
        assert len(data) < LIMIT
        r = client.post("/compute", files={"file": ("bombe.xlsx", data, "application/octet-stream")})
        assert r.status_code == 400 and "bombe.xlsx" in r.json()["detail"], r.text
        assert "pakker ut til" in r.json()["detail"]
    assert client.get("/health").status_code == 200


def zipfile_of(data: bytes):
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data))


# --- the token rule, however the app is started ----------------------------------------------------


def _uvicorn(args: list[str], log: Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.Popen:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ALIS_GRANT_")}
    full_env.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "uvicorn", "grants.service.app:app_from_env", "--factory", *args],
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, env=full_env, cwd=cwd)


def test_without_a_token_a_request_to_a_non_loopback_address_is_refused_however_the_app_is_started(tmp_path):
    """uvicorn started by hand on a Unix socket (an address that is not loopback, as a proxy
    would reach it), with no token: every request gets 503 with the reason, and it is logged."""
    folder = Path(tempfile.mkdtemp(prefix="alis-uds-"))  # a short path: Unix socket names are short
    sock = folder / "s"
    log = tmp_path / "uvicorn.log"
    proc = _uvicorn(["--uds", str(sock)], log)
    try:
        transport = httpx.HTTPTransport(uds=str(sock))
        with httpx.Client(transport=transport, base_url="http://alis", timeout=10) as c:
            deadline = time.monotonic() + 60
            while True:
                try:
                    r = c.get("/health")
                    break
                except httpx.HTTPError:
                    assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
                    time.sleep(0.2)
            assert r.status_code == 503
            assert "ingen tilgangsnøkkel" in r.json()["detail"] and "ALIS_GRANT_TOKEN" in r.json()["detail"]
            assert c.post("/compute", json={"period": "2023", "lines": [line()]}).status_code == 503
        time.sleep(0.3)
        assert "refused GET /health: no token configured" in log.read_text(errors="replace")
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


_IN_NAMESPACE = r"""
import json, os, subprocess, sys, time, urllib.request, urllib.error
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
subprocess.run(["ip", "addr", "add", "192.0.2.10/32", "dev", "lo"], check=True)
env = {k: v for k, v in os.environ.items() if not k.startswith("ALIS_GRANT_")}
server = subprocess.Popen([sys.executable, "-m", "uvicorn", "grants.service.app:app_from_env", "--factory",
                           "--host", "0.0.0.0", "--port", "8765"], env=env,
                          stdout=open(sys.argv[1], "wb"), stderr=subprocess.STDOUT)
def status(host):
    try:
        return urllib.request.urlopen(f"http://{host}:8765/health", timeout=5).status
    except urllib.error.HTTPError as exc:
        return exc.code
try:
    deadline = time.monotonic() + 60
    while True:
        try:
            loop = status("127.0.0.1")
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.2)
    print(json.dumps({"loopback": loop, "other": status("192.0.2.10")}))
finally:
    server.terminate()
    server.wait(10)
"""


def test_started_directly_on_0_0_0_0_without_a_token_only_loopback_requests_are_served(tmp_path):
    """The issue's case exactly, in a network namespace of the test's own (no traffic leaves it):
    `uvicorn ... --host 0.0.0.0` with no token; a request to the namespace's own non-loopback
    address (192.0.2.10, a documentation address) gets 503, one to 127.0.0.1 is served."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("unshare or ip (iproute2) is not installed")
    probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up && ip addr add 192.0.2.10/32 dev lo"],
                           capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a network namespace here (needs root or user namespaces): {probe.stderr.decode()[:200]}")
    log = tmp_path / "uvicorn.log"
    proc = subprocess.run(["unshare", "-n", sys.executable, "-c", _IN_NAMESPACE, str(log)], capture_output=True,
                          text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:] + log.read_text(errors="replace")[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"loopback": 200, "other": 503}
    assert "not to a loopback address" in log.read_text(errors="replace")


def test_a_kept_alive_connection_still_serves_many_requests(client):
    """The header deadline is per request: a connection in use is never cut."""
    for _ in range(5):
        assert client.get("/health").status_code == 200
        time.sleep(HEADER_TIMEOUT / 3)
