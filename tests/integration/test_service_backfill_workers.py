"""Backfill workers on the real peers: dockerd (containers), moto (ECS), the fake Kubernetes
API server (kubernetes_asyncio), with the working state on FakeOpenSearchServer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asyncconsole.config import BackfillConfig, ClusterConfig
from asyncconsole.infra._aws import AwsClientOptions, open_aws_client
from asyncconsole.infra.docker import ContainerState, DockerEngineManager
from asyncconsole.infra.ecs import AwsECSManager
from asyncconsole.infra.http import AiohttpClient
from asyncconsole.infra.kubernetes import KubernetesManager
from asyncconsole.services.backfill import Backfill, BackfillStatus, StepState
from asyncconsole.services.clusters import Cluster
from asyncconsole.services.workers import (
    ROLE_LABEL,
    SESSION_LABEL,
    DockerWorkers,
    WorkerCounts,
    build_workers,
)
from asyncconsole.testing import FakeKubernetesApiServer, FakeOpenSearchServer

pytestmark = pytest.mark.integration


async def create_ecs_service(endpoint: str, cluster: str, service: str) -> None:
    """A FARGATE service with no tasks in moto."""
    async with open_aws_client(
        "ecs", AwsClientOptions(region="us-east-1", endpoint_url=endpoint)
    ) as ecs:
        await ecs.create_cluster(clusterName=cluster)
        await ecs.register_task_definition(
            family="worker",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "app", "image": "busybox", "memory": 128}],
        )
        await ecs.create_service(
            cluster=cluster, serviceName=service, taskDefinition="worker", desiredCount=0
        )


async def test_docker_backfill_scales_real_containers(
    docker: DockerEngineManager, busybox_image: str, docker_labels: dict[str, str], tmp_path: Path
) -> None:
    session = f"it-{docker_labels['asyncconsole.test']}"
    config = BackfillConfig.model_validate(
        {
            "reindex_from_snapshot": {
                "docker": {"image": busybox_image, "command": ["sleep", "3600"]},
                "backfill_session_name": session,
                "scale": 3,
            }
        }
    )
    workers = build_workers(
        config.rfs.deployment, role="backfill", session=session, docker=docker, labels=docker_labels
    )
    assert isinstance(workers, DockerWorkers)
    workers.stop_timeout = 2
    selector = {ROLE_LABEL: "backfill", SESSION_LABEL: session}
    async with FakeOpenSearchServer() as server, AiohttpClient(base_url=server.url) as http:
        server.seed_working_state(completed=4, in_progress=2, session=session)
        target = Cluster(ClusterConfig(endpoint=server.url, no_auth=None), http, name="target")
        backfill = Backfill(config, target, workers, archive_dir=tmp_path)

        await backfill.start()
        running = await docker.list_containers(labels=selector)
        assert len(running) == 3
        assert all(c.state is ContainerState.RUNNING for c in running)
        assert all(
            c.labels["asyncconsole.test"] == docker_labels["asyncconsole.test"] for c in running
        )
        report = await backfill.status(deep=True)
        assert report.status is BackfillStatus.RUNNING
        assert report.counts == WorkerCounts(running=3, pending=0, desired=3)
        assert report.deep is not None
        assert report.deep.status is StepState.RUNNING
        assert report.deep.shard_total == 6

        await backfill.scale(1)
        assert len(await docker.list_containers(labels=selector)) == 1

        path = await backfill.stop(timeout=60, poll_interval=0.5)
        assert await docker.list_containers(labels=selector, all=True) == []
        assert (await backfill.status()).status is BackfillStatus.STOPPED
        assert path is not None
        assert len(json.loads(path.read_text())[0]) == 7  # six items and shard_setup
        assert f".migrations_working_state_{session}" not in server.index_names


async def test_ecs_backfill_on_moto(moto_endpoint: str) -> None:
    await create_ecs_service(moto_endpoint, "migration", "rfs")
    config = BackfillConfig.model_validate(
        {"reindex_from_snapshot": {"ecs": {"cluster_name": "migration", "service_name": "rfs"}}}
    )
    async with (
        AwsECSManager(region="us-east-1", endpoint_url=moto_endpoint) as ecs,
        FakeOpenSearchServer() as server,
        AiohttpClient(base_url=server.url) as http,
    ):
        workers = build_workers(config.rfs.deployment, role="backfill", ecs=ecs)
        target = Cluster(ClusterConfig(endpoint=server.url, no_auth=None), http, name="target")
        backfill = Backfill(config, target, workers)
        await backfill.start()
        status = await ecs.get_service_status("migration", "rfs")
        assert status.desired == 5
        report = await backfill.status()
        assert report.counts.desired == 5
        assert report.status is BackfillStatus.RUNNING  # moto runs every desired task at once
        await backfill.scale(2)
        assert (await ecs.get_service_status("migration", "rfs")).desired == 2
        assert await backfill.stop(timeout=30, poll_interval=0.2) is None  # no working state
        assert (await backfill.status()).status is BackfillStatus.STOPPED


async def test_k8s_backfill_on_fake_api_server(tmp_path: Path) -> None:
    config = BackfillConfig.model_validate(
        {
            "reindex_from_snapshot": {
                "k8s": {"namespace": "ma", "deployment_name": "rfs"},
                "scale": 2,
            }
        }
    )
    async with FakeKubernetesApiServer(converge_delay=0.0) as kube:
        kube.add_deployment("ma", "rfs", replicas=0, labels={"app": "rfs"})
        path = kube.write_kubeconfig(tmp_path / "kubeconfig")
        async with (
            KubernetesManager(kubeconfig=path) as k8s,
            FakeOpenSearchServer() as server,
            AiohttpClient(base_url=server.url) as http,
        ):
            server.seed_working_state(completed=1, in_progress=1)
            workers = build_workers(config.rfs.deployment, role="backfill", k8s=k8s)
            target = Cluster(ClusterConfig(endpoint=server.url, no_auth=None), http, name="target")
            backfill = Backfill(config, target, workers)
            await backfill.start()
            assert kube.deployment("ma", "rfs")["spec"]["replicas"] == 2
            report = await backfill.status()  # Kubernetes: deep without asking
            assert report.status is BackfillStatus.RUNNING
            assert report.message == "Pods - Running: 2, Pending: 0, Desired: 2"
            assert report.deep is not None
            assert report.deep.shard_total == 2
            await backfill.pause()
            assert kube.deployment("ma", "rfs")["spec"]["replicas"] == 0
            archived = await backfill.stop(timeout=30, poll_interval=0.2, path=tmp_path / "ws.json")
            assert archived == tmp_path / "ws.json"
            assert ".migrations_working_state" not in server.index_names
