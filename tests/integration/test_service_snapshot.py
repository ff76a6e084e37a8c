"""Snapshot end to end: real AiohttpClient against FakeOpenSearchServer with progress over time."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from asyncconsole import FakeClock
from asyncconsole._errors import SnapshotExistsError, SnapshotFailedError, SnapshotNotStartedError
from asyncconsole.config import ClusterConfig, SnapshotConfig
from asyncconsole.infra.http import AiohttpClient
from asyncconsole.services.clusters import Cluster
from asyncconsole.services.snapshot import Snapshot, SnapshotState, SnapshotStatus
from asyncconsole.testing import FakeOpenSearchServer
from tests.integration.test_service_clusters import AUTHS

pytestmark = pytest.mark.integration

REPO = "migration_assistant_repo"


@contextlib.asynccontextmanager
async def snapshot_on(
    kind: str = "no_auth", config: dict[str, Any] | None = None, **server_kwargs: Any
) -> AsyncIterator[tuple[Snapshot, FakeOpenSearchServer, FakeClock]]:
    server_auth, config_auth, client_auth = AUTHS[kind]
    clock = FakeClock()
    async with FakeOpenSearchServer(auth=server_auth, clock=clock, **server_kwargs) as server:
        cluster_config = ClusterConfig(endpoint=server.url, **config_auth)
        async with AiohttpClient(base_url=server.url, auth=client_auth, timeout=10) as http:
            source = Cluster(cluster_config, http, name="source", clock=clock)
            snapshot_config = SnapshotConfig.model_validate(
                config or {"snapshot_name": "snap1", "fs": {"repo_path": "/snapshots"}}
            )
            yield Snapshot(snapshot_config, source, clock=clock), server, clock


def _seed(server: FakeOpenSearchServer) -> None:
    server.create_index("logs.2024", [{"msg": "x" * 200, "n": i} for i in range(300)], shards=2)
    server.create_index("geonames", [{"name": f"place {i}"} for i in range(100)], shards=1)


@pytest.mark.parametrize("kind", sorted(AUTHS))
async def test_create_and_watch_progress_advancing(kind: str) -> None:
    async with snapshot_on(kind, snapshot_duration=10.0) as (snapshot, server, clock):
        _seed(server)
        created = await snapshot.create()
        assert str(created) == "Snapshot snap1 creation initiated successfully"
        assert await snapshot.status() == "IN_PROGRESS"

        events: list[SnapshotStatus] = []
        async for status in snapshot.watch(poll_interval=2.0, timeout=60):
            events.append(status)
        assert events[0].status is SnapshotState.RUNNING
        assert events[-1].status is SnapshotState.COMPLETED
        percents = [e.percentage_completed for e in events]
        assert percents == sorted(percents)
        assert any(0 < p < 100 for p in percents)
        assert percents[-1] == 100.0
        assert clock.sleeps.count(2.0) == len(events) - 1  # fake time: no real waiting
        middle = next(e for e in events if 0 < e.percentage_completed < 100)
        assert middle.eta_ms is not None
        assert middle.eta_ms > 0
        assert middle.finished is None
        assert middle.data_throughput_bytes_avg_sec
        final = events[-1]
        assert final.finished is not None
        assert final.data_total_bytes == final.data_processed_bytes
        assert final.data_total_bytes
        assert final.shard_total == final.shard_complete == 3
        assert "Percent completed: 100.00%" in final.render()
        assert await snapshot.status() == "SUCCESS"

        listed = await snapshot.list()
        assert [(s.name, s.state) for s in listed] == [("snap1", "SUCCESS")]
        assert set(listed[0].indices) == {"logs.2024", "geonames"}
        assert "registered; snapshot 'snap1': SUCCESS" in await snapshot.check()


async def test_second_snapshot_is_incremental_and_reads_100_percent() -> None:
    async with snapshot_on(snapshot_duration=5.0) as (snapshot, server, _):
        _seed(server)
        await snapshot.create(wait=True, max_snapshot_rate_mb_per_node=50)
        repo = server.requests_matching("PUT", f"/_snapshot/{REPO}")
        assert repo
        assert repo[0].json()["settings"] == {
            "location": "/snapshots",
            "compress": False,
            "max_snapshot_bytes_per_sec": "50mb",
        }
        with pytest.raises(SnapshotExistsError, match="already exists"):
            await snapshot.create()
        server.create_index("new-index", [{"a": i} for i in range(10)])
        second = await snapshot.create(name="snap2", wait=True)
        assert second.status is not None
        assert second.status.percentage_completed == 100.0
        assert second.status.status is SnapshotState.COMPLETED
        deep = await snapshot.deep_status(name="snap2")
        assert deep.data_total_bytes is not None
        assert deep.data_processed_bytes == deep.data_total_bytes

        replaced = await snapshot.create(replace=True, wait=True)
        assert replaced.replaced
        assert sorted(s.name for s in await snapshot.list()) == ["snap1", "snap2"]


async def test_failed_snapshot_raises_on_wait() -> None:
    async with snapshot_on() as (snapshot, server, _):
        _seed(server)
        server.fail_next_snapshot("PARTIAL")
        with pytest.raises(SnapshotFailedError) as err:
            await snapshot.create(wait=True)
        assert err.value.state == "PARTIAL"


async def test_delete_all_concurrently_then_unregister() -> None:
    async with snapshot_on(snapshot_duration=0.0) as (snapshot, server, _):
        _seed(server)
        for name in ("s1", "s2", "s3", "s4"):
            await snapshot.create(name=name)
        result = await snapshot.delete_all()
        assert result.ok
        assert sorted(r.snapshot for r in result.results) == ["s1", "s2", "s3", "s4"]
        assert str(result) == f"All snapshots cleared from repository '{REPO}'"
        assert await snapshot.list() == []
        assert str(await snapshot.delete_all()) == f"No snapshots found in repository '{REPO}'."
        with pytest.raises(SnapshotNotStartedError):
            await snapshot.status(name="s1")
        gone = await snapshot.delete(name="s1")
        assert not gone.existed

        assert str(await snapshot.unregister_repo()) == f"Repository '{REPO}' deleted"
        assert str(await snapshot.unregister_repo()) == f"Repository '{REPO}' does not exist"
        missing = await snapshot.delete_all()
        assert missing.repository_missing
        assert "not registered" in await snapshot.check()


async def test_index_sizing_with_dotted_names() -> None:
    async with snapshot_on() as (snapshot, server, _):
        _seed(server)
        found = {i.name: i for i in await snapshot.indexes()}
        assert found["logs.2024"].shard_count == 2
        assert found["logs.2024"].document_count == 300
        assert found["logs.2024"].size_bytes > 0
        assert found["geonames"].shard_count == 1
        only = await snapshot.indexes(["logs*"])
        assert [i.name for i in only] == ["logs.2024"]
        assert await snapshot.indexes(["nothing*"]) == []


async def test_s3_repository_settings_reach_the_cluster() -> None:
    config = {
        "snapshot_name": "snap1",
        "snapshot_repo_name": "external",
        "s3": {
            "repo_uri": "s3://bucket/base/path",
            "aws_region": "us-east-2",
            "role": "arn:aws:iam::1:role/r",
        },
    }
    async with snapshot_on(config=config, snapshot_duration=0.0) as (snapshot, server, _):
        _seed(server)
        await snapshot.create(wait=True)
        body = server.requests_matching("PUT", "/_snapshot/external")[0].json()
        assert body == {
            "type": "s3",
            "settings": {
                "bucket": "bucket",
                "base_path": "base/path",
                "compress": False,
                "region": "us-east-2",
                "role_arn": "arn:aws:iam::1:role/r",
            },
        }
