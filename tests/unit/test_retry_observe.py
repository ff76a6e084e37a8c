"""The reliability layer on its own: RetryPolicy/is_transient and observe() (logs and spans)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest

import asyncconsole._observe as observe_module
from asyncconsole import NO_RETRY, FakeClock, HttpError, RetryPolicy, Secret
from asyncconsole._errors import DockerError, KubernetesError
from asyncconsole._observe import observe
from asyncconsole._retry import is_transient

LOGGER = logging.getLogger("asyncconsole.test.observe")


class Flaky:
    """Fails with ``errors`` in turn, then returns ``"done"``; counts its calls."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def transient(text: str = "busy", retry_after: float | None = None) -> KubernetesError:
    err = KubernetesError(text, status=503)
    err.transient = True
    err.retry_after = retry_after
    return err


# -- RetryPolicy ---------------------------------------------------------------------------------


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="attempts must be >= 1"):
        RetryPolicy(attempts=0)


async def test_transient_failures_are_retried_with_exponential_backoff_on_the_clock() -> None:
    clock = FakeClock()
    seen: list[tuple[int, str, float]] = []
    policy = RetryPolicy(attempts=4, wait_initial=0.5, wait_jitter=0, timeout=None)
    op = Flaky(transient("a"), transient("b"), transient("c"))
    result = await policy.run(
        op, clock=clock, on_retry=lambda n, exc, wait: seen.append((n, str(exc), wait))
    )
    assert (result, op.calls) == ("done", 4)
    assert clock.sleeps == [0.5, 1.0, 2.0], clock.sleeps
    assert [(n, w) for n, _, w in seen] == [(1, 0.5), (2, 1.0), (3, 2.0)], seen
    assert [text for _, text, _ in seen] == ["a", "b", "c"], seen


async def test_success_first_time_costs_no_wait() -> None:
    clock = FakeClock()
    op = Flaky()
    assert await RetryPolicy().run(op, clock=clock) == "done"
    assert (op.calls, clock.sleeps) == (1, [])


async def test_permanent_errors_are_raised_at_once_unchanged() -> None:
    clock = FakeClock()
    error = KubernetesError("forbidden", status=403)
    op = Flaky(error)
    with pytest.raises(KubernetesError) as caught:
        await RetryPolicy(attempts=5).run(op, clock=clock)
    assert caught.value is error
    assert (op.calls, clock.sleeps) == (1, [])


async def test_exhausted_retries_raise_the_last_error() -> None:
    clock = FakeClock()
    last = transient("third")
    op = Flaky(transient("first"), transient("second"), last, transient("never"))
    with pytest.raises(KubernetesError) as caught:
        await RetryPolicy(attempts=3, wait_jitter=0, timeout=None).run(op, clock=clock)
    assert caught.value is last
    assert op.calls == 3


async def test_the_total_time_budget_stops_retrying() -> None:
    clock = FakeClock()
    op = Flaky(*(transient() for _ in range(20)))
    policy = RetryPolicy(attempts=20, wait_initial=1.0, wait_max=1.0, wait_jitter=0, timeout=3.5)
    with pytest.raises(KubernetesError):
        await policy.run(op, clock=clock)
    assert sum(clock.sleeps) <= 3.5, clock.sleeps
    assert op.calls == 4, f"waits of 1 s fit three times into 3.5 s: {op.calls} calls"


async def test_a_server_requested_wait_is_honoured_up_to_the_budget() -> None:
    clock = FakeClock()
    op = Flaky(transient(retry_after=7.0))
    policy = RetryPolicy(attempts=3, wait_initial=0.1, wait_max=1.0, wait_jitter=0, timeout=30)
    assert await policy.run(op, clock=clock) == "done"
    assert clock.sleeps == [7.0], clock.sleeps
    op = Flaky(transient(retry_after=100.0))
    assert await policy.run(op, clock=clock) == "done"
    assert clock.sleeps[-1] <= 30, f"clipped to what is left of the budget: {clock.sleeps}"


async def test_jitter_stays_within_its_bound() -> None:
    policy = RetryPolicy(wait_initial=1.0, wait_jitter=0.25, wait_max=10)
    waits = [policy.backoff(2) for _ in range(200)]
    assert all(2.0 <= w <= 2.25 for w in waits), (min(waits), max(waits))
    assert len(set(waits)) > 1, "jitter varies"


async def test_no_retry_tries_once_and_a_custom_predicate_decides() -> None:
    op = Flaky(transient())
    with pytest.raises(KubernetesError):
        await NO_RETRY.run(op, clock=FakeClock())
    assert op.calls == 1
    op = Flaky(ValueError("odd"), ValueError("odd"))
    policy = RetryPolicy(wait_jitter=0, retry_on=lambda exc: isinstance(exc, ValueError))
    assert await policy.run(op, clock=FakeClock()) == "done"
    assert op.calls == 3


async def test_call_passes_arguments() -> None:
    async def add(a: int, b: int) -> int:
        return a + b

    assert await RetryPolicy().call(add, 2, b=3) == 5


async def test_cancelled_during_a_backoff_makes_no_further_attempt() -> None:
    clock = FakeClock(auto_advance=False)
    op = Flaky(transient(), transient())
    policy = RetryPolicy(attempts=5, wait_initial=10, wait_max=60, wait_jitter=0, timeout=None)
    task = asyncio.ensure_future(policy.run(op, clock=clock))
    for _ in range(100):
        if clock.sleeps:
            break
        await asyncio.sleep(0)
    assert clock.sleeps == [10], "the first backoff has begun"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await clock.advance(60)
    assert op.calls == 1, "nothing ran after the cancellation"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (HttpError("x", method="GET", url="u", status=503), True),
        (HttpError("x", method="GET", url="u", status=429), True),
        (HttpError("x", method="GET", url="u", status=None), True),
        (HttpError("x", method="GET", url="u", status=404), False),
        (HttpError("x", method="GET", url="u", status=500), False),
        (transient(), True),
        (DockerError("conflict", status=409), False),
        (ConnectionResetError("reset"), True),
        (ValueError("bad input"), False),
    ],
)
def test_is_transient(error: BaseException, expected: bool) -> None:
    assert is_transient(error) is expected, error


# -- observe ---------------------------------------------------------------------------------------


def _events(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.asyncconsole for r in caplog.records if r.name == LOGGER.name]  # type: ignore[attr-defined]


async def test_one_event_per_call_with_operation_target_duration_and_outcome(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER.name)
    async with observe(LOGGER, "thing.read", "host:1", size=3) as info:
        info["status"] = 200
    with pytest.raises(KeyError):
        async with observe(LOGGER, "thing.write", "host:2"):
            raise KeyError("k")
    events = _events(caplog)
    assert len(events) == 2, events
    ok, failed = events
    assert (ok["operation"], ok["target"], ok["outcome"]) == ("thing.read", "host:1", "ok")
    assert (ok["size"], ok["status"]) == (3, 200), ok
    assert isinstance(ok["duration"], float), ok
    assert ok["duration"] >= 0, ok
    assert (failed["operation"], failed["outcome"]) == ("thing.write", "error: KeyError")
    levels = [r.levelno for r in caplog.records if r.name == LOGGER.name]
    assert levels == [logging.DEBUG, logging.INFO], "failures are logged one level higher"


async def test_a_cancelled_call_logs_cancelled(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER.name)

    async def slow() -> None:
        async with observe(LOGGER, "thing.wait", "host"):
            await asyncio.sleep(3600)

    task = asyncio.ensure_future(slow())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [e["outcome"] for e in _events(caplog)] == ["cancelled"]


async def test_secrets_are_masked_in_messages_and_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER.name)
    async with observe(LOGGER, "thing.login", "host", password=Secret("hunter2")) as info:
        info["token"] = Secret("s3cr3t")
    text = caplog.text + repr([r.__dict__ for r in caplog.records])
    assert "hunter2" not in text, text
    assert "s3cr3t" not in text, text
    assert "token=********" in caplog.text, caplog.text


async def test_nothing_is_formatted_when_the_level_is_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER.name)
    async with observe(LOGGER, "thing.read", "host"):
        pass
    assert _events(caplog) == []


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(observe_module, "_tracer", provider.get_tracer("test"))
    monkeypatch.setattr(observe_module, "_tracer_checked", True)
    monkeypatch.setattr(observe_module, "_tracing_state", [False, float("-inf")])
    yield exporter
    provider.shutdown()


async def test_each_call_is_a_span_with_attributes(spans: Any) -> None:
    async with observe(LOGGER, "thing.read", "host:1", password=Secret("hunter2")) as info:
        info["count"] = 4
    with pytest.raises(KeyError):
        async with observe(LOGGER, "thing.write", "host:2"):
            raise KeyError("k")
    finished = {s.name: s for s in spans.get_finished_spans()}
    assert set(finished) == {"thing.read", "thing.write"}, finished
    read = finished["thing.read"]
    assert read.attributes["asyncconsole.target"] == "host:1"
    assert read.attributes["asyncconsole.count"] == 4
    assert read.attributes["asyncconsole.password"] == "********", "secrets masked in spans"
    assert read.status.is_ok
    write = finished["thing.write"]
    assert write.status.status_code.name == "ERROR"
    assert [e.name for e in write.events] == ["exception"], "the error is recorded once"
