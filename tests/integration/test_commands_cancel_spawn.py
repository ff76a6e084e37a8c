"""Cancelled while the process is still being started, a command leaves nothing running."""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from pathlib import Path

import pytest

from asyncconsole import Orchestrator
from asyncconsole.infra.commands import SubprocessExecutor

pytestmark = pytest.mark.integration


def _tree(marker: str) -> list[str]:
    # A shell that waits for a background child: both carry the marker in their command line.
    return ["sh", "-c", f"sleep {marker} & wait"]


def _running(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if marker.encode() in cmdline and ") Z " not in stat:
            found.append(int(entry.name))
    return found


async def _gone_within_one_second(marker: str) -> list[int]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1.0
    while (left := _running(marker)) and loop.time() < deadline:
        await asyncio.sleep(0.02)
    return left


@pytest.fixture
def marker() -> str:
    # A unique sleep duration marks this test's processes.
    return f"300.{uuid.uuid4().int % 10**9:09d}"


@pytest.mark.parametrize("method", ["run", "stream"])
async def test_cancelled_in_the_first_loop_turns_leaves_no_process(
    marker: str, method: str
) -> None:
    async with SubprocessExecutor(grace_period=0.5) as executor:

        async def one() -> None:
            if method == "run":
                await executor.run(_tree(marker))
            else:
                async with executor.stream(_tree(marker)) as proc:
                    await proc.wait()

        for _ in range(15):
            task = asyncio.ensure_future(one())
            for _ in range(2):
                await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert await _gone_within_one_second(marker) == []


async def test_cancelled_at_random_moments_leaves_no_process(marker: str) -> None:
    rng = random.Random(int(marker.split(".")[1]))
    async with SubprocessExecutor(grace_period=0.5) as executor:
        tasks = [asyncio.ensure_future(executor.run(_tree(marker))) for _ in range(40)]
        for task in tasks:
            await asyncio.sleep(rng.uniform(0, 0.3) / len(tasks))
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    assert await _gone_within_one_second(marker) == []


async def test_an_orchestrator_deadline_stops_children_that_are_still_starting(
    marker: str,
) -> None:
    async with SubprocessExecutor(grace_period=0.5) as executor:
        # The guard only keeps a broken executor from hanging the suite; the promise is that
        # the block ends soon after its 5 ms deadline, leaving nothing behind.
        async with asyncio.timeout(10):
            async with Orchestrator(timeout=0.005) as orch:
                for n in range(50):
                    orch.submit(f"tree-{n}", executor.run, _tree(marker))
    assert {o.status for o in orch.outcomes.values()} <= {"timed_out", "cancelled"}
    assert await _gone_within_one_second(marker) == []
    assert os.getpid() not in _running(marker)
