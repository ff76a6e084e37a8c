"""The fault contract for FakeK8sManager: the adapter core applies its fault plan, on fake time."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from asyncconsole import FakeClock, RetryPolicy
from asyncconsole.infra.commands import CommandResult
from asyncconsole.infra.kubernetes import DeploymentStatus, FakeK8sManager, PodInfo
from asyncconsole.testing import FaultCall, FaultPlan, PlanInjector, check_fault_contract

NS = "ma"
TIMEOUT = 5.0
PATIENT = RetryPolicy(attempts=8, wait_initial=0.01, wait_max=0.05, timeout=None)


async def test_fake_k8s_manager_keeps_the_fault_contract() -> None:
    clock, plan = FakeClock(), FaultPlan(seed=3)
    fake = FakeK8sManager(
        clock=clock, converge_delay=1.0, request_timeout=TIMEOUT, retry=PATIENT, faults=plan
    )
    fake.add_deployment(NS, "web", replicas=1, labels={"app": "web"})
    fake.add_deployment(NS, "watched", replicas=1, labels={"app": "watched"})
    fake.add_pod(NS, "tool", labels={"app": "tool"})
    fake.add_pod(NS, "done", labels={"app": "done"}, phase="Succeeded")
    fake.set_pod_logs(NS, "done", "one\ntwo ü\n")
    fake.add_secret(NS, "creds", {"password": "s3cr3t"})
    fake.add_config_map(NS, "images", {"replayer": "repo/replayer:1"})
    numbers = itertools.count()
    replicas = itertools.cycle([2, 1])
    cancelled: set[str] = set()

    async def scale_and_wait(k8s: FakeK8sManager) -> DeploymentStatus:
        n = next(replicas)
        await k8s.scale_deployment(NS, "watched", n)
        return await k8s.wait_for_replicas(NS, "watched", ready=n, timeout=TIMEOUT)

    async def create(k8s: FakeK8sManager) -> PodInfo:
        name = f"made-{next(numbers)}"
        manifest = {"metadata": {"name": name}, "spec": {"containers": [{"name": "job"}]}}
        try:
            return await k8s.create_pod(NS, manifest)
        except asyncio.CancelledError:
            cancelled.add(name)
            raise

    async def delete(k8s: FakeK8sManager) -> None:
        name = f"victim-{next(numbers)}"
        k8s.add_pod(NS, name)
        await k8s.delete_pod(NS, name)

    async def follow(k8s: FakeK8sManager) -> list[str]:
        return [line async for line in k8s.follow_pod_logs(NS, "done")]

    async def leftovers() -> Sequence[str]:
        left = [
            f"pod {p['metadata']['name']} of a cancelled create"
            for p in fake.cluster.select("pods", NS)
            if p["metadata"]["name"] in cancelled and not p["metadata"].get("deletionTimestamp")
        ]
        if fake.active_watches or fake.active_log_streams:
            left.append(f"{fake.active_watches} watches, {fake.active_log_streams} log streams")
        return left

    @asynccontextmanager
    async def open_fake() -> AsyncIterator[FakeK8sManager]:
        yield fake  # one fake for the whole check: closing it would end it

    def op(method: str) -> str:
        return f"k8s.{method}"

    calls: list[FaultCall[FakeK8sManager]] = [
        FaultCall(
            "get_deployment_status",
            lambda k8s: k8s.get_deployment_status(NS, "web"),
            True,
            DeploymentStatus,
            operation=op("get_deployment_status"),
        ),
        FaultCall("list_pods", lambda k8s: k8s.list_pods(NS), True, list, op("list_pods")),
        FaultCall(
            "read_secret", lambda k8s: k8s.read_secret(NS, "creds"), True, dict, op("read_secret")
        ),
        FaultCall(
            "read_config_map",
            lambda k8s: k8s.read_config_map(NS, "images"),
            True,
            dict,
            op("read_config_map"),
        ),
        FaultCall("pod_logs", lambda k8s: k8s.pod_logs(NS, "done"), True, str, op("pod_logs")),
        FaultCall("follow_pod_logs", follow, True, list, op("follow_pod_logs")),
        FaultCall(
            "wait_for_pod",
            lambda k8s: k8s.wait_for_pod(NS, "tool", condition="Running", timeout=TIMEOUT),
            True,
            PodInfo,
            op("wait_for_pod"),
        ),
        FaultCall("scale + wait (watch)", scale_and_wait, True, DeploymentStatus, op("watch")),
        FaultCall("create_pod", create, False, PodInfo, op("create_pod")),
        FaultCall("delete_pod", delete, False, type(None), op("delete_pod")),
        FaultCall(
            "exec_in_pod",
            lambda k8s: k8s.exec_in_pod(NS, "tool", ["echo", "hi"]),
            False,
            CommandResult,
            op("exec_in_pod"),
        ),
        FaultCall("ping", lambda k8s: k8s.ping(), False, type(None), op("ping")),
    ]
    await check_fault_contract(
        open_fake, calls, PlanInjector(plan), timeout=TIMEOUT, clock=clock, leftovers=leftovers
    )
    assert cancelled, "some creates were cancelled while under way"
