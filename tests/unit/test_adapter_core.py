"""The adapter core: one deadline per call, retries that know idempotency, reconcile, typing."""

from __future__ import annotations

import logging

import pytest

from asyncconsole import (
    DockerError,
    DockerNotFoundError,
    DockerTimeoutError,
    FakeClock,
    MalformedResponseError,
    RetryPolicy,
)
from asyncconsole.infra._core import (
    AdapterCore,
    ErrorTypes,
    FaultPlan,
    Operation,
    PeerFailure,
    check_timeout,
    time_left,
)

ERRORS = ErrorTypes(
    "Docker daemon", base=DockerError, timeout=DockerTimeoutError, not_found=DockerNotFoundError
)
READ = Operation("test.read", idempotent=True)
CREATE = Operation("test.create", idempotent=False)
RETRY = RetryPolicy(attempts=5, wait_initial=0.5, wait_max=0.5, wait_jitter=0.0, timeout=None)


def core(
    clock: FakeClock, *, timeout: float | None = 2.0, faults: FaultPlan | None = None
) -> AdapterCore:
    return AdapterCore(
        ERRORS,
        endpoint="unix:///var/run/docker.sock",
        logger=logging.getLogger("test.core"),
        clock=clock,
        timeout=timeout,
        retry=RETRY,
        faults=faults,
    )


async def test_one_deadline_covers_every_attempt_and_wait() -> None:
    # Each attempt hangs 0.8 s then loses its answer: 5 attempts would take 6 s.
    clock = FakeClock()
    tries = 0

    async def attempt(left: float | None) -> str:
        nonlocal tries
        tries += 1
        assert left is not None
        assert left <= 2.0
        await clock.sleep(0.8)
        raise PeerFailure("lost", "reset")

    with pytest.raises(DockerTimeoutError) as caught:
        await core(clock).call(READ, "inspect container c1", attempt)
    assert clock.monotonic() == pytest.approx(2.0)
    assert tries == 2
    assert "inspect container c1" in str(caught.value)
    assert "unix:///var/run/docker.sock" in str(caught.value)
    assert caught.value.timeout == 2.0


async def test_a_nested_call_never_outlives_its_caller() -> None:
    clock = FakeClock()
    adapter = core(clock, timeout=30.0)
    seen: list[float | None] = []

    async def read(left: float | None) -> str:
        seen.append(left)
        await clock.sleep(100)
        return "never"

    async def wait(left: float | None) -> str:
        seen.append(time_left(clock))
        return await adapter.call(READ, "read deployment", read)

    with pytest.raises(DockerTimeoutError) as caught:
        await adapter.call(READ, "wait for deployment", wait, timeout=1.0)
    assert clock.monotonic() == pytest.approx(1.0)
    assert seen == [pytest.approx(1.0), pytest.approx(1.0)]
    assert "wait for deployment" in str(caught.value)


async def test_idempotent_calls_are_retried_and_others_are_not() -> None:
    clock = FakeClock()
    adapter = core(clock, timeout=None)
    counts = {"read": 0, "create": 0}

    def flaky(name: str) -> object:
        async def attempt(left: float | None) -> str:
            counts[name] += 1
            if counts[name] < 3:
                raise PeerFailure("status", "busy", status=503)
            return "ok"

        return attempt

    assert await adapter.call(READ, "read", flaky("read")) == "ok"  # type: ignore[arg-type]
    with pytest.raises(DockerError) as caught:
        await adapter.call(CREATE, "create", flaky("create"))  # type: ignore[arg-type]
    assert counts == {"read": 3, "create": 1}
    assert caught.value.context["status"] == 503
    assert "status 503" in str(caught.value)


async def test_a_request_that_never_left_is_retried_even_when_unsafe() -> None:
    clock = FakeClock()
    tries = 0

    async def attempt(left: float | None) -> str:
        nonlocal tries
        tries += 1
        if tries == 1:
            raise PeerFailure("unreachable", "connection refused")
        return "created"

    assert await core(clock).call(CREATE, "create container", attempt) == "created"
    assert tries == 2


async def test_a_lost_create_is_reconciled() -> None:
    clock = FakeClock()

    async def lost(left: float | None) -> str:
        raise PeerFailure("lost", "connection reset")

    async def there() -> str | None:
        return "c1"

    async def absent() -> str | None:
        return None

    adapter = core(clock)
    assert await adapter.call(CREATE, "create", lost, reconcile=there) == "c1"
    with pytest.raises(DockerError, match="connection reset"):
        await adapter.call(CREATE, "create", lost, reconcile=absent)


async def test_a_refused_create_is_not_reconciled() -> None:
    clock = FakeClock()
    asked = 0

    async def refused(left: float | None) -> str:
        raise PeerFailure("status", "No such image", status=404)

    async def reconcile() -> str | None:
        nonlocal asked
        asked += 1
        return "c1"

    with pytest.raises(DockerNotFoundError, match="No such image"):
        await core(clock).call(CREATE, "create", refused, reconcile=reconcile)
    assert asked == 0


async def test_garbage_becomes_a_typed_error_naming_endpoint_and_status() -> None:
    async def garbage(left: float | None) -> str:
        raise PeerFailure("malformed", "not JSON: begins '<html>'", status=200)

    with pytest.raises(MalformedResponseError) as caught:
        await core(FakeClock()).call(READ, "list containers", garbage)
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.endpoint, error.status) == ("unix:///var/run/docker.sock", 200)
    assert "list containers" in str(error)
    assert "status 200" in str(error)


async def test_fault_plans_hang_until_the_deadline_and_count_what_arrived() -> None:
    clock = FakeClock()
    plan = FaultPlan(seed=1)
    plan.add("hang", operations={"test.read"}, times=1)
    adapter = core(clock, faults=plan)

    async def attempt(left: float | None) -> str:
        return "ok"

    with pytest.raises(DockerTimeoutError):
        await adapter.call(READ, "read", attempt)
    assert clock.monotonic() == pytest.approx(2.0)
    assert await adapter.call(READ, "read", attempt) == "ok"
    assert plan.reached["test.read"] == 2


async def test_a_reset_after_the_fake_acted_is_reconciled() -> None:
    plan = FaultPlan()
    plan.add("reset", operations={"test.create"}, times=1)
    made: list[str] = []

    async def create(left: float | None) -> str:
        made.append("c1")
        return "c1"

    async def reconcile() -> str | None:
        return made[0] if made else None

    assert (
        await core(FakeClock(), faults=plan).call(CREATE, "create", create, reconcile=reconcile)
        == "c1"
    )
    assert made == ["c1"]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0])
def test_timeouts_must_be_finite_and_not_negative(bad: float) -> None:
    with pytest.raises(ValueError, match="request_timeout"):
        check_timeout("request_timeout", bad)
    assert check_timeout("request_timeout", None) is None
    assert check_timeout("request_timeout", 3) == 3.0
