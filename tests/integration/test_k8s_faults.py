"""KubernetesManager under faults (issue 10): one deadline per call, typed errors for garbage,
lost creates reconciled, nothing left by a cancelled create."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import (
    InfrastructureError,
    KubernetesTimeoutError,
    MalformedResponseError,
    OperationTimeoutError,
)
from asyncconsole.infra.kubernetes import KubernetesManager
from asyncconsole.testing import (
    MALFORMED_ANSWERS,
    FakeKubernetesApiServer,
    FaultProxy,
    MuteServer,
)

pytestmark = pytest.mark.integration

NS = "ma"
Call = Callable[[KubernetesManager], Awaitable[Any]]


def _pod(name: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {"app": "dump"}},
        "spec": {"containers": [{"name": "job", "image": "busybox"}]},
    }


async def _drain(lines: AsyncIterator[str]) -> list[str]:
    return [line async for line in lines]


READS: dict[str, Call] = {
    "get_deployment_status": lambda k8s: k8s.get_deployment_status(NS, "web"),
    "list_pods": lambda k8s: k8s.list_pods(NS, label_selector="app=web"),
    "scale_deployment": lambda k8s: k8s.scale_deployment(NS, "web", 2),
    "read_secret": lambda k8s: k8s.read_secret(NS, "creds"),
    "read_config_map": lambda k8s: k8s.read_config_map(NS, "images"),
    "pod_logs": lambda k8s: k8s.pod_logs(NS, "tool"),
    "ping": lambda k8s: k8s.ping(),
}


@pytest.fixture
async def kube() -> AsyncIterator[FakeKubernetesApiServer]:
    async with FakeKubernetesApiServer(seed=3) as server:
        server.add_deployment(NS, "web", replicas=1, labels={"app": "web"})
        server.add_pod(NS, "tool", labels={"app": "tool"})
        server.set_pod_logs(NS, "tool", "one\ntwo\n")
        server.add_secret(NS, "creds", {"password": "s3cr3t"})
        server.add_config_map(NS, "images", {"replayer": "repo/replayer:1"})
        yield server


# ---------------------------------------------------------------- one deadline per call


@pytest.mark.parametrize("name", ["get_deployment_status", "list_pods", "scale_deployment"])
async def test_a_mute_api_server_costs_one_request_timeout(name: str, tmp_path: Path) -> None:
    # Measured: request_timeout=2 returned after 6.7 s (three full attempts, back to back).
    timeout = 1.0
    async with FakeKubernetesApiServer() as kube, MuteServer() as mute:
        path = kube.write_kubeconfig(tmp_path / "config", server=mute.url)
        async with KubernetesManager(kubeconfig=path, request_timeout=timeout) as k8s:
            started = time.monotonic()
            with pytest.raises(KubernetesTimeoutError) as caught:
                async with asyncio.timeout(timeout + 1):  # the promise: timeout + 1 s
                    await READS[name](k8s)
            assert time.monotonic() - started <= timeout + 1
    assert isinstance(caught.value, OperationTimeoutError)
    assert mute.url in str(caught.value), "the error names the endpoint"


async def test_a_wait_as_long_as_the_request_timeout_ends_on_time(tmp_path: Path) -> None:
    # Measured: wait_for_replicas(timeout=1) with request_timeout=1 took 3.7 s and raised a
    # plain KubernetesError (8 of 8 runs).
    async with FakeKubernetesApiServer() as kube, MuteServer() as mute:
        path = kube.write_kubeconfig(tmp_path / "config", server=mute.url)
        async with KubernetesManager(kubeconfig=path, request_timeout=1.0) as k8s:
            with pytest.raises(KubernetesTimeoutError) as caught:
                async with asyncio.timeout(2.0):
                    await k8s.wait_for_replicas(NS, "web", ready=1, timeout=1.0)
    assert caught.value.timeout == 1.0
    assert f"{NS}/web" in str(caught.value)


async def test_a_wait_that_never_ends_names_what_it_saw(
    kube: FakeKubernetesApiServer, tmp_path: Path
) -> None:
    path = kube.write_kubeconfig(tmp_path / "config")
    async with KubernetesManager(kubeconfig=path, request_timeout=5.0) as k8s:
        with pytest.raises(KubernetesTimeoutError, match="did not reach 3 ready") as caught:
            await k8s.wait_for_replicas(NS, "web", ready=3, timeout=0.3)
        assert "last seen: 1 ready of 1 desired" in str(caught.value)
        with pytest.raises(KubernetesTimeoutError, match="did not reach phase Succeeded"):
            await k8s.wait_for_pod(NS, "tool", condition="Succeeded", timeout=0.3)
    await _eventually(lambda: kube.active_watches == 0)


async def test_an_exec_handshake_on_a_mute_api_server_costs_one_request_timeout(
    tmp_path: Path,
) -> None:
    async with FakeKubernetesApiServer() as kube, MuteServer() as mute:
        path = kube.write_kubeconfig(tmp_path / "config", server=mute.url)
        async with KubernetesManager(kubeconfig=path, request_timeout=1.0) as k8s:
            with pytest.raises(KubernetesTimeoutError):
                async with asyncio.timeout(2.0):
                    await k8s.exec_in_pod(NS, "tool", ["sleep", "1000"])  # no timeout of its own


# ---------------------------------------------------------------- garbage answers

GARBAGE_CALLS: dict[str, Call] = {
    **READS,
    "wait_for_replicas": lambda k8s: k8s.wait_for_replicas(NS, "web", ready=1, timeout=5),
    "wait_for_pod": lambda k8s: k8s.wait_for_pod(NS, "tool", timeout=5),
    "list_pods (all)": lambda k8s: k8s.list_pods(NS),
    "delete_pod": lambda k8s: k8s.delete_pod(NS, "tool"),
    "create_pod": lambda k8s: k8s.create_pod(NS, _pod("made")),
    "follow_pod_logs": lambda k8s: _drain(k8s.follow_pod_logs(NS, "tool")),
    "exec_in_pod": lambda k8s: k8s.exec_in_pod(NS, "tool", ["echo", "hi"]),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED_ANSWERS))
async def test_garbage_answers_raise_typed_errors(
    kind: str, kube: FakeKubernetesApiServer, tmp_path: Path
) -> None:
    # Measured: HTML, truncated JSON, wrong shapes, 10,000-deep nesting, invalid UTF-8 and
    # empty bodies raised AttributeError, JSONDecodeError, RecursionError, UnicodeDecodeError
    # and TypeError.
    async with FaultProxy(kube.url, seed=1) as proxy:
        path = kube.write_kubeconfig(tmp_path / "config", server=proxy.url)
        async with KubernetesManager(kubeconfig=path, request_timeout=5.0) as k8s:
            proxy.add("garbage", answer=kind)
            for name, call in GARBAGE_CALLS.items():
                error = await _raised(call(k8s))
                if error is not None:
                    assert isinstance(error, InfrastructureError), (
                        f"{name}: garbage ({kind}) raised {type(error).__name__}: {error!r}"
                    )
                    assert proxy.url in str(error), f"{name}: {error!r} names no endpoint"
                    if isinstance(error, MalformedResponseError):
                        assert error.endpoint == proxy.url, (name, error.endpoint)
                if kube.pods(NS, label_selector="app=dump"):
                    kube.cluster.delete("pods", NS, "made", grace_period=0)
                if not kube.pods(NS, label_selector="app=tool"):
                    kube.add_pod(NS, "tool", labels={"app": "tool"})
                    kube.set_pod_logs(NS, "tool", "one\ntwo\n")


async def _raised(aw: Awaitable[Any]) -> Exception | None:
    try:
        await aw
    except Exception as exc:
        return exc
    return None


# ---------------------------------------------------------------- creates and cancellation


@pytest.mark.parametrize("fault", ["reset", "status"])
async def test_a_lost_create_answer_is_reconciled(
    fault: Any, kube: FakeKubernetesApiServer, tmp_path: Path
) -> None:
    async with FaultProxy(kube.url) as proxy:
        path = kube.write_kubeconfig(tmp_path / "config", server=proxy.url)
        async with KubernetesManager(kubeconfig=path) as k8s:
            proxy.add(fault, methods=["POST"], path=r"/pods$", times=1)
            pod = await k8s.create_pod(NS, _pod("dump-1"))
    assert (pod.namespace, pod.name) == (NS, "dump-1")
    assert proxy.injected[fault] == 1, "the create's answer was lost"
    assert proxy.forwarded[("POST", f"/api/v1/namespaces/{NS}/pods")] == 1, "sent once"
    assert [p["metadata"]["name"] for p in kube.pods(NS, label_selector="app=dump")] == ["dump-1"]


async def test_a_lost_create_answer_does_not_claim_someone_elses_pod(
    kube: FakeKubernetesApiServer, tmp_path: Path
) -> None:
    from asyncconsole import KubernetesError

    kube.cluster.create("pods", NS, _pod("taken"))
    async with FaultProxy(kube.url) as proxy:
        path = kube.write_kubeconfig(tmp_path / "config", server=proxy.url)
        async with KubernetesManager(kubeconfig=path) as k8s:
            # the create reaches the server, which refuses it (409), and that answer is lost
            proxy.add("reset", methods=["POST"], path=r"/pods$", times=1)
            with pytest.raises(KubernetesError) as caught:
                await k8s.create_pod(NS, _pod("taken"))
    assert caught.value.transient, "the answer was lost: the error says so"


async def test_a_cancelled_create_leaves_no_pod(
    kube: FakeKubernetesApiServer, tmp_path: Path
) -> None:
    path = kube.write_kubeconfig(tmp_path / "config")
    names: list[str] = []
    start = kube.cluster.resource_version
    async with KubernetesManager(kubeconfig=path) as k8s:
        for turns in range(60):
            name = f"dump-{turns}"
            task = asyncio.ensure_future(k8s.create_pod(NS, _pod(name)))
            for _ in range(turns):
                await asyncio.sleep(0)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                names.append(name)  # cancelled (not done before the cancel came)
        await _none_left(kube, names)
    made = {e.object["metadata"]["name"] for e in kube.cluster.events_since(start) or ()}
    assert made & set(names), "some cancelled creates made their pod (the case that matters)"
    assert len(names) > 10, f"the creates were cancelled while under way: {names}"


async def test_a_cancelled_dump_pod_flow_leaves_nothing(
    kube: FakeKubernetesApiServer, tmp_path: Path
) -> None:
    """create_pod, wait_for_pod and follow_pod_logs (the Kafka topic dump's steps) cancelled
    at every moment: no pod, watch or log stream stays."""
    from asyncconsole.infra.kubernetes import PodScript
    from asyncconsole.services.kafka._dump import running_dump_pod

    kube.cluster.converge_delay = 0.05
    kube.pod_scripter = lambda ns, manifest: PodScript(lines=("a", "b"), exit_code=None)
    path = kube.write_kubeconfig(tmp_path / "config")
    names: list[str] = []
    async with KubernetesManager(kubeconfig=path) as k8s:

        async def dump(name: str) -> None:
            async with running_dump_pod(
                k8s,
                namespace=NS,
                manifest=_pod(name),
                image="busybox",
                topic="t",
                mode="dump-raw",
                pod_timeout=10,
            ) as running:
                await _drain(running.lines())

        for i, delay in enumerate([0.0, 0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.12]):
            name = f"flow-{i}"
            names.append(name)
            task = asyncio.ensure_future(dump(name))
            await asyncio.sleep(delay)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            await _none_left(kube, names)
            await _eventually(lambda: kube.active_watches == kube.active_log_streams == 0)


async def _none_left(kube: FakeKubernetesApiServer, names: list[str]) -> None:
    def left() -> list[str]:
        return [
            p["metadata"]["name"]
            for p in kube.pods(NS)
            if p["metadata"]["name"] in names and not p["metadata"].get("deletionTimestamp")
        ]

    deadline = time.monotonic() + 1.0
    while left() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert not left(), f"cancelled creates left pods behind: {left()}"


async def _eventually(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 1.0
    while not check() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert check()
