"""Backfill end to end: real AiohttpClient against FakeOpenSearchServer's working-state index."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import FakeClock
from asyncconsole._errors import WorkingIndexNotFoundError
from asyncconsole.config import BackfillConfig, ClusterConfig
from asyncconsole.infra.http import AiohttpClient
from asyncconsole.services.backfill import Backfill, BackfillStatus, StepState
from asyncconsole.services.clusters import Cluster
from asyncconsole.services.workers import FakeWorkerDeployment
from asyncconsole.testing import FakeOpenSearchServer

pytestmark = pytest.mark.integration


def rfs(**extra: Any) -> BackfillConfig:
    block = {"ecs": {"cluster_name": "migration", "service_name": "rfs"}, **extra}
    return BackfillConfig.model_validate({"reindex_from_snapshot": block})


@contextlib.asynccontextmanager
async def backfill_on(
    server: FakeOpenSearchServer,
    workers: FakeWorkerDeployment,
    *,
    config: BackfillConfig | None = None,
    **kwargs: Any,
) -> AsyncIterator[Backfill]:
    cluster_config = ClusterConfig(endpoint=server.url, no_auth=None)
    async with AiohttpClient(base_url=server.url, timeout=30) as http:
        target = Cluster(cluster_config, http, name="target")
        yield Backfill(config or rfs(), target, workers, **kwargs)


async def test_truth_table() -> None:
    """The reference's OpenSearch test: 21 total, 10 completed, 7 in progress, 4 waiting."""
    async with FakeOpenSearchServer() as server:
        server.seed_working_state(completed=10, in_progress=6, unclaimed=4, split=1)
        async with backfill_on(server, FakeWorkerDeployment(replicas=3)) as backfill:
            result = await backfill.deep_status()
            assert result.status is StepState.RUNNING
            assert (
                result.shard_total,
                result.shard_complete,
                result.shard_in_progress,
                result.shard_waiting,
            ) == (21, 10, 7, 4)
            assert result.percentage_completed == pytest.approx(10 / 21 * 100)
            assert result.started is not None
            assert result.eta_ms is not None
            assert result.eta_ms > 0
            report = await backfill.status(deep=True)
            assert report.status is BackfillStatus.RUNNING
            text = str(report)
            assert "Total shards: 21" in text
            assert "Percent completed: 47.6%" in text
        # Each deep status is one _msearch (and nothing else): one round trip.
        sent = server.requests_matching(path=r"/\.migrations_working_state")
        assert [(r.method, r.path) for r in sent] == [
            ("POST", "/.migrations_working_state/_msearch")
        ] * 2


async def test_paused_then_completed_over_time() -> None:
    async with FakeOpenSearchServer() as server:
        server.seed_working_state(completed=2, in_progress=2)
        workers = FakeWorkerDeployment()
        async with backfill_on(server, workers) as backfill:
            assert (await backfill.deep_status()).status is StepState.PAUSED
            await workers.scale(2)
            assert (await backfill.deep_status()).status is StepState.RUNNING
            assert server.rfs_complete(10) == 2
            done = await backfill.deep_status()
            assert done.status is StepState.COMPLETED
            assert done.percentage_completed == 100.0
            assert done.finished is not None
            failed = await backfill.deep_status(has_failed_documents=True)
            assert failed.status is StepState.COMPLETED_WITH_ERRORS


async def test_counts_exact_past_ten_thousand() -> None:
    async with FakeOpenSearchServer() as server:
        server.seed_working_state(completed=7_000, unclaimed=5_000)
        async with backfill_on(server, FakeWorkerDeployment(replicas=1)) as backfill:
            result = await backfill.deep_status()
        assert (result.shard_total, result.shard_complete, result.shard_waiting) == (
            12_000,
            7_000,
            5_000,
        )


async def test_pending_and_initializing() -> None:
    async with (
        FakeOpenSearchServer() as server,
        backfill_on(server, FakeWorkerDeployment(replicas=1)) as backfill,
    ):
        pending = await backfill.deep_status()
        assert pending.to_dict()["status"] == "Pending"
        server.seed_working_state(in_progress=3, setup_completed=False)
        initializing = await backfill.deep_status()
        assert initializing.initializing
        assert str(initializing) == "Shards are initializing"


async def test_session_index_status_and_archive(tmp_path: Path) -> None:
    async with FakeOpenSearchServer() as server:
        name = server.seed_working_state(completed=5, session="s1")
        server.seed_working_state(completed=1)  # the unsuffixed index must be left alone
        config = rfs(backfill_session_name="s1")
        async with backfill_on(
            server, FakeWorkerDeployment(), config=config, archive_dir=tmp_path
        ) as backfill:
            assert (await backfill.deep_status()).shard_total == 5
            path = await backfill.archive()
            assert name not in server.index_names
            assert ".migrations_working_state" in server.index_names
            with pytest.raises(WorkingIndexNotFoundError):
                await backfill.archive()
        batches = json.loads(path.read_text())
        docs = {doc_id: source for batch in batches for doc_id, source in batch.items()}
        assert len(docs) == 6  # five items and shard_setup
        assert "shard_setup" in docs
        assert server.open_scrolls == 0
        assert os.listdir(tmp_path) == [path.name]


async def test_archive_includes_writes_not_yet_refreshed(tmp_path: Path) -> None:
    # The server's clock stands still: no scheduled refresh can save the last worker write.
    async with FakeOpenSearchServer(clock=FakeClock(auto_advance=False)) as server:
        name = server.seed_working_state(completed=2)
        async with AiohttpClient(base_url=server.url) as http:
            await http.request("PUT", f"/{name}/_doc/late__0__0", json={"completedAt": 7})
        async with backfill_on(server, FakeWorkerDeployment()) as backfill:
            path = await backfill.archive(tmp_path / "state.json")
        docs = {i for batch in json.loads(path.read_text()) for i in batch}
        assert "late__0__0" in docs
        assert len(docs) == 4  # shard_setup, two items and the late write


async def test_archive_streams_in_pages(tmp_path: Path) -> None:
    async with FakeOpenSearchServer() as server:
        server.seed_working_state(completed=2_500)
        async with backfill_on(server, FakeWorkerDeployment()) as backfill:
            path = await backfill.archive(tmp_path / "state.json")
        batches = json.loads(path.read_text())
        assert [len(b) for b in batches] == [1000, 1000, 501]


async def test_deep_status_request_sequence() -> None:
    async with FakeOpenSearchServer() as server:
        server.seed_working_state(completed=10, in_progress=6, unclaimed=4, split=1)
        async with backfill_on(server, FakeWorkerDeployment(replicas=1)) as backfill:
            server.clear_requests()
            await backfill.deep_status()
        sent = [(r.method, r.path) for r in server.requests]
        # shard_setup, the five counts and the finish-time aggregation in one request
        assert sent == [("POST", "/.migrations_working_state/_msearch")]
