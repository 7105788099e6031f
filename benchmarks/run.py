"""Benchmark the engine on synthetic national portfolios: ratios against bare references
first, then API throughput, memory and the rates check.

    python benchmarks/run.py [--quick] [--only NAME[,NAME]] [--seed N] [--json PATH]

The issue's ratios first, on the realistic mix (reference.mix_frame) and on today's text data:
A compute with period 2023-24 vs bare numpy (and its extra peak memory), B the same lines moved
into 2025-26 (model B) vs A, C the same lines without a period vs A, D compute plus traces vs
compute. Then the earlier headline figures 1-4 and the others.

Every headline figure is a RATIO measured in this run against a bare reference doing the same
job (benchmarks/reference.py: numpy/pandas from the same frame of text columns; durable_rules'
own matching of the same facts; `python -c "import pandas"`; the same command on fewer lines),
so it means the same on any machine. The numpy reference's amounts are checked row by row
against the engine's, and a difference is printed as MISMATCH. Prints each figure with its
target and PASS/MISS, writes them to benchmarks/out/latest.json, and always exits 0: this is a
benchmark, not a test. --quick uses smaller sizes (printed with each figure) and skips the
100,000-line API throughput run.
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

import reference  # noqa: E402  (benchmarks/reference.py: the text frame and the numpy reference)

PERIOD = "2023"
CLI_LINES = 2_500
STRESS_LINES = 100_000

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
        self.mismatches: list[str] = []

    def figure(self, name: str, value: float, unit: str, target: float | None = None, better: str = "lower",
               note: str = "", headline: bool = False, mismatch: bool = False) -> None:
        """One figure with its verdict; `mismatch`: the amounts behind it disagree with the
        reference, so the figure is not a result (verdict MISMATCH, whatever the value)."""
        if target is None:
            verdict = "info"
        elif better == "lower":
            verdict = "PASS" if value <= target else "MISS"
        else:
            verdict = "PASS" if value >= target else "MISS"
        if mismatch:
            verdict = "MISMATCH"
        self.figures.append({"name": name.strip(), "value": round(value, 4), "unit": unit, "target": target,
                             "better": better, "verdict": verdict, "note": note, "headline": headline})
        print(f"  {self._line(name, value, unit, target, better, verdict)}{('  ' + note) if note else ''}", flush=True)

    @staticmethod
    def _line(name: str, value: float, unit: str, target: float | None, better: str, verdict: str) -> str:
        if target is None:
            tgt = ""
        else:
            sign = "<=" if better == "lower" else ">="
            tgt = f"target {sign} {target:,.0f} {unit}" if target >= 100 else f"target {sign} {target:g} {unit}"
        val = f"{value:,.0f}" if value >= 100 else f"{value:.2f}"
        return f"{name:<58} {val:>10} {unit:<8} {tgt:<24} {verdict}"

    def mismatch(self, what: str, problems: list[str]) -> None:
        """Print loudly that the engine and a reference disagree, and keep it in the report."""
        self.mismatches.extend(f"{what}: {p}" for p in problems)
        print(f"  *** MISMATCH: {what}: the engine and the bare reference disagree ***", flush=True)
        for p in problems:
            print(f"  ***   {p}", flush=True)

    def headline(self) -> None:
        rows = [f for f in self.figures if f["headline"]]
        if not rows:
            return
        print("Headline: ratios measured in this run")
        for f in rows:
            print(f"  {self._line(f['name'], f['value'], f['unit'], f['target'], f['better'], f['verdict'])}")
        if self.mismatches:
            print(f"  *** {len(self.mismatches)} MISMATCH(ES) between the engine and the reference: see above ***")
        print()

    def error(self, section: str, exc: BaseException) -> None:
        text = f"{section}: {type(exc).__name__}: {exc}"
        self.errors.append(text)
        print(f"  ERROR in {text}", flush=True)
        traceback.print_exc(limit=3)


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


TARGET_COMPUTE_RATIO = 3.0
TARGET_COMPUTE_EXTRA_MB = 1024.0
TARGET_DURABLE_RATIO = 1.5
TARGET_CLI_RATIO = 2.0
TARGET_JSON_RATIO = 1.5
TARGET_RATES_CHECK_S = 30.0

# Sizes: full, and --quick (stated with every figure).
COMPUTE_LINES = {False: 1_000_000, True: 100_000}
DURABLE_LINES = {False: 40_000, True: 10_000}
JSON_LINES = {False: (20_000, 200_000), True: (5_000, 50_000)}

_MEMORY_PROBES = """
def rss_now():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20

def peak():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""
"""The resident size now and its high-water mark, in MB: the same in every measured child."""


# The child of the headline run: build the text frame, then compute it, in a fresh process, and
# run the numpy reference on the same frame. Peak memory: the kernel's high-water mark is reset
# (/proc/self/clear_refs, Linux) after the frame is built, so the peak is that of compute alone;
# without the reset the process's ru_maxrss is used and said so.
_COMPUTE_CHILD = """
import gc, json, resource, sys, time
sys.path.insert(0, {bench!r})
import reference
import grants

""" + _MEMORY_PROBES + """
engine = grants.default_engine()
grants.compute(reference.text_frame(2000, {seed} + 1, {period!r}), period={period!r})  # warm-up
t0 = time.perf_counter()
frame = reference.text_frame({lines}, {seed}, {period!r})
build_s = time.perf_counter() - t0
gc.collect()
after_frame = rss_now()
try:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    method = "VmHWM reset after the frame was built"
except OSError:
    method = "ru_maxrss of the whole process (VmHWM reset not available)"
t0 = time.perf_counter()
result = grants.compute(frame, period={period!r})
engine_s = time.perf_counter() - t0
peak_mb = peak()
bare = []
for _ in range(3):
    t0 = time.perf_counter()
    amount, rejected = reference.bare_reference(frame, engine, {period!r})
    bare.append(time.perf_counter() - t0)
print(json.dumps({{"lines": len(frame), "build_s": build_s, "engine_s": engine_s, "bare_s": bare,
    "rss_after_frame_mb": after_frame, "peak_mb": peak_mb, "peak_method": method,
    "evaluator": result.evaluator, "results": len(result.lines), "rejections": len(result.rejections),
    "total_nok": int(amount.sum()), "problems": reference.compare(result, amount, rejected),
    "assumptions": reference.reference_assumptions(engine, {period!r})}}))
"""


def _held_to_reference(report: Report, child: dict, stale_rules: str, against: str, equal: str) -> bool:
    """Print how the engine's run compared with the bare reference (MISMATCH loudly); True
    when the figure cannot be trusted."""
    if child["assumptions"]:
        report.mismatch(stale_rules, child["assumptions"])
    if child["problems"]:
        report.mismatch(against, child["problems"])
    else:
        print(f"  amounts equal: {equal}")
    return bool(child["problems"] or child["assumptions"])


def bench_compute_ratio(report: Report, workdir: Path, seed: int, quick: bool) -> None:
    """Target 1: grants.compute on a frame of text columns vs the numpy reference, and the
    extra peak memory of compute over the built frame, in one fresh child process."""
    n = COMPUTE_LINES[quick]
    print(f"1. grants.compute(frame, period={PERIOD!r}) on {n:,} lines of text columns vs bare numpy/pandas "
          f"(benchmarks/reference.py), fresh process{' [--quick size]' if quick else ''}")
    code = _COMPUTE_CHILD.format(bench=str(BENCH_DIR), lines=n, seed=seed, period=PERIOD)
    run = _run_child([sys.executable, "-c", code], workdir, "compute_ratio")
    if run["returncode"] != 0:
        raise RuntimeError(f"compute child exited {run['returncode']}: {run['stderr'].strip()[-800:]}")
    child = json.loads(run["stdout"].strip().splitlines()[-1])
    report.info["compute_ratio"] = child
    bad = _held_to_reference(
        report, child, "the reference's hard-coded 2023 rules are out of date", f"compute vs reference, {n:,} lines",
        f"{child['results']:,} results and {child['rejections']:,} rejections, the same rows the reference flags, "
        f"total {child['total_nok']:,} kr (engine ran {child['evaluator']})")
    bare = min(child["bare_s"])
    report.figure(f"compute / bare numpy, {n:,} lines", child["engine_s"] / bare, "x", TARGET_COMPUTE_RATIO, "lower",
                  note=f"engine {child['engine_s']:.2f} s ({n / child['engine_s']:,.0f} lines/s), bare {bare:.2f} s "
                       f"({n / bare:,.0f} lines/s, best of 3)", headline=True, mismatch=bad)
    extra = child["peak_mb"] - child["rss_after_frame_mb"]
    report.figure(f"compute extra peak RSS over the frame, {n:,} lines", extra, "MB", TARGET_COMPUTE_EXTRA_MB, "lower",
                  note=f"frame built {child['rss_after_frame_mb']:.0f} MB, peak {child['peak_mb']:.0f} MB; "
                       f"{child['peak_method']}", headline=True)


def bench_durable_ratio(report: Report, seed: int, quick: bool) -> None:
    """Target 2: the durable_rules path forced, whole compute() vs durable_rules' own matching
    of the facts the engine posts (built outside the timing from the engine's own results)."""
    import grants

    n = DURABLE_LINES[quick]
    print(f"2. grants.compute(frame, period={PERIOD!r}, evaluator='durable') on {n:,} lines vs "
          f"engine.runner.fire(facts) on the same facts{' [--quick size]' if quick else ''}")
    engine = grants.default_engine()
    frame = reference.text_frame(n, seed + 2, PERIOD)
    grants.compute(frame.head(500), period=PERIOD, evaluator="durable")
    best, result = float("inf"), None
    for _ in range(3):
        t0 = time.perf_counter()
        result = grants.compute(frame, period=PERIOD, evaluator="durable")
        best = min(best, time.perf_counter() - t0)
    assert result is not None
    amount, rejected = reference.bare_reference(frame, engine, PERIOD)
    problems = reference.compare(result, amount, rejected)
    if problems:
        report.mismatch(f"durable path vs reference, {n:,} lines", problems)
    lines = [r for r in result.iter_lines() if r.facts is not None]
    facts = [r.facts.as_dict() for r in lines]  # each result's row of the fact table: what was posted
    labels = [f"row {r.row}, period {r.table.id}" for r in lines]
    del lines
    fire = min(_timed(lambda: engine.runner.fire(facts, labels=labels)) for _ in range(3))
    report.info["durable_ratio"] = {"lines": n, "facts": len(facts), "compute_s": round(best, 4),
                                    "fire_s": round(fire, 4), "evaluator": result.evaluator}
    report.figure(f"compute(durable) / runner.fire, {n:,} lines", best / fire, "x", TARGET_DURABLE_RATIO, "lower",
                  note=f"compute {best:.2f} s ({result.evaluator}), fire {fire:.2f} s on {len(facts):,} facts "
                       "(best of 3 each)", headline=True, mismatch=bool(problems))


def bench_cli_ratio(report: Report, workdir: Path, seed: int) -> None:
    """Target 3: the whole CLI process on 2,500 lines vs a process that only imports pandas."""
    print(f"3. alis-grant compute FILE --period {PERIOD} -o out.csv --quiet on {CLI_LINES:,} lines vs "
          "python -c \"import pandas\" (whole processes, best of 3)")
    src = workdir / "batch_2500.csv"
    write_csv(synthetic_portfolio(CLI_LINES, seed, PERIOD), src)
    # As installed by pip, a package has its bytecode compiled; an editable install in an
    # environment with PYTHONDONTWRITEBYTECODE=1 would recompile every module on every run
    # (about 0.1 s), which no user of an installed package pays. Compile it first, as pip does.
    import grants

    compiled = subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(grants.__file__).parent)],
                              capture_output=True).returncode == 0
    print(f"  bytecode of the grants package {'compiled first, as pip install does' if compiled else 'NOT compiled'}")
    cmd = _cli_command() + ["compute", str(src), "--period", PERIOD, "-o", str(workdir / "batch_2500_out.csv"), "--quiet"]
    runs = [_run_child(cmd, workdir, f"cli_2500_{i}") for i in range(3)]
    for run in runs:
        if run["returncode"] not in (0, 1):
            raise RuntimeError(f"alis-grant exited {run['returncode']}: {run['stderr'].strip()[-500:]}")
    pandas_runs = [_run_child([sys.executable, "-c", "import pandas"], workdir, f"import_pandas_{i}") for i in range(3)]
    best = min(r["wall_s"] for r in runs)
    bare = min(r["wall_s"] for r in pandas_runs)
    report.info["cli_2500_runs_s"] = [round(r["wall_s"], 4) for r in runs]
    report.info["import_pandas_runs_s"] = [round(r["wall_s"], 4) for r in pandas_runs]
    report.info["cli_2500_stdout"] = runs[0]["stdout"].strip().splitlines()[-2:]
    report.figure(f"CLI / import pandas, {CLI_LINES:,} lines", best / bare, "x", TARGET_CLI_RATIO, "lower",
                  note=f"CLI {best:.2f} s, import pandas {bare:.2f} s", headline=True)
    report.figure("  CLI peak RSS", max(r["rss_mb"] for r in runs), "MB")
    startup = min(_run_child(_cli_command() + ["rates", "list"], workdir, f"cli_startup_{i}")["wall_s"] for i in range(3))
    report.figure("  start-up only (alis-grant rates list, best of 3)", startup, "s")


_JSON_CHILD = """
import json, sys, time
from grants.commands._common import load_input
from grants.io.writers import write_result
import grants
def hwm():
    return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
data = load_input({src!r})
result = grants.compute(data.columns, period={period!r})
before = hwm()
open("/proc/self/clear_refs", "w").write("5")  # reset the peak: what follows is the writer's own
base = hwm()
t0 = time.perf_counter()
write_result(result, {out!r})
print(json.dumps({{"peak_before_write_mb": before, "base_mb": base, "write_peak_mb": hwm(),
                   "write_s": time.perf_counter() - t0}}))
"""


def bench_json_memory(report: Report, workdir: Path, seed: int, quick: bool) -> None:
    """Target 4: JSON output memory flat in the number of lines. In a fresh process per size: the
    batch is read and computed, the peak RSS is reset (/proc/self/clear_refs), the JSON file is
    written, and the writer's extra peak over the resident batch is what is compared."""
    small, large = JSON_LINES[quick]
    print(f"4. writing the JSON result file (grants.io.writers.write_result) after computing {small:,} and {large:,} "
          f"lines: the writer's extra peak RSS over the computed batch{' [--quick sizes]' if quick else ''}")
    extra = {}
    for n in (small, large):
        src = workdir / f"json_{n}.csv"
        out = workdir / f"json_{n}.json"
        write_csv(synthetic_portfolio(n, seed + 3, PERIOD), src)
        run = _run_child([sys.executable, "-c", _JSON_CHILD.format(src=str(src), out=str(out), period=PERIOD)],
                         workdir, f"json_{n}")
        size_mb = out.stat().st_size / 2**20 if out.exists() else 0.0
        src.unlink()
        out.unlink(missing_ok=True)
        if run["returncode"] != 0:
            raise RuntimeError(f"JSON child exited {run['returncode']}: {run['stderr'].strip()[-500:]}")
        child = json.loads(run["stdout"].strip().splitlines()[-1])
        extra[n] = max(child["write_peak_mb"] - child["base_mb"], 0.0)
        report.figure(f"  JSON writer, {n:,} lines: extra peak RSS while writing", extra[n], "MB",
                      note=f"file {size_mb:,.0f} MB, written in {child['write_s']:.1f} s; batch resident "
                           f"{child['base_mb']:,.0f} MB; whole-process peak {run['rss_mb']:,.0f} MB")
    report.info["json_writer_extra_mb"] = {str(k): round(v, 1) for k, v in extra.items()}
    # flat: ten times the lines may not cost the writer more than 1.5 times the memory (a floor of
    # 10 MB keeps a writer that needs almost nothing from failing on page-size noise)
    ratio = max(extra[large], 10.0) / max(extra[small], 10.0)
    report.figure(f"JSON writer extra peak {large:,} / {small:,} lines", ratio, "x", TARGET_JSON_RATIO, "lower",
                  note=f"{extra[large]:,.1f} MB / {extra[small]:,.1f} MB (floor 10 MB)", headline=True)


def bench_rates_check(report: Report, workdir: Path) -> None:
    print("Rates check (alis-grant rates check, default number of examples)")
    for name in ("2023", "2025-26"):
        cmd = _cli_command() + ["rates", "check", str(REPO / "rates" / f"{name}.yaml")]
        run = _run_child(cmd, workdir, f"rates_check_{name}")
        report.figure(f"alis-grant rates check rates/{name}.yaml", run["wall_s"], "s", TARGET_RATES_CHECK_S, "lower",
                      note=f"exit {run['returncode']}")


# --- the ratios on the realistic mix and on today's text data ------------------------------

MIX_PERIOD = "2023-24"
MODEL_B_PERIOD = "2025-26"
RATIO_LINES = {False: 1_000_000, True: 100_000}
TRACE_LINES = 20_000
TARGET_MIX_A_RATIO = 3.0
TARGET_MIX_A_EXTRA_MB = 1024.0
TARGET_MODEL_B_RATIO = 2.0
TARGET_NO_PERIOD_RATIO = 1.5
TARGET_TRACES_RATIO = 1.5
DATASETS = {"mix": "reference.mix_frame (the realistic mix)",
            "text": "reference.text_frame (today's data: lines inside the period)"}

# The child of A, B and C: build the frame, then (each in this one fresh process) A compute with
# period 2023-24 (its peak memory over the built frame: VmHWM reset after the frame is built), the
# numpy reference on the same frame (best of 3) checked row by row, C the same frame without a
# period, B the same lines moved into 2025-26 with expenses (reference.move_mix). At the smaller
# sizes each engine run is repeated (best of `repeats`); the memory is the first A run's.
_RATIOS_CHILD = """
import collections, gc, json, resource, sys, time
sys.path.insert(0, {bench!r})
import reference
import grants

want, kind, n, seed, period, to, repeats = {want!r}, {kind!r}, {lines}, {seed}, {period!r}, {to!r}, {repeats}

""" + _MEMORY_PROBES + """
def build(lines, s):
    return reference.mix_frame(lines, s, period) if kind == "mix" else reference.text_frame(lines, s, period)

def timed(call):
    best, result = float("inf"), None
    for _ in range(repeats):
        result = None
        gc.collect()
        t0 = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - t0)
    return best, result

engine = grants.default_engine()
warm = build(2000, seed + 1)
grants.compute(warm, period=period)
if "b" in want:
    grants.compute(reference.move_mix(warm, seed + 1, to, period), period=to)
if "c" in want:
    grants.compute(warm)
out = {{"lines": n, "kind": kind, "repeats": repeats}}
t0 = time.perf_counter()
frame = build(n, seed)
out["build_s"] = time.perf_counter() - t0
out["profile"] = reference.mix_profile(frame, period)
gc.collect()
out["rss_after_frame_mb"] = rss_now()
try:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    out["peak_method"] = "VmHWM reset after the frame was built"
except OSError:
    out["peak_method"] = "ru_maxrss of the whole process (VmHWM reset not available)"
t0 = time.perf_counter()
result = grants.compute(frame, period=period)
first_a = time.perf_counter() - t0
out["peak_mb"] = peak()
out["a_evaluator"], out["a_results"], out["a_rejections"] = result.evaluator, len(result.lines), len(result.rejections)
out["a_status"] = dict(collections.Counter(result.column("status").tolist()))
if "a" in want:
    bare = []
    for _ in range(3):
        t0 = time.perf_counter()
        amount, rejected = reference.bare_reference(frame, engine, period)
        bare.append(time.perf_counter() - t0)
    out["bare_s"] = bare
    out["problems"] = reference.compare(result, amount, rejected)
    out["assumptions"] = reference.reference_assumptions(engine, period)
    out["total_nok"] = int(amount.sum())
del result
if repeats > 1:
    again, _ = timed(lambda: grants.compute(frame, period=period))
    first_a = min(first_a, again)
out["a_s"] = first_a
if "c" in want:
    out["c_s"], rc = timed(lambda: grants.compute(frame))
    out["c_evaluator"], out["c_results"], out["c_rejections"] = rc.evaluator, len(rc.lines), len(rc.rejections)
    out["c_periods"] = dict(collections.Counter(rc.column("period").tolist()))
    out["c_model_b_parts"] = sum(v for k, v in out["c_periods"].items() if engine.ratebook.get(k).model == "B")
    del rc
if "b" in want:
    moved = reference.move_mix(frame, seed, to, period)
    del frame
    out["moved_profile"] = reference.mix_profile(moved, to)
    out["b_s"], rb = timed(lambda: grants.compute(moved, period=to))
    out["b_evaluator"], out["b_results"], out["b_rejections"] = rb.evaluator, len(rb.lines), len(rb.rejections)
    out["b_status"] = dict(collections.Counter(rb.column("status").tolist()))
    out["b_total_nok"] = int(rb.total_nok)
    del rb
print(json.dumps(out))
"""


def _profile_text(p: dict) -> str:
    return (f"{p['lines']:,} lines, {p['doctors']:,} doctors ({p['lines_per_doctor']:.2f} lines each, "
            f"{p['multi_line_doctor']:.0%} of lines a multi-line doctor's), {p['crossing']:.0%} crossing a boundary, "
            f"{p['outside']:.1%} wholly outside, {p['overlapping']:.0%} overlapping a line of their doctor, "
            f"{p['dates_dd_mm_yyyy']:.0%} dates dd.mm.yyyy")


def bench_ratios(report: Report, workdir: Path, seed: int, quick: bool, kind: str, want: str) -> None:
    """A, B and C on one data set (`kind`), in one fresh child process: `want` holds the
    letters asked for (A is always computed: it is B's and C's denominator)."""
    n = RATIO_LINES[quick]
    repeats = 1 if n >= 500_000 else 2
    print(f"{kind}: A grants.compute(frame, period={MIX_PERIOD!r}) vs bare numpy"
          f"{', B the same lines moved into ' + MODEL_B_PERIOD + ' (model B, expenses on some doctors)' if 'b' in want else ''}"
          f"{', C the same lines without a period' if 'c' in want else ''}; {n:,} lines of {DATASETS[kind]}, "
          f"fresh process{' [--quick size]' if quick else ''}"
          f"{f', engine runs best of {repeats}' if repeats > 1 else ', one engine run each'}")
    code = _RATIOS_CHILD.format(bench=str(BENCH_DIR), want=want, kind=kind, lines=n, seed=seed, period=MIX_PERIOD,
                                to=MODEL_B_PERIOD, repeats=repeats)
    run = _run_child([sys.executable, "-c", code], workdir, f"ratios_{kind}")
    if run["returncode"] != 0:
        raise RuntimeError(f"ratios child exited {run['returncode']}: {run['stderr'].strip()[-1500:]}")
    child = json.loads(run["stdout"].strip().splitlines()[-1])
    report.info[f"ratios_{kind}"] = child
    print(f"  the frame: {_profile_text(child['profile'])}; built in {child['build_s']:.1f} s")
    a = child["a_s"]
    print(f"  A ran {child['a_evaluator']}: {child['a_results']:,} results, {child['a_rejections']:,} rejections, "
          f"status {child['a_status']}")
    if "a" in want:
        bad = _held_to_reference(
            report, child, f"the reference's hard-coded rules are out of date for {MIX_PERIOD}",
            f"{kind}: compute(period={MIX_PERIOD!r}) vs reference, {n:,} lines",
            f"the same rows rejected as the reference flags, every amount equal, total {child['total_nok']:,} kr")
        bare = min(child["bare_s"])
        report.figure(f"A {kind}: compute / bare numpy, {n:,} lines", a / bare, "x", TARGET_MIX_A_RATIO, "lower",
                      note=f"engine {a:.2f} s ({n / a:,.0f} lines/s), bare {bare:.2f} s ({n / bare:,.0f} lines/s, "
                           "best of 3)", headline=True, mismatch=bad)
        extra = child["peak_mb"] - child["rss_after_frame_mb"]
        report.figure(f"A {kind}: compute extra peak RSS over the frame, {n:,} lines", extra, "MB",
                      TARGET_MIX_A_EXTRA_MB, "lower", note=f"frame built {child['rss_after_frame_mb']:.0f} MB, peak "
                      f"{child['peak_mb']:.0f} MB; {child['peak_method']}", headline=True)
    if "b" in want:
        print(f"  B: moved: {_profile_text(child['moved_profile'])}")
        print(f"  B ran {child['b_evaluator']}: {child['b_results']:,} results, {child['b_rejections']:,} rejections, "
              f"status {child['b_status']}, total {child['b_total_nok']:,} kr")
        report.figure(f"B {kind}: {MODEL_B_PERIOD} (model B) / {MIX_PERIOD}, {n:,} lines", child["b_s"] / a, "x",
                      TARGET_MODEL_B_RATIO, "lower", note=f"model B {child['b_s']:.2f} s ({n / child['b_s']:,.0f} lines/s), "
                      f"model A {a:.2f} s ({n / a:,.0f} lines/s)", headline=True)
    if "c" in want:
        print(f"  C ran {child['c_evaluator']}: {child['c_results']:,} results (lines split over periods "
              f"{child['c_periods']}), {child['c_rejections']:,} rejections")
        report.figure(f"C {kind}: no period / {MIX_PERIOD}, {n:,} lines", child["c_s"] / a, "x",
                      TARGET_NO_PERIOD_RATIO, "lower", note=f"no period {child['c_s']:.2f} s ({n / child['c_s']:,.0f} "
                      f"lines/s), {MIX_PERIOD} {a:.2f} s" + (f"; NOT model A only: {child['c_model_b_parts']:,} parts in "
                      "a model B period" if child["c_model_b_parts"] else ""), headline=True)


def bench_traces_ratio(report: Report, seed: int, kind: str) -> None:
    """D: compute plus every line's trace (result.traces()) / compute alone, in this process,
    best of 3 each."""
    import grants

    n = TRACE_LINES
    print(f"{kind}: D grants.compute(frame, period={MIX_PERIOD!r}) then result.traces() vs compute alone, {n:,} lines "
          f"of {DATASETS[kind]} (best of 3 each)")
    build = reference.mix_frame if kind == "mix" else reference.text_frame
    frame = build(n, seed + 4, MIX_PERIOD)
    grants.compute(build(500, seed + 5, MIX_PERIOD), period=MIX_PERIOD).traces()
    alone = min(_timed(lambda: grants.compute(frame, period=MIX_PERIOD)) for _ in range(3))
    held: list = []
    both = min(_timed(lambda: held.append(len(grants.compute(frame, period=MIX_PERIOD).traces()))) for _ in range(3))
    result = grants.compute(frame, period=MIX_PERIOD)
    report.info[f"traces_{kind}"] = {"lines": n, "traces": held[-1], "compute_s": round(alone, 4),
                                     "compute_and_traces_s": round(both, 4), "evaluator": result.evaluator}
    report.figure(f"D {kind}: compute + traces / compute, {n:,} lines", both / alone, "x", TARGET_TRACES_RATIO, "lower",
                  note=f"compute {alone:.2f} s, with traces {both:.2f} s ({held[-1]:,} traces; {result.evaluator})",
                  headline=True)


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


SECTIONS = ("mix_a", "mix_b", "mix_c", "mix_d", "text_a", "text_b", "text_c", "text_d",
            "compute", "durable", "cli", "json", "api", "memory", "rates")
"""What --only can name, in the order they run: the issue's four ratios on the mix and on today's
text data (A-C share one child process per data set), then the earlier headline figures 1-4 and
the other figures."""


def _selected(parser: argparse.ArgumentParser, only: str | None) -> set[str]:
    if only is None:
        return set(SECTIONS)
    chosen = set()
    for name in (x.strip() for x in only.split(",") if x.strip()):
        if name in DATASETS:
            chosen |= {f"{name}_{x}" for x in "abcd"}
        elif name in SECTIONS:
            chosen.add(name)
        else:
            parser.error(f"--only: unknown figure {name!r}; one of {', '.join(SECTIONS)}, mix, text")
    return chosen


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller sizes for the ratios (A-C 100,000 lines; 1: 100,000, "
                   "2: 10,000, 4: 5,000 and 50,000; D is 20,000 either way) and no 100,000-line API run")
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic portfolios (default 1)")
    p.add_argument("--json", default=str(BENCH_DIR / "out" / "latest.json"), help="where to write the figures")
    p.add_argument("--only", default=None, metavar="NAME[,NAME]",
                   help="run only these figures: " + ", ".join(SECTIONS) + " (mix and text: all four of that data "
                        "set's ratios)")
    args = p.parse_args(argv)
    only = _selected(p, args.only)

    report = Report()
    started = time.perf_counter()
    print(f"ALIS grant engine benchmark: python {platform.python_version()}, {platform.platform()}, "
          f"{os.cpu_count()} CPUs{', --quick' if args.quick else ''}\n")
    with tempfile.TemporaryDirectory(prefix="alis-bench-") as tmp:
        workdir = Path(tmp)
        sections = []
        for kind in DATASETS:
            want = "".join(x for x in "abc" if f"{kind}_{x}" in only)
            if want:
                sections.append((f"{kind}: ratios {', '.join(want.upper())}", lambda kind=kind, want=want: bench_ratios(
                    report, workdir, args.seed, args.quick, kind, want)))
            if f"{kind}_d" in only:
                sections.append((f"{kind}: D traces", lambda kind=kind: bench_traces_ratio(report, args.seed, kind)))
        for name, section, call in (
            ("compute", "1. compute vs bare numpy", lambda: bench_compute_ratio(report, workdir, args.seed, args.quick)),
            ("durable", "2. durable path vs durable_rules", lambda: bench_durable_ratio(report, args.seed, args.quick)),
            ("cli", "3. CLI vs import pandas", lambda: bench_cli_ratio(report, workdir, args.seed)),
            ("json", "4. JSON output memory", lambda: bench_json_memory(report, workdir, args.seed, args.quick)),
            ("api", "API", lambda: bench_api(report, args.quick, args.seed)),
            ("memory", "memory", lambda: bench_memory(report, workdir, args.seed)),
            ("rates", "rates check", lambda: bench_rates_check(report, workdir)),
        ):
            if name in only:
                sections.append((section, call))
        for section, call in sections:
            try:
                call()
            except Exception as exc:  # a benchmark reports, it does not fail
                report.error(section, exc)
            print()

    report.headline()
    misses = [f["name"].strip() for f in report.figures if f["verdict"] in ("MISS", "MISMATCH")]
    print(f"{len(misses)} target(s) missed" + (": " + "; ".join(misses) if misses else "")
          + (f"; {len(report.mismatches)} MISMATCH(ES) with the reference" if report.mismatches else "")
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
        "only": sorted(only),
        "sizes": {"compute": COMPUTE_LINES[args.quick], "durable": DURABLE_LINES[args.quick], "cli": CLI_LINES,
                  "json": list(JSON_LINES[args.quick]), "ratios_abc": RATIO_LINES[args.quick], "traces_d": TRACE_LINES},
        "targets": {"compute_vs_bare_numpy": TARGET_COMPUTE_RATIO, "compute_extra_peak_mb": TARGET_COMPUTE_EXTRA_MB,
                    "durable_vs_fire": TARGET_DURABLE_RATIO, "cli_vs_import_pandas": TARGET_CLI_RATIO,
                    "json_peak_large_vs_small": TARGET_JSON_RATIO, "api_lines_per_s": TARGET_API_LPS,
                    "rss_100k_mb": TARGET_RSS_MB, "rates_check_s": TARGET_RATES_CHECK_S,
                    "a_compute_vs_bare_numpy": TARGET_MIX_A_RATIO, "a_extra_peak_mb": TARGET_MIX_A_EXTRA_MB,
                    "b_model_b_vs_model_a": TARGET_MODEL_B_RATIO, "c_no_period_vs_period": TARGET_NO_PERIOD_RATIO,
                    "d_traces_vs_compute": TARGET_TRACES_RATIO},
        "figures": report.figures,
        "info": report.info,
        "mismatches": report.mismatches,
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
