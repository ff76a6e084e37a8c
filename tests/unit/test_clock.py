"""The one time model: deadlines on the injected clock, driven alike by real and fake time."""

from __future__ import annotations

import asyncio

import pytest

from asyncconsole import FakeClock, Orchestrator, SystemClock


async def test_fake_timeout_expires_at_its_deadline_in_fake_time() -> None:
    clock = FakeClock()
    with pytest.raises(TimeoutError):
        async with clock.timeout(5) as scope:
            await clock.sleep(60)
    assert scope.expired()
    assert clock.monotonic() == 5


async def test_fake_timeout_does_not_fire_when_work_ends_first() -> None:
    clock = FakeClock()
    async with clock.timeout(60) as scope:
        await clock.sleep(5)
    assert not scope.expired()
    await clock.sleep(100)  # the deadline, long gone, must not cancel anything later
    assert clock.monotonic() == 105


async def test_concurrent_sleepers_share_fake_time() -> None:
    # Two tasks sleeping 5 s and 10 s at once end 10 s later, as in real time (not 15 s).
    clock = FakeClock()
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.monotonic()))

    async with asyncio.TaskGroup() as tg:
        tg.create_task(sleeper("late", 10))
        tg.create_task(sleeper("early", 5))
    assert woke == [("early", 5), ("late", 10)]


async def test_nested_fake_deadlines_the_earlier_one_wins() -> None:
    clock = FakeClock()
    outer, inner = clock.timeout(3), clock.timeout(30)

    async def nested() -> None:
        async with outer, inner:
            await clock.sleep(100)

    with pytest.raises(TimeoutError):
        await nested()
    assert outer.expired()
    assert not inner.expired()
    assert clock.monotonic() == 3


async def test_fake_timeout_with_a_past_deadline_expires_at_once() -> None:
    clock = FakeClock()
    await clock.sleep(10)
    scope = clock.timeout_at(4)
    with pytest.raises(TimeoutError):
        async with scope:
            await asyncio.Event().wait()
    assert scope.expired()


async def test_manual_advance_fires_deadlines_in_order() -> None:
    clock = FakeClock(auto_advance=False)
    ended: list[str] = []

    async def bounded(name: str, limit: float) -> None:
        try:
            async with clock.timeout(limit):
                await asyncio.Event().wait()
        except TimeoutError:
            ended.append(f"{name}@{clock.monotonic():g}")

    async with asyncio.TaskGroup() as tg:
        tg.create_task(bounded("b", 7))
        tg.create_task(bounded("a", 2))
        await asyncio.sleep(0)
        await clock.advance(5)
        assert ended == ["a@2"]
        await clock.advance(5)
    assert ended == ["a@2", "b@7"]


async def test_a_deadline_alone_does_not_make_fake_time_jump() -> None:
    # Real I/O under a fake deadline is not timed out just because the loop is idle.
    clock = FakeClock()
    async with clock.timeout(1) as scope:
        await asyncio.sleep(0.01)
    assert not scope.expired()
    assert clock.monotonic() == 0


async def test_system_clock_timeout_is_real() -> None:
    clock = SystemClock()
    with pytest.raises(TimeoutError):
        async with clock.timeout(0.01):
            await asyncio.sleep(10)
    async with clock.timeout_at(clock.monotonic() + 10) as scope:
        await asyncio.sleep(0)
    assert not scope.expired()
    async with clock.timeout(None):
        await asyncio.sleep(0)


async def test_the_orchestrator_times_out_on_its_clock() -> None:
    # One time model: a FakeClock drives the orchestrator's timeouts as it drives waits, so an
    # hour-long fake wait under a 60 s deadline ends at fake 60 s, at once in real time.
    clock = FakeClock()
    async with Orchestrator(clock=clock, timeout=60) as orch:
        orch.submit("long wait", clock.sleep, 3600)
        orch.submit("own timeout", clock.sleep, 3600, timeout=5)
        orch.submit("quick", clock.sleep, 1)
    statuses = {name: outcome.status.value for name, outcome in orch.outcomes.items()}
    assert statuses == {"long wait": "timed_out", "own timeout": "timed_out", "quick": "ok"}
    assert orch.outcomes["own timeout"].duration == 5
    assert clock.monotonic() == 60


async def test_a_hold_keeps_fake_time_still_during_real_io() -> None:
    clock = FakeClock()
    seen: list[float] = []

    async def sleeper() -> None:
        await clock.sleep(60)

    async with asyncio.TaskGroup() as tg:
        tg.create_task(sleeper())
        with clock.hold():
            await asyncio.sleep(0.02)  # real I/O: the loop is idle, yet time stands still
            seen.append(clock.monotonic())
    assert seen == [0]
    assert clock.monotonic() == 60
