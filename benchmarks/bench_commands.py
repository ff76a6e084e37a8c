"""Spawn rate of ``SubprocessExecutor.run(["true"])`` vs raw ``asyncio.create_subprocess_exec``.

Both sides spawn the same number of ``true`` processes at concurrency 16, capturing stdout and
stderr through pipes and waiting for exit; rounds alternate between the two sides so that
machine noise hits both alike. Budget: asyncconsole's throughput >= 0.85 x raw asyncio.

Run: ``.venv/bin/python -m benchmarks.bench_commands``
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from asyncconsole.infra.commands import SubprocessExecutor

from ._util import report

CONCURRENCY = 16
SPAWNS = 400
ROUNDS = 5
BUDGET = 0.85


async def _raw_true() -> None:
    proc = await asyncio.create_subprocess_exec(
        "true",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    await proc.communicate()
    assert proc.returncode == 0


async def _spawn_rate(one: Callable[[], Awaitable[object]]) -> float:
    """Processes per second for SPAWNS calls of ``one`` with CONCURRENCY workers."""
    remaining = SPAWNS

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await one()

    started = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        for _ in range(CONCURRENCY):
            tg.create_task(worker())
    return SPAWNS / (time.perf_counter() - started)


async def main() -> None:
    executor = SubprocessExecutor()

    async def ours() -> None:
        res = await executor.run(["true"])
        assert res.exit_code == 0

    await _spawn_rate(ours)  # warm-up: imports, child watcher, page cache
    await _spawn_rate(_raw_true)
    ours_rates: list[float] = []
    raw_rates: list[float] = []
    for _ in range(ROUNDS):
        raw_rates.append(await _spawn_rate(_raw_true))
        ours_rates.append(await _spawn_rate(ours))
    ours_median = statistics.median(ours_rates)
    raw_median = statistics.median(raw_rates)
    report(
        f"SubprocessExecutor.run(['true']) spawn rate, concurrency {CONCURRENCY}, "
        f"{SPAWNS} spawns x {ROUNDS} rounds (median)",
        ours_median,
        raw_median,
        unit="spawns/s",
        budget=f">= {BUDGET}",
        ok=ours_median / raw_median >= BUDGET,
    )
    await executor.aclose()


if __name__ == "__main__":
    asyncio.run(main())
