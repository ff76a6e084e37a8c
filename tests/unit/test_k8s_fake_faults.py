"""FakeK8sManager under faults, on fake time: the real manager's promises (issue 10), kept by
the same code (the adapter core applies the fake's fault plan)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from asyncconsole import (
    FakeClock,
    KubernetesTimeoutError,
    MalformedResponseError,
    OperationTimeoutError,
)
from asyncconsole.infra.kubernetes import FakeK8sManager, PodInfo
from asyncconsole.testing import FaultPlan

NS = "ma"
Call = Callable[[FakeK8sManager], Awaitable[Any]]

CALLS: dict[str, Call] = {
    "get_deployment_status": lambda k8s: k8s.get_deployment_status(NS, "web"),
    "list_pods": lambda k8s: k8s.list_pods(NS, label_selector="app=web"),
    "scale_deployment": lambda k8s: k8s.scale_deployment(NS, "web", 2),
    "read_secret": lambda k8s: k8s.read_secret(NS, "creds"),
    "wait_for_replicas": lambda k8s: k8s.wait_for_replicas(NS, "web", ready=1, timeout=60),
    "wait_for_pod": lambda k8s: k8s.wait_for_pod(NS, "tool", timeout=60),
    "create_pod": lambda k8s: k8s.create_pod(NS, _pod("made")),
    "exec_in_pod": lambda k8s: k8s.exec_in_pod(NS, "tool", ["true"]),
}


def _pod(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "job"}]}}


def _fake(clock: FakeClock, plan: FaultPlan, *, request_timeout: float = 2.0) -> FakeK8sManager:
    fake = FakeK8sManager(clock=clock, request_timeout=request_timeout, faults=plan)
    fake.add_deployment(NS, "web", replicas=1, labels={"app": "web"})
    fake.add_pod(NS, "tool")
    fake.add_secret(NS, "creds", {"password": "s3cr3t"})
    return fake


@pytest.mark.parametrize("name", ["get_deployment_status", "list_pods", "scale_deployment"])
async def test_a_hanging_api_costs_one_request_timeout(name: str) -> None:
    clock, plan = FakeClock(), FaultPlan()
    plan.add("hang")
    with pytest.raises(KubernetesTimeoutError) as caught:
        await CALLS[name](_fake(clock, plan))
    assert clock.monotonic() == pytest.approx(2.0), "retries stay within the one deadline"
    assert "fake://kubernetes" in str(caught.value)


async def test_a_wait_as_long_as_the_request_timeout_ends_on_time() -> None:
    clock, plan = FakeClock(), FaultPlan()
    plan.add("hang")
    with pytest.raises(KubernetesTimeoutError) as caught:
        await _fake(clock, plan).wait_for_replicas(NS, "web", ready=1, timeout=2.0)
    assert clock.monotonic() == pytest.approx(2.0)
    assert isinstance(caught.value, OperationTimeoutError)


async def test_a_wait_that_never_ends_is_a_kubernetes_timeout_naming_what_it_saw() -> None:
    clock = FakeClock()
    fake = _fake(clock, FaultPlan())
    with pytest.raises(KubernetesTimeoutError, match="did not reach 5 ready") as caught:
        await fake.wait_for_replicas(NS, "web", ready=5, timeout=600)
    assert "(last seen: 1 ready of 1 desired)" in str(caught.value)
    assert clock.monotonic() == pytest.approx(600)
    assert fake.active_watches == 0, "the wait closed its watch"


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_garbage_answers_are_typed_errors(name: str) -> None:
    plan = FaultPlan()
    plan.add("malformed")
    with pytest.raises(MalformedResponseError) as caught:
        await CALLS[name](_fake(FakeClock(), plan))
    assert caught.value.endpoint == "fake://kubernetes"


async def test_a_lost_create_answer_is_reconciled() -> None:
    plan = FaultPlan()
    plan.add("reset", operations=["k8s.create_pod"], times=1)
    fake = _fake(FakeClock(), plan)
    pod = await fake.create_pod(NS, _pod("dump-1"))
    assert isinstance(pod, PodInfo)
    assert pod.name == "dump-1"
    assert plan.reached["k8s.create_pod"] == 1, "sent once"
    assert [p.name for p in await fake.list_pods(NS, field_selector="metadata.name=dump-1")] == [
        "dump-1"
    ]


async def test_a_cancelled_create_leaves_no_pod() -> None:
    fake = _fake(FakeClock(), FaultPlan())
    start = fake.cluster.resource_version
    cancelled: list[str] = []
    for turns in range(8):
        name = f"dump-{turns}"
        task = asyncio.ensure_future(fake.create_pod(NS, _pod(name)))
        for _ in range(turns):
            await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            cancelled.append(name)
    left = [
        p["metadata"]["name"]
        for p in fake.cluster.select("pods", NS)
        if p["metadata"]["name"] in cancelled and not p["metadata"].get("deletionTimestamp")
    ]
    assert not left, f"cancelled creates left pods behind: {left}"
    assert len(cancelled) >= 3, cancelled
    made = {e.object["metadata"]["name"] for e in fake.cluster.events_since(start) or ()}
    assert made & set(cancelled), "some cancelled creates had made their pod (what matters)"
    assert fake.calls_to("delete_pod") == [], "the cleanup is the manager's own, not a call"
