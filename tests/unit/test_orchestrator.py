"""Orchestrator core: outcomes, limits, fail_fast, dependencies, deadlines, handles, retries."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from asyncconsole import (
    FakeClock,
    HttpError,
    OperationCancelledError,
    OperationTimeoutError,
    Orchestrator,
    OutcomeStatus,
    RetryPolicy,
)


async def forever() -> None:
    await asyncio.Event().wait()


async def value(x: Any) -> Any:
    await asyncio.sleep(0)
    return x


async def boom(message: str = "boom") -> None:
    await asyncio.sleep(0)
    raise ValueError(message)


def others() -> set[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current}


def transient(status: int = 503) -> HttpError:
    return HttpError("unavailable", method="GET", url="http://x/", status=status)


async def test_outcomes_under_mixed_success_failure_timeout_and_cancellation() -> None:
    clock = FakeClock()

    async def slept(seconds: float) -> str:
        await clock.sleep(seconds)
        return f"slept {seconds}"

    async with Orchestrator(clock=clock) as orch:
        orch.submit("ok", slept, 5)
        orch.submit("failed", boom, "disk full")
        orch.submit("timed_out", forever, timeout=0.02)
        cancelled = orch.submit("cancelled", forever)
        orch.submit("skipped", value, 1, after=["failed"])
        await asyncio.sleep(0)
        assert cancelled.cancel("not needed any more")

    out = orch.outcomes
    assert list(out) == ["ok", "failed", "timed_out", "cancelled", "skipped"]
    assert {n: o.status for n, o in out.items()} == {
        "ok": "ok",
        "failed": "failed",
        "timed_out": "timed_out",
        "cancelled": "cancelled",
        "skipped": "cancelled",
    }
    assert out["ok"].value == "slept 5"
    assert out["ok"].error is None
    assert out["ok"].ok
    assert out["ok"].duration == 5.0  # on the injected clock: no real waiting
    assert out["ok"].attempts == 1
    assert isinstance(out["failed"].error, ValueError)
    assert out["failed"].detail == "ValueError: disk full"
    assert isinstance(out["timed_out"].error, OperationTimeoutError)
    assert out["timed_out"].error.timeout == 0.02
    assert "within its timeout of 0.02s" in out["timed_out"].detail
    err = out["cancelled"].error
    assert isinstance(err, OperationCancelledError)
    assert err.reason == "not needed any more"
    skipped = out["skipped"].error
    assert isinstance(skipped, OperationCancelledError)
    assert skipped.dependency == "failed"
    assert "'failed'" in out["skipped"].detail
    assert out["skipped"].attempts == 0
    assert all(o.status in {"ok", "failed", "timed_out", "cancelled"} for o in out.values())
    assert not others()


async def test_status_is_a_string_enum() -> None:
    status: str = OutcomeStatus.TIMED_OUT
    assert status == "timed_out"
    assert str(OutcomeStatus.OK) == "ok"
    assert [s.value for s in OutcomeStatus] == ["ok", "failed", "timed_out", "cancelled"]


@pytest.mark.parametrize("limit", [1, 3, 7])
async def test_concurrency_limit_respected_at_every_instant(limit: int) -> None:
    clock = FakeClock()
    rng = random.Random(limit)
    running = 0
    peak = 0
    samples: list[int] = []

    async def op(seconds: float) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        samples.append(running)
        try:
            for _ in range(3):
                await clock.sleep(seconds)
                samples.append(running)
        finally:
            running -= 1

    async with Orchestrator(max_concurrency=limit, clock=clock) as orch:
        for i in range(40):
            orch.submit(f"op{i}", op, rng.uniform(0.1, 2.0))
    assert all(n <= limit for n in samples)
    assert peak == limit  # and the limit is actually used
    assert all(o.ok for o in orch.outcomes.values())
    assert len(orch.outcomes) == 40


async def test_unlimited_concurrency_runs_everything_at_once() -> None:
    started = 0
    gate = asyncio.Event()

    async def op() -> None:
        nonlocal started
        started += 1
        if started == 50:
            gate.set()
        await gate.wait()

    async with Orchestrator() as orch:
        for i in range(50):
            orch.submit(str(i), op)
    assert all(o.ok for o in orch.outcomes.values())


async def test_fail_fast_cancels_the_others_and_raises_an_exception_group() -> None:
    cleaned: list[str] = []

    async def slow(name: str) -> None:
        try:
            await forever()
        finally:
            cleaned.append(name)

    orch = Orchestrator(fail_fast=True)

    async def run() -> None:
        async with orch:
            orch.submit("a", slow, "a")
            orch.submit("b", slow, "b")
            orch.submit("bad", boom, "broken")
            await forever()  # the block itself is cancelled too

    with pytest.raises(ExceptionGroup) as caught:
        await run()
    assert [type(e) for e in caught.value.exceptions] == [ValueError]
    assert sorted(cleaned) == ["a", "b"]
    assert orch.outcomes["bad"].status == "failed"
    for name in ("a", "b"):
        outcome = orch.outcomes[name]
        assert outcome.status == "cancelled"
        assert "'bad' ended failed and fail_fast is set" in outcome.detail
    assert not others()


async def test_fail_fast_on_a_timeout_raises_the_timeout() -> None:
    orch = Orchestrator(fail_fast=True)

    async def run() -> None:
        async with orch:
            orch.submit("slow", forever, timeout=0.01)
            orch.submit("other", forever)

    with pytest.raises(ExceptionGroup) as caught:
        await run()
    assert [type(e) for e in caught.value.exceptions] == [OperationTimeoutError]
    assert orch.outcomes["slow"].status == "timed_out"
    assert orch.outcomes["other"].status == "cancelled"


async def test_fail_fast_block_exception_alone_propagates_unchanged() -> None:
    orch = Orchestrator(fail_fast=True)

    async def run() -> None:
        async with orch:
            orch.submit("waiting", forever)
            await asyncio.sleep(0)
            raise LookupError("mine")

    with pytest.raises(LookupError, match="mine"):
        await run()
    assert orch.outcomes["waiting"].status == "cancelled"


async def test_without_fail_fast_a_failure_does_not_disturb_the_others() -> None:
    async with Orchestrator() as orch:
        orch.submit("bad", boom)
        good = orch.submit("good", value, 42)
        assert await good == 42
    assert orch.outcomes["bad"].status == "failed"


async def test_dependencies_run_in_order_and_pass_handles() -> None:
    clock = FakeClock()
    log: list[str] = []

    async def step(name: str, seconds: float) -> str:
        log.append(f"start {name}")
        await clock.sleep(seconds)
        log.append(f"end {name}")
        return name

    async with Orchestrator(clock=clock) as orch:
        snapshot = orch.submit("snapshot", step, "snapshot", 10)
        orch.submit("metadata", step, "metadata", 1, after=[snapshot])
        orch.submit("backfill", step, "backfill", 1, after=["snapshot", "metadata"])
        orch.submit("independent", step, "independent", 1)
    assert log.index("end snapshot") < log.index("start metadata")
    assert log.index("end metadata") < log.index("start backfill")
    assert log.index("start independent") < log.index("end snapshot")
    assert all(o.ok for o in orch.outcomes.values())


async def test_a_failed_dependency_cancels_the_whole_chain_naming_the_dependency() -> None:
    ran: list[str] = []

    async def mark(name: str) -> None:
        ran.append(name)

    async with Orchestrator() as orch:
        orch.submit("snapshot", boom, "repo missing")
        orch.submit("backfill", mark, "backfill", after=["snapshot"])
        orch.submit("verify", mark, "verify", after=["backfill"])
    assert ran == []
    backfill, verify = orch.outcomes["backfill"], orch.outcomes["verify"]
    assert backfill.status == verify.status == "cancelled"
    assert isinstance(backfill.error, OperationCancelledError)
    assert backfill.error.dependency == "snapshot"
    assert "its dependency 'snapshot' ended failed" in backfill.detail
    assert isinstance(verify.error, OperationCancelledError)
    assert verify.error.dependency == "backfill"
    assert "its dependency 'backfill' ended cancelled" in verify.detail


async def test_dependency_waiting_takes_no_slot() -> None:
    async with Orchestrator(max_concurrency=1) as orch:
        first = orch.submit("first", value, 1)
        orch.submit("second", value, 2, after=[first])
    assert orch.outcomes["second"].value == 2


async def test_bad_submissions_fail_at_submit_with_clear_errors() -> None:
    async with Orchestrator() as orch:
        orch.submit("a", value, 1)
        with pytest.raises(
            ValueError, match="'b' is after 'missing', which has not been submitted"
        ):
            orch.submit("b", value, 2, after=["missing"])
        with pytest.raises(ValueError, match="'c' is after 'c'"):  # a cycle cannot be formed
            orch.submit("c", value, 3, after=["c"])
        with pytest.raises(ValueError, match="'a' was already submitted"):
            orch.submit("a", value, 1)
        with pytest.raises(ValueError, match="timeout of 'd' must be > 0"):
            orch.submit("d", value, 1, timeout=0)
        with pytest.raises(TypeError, match="expected a coroutine function or awaitable"):
            orch.submit("e", 42)  # type: ignore[arg-type]
        coro = value(1)
        with pytest.raises(TypeError, match="cannot be retried"):
            orch.submit("f", coro, retry=RetryPolicy(attempts=3))
    assert list(orch.outcomes) == ["a"]
    with pytest.raises(RuntimeError, match="inside `async with Orchestrator"):
        orch.submit("late", value, 1)
    with pytest.raises(RuntimeError, match="entered only once"):
        async with orch:
            pass
    with pytest.raises(RuntimeError, match="inside `async with Orchestrator"):
        Orchestrator().submit("early", value, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"timeout": -1}, "timeout"),
        ({"event_buffer": 0}, "event_buffer"),
    ],
)
def test_bad_settings_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Orchestrator(**kwargs)


async def test_deadline_times_out_everything_unfinished() -> None:
    async def instant(x: str) -> str:
        return x  # finishes in its task's first step, before any timer can fire

    async with Orchestrator(max_concurrency=2, timeout=0.05) as orch:
        orch.submit("quick", instant, "done")
        orch.submit("stuck1", forever)
        orch.submit("stuck2", forever)
        orch.submit("queued", value, "never ran")  # waits for a slot past the deadline
        orch.submit("dependent", value, 1, after=["stuck1"])
    out = orch.outcomes
    assert out["quick"].status == "ok"
    for name in ("stuck1", "stuck2", "queued", "dependent"):
        assert out[name].status == "timed_out", name
        assert isinstance(out[name].error, OperationTimeoutError)
        assert "by the deadline of 0.05s" in out[name].detail
    assert out["stuck1"].attempts == 1
    assert out["queued"].attempts == 0
    assert out["queued"].duration == 0.0
    assert not others()


async def test_deadline_does_not_interrupt_the_block_itself() -> None:
    async with Orchestrator(timeout=0.02) as orch:
        orch.submit("stuck", forever)
        await asyncio.sleep(0.05)
        assert orch.outcomes["stuck"].status == "timed_out"
        late = orch.submit("late", value, 1)  # submitted after the deadline: no time left
        with pytest.raises(OperationTimeoutError):
            await late


async def test_timeout_raised_inside_an_operation_counts_as_timed_out() -> None:
    async def inner_timeout() -> None:
        raise OperationTimeoutError("cluster did not answer in 5s", timeout=5)

    async with Orchestrator() as orch:
        orch.submit("http", inner_timeout)
    assert orch.outcomes["http"].status == "timed_out"
    assert orch.outcomes["http"].detail == "cluster did not answer in 5s"


async def test_leaving_the_block_with_an_exception_cancels_and_awaits_every_child() -> None:
    cleaned: list[str] = []

    async def op(name: str) -> None:
        try:
            await forever()
        finally:
            await asyncio.sleep(0.001)  # cleanup that itself awaits completes too
            cleaned.append(name)

    orch = Orchestrator(max_concurrency=2)

    async def run() -> None:
        async with orch:
            for i in range(5):
                orch.submit(f"op{i}", op, f"op{i}")
            await asyncio.sleep(0.001)
            raise KeyError("oops")

    with pytest.raises(KeyError):  # the block's own exception, not wrapped in a group
        await run()
    assert sorted(cleaned) == ["op0", "op1"]  # the two running; the queued never started
    assert {o.status for o in orch.outcomes.values()} == {"cancelled"}
    assert "the orchestrator block raised KeyError" in orch.outcomes["op4"].detail
    assert "before it started" in orch.outcomes["op4"].detail
    assert "while running" in orch.outcomes["op0"].detail
    assert not others()


async def test_cancelling_the_caller_cancels_and_awaits_every_child() -> None:
    cleaned: list[str] = []
    inside = asyncio.Event()

    async def op(name: str) -> None:
        try:
            inside.set()
            await forever()
        finally:
            await asyncio.sleep(0.001)
            cleaned.append(name)

    holder: dict[str, Orchestrator] = {}

    async def caller() -> None:
        async with Orchestrator() as orch:
            holder["orch"] = orch
            for i in range(3):
                orch.submit(f"op{i}", op, f"op{i}")

    task = asyncio.create_task(caller())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(cleaned) == ["op0", "op1", "op2"]
    outcomes = holder["orch"].outcomes
    assert {o.status for o in outcomes.values()} == {"cancelled"}
    assert "the orchestrator was cancelled" in outcomes["op0"].detail
    assert not others()


async def test_handle_awaits_its_own_result() -> None:
    async with Orchestrator() as orch:
        ok = orch.submit("ok", value, {"green": True})
        bad = orch.submit("bad", boom, "red")
        slow = orch.submit("slow", forever, timeout=0.01)
        stopped = orch.submit("stopped", forever)
        assert repr(ok) == "<Handle 'ok' pending>"
        assert await ok == {"green": True}
        assert ok.done()
        assert ok.outcome is not None
        assert ok.outcome.value == {"green": True}
        with pytest.raises(ValueError, match="red"):
            await bad
        with pytest.raises(OperationTimeoutError):
            await slow
        await asyncio.sleep(0)
        assert stopped.cancel()
        with pytest.raises(OperationCancelledError, match="its handle was cancelled"):
            await stopped
        assert not stopped.cancel()  # already finished
        outcome = await bad.wait()  # the outcome, never raising
        assert outcome.status == "failed"
        assert ok.name == "ok"
        assert repr(ok) == "<Handle 'ok' ok>"


async def test_cancelling_a_handle_before_it_starts() -> None:
    ran = False

    async def op() -> None:
        nonlocal ran
        ran = True

    async with Orchestrator() as orch:
        handle = orch.submit("op", op)
        handle.cancel()
    assert not ran
    assert orch.outcomes["op"].status == "cancelled"
    assert orch.outcomes["op"].attempts == 0


async def test_retries_record_attempts_and_wait_on_the_injected_clock() -> None:
    clock = FakeClock()
    calls = {"flaky": 0, "fatal": 0, "exhausted": 0}

    async def flaky() -> str:
        calls["flaky"] += 1
        if calls["flaky"] < 3:
            raise transient()
        return "finally"

    async def fatal() -> None:
        calls["fatal"] += 1
        raise HttpError("bad request", method="POST", url="http://x/", status=400)

    async def exhausted() -> None:
        calls["exhausted"] += 1
        raise ConnectionResetError("reset by peer")

    policy = RetryPolicy(attempts=4, wait_initial=1.0, wait_jitter=0, timeout=None)
    async with Orchestrator(clock=clock, retry=policy) as orch:
        orch.submit("flaky", flaky)
        orch.submit("fatal", fatal)
        orch.submit("exhausted", exhausted)
        orch.submit("once", exhausted, retry=RetryPolicy(attempts=1))
    out = orch.outcomes
    assert (out["flaky"].status, out["flaky"].value, out["flaky"].attempts) == ("ok", "finally", 3)
    assert (out["fatal"].status, out["fatal"].attempts, calls["fatal"]) == ("failed", 1, 1)
    assert (out["exhausted"].status, out["exhausted"].attempts) == ("failed", 4)
    assert isinstance(out["exhausted"].error, ConnectionResetError)
    assert out["once"].attempts == 1
    assert calls["exhausted"] == 5  # 4 + 1: every attempt accounted for
    assert sorted(clock.sleeps) == [1.0, 1.0, 2.0, 2.0, 4.0]


async def test_duration_includes_the_waits_between_attempts() -> None:
    clock = FakeClock()
    calls = 0

    async def flaky() -> int:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise transient(429)
        return calls

    policy = RetryPolicy(attempts=3, wait_initial=1.0, wait_jitter=0, timeout=None)
    async with Orchestrator(clock=clock) as orch:
        orch.submit("flaky", flaky, retry=policy)
    assert orch.outcomes["flaky"].duration == 3.0  # waited 1 s then 2 s, on the fake clock
    assert orch.outcomes["flaky"].attempts == 3


async def test_per_operation_timeout_covers_all_attempts() -> None:
    calls = 0

    async def always_503() -> None:
        nonlocal calls
        calls += 1
        raise transient()

    policy = RetryPolicy(attempts=1000, wait_initial=0.002, wait_max=0.002, wait_jitter=0)
    async with Orchestrator(retry=policy) as orch:
        orch.submit("op", always_503, timeout=0.1)
    outcome = orch.outcomes["op"]
    assert outcome.status == "timed_out"
    assert 1 < outcome.attempts == calls < 1000


async def test_operations_can_submit_more_operations() -> None:
    async def parent(orch: Orchestrator) -> str:
        child = orch.submit("child", value, "from child")
        return f"parent saw {await child}"

    async with Orchestrator() as orch:
        orch.submit("parent", parent, orch)
    assert orch.outcomes["parent"].value == "parent saw from child"
    assert orch.outcomes["child"].ok


async def test_awaitables_and_keyword_arguments() -> None:
    async def greet(name: str, *, greeting: str) -> str:
        return f"{greeting}, {name}"

    async with Orchestrator(retry=RetryPolicy(attempts=3)) as orch:
        orch.submit("coro", value("made earlier"))
        orch.submit("kw", greet, "world", greeting="hello")
        never = value("never awaited")
        orch.submit("never", never, after=["kw"])
    assert orch.outcomes["coro"].value == "made earlier"
    assert orch.outcomes["kw"].value == "hello, world"
    assert orch.outcomes["never"].value == "never awaited"


async def test_unstarted_coroutine_objects_are_closed_when_cancelled() -> None:
    # filterwarnings=error turns a "never awaited" RuntimeWarning into a failure.
    orch = Orchestrator()

    async def run() -> None:
        async with orch:
            orch.submit("first", forever)
            orch.submit("second", value("never run"), after=["first"])
            raise RuntimeError("leave")

    with pytest.raises(RuntimeError, match="leave"):
        await run()
    assert orch.outcomes["second"].status == "cancelled"


async def test_repr_and_state() -> None:
    orch = Orchestrator()
    assert repr(orch) == "<Orchestrator new operations=0 finished=0>"
    async with orch:
        orch.submit("a", value, 1)
        assert not orch.closed
    assert orch.closed
    assert repr(orch) == "<Orchestrator closed operations=1 finished=1>"
