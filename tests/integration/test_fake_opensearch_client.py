"""The official opensearch-py async client talks to FakeOpenSearchServer: proof it speaks OpenSearch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import opensearchpy
import opensearchpy.helpers
import pytest

from asyncconsole.testing import FakeOpenSearchServer

pytestmark = pytest.mark.integration

# opensearch-py is a test dependency: a plain import, so a missing client fails the run
# instead of silently skipping the proof that the fake speaks OpenSearch.


@pytest.fixture
async def client(opensearch_server: FakeOpenSearchServer) -> AsyncIterator[Any]:
    es = opensearchpy.AsyncOpenSearch(hosts=[opensearch_server.url], timeout=5)
    try:
        yield es
    finally:
        await es.close()


async def test_info_ping_and_health(client: Any) -> None:
    info = await client.info()
    assert info["version"]["number"] == "2.15.0"
    assert info["version"]["distribution"] == "opensearch"
    assert await client.ping() is True
    health = await client.cluster.health()
    assert health["status"] == "green"
    assert health["number_of_nodes"] == 1


async def test_index_bulk_search_count_and_delete(
    client: Any, opensearch_server: FakeOpenSearchServer
) -> None:
    created = await client.indices.create(
        index="books",
        body={"settings": {"index": {"number_of_shards": 2, "number_of_replicas": 0}}},
    )
    assert created["acknowledged"] is True
    assert await client.indices.exists(index="books") is True
    assert await client.indices.exists(index="nope") is False

    actions = [{"_index": "books", "_id": str(i), "n": i, "title": f"book {i}"} for i in range(250)]
    ok, errors = await opensearchpy.helpers.async_bulk(client, actions, refresh=True)
    assert (ok, errors) == (250, [])
    await client.indices.refresh(index="books")

    assert (await client.count(index="books"))["count"] == 250
    query = {
        "bool": {"filter": [{"range": {"n": {"gte": 100}}}], "must_not": [{"term": {"n": 150}}]}
    }
    result = await client.search(
        index="books", body={"query": query, "sort": [{"n": "desc"}], "size": 3}
    )
    assert result["hits"]["total"] == {"value": 149, "relation": "eq"}
    assert [h["_id"] for h in result["hits"]["hits"]] == ["249", "248", "247"]
    agg = await client.search(
        index="books", body={"size": 0, "aggs": {"top": {"max": {"field": "n"}}}}
    )
    assert agg["aggregations"]["top"]["value"] == 249.0

    doc = await client.get(index="books", id="7")
    assert doc["_source"]["title"] == "book 7"
    with pytest.raises(opensearchpy.NotFoundError):
        await client.get(index="books", id="missing")

    rows = await client.cat.indices(format="json")
    assert [(r["index"], r["docs.count"], r["pri"]) for r in rows] == [("books", "250", "2")]
    text = await client.cat.indices(v=True)
    assert text.splitlines()[0].split()[:3] == ["health", "status", "index"]

    deleted = await client.indices.delete(index="books")
    assert deleted["acknowledged"] is True
    assert opensearch_server.index_names == []


async def test_scan_scrolls_every_document_and_clears(
    client: Any, opensearch_server: FakeOpenSearchServer
) -> None:
    opensearch_server.create_index("logs", ({"i": i} for i in range(1234)))
    seen = [
        hit["_source"]["i"]
        async for hit in opensearchpy.helpers.async_scan(
            client, index="logs", query={"query": {"match_all": {}}}, size=100
        )
    ]
    assert sorted(seen) == list(range(1234))
    scrolls = opensearch_server.requests_matching("POST", r"^/_search/scroll$")
    # The search brought page 1; scrolls brought 12 more (the last with 34) and one empty page.
    assert len(scrolls) == 13
    assert opensearch_server.open_scrolls == 0


async def test_snapshot_repository_create_and_status(
    client: Any, opensearch_server: FakeOpenSearchServer, tmp_path: Any
) -> None:
    opensearch_server.create_index("src", ({"v": i} for i in range(10)), shards=3)
    await client.snapshot.create_repository(
        repository="repo", body={"type": "fs", "settings": {"location": str(tmp_path)}}
    )
    assert (await client.snapshot.get_repository(repository="repo"))["repo"]["type"] == "fs"
    opensearch_server.snapshot_duration = 0.0
    done = await client.snapshot.create(
        repository="repo",
        snapshot="snap-1",
        body={"indices": "src", "include_global_state": True},
        wait_for_completion=True,
    )
    assert done["snapshot"]["state"] == "SUCCESS"
    status = await client.snapshot.status(repository="repo", snapshot="snap-1")
    entry = status["snapshots"][0]
    assert entry["shards_stats"]["done"] == entry["shards_stats"]["total"] == 3
    assert entry["stats"]["total"]["size_in_bytes"] > 0
    with pytest.raises(opensearchpy.RequestError) as caught:
        await client.snapshot.create(repository="repo", snapshot="snap-1", body={})
    assert caught.value.error == "invalid_snapshot_name_exception"
    await client.snapshot.delete(repository="repo", snapshot="snap-1")
    with pytest.raises(opensearchpy.NotFoundError):
        await client.snapshot.get(repository="repo", snapshot="snap-1")
    await client.snapshot.delete_repository(repository="repo")
    with pytest.raises(opensearchpy.NotFoundError) as missing:
        await client.snapshot.get_repository(repository="repo")
    assert missing.value.error == "repository_missing_exception"


async def test_basic_auth_with_the_client(tmp_path: Any) -> None:
    async with FakeOpenSearchServer(auth=("admin", "s3cret")) as server:
        good = opensearchpy.AsyncOpenSearch(hosts=[server.url], http_auth=("admin", "s3cret"))
        bad = opensearchpy.AsyncOpenSearch(hosts=[server.url], http_auth=("admin", "wrong"))
        try:
            assert (await good.info())["cluster_name"] == "fake-opensearch"
            with pytest.raises(opensearchpy.AuthenticationException):
                await bad.info()
        finally:
            await good.close()
            await bad.close()


async def test_documents_and_the_query_shapes_the_services_use(client: Any) -> None:
    for i in (0, 4000, 8000, 12_000, 12_001, 12_002, 12_003, 12_004):
        await client.index(index="work", id=f"w__{i}", body={"n": i, "done": i % 2 == 0})
    await client.bulk(
        body="".join(
            f'{{"index": {{"_index": "work", "_id": "b{i}"}}}}\n{{"n": {i}}}\n'
            for i in range(12_000)
        )
    )
    await client.indices.refresh(index="work")
    total = 12_000 + 8
    capped = await client.search(index="work", body={"size": 0, "query": {"match_all": {}}})
    assert capped["hits"]["total"] == {"value": 10_000, "relation": "gte"}
    exact = await client.search(
        index="work", body={"size": 0, "track_total_hits": True, "query": {"match_all": {}}}
    )
    assert exact["hits"]["total"] == {"value": total, "relation": "eq"}
    by_ids = await client.search(
        index="work", body={"query": {"ids": {"values": ["w__0", "b7", "nope"]}}}
    )
    assert sorted(h["_id"] for h in by_ids["hits"]["hits"]) == ["b7", "w__0"]
    with_field = await client.count(index="work", body={"query": {"exists": {"field": "done"}}})
    assert with_field["count"] == 8
    done = await client.count(
        index="work",
        body={
            "query": {
                "bool": {
                    "must": [{"exists": {"field": "done"}}],
                    "must_not": [{"term": {"done": False}}],
                    "filter": [{"range": {"n": {"lt": 12_004}}}],
                }
            }
        },
    )
    assert done["count"] == 5  # w__0, w__4000, w__8000, w__12000, w__12002
    assert (await client.get(index="work", id="w__4000"))["_source"] == {"n": 4000, "done": True}
    await client.delete(index="work", id="w__4000")
    assert await client.exists(index="work", id="w__4000") is False
