"""The RFS working-state index on FakeOpenSearchServer: console_link's truth table and workers."""

from __future__ import annotations

import gc
import json
from typing import Any

import psutil
import pytest

from asyncconsole._clock import FakeClock
from asyncconsole.testing import FakeOpenSearchServer, WorkItem, WorkItemState
from tests.fixtures.opensearch import OpenSearchHttp, open_http

INDEX = ".migrations_working_state"
# console_link's cardinality script: the work item id up to its second "__".
SCRIPT = (
    "String id = doc['_id'].value; int firstIndex = id.indexOf('__'); "
    "int secondIndex = id.indexOf('__', firstIndex + 2); "
    "return id.substring(0, secondIndex);"
)


def progress_body(query: dict[str, Any]) -> dict[str, Any]:
    return {
        "size": 0,
        "query": query,
        "aggs": {
            "unique_pair_count": {"cardinality": {"script": {"lang": "painless", "source": SCRIPT}}}
        },
    }


def five_queries(now: int) -> dict[str, dict[str, Any]]:
    """The five progress queries of reference §4.3, verbatim."""
    not_setup = {"match": {"_id": "shard_setup"}}
    incomplete = {"bool": {"must_not": [{"exists": {"field": "completedAt"}}, not_setup]}}
    return {
        "total": progress_body(
            {"bool": {"must_not": [not_setup, {"exists": {"field": "successor_items"}}]}}
        ),
        "completed": progress_body(
            {
                "bool": {
                    "must": [{"exists": {"field": "completedAt"}}],
                    "must_not": [not_setup, {"exists": {"field": "successor_items"}}],
                }
            }
        ),
        "incomplete": progress_body(incomplete),
        "in_progress": progress_body(
            {"bool": {"must": [{"range": {"expiration": {"gte": now}}}, incomplete]}}
        ),
        "unclaimed": progress_body(
            {"bool": {"must": [{"range": {"expiration": {"lt": now}}}, incomplete]}}
        ),
    }


async def counts(
    http: OpenSearchHttp, now: int, index: str = INDEX, **extra: Any
) -> dict[str, int]:
    out = {}
    for name, body in five_queries(now).items():
        reply = await http(
            "POST",
            f"/{index}/_search",
            {**body, **extra},
            headers={"Content-Type": "application/json"},
        )
        assert reply.status == 200, reply.text
        out[name] = reply.body["hits"]["total"]["value"]
    return out


def truth_table_items() -> list[WorkItem]:
    items = [WorkItem(f"done{i}", s, WorkItemState.COMPLETED) for i in range(5) for s in range(2)]
    items += [
        WorkItem(f"busy{i}", s, WorkItemState.IN_PROGRESS) for i in range(3) for s in range(2)
    ]
    items += [WorkItem(f"wait{i}", s, WorkItemState.UNCLAIMED) for i in range(2) for s in range(2)]
    items.append(WorkItem("split", 0, WorkItemState.SPLIT))
    return items


async def test_reference_truth_table() -> None:
    clock = FakeClock()
    async with FakeOpenSearchServer(clock=clock) as server, open_http(server) as http:
        server.seed_working_state(truth_table_items())
        now = int(clock.now().timestamp())
        got = await counts(http, now)
        assert got == {
            "total": 21,
            "completed": 10,
            "incomplete": 11,
            "in_progress": 7,
            "unclaimed": 4,
        }
        # The cardinality aggregation counts distinct <index>__<shard> pairs.
        reply = await http("POST", f"/{INDEX}/_search", five_queries(now)["total"])
        assert reply.body["aggregations"]["unique_pair_count"]["value"] == 21
        setup = await http("GET", f"/{INDEX}/_doc/shard_setup")
        assert setup.body["_source"]["completedAt"] == now - 3600
        # The "finished" query: GET with a body, max aggregation over completedAt.
        finished = await http(
            "GET",
            f"/{INDEX}/_search",
            {
                "size": 0,
                "aggs": {"max_completed": {"max": {"field": "completedAt"}}},
                "query": {"exists": {"field": "completedAt"}},
            },
        )
        assert finished.body["aggregations"]["max_completed"]["value"] == float(now - 1)
        # The split item names its successor, which is in progress.
        parent = server.document(INDEX, "split__0__0")
        assert parent is not None
        successor = server.document(INDEX, parent["successor_items"])
        assert successor is not None
        assert successor["expiration"] > now


async def test_counts_by_number_and_session_index() -> None:
    clock = FakeClock()
    async with FakeOpenSearchServer(clock=clock) as server, open_http(server) as http:
        name = server.seed_working_state(
            completed=10, in_progress=6, unclaimed=4, split=1, session="s1"
        )
        assert name == f"{INDEX}_s1"
        now = int(clock.now().timestamp())
        got = await counts(http, now, index=name)
        assert (got["total"], got["completed"], got["in_progress"], got["unclaimed"]) == (
            21,
            10,
            7,
            4,
        )
        ids = [r.body for r in [await http("GET", f"/{name}/_doc/index0__0__0")]]
        assert ids[0]["found"] is True


async def test_ten_thousand_cap_and_track_total_hits() -> None:
    clock = FakeClock()
    async with FakeOpenSearchServer(clock=clock) as server, open_http(server) as http:
        server.seed_working_state(completed=12_000, unclaimed=500)
        now = int(clock.now().timestamp())
        capped = await counts(http, now)
        assert capped["total"] == 10_000
        reply = await http("POST", f"/{INDEX}/_search", five_queries(now)["total"])
        assert reply.body["hits"]["total"] == {"value": 10_000, "relation": "gte"}
        exact = await counts(http, now, track_total_hits=True)
        assert exact["total"] == 12_500
        assert exact["completed"] == 12_000
        assert exact["unclaimed"] == 500


async def test_workers_complete_items_directly_and_over_http() -> None:
    clock = FakeClock()
    async with (
        FakeOpenSearchServer(clock=clock, auth=("u", "p")) as server,
        open_http(server) as http,
    ):
        server.seed_working_state(in_progress=2, unclaimed=3)
        assert server.rfs_claim(1) == 1
        assert server.rfs_complete(2) == 2
        # The control route needs no credentials (a busybox container can call it).
        reply = await http("POST", "/_asyncconsole/rfs/complete?count=10", data=b"")
        assert reply.status == 200
        assert reply.body == {"completed": 3}
        reply = await http("POST", "/_asyncconsole/rfs/complete?count=1")
        assert reply.body == {"completed": 0}
        items = server.index(INDEX).docs
        assert all("completedAt" in d.source for d in items.values())


async def test_claim_over_http_moves_unclaimed_to_in_progress() -> None:
    clock = FakeClock()
    async with FakeOpenSearchServer(clock=clock) as server, open_http(server) as http:
        server.seed_working_state(unclaimed=3, session="abc")
        reply = await http("POST", "/_asyncconsole/rfs/claim?count=2&session=abc")
        assert reply.body == {"claimed": 2}
        now = int(clock.now().timestamp())
        got = await counts(http, now, index=f"{INDEX}_abc")
        assert (got["in_progress"], got["unclaimed"]) == (2, 1)
        bad = await http("POST", "/_asyncconsole/rfs/claim?count=x")
        assert bad.status == 400


async def test_setup_not_completed_has_no_completed_at() -> None:
    async with FakeOpenSearchServer() as server, open_http(server) as http:
        server.seed_working_state(setup_completed=False, unclaimed=1)
        reply = await http(
            "POST", f"/{INDEX}/_search", {"query": {"match": {"_id": "shard_setup"}}}
        )
        assert reply.body["hits"]["hits"] == []


@pytest.mark.slow
async def test_two_hundred_thousand_items_scroll_page_by_page() -> None:
    clock = FakeClock()
    async with FakeOpenSearchServer(clock=clock) as server, open_http(server) as http:
        process = psutil.Process()
        gc.collect()
        before = process.memory_info().rss
        server.seed_working_state(completed=200_000)
        stored = process.memory_info().rss - before
        first = await http(
            "POST",
            f"/{INDEX}/_search?scroll=1m",
            {"size": 1000, "query": {"match_all": {}}},
        )
        assert first.body["hits"]["total"]["value"] == 200_001
        scroll_id = first.body["_scroll_id"]
        seen = len(first.body["hits"]["hits"])
        while True:
            page = await http("POST", "/_search/scroll", {"scroll": "1m", "scroll_id": scroll_id})
            hits = page.body["hits"]["hits"]
            if not hits:
                break
            seen += len(hits)
            del page, hits
        gc.collect()
        growth = process.memory_info().rss - before - stored
        assert seen == 200_001
        # 200k documents stored in well under 150 MB; paging through them (server and client
        # in this process) never holds more than a few pages at once.
        assert stored < 150 * 2**20, stored
        assert growth < 40 * 2**20, growth
        cleared = await http("DELETE", "/_search/scroll", {"scroll_id": scroll_id})
        assert cleared.body == {"succeeded": True, "num_freed": 1}
        assert json.loads(cleared.text)["num_freed"] == 1
