"""Benchmark the engine on synthetic national portfolios: CLI end to end, API throughput, memory.

    python benchmarks/run.py [--quick] [--seed N] [--json PATH]

Prints each figure with its target and PASS/MISS, writes the figures to benchmarks/out/latest.json,
and always exits 0: this is a benchmark, not a test. --quick skips the 100,000-line API
throughput run (the memory and CLI stress runs still use 100,000 lines).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from grants.tools.portfolio import synthetic_portfolio, write_csv  # noqa: E402

PERIOD = "2023"
CLI_LINES = 2_500
STRESS_LINES = 100_000

TARGET_CLI_S = 2.0
TARGET_API_LPS = 20_000
TARGET_RSS_MB = 500.0

# The child of the memory run: generate and compute 100,000 lines via the API, report its own RSS.
_MEMORY_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {bench!r})
from grants.tools.portfolio import synthetic_portfolio
import grants
def rss():
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / (1024 * 1024) if sys.platform == "darwin" else r / 1024
grants.default_engine()
after_import = rss()
records = synthetic_portfolio({lines}, {seed}, {period!r})
after_generate = rss()
t0 = time.perf_counter()
result = grants.compute(records, period={period!r})
elapsed = time.perf_counter() - t0
print(json.dumps({{"lines": len(result.lines), "rejections": len(result.rejections),
    "compute_s": elapsed, "rss_after_import_mb": after_import,
    "rss_after_generate_mb": after_generate, "rss_peak_mb": rss()}}))
"""


def _maxrss_mb(ru_maxrss: int) -> float:
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


# Linux keeps a process's peak RSS across fork and exec: a child forked from this (by then large)
# benchmark process would report this process's peak as its own (ru_maxrss via wait4,
# RUSAGE_CHILDREN and /usr/bin/time run from here all do). So every measured child is started by
# a small launcher process, whose own fork is small; the launcher times the child and reports
# the child's rusage from os.wait4.
_LAUNCHER = """
import json, os, subprocess, sys, time
out, err, cwd, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(out, "wb") as o, open(err, "wb") as e:
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=o, stderr=e, cwd=cwd)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps({"wall_s": wall, "returncode": p.returncode, "ru_maxrss": usage.ru_maxrss}))
"""


def _run_child(cmd: list[str], workdir: Path, tag: str) -> dict:
    """Run a child process through the launcher: its wall time (interpreter start-up included),
    exit code, output, and its own peak RSS."""
    out_path, err_path = workdir / f"{tag}.stdout", workdir / f"{tag}.stderr"
    launched = subprocess.run([sys.executable, "-c", _LAUNCHER, str(out_path), str(err_path), str(workdir), *cmd],
                              capture_output=True, text=True)
    if launched.returncode != 0:
        raise RuntimeError(f"launcher failed: {launched.stderr.strip()[-500:]}")
    child = json.loads(launched.stdout)
    return {
        "wall_s": child["wall_s"],
        "returncode": child["returncode"],
        "rss_mb": _maxrss_mb(child["ru_maxrss"]),
        "stdout": out_path.read_text(encoding="utf-8", errors="replace"),
        "stderr": err_path.read_text(encoding="utf-8", errors="replace"),
    }


def _cli_command() -> list[str]:
    script = Path(sys.executable).parent / "alis-grant"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "grants.cli"]  # fallback: same code, no console script


class Report:
    def __init__(self) -> None:
        self.figures: list[dict] = []
        self.info: dict[str, object] = {}
        self.errors: list[str] = []

    def figure(self, name: str, value: float, unit: str, target: float | None = None, better: str = "lower",
               note: str = "") -> None:
        if target is None:
            verdict = "info"
        elif better == "lower":
            verdict = "PASS" if value < target else "MISS"
        else:
            verdict = "PASS" if value >= target else "MISS"
        self.figures.append({"name": name, "value": round(value, 4), "unit": unit, "target": target,
                             "better": better, "verdict": verdict, "note": note})
        if target is None:
            tgt = ""
        else:
            tgt = f"{'<' if better == 'lower' else '>='} {target:,.0f}" if target >= 100 else f"{'<' if better == 'lower' else '>='} {target:g}"
            tgt = f"target {tgt} {unit}"
        val = f"{value:,.0f}" if value >= 100 else f"{value:.2f}"
        print(f"  {name:<52} {val:>10} {unit:<8} {tgt:<24} {verdict}{('  ' + note) if note else ''}", flush=True)

    def error(self, section: str, exc: BaseException) -> None:
        text = f"{section}: {type(exc).__name__}: {exc}"
        self.errors.append(text)
        print(f"  ERROR in {text}", flush=True)
        traceback.print_exc(limit=3)


def bench_cli(report: Report, workdir: Path, seed: int) -> None:
    print(f"CLI end to end ({CLI_LINES:,}-line national batch, period {PERIOD}, best of 3, start-up included)")
    src = workdir / "batch_2500.csv"
    write_csv(synthetic_portfolio(CLI_LINES, seed, PERIOD), src)
    cmd = _cli_command() + ["compute", str(src), "--period", PERIOD, "-o", str(workdir / "batch_2500_out.csv"), "--quiet"]
    runs = [_run_child(cmd, workdir, f"cli_2500_{i}") for i in range(3)]
    for run in runs:
        if run["returncode"] not in (0, 1):
            raise RuntimeError(f"alis-grant exited {run['returncode']}: {run['stderr'].strip()[-500:]}")
    best = min(r["wall_s"] for r in runs)
    report.info["cli_2500_runs_s"] = [round(r["wall_s"], 4) for r in runs]
    report.info["cli_2500_stdout"] = runs[0]["stdout"].strip().splitlines()[-2:]
    report.figure(f"alis-grant compute, {CLI_LINES:,} lines (best of 3)", best, "s", TARGET_CLI_S, "lower")
    report.figure("  its peak RSS", max(r["rss_mb"] for r in runs), "MB")
    # start-up alone, to see how much of the figure is import time
    startup = min(_run_child(_cli_command() + ["rates", "list"], workdir, f"cli_startup_{i}")["wall_s"] for i in range(3))
    report.figure("  start-up only (alis-grant rates list, best of 3)", startup, "s")


def bench_api(report: Report, quick: bool, seed: int) -> None:
    import grants

    sizes = [2_500, 20_000] + ([] if quick else [100_000])
    print(f"API throughput (grants.compute(records, period={PERIOD!r}), list of dicts, after one warm-up call;"
          " rules through durable_rules up to 50,000 lines, over columns above)")
    warm = synthetic_portfolio(2_500, seed + 100, PERIOD)
    t0 = time.perf_counter()
    grants.compute(warm, period=PERIOD)
    report.figure("first call incl. engine build (2,500 lines)", time.perf_counter() - t0, "s")
    grants.compute(warm, period=PERIOD)  # the warm-up call proper
    for n in sizes:
        records = synthetic_portfolio(n, seed + n, PERIOD)
        repeats = 3 if n <= 20_000 else 1
        best, result = float("inf"), None
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = grants.compute(records, period=PERIOD)
            best = min(best, time.perf_counter() - t0)
        assert result is not None
        if len(result.lines) + len(result.rejections) < n:
            raise RuntimeError(f"{n} lines in, {len(result.lines)} results and {len(result.rejections)} rejections out")
        report.info[f"api_{n}"] = {"lines": len(result.lines), "rejections": len(result.rejections),
                                   "total_nok": result.total_nok, "compute_s": round(best, 4), "repeats": repeats}
        report.figure(f"compute, {n:,} lines{' (best of 3)' if repeats > 1 else ''}", n / best, "lines/s", TARGET_API_LPS, "higher",
                      note=f"{best:.2f} s")
        if n == 20_000:
            t0 = time.perf_counter()
            traces = result.traces()
            trace_s = time.perf_counter() - t0
            report.info["api_20000_traces"] = {"traces": len(traces), "traces_s": round(trace_s, 4)}
            report.figure("  traces only, 20,000 lines (result.traces())", n / trace_s, "lines/s", note=f"{trace_s:.2f} s")
            report.figure("  compute + traces, 20,000 lines (tracing on)", n / (best + trace_s), "lines/s",
                          TARGET_API_LPS, "higher", note=f"{best + trace_s:.2f} s")


def bench_memory(report: Report, workdir: Path, seed: int) -> None:
    print(f"Memory ({STRESS_LINES:,} lines; peak RSS of a fresh child process)")
    code = _MEMORY_CHILD.format(bench=str(BENCH_DIR), lines=STRESS_LINES, seed=seed, period=PERIOD)
    run = _run_child([sys.executable, "-c", code], workdir, "memory_api")
    if run["returncode"] != 0:
        raise RuntimeError(f"memory child exited {run['returncode']}: {run['stderr'].strip()[-800:]}")
    child = json.loads(run["stdout"].strip().splitlines()[-1])
    report.info["memory_api"] = child | {"wait4_rss_mb": round(run["rss_mb"], 1), "wall_s": round(run["wall_s"], 2)}
    report.figure(f"API, {STRESS_LINES:,} lines: peak RSS", child["rss_peak_mb"], "MB", TARGET_RSS_MB, "lower",
                  note=f"after import {child['rss_after_import_mb']:.0f} MB, with input {child['rss_after_generate_mb']:.0f} MB; "
                       f"compute {child['compute_s']:.1f} s")

    src = workdir / "stress_100k.csv"
    write_csv(synthetic_portfolio(STRESS_LINES, seed + 1, PERIOD), src)
    cmd = _cli_command() + ["compute", str(src), "--period", PERIOD, "-o", str(workdir / "stress_100k_out.csv"), "--quiet"]
    run = _run_child(cmd, workdir, "cli_100k")
    if run["returncode"] not in (0, 1):
        raise RuntimeError(f"alis-grant exited {run['returncode']}: {run['stderr'].strip()[-500:]}")
    report.info["cli_100k"] = {"returncode": run["returncode"], "stdout": run["stdout"].strip().splitlines()[-2:]}
    report.figure(f"CLI, {STRESS_LINES:,}-line stress file: wall time", run["wall_s"], "s",
                  note=f"{STRESS_LINES / run['wall_s']:,.0f} lines/s incl. start-up, CSV in and out")
    report.figure(f"CLI, {STRESS_LINES:,}-line stress file: peak RSS", run["rss_mb"], "MB", TARGET_RSS_MB, "lower")


TARGET_VECTOR_LPS = 1_000_000
TARGET_VECTOR_RATIO = 3.0
TARGET_VECTOR_RSS_MB = 2048.0
TARGET_RATES_CHECK_S = 30.0

_VECTOR_MEMORY_CHILD = """
import json, resource, sys, time
from grants import default_engine
from grants.tools.portfolio import synthetic_frame
from grants.pipeline.vectorised import VectorEvaluator
frame = synthetic_frame({lines}, {seed}, {period!r})
ve = VectorEvaluator(default_engine())
t = time.perf_counter(); cols = ve.evaluate(frame, {period!r}).columns; dt = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"rss_peak_mb": rss, "evaluate_s": dt, "total_nok": int(cols["amount_nok"].sum())}}))
"""


def _bare_numpy(frame, ve, table):
    """The same arithmetic written by hand on the same columns: class lookup, rate lookup,
    clipping, calendar months, the exclusions without dates, share x months / 12, half-up."""
    import numpy as np

    from grants.pipeline.vectorised import _day_of, _days, calendar_month_count

    first, last = _day_of(table.period.first_day), _day_of(table.period.last_day)
    _numbers, cls = ve._classes(frame["kommunenummer"].to_numpy(dtype=object), table)
    gt = frame["grant_type"].to_numpy(dtype=object)
    role = frame["role"].to_numpy(dtype=object)
    group6 = cls == 6
    rate = np.zeros(len(frame), dtype=np.int64)
    for (g, roles, path) in (("alis_avtale", ("fastlege", "fastlegevikar"), "alis_avtale.fastlege"),
                             ("alis_avtale", ("introduksjonslege",), "alis_avtale.introduksjonslege"),
                             ("alis_avtale", ("annet_kommunalt",), "alis_avtale.annet_kommunalt"),
                             ("kun_veiledning", None, "kun_veiledning.any")):
        hit = (gt == g) if roles is None else (gt == g) & np.isin(role, roles)
        low = int(table.rate(path, "class_1_5").amount) * 100
        high = int(table.rate(path, "class_6").amount) * 100
        rate = np.where(hit, np.where(group6, high, low), rate)
    start = np.maximum(_days(frame["start"]), first)
    end = np.minimum(_days(frame["end"]), last)
    months = calendar_month_count(start, end)
    share = np.rint(frame["position_share"].to_numpy(dtype=np.float64) * 100).astype(np.int64)
    amount = (rate * share * months + 6_000_000) // 12_000_000
    excluded = frame["via_agency"].to_numpy(dtype=bool) | ~frame["new_scheme"].to_numpy(dtype=bool)
    return np.where(excluded, 0, amount)


def bench_vectorised(report: Report, workdir: Path, seed: int, quick: bool) -> None:
    from grants import default_engine
    from grants.tools.portfolio import synthetic_frame
    from grants.pipeline.vectorised import VectorEvaluator

    print("Vectorised evaluator vs durable_rules (period 2023; synthetic portfolios)")
    engine = default_engine()
    ve = VectorEvaluator(engine)
    table = engine.ratebook.get(PERIOD)
    sizes = (10_000, 100_000, 1_000_000)
    for n in sizes:
        frame = synthetic_frame(n, seed + n, PERIOD)
        ve.evaluate(frame.head(1000), PERIOD)
        best = min(_timed(lambda: ve.evaluate(frame, PERIOD)) for _ in range(3))
        target = TARGET_VECTOR_LPS if n == 1_000_000 else None
        report.figure(f"vectorised, {n:,} lines (best of 3)", n / best, "lines/s", target, "higher", note=f"{best:.2f} s")
        if n == 1_000_000:
            bare = min(_timed(lambda: _bare_numpy(frame, ve, table)) for _ in range(3))
            report.figure("  ratio vectorised / bare numpy, 1,000,000 lines", best / bare, "x", TARGET_VECTOR_RATIO,
                          "lower", note=f"bare numpy {bare:.2f} s")
    from grants import Engine

    durable = Engine(engine.ratebook, engine.rulebook, engine.centrality, vector_threshold=None)
    for n in sizes[:2] + (() if quick else sizes[2:]):
        records = synthetic_portfolio(n, seed + n, PERIOD)
        durable.compute(records[:500], PERIOD)
        dt = _timed(lambda: durable.compute(records, PERIOD))
        report.figure(f"durable_rules path, {n:,} lines", n / dt, "lines/s", note=f"{dt:.1f} s; Engine(vector_threshold=None)")
        del records
    code = _VECTOR_MEMORY_CHILD.format(lines=1_000_000, seed=seed, period=PERIOD)
    run = _run_child([sys.executable, "-c", code], workdir, "memory_vector")
    if run["returncode"] != 0:
        raise RuntimeError(f"vector memory child exited {run['returncode']}: {run['stderr'].strip()[-800:]}")
    child = json.loads(run["stdout"].strip().splitlines()[-1])
    report.figure("vectorised, 1,000,000 lines: peak RSS", run["rss_mb"], "MB", TARGET_VECTOR_RSS_MB, "lower",
                  note=f"evaluate {child['evaluate_s']:.2f} s in a fresh process")
    for name in ("2023", "2025-26"):
        cmd = _cli_command() + ["rates", "check", str(REPO / "rates" / f"{name}.yaml")]
        run = _run_child(cmd, workdir, f"rates_check_{name}")
        report.figure(f"alis-grant rates check rates/{name}.yaml", run["wall_s"], "s", TARGET_RATES_CHECK_S, "lower",
                      note=f"exit {run['returncode']}, default examples")


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _git_head() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="skip the 100,000-line API and 1,000,000-line durable_rules runs")
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic portfolios (default 1)")
    p.add_argument("--json", default=str(BENCH_DIR / "out" / "latest.json"), help="where to write the figures")
    args = p.parse_args(argv)

    report = Report()
    started = time.perf_counter()
    print(f"ALIS grant engine benchmark: python {platform.python_version()}, {platform.platform()}, "
          f"{os.cpu_count()} CPUs{', --quick' if args.quick else ''}\n")
    with tempfile.TemporaryDirectory(prefix="alis-bench-") as tmp:
        workdir = Path(tmp)
        for section, call in (
            ("CLI", lambda: bench_cli(report, workdir, args.seed)),
            ("API", lambda: bench_api(report, args.quick, args.seed)),
            ("memory", lambda: bench_memory(report, workdir, args.seed)),
            ("vectorised", lambda: bench_vectorised(report, workdir, args.seed, args.quick)),
        ):
            try:
                call()
            except Exception as exc:  # a benchmark reports, it does not fail
                report.error(section, exc)
            print()

    misses = [f["name"].strip() for f in report.figures if f["verdict"] == "MISS"]
    print(f"{len(misses)} target(s) missed" + (": " + "; ".join(misses) if misses else "")
          + (f"; {len(report.errors)} section(s) failed" if report.errors else "")
          + f"  (benchmark took {time.perf_counter() - started:.0f} s)")
    doc = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_head": _git_head(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "seed": args.seed,
        "period": PERIOD,
        "targets": {"cli_2500_s": TARGET_CLI_S, "api_lines_per_s": TARGET_API_LPS, "rss_100k_mb": TARGET_RSS_MB,
                    "vector_lines_per_s": TARGET_VECTOR_LPS, "vector_vs_bare_numpy": TARGET_VECTOR_RATIO,
                    "vector_rss_1m_mb": TARGET_VECTOR_RSS_MB, "rates_check_s": TARGET_RATES_CHECK_S},
        "figures": report.figures,
        "info": report.info,
        "errors": report.errors,
    }
    try:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"figures written to {out}")
    except OSError as exc:
        print(f"could not write {args.json}: {exc}")
    return 0


if __name__ == "__main__":
    try:
        main()
    finally:
        sys.exit(0)
