"""The fault contract for the real Kubernetes manager: kubernetes_asyncio against the fake API
server (the peer kubectl also checks) behind a FaultProxy; watches stream through the proxy."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import RetryPolicy
from asyncconsole.infra.commands import CommandResult
from asyncconsole.infra.kubernetes import DeploymentStatus, KubernetesManager, PodInfo
from asyncconsole.testing import (
    FakeKubernetesApiServer,
    FaultCall,
    FaultProxy,
    ProxyInjector,
    check_fault_contract,
)

pytestmark = pytest.mark.integration

NS = "ma"
TIMEOUT = 1.0
PATIENT = RetryPolicy(attempts=8, wait_initial=0.01, wait_max=0.05, wait_jitter=0.0, timeout=None)
PODS = rf"^/api/v1/namespaces/{NS}/pods"


class Scenario:
    """The cluster the calls run against, and what they leave behind when cancelled."""

    def __init__(self, kube: FakeKubernetesApiServer) -> None:
        self.kube = kube
        self.numbers = itertools.count()
        self.cancelled: set[str] = set()  # pods whose create was cancelled
        self.replicas = itertools.cycle([2, 1])
        kube.add_deployment(NS, "web", replicas=1, labels={"app": "web"})
        kube.add_deployment(NS, "watched", replicas=1, labels={"app": "watched"})
        kube.add_pod(NS, "tool", labels={"app": "tool"})
        kube.add_pod(NS, "done", labels={"app": "done"}, phase="Succeeded")
        kube.set_pod_logs(NS, "done", "one\ntwo ü\n")
        kube.add_secret(NS, "creds", {"password": "s3cr3t"})
        kube.add_config_map(NS, "images", {"replayer": "repo/replayer:1"})

    async def scale_and_wait(self, k8s: KubernetesManager) -> DeploymentStatus:
        """A scale, then a wait that follows a watch stream (pods take 50 ms to start)."""
        replicas = next(self.replicas)
        await k8s.scale_deployment(NS, "watched", replicas)
        return await k8s.wait_for_replicas(NS, "watched", ready=replicas, timeout=TIMEOUT)

    async def create(self, k8s: KubernetesManager) -> PodInfo:
        name = f"made-{next(self.numbers)}"
        manifest = {
            "metadata": {"name": name, "labels": {"app": "made"}},
            "spec": {"containers": [{"name": "job", "image": "busybox"}]},
        }
        try:
            return await k8s.create_pod(NS, manifest)
        except asyncio.CancelledError:
            self.cancelled.add(name)  # observed, not cleaned up: that is the manager's job
            raise

    async def delete(self, k8s: KubernetesManager) -> None:
        name = f"victim-{next(self.numbers)}"
        self.kube.add_pod(NS, name, labels={"app": "victim"})  # made at the server directly
        await k8s.delete_pod(NS, name)

    async def follow(self, k8s: KubernetesManager) -> list[str]:
        return [line async for line in k8s.follow_pod_logs(NS, "done")]

    async def leftovers(self) -> Sequence[str]:
        left = [
            f"pod {p['metadata']['name']} of a cancelled create"
            for p in self.kube.pods(NS, label_selector="app=made")
            if p["metadata"]["name"] in self.cancelled
            and not p["metadata"].get("deletionTimestamp")
        ]
        if self.kube.active_watches:
            left.append(f"{self.kube.active_watches} open watch stream(s)")
        if self.kube.active_log_streams:
            left.append(f"{self.kube.active_log_streams} open log stream(s)")
        return left


def _calls(s: Scenario) -> list[FaultCall[KubernetesManager]]:
    def call(
        name: str,
        fn: Callable[[KubernetesManager], Coroutine[Any, Any, Any]],
        idempotent: bool,
        returns: type | tuple[type, ...] | None,
        path: str,
        method: str | None = None,
    ) -> FaultCall[KubernetesManager]:
        return FaultCall(name, fn, idempotent, returns, path=path, method=method)

    return [
        call(
            "get_deployment_status",
            lambda k8s: k8s.get_deployment_status(NS, "web"),
            True,
            DeploymentStatus,
            r"/deployments/web$",
        ),
        call("list_pods", lambda k8s: k8s.list_pods(NS), True, list, rf"{PODS}$", "GET"),
        call("read_secret", lambda k8s: k8s.read_secret(NS, "creds"), True, dict, r"/creds$"),
        call(
            "read_config_map",
            lambda k8s: k8s.read_config_map(NS, "images"),
            True,
            dict,
            r"/configmaps/images$",
        ),
        call("pod_logs", lambda k8s: k8s.pod_logs(NS, "done"), True, str, rf"{PODS}/done/log$"),
        call("follow_pod_logs", s.follow, True, list, rf"{PODS}/done/log$"),
        call(
            "wait_for_pod",
            lambda k8s: k8s.wait_for_pod(NS, "tool", condition="Running", timeout=TIMEOUT),
            True,
            PodInfo,
            rf"{PODS}/tool$",
        ),
        call(
            "scale + wait_for_replicas (watch)",
            s.scale_and_wait,
            True,
            DeploymentStatus,
            r"/deployments/watched",
        ),
        call("create_pod", s.create, False, PodInfo, rf"{PODS}$", "POST"),
        call("delete_pod", s.delete, False, type(None), rf"{PODS}/victim-\d+$", "DELETE"),
        call(
            "exec_in_pod (websocket)",
            lambda k8s: k8s.exec_in_pod(NS, "tool", ["echo", "hi"]),
            False,
            CommandResult,
            rf"{PODS}/tool/exec$",
        ),
        # A health check reports at once, never repeated: a storm may fail it.
        call("ping", lambda k8s: k8s.ping(), False, type(None), r"^/version$"),
    ]


async def test_kubernetes_manager_keeps_the_fault_contract(tmp_path: Path) -> None:
    async with (
        FakeKubernetesApiServer(converge_delay=0.05, seed=5) as kube,
        FaultProxy(kube.url, seed=11) as proxy,
    ):
        scenario = Scenario(kube)
        path = kube.write_kubeconfig(tmp_path / "config", server=proxy.url)

        @asynccontextmanager
        async def open_manager() -> AsyncIterator[KubernetesManager]:
            async with KubernetesManager(
                kubeconfig=path, request_timeout=TIMEOUT, retry=PATIENT
            ) as k8s:
                yield k8s

        await check_fault_contract(
            open_manager,
            _calls(scenario),
            ProxyInjector(proxy),
            timeout=TIMEOUT,
            leftovers=scenario.leftovers,
        )
    assert scenario.cancelled, "some creates were cancelled while under way"
