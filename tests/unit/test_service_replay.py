"""Replay with fakes: the reference's scenario 31 and the §5.1 status table."""

from __future__ import annotations

import json
from typing import Any

import pytest

from asyncconsole._clock import FakeClock
from asyncconsole.config import ReplayConfig
from asyncconsole.infra.docker import FakeDockerManager
from asyncconsole.infra.ecs import FakeECSManager
from asyncconsole.infra.kubernetes import FakeK8sManager
from asyncconsole.services.replay import Replay, ReplayStatus, replay_status
from asyncconsole.services.workers import (
    DockerWorkers,
    EcsWorkers,
    FakeWorkerDeployment,
    K8sWorkers,
    WorkerCounts,
)


def replay_config(**block: Any) -> ReplayConfig:
    return ReplayConfig.model_validate(
        block or {"ecs": {"cluster_name": "c", "service_name": "replayer"}}
    )


async def test_ecs_start_stop_scale() -> None:
    clock = FakeClock()
    ecs = FakeECSManager(clock=clock)
    ecs.add_service("c", "replayer")
    replay = Replay(replay_config(), EcsWorkers(ecs, cluster="c", service="replayer"), clock=clock)
    await replay.start()
    await replay.scale(4)
    await replay.stop()
    assert [c.params["desired"] for c in ecs.calls_to("scale_service")] == [1, 4, 0]


async def test_k8s_start_uses_configured_scale() -> None:
    k8s = FakeK8sManager()
    k8s.add_deployment("ma", "replayer", replicas=0, labels={"app": "replayer"})
    config = replay_config(k8s={"namespace": "ma", "deployment_name": "replayer"}, scale=3)
    replay = Replay(config, K8sWorkers(k8s, namespace="ma", deployment="replayer"))
    await replay.start()
    assert (await k8s.get_deployment_status("ma", "replayer")).desired == 3
    await replay.stop()
    assert [c.args["replicas"] for c in k8s.calls_to("scale_deployment")] == [3, 0]
    with pytest.raises(ValueError, match="int >= 0"):
        await replay.scale(-2)


@pytest.mark.parametrize(
    ("kind", "counts", "expected"),
    [
        ("ecs", WorkerCounts(running=1, pending=0, desired=1), ReplayStatus.RUNNING),
        ("ecs", WorkerCounts(running=0, pending=2, desired=2), ReplayStatus.STARTING),
        ("ecs", WorkerCounts(running=0, pending=0, desired=2), ReplayStatus.STOPPED),
        ("ecs", WorkerCounts(terminating=1), ReplayStatus.STOPPED),
        ("k8s", WorkerCounts(terminating=1), ReplayStatus.TERMINATING),
        ("k8s", WorkerCounts(running=2, desired=2), ReplayStatus.RUNNING),
        # Kubernetes replay: desired (not pending) makes it STARTING.
        ("k8s", WorkerCounts(desired=2), ReplayStatus.STARTING),
        ("k8s", WorkerCounts(), ReplayStatus.STOPPED),
        ("docker", WorkerCounts(desired=2), ReplayStatus.STOPPED),
        ("docker", WorkerCounts(pending=1, desired=1), ReplayStatus.STARTING),
        ("docker", WorkerCounts(terminating=1), ReplayStatus.TERMINATING),
    ],
)
async def test_status_table(kind: str, counts: WorkerCounts, expected: ReplayStatus) -> None:
    assert replay_status(kind, counts) is expected
    workers = FakeWorkerDeployment(kind)
    workers.set_counts(counts.running, counts.pending, counts.desired, counts.terminating)
    report = await Replay(replay_config(), workers).status()
    assert report.status is expected
    assert str(report).splitlines() == [
        f"Replayer: {expected.value}",
        # console_link's replayer line on every platform, Kubernetes included
        f"Running={counts.running} Pending={counts.pending} Desired={counts.desired} "
        f"Terminating={counts.terminating}",
    ]
    assert report.to_dict()["workers"] == counts.to_dict()


async def test_k8s_status_text() -> None:
    clock = FakeClock()
    k8s = FakeK8sManager(clock=clock, converge_delay=10)
    k8s.add_deployment("ma", "replayer", replicas=0, labels={"app": "replayer"})
    config = replay_config(k8s={"namespace": "ma", "deployment_name": "replayer"})
    replay = Replay(config, K8sWorkers(k8s, namespace="ma", deployment="replayer"), clock=clock)
    await replay.scale(2)
    report = await replay.status()
    assert str(report) == "Replayer: STARTING\nRunning=0 Pending=2 Desired=2 Terminating=0"
    await clock.sleep(11)
    assert (await replay.status()).status is ReplayStatus.RUNNING
    assert await replay.check() == "RUNNING: 2 running, 0 pending, 2 desired (k8s)"


async def test_docker_replay_is_real() -> None:
    docker = FakeDockerManager(images=["migrations/traffic_replayer:latest"])
    workers = DockerWorkers(
        docker, role="replay", session="default", image="migrations/traffic_replayer:latest"
    )
    replay = Replay(replay_config(docker=None), workers)
    await replay.start()
    report = await replay.status()
    assert report.status is ReplayStatus.RUNNING
    assert report.counts == WorkerCounts(running=1, pending=0, desired=1)
    await replay.stop()
    assert (await replay.status()).status is ReplayStatus.STOPPED
    assert docker.container_ids() == []


def test_describe_equals_config() -> None:
    config = replay_config(
        ecs={"cluster_name": "c", "service_name": "replayer", "aws_region": "eu-west-1"}, scale=2
    )
    replay = Replay(config, FakeWorkerDeployment("ecs"))
    described = replay.describe()
    assert {k: v for k, v in described.items() if k != "workers"} == {
        "ecs": {"cluster_name": "c", "service_name": "replayer", "aws_region": "eu-west-1"},
        "scale": 2,
    }
    json.dumps(described)


def test_multiple_deployment_types_rejected() -> None:
    from asyncconsole._errors import ConfigError

    with pytest.raises((ConfigError, ValueError), match="More than one value"):
        replay_config(docker=None, k8s={"namespace": "ma", "deployment_name": "r"})
