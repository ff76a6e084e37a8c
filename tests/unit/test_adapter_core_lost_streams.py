"""A fault plan that loses an answer loses what the answer opened: a stream is closed."""

from __future__ import annotations

import logging

import pytest

from asyncconsole import FakeClock, InfrastructureError, KubernetesError, KubernetesTimeoutError
from asyncconsole.infra._core import AdapterCore, ErrorTypes, FaultPlan, Operation

ERRORS = ErrorTypes("Kubernetes API", base=KubernetesError, timeout=KubernetesTimeoutError)
OPEN = Operation("test.follow", idempotent=False)


class Stream:
    def __init__(self) -> None:
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


@pytest.mark.parametrize("kind", ["reset", "status", "malformed"])
async def test_a_stream_whose_answer_was_lost_is_closed(kind: str) -> None:
    plan = FaultPlan()
    plan.add(kind, times=1)  # type: ignore[arg-type]
    core = AdapterCore(
        ERRORS,
        endpoint="https://api:6443",
        logger=logging.getLogger("test"),
        clock=FakeClock(),
        faults=plan,
    )
    opened: list[Stream] = []

    async def attempt(left: float | None) -> Stream:
        opened.append(Stream())
        return opened[-1]

    with pytest.raises(InfrastructureError):
        await core.call(OPEN, "follow logs", attempt)
    assert [s.closed for s in opened] == [True], "the peer's side ended with the connection"
    assert not (await core.call(OPEN, "follow logs", attempt)).closed
