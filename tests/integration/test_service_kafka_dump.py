"""Kafka.open_topic_dump with the real KubernetesManager against FakeKubernetesApiServer: the
pod created over HTTP with the rendered manifest, its log followed as a stream, and deleted
afterwards: at the end, on a readiness timeout and on cancellation (no stream left open)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import OperationTimeoutError
from asyncconsole.config import KafkaConfig
from asyncconsole.infra.commands import FakeCommandExecutor
from asyncconsole.infra.kubernetes import KubernetesManager, PodPhase, PodScript
from asyncconsole.services.kafka import Kafka
from asyncconsole.testing import FakeKubernetesApiServer

pytestmark = pytest.mark.integration

NS = "ma"
IMAGE = "registry/traffic_replayer:2"


@pytest.fixture
async def kube() -> AsyncIterator[FakeKubernetesApiServer]:
    async with FakeKubernetesApiServer() as server:
        server.add_config_map(NS, "migration-image-config", {"trafficReplayerImage": IMAGE})
        yield server


def _kafka(k8s: KubernetesManager) -> Kafka:
    config = KafkaConfig.model_validate(
        {"broker_endpoints": "kafka-kafka-bootstrap:9092", "msk": None}
    )
    return Kafka(config, executor=FakeCommandExecutor(), k8s=k8s)


def _script(
    seen: list[Mapping[str, Any]], *lines: str, exit_code: int | None = 0, duration: float = 0.2
) -> Any:
    def scripter(namespace: str, manifest: Mapping[str, Any]) -> PodScript:
        seen.append(manifest)
        return PodScript(lines=lines, exit_code=exit_code, duration=duration)

    return scripter


async def _gone(kube: FakeKubernetesApiServer) -> None:
    for _ in range(200):
        if not kube.pods(NS) and kube.active_log_streams == 0 and kube.active_watches == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"left behind: {kube.pods(NS)}, {kube.active_log_streams} log streams")


async def test_dump_end_to_end(kube: FakeKubernetesApiServer, tmp_path: Path) -> None:
    seen: list[Mapping[str, Any]] = []
    kube.pod_scripter = _script(seen, "record 1", "record 2 ü " + "x" * 200_000)
    path = kube.write_kubeconfig(tmp_path / "config", namespace=NS)
    async with KubernetesManager(kubeconfig=path) as k8s:
        got: list[str] = []
        result = await _kafka(k8s).dump_topic_records("t", mode="dump-http", on_line=got.append)
    assert got == ["record 1", "record 2 ü " + "x" * 200_000]
    assert (result.namespace, result.image, result.phase) == (NS, IMAGE, PodPhase.SUCCEEDED)
    [manifest] = seen
    assert manifest["metadata"]["name"] == result.pod
    assert manifest["spec"]["containers"][0]["args"] == [
        "--mode", "dump-http",
        "--kafka-traffic-brokers", "kafka-kafka-bootstrap:9092",
        "--kafka-traffic-topic", "t",
        "--kafkaAuthType", "msk-iam",
    ]  # fmt: skip
    paths = [(r.method, r.path, r.query) for r in kube.requests]
    pod_path = f"/api/v1/namespaces/{NS}/pods/{result.pod}"
    assert ("POST", f"/api/v1/namespaces/{NS}/pods", "") in paths
    assert any(
        m == "GET" and p == f"{pod_path}/log" and "follow=true" in q.lower() for m, p, q in paths
    )
    assert ("DELETE", pod_path, "") in paths
    await _gone(kube)


async def test_cancelled_while_following(kube: FakeKubernetesApiServer, tmp_path: Path) -> None:
    seen: list[Mapping[str, Any]] = []
    kube.pod_scripter = _script(seen, "first", exit_code=None)  # runs until deleted
    path = kube.write_kubeconfig(tmp_path / "config", namespace=NS)
    async with KubernetesManager(kubeconfig=path) as k8s:
        first = asyncio.Event()

        def on_line(line: str) -> None:
            first.set()

        task = asyncio.ensure_future(_kafka(k8s).dump_topic_records(on_line=on_line))
        await first.wait()
        assert kube.active_log_streams == 1
        assert len(kube.pods(NS)) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await _gone(kube)


async def test_not_ready_in_time(tmp_path: Path) -> None:
    async with FakeKubernetesApiServer(converge_delay=30) as kube:
        kube.add_config_map(NS, "migration-image-config", {"trafficReplayerImage": IMAGE})
        path = kube.write_kubeconfig(tmp_path / "config", namespace=NS)
        async with KubernetesManager(kubeconfig=path) as k8s:
            with pytest.raises(OperationTimeoutError, match=r"did not become Ready within 0\.3s"):
                await _kafka(k8s).dump_topic_records(pod_timeout=0.3)
        assert all(p["metadata"].get("deletionTimestamp") for p in kube.pods(NS))
        assert any(r.method == "DELETE" for r in kube.requests)
        assert kube.active_watches == 0
