"""Replay on the real peers: dockerd, moto (ECS) and the fake Kubernetes API server."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncconsole.config import ReplayConfig
from asyncconsole.infra.docker import DockerEngineManager
from asyncconsole.infra.ecs import AwsECSManager
from asyncconsole.infra.kubernetes import KubernetesManager
from asyncconsole.services.replay import Replay, ReplayStatus
from asyncconsole.services.workers import ROLE_LABEL, SESSION_LABEL, DockerWorkers, build_workers
from asyncconsole.testing import FakeKubernetesApiServer
from tests.integration.test_service_backfill_workers import create_ecs_service

pytestmark = pytest.mark.integration


async def test_docker_replay_runs_real_containers(
    docker: DockerEngineManager, busybox_image: str, docker_labels: dict[str, str]
) -> None:
    config = ReplayConfig.model_validate(
        {"docker": {"image": busybox_image, "command": "sleep 3600"}, "scale": 2}
    )
    session = f"it-{docker_labels['asyncconsole.test']}"
    workers = build_workers(
        config.deployment, role="replay", session=session, docker=docker, labels=docker_labels
    )
    assert isinstance(workers, DockerWorkers)
    workers.stop_timeout = 2
    replay = Replay(config, workers)
    selector = {ROLE_LABEL: "replay", SESSION_LABEL: session}
    await replay.start()
    assert len(await docker.list_containers(labels=selector)) == 2
    report = await replay.status()
    assert report.status is ReplayStatus.RUNNING
    assert str(report).startswith("Replayer: RUNNING\nRunning=2 Pending=0 Desired=2 ")
    await replay.scale(3)
    assert len(await docker.list_containers(labels=selector)) == 3
    assert await replay.check() == "RUNNING: 3 running, 0 pending, 3 desired (docker)"
    await replay.stop()
    assert await docker.list_containers(labels=selector, all=True) == []
    assert (await replay.status()).status is ReplayStatus.STOPPED


async def test_ecs_replay_on_moto(moto_endpoint: str) -> None:
    await create_ecs_service(moto_endpoint, "migration", "replayer")
    config = ReplayConfig.model_validate(
        {"ecs": {"cluster_name": "migration", "service_name": "replayer"}}
    )
    async with AwsECSManager(region="us-east-1", endpoint_url=moto_endpoint) as ecs:
        replay = Replay(config, build_workers(config.deployment, role="replay", ecs=ecs))
        await replay.start()
        assert (await ecs.get_service_status("migration", "replayer")).desired == 1
        assert (await replay.status()).status is ReplayStatus.RUNNING
        await replay.scale(3)
        assert (await replay.status()).counts.desired == 3
        await replay.stop()
        assert (await replay.status()).status is ReplayStatus.STOPPED


async def test_k8s_replay_on_fake_api_server(tmp_path: Path) -> None:
    config = ReplayConfig.model_validate(
        {"k8s": {"namespace": "ma", "deployment_name": "replayer"}, "scale": 2}
    )
    async with FakeKubernetesApiServer(converge_delay=0.0) as kube:
        kube.add_deployment("ma", "replayer", replicas=0, labels={"app": "replayer"})
        path = kube.write_kubeconfig(tmp_path / "kubeconfig")
        async with KubernetesManager(kubeconfig=path) as k8s:
            replay = Replay(config, build_workers(config.deployment, role="replay", k8s=k8s))
            await replay.start()
            assert kube.deployment("ma", "replayer")["spec"]["replicas"] == 2
            report = await replay.status()
            assert report.status is ReplayStatus.RUNNING
            assert report.message == "Running=2 Pending=0 Desired=2 Terminating=0"
            await replay.stop()
            assert kube.deployment("ma", "replayer")["spec"]["replicas"] == 0
            assert (await replay.status()).status in (
                ReplayStatus.STOPPED,
                ReplayStatus.TERMINATING,
            )
