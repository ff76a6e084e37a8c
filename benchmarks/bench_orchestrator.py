"""Orchestrator cost at scale against a bare ``asyncio.TaskGroup`` (+ ``Semaphore``).

1. 1k, 10k and 100k trivial operations, ``max_concurrency=100``: per-operation cost
   (submitting included) of the orchestrator and of a bare TaskGroup + Semaphore doing the same
   work. Each round runs every size, both sides alternating (several runs of the small sizes,
   their median kept), so drift on a noisy machine hits both sides and all sizes of a round
   alike; each verdict is the median over rounds of a per-round ratio. Budgets: <= 1.2 x bare
   at every size; the orchestrator's per-op cost flat (100k within 10 % of 1k in the same
   round); its peak memory (``tracemalloc``) <= the bare version's.
2. ``run_checks`` (what ``env.check()`` runs) with 1k, 10k and 100k trivial checks, each
   with its 10 s timeout, against a bare TaskGroup whose children each enter
   ``asyncio.timeout(10)``: the same budgets.
3. 100 operations that each sleep 200 ms, no limit: wall time <= 1.5 x 200 ms.

Run: ``.venv/bin/python -m benchmarks.bench_orchestrator`` (``--quick``: fewer rounds).
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from asyncconsole import Orchestrator
from asyncconsole.environment._check import run_checks

from ._util import median_seconds, report

SIZES = (1_000, 10_000, 100_000)
CONCURRENCY = 100
CHECK_TIMEOUT = 10.0
SLEEP_OPS = 100
SLEEP = 0.2
RATIO_BUDGET = 1.2
FLAT_BUDGET = 1.10


async def trivial(i: int) -> int:
    await asyncio.sleep(0)
    return i


async def check() -> str:
    await asyncio.sleep(0)
    return "ok"


async def sleeper(i: int) -> int:
    await asyncio.sleep(SLEEP)
    return i


# -- the two sides of each comparison -----------------------------------------------------------


async def bare_ops(n: int) -> None:
    sem = asyncio.Semaphore(CONCURRENCY)
    results: dict[str, int] = {}

    async def one(i: int) -> None:
        async with sem:
            results[str(i)] = await trivial(i)

    async with asyncio.TaskGroup() as tg:
        for i in range(n):
            tg.create_task(one(i))
    assert len(results) == n


async def orchestrated_ops(n: int) -> None:
    async with Orchestrator(max_concurrency=CONCURRENCY) as orch:
        for i in range(n):
            orch.submit(str(i), trivial, i)
    outcomes = orch.outcomes
    assert len(outcomes) == n
    assert outcomes[str(n - 1)].value == n - 1


async def bare_checks(n: int) -> None:
    results: dict[str, str] = {}

    async def one(name: str) -> None:
        async with asyncio.timeout(CHECK_TIMEOUT):
            results[name] = await check()

    async with asyncio.TaskGroup() as tg:
        for i in range(n):
            tg.create_task(one(str(i)))
    assert len(results) == n


async def our_checks(n: int) -> None:
    report = await run_checks({str(i): check for i in range(n)}, timeout=CHECK_TIMEOUT)
    assert report.ok
    assert len(report) == n


Side = Callable[[int], Coroutine[Any, Any, None]]


@dataclass
class Figures:
    """One size's per-round figures: per-operation microseconds of each side, peak memory."""

    size: int
    ours_us: list[float]
    bare_us: list[float]
    ours_peak: int = 0
    bare_peak: int = 0

    @property
    def paired(self) -> float:
        """The median per-round ratio, ours over bare."""
        return statistics.median(o / b for o, b in zip(self.ours_us, self.bare_us, strict=True))


async def _timed(side: Side, n: int) -> float:
    t0 = time.perf_counter()
    await side(n)
    return time.perf_counter() - t0


def _seconds(side: Side, n: int) -> float:
    gc.collect()  # each run starts from the same heap, not the previous run's garbage
    return asyncio.run(_timed(side, n))  # a fresh loop, not counted


def _peak(side: Side, n: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        asyncio.run(side(n))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(ours: Side, bare: Side, rounds: int, repeats: dict[int, int]) -> list[Figures]:
    """``rounds`` rounds over every size (``repeats[n]`` runs of each side per round, in
    alternating order, their median kept), then one traced run of each side per size."""
    rows = [Figures(n, [], []) for n in SIZES]
    for n in SIZES:  # warm up both
        _seconds(bare, n)
        _seconds(ours, n)
    for r in range(rounds):
        for row in rows:
            n = row.size
            our_runs, bare_runs = [], []
            for k in range(repeats[n]):
                if (r + k) % 2 == 0:
                    bare_runs.append(_seconds(bare, n))
                    our_runs.append(_seconds(ours, n))
                else:
                    our_runs.append(_seconds(ours, n))
                    bare_runs.append(_seconds(bare, n))
            row.ours_us.append(statistics.median(our_runs) / n * 1e6)
            row.bare_us.append(statistics.median(bare_runs) / n * 1e6)
    for row in rows:
        row.ours_peak = _peak(ours, row.size)
        row.bare_peak = _peak(bare, row.size)
    return rows


def _growth(large: list[float], small: list[float]) -> float:
    """The median per-round ratio of the largest size's per-op cost to the smallest's."""
    return statistics.median(a / b for a, b in zip(large, small, strict=True))


def verdicts(what: str, rows: list[Figures]) -> bool:
    """Print one line per size and the flatness line; whether every budget holds."""
    ok = True
    for f in rows:
        fine = f.paired <= RATIO_BUDGET and f.ours_peak <= f.bare_peak
        ok &= fine
        print(
            f"{what} x{f.size}: asyncconsole {statistics.median(f.ours_us):.2f} us/op | bare "
            f"{statistics.median(f.bare_us):.2f} us/op | median per-round ratio {f.paired:.3f} "
            f"(budget <= {RATIO_BUDGET}) | peak memory {f.ours_peak / 2**20:.1f} MB vs "
            f"{f.bare_peak / 2**20:.1f} MB (budget <= bare) {'PASS' if fine else 'MISS'}",
            flush=True,
        )
    growth = _growth(rows[-1].ours_us, rows[0].ours_us)
    flat = growth <= FLAT_BUDGET
    ok &= flat
    print(
        f"{what}: per-op cost x{rows[-1].size} / x{rows[0].size}, median per-round "
        f"{growth:.3f} (budget <= {FLAT_BUDGET}; bare "
        f"{_growth(rows[-1].bare_us, rows[0].bare_us):.3f}) {'PASS' if flat else 'MISS'}",
        flush=True,
    )
    return ok


async def orchestrated_sleepers() -> None:
    async with Orchestrator() as orch:
        for i in range(SLEEP_OPS):
            orch.submit(str(i), sleeper, i)
    assert all(o.ok for o in orch.outcomes.values())


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    rounds = 3 if quick else 7
    repeats = {1_000: 9, 10_000: 3, 100_000: 1}
    ok = verdicts(
        f"orchestrator, trivial ops, max_concurrency={CONCURRENCY}",
        measure(orchestrated_ops, bare_ops, rounds, repeats),
    )
    ok &= verdicts(
        f"run_checks, trivial checks with a {CHECK_TIMEOUT:g} s timeout each",
        measure(our_checks, bare_checks, rounds, repeats),
    )
    slept = asyncio.run(median_seconds(orchestrated_sleepers, repeat=5))
    report(
        f"{SLEEP_OPS} ops sleeping {SLEEP * 1000:.0f} ms, unlimited concurrency",
        slept,
        SLEEP,
        unit="s",
        budget="<= 1.5 x one sleep",
        ok=slept <= 1.5 * SLEEP,
    )
    return 0 if ok and slept <= 1.5 * SLEEP else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
