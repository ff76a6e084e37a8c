"""Backfill with fakes: the reference's scenarios 23-30 (scaling, status tables, derived
values, archive, the bounded stop loop) against a scripted working-state index."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from asyncconsole._clock import FakeClock
from asyncconsole._errors import (
    HttpError,
    OperationTimeoutError,
    WorkersStillRunningError,
    WorkingIndexNotFoundError,
)
from asyncconsole.config import BackfillConfig, ClusterConfig
from asyncconsole.infra.ecs import FakeECSManager
from asyncconsole.infra.http import FakeHttpClient, HttpRequest, HttpResponse
from asyncconsole.infra.kubernetes import FakeK8sManager
from asyncconsole.services.backfill import (
    Backfill,
    BackfillOverallStatus,
    BackfillStatus,
    StepState,
    backfill_status,
    count_queries,
)
from asyncconsole.services.backfill._queries import (
    MAX_COMPLETED_BODY,
    SHARD_SETUP_BODY,
    count_body,
)
from asyncconsole.services.clusters import Cluster
from asyncconsole.services.workers import (
    EcsWorkers,
    FakeWorkerDeployment,
    K8sWorkers,
    WorkerCounts,
    WorkerDeployment,
    counts_message,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
INDEX = ".migrations_working_state"


def msearch_pairs(request: HttpRequest) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The (header, body) pairs of an ``_msearch`` request."""
    lines = [json.loads(line) for line in request.body.decode().splitlines()]
    return list(zip(lines[::2], lines[1::2], strict=True))


def rfs_config(kind: str = "ecs", **extra: Any) -> BackfillConfig:
    deployments: dict[str, dict[str, Any]] = {
        "ecs": {"ecs": {"cluster_name": "migration", "service_name": "rfs"}},
        "k8s": {"k8s": {"namespace": "ma", "deployment_name": "rfs"}},
        "docker": {"docker": None},
    }
    deployment = deployments[kind]
    return BackfillConfig.model_validate({"reindex_from_snapshot": {**deployment, **extra}})


@dataclass
class WorkingState:
    """A scripted target cluster: answers exactly the requests the backfill should send."""

    clock: FakeClock
    index: str = INDEX
    exists: bool = True
    setup_completed_at: int | None = None  # shard_setup completedAt; None: setup not done
    totals: dict[str, int] = field(default_factory=dict)
    max_completed: float | None = None
    es6: bool = False
    docs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refreshed: int = 0
    unexpected: list[str] = field(default_factory=list)
    failing: list[dict[str, Any]] = field(default_factory=list)  # searches that fail alone

    def hits_total(self, n: int) -> Any:
        return n if self.es6 else {"value": n, "relation": "eq"}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = unquote(request.path)
        if path == f"/{self.index}/_msearch" and request.method == "POST":
            return self.msearch(request)
        body: Any = json.loads(request.body) if request.body else None
        if path == f"/{self.index}" and request.method == "GET":
            return HttpResponse.build(200 if self.exists else 404, json={})
        if path == f"/{self.index}" and request.method == "DELETE":
            self.deleted.append(request.url)
            return HttpResponse.build(200, json={"acknowledged": True})
        if not self.exists and path.startswith(f"/{self.index}/"):
            return HttpResponse.build(404, json={"error": "index_not_found_exception"})
        if path == f"/{self.index}/_refresh" and request.method == "POST":
            self.refreshed += 1
            return HttpResponse.build(200, json={"_shards": {"total": 1, "failed": 0}})
        if path == f"/{self.index}/_search" and dict(request.query).get("scroll"):
            return self.page(0, body["size"])
        if path == "/_search/scroll" and request.method == "POST":
            return self.page(int(body["scroll_id"]), 0)
        if path == "/_search/scroll" and request.method == "DELETE":
            return HttpResponse.build(200, json={"succeeded": True})
        self.unexpected.append(f"{request.method} {request.url} {body}")
        return HttpResponse.build(400, json={"error": "unexpected request"})

    def msearch(self, request: HttpRequest) -> HttpResponse:
        """``_msearch``: each search answered on its own, as OpenSearch does."""
        assert request.headers["Content-Type"] == "application/x-ndjson"
        responses = [self.search(header, body) for header, body in msearch_pairs(request)]
        return HttpResponse.build(200, json={"took": 1, "responses": responses})

    def search(self, header: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        assert header == {}  # the URL names the index
        if not self.exists:
            error = {"type": "index_not_found_exception", "reason": f"no such index [{self.index}]"}
            return {"error": error, "status": 404}
        if body in self.failing:
            return {"error": {"type": "search_phase_execution_exception", "reason": "boom"},
                    "status": 500}  # fmt: skip
        if body == SHARD_SETUP_BODY:
            hits = []
            if self.setup_completed_at is not None:
                source = {"completedAt": self.setup_completed_at}
                hits = [{"_id": "shard_setup", "_source": source}]
            return {"hits": {"hits": hits}, "status": 200}
        if body == MAX_COMPLETED_BODY:
            aggs = {"max_completed": {"value": self.max_completed}}
            return {"hits": {"hits": []}, "aggregations": aggs, "status": 200}
        now = int(self.clock.now().timestamp())
        for key, query in count_queries(now).items():
            if body == count_body(query):
                total = self.hits_total(self.totals.get(key, 0))
                return {"hits": {"total": total, "hits": []}, "status": 200}
        self.unexpected.append(f"search {body}")
        return {"error": {"type": "parsing_exception", "reason": "unexpected"}, "status": 400}

    def page(self, start: int, size: int) -> HttpResponse:
        size = size or self._size
        self._size = size
        chunk = self.docs[start : start + size]
        hits = [{"_index": self.index, "_id": i, "_source": s} for i, s in chunk]
        return HttpResponse.build(
            200, json={"_scroll_id": str(start + size), "hits": {"hits": hits}}
        )

    _size: int = 100


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def state(clock: FakeClock) -> WorkingState:
    return WorkingState(clock)


@pytest.fixture
def http(state: WorkingState, clock: FakeClock) -> Iterator[FakeHttpClient]:
    client = FakeHttpClient(state, base_url="http://target:9200", clock=clock)
    yield client
    assert state.unexpected == []


def make_backfill(
    http: FakeHttpClient,
    workers: WorkerDeployment,
    clock: FakeClock,
    *,
    config: BackfillConfig | None = None,
    archive_dir: Path | None = None,
) -> Backfill:
    cluster_config = ClusterConfig.model_validate(
        {"endpoint": "http://target:9200", "no_auth": None}
    )
    target = Cluster(cluster_config, http, name="target", clock=clock)
    return Backfill(config or rfs_config(), target, workers, clock=clock, archive_dir=archive_dir)


# -- 23: scaling --------------------------------------------------------------------------------


async def test_ecs_start_pause_stop_scale_call_the_scaler(
    http: FakeHttpClient, clock: FakeClock
) -> None:
    ecs = FakeECSManager(clock=clock)
    ecs.add_service("migration", "rfs", desired=0)
    backfill = make_backfill(http, EcsWorkers(ecs, cluster="migration", service="rfs"), clock)
    await backfill.start()
    await backfill.pause()
    await backfill.scale(3)
    await backfill.stop(archive=False, timeout=60, poll_interval=1)
    desired = [c.params["desired"] for c in ecs.calls_to("scale_service")]
    assert desired == [5, 0, 3, 0]
    assert (await ecs.get_service_status("migration", "rfs")).desired == 0


async def test_k8s_start_uses_configured_scale(http: FakeHttpClient, clock: FakeClock) -> None:
    k8s = FakeK8sManager(clock=clock)
    k8s.add_deployment("ma", "rfs", replicas=0, labels={"app": "rfs"})
    config = rfs_config("k8s", scale=7)
    backfill = make_backfill(
        http, K8sWorkers(k8s, namespace="ma", deployment="rfs"), clock, config=config
    )
    await backfill.start()
    await backfill.pause()
    await backfill.scale(2)
    assert [c.args["replicas"] for c in k8s.calls_to("scale_deployment")] == [7, 0, 2]
    with pytest.raises(ValueError, match="int >= 0"):
        await backfill.scale(-1)


# -- 24: status tables -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("desired", "running", "pending", "expected"),
    [
        (3, 1, 2, BackfillStatus.RUNNING),
        (8, 0, 0, BackfillStatus.STOPPED),
        (8, 0, 6, BackfillStatus.STARTING),
        (1, 3, 1, BackfillStatus.RUNNING),
    ],
)
async def test_ecs_status_table(
    http: FakeHttpClient,
    clock: FakeClock,
    desired: int,
    running: int,
    pending: int,
    expected: BackfillStatus,
) -> None:
    workers = FakeWorkerDeployment("ecs", clock=clock)
    workers.set_counts(running=running, pending=pending, desired=desired)
    report = await make_backfill(http, workers, clock).status()
    assert report.status is expected
    assert report.deep is None
    # console_link's DeploymentStatus line, whole (upstream's tests match it on one line)
    assert report.message == f"Running={running} Pending={pending} Desired={desired} Terminating=0"
    assert str(report) == f"Backfill workers: {expected.value}\n{report.message}"


def test_status_derivation_per_kind() -> None:
    stopping = WorkerCounts(running=0, pending=0, desired=0, terminating=2)
    assert backfill_status("k8s", stopping) is BackfillStatus.TERMINATING
    assert backfill_status("docker", stopping) is BackfillStatus.TERMINATING
    assert backfill_status("ecs", stopping) is BackfillStatus.STOPPED
    # Terminating pods while more are desired: the running/pending rules decide.
    rolling = WorkerCounts(running=1, pending=0, desired=2, terminating=1)
    assert backfill_status("k8s", rolling) is BackfillStatus.RUNNING


async def test_k8s_status_text_and_always_deep(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock
) -> None:
    k8s = FakeK8sManager(clock=clock, converge_delay=30)
    k8s.add_deployment("ma", "rfs", replicas=1, labels={"app": "rfs"})
    await k8s.scale_deployment("ma", "rfs", 3)
    state.exists = False
    backfill = make_backfill(
        http, K8sWorkers(k8s, namespace="ma", deployment="rfs"), clock, config=rfs_config("k8s")
    )
    report = await backfill.status()  # deep not asked for: Kubernetes always checks
    assert report.status is BackfillStatus.RUNNING
    assert report.message == "Pods - Running: 1, Pending: 2, Desired: 3"
    assert report.deep == BackfillOverallStatus.pending()
    assert http.requests_to("POST", f"/{INDEX}/_msearch")


# -- 25: deep check appended; its failure does not fail the status -----------------------------


async def test_deep_check_is_appended(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock
) -> None:
    state.setup_completed_at = int((START - timedelta(hours=1)).timestamp())
    state.totals = {"total": 4, "completed": 2, "incomplete": 2, "in_progress": 1, "unclaimed": 1}
    workers = FakeWorkerDeployment("ecs", clock=clock, replicas=2)
    report = await make_backfill(http, workers, clock).status(deep=True)
    assert report.status is BackfillStatus.RUNNING
    assert report.deep is not None
    assert report.deep.status is StepState.RUNNING
    lines = str(report).splitlines()
    assert lines[:2] == [
        "Backfill workers: RUNNING",
        "Running=2 Pending=0 Desired=2 Terminating=0",
    ]
    assert lines[2:] == [
        "Backfill status: Running",
        "Start time: 2025-12-31 23:00:00+00:00",
        "Finished time: N/A",
        "Percent completed: 50.0%",
        "Estimated time to completion: 1h 0m 0s",
        "Total shards: 4",
        "Completed shards: 2",
        "In progress shards: 1",
        "Waiting shards: 1",
    ]


async def test_deep_check_failure_keeps_status(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    state.setup_completed_at = int(START.timestamp())
    state.totals = {"total": 4, "completed": 2, "incomplete": 2, "in_progress": 1, "unclaimed": 1}
    state.failing = [SHARD_SETUP_BODY]
    workers = FakeWorkerDeployment("ecs", clock=clock, replicas=1)
    with caplog.at_level(logging.ERROR, logger="asyncconsole.services.backfill"):
        report = await make_backfill(http, workers, clock).status(deep=True)
    assert report.status is BackfillStatus.RUNNING
    assert report.deep is not None
    assert report.deep.initializing  # console_link: a failed setup check means initializing

    # A count that fails after setup is an error (console_link counted it as 0).
    now = int(clock.now().timestamp())
    state.failing = [count_body(count_queries(now)["completed"])]
    with caplog.at_level(logging.ERROR, logger="asyncconsole.services.backfill"):
        report = await make_backfill(http, workers, clock).status(deep=True)
    assert report.status is BackfillStatus.RUNNING
    assert report.deep is None
    assert report.deep_error is not None
    assert "500" in report.deep_error
    assert "work item count (completed)" in report.deep_error
    assert "Failed to get detailed status" in caplog.text
    assert str(report) == "Backfill workers: RUNNING\nRunning=1 Pending=0 Desired=1 Terminating=0"
    with pytest.raises(HttpError):
        await make_backfill(http, workers, clock).deep_status()

    # The request failing as a whole is an error too.
    state.failing = []
    http.fail(503, method="POST", path=f"/{INDEX}/_msearch", times=None)
    report = await make_backfill(http, workers, clock).status(deep=True)
    assert report.deep is None
    assert report.deep_error is not None
    assert "503" in report.deep_error


async def test_worker_count_failure_fails_the_status(
    http: FakeHttpClient, clock: FakeClock
) -> None:
    workers = FakeWorkerDeployment("ecs", clock=clock)
    workers.fail_next("counts", OSError("ECS unreachable"))
    with pytest.raises(OSError, match="unreachable"):
        await make_backfill(http, workers, clock).status(deep=True)


# -- 27: derived values --------------------------------------------------------------------------


def totals(total: int, completed: int, in_progress: int = 0, unclaimed: int = 0) -> dict[str, int]:
    return {
        "total": total,
        "completed": completed,
        "incomplete": total - completed,
        "in_progress": in_progress,
        "unclaimed": unclaimed,
    }


async def deep(
    http: FakeHttpClient,
    state: WorkingState,
    clock: FakeClock,
    *,
    replicas: int,
    has_failed_documents: bool | None = None,
) -> BackfillOverallStatus:
    workers = FakeWorkerDeployment("ecs", clock=clock, replicas=replicas)
    backfill = make_backfill(http, workers, clock)
    return await backfill.deep_status(has_failed_documents=has_failed_documents)


async def test_total_zero_is_completed_with_finish_time(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock
) -> None:
    state.setup_completed_at = int(START.timestamp()) - 600
    state.totals = totals(0, 0)
    result = await deep(http, state, clock, replicas=0)
    assert result.status is StepState.COMPLETED
    assert result.percentage_completed == 100.0
    assert result.finished == START  # no completedAt at all: now
    assert result.eta_ms is None


async def test_all_done_is_completed_at_max_completed(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock
) -> None:
    state.setup_completed_at = int(START.timestamp()) - 600
    state.totals = totals(10, 10)
    state.max_completed = START.timestamp() - 60
    result = await deep(http, state, clock, replicas=3)
    assert result.status is StepState.COMPLETED
    assert result.finished == START - timedelta(seconds=60)
    assert result.started == START - timedelta(seconds=600)
    assert result.to_dict() == {
        "status": "Completed",
        "percentage_completed": 100.0,
        "eta_ms": None,
        "started": "2025-12-31T23:50:00+00:00",
        "finished": "2025-12-31T23:59:00+00:00",
        "shard_total": 10,
        "shard_complete": 10,
        "shard_in_progress": 0,
        "shard_waiting": 0,
    }


async def test_half_done_with_workers_is_running_with_eta(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock
) -> None:
    state.setup_completed_at = int(START.timestamp()) - 100
    state.totals = totals(10, 5, in_progress=3, unclaimed=2)
    result = await deep(http, state, clock, replicas=2)
    assert result.status is StepState.RUNNING
    assert result.percentage_completed == 50.0
    assert result.eta_ms == pytest.approx(100_000.0)
    assert result.finished is None
    assert (result.shard_in_progress, result.shard_waiting) == (3, 2)


async def test_half_done_without_workers_is_paused(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock
) -> None:
    state.setup_completed_at = int(START.timestamp()) - 100
    state.totals = totals(10, 5)
    result = await deep(http, state, clock, replicas=0)
    assert result.status is StepState.PAUSED
    assert result.eta_ms is None
    report = await make_backfill(http, FakeWorkerDeployment(clock=clock), clock).status(deep=True)
    assert "Backfill status: Paused" in str(report)  # console_link's text never said Paused


async def test_unknown_workers_count_as_active(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock
) -> None:
    state.setup_completed_at = int(START.timestamp()) - 100
    state.totals = totals(10, 5)
    workers = FakeWorkerDeployment(clock=clock)
    workers.fail_next("counts", OSError("no ECS"))
    with pytest.raises(OSError):
        await make_backfill(http, workers, clock).status()
    workers.fail_next("counts", HttpError("ECS down", method="GET", url="x", status=None))
    result = await make_backfill(http, workers, clock).deep_status()
    assert result.status is StepState.RUNNING


@pytest.mark.parametrize(
    ("failed", "expected"),
    [
        (True, StepState.COMPLETED_WITH_ERRORS),
        (False, StepState.COMPLETED),
        (None, StepState.COMPLETED),
    ],
)
async def test_failed_documents_threaded_through(
    http: FakeHttpClient,
    state: WorkingState,
    clock: FakeClock,
    failed: bool | None,
    expected: StepState,
) -> None:
    state.setup_completed_at = int(START.timestamp())
    state.totals = totals(4, 4)
    result = await deep(http, state, clock, replicas=0, has_failed_documents=failed)
    assert result.status is expected


async def test_failed_documents_never_promote_running(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock
) -> None:
    state.setup_completed_at = int(START.timestamp())
    state.totals = totals(4, 1)
    result = await deep(http, state, clock, replicas=1, has_failed_documents=True)
    assert result.status is StepState.RUNNING


async def test_missing_index_is_pending(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock
) -> None:
    state.exists = False
    result = await deep(http, state, clock, replicas=1)
    assert result.to_dict() == {
        "status": "Pending",
        "percentage_completed": 0.0,
        "eta_ms": None,
        "started": None,
        "finished": None,
        "shard_total": None,
        "shard_complete": None,
        "shard_in_progress": None,
        "shard_waiting": None,
    }
    assert len(http.requests) == 1  # nothing else is asked of a missing index


async def test_setup_not_done_is_initializing(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock
) -> None:
    result = await deep(http, state, clock, replicas=1)
    assert result.status is StepState.RUNNING
    assert result.initializing
    assert str(result) == "Shards are initializing"
    assert [(r.method, unquote(r.path)) for r in http.requests] == [("POST", f"/{INDEX}/_msearch")]


async def test_es6_integer_totals_and_exact_count_requests(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock
) -> None:
    state.es6 = True
    state.setup_completed_at = int(START.timestamp())
    state.totals = totals(25_000, 12_500, in_progress=10_000, unclaimed=2_500)
    result = await deep(http, state, clock, replicas=1)
    assert (result.shard_total, result.shard_complete) == (25_000, 12_500)
    (request,) = http.requests_to("POST", f"/{INDEX}/_msearch")
    counts = [b for _, b in msearch_pairs(request) if "track_total_hits" in b]
    assert len(counts) == 5
    assert all(b["track_total_hits"] is True and b["size"] == 0 and "aggs" not in b for b in counts)


async def test_session_index_is_used(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock
) -> None:
    state.index = ".migrations_working_state_s1"
    state.setup_completed_at = int(START.timestamp())
    state.totals = totals(2, 1)
    backfill = make_backfill(
        http,
        FakeWorkerDeployment(clock=clock, replicas=1),
        clock,
        config=rfs_config(backfill_session_name="s1"),
    )
    assert backfill.index == ".migrations_working_state_s1"
    assert (await backfill.deep_status()).shard_total == 2


# -- 26: archive -------------------------------------------------------------------------------


def seed_docs(state: WorkingState, n: int) -> None:
    state.docs = [(f"idx__{i % 3}__{i}", {"completedAt": 1000 + i}) for i in range(n)]


async def test_archive_writes_batches_then_deletes(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock, tmp_path: Path
) -> None:
    seed_docs(state, 5)
    backfill = make_backfill(http, FakeWorkerDeployment(clock=clock), clock)
    backfill.archive_batch_size = 2
    target = tmp_path / "backup.json"
    assert await backfill.archive(target) == target
    batches = json.loads(target.read_text())
    assert batches == [
        {"idx__0__0": {"completedAt": 1000}, "idx__1__1": {"completedAt": 1001}},
        {"idx__2__2": {"completedAt": 1002}, "idx__0__3": {"completedAt": 1003}},
        {"idx__1__4": {"completedAt": 1004}},
    ]
    assert target.read_text().startswith("[\n{\n    ")  # console_link's indent=4 batches
    assert state.deleted == [f"http://target:9200/{INDEX}?ignore_unavailable=true"]
    assert state.refreshed == 1  # the scroll must see the workers' last writes
    assert [p.name for p in os.scandir(tmp_path)] == ["backup.json"]


async def test_archive_uses_session_index_and_default_names(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock, tmp_path: Path
) -> None:
    state.index = ".migrations_working_state_s2"
    seed_docs(state, 1)
    backfill = make_backfill(
        http,
        FakeWorkerDeployment(clock=clock),
        clock,
        config=rfs_config(backfill_session_name="s2"),
        archive_dir=tmp_path / "archives",
    )
    path = await backfill.archive()
    assert path == tmp_path / "archives" / "working_state_backup_20260101000000.json"
    assert state.deleted == [f"http://target:9200/{state.index}?ignore_unavailable=true"]
    # A directory given as the path gets the default file name inside it.
    state.deleted.clear()
    assert await backfill.archive(tmp_path) == tmp_path / "working_state_backup_20260101000000.json"


async def test_archive_never_overwrites_an_earlier_backup(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock, tmp_path: Path
) -> None:
    # Two archives within one second share the default name: the second gets a suffix.
    backfill = make_backfill(
        http, FakeWorkerDeployment(clock=clock), clock, archive_dir=tmp_path / "archives"
    )
    seed_docs(state, 1)
    first = await backfill.archive()
    seed_docs(state, 2)
    second = await backfill.archive()
    explicit = await backfill.archive(first)
    assert first.name == "working_state_backup_20260101000000.json"
    assert second.name == "working_state_backup_20260101000000-1.json"
    assert explicit.name == "working_state_backup_20260101000000-2.json"
    assert len(json.loads(first.read_text())[0]) == 1
    assert len(json.loads(second.read_text())[0]) == 2
    assert {p.name for p in (tmp_path / "archives").iterdir()} == {
        first.name,
        second.name,
        explicit.name,
    }, "no temporary file is left beside the backups"


async def test_archive_default_dir_from_environment(
    http: FakeHttpClient,
    state: WorkingState,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_docs(state, 1)
    monkeypatch.setenv("SHARED_LOGS_DIR_PATH", str(tmp_path / "shared"))
    backfill = make_backfill(http, FakeWorkerDeployment(clock=clock), clock)
    path = await backfill.archive()
    assert path.parent == tmp_path / "shared" / "backfill_working_state"
    monkeypatch.delenv("SHARED_LOGS_DIR_PATH")
    monkeypatch.chdir(tmp_path)
    path = await backfill.archive()
    assert path.parent == Path("backfill_working_state")
    assert (tmp_path / path).exists()


async def test_archive_missing_index(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock, tmp_path: Path
) -> None:
    state.exists = False
    backfill = make_backfill(http, FakeWorkerDeployment(clock=clock), clock)
    with pytest.raises(
        WorkingIndexNotFoundError, match=f"The working state index '{INDEX}' does not exist"
    ):
        await backfill.archive(tmp_path / "x.json")
    assert os.listdir(tmp_path) == []  # no half-written file
    assert state.deleted == []


@pytest.mark.parametrize(
    "counts",
    [
        WorkerCounts(desired=1),
        WorkerCounts(running=1),
        WorkerCounts(pending=1),
        WorkerCounts(terminating=1),
    ],
)
async def test_archive_refuses_while_workers_exist(
    http: FakeHttpClient, clock: FakeClock, tmp_path: Path, counts: WorkerCounts
) -> None:
    workers = FakeWorkerDeployment(clock=clock)
    workers.set_counts(counts.running, counts.pending, counts.desired, counts.terminating)
    with pytest.raises(WorkersStillRunningError) as caught:
        await make_backfill(http, workers, clock).archive(tmp_path / "x.json")
    assert caught.value.counts == counts
    assert http.requests == []


# -- 30: stop waits (bounded) and archives -------------------------------------------------------


async def test_stop_waits_for_workers_then_archives(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock, tmp_path: Path
) -> None:
    seed_docs(state, 3)
    workers = FakeWorkerDeployment(clock=clock, replicas=3, stop_delay=12)
    backfill = make_backfill(http, workers, clock, archive_dir=tmp_path)
    path = await backfill.stop()
    assert path is not None
    assert path.exists()
    assert workers.scale_calls == [0]
    assert clock.monotonic() == pytest.approx(15.0)  # polled every 5 s until the workers left
    assert len(state.deleted) == 1


async def test_stop_without_index_skips_archive(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock, tmp_path: Path
) -> None:
    state.exists = False
    backfill = make_backfill(
        http, FakeWorkerDeployment(clock=clock, replicas=2), clock, archive_dir=tmp_path
    )
    assert await backfill.stop() is None
    assert state.deleted == []


async def test_stop_is_bounded(http: FakeHttpClient, clock: FakeClock, tmp_path: Path) -> None:
    workers = FakeWorkerDeployment(clock=clock, replicas=2, stop_delay=10_000)
    backfill = make_backfill(http, workers, clock, archive_dir=tmp_path)
    with pytest.raises(OperationTimeoutError) as caught:
        await backfill.stop(timeout=30, poll_interval=5)
    assert caught.value.context["counts"] == WorkerCounts(terminating=2)
    assert clock.monotonic() == pytest.approx(30.0)
    assert http.requests == []


# -- describe / check / rendering -----------------------------------------------------------------


async def test_describe_and_check(http: FakeHttpClient, clock: FakeClock) -> None:
    ecs = FakeECSManager(clock=clock)
    ecs.add_service("migration", "rfs", desired=2, started=True)
    backfill = make_backfill(http, EcsWorkers(ecs, cluster="migration", service="rfs"), clock)
    described = backfill.describe()
    assert described["reindex_from_snapshot"]["ecs"] == {
        "cluster_name": "migration",
        "service_name": "rfs",
    }
    assert described["reindex_from_snapshot"]["scale"] == 5
    assert described["working_state_index"] == INDEX
    assert described["workers"] == {
        "kind": "ecs",
        "cluster_name": "migration",
        "service_name": "rfs",
    }
    json.dumps(described)
    assert await backfill.check() == "RUNNING: 2 running, 0 pending, 2 desired (ecs)"


def test_rendering_details() -> None:
    status = BackfillOverallStatus(
        StepState.RUNNING,
        percentage_completed=33.333,
        eta_ms=3_723_000.0,
        started=START,
        shard_total=3,
        shard_complete=1,
        shard_in_progress=1,
        shard_waiting=1,
    )
    text = status.render()
    assert "Percent completed: 33.3%" in text
    assert "Estimated time to completion: 1h 2m 3s" in text
    assert "Start time: 2026-01-01 00:00:00+00:00" in text
    assert "<table>" in status._repr_html_()
    assert (
        counts_message("k8s", WorkerCounts(1, 2, 3)) == "Pods - Running: 1, Pending: 2, Desired: 3"
    )


async def test_cancelled_archive_leaves_nothing(
    http: FakeHttpClient, state: WorkingState, clock: FakeClock, tmp_path: Path
) -> None:
    seed_docs(state, 10)
    second_page = asyncio.Event()
    never = asyncio.Event()

    async def stall_second_page(request: HttpRequest) -> HttpResponse:
        if unquote(request.path) == "/_search/scroll" and request.method == "POST":
            second_page.set()
            await never.wait()
        return state(request)

    http.handler = stall_second_page
    backfill = make_backfill(http, FakeWorkerDeployment(clock=clock), clock)
    backfill.archive_batch_size = 4
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(backfill.archive(tmp_path / "cut.json"))
        await second_page.wait()
        task.cancel()
    assert task.cancelled()
    assert os.listdir(tmp_path) == []  # neither the file nor its .partial
    assert state.deleted == []  # the index is kept
    assert http.requests_to("DELETE", "/_search/scroll")  # the scroll context was released
