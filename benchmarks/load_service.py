"""Load and fault test of the HTTP service, bounded and on loopback only.

    python benchmarks/load_service.py [--requests 60] [--workers 1] [--clients 1,2,4,8]

Starts `alis-grant serve` on a free 127.0.0.1 port and sends 50-line batches (municipality
sized) from N concurrent clients (threads, one keep-alive connection each). Every response is
checked byte for byte against the answer the service's own code builds for the same request
in this process (`service_answer`: grants.service.app's schema, `_json_batch` and
`_compute_document`), so a response that is wrong or cut short is counted, and one that is
right is not. Reports requests/s and p50/p99
latency per N, and the ratios to the same batches through `compute()` in-process
(targets: throughput with 8 clients >= 0.5 x in-process batches/s; p99 <= 4 x p50).

Then the fault phase: the 8-client load again while other connections send malformed JSON,
bodies above the limit (declared and chunked), requests off the schema, bodies that stall (408
after the body timeout) and a body that trickles in a byte at a time. The normal requests must
keep their latency and every fault must get its status; the service must answer afterwards.

Writes benchmarks/out/load_service.json. Exits 0 (a benchmark, not a test) unless a response
was wrong, which is a bug: then 1.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO))

import grants  # noqa: E402
from grants.tools.portfolio import synthetic_portfolio  # noqa: E402
from grants.service import app as service_app  # noqa: E402
from grants.service.api_models import ComputeRequest  # noqa: E402
from tests.service_process import ServiceProcess  # noqa: E402

PERIOD = "2023"
BATCH = 50
LIMIT = 1_000_000
BODY_TIMEOUT = 3.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def service_answer(body: bytes) -> bytes:
    """The body the service answers a JSON POST /compute with, built in this process by the
    service's own code: the request read by its schema and turned into a batch as the service
    does (`_json_batch`), then `_compute_document`, which computes, builds the result document
    and adds what the service adds (file_notes, warnings, the rejections' names) and serialises
    it. So a response that differs is a wrong answer, not a second copy of the document gone
    stale."""
    req = service_app._parse_model(ComputeRequest, json.loads(body))
    return service_app._compute_document(grants.default_engine(), service_app._json_batch(req), traces=req.traces)


def make_batches(n: int) -> tuple[list[bytes], list[bytes], list[list[dict]]]:
    lines = [synthetic_portfolio(BATCH, seed=1000 + i) for i in range(n)]
    bodies = [json.dumps({"period": PERIOD, "lines": b}).encode() for b in lines]
    expected = [service_answer(b) for b in bodies]
    return bodies, expected, lines


def in_process(lines: list[list[dict]], rounds: int, bodies: list[bytes] | None = None) -> dict[str, float]:
    """The same batches through compute() in this process, one at a time (batches/s), and
    (given the request bodies) with the service's own answer built from each body in this
    process (`service_answer`: schema, compute, document, serialised), for reference."""
    for b in lines[:3]:
        grants.compute(b, period=PERIOD)
    t0 = time.perf_counter()
    n = 0
    for _ in range(rounds):
        for b in lines:
            grants.compute(b, period=PERIOD)
            n += 1
    compute_s = time.perf_counter() - t0
    if bodies is None:
        return {"batches_per_s": n / compute_s}
    t0 = time.perf_counter()
    for body in bodies:
        service_answer(body)
    doc_s = time.perf_counter() - t0
    return {"batches_per_s": n / compute_s, "with_document_per_s": len(bodies) / doc_s}


def load(url: str, clients: int, per_client: int, bodies: list[bytes], expected: list[bytes]) -> dict[str, float]:
    latencies: list[float] = []
    wrong: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)
    host, port = url.removeprefix("http://").split(":")

    def client(c: int) -> None:
        # http.client, one keep-alive connection: the lightest client, so the figures are the
        # service's and not the client's (both share the machine's cores)
        mine, bad = [], []
        conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.request("GET", "/health")
        conn.getresponse().read()
        barrier.wait()
        for i in range(per_client):
            k = (c * per_client + i) % len(bodies)
            t0 = time.perf_counter()
            conn.request("POST", "/compute", body=bodies[k], headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            content = r.read()
            mine.append(time.perf_counter() - t0)
            if r.status != 200 or content != expected[k]:
                bad.append(f"batch {k}: status {r.status}, {len(content)} bytes, expected {len(expected[k])}"
                           + (f"; first difference at byte {_first_difference(content, expected[k])}: "
                              f"{content[max(0, _first_difference(content, expected[k]) - 40):][:120]!r}"
                              if r.status == 200 else ""))
        conn.close()
        with lock:
            latencies.extend(mine)
            wrong.extend(bad)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "clients": clients, "requests": len(latencies), "wrong": len(wrong), "wrong_examples": wrong[:3],
        "requests_per_s": len(latencies) / wall,
        "p50_ms": percentile(latencies, 0.50) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
    }


def _first_difference(a: bytes, b: bytes) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def _raw(port: int, data: bytes, timeout: float = 30) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    return s


def _status(s: socket.socket) -> int:
    out = b""
    try:
        while b"\r\n" not in out:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    finally:
        s.close()
    try:
        return int(out.split(b" ")[1])
    except (IndexError, ValueError):
        return 0


def faults(svc: ServiceProcess, bodies: list[bytes], stop: threading.Event) -> dict[str, list[int]]:
    """Bad requests of every kind, over and over until `stop`; their statuses by kind."""
    seen: dict[str, list[int]] = {k: [] for k in ("malformed", "off_schema", "too_large_declared", "too_large_chunked",
                                                   "stalled", "trickle")}
    port = svc.port
    head = b"POST /compute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"

    def stalled() -> None:  # send half a body and stop: must get 408, never block the others
        while not stop.is_set():
            s = _raw(port, head + b"Content-Length: 5000\r\n\r\n" + bodies[0][:200])
            seen["stalled"].append(_status(s))

    def trickle() -> None:  # a whole small body, one byte every 10 ms (slow, but never stalled)
        body = json.dumps({"period": PERIOD, "lines": json.loads(bodies[0])["lines"][:1]}).encode()
        while not stop.is_set():
            s = _raw(port, head + f"Content-Length: {len(body)}\r\n\r\n".encode())
            for i in range(len(body)):
                s.sendall(body[i : i + 1])
                time.sleep(0.01)
            seen["trickle"].append(_status(s))

    def bad_requests() -> None:
        big = b'{"period": "2023", "lines": [' + b" " * (LIMIT + 1) + b"]}"
        with httpx.Client(base_url=svc.url, timeout=60) as http:
            while not stop.is_set():
                seen["malformed"].append(http.post("/compute", content=b'{"lines": [', headers={"content-type": "application/json"}).status_code)
                seen["off_schema"].append(http.post("/compute", json={"period": "2023", "lines": [{"x": 1}]}).status_code)
                seen["too_large_declared"].append(_status(_raw(port, head + f"Content-Length: {LIMIT + 1}\r\n\r\n".encode())))
                s = _raw(port, head + b"Transfer-Encoding: chunked\r\n\r\n")
                try:
                    for i in range(0, len(big), 65536):
                        part = big[i : i + 65536]
                        s.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    s.sendall(b"0\r\n\r\n")
                except OSError:
                    pass  # the service answered 413 and closed before the rest
                seen["too_large_chunked"].append(_status(s))
                time.sleep(0.1)

    threads = [threading.Thread(target=f) for f in (stalled, stalled, stalled, stalled, trickle, bad_requests)]
    for t in threads:
        t.start()
    stop.wait()
    for t in threads:
        t.join(60)
    return seen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=60, help="requests per client per run")
    ap.add_argument("--clients", default="1,2,4,8")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--batches", type=int, default=40, help="distinct 50-line batches")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per client count (baseline, then service)")
    ap.add_argument("--json", default=str(BENCH_DIR / "out" / "load_service.json"))
    args = ap.parse_args()

    bodies, expected, lines = make_batches(args.batches)
    base = in_process(lines, rounds=5, bodies=bodies)
    print(f"in-process compute(): {base['batches_per_s']:.1f} batches/s of {BATCH} lines "
          f"({base['with_document_per_s']:.1f}/s with the service's answer built in-process: schema, compute, "
          "document, JSON)")
    out_dir = Path(args.json).parent
    out_dir.mkdir(parents=True, exist_ok=True)
    svc = ServiceProcess(out_dir / "load_service_server.log", "--max-bytes", str(LIMIT), workers=args.workers,
                         env={"ALIS_GRANT_BODY_TIMEOUT": str(BODY_TIMEOUT)})
    report: dict = {"machine": platform.platform(), "cpus": os.cpu_count(), "workers": args.workers,
                    "batch_lines": BATCH, "in_process": base, "runs": [], "faults": {}}
    try:
        load(svc.url, 2, 5, bodies, expected)  # warm-up
        for n in [int(x) for x in args.clients.split(",")]:
            # The machine is shared: its load changes from second to second. Each round measures
            # the in-process baseline right before the service run, and the ratio is taken
            # within the round; the round with the median ratio is reported.
            rounds = []
            for _ in range(args.rounds):
                baseline = in_process(lines, rounds=2)["batches_per_s"]
                run = load(svc.url, n, args.requests, bodies, expected)
                run["in_process_batches_per_s"] = baseline
                run["throughput_ratio"] = run["requests_per_s"] / baseline
                run["p99_over_p50"] = run["p99_ms"] / run["p50_ms"]
                rounds.append(run)
            rounds.sort(key=lambda r: r["throughput_ratio"])
            run = dict(rounds[len(rounds) // 2])
            run["wrong"] = sum(r["wrong"] for r in rounds)
            run["wrong_examples"] = [e for r in rounds for e in r["wrong_examples"]][:3]
            run["rounds"] = [{k: r[k] for k in ("requests_per_s", "in_process_batches_per_s", "throughput_ratio",
                                                "p50_ms", "p99_ms", "p99_over_p50")} for r in rounds]
            report["runs"].append(run)
            ratios = ", ".join(f"{r['throughput_ratio']:.2f}" for r in rounds)
            print(f"{n:>2} clients: {run['requests_per_s']:7.1f} req/s  p50 {run['p50_ms']:6.1f} ms  "
                  f"p99 {run['p99_ms']:6.1f} ms  in-process {run['in_process_batches_per_s']:6.1f} batches/s  "
                  f"ratio {run['throughput_ratio']:.2f}  p99/p50 {run['p99_over_p50']:.2f}  wrong {run['wrong']}"
                  f"  (median of {len(rounds)} rounds; ratios {ratios})")
            for example in run["wrong_examples"]:
                print(f"   *** WRONG ANSWER: {example}")

        stop = threading.Event()
        seen: dict = {}
        injector = threading.Thread(target=lambda: seen.update(faults(svc, bodies, stop)))
        injector.start()
        time.sleep(0.5)
        under = load(svc.url, 8, max(args.requests, int(BODY_TIMEOUT * 2 * 10)), bodies, expected)
        time.sleep(BODY_TIMEOUT + 0.5)  # let the stalled bodies time out
        stop.set()
        injector.join(120)
        under["p99_over_p50"] = under["p99_ms"] / under["p50_ms"]
        report["under_faults"] = under
        report["faults"] = {k: {str(s): v.count(s) for s in sorted(set(v))} for k, v in seen.items()}
        print(f" 8 clients with faults: {under['requests_per_s']:7.1f} req/s  p50 {under['p50_ms']:6.1f} ms  "
              f"p99 {under['p99_ms']:6.1f} ms  wrong {under['wrong']}")
        for example in under["wrong_examples"]:
            print(f"   *** WRONG ANSWER: {example}")
        print("fault statuses:", json.dumps(report["faults"]))
        after = httpx.get(svc.url + "/health", timeout=10)
        report["health_after"] = after.status_code
        print(f"health after: {after.status_code}")
    finally:
        svc.stop()

    eight = next((r for r in report["runs"] if r["clients"] == 8), None)
    expected_status = {"malformed": "400", "off_schema": "422", "too_large_declared": "413", "too_large_chunked": "413",
                       "stalled": "408", "trickle": "200"}
    fault_ok = all(set(report["faults"].get(k, {})) == {v} for k, v in expected_status.items())
    report["targets"] = {
        "throughput_ratio_8_clients>=0.5": None if eight is None else eight["throughput_ratio"] >= 0.5,
        "p99<=4xp50_8_clients": None if eight is None else eight["p99_over_p50"] <= 4,
        "every_response_correct": all(r["wrong"] == 0 for r in report["runs"]) and report["under_faults"]["wrong"] == 0,
        "faults_get_their_status": fault_ok,
        "answers_after_faults": report["health_after"] == 200,
    }
    for name, ok in report["targets"].items():
        print(f"  {'PASS' if ok else 'MISS'}  {name}")
    Path(args.json).write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"wrote {args.json}")
    return 0 if report["targets"]["every_response_correct"] else 1


if __name__ == "__main__":
    sys.exit(main())
