"""Orchestrator at scale: tasks only for operations holding a slot, no timers without
timeouts, submit-time context, nothing kept of finished operations but their outcomes."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import weakref
from typing import Any

import pytest

from asyncconsole import (
    FakeClock,
    OperationTimeoutError,
    Orchestrator,
    SystemClock,
    TimeoutScope,
)
from asyncconsole.orchestrator._orchestrator import _PACE

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("REQUEST_ID", default="none")


def others() -> set[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and not t.done()}


class CountingClock(SystemClock):
    """The real clock, counting the deadlines asked of it."""

    def __init__(self) -> None:
        self.timeouts = 0

    def timeout_at(self, when: float | None) -> TimeoutScope:
        self.timeouts += 1
        return super().timeout_at(when)

    def timeout(self, seconds: float | None) -> TimeoutScope:
        self.timeouts += 1
        return super().timeout(seconds)


async def test_a_task_exists_only_for_operations_holding_a_slot() -> None:
    gate = asyncio.Event()
    alive: list[int] = []

    async def op() -> None:
        alive.append(len(others()))
        await gate.wait()

    async with Orchestrator(max_concurrency=3) as orch:
        for i in range(200):
            orch.submit(str(i), op)
        assert len(others()) == 3  # 197 queued operations have no task
        await asyncio.sleep(0)
        gate.set()
    assert len(orch.outcomes) == 200
    assert all(o.ok for o in orch.outcomes.values())
    assert max(alive) <= 3 + 1  # a finishing task may overlap the one it starts


async def test_without_a_limit_everything_still_runs_at_once() -> None:
    count = _PACE * 3 + 7
    started = 0
    gate = asyncio.Event()

    async def op() -> None:
        nonlocal started
        started += 1
        if started == count:
            gate.set()
        await gate.wait()  # only ends once every operation is running at the same time

    async with Orchestrator() as orch:
        for i in range(count):
            orch.submit(str(i), op)
        assert len(others()) == _PACE + 1  # the rest start a batch per turn (+ the feeder)
    assert started == count
    assert all(o.ok for o in orch.outcomes.values())


async def test_starting_without_a_limit_keeps_the_collector_on_young_objects() -> None:
    # Issue 13: run_checks of 100k trivial checks ran 9 full collections (each over every
    # submitted record) against 2 with a limit of 100, because each turn started 256 tasks:
    # ~2,000 young objects, alive across several young collections, were promoted to the old
    # generation and counted towards the next full one. A turn's starts now fit in one young
    # generation, so young collections follow the records kept, not the tasks started.
    from asyncconsole.environment._check import run_checks

    count = 20_000
    collections = [0]

    def counted(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 0:
            collections[0] += 1

    async def check() -> str:
        await asyncio.sleep(0)
        return "ok"

    gc.collect()
    gc.callbacks.append(counted)
    try:
        report = await run_checks(dict.fromkeys(map(str, range(count)), check), timeout=10.0)
    finally:
        gc.callbacks.remove(counted)
    assert report.ok
    # Two records kept per check (its operation and its outcome) set the floor.
    floor = count * 2 / gc.get_threshold()[0]
    assert collections[0] <= 1.5 * floor, (collections[0], floor)


async def test_no_timer_without_a_timeout_and_one_for_many_timeouts() -> None:
    clock = CountingClock()
    async with Orchestrator(max_concurrency=10, clock=clock) as orch:
        for i in range(50):
            orch.submit(str(i), asyncio.sleep, 0)
    assert clock.timeouts == 0
    async with Orchestrator(clock=clock) as orch:
        for i in range(200):
            orch.submit(str(i), asyncio.sleep, 0, timeout=5)
    assert clock.timeouts == 1  # one timekeeper waiting for the earliest, not one each
    assert all(o.ok for o in orch.outcomes.values())
    clock.timeouts = 0
    async with Orchestrator(max_concurrency=50, clock=clock) as orch:
        for i in range(5000):
            orch.submit(str(i), asyncio.sleep, 0, timeout=5)
    assert clock.timeouts == 1  # it stays while anything runs
    assert all(o.ok for o in orch.outcomes.values())


async def test_timeouts_expire_in_order_on_the_injected_clock() -> None:
    clock = FakeClock()

    async def hang() -> None:
        await asyncio.Event().wait()

    async with Orchestrator(clock=clock) as orch:
        orch.submit("long", hang, timeout=10)
        orch.submit("slow", clock.sleep, 30)  # makes fake time move
        await asyncio.sleep(0)
        orch.submit("short", hang, timeout=1)  # earlier than what the keeper waits for
        orch.submit("in time", clock.sleep, 0.5, timeout=1)
    out = orch.outcomes
    assert (out["short"].status, out["short"].duration) == ("timed_out", 1.0)
    assert (out["long"].status, out["long"].duration) == ("timed_out", 10.0)
    assert "within its timeout of 10s" in out["long"].detail
    assert out["in time"].ok
    assert out["slow"].ok


async def test_the_block_does_not_wait_for_timeouts_of_finished_operations() -> None:
    clock = FakeClock(auto_advance=False)  # time never moves: waiting for 60 s would hang

    async def run() -> Orchestrator:
        async with Orchestrator(clock=clock, timeout=120) as orch:
            for i in range(10):
                orch.submit(str(i), asyncio.sleep, 0, timeout=60)
        return orch

    orch = await asyncio.wait_for(run(), 10)  # a liveness guard: it ends without fake time
    assert all(o.ok for o in orch.outcomes.values())
    assert clock.monotonic() == 0.0


async def test_operations_run_with_the_context_they_were_submitted_in() -> None:
    seen: dict[str, str] = {}

    async def op(name: str) -> None:
        await asyncio.sleep(0)
        seen[name] = REQUEST_ID.get()
        REQUEST_ID.set("changed by " + name)  # stays inside this operation

    async with Orchestrator(max_concurrency=1) as orch:
        for name in ("a", "b", "c"):
            REQUEST_ID.set(name)
            orch.submit(name, op, name)
        orch.submit("d", op, "d")  # the same variables as "c"
        orch.submit("e", op, "e")
        REQUEST_ID.set("none")
    assert seen == {"a": "a", "b": "b", "c": "c", "d": "c", "e": "c"}


async def test_a_finished_operation_keeps_only_its_outcome() -> None:
    class Payload:
        pass

    async def op(payload: Payload) -> str:
        await asyncio.sleep(0)
        return "done"

    async with Orchestrator(max_concurrency=2) as orch:
        payload = Payload()
        ref = weakref.ref(payload)
        handle = orch.submit("op", op, payload)
        del payload
        assert await handle == "done"
        gc.collect()
        assert ref() is None  # the arguments are dropped as soon as it is done
    assert orch.outcomes["op"].value == "done"


async def test_cancelling_a_queued_operation_ends_it_and_its_dependents_at_once() -> None:
    gate = asyncio.Event()
    async with Orchestrator(max_concurrency=1) as orch:
        orch.submit("busy", gate.wait)
        queued = orch.submit("queued", asyncio.sleep, 0)
        dependent = orch.submit("dependent", asyncio.sleep, 0, after=[queued])
        assert queued.cancel("not needed")
        assert queued.done()
        assert dependent.done()  # no task ever ran for either
        gate.set()
    assert orch.outcomes["queued"].status == "cancelled"
    assert "not needed" in orch.outcomes["queued"].detail
    assert orch.outcomes["dependent"].error.dependency == "queued"  # type: ignore[union-attr]


async def test_a_long_chain_of_dependents_is_cancelled_without_recursion() -> None:
    async def boom() -> None:
        raise ValueError("first link")

    async with Orchestrator() as orch:
        previous = orch.submit("0", boom)
        for i in range(1, 5000):
            previous = orch.submit(str(i), asyncio.sleep, 0, after=[previous])
    assert orch.outcomes["4999"].status == "cancelled"
    assert orch.outcomes["4999"].error.dependency == "4998"  # type: ignore[union-attr]


async def test_fail_fast_after_the_deadline_raises_the_timeout() -> None:
    orch = Orchestrator(fail_fast=True, timeout=0.01)

    async def run() -> None:
        async with orch:
            await asyncio.sleep(0.03)
            orch.submit("late", asyncio.sleep, 0)
            await asyncio.sleep(1)  # cancelled when the group aborts

    with pytest.raises(ExceptionGroup) as caught:
        await run()
    assert [type(e) for e in caught.value.exceptions] == [OperationTimeoutError]
    assert orch.outcomes["late"].status == "timed_out"
    assert orch.outcomes["late"].attempts == 0
