"""The Autoscaler's loop: concurrent readings, fixed periods, holds on errors, stop and
cancellation, dry runs, and how it is built for a backfill or a replayer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from asyncconsole import ECSError, FakeClock
from asyncconsole.autoscale import (
    Autoscaler,
    IndexingProgress,
    NodeStatsPressure,
    ScaleAction,
    ScalingDecision,
    TargetHealthPolicy,
    WorkingStateProgress,
)
from asyncconsole.config import BackfillConfig, ClusterConfig, ReplayConfig
from asyncconsole.services.backfill import Backfill
from asyncconsole.services.clusters import Cluster
from asyncconsole.services.replay import Replay
from asyncconsole.testing import FakeOpenSearch, FakeWorkerDeployment

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def fake(clock: FakeClock) -> FakeOpenSearch:
    target = FakeOpenSearch(clock=clock)
    target.seed_working_state(unclaimed=100)
    return target


@pytest.fixture
async def cluster(fake: FakeOpenSearch, clock: FakeClock) -> AsyncIterator[Cluster]:
    config = ClusterConfig.model_validate({"endpoint": "http://target:9200", "no_auth": None})
    async with fake.client(retry=False) as http:
        yield Cluster(config, http, name="target", clock=clock)


def _autoscaler(
    cluster: Cluster,
    workers: FakeWorkerDeployment,
    clock: FakeClock,
    **options: object,
) -> Autoscaler:
    return Autoscaler(
        workers,
        pressure=NodeStatsPressure(cluster),
        progress=WorkingStateProgress(cluster, ".migrations_working_state"),
        policy=TargetHealthPolicy(min_workers=1, max_workers=10, cooldown=60),
        period=60,
        clock=clock,
        **options,  # type: ignore[arg-type]
    )


async def test_the_readings_go_out_concurrently_and_periods_do_not_drift(
    fake: FakeOpenSearch, cluster: Cluster, clock: FakeClock
) -> None:
    fake.latency = 5.0  # every request to the target takes 5 s
    workers = FakeWorkerDeployment("k8s", clock=clock, replicas=2)
    autoscaler = _autoscaler(cluster, workers, clock)
    first = await autoscaler.step()
    assert clock.monotonic() == 5.0  # four requests, one at a time would be 20 s
    assert first.observation.elapsed == 0.0
    decisions = await autoscaler.run(periods=3)
    # Each step takes 5 s, yet the next ones start on the minute.
    assert [d.observation.elapsed for d in decisions] == [5.0, 60.0, 120.0]
    assert [d.number for d in decisions] == [2, 3, 4]
    assert len(autoscaler.history) == 4


async def test_unreadable_figures_make_a_hold_that_names_them(
    fake: FakeOpenSearch, cluster: Cluster, clock: FakeClock
) -> None:
    workers = FakeWorkerDeployment("ecs", clock=clock, replicas=2)
    autoscaler = _autoscaler(cluster, workers, clock)
    workers.fail_next("counts", ECSError("DescribeServices throttled"))
    fake.fail_next(1, path="^/_nodes", status=503)
    decision = await autoscaler.step()
    assert decision.action is ScaleAction.HOLD
    assert decision.rule == "no_data"
    assert decision.current is None
    errors = decision.observation.errors
    assert errors[0] == "worker counts: DescribeServices throttled"
    assert errors[1].startswith("pressure (_nodes/stats): ")
    assert "503" in errors[1]
    assert "DescribeServices throttled" in decision.reason
    assert (await autoscaler.step()).rule != "no_data"


async def test_a_failed_scale_is_reported_and_tried_again(
    cluster: Cluster, clock: FakeClock
) -> None:
    workers = FakeWorkerDeployment("ecs", clock=clock, replicas=12)  # above the maximum
    autoscaler = _autoscaler(cluster, workers, clock)
    workers.fail_next("scale", ECSError("UpdateService denied"))
    failed = await autoscaler.step()
    assert (failed.action, failed.applied, failed.error) == (
        ScaleAction.DOWN,
        False,
        "UpdateService denied",
    )
    assert str(failed) == "12 → 10: above the maximum of 10 [failed: UpdateService denied]"
    again = await autoscaler.step()
    assert (again.applied, again.target) == (True, 10)
    assert workers.scale_calls == [10, 10]


async def test_stop_ends_the_pause_at_once(cluster: Cluster, clock: FakeClock) -> None:
    workers = FakeWorkerDeployment("k8s", clock=clock, replicas=2)
    autoscaler = _autoscaler(cluster, workers, clock)

    async def stop_once_paused() -> None:
        await asyncio.sleep(0)  # runs while the loop waits for its next period
        autoscaler.stop()

    async with asyncio.TaskGroup() as tg:

        def on_decision(decision: ScalingDecision) -> None:
            if decision.number == 3:
                tg.create_task(stop_once_paused())

        decisions = await autoscaler.run(on_decision=on_decision)
    assert len(decisions) == 3
    assert clock.monotonic() < 180.0  # the pause was cut short


async def test_stop_from_a_callback_ends_after_that_decision(
    cluster: Cluster, clock: FakeClock
) -> None:
    workers = FakeWorkerDeployment("k8s", clock=clock, replicas=2)
    autoscaler = _autoscaler(cluster, workers, clock)
    decisions = await autoscaler.run(on_decision=lambda d: autoscaler.stop())
    assert len(decisions) == 1
    assert clock.monotonic() == 0.0


async def test_cancelling_the_consumer_cancels_the_loop(cluster: Cluster, clock: FakeClock) -> None:
    workers = FakeWorkerDeployment("k8s", clock=clock, replicas=2)
    autoscaler = _autoscaler(cluster, workers, clock)
    second = asyncio.Event()

    def on_decision(decision: ScalingDecision) -> None:
        if decision.number == 2:
            second.set()

    task = asyncio.get_running_loop().create_task(autoscaler.run(on_decision=on_decision))
    await second.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(autoscaler.history) == 2


async def test_a_dry_run_decides_but_never_scales(cluster: Cluster, clock: FakeClock) -> None:
    workers = FakeWorkerDeployment("k8s", clock=clock, replicas=15)
    autoscaler = _autoscaler(cluster, workers, clock, dry_run=True)
    decisions = await autoscaler.run(periods=2)
    assert [d.action for d in decisions] == [ScaleAction.DOWN, ScaleAction.DOWN]
    assert not any(d.applied for d in decisions)
    assert workers.scale_calls == []
    assert str(decisions[0]) == "(dry run) 15 → 10: above the maximum of 10"


async def test_decisions_are_json_ready(cluster: Cluster, clock: FakeClock) -> None:
    workers = FakeWorkerDeployment("k8s", clock=clock, replicas=2)
    autoscaler = _autoscaler(cluster, workers, clock)
    decisions = await autoscaler.run(periods=3)
    for decision in decisions:
        data = json.loads(json.dumps(decision.to_dict()))
        assert data["event"] == "decision"
        assert data["role"] == "backfill"
        assert data["workers"]["desired"] == decision.current
        assert data["pressure"]["source"] == "_nodes/stats"
    assert decisions[-1].to_dict()["progress"]["remaining"] == 100
    described = autoscaler.describe()
    assert described["policy"]["max_workers"] == 10
    assert (described["pressure"], described["progress"]) == ("_nodes/stats", "working state")


async def test_built_for_a_backfill(cluster: Cluster, clock: FakeClock) -> None:
    config = BackfillConfig.model_validate(
        {"reindex_from_snapshot": {"k8s": {"namespace": "ma", "deployment_name": "rfs"}}}
    )
    workers = FakeWorkerDeployment("k8s", clock=clock, replicas=0)
    backfill = Backfill(config, cluster, workers, clock=clock)
    autoscaler = Autoscaler.for_backfill(
        backfill, policy=TargetHealthPolicy(min_workers=2, max_workers=4)
    )
    assert isinstance(autoscaler.pressure, NodeStatsPressure)
    assert isinstance(autoscaler.progress, WorkingStateProgress)
    assert autoscaler.progress.index == backfill.index
    assert autoscaler.clock is clock
    paused = await autoscaler.step()
    assert paused.rule == "paused"  # the autoscaler never starts a paused backfill
    await backfill.scale(1)
    raised = await autoscaler.step()
    assert (raised.action, raised.target, raised.applied) == (ScaleAction.UP, 2, True)
    assert workers.scale_calls == [1, 2]


async def test_built_for_the_replayer(cluster: Cluster, clock: FakeClock) -> None:
    config = ReplayConfig.model_validate({"k8s": {"namespace": "ma", "deployment_name": "replay"}})
    workers = FakeWorkerDeployment("k8s", clock=clock, replicas=1)
    replay = Replay(config, workers, clock=clock)
    autoscaler = Autoscaler.for_replay(replay, cluster, period=30)
    assert isinstance(autoscaler.progress, IndexingProgress)
    assert autoscaler.role == "replay"
    assert not autoscaler.stop_when_complete
    decision = await autoscaler.step()
    assert decision.to_dict()["role"] == "replay"


def test_nonsense_settings_are_refused() -> None:
    workers = FakeWorkerDeployment("k8s")
    fake = FakeOpenSearch()
    config = ClusterConfig.model_validate({"endpoint": "http://t:9200", "no_auth": None})
    cluster = Cluster(config, fake.client(), name="t")
    with pytest.raises(ValueError, match="period"):
        Autoscaler(workers, pressure=NodeStatsPressure(cluster), period=0)
    with pytest.raises(ValueError, match="history"):
        Autoscaler(workers, pressure=NodeStatsPressure(cluster), history=0)


@pytest.mark.parametrize("kind", ["docker", "ecs", "k8s"])
async def test_every_deployment_kind_is_scaled_through_the_worker_protocol(
    cluster: Cluster, clock: FakeClock, kind: str
) -> None:
    from asyncconsole.infra.docker import FakeDockerManager
    from asyncconsole.infra.ecs import FakeECSManager
    from asyncconsole.infra.kubernetes import FakeK8sManager
    from asyncconsole.services.workers import (
        DockerWorkers,
        EcsWorkers,
        K8sWorkers,
        WorkerDeployment,
    )

    workers: WorkerDeployment
    if kind == "docker":
        docker = FakeDockerManager(clock=clock)
        docker.add_image("rfs:latest")
        workers = DockerWorkers(docker, role="backfill", session="s", image="rfs:latest")
    elif kind == "ecs":
        ecs = FakeECSManager(clock=clock)
        ecs.add_service("migration", "rfs", desired=0)
        workers = EcsWorkers(ecs, cluster="migration", service="rfs")
    else:
        k8s = FakeK8sManager(clock=clock)
        k8s.add_deployment("ma", "rfs", replicas=0, labels={"app": "rfs"})
        workers = K8sWorkers(k8s, namespace="ma", deployment="rfs")
    await workers.scale(12)
    autoscaler = Autoscaler(
        workers,
        pressure=NodeStatsPressure(cluster),
        policy=TargetHealthPolicy(min_workers=2, max_workers=8),
        clock=clock,
    )
    decision = await autoscaler.step()
    assert (decision.current, decision.target, decision.applied) == (12, 8, True)
    assert (await workers.counts()).desired == 8
