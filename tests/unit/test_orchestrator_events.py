"""Orchestrator progress events: order, timings, attempts, both forms, bounded buffers."""

from __future__ import annotations

import asyncio
import logging

import pytest

from asyncconsole import Event, EventKind, FakeClock, HttpError, Orchestrator, RetryPolicy


def transient() -> HttpError:
    return HttpError("unavailable", method="GET", url="http://x/", status=503)


async def test_events_in_order_with_timings_and_attempts() -> None:
    clock = FakeClock()
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        await clock.sleep(1)
        if calls < 3:
            raise transient()
        return "ok"

    async def fail() -> None:
        await asyncio.sleep(0)  # not on the clock: auto-advancing sleeps add up
        raise ValueError("nope")

    policy = RetryPolicy(attempts=5, wait_initial=2.0, wait_jitter=0, timeout=None)
    called_back: list[Event] = []
    async with Orchestrator(clock=clock, on_event=called_back.append) as orch:
        orch.submit("flaky", flaky, retry=policy)
        orch.submit("fail", fail)
        orch.submit("after", flaky, after=["fail"])
        iterated = [event async for event in orch.events()]

    assert iterated == called_back  # both forms see the same events
    by_name: dict[str, list[tuple[str, int]]] = {}
    for ev in iterated:
        by_name.setdefault(ev.name, []).append((ev.kind.value, ev.attempt))
    assert by_name == {
        "flaky": [("started", 1), ("retried", 1), ("retried", 2), ("finished", 3)],
        "fail": [("started", 1), ("finished", 1)],
        "after": [("finished", 0)],  # never started: its dependency failed
    }
    times = [ev.time for ev in iterated]
    assert times == sorted(times)
    seen = [ev for ev in iterated if ev.name == "flaky"]
    assert seen[0].time == 0.0
    assert seen[1].wait == 2.0
    assert isinstance(seen[1].error, HttpError)
    assert seen[2].wait == 4.0
    # 3 attempts of 1 s plus waits of 2 s and 4 s
    assert seen[3].elapsed == 9.0 == orch.outcomes["flaky"].duration
    assert seen[3].outcome is orch.outcomes["flaky"]
    finished_fail = [ev for ev in iterated if ev.name == "fail"][-1]
    assert finished_fail.kind == EventKind.FINISHED
    assert isinstance(finished_fail.error, ValueError)


async def test_iterating_in_the_block_ends_when_the_work_is_done() -> None:
    async with Orchestrator() as orch:
        events = orch.events()  # subscribing before submitting is fine
        orch.submit("a", asyncio.sleep, 0.001)
        first = [ev.kind.value async for ev in events]
        assert first == ["started", "finished"]
        orch.submit("b", asyncio.sleep, 0)
        second = [(ev.kind.value, ev.name) async for ev in orch.events()]
        assert second == [("started", "b"), ("finished", "b")]
        assert [ev async for ev in orch.events()] == []  # idle: nothing to wait for


async def test_another_task_listens_until_the_orchestrator_closes() -> None:
    orch = Orchestrator()
    stream = orch.events()
    seen: list[str] = []

    async def listen() -> None:
        async for ev in stream:
            seen.append(f"{ev.kind.value} {ev.name}")

    async with asyncio.TaskGroup() as tg:
        tg.create_task(listen())
        async with orch:
            await asyncio.sleep(0.001)  # idle for a moment: the listener must not stop
            orch.submit("late", asyncio.sleep, 0)
    assert seen == ["started late", "finished late"]
    assert [ev async for ev in orch.events()] == []  # after closing: ends at once


async def test_nobody_listening_never_blocks_and_bounded_buffers_drop_the_oldest() -> None:
    async with Orchestrator(event_buffer=3) as orch:
        stream = orch.events()  # subscribed, never read while the work runs
        for i in range(10):
            orch.submit(str(i), asyncio.sleep, 0)
    assert len(orch.outcomes) == 10
    assert stream.dropped == 20 - 3
    kept = [(ev.kind.value, ev.name) async for ev in stream]
    assert kept == [("finished", "7"), ("finished", "8"), ("finished", "9")]


async def test_closed_stream_receives_nothing_more() -> None:
    async with Orchestrator() as orch:
        stream = orch.events()
        await stream.aclose()
        orch.submit("a", asyncio.sleep, 0)
        assert [ev async for ev in stream] == []


async def test_a_failing_callback_is_logged_and_does_not_break_operations(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("display bug")

    with caplog.at_level(logging.ERROR, logger="asyncconsole.orchestrator"):
        async with Orchestrator(on_event=broken) as orch:
            orch.submit("a", asyncio.sleep, 0, result="fine")
    assert orch.outcomes["a"].value == "fine"
    assert "on_event callback failed" in caplog.text
    assert "display bug" in caplog.text
