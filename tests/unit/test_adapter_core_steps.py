"""The adapter core for calls made of steps: compound calls, quiet steps, steps in other tasks,
cleanup after a deadline, and what a cancelled caller raises."""

from __future__ import annotations

import asyncio
import logging

import pytest

from asyncconsole import DockerError, DockerTimeoutError, FakeClock, RetryPolicy
from asyncconsole.infra._core import (
    AdapterCore,
    ErrorTypes,
    FaultPlan,
    Operation,
    PeerFailure,
    finish,
    undo,
)

ERRORS = ErrorTypes("Docker daemon", base=DockerError, timeout=DockerTimeoutError)
READ = Operation("test.read", idempotent=True)
RUN = Operation("test.run", idempotent=False, compound=True)
LOG = logging.getLogger("test.core.steps")


def core(clock: FakeClock, faults: FaultPlan | None = None) -> AdapterCore:
    return AdapterCore(
        ERRORS,
        endpoint="unix:///var/run/docker.sock",
        logger=LOG,
        clock=clock,
        timeout=2.0,
        retry=RetryPolicy(attempts=3, wait_initial=0.1, wait_jitter=0.0, timeout=None),
        faults=faults,
    )


async def test_a_compound_call_meets_faults_before_it_but_not_after_its_parts_acted() -> None:
    plan = FaultPlan()
    plan.add("reset", operations={"test.run"})
    done: list[str] = []

    async def run(left: float | None) -> str:
        done.append("created and started")
        return "c1"

    adapter = core(FakeClock(), plan)
    assert await adapter.call(RUN, "run", run) == "c1"
    plan.clear()
    plan.add("refuse", operations={"test.run"}, times=1)
    with pytest.raises(DockerError, match="unreachable"):
        await adapter.call(RUN, "run", run, retry=None)
    assert done == ["created and started"]
    assert plan.reached["test.run"] == 1


async def test_a_quiet_step_logs_no_event_of_its_own(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOG.name)
    adapter = core(FakeClock())

    async def step(left: float | None) -> str:
        return "ok"

    async def whole(left: float | None) -> str:
        return await adapter.call(READ, "step", step, quiet=True)

    assert await adapter.call(READ, "whole", whole) == "ok"
    events = [r.asyncconsole for r in caplog.records if hasattr(r, "asyncconsole")]
    assert [(e["operation"], e["target"]) for e in events] == [("test.read", "whole")]


async def test_a_step_shielded_in_another_task_still_ends_at_the_callers_deadline() -> None:
    clock = FakeClock()
    adapter = core(clock)
    inner: list[asyncio.Future[str]] = []

    async def hang(left: float | None) -> str:
        await clock.sleep(100)
        return "too late"

    async def outer(left: float | None) -> str:
        # Shielded: the caller's deadline cancels the caller, not the step.
        inner.append(asyncio.ensure_future(adapter.call(READ, "step", hang, quiet=True)))
        return await asyncio.shield(inner[0])

    with pytest.raises(DockerTimeoutError):
        await adapter.call(READ, "whole", outer)
    with pytest.raises(DockerTimeoutError, match="step"):
        await inner[0]
    assert clock.monotonic() == pytest.approx(2.0)


async def test_cleanup_after_a_deadline_gets_a_deadline_of_its_own() -> None:
    clock = FakeClock()
    adapter = core(clock)
    cleaned: list[str] = []

    async def slow_cleanup(left: float | None) -> None:
        await clock.sleep(0.5)
        cleaned.append("removed")

    async def attempt(left: float | None) -> str:
        try:
            await clock.sleep(10)
        except asyncio.CancelledError:
            # The call's deadline has passed: the cleanup's own call must still get its time.
            await undo(
                "remove what was made",
                adapter.call(READ, "remove", slow_cleanup, timeout=3.0, quiet=True),
                limit=5.0,
                logger=LOG,
            )
            raise
        return "never"

    with pytest.raises(DockerTimeoutError):
        await adapter.call(READ, "make", attempt)
    assert cleaned == ["removed"]
    assert clock.monotonic() == pytest.approx(2.5)


async def test_a_cancelled_caller_raises_the_cancellation_whatever_the_step_did() -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def step() -> None:
        started.set()
        await release.wait()
        raise PeerFailure("lost", "connection reset")

    caller = asyncio.ensure_future(finish(step()))
    await started.wait()
    caller.cancel()
    await asyncio.sleep(0)
    assert not caller.done(), "the step is allowed to finish"
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await caller


async def test_a_refusal_without_a_status_names_the_endpoint() -> None:
    async def build(left: float | None) -> str:
        raise PeerFailure("status", "pull access denied")

    with pytest.raises(DockerError) as caught:
        await core(FakeClock()).call(READ, "build image x", build, retry=None)
    assert str(caught.value) == (
        "build image x: pull access denied (from unix:///var/run/docker.sock)"
    )


async def test_a_step_of_a_self_timed_call_still_ends_at_its_deadline() -> None:
    # A self-timed caller (the HTTP client) arms no scope: its steps must arm their own.
    clock = FakeClock()
    outer = AdapterCore(
        ERRORS, endpoint="http://host", logger=LOG, clock=clock, timeout=2.0, self_timed=True
    )
    inner = core(clock)

    async def hang(left: float | None) -> str:
        await clock.sleep(100)
        return "too late"

    async def request(left: float | None) -> str:
        return await inner.call(READ, "reconcile", hang, quiet=True)

    with pytest.raises(DockerTimeoutError, match="reconcile"):
        await outer.call(READ, "PUT http://host/x", request)
    assert clock.monotonic() == pytest.approx(2.0)
