"""Worker deployments with the fake Docker, ECS and Kubernetes managers."""

from __future__ import annotations

import asyncio

import pytest

from asyncconsole._clock import FakeClock
from asyncconsole._errors import ConfigError, DockerNotFoundError
from asyncconsole._secret import Secret
from asyncconsole.config import BackfillConfig, ReplayConfig
from asyncconsole.infra.docker import ContainerState, FakeDockerManager
from asyncconsole.infra.ecs import FakeECSManager
from asyncconsole.infra.kubernetes import FakeK8sManager
from asyncconsole.services.workers import (
    DEFAULT_WORKER_IMAGES,
    ROLE_LABEL,
    SESSION_LABEL,
    DockerWorkers,
    EcsWorkers,
    FakeWorkerDeployment,
    K8sWorkers,
    WorkerCounts,
    WorkerDeployment,
    build_workers,
)

IMAGE = "migrations/reindex_from_snapshot:latest"


def docker_workers(docker: FakeDockerManager, session: str = "s1", **kw: object) -> DockerWorkers:
    return DockerWorkers(docker, role="backfill", session=session, image=IMAGE, **kw)  # type: ignore[arg-type]


async def test_docker_scale_up_and_down_with_labels() -> None:
    docker = FakeDockerManager(images=[IMAGE])
    workers = docker_workers(
        docker, command=["sleep", "3600"], env={"A": "1"}, labels={"team": "x"}
    )
    assert isinstance(workers, WorkerDeployment)
    await workers.scale(3)
    found = await docker.list_containers(labels={ROLE_LABEL: "backfill", SESSION_LABEL: "s1"})
    assert len(found) == 3
    assert all(c.state is ContainerState.RUNNING and c.labels["team"] == "x" for c in found)
    assert all(c.command == ("sleep", "3600") for c in found)
    assert all(c.name.startswith("asyncconsole-backfill-s1-") for c in found)
    assert docker.calls_to("run_container")[0].args["name"].startswith("asyncconsole-backfill-s1-")
    assert await workers.counts() == WorkerCounts(running=3, pending=0, desired=3, terminating=0)
    await workers.scale(1)
    assert await workers.counts() == WorkerCounts(running=1, pending=0, desired=1)
    assert len(docker.container_ids()) == 1
    await workers.scale(0)
    assert docker.container_ids() == []
    assert await workers.counts() == WorkerCounts()


async def test_docker_sessions_and_roles_are_separate() -> None:
    docker = FakeDockerManager(images=[IMAGE])
    a, b = docker_workers(docker, "a"), docker_workers(docker, "b")
    replay = DockerWorkers(docker, role="replay", session="a", image=IMAGE)
    await a.scale(2)
    await b.scale(1)
    await replay.scale(1)
    assert (await a.counts()).running == 2
    assert (await b.counts()).running == 1
    await a.scale(0)
    assert (await b.counts()).running == 1
    assert (await replay.counts()).running == 1


async def test_docker_starts_and_stops_concurrently() -> None:
    clock = FakeClock(auto_advance=False)
    docker = FakeDockerManager(images=[IMAGE], clock=clock)
    docker.set_latency("run_container", 2.0)
    docker.set_latency("stop_container", 3.0)
    workers = docker_workers(docker)

    async def settle() -> None:
        for _ in range(50):
            await asyncio.sleep(0)

    async with asyncio.TaskGroup() as tg:
        up = tg.create_task(workers.scale(5))
        await settle()
        await clock.advance(2.0)  # one start's latency: all five overlap
        await settle()
        assert up.done()
    assert (await workers.counts()).running == 5
    async with asyncio.TaskGroup() as tg:
        down = tg.create_task(workers.scale(0))
        await settle()
        await clock.advance(3.0)
        await settle()
        assert down.done()
    assert docker.container_ids() == []


async def test_docker_counts_pending_and_replaces_exited() -> None:
    clock = FakeClock()
    docker = FakeDockerManager(images=[IMAGE], clock=clock, start_delay=5.0)
    workers = docker_workers(docker, command=["sleep", "100"])
    await workers.scale(2)
    assert await workers.counts() == WorkerCounts(running=2, pending=0, desired=2)
    await clock.sleep(200)  # both programs exit by themselves
    assert await workers.counts() == WorkerCounts()
    assert len(docker.container_ids()) == 2  # exited, still present
    await workers.scale(1)  # exited ones are removed, one new worker starts
    assert len(docker.container_ids()) == 1
    assert (await workers.counts()).running == 1


async def test_docker_scale_down_prefers_pending_then_newest() -> None:
    clock = FakeClock()
    docker = FakeDockerManager(images=[IMAGE], clock=clock)
    workers = docker_workers(docker)
    await workers.scale(1)
    first = docker.container_ids()[0]
    await clock.sleep(10)
    await workers.scale(3)
    await workers.scale(1)
    assert docker.container_ids() == [first]


async def test_docker_missing_image_and_bad_input() -> None:
    docker = FakeDockerManager()
    workers = docker_workers(docker)
    with pytest.raises(DockerNotFoundError):
        await workers.scale(2)
    assert docker.container_ids() == []
    with pytest.raises(ValueError, match="int >= 0"):
        await workers.scale(-1)
    with pytest.raises(ValueError, match="non-empty"):
        DockerWorkers(docker, role="", session="s", image=IMAGE)
    with pytest.raises(ValueError, match="list of arguments"):
        DockerWorkers(docker, role="r", session="s", image=IMAGE, command="sleep 1")


def test_docker_describe_masks_secrets() -> None:
    workers = docker_workers(
        FakeDockerManager(), env={"USER": "admin", "PASSWORD": Secret("hunter2")}
    )
    described = workers.describe()
    assert described["environment"] == {"PASSWORD": "********", "USER": "admin"}
    assert "hunter2" not in repr(described)
    assert described["kind"] == "docker"


async def test_ecs_workers() -> None:
    clock = FakeClock()
    ecs = FakeECSManager(clock=clock, step=1.0)
    ecs.add_service("c", "rfs")
    workers = EcsWorkers(ecs, cluster="c", service="rfs")
    await workers.scale(3)
    counts = await workers.counts()
    assert (counts.desired, counts.running, counts.terminating) == (3, 0, 0)
    await clock.sleep(5)
    assert await workers.counts() == WorkerCounts(running=3, pending=0, desired=3)
    assert workers.describe() == {"kind": "ecs", "cluster_name": "c", "service_name": "rfs"}


async def test_k8s_workers() -> None:
    clock = FakeClock()
    k8s = FakeK8sManager(clock=clock, converge_delay=2)
    k8s.add_deployment("ma", "rfs", replicas=0, labels={"app": "rfs"})
    workers = K8sWorkers(k8s, namespace="ma", deployment="rfs")
    await workers.scale(2)
    assert await workers.counts() == WorkerCounts(running=0, pending=2, desired=2)
    await clock.sleep(3)
    assert await workers.counts() == WorkerCounts(running=2, pending=0, desired=2)
    await workers.scale(0)
    assert await workers.counts() == WorkerCounts(desired=0, terminating=2)


async def test_fake_worker_deployment_lifecycle() -> None:
    clock = FakeClock()
    fake = FakeWorkerDeployment("k8s", clock=clock, start_delay=5, stop_delay=3, replicas=1)
    assert await fake.counts() == WorkerCounts(running=1, desired=1)
    await fake.scale(3)
    assert await fake.counts() == WorkerCounts(running=1, pending=2, desired=3)
    await clock.sleep(5)
    await fake.scale(1)
    assert await fake.counts() == WorkerCounts(running=1, desired=1, terminating=2)
    await clock.sleep(3)
    assert await fake.counts() == WorkerCounts(running=1, desired=1)
    assert fake.scale_calls == [3, 1]


def test_build_workers_from_config() -> None:
    docker, ecs, k8s = FakeDockerManager(), FakeECSManager(), FakeK8sManager()
    backfill = BackfillConfig.model_validate(
        {"reindex_from_snapshot": {"docker": {"command": "sleep 60", "environment": {"X": "1"}}}}
    )
    workers = build_workers(backfill.rfs.deployment, role="backfill", session="s", docker=docker)
    assert isinstance(workers, DockerWorkers)
    assert workers.image == DEFAULT_WORKER_IMAGES["backfill"]
    assert workers.command == ["sleep", "60"]
    assert workers.env == {"X": "1"}
    replay = ReplayConfig.model_validate({"docker": {"image": "mine:1"}})
    built = build_workers(replay.deployment, role="replay", docker=docker)
    assert isinstance(built, DockerWorkers)
    assert built.image == "mine:1"
    assert built.command is None
    replay_default = build_workers(
        ReplayConfig.model_validate({"docker": None}).deployment, role="replay", docker=docker
    )
    assert isinstance(replay_default, DockerWorkers)
    assert replay_default.image == "migrations/traffic_replayer:latest"
    ecs_cfg = ReplayConfig.model_validate({"ecs": {"cluster_name": "c", "service_name": "s"}})
    assert isinstance(build_workers(ecs_cfg.deployment, role="replay", ecs=ecs), EcsWorkers)
    k8s_cfg = ReplayConfig.model_validate({"k8s": {"namespace": "ma", "deployment_name": "d"}})
    assert isinstance(build_workers(k8s_cfg.deployment, role="replay", k8s=k8s), K8sWorkers)
    with pytest.raises(ConfigError, match="no Kubernetes manager"):
        build_workers(k8s_cfg.deployment, role="replay")
