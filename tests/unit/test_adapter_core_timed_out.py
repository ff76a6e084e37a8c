"""The adapter core's ``timed_out``: a call that ran out of its own time says what it saw."""

from __future__ import annotations

import logging

import pytest

from asyncconsole import FakeClock, KubernetesError, KubernetesTimeoutError
from asyncconsole.infra._core import AdapterCore, ErrorTypes, Operation

ERRORS = ErrorTypes("Kubernetes API", base=KubernetesError, timeout=KubernetesTimeoutError)
WAIT = Operation("test.wait", idempotent=True)
READ = Operation("test.read", idempotent=True)


def core(clock: FakeClock) -> AdapterCore:
    return AdapterCore(
        ERRORS, endpoint="https://api:6443", logger=logging.getLogger("test"), clock=clock
    )


async def test_a_wait_out_of_time_raises_its_own_timeout_error() -> None:
    clock = FakeClock()
    seen = ["1 of 3 ready"]

    async def waiting(left: float | None) -> str:
        await clock.sleep(100)
        return "never"

    def timed_out(limit: float | None) -> KubernetesTimeoutError:
        return KubernetesTimeoutError(f"not ready within {limit}s (last seen: {seen[-1]})")

    with pytest.raises(KubernetesTimeoutError, match=r"within 5.0s \(last seen: 1 of 3 ready"):
        await core(clock).call(WAIT, "wait", waiting, timeout=5.0, timed_out=timed_out)
    assert clock.monotonic() == pytest.approx(5.0)


async def test_a_nested_call_ended_by_its_callers_deadline_raises_the_callers_error() -> None:
    clock = FakeClock()
    adapter = core(clock)

    async def read(left: float | None) -> str:
        await clock.sleep(100)
        return "never"

    def inner(limit: float | None) -> KubernetesTimeoutError:
        raise AssertionError("the read's own deadline did not pass: the wait's did")

    async def waiting(left: float | None) -> str:
        return await adapter.call(READ, "read", read, timeout=30.0, timed_out=inner)

    def outer(limit: float | None) -> KubernetesTimeoutError:
        return KubernetesTimeoutError(f"the wait ran out ({limit}s)")

    with pytest.raises(KubernetesTimeoutError, match=r"the wait ran out \(1.0s\)"):
        await adapter.call(WAIT, "wait", waiting, timeout=1.0, timed_out=outer)
