"""Cluster.generate_data: concurrent bounded _bulk batches, end to end against
FakeOpenSearchServer, sizes, partial failures, and argument checks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from asyncconsole.config import ClusterConfig
from asyncconsole.infra.http import AiohttpClient, FakeHttpClient, HttpRequest, HttpResponse
from asyncconsole.services.clusters import Cluster, GenerateDataProgress
from asyncconsole.testing import FakeOpenSearchServer


@asynccontextmanager
async def cluster_on(server: FakeOpenSearchServer) -> AsyncIterator[Cluster]:
    config = ClusterConfig(endpoint=server.url, no_auth=None)
    async with AiohttpClient(base_url=server.url, timeout=30) as http:
        yield Cluster(config, http, name="source")


async def count(cluster: Cluster, index: str) -> int:
    response = await cluster.call_api(f"/{index}/_count")
    return int(response.json()["count"])


async def test_inserts_the_requested_documents_in_batches() -> None:
    async with FakeOpenSearchServer() as server, cluster_on(server) as cluster:
        result = await cluster.generate_data("gen", num_docs=1050, batch_size=100)
        assert result.ok
        assert (result.requested, result.inserted, result.failed) == (1050, 1050, 0)
        assert result.batches == 11
        assert await count(cluster, "gen") == 1050
        bulks = server.requests_matching(method="POST", path=r"/gen/_bulk")
        assert len(bulks) == 11
        hits = (await cluster.call_api("/gen/_search", "POST", json={"size": 3})).json()
        sizes = [len(json.dumps(h["_source"], separators=(",", ":"))) for h in hits["hits"]["hits"]]
        assert all(140 <= size <= 160 for size in sizes), sizes
        assert "Inserted 1050 of 1050 documents into gen in 11 bulk requests" in result.render()
        assert result.to_dict()["failed"] == 0


async def test_progress_after_every_batch() -> None:
    seen: list[GenerateDataProgress] = []
    async with FakeOpenSearchServer() as server, cluster_on(server) as cluster:
        server.fail_next(1, method="POST", path=r"/slow/_bulk", status=400)
        result = await cluster.generate_data(
            "slow", num_docs=250, batch_size=100, max_concurrency=1, on_progress=seen.append
        )
    assert [(p.processed, p.requested) for p in seen] == [(100, 250), (200, 250), (250, 250)]
    assert [p.inserted for p in seen] == [0, 100, 150]  # the first batch was refused
    assert seen[-1].inserted == result.inserted
    assert seen[-1].percent == 100.0
    assert all(p.index == "slow" and p.rate >= 0 for p in seen)
    assert GenerateDataProgress("x", 0, 0, 0, 0.0).percent == 100.0
    assert GenerateDataProgress("x", 10, 5, 4, 2.0).rate == 2.0


async def test_target_size_decides_the_count() -> None:
    async with FakeOpenSearchServer() as server, cluster_on(server) as cluster:
        result = await cluster.generate_data(
            "sized", target_size_mb=0.05, doc_size_bytes=500, batch_size=40
        )
        # ceil(0.05 MiB / 500 B) = ceil(104.8576) = 105 documents.
        assert result.requested == 105
        assert result.inserted == 105
        assert result.batches == 3
        assert await count(cluster, "sized") == 105


async def test_a_refused_batch_is_reported_not_fatal() -> None:
    async with FakeOpenSearchServer() as server, cluster_on(server) as cluster:
        server.fail_next(1, method="POST", path=r"/part/_bulk", status=400, reason="too big")
        result = await cluster.generate_data("part", num_docs=300, batch_size=100)
        assert not result.ok
        assert (result.inserted, result.failed) == (200, 100)
        assert any("too big" in error for error in result.errors), result.errors
        assert "100 documents were not inserted" in result.render()
        assert await count(cluster, "part") == 200


async def test_batches_run_concurrently_but_bounded() -> None:
    inflight = peak = 0
    docs = 0

    async def handler(request: HttpRequest) -> HttpResponse:
        nonlocal inflight, peak, docs
        inflight += 1
        peak = max(peak, inflight)
        for _ in range(5):
            await asyncio.sleep(0)
        lines = [line for line in request.body.split(b"\n") if line]
        items: list[dict[str, Any]] = [{"index": {"status": 201}} for _ in lines[1::2]]
        docs += len(items)
        inflight -= 1
        return HttpResponse.build(json={"errors": False, "items": items}, request=request)

    http = FakeHttpClient(handler)
    cluster = Cluster(ClusterConfig(endpoint="http://fake.invalid", no_auth=None), http, name="t")
    result = await cluster.generate_data(
        "c", num_docs=2000, batch_size=50, max_concurrency=3, refresh=False
    )
    assert result.inserted == docs == 2000
    assert peak == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one"),
        ({"num_docs": 5, "target_size_mb": 1.0}, "exactly one"),
        ({"num_docs": 0}, "num_docs"),
        ({"target_size_mb": 0.0}, "target_size_mb"),
        ({"num_docs": 5, "batch_size": 0}, "batch_size"),
        ({"num_docs": 5, "doc_size_bytes": 0}, "doc_size_bytes"),
    ],
)
async def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    cluster = Cluster(
        ClusterConfig(endpoint="http://fake.invalid", no_auth=None), FakeHttpClient(), name="t"
    )
    with pytest.raises(ValueError, match=message):
        await cluster.generate_data("idx", **kwargs)
    with pytest.raises(ValueError, match="index"):
        await cluster.generate_data("_bad", num_docs=1)
