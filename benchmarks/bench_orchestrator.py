"""Orchestrator overhead against a bare ``asyncio.TaskGroup`` + ``Semaphore``, and its latency.

1. 10,000 trivial operations, max_concurrency=100: wall time ratio orchestrator / bare <= 2.0.
2. 100 operations that each sleep 200 ms, no limit: wall time <= 1.5 x 200 ms.

Run: ``.venv/bin/python -m benchmarks.bench_orchestrator``.
"""

from __future__ import annotations

import asyncio
import statistics

from asyncconsole import Orchestrator

from ._util import median_seconds, report

TRIVIAL_OPS = 10_000
CONCURRENCY = 100
SLEEP_OPS = 100
SLEEP = 0.2


async def trivial(i: int) -> int:
    await asyncio.sleep(0)
    return i


async def sleeper(i: int) -> int:
    await asyncio.sleep(SLEEP)
    return i


async def bare_trivial() -> None:
    sem = asyncio.Semaphore(CONCURRENCY)
    results: dict[str, int] = {}

    async def one(i: int) -> None:
        async with sem:
            results[str(i)] = await trivial(i)

    async with asyncio.TaskGroup() as tg:
        for i in range(TRIVIAL_OPS):
            tg.create_task(one(i))
    assert len(results) == TRIVIAL_OPS


async def orchestrated_trivial() -> None:
    async with Orchestrator(max_concurrency=CONCURRENCY) as orch:
        for i in range(TRIVIAL_OPS):
            orch.submit(str(i), trivial, i)
    assert len(orch.outcomes) == TRIVIAL_OPS
    assert all(o.ok for o in orch.outcomes.values())


async def orchestrated_sleepers() -> None:
    async with Orchestrator() as orch:
        for i in range(SLEEP_OPS):
            orch.submit(str(i), sleeper, i)
    assert all(o.ok for o in orch.outcomes.values())


async def main() -> None:
    await bare_trivial()  # warm up both
    await orchestrated_trivial()
    # Alternate the two sides so machine noise hits both alike.
    bare_runs, our_runs = [], []
    for _ in range(7):
        bare_runs.append(await median_seconds(bare_trivial, repeat=1))
        our_runs.append(await median_seconds(orchestrated_trivial, repeat=1))
    bare, ours = statistics.median(bare_runs), statistics.median(our_runs)
    report(
        f"{TRIVIAL_OPS} trivial ops, max_concurrency={CONCURRENCY}",
        ours,
        bare,
        unit="s",
        budget="<= 2.0 x bare TaskGroup+Semaphore",
        ok=ours <= 2.0 * bare,
    )
    slept = await median_seconds(orchestrated_sleepers, repeat=5)
    report(
        f"{SLEEP_OPS} ops sleeping {SLEEP * 1000:.0f} ms, unlimited concurrency",
        slept,
        SLEEP,
        unit="s",
        budget="<= 1.5 x one sleep",
        ok=slept <= 1.5 * SLEEP,
    )


if __name__ == "__main__":
    asyncio.run(main())
