"""Snapshot service against FakeHttpClient: exact calls (§3, §9 items 17, 18, 22), waits, errors."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

import pytest

from asyncconsole import FakeClock
from asyncconsole._errors import (
    HttpError,
    NoSourceClusterError,
    OperationTimeoutError,
    SnapshotExistsError,
    SnapshotFailedError,
    SnapshotNotStartedError,
)
from asyncconsole.config import ClusterConfig, SnapshotConfig
from asyncconsole.infra.http import FakeHttpClient, HttpRequest, HttpResponse
from asyncconsole.services.clusters import Cluster
from asyncconsole.services.snapshot import (
    Snapshot,
    SnapshotState,
    SnapshotStatus,
    repository_settings,
)

REPO = "migration_assistant_repo"
BASE = f"/_snapshot/{REPO}"
FS: dict[str, Any] = {"snapshot_name": "snap1", "fs": {"repo_path": "/snapshots"}}
S3: dict[str, Any] = {
    "snapshot_name": "snap1",
    "snapshot_repo_name": "my-repo",
    "s3": {
        "repo_uri": "s3://bucket/path/to/repo/",
        "aws_region": "us-east-2",
        "role": "arn:aws:iam::123456789012:role/snap",
        "endpoint": "http://s3.local:9000",
    },
}
GCS: dict[str, Any] = {
    "snapshot_name": "snap1",
    "gcs": {"repo_uri": "gs://bkt/base", "endpoint": "http://gcs"},
}


def make(config: dict[str, Any] = FS) -> tuple[Snapshot, FakeHttpClient, FakeClock]:
    clock = FakeClock()
    http = FakeHttpClient(base_url="http://source:9200")
    cluster = Cluster(
        ClusterConfig(endpoint="http://source:9200", no_auth=None), http, name="source"
    )
    return Snapshot(SnapshotConfig(**config), cluster, clock=clock), http, clock


def calls(http: FakeHttpClient) -> list[tuple[str, str]]:
    return [(r.method, unquote(r.path)) for r in http.requests]


def snapshot_entry(name: str = "snap1", state: str = "SUCCESS", **extra: Any) -> dict[str, Any]:
    return {
        "snapshot": name,
        "state": state,
        "indices": ["logs"],
        "start_time_in_millis": 1719343996753,
        "end_time_in_millis": 1719344076179,
        "duration_in_millis": 79426,
        "shards": {"total": 304, "successful": 304, "failed": 0},
        **extra,
    }


# -- repository and create ---------------------------------------------------------------------


def test_repository_settings_per_kind() -> None:
    assert repository_settings(SnapshotConfig(**FS)) == {
        "type": "fs",
        "settings": {"location": "/snapshots", "compress": False},
    }
    assert repository_settings(SnapshotConfig(**S3), max_snapshot_rate_mb_per_node=50) == {
        "type": "s3",
        "settings": {
            "bucket": "bucket",
            "base_path": "path/to/repo",
            "compress": False,
            "max_snapshot_bytes_per_sec": "50mb",
            "region": "us-east-2",
            "role_arn": "arn:aws:iam::123456789012:role/snap",
            "endpoint": "http://s3.local:9000",
        },
    }
    bare: dict[str, Any] = {
        "snapshot_name": "s",
        "s3": {"repo_uri": "s3://bucket", "aws_region": "us-east-1"},
    }
    assert repository_settings(SnapshotConfig(**bare))["settings"] == {
        "bucket": "bucket",
        "compress": False,
        "region": "us-east-1",
    }
    assert repository_settings(SnapshotConfig(**GCS), max_snapshot_rate_mb_per_node=5) == {
        "type": "gcs",
        "settings": {
            "bucket": "bkt",
            "base_path": "base",
            "compress": False,
            "max_snapshot_bytes_per_sec": "5mb",
        },
    }
    fs_rate = repository_settings(SnapshotConfig(**FS), max_snapshot_rate_mb_per_node=7)
    assert fs_rate["settings"]["max_snapshot_bytes_per_sec"] == "7mb"


async def test_create_registers_repo_then_snapshot() -> None:
    snapshot, http, _ = make(S3)
    http.route("PUT", "/_snapshot/my-repo", json={"acknowledged": True})
    http.route("PUT", "/_snapshot/my-repo/snap1", json={"accepted": True})
    result = await snapshot.create(max_snapshot_rate_mb_per_node=100, indices=["a", "b"])
    assert calls(http) == [("PUT", "/_snapshot/my-repo"), ("PUT", "/_snapshot/my-repo/snap1")]
    assert http.requests[0].json()["settings"]["max_snapshot_bytes_per_sec"] == "100mb"
    assert http.requests[1].json() == {
        "indices": "a,b",
        "ignore_unavailable": True,
        "include_global_state": True,
    }
    assert str(result) == "Snapshot snap1 creation initiated successfully"
    assert result.to_dict() == {
        "snapshot": "snap1",
        "repository": "my-repo",
        "replaced": False,
        "status": None,
    }


async def test_create_existing_repository_is_fine_and_all_indices_by_default() -> None:
    snapshot, http, _ = make()
    http.route(
        "PUT",
        BASE,
        status=500,
        json={"error": {"reason": f"[{REPO}] repository already exists and is currently used"}},
    )
    http.route("PUT", f"{BASE}/snap1", json={"accepted": True})
    await snapshot.create()
    assert http.requests[1].json()["indices"] == "_all"


async def test_create_repository_failure_raises() -> None:
    snapshot, http, _ = make()
    http.route("PUT", BASE, status=500, json={"error": {"reason": "location not whitelisted"}})
    with pytest.raises(HttpError, match="whitelisted"):
        await snapshot.create()
    assert len(http.requests) == 1


EXISTS = {
    "error": {
        "type": "invalid_snapshot_name_exception",
        "reason": f"[{REPO}:snap1] Invalid snapshot name [snap1], snapshot with the same name already exists",
    },
    "status": 400,
}


async def test_create_existing_snapshot_explains_the_options() -> None:
    snapshot, http, _ = make()
    http.route("PUT", BASE, json={"acknowledged": True})
    http.route("PUT", f"{BASE}/snap1", status=400, json=EXISTS)
    with pytest.raises(SnapshotExistsError) as err:
        await snapshot.create()
    assert "already exists" in str(err.value)
    assert "replace=True" in str(err.value)
    assert "name=" in str(err.value)
    # No implicit deletion happened.
    assert [m for m, _ in calls(http)] == ["PUT", "PUT"]


async def test_create_under_another_name_or_replace() -> None:
    snapshot, http, _ = make()
    http.route("PUT", BASE, json={"acknowledged": True})
    http.route("PUT", f"{BASE}/snap1-2", json={"accepted": True})
    result = await snapshot.create(name="snap1-2")
    assert result.snapshot == "snap1-2"

    http.requests.clear()
    http.route("DELETE", f"{BASE}/snap1", json={"acknowledged": True})
    http.route("GET", f"{BASE}/snap1", status=404, json={"error": "snapshot_missing_exception"})
    http.route("PUT", f"{BASE}/snap1", json={"accepted": True})
    replaced = await snapshot.create(replace=True)
    assert replaced.replaced
    assert calls(http) == [
        ("PUT", BASE),
        ("DELETE", f"{BASE}/snap1"),
        ("GET", f"{BASE}/snap1"),
        ("PUT", f"{BASE}/snap1"),
    ]


class SnapshotApi:
    """A snapshot that advances with the (fake) clock: 1 GiB over ``duration`` seconds."""

    def __init__(self, clock: FakeClock, *, duration: float = 10.0, final: str = "SUCCESS") -> None:
        self.clock = clock
        self.duration = duration
        self.final = final
        self.started: float | None = None

    def progress(self) -> float:
        assert self.started is not None
        return min(1.0, (self.clock.monotonic() - self.started) / self.duration)

    def create(self, request: HttpRequest) -> HttpResponse:
        self.started = self.clock.monotonic()
        return HttpResponse.build(200, json={"accepted": True})

    def state(self) -> str:
        return self.final if self.progress() >= 1.0 else "IN_PROGRESS"

    def info(self, request: HttpRequest) -> HttpResponse:
        if self.started is None:
            return HttpResponse.build(404, json={"error": {"type": "snapshot_missing_exception"}})
        return HttpResponse.build(200, json={"snapshots": [snapshot_entry(state=self.state())]})

    def status(self, request: HttpRequest) -> HttpResponse:
        elapsed = int((self.clock.monotonic() - (self.started or 0)) * 1000)
        done = self.progress() >= 1.0
        stats: dict[str, Any] = {
            "incremental": {"size_in_bytes": 1 << 30},
            "total": {"size_in_bytes": 1 << 30},
            "start_time_in_millis": 1719343996753,
            "time_in_millis": elapsed,
        }
        if not done:
            stats["processed"] = {"size_in_bytes": int((1 << 30) * self.progress())}
        entry = {
            "snapshot": "snap1",
            "state": self.state(),
            "shards_stats": {"total": 4, "done": 4 if done else 1, "failed": 0},
            "stats": stats,
        }
        return HttpResponse.build(200, json={"snapshots": [entry]})


def _advancing(http: FakeHttpClient, clock: FakeClock, **kwargs: Any) -> SnapshotApi:
    api = SnapshotApi(clock, **kwargs)
    http.route("PUT", BASE, json={"acknowledged": True})
    http.route("PUT", f"{BASE}/snap1", api.create)
    http.route("GET", f"{BASE}/snap1", api.info)
    http.route("GET", f"{BASE}/snap1/_status", api.status)
    return api


async def test_create_and_wait_reports_progress_until_done() -> None:
    snapshot, http, clock = make()
    _advancing(http, clock, duration=10.0)
    seen: list[SnapshotStatus] = []
    result = await snapshot.create(wait=True, poll_interval=2.0, on_progress=seen.append)
    assert result.status is not None
    assert result.status.status is SnapshotState.COMPLETED
    assert str(result) == "Snapshot snap1 created successfully"
    percents = [s.percentage_completed for s in seen]
    assert percents == sorted(percents)
    assert percents[0] == 0.0
    assert 0 < percents[1] < 100
    assert percents[-1] == 100.0
    assert all(s.eta_ms is not None for s in seen[1:-1])
    assert clock.sleeps == [2.0] * (len(seen) - 1)


async def test_watch_yields_events_and_async_callback() -> None:
    snapshot, http, clock = make()
    api = _advancing(http, clock, duration=3.0)
    api.create(HttpRequest("PUT", "http://x/"))
    events = [s.status async for s in snapshot.watch(poll_interval=1.0)]
    assert events[-1] is SnapshotState.COMPLETED
    assert set(events[:-1]) == {SnapshotState.RUNNING}

    api.create(HttpRequest("PUT", "http://x/"))
    got: list[float] = []

    async def record(status: SnapshotStatus) -> None:
        got.append(status.percentage_completed)

    await snapshot.wait(on_progress=record)
    assert got[-1] == 100.0


async def test_wait_failed_snapshot_raises() -> None:
    snapshot, http, clock = make()
    api = _advancing(http, clock, duration=2.0, final="PARTIAL")
    api.create(HttpRequest("PUT", "http://x/"))
    with pytest.raises(SnapshotFailedError) as err:
        await snapshot.wait()
    assert err.value.state == "PARTIAL"
    assert err.value.context["status"].percentage_completed == 100.0


async def test_wait_times_out() -> None:
    snapshot, http, clock = make()
    api = _advancing(http, clock, duration=1000.0)
    api.create(HttpRequest("PUT", "http://x/"))
    with pytest.raises(OperationTimeoutError, match="still running after 5s") as err:
        await snapshot.wait(timeout=5.0)
    assert err.value.timeout == 5.0
    assert clock.monotonic() - (api.started or 0) <= 5.0


async def test_wait_for_missing_snapshot_raises_not_started() -> None:
    snapshot, http, clock = make()
    _advancing(http, clock)
    with pytest.raises(SnapshotNotStartedError):
        await snapshot.wait()


# -- status ------------------------------------------------------------------------------------


async def test_status_returns_raw_state() -> None:
    snapshot, http, _ = make()
    http.route("GET", f"{BASE}/snap1", json={"snapshots": [snapshot_entry()]})
    assert await snapshot.status() == "SUCCESS"
    assert calls(http) == [("GET", f"{BASE}/snap1")]


@pytest.mark.parametrize(
    "response",
    [
        HttpResponse.build(404, json={"error": {"type": "snapshot_missing_exception"}}),
        HttpResponse.build(200, json={"snapshots": []}),
    ],
)
async def test_status_not_started(response: HttpResponse) -> None:
    snapshot, http, _ = make()
    http.route("GET", f"{BASE}/snap1", response)
    with pytest.raises(SnapshotNotStartedError, match="Snapshot not started"):
        await snapshot.status()
    with pytest.raises(SnapshotNotStartedError):
        await snapshot.deep_status()


async def test_status_server_error_is_not_hidden() -> None:
    snapshot, http, _ = make()
    http.route("GET", f"{BASE}/snap1", status=500, json={"error": "boom"})
    with pytest.raises(HttpError) as err:
        await snapshot.status()
    assert err.value.status == 500


async def test_deep_status_uses_status_endpoint_last() -> None:
    snapshot, http, _ = make()
    http.route("GET", f"{BASE}/snap1", json={"snapshots": [snapshot_entry()]})
    detailed = {
        "snapshot": "snap1",
        "state": "SUCCESS",
        "shards_stats": {"done": 304, "failed": 0, "total": 304},
        "stats": {
            "incremental": {"size_in_bytes": 67108864},
            "total": {"size_in_bytes": 67108864},
            "start_time_in_millis": 1719343996753,
            "time_in_millis": 79426,
        },
    }
    http.route("GET", f"{BASE}/snap1/_status", json={"snapshots": [detailed]})
    status = await snapshot.deep_status()
    # the basic info first; then _status and the document counts, concurrently
    first, *rest = calls(http)
    assert first == ("GET", f"{BASE}/snap1")
    assert sorted(rest) == [("GET", f"{BASE}/snap1/_status"), ("GET", "/_stats/docs")]
    text = status.render()
    assert "Percent completed: 100.00%" in text
    assert "Data processed: 64.000/64.000 MiB" in text
    assert "Total shards: 304" in text
    assert "Successful shards: 304" in text
    assert "2024-06-2" in text
    assert "Throughput:" in text
    assert "N/A" not in text


async def test_deep_status_falls_back_to_basic_info() -> None:
    snapshot, http, _ = make()
    entry = snapshot_entry(state="IN_PROGRESS", shards={"total": 4, "successful": 1, "failed": 0})
    http.route("GET", f"{BASE}/snap1", json={"snapshots": [entry]})
    http.route("GET", f"{BASE}/snap1/_status", status=500, json={"error": "boom"})
    status = await snapshot.deep_status()
    assert status.percentage_completed == 25.0
    assert status.data_total_bytes is None
    assert "Data processed: unknown" in status.render()


# -- list and delete ---------------------------------------------------------------------------


async def test_list_snapshots() -> None:
    snapshot, http, _ = make()
    http.route(
        "GET",
        f"{BASE}/_all",
        json={"snapshots": [snapshot_entry("a"), snapshot_entry("b", "IN_PROGRESS")]},
    )
    found = await snapshot.list()
    assert [(s.name, s.state) for s in found] == [("a", "SUCCESS"), ("b", "IN_PROGRESS")]
    assert found[0].shards_total == 304
    assert found[0].to_dict()["start_time"] == "2024-06-25T19:33:16.753000+00:00"


async def test_delete_then_wait_for_404() -> None:
    snapshot, http, clock = make()
    http.route("DELETE", f"{BASE}/snap1", json={"acknowledged": True})
    answers = iter([200, 200, 404])
    http.route(
        "GET",
        f"{BASE}/snap1",
        lambda r: HttpResponse.build(next(answers), json={"snapshots": []}),
    )
    result = await snapshot.delete()
    assert result.existed
    assert str(result) == "Snapshot snap1 successfully deleted."
    assert calls(http) == [("DELETE", f"{BASE}/snap1")] + [("GET", f"{BASE}/snap1")] * 3
    assert clock.sleeps == [2.0, 2.0]


async def test_delete_missing_is_already_deleted() -> None:
    snapshot, http, _ = make()
    http.route("DELETE", f"{BASE}/snap1", status=404, json={"error": "missing"})
    http.route("GET", f"{BASE}/snap1", status=404, json={"error": "missing"})
    result = await snapshot.delete()
    assert not result.existed
    assert str(result) == f"Deleted snapshot: snap1 from repository '{REPO}'"


async def test_delete_times_out_and_failures_raise() -> None:
    snapshot, http, clock = make()
    http.route("DELETE", f"{BASE}/snap1", json={"acknowledged": True})
    http.route("GET", f"{BASE}/snap1", json={"snapshots": [snapshot_entry()]})
    with pytest.raises(OperationTimeoutError):
        await snapshot.delete(timeout=10)
    assert clock.monotonic() <= 10
    http.route("DELETE", f"{BASE}/snap1", status=500, json={"error": "nope"})
    with pytest.raises(HttpError):
        await snapshot.delete(wait=False)


def _deletable(http: FakeHttpClient, names: list[str]) -> None:
    http.route("GET", f"{BASE}/_all", json={"snapshots": [snapshot_entry(n) for n in names]})
    http.route("DELETE", re.compile(f"{BASE}/.+"), json={"acknowledged": True})
    http.route("GET", re.compile(f"{BASE}/(?!_all).+"), status=404, json={"error": "missing"})


async def test_delete_all_single() -> None:
    snapshot, http, _ = make()
    _deletable(http, ["only"])
    result = await snapshot.delete_all()
    assert calls(http) == [
        ("GET", f"{BASE}/_all"),
        ("DELETE", f"{BASE}/only"),
        ("GET", f"{BASE}/only"),
    ]
    assert str(result) == f"All snapshots cleared from repository '{REPO}'"


async def test_delete_all_multiple_concurrently_with_per_snapshot_results() -> None:
    snapshot, http, _ = make()
    _deletable(http, ["a", "b", "c"])
    http.route("DELETE", f"{BASE}/b", status=500, json={"error": "busy"})
    result = await snapshot.delete_all()
    assert calls(http)[0] == ("GET", f"{BASE}/_all")
    assert sorted(p for m, p in calls(http) if m == "DELETE") == [
        f"{BASE}/a",
        f"{BASE}/b",
        f"{BASE}/c",
    ]
    assert [(r.snapshot, r.ok) for r in result.results] == [("a", True), ("b", False), ("c", True)]
    assert not result.ok
    assert "Failed to delete snapshot b" in str(result)
    assert result.to_dict()["results"][1]["error"]


async def test_delete_all_empty_and_missing_repository() -> None:
    snapshot, http, _ = make()
    http.route("GET", f"{BASE}/_all", json={"snapshots": []})
    assert str(await snapshot.delete_all()) == f"No snapshots found in repository '{REPO}'."
    http.requests.clear()
    http.route(
        "GET",
        f"{BASE}/_all",
        status=404,
        json={"error": {"type": "repository_missing_exception", "reason": "missing"}},
    )
    result = await snapshot.delete_all()
    assert result.repository_missing
    assert str(result) == f"Repository '{REPO}' does not exist, all snapshots are deleted."
    assert len(http.requests) == 1


async def test_unregister_repo() -> None:
    snapshot, http, _ = make()
    http.route("DELETE", BASE, json={"acknowledged": True})
    result = await snapshot.unregister_repo()
    assert calls(http) == [("DELETE", BASE)]
    assert str(result) == f"Repository '{REPO}' deleted"
    http.route("DELETE", BASE, status=404, json={"error": {"type": "repository_missing_exception"}})
    assert str(await snapshot.unregister_repo()) == f"Repository '{REPO}' does not exist"
    http.route("DELETE", BASE, status=500, json={"error": "nope"})
    with pytest.raises(HttpError):
        await snapshot.unregister_repo()


# -- sizing, check, describe ------------------------------------------------------------------


async def test_indexes_resolves_then_stats_and_settings_with_dotted_names() -> None:
    snapshot, http, _ = make()
    http.route(
        "GET",
        "/_resolve/index/logs*,metrics",
        json={
            "indices": [{"name": "logs.2024"}, {"name": "metrics"}],
            "data_streams": [{"name": "ds", "backing_indices": [".ds-ds-000001", "metrics"]}],
        },
    )
    targets = "/logs.2024,metrics,.ds-ds-000001"
    http.route(
        "GET",
        f"{targets}/_stats",
        json={
            "indices": {
                "metrics": {"primaries": {"docs": {"count": 5}, "store": {"size_in_bytes": 50}}},
                "logs.2024": {"primaries": {"docs": {"count": 9}, "store": {"size_in_bytes": 90}}},
            }
        },
    )
    http.route(
        "GET",
        f"{targets}/_settings",
        json={
            "logs.2024": {"settings": {"index": {"number_of_shards": "3"}}},
            "metrics": {"settings": {"index": {"number_of_shards": "1"}}},
        },
    )
    found = await snapshot.indexes(["logs*", "metrics"])
    assert [i.to_dict() for i in found] == [
        {"name": "logs.2024", "document_count": 9, "size_bytes": 90, "shard_count": 3},
        {"name": "metrics", "document_count": 5, "size_bytes": 50, "shard_count": 1},
    ]
    stats_call = next(r for r in http.requests if r.path.endswith("/_stats"))
    assert dict(stats_call.query) == {
        "level": "indices",
        "filter_path": "indices.*.primaries.docs.count,indices.*.primaries.docs.deleted,"
        "indices.*.primaries.store.size_in_bytes",
        "expand_wildcards": "all",
        "metric": "docs,store",
    }


async def test_indexes_without_patterns_and_with_no_match() -> None:
    snapshot, http, _ = make()
    http.route("GET", "/_stats", json={})
    http.route("GET", "/_settings", json={})
    assert await snapshot.indexes() == []
    assert sorted(calls(http)) == [("GET", "/_settings"), ("GET", "/_stats")]
    http.route("GET", "/_resolve/index/none*", json={"indices": [], "data_streams": []})
    assert await snapshot.indexes(["none*"]) == []


async def test_check_reports_repository_and_state() -> None:
    snapshot, http, _ = make()
    http.route("GET", BASE, json={REPO: {"type": "fs"}})
    http.route("GET", f"{BASE}/snap1", json={"snapshots": [snapshot_entry()]})
    assert (
        await snapshot.check() == f"repository '{REPO}' (fs) registered; snapshot 'snap1': SUCCESS"
    )
    http.route("GET", BASE, status=404, json={"error": {"type": "repository_missing_exception"}})
    http.route("GET", f"{BASE}/snap1", status=404, json={"error": "missing"})
    assert await snapshot.check() == (
        f"repository '{REPO}' (fs) not registered; snapshot 'snap1': not started"
    )
    http.fail("reset", times=None)
    with pytest.raises(HttpError):
        await snapshot.check()


def test_describe() -> None:
    snapshot, _, _ = make(S3)
    described = snapshot.describe()
    assert described["repo"]["type"] == "s3"
    assert described["repo"]["role"] == "arn:aws:iam::123456789012:role/snap"
    assert described["snapshot_repo_name"] == "my-repo"
    assert described["external_repo"] is True
    assert described["source"] == "http://source:9200"
    json.dumps(described)


async def test_every_operation_needs_a_source_cluster() -> None:
    snapshot = Snapshot(SnapshotConfig(**FS), None)
    operations = [
        snapshot.create(),
        snapshot.register_repo(),
        snapshot.status(),
        snapshot.deep_status(),
        snapshot.wait(),
        snapshot.list(),
        snapshot.delete(),
        snapshot.delete_all(),
        snapshot.unregister_repo(),
        snapshot.indexes(),
        snapshot.check(),
    ]
    for operation in operations:
        with pytest.raises(
            NoSourceClusterError, match="Unable to continue without a source cluster specified"
        ):
            await operation
    with pytest.raises(NoSourceClusterError):
        async for _ in snapshot.watch():
            pass
    assert snapshot.describe()["source"] is None


async def test_deep_status_documents_come_from_the_source_stats() -> None:
    """_status has no document counts (console_link read a missing field: 0 everywhere)."""
    snapshot, http, _ = make()
    entry = snapshot_entry(indices=["logs", "orders", "gone"])
    http.route("GET", f"{BASE}/snap1", json={"snapshots": [entry]})
    detailed = {
        "snapshot": "snap1",
        "state": "SUCCESS",
        "indices": {name: {"shards_stats": {"done": 1, "total": 1}} for name in entry["indices"]},
    }
    http.route("GET", f"{BASE}/snap1/_status", json={"snapshots": [detailed]})
    stats = {
        "indices": {
            "logs": {"primaries": {"docs": {"count": 1200}}},
            "orders": {"primaries": {"docs": {"count": 7}}},
            "not-in-the-snapshot": {"primaries": {"docs": {"count": 99}}},
        }
    }
    http.route("GET", "/_stats/docs", json=stats)
    status = await snapshot.deep_status()
    assert {i.name: i.document_count for i in status.indexes} == {
        "gone": None,  # deleted from the source since: unknown, not 0
        "logs": 1200,
        "orders": 7,
    }
    (stats_call,) = [r for r in http.requests if r.path.startswith("/_stats")]
    assert ("filter_path", "indices.*.primaries.docs.count") in stats_call.query

    http.route("GET", "/_stats/docs", status=403, json={"error": "forbidden"})
    unknown = await snapshot.deep_status()
    assert [i.document_count for i in unknown.indexes] == [None, None, None]
    assert unknown.percentage_completed == 100.0  # the status itself is unaffected
