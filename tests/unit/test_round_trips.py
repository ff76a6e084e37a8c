"""Round trips at the limit: each operation sends everything it can at once, so it waits for
its peers once (counted in lockstep steps, not timed)."""

from __future__ import annotations

from typing import Any

import pytest

from asyncconsole import Environment, FakeClock
from asyncconsole.config import BackfillConfig, ClusterConfig, SnapshotConfig
from asyncconsole.environment import Infrastructure
from asyncconsole.infra.ecs import FakeECSManager
from asyncconsole.infra.http import FakeHttpClient, HttpAuth, HttpClient, HttpRouter
from asyncconsole.infra.metrics import PrometheusMetricsCollector
from asyncconsole.services.backfill import Backfill, StepState
from asyncconsole.services.clusters import Cluster
from asyncconsole.services.metrics import MetricsService
from asyncconsole.services.snapshot import Snapshot
from asyncconsole.services.workers import FakeWorkerDeployment
from asyncconsole.testing import FakeOpenSearch
from tests.fixtures.steps import Lockstep


def prometheus(lockstep: Lockstep) -> PrometheusMetricsCollector:
    router = HttpRouter()
    router.add("GET", "/api/v1/status/buildinfo", json={"status": "success", "data": {"version": "2.53.0"}})  # fmt: skip
    series = [{"__name__": "kafkaCommitCount", "exported_job": "capture"}]
    router.add("GET", "/api/v1/series", json={"status": "success", "data": series})
    http = FakeHttpClient(lockstep.wrap(router, peer="prometheus "), base_url="http://prom:9090")
    return PrometheusMetricsCollector("http://prom:9090", http=http)


async def test_lockstep_counts_dependent_requests_as_separate_steps() -> None:
    # The counter itself: two requests at once are one step, one after the other are two.
    lockstep = Lockstep()
    router = HttpRouter()
    router.add("GET", "/a", json={})
    async with FakeHttpClient(lockstep.wrap(router), base_url="http://x") as http:
        await http.request("GET", "/a")
        await http.request("GET", "/a")
    assert lockstep.steps == [["GET /a"], ["GET /a"]]


@pytest.mark.parametrize("state", ["missing", "initializing", "running", "completed"])
async def test_backfill_deep_status_is_one_step(state: str) -> None:
    clock = FakeClock()
    cluster = FakeOpenSearch(clock=clock)
    if state == "initializing":
        cluster.seed_working_state(in_progress=2, setup_completed=False)
    elif state == "running":
        cluster.seed_working_state(completed=3, in_progress=2, unclaimed=1)
    elif state == "completed":
        cluster.seed_working_state(completed=4)
    lockstep = Lockstep()
    http = FakeHttpClient(lockstep.wrap(cluster), base_url="http://target:9200", clock=clock)
    target = Cluster(
        ClusterConfig(endpoint="http://target:9200", no_auth=None), http, name="target"
    )
    config = BackfillConfig.model_validate(
        {"reindex_from_snapshot": {"ecs": {"cluster_name": "c", "service_name": "rfs"}}}
    )
    workers = FakeWorkerDeployment("ecs", clock=clock, replicas=2)
    backfill = Backfill(config, target, workers, clock=clock)
    async with http:
        report = await backfill.status(deep=True)
        assert report.deep is not None
        expected = {
            "missing": StepState.PENDING,
            "initializing": StepState.RUNNING,
            "running": StepState.RUNNING,
            "completed": StepState.COMPLETED,
        }[state]
        assert report.deep.status is expected
        assert lockstep.steps == [["POST /.migrations_working_state/_msearch"]]


async def test_snapshot_deep_status_is_one_step() -> None:
    clock = FakeClock()
    cluster = FakeOpenSearch(clock=clock, snapshot_duration=0)
    lockstep = Lockstep()
    http = FakeHttpClient(lockstep.wrap(cluster), base_url="http://source:9200", clock=clock)
    source = Cluster(
        ClusterConfig(endpoint="http://source:9200", no_auth=None), http, name="source"
    )
    snapshot = Snapshot(
        SnapshotConfig.model_validate(
            {"snapshot_name": "snap1", "fs": {"repo_path": "/snapshots"}}
        ),
        source,
        clock=clock,
    )
    async with http:
        await source.call_api("/logs/_doc/1", "PUT", json={"v": 1}, params={"refresh": "true"})
        await snapshot.create(wait=True)
        lockstep.reset()
        status = await snapshot.deep_status()
    assert status.percentage_completed == 100.0
    assert status.indexes[0].document_count == 1
    assert len(lockstep.steps) == 1
    assert sorted(lockstep.steps[0]) == [
        "GET /_snapshot/migration_assistant_repo/snap1",
        "GET /_snapshot/migration_assistant_repo/snap1/_status",
        "GET /_stats/docs",
    ]


async def test_metrics_check_pings_and_lists_in_one_step() -> None:
    lockstep = Lockstep()
    async with prometheus(lockstep) as collector:
        detail = await MetricsService(collector).check()
    assert "1 metrics" in detail
    assert len(lockstep.steps) == 1
    assert sorted(lockstep.steps[0]) == [
        "prometheus GET /api/v1/series",
        "prometheus GET /api/v1/status/buildinfo",
    ]


async def test_the_ping_error_is_the_one_a_failed_metrics_check_reports() -> None:
    lockstep = Lockstep()
    collector = prometheus(lockstep)
    http = collector._http
    assert isinstance(http, FakeHttpClient)
    http.fail(503, path="/api/v1/status/buildinfo", times=None)
    async with collector:
        with pytest.raises(Exception, match="buildinfo"):
            await MetricsService(collector).check()


async def test_environment_check_is_one_step_for_every_component() -> None:
    clock = FakeClock()
    lockstep = Lockstep()
    clusters: dict[str, FakeOpenSearch] = {}

    def clients(config: ClusterConfig, auth: HttpAuth | None) -> HttpClient:
        cluster = clusters.setdefault(config.endpoint, FakeOpenSearch(clock=clock))
        name = config.endpoint.split("//")[1].split(":")[0]
        return FakeHttpClient(
            lockstep.wrap(cluster, peer=f"{name} "), base_url=config.endpoint, clock=clock
        )

    ecs = FakeECSManager(clock=clock)
    ecs.add_service("migration", "rfs", desired=1)
    data: dict[str, Any] = {
        "source_cluster": {"endpoint": "http://source:9200", "no_auth": None},
        "target_cluster": {"endpoint": "http://target:9200", "no_auth": None},
        "snapshot": {"snapshot_name": "snap1", "fs": {"repo_path": "/snapshots"}},
        "metrics_source": {"prometheus": {"endpoint": "http://prom:9090"}},
        "backfill": {
            "reindex_from_snapshot": {"ecs": {"cluster_name": "migration", "service_name": "rfs"}}
        },
    }
    infra = Infrastructure(http=clients, metrics=prometheus(lockstep), ecs=ecs, clock=clock)
    async with Environment.from_dict(data, infra=infra) as env:
        report = await env.check()
        assert report.ok, report
        assert len(lockstep.steps) == 1, lockstep.steps
        lockstep.reset()
        await env.check()  # warm: the same
        assert len(lockstep.steps) == 1, lockstep.steps
