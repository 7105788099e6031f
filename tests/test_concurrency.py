"""The engine under a thread pool and in several processes: every result equals the
single-threaded one, and the caller's interpreter state (garbage collector, decimal context)
is as it was."""
from __future__ import annotations

import decimal
import gc
import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

import grants
from grants.tools.portfolio import synthetic_portfolio

THREADS, LINES = 8, 2_000


def _context_state(ctx: decimal.Context) -> tuple:
    return (ctx.prec, ctx.rounding, ctx.Emin, ctx.Emax, ctx.capitals, ctx.clamp,
            tuple(sorted((k.__name__, v) for k, v in ctx.traps.items())),
            tuple(sorted((k.__name__, v) for k, v in ctx.flags.items())))


def _outcome(result: grants.GrantResult) -> tuple:
    """Everything a caller reads: rows (with amounts, reasons, rule ids), rejections, total."""
    return (result.rows(), [r.text() for r in result.rejections], result.total_nok, result.input_rows)


@pytest.fixture(scope="module")
def batches():
    # different batches per thread, so a result crossing over between threads would show
    return [synthetic_portfolio(LINES, seed=100 + i) for i in range(THREADS)]


@pytest.fixture(scope="module")
def expected(batches):
    grants.compute(batches[0][:10], period="2023")  # build the engine before timing anything
    return [_outcome(grants.compute(b, period="2023")) for b in batches]


def test_eight_threads_at_once_give_the_single_threaded_results(batches, expected):
    gc_before = gc.isenabled()
    ctx_before = _context_state(decimal.getcontext())
    barrier = threading.Barrier(THREADS)

    def work(i: int) -> tuple:
        barrier.wait()  # all threads start together
        return _outcome(grants.compute(batches[i], period="2023"))

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(work, range(THREADS)))
    for i, (got, want) in enumerate(zip(outcomes, expected)):
        assert got == want, f"thread {i}: result differs from the single-threaded one"
    assert sum(len(o[0]) for o in outcomes) >= THREADS * LINES
    assert gc.isenabled() == gc_before
    assert _context_state(decimal.getcontext()) == ctx_before


def test_threads_do_not_see_the_collector_switched_off_nor_use_their_decimal_context(batches, expected):
    """While the engine runs in other threads, this thread's collector stays on; a thread with
    its own (odd) decimal context gets the same amounts and keeps its context unchanged."""
    assert gc.isenabled()
    stop = threading.Event()
    seen_off = []

    def watch() -> None:
        while not stop.is_set():
            if not gc.isenabled():
                seen_off.append(time.monotonic())
            time.sleep(0.0005)

    def work(i: int) -> tuple:
        ctx = decimal.Context(prec=4, rounding=decimal.ROUND_DOWN, traps=[decimal.Inexact])
        decimal.setcontext(ctx)
        before = _context_state(ctx)
        out = _outcome(grants.compute(batches[i], period="2023"))
        return out, before == _context_state(decimal.getcontext())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            outcomes = list(pool.map(work, range(THREADS)))
    finally:
        stop.set()
        watcher.join()
    assert not seen_off, "the garbage collector was switched off while the engine ran in other threads"
    for i, ((got, unchanged), want) in enumerate(zip(outcomes, expected)):
        assert got == want, f"thread {i}: its decimal context changed the result"
        assert unchanged, f"thread {i}: the engine changed the caller's decimal context"


def _in_child(seed: int) -> tuple:
    import grants as g
    from grants.tools.portfolio import synthetic_portfolio as portfolio

    return _outcome(g.compute(portfolio(LINES, seed=seed), period="2023"))


def test_two_processes_at_once_give_the_in_process_results(batches, expected):
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: each builds its own engine
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        outcomes = list(pool.map(_in_child, [100, 101]))
    assert outcomes == expected[:2]
