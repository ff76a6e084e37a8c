"""The fake node's write load: capacity, the write thread pool, per-item 429s and ``_nodes/stats``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from asyncconsole import FakeClock, HttpError
from asyncconsole.infra.http import AiohttpClient, HttpClient
from asyncconsole.testing import FakeOpenSearch, FakeOpenSearchServer, LoadModel

NDJSON = {"Content-Type": "application/x-ndjson"}


def _bulk(index: str, docs: int, first: int = 0) -> str:
    return "".join(
        json.dumps({"index": {"_index": index, "_id": str(n)}}) + "\n" + '{"n": 1}\n'
        for n in range(first, first + docs)
    )


async def _send(http: HttpClient, body: str) -> dict[str, Any]:
    response = await http.request("POST", "/_bulk", data=body, headers=NDJSON)
    assert response.status == 200
    answer: dict[str, Any] = response.json()
    return answer


async def _node(http: HttpClient, metrics: str = "os,process,thread_pool") -> dict[str, Any]:
    answer = (await http.request("GET", f"/_nodes/stats/{metrics}")).json()
    [node] = answer["nodes"].values()
    result: dict[str, Any] = node
    return result


async def test_below_capacity_nothing_is_rejected_and_cpu_follows_the_bulk_rate() -> None:
    clock = FakeClock(auto_advance=False)
    load = LoadModel(capacity=100, idle_cpu=2, busy_cpu=80, cpu_window=10)
    cluster = FakeOpenSearch(clock=clock, load=load)
    async with cluster.client(retry=False) as http:
        for second in range(20):  # 50 documents a second: half the capacity
            answer = await _send(http, _bulk("items", 50, first=second * 50))
            assert answer["errors"] is False
            await clock.advance(1.0)
        node = await _node(http)
    write = node["thread_pool"]["write"]
    assert (write["rejected"], write["completed"], write["queue"]) == (0, 20, 0)
    assert node["process"]["cpu"]["percent"] == 40  # busy half the time x 80 %
    assert node["os"]["cpu"]["percent"] == 42  # plus the machine's idle floor
    assert cluster.load.indexed == 1000


async def test_above_capacity_the_queue_fills_then_whole_tasks_get_per_item_429s() -> None:
    clock = FakeClock(auto_advance=False)
    cluster = FakeOpenSearch(clock=clock, load=LoadModel(capacity=10, queue_size=2, threads=1))
    async with cluster.client(retry=False) as http:
        answers = [await _send(http, _bulk("items", 20, first=k * 20)) for k in range(3)]
        assert [a["errors"] for a in answers] == [False, False, False]
        stats = (await _node(http))["thread_pool"]["write"]
        assert (stats["active"], stats["queue"]) == (1, 2)
        rejected = await _send(http, _bulk("items", 20, first=60) + _bulk("other", 1))
    assert rejected["errors"] is True
    statuses = [item["index"]["status"] for item in rejected["items"]]
    assert statuses == [429] * 20 + [429]  # the queue was full for both tasks
    error = rejected["items"][0]["index"]["error"]
    assert error["type"] == "rejected_execution_exception"
    assert "queue capacity = 2" in error["reason"]
    assert "BulkShardRequest [[items][0]] containing [20] requests" in error["reason"]
    assert cluster.document("items", "60") is None  # a rejected task writes nothing
    assert cluster.document("items", "59") is not None
    assert (cluster.load.rejected, cluster.load.completed) == (2, 0)


async def test_the_queue_drains_at_capacity_and_counts_completed_tasks() -> None:
    clock = FakeClock(auto_advance=False)
    cluster = FakeOpenSearch(clock=clock, load=LoadModel(capacity=10, queue_size=5))
    async with cluster.client(retry=False) as http:
        for k in range(4):
            await _send(http, _bulk("items", 10, first=k * 10))
        await clock.advance(2.5)  # two tasks done, the third half done
        write = (await _node(http, "thread_pool"))["thread_pool"]["write"]
        assert (write["completed"], write["active"], write["queue"]) == (2, 2, 0)
        await clock.advance(10)
        write = (await _node(http, "thread_pool"))["thread_pool"]["write"]
    assert (write["completed"], write["active"], write["queue"]) == (4, 0, 0)


async def test_elasticsearch_names_the_rejection_as_elasticsearch_does() -> None:
    clock = FakeClock(auto_advance=False)
    load = LoadModel(capacity=1, queue_size=0, threads=1)
    cluster = FakeOpenSearch(clock=clock, load=load, distribution="elasticsearch", version="7.10.2")
    async with cluster.client(retry=False) as http:
        await _send(http, _bulk("items", 5))
        second = await _send(http, _bulk("items", 5, first=5))
    error = second["items"][0]["index"]["error"]
    assert error["type"] == "es_rejected_execution_exception"
    assert "EsThreadPoolExecutor" in error["reason"]


async def test_unlimited_by_default() -> None:
    cluster = FakeOpenSearch(clock=FakeClock(auto_advance=False))
    async with cluster.client(retry=False) as http:
        for k in range(50):
            assert (await _send(http, _bulk("items", 100, first=k * 100)))["errors"] is False
        node = await _node(http)
    assert node["thread_pool"]["write"]["rejected"] == 0
    assert node["thread_pool"]["write"]["completed"] == 50
    assert node["os"]["cpu"]["percent"] == 2
    assert cluster.load.capacity is None


async def test_nodes_stats_has_opensearchs_shape() -> None:
    cluster = FakeOpenSearch(clock=FakeClock(auto_advance=False), cluster_name="target")
    cluster.create_index("items", [{"n": 1}, {"n": 2}])
    async with cluster.client(retry=False) as http:
        answer = (await http.request("GET", "/_nodes/stats")).json()
    assert answer["_nodes"] == {"total": 1, "successful": 1, "failed": 0}
    assert answer["cluster_name"] == "target"
    [(node_id, node)] = answer["nodes"].items()
    assert node_id == "fake-node-id"
    assert node["name"] == "fake-node-1"
    assert set(node) >= {
        "timestamp",
        "roles",
        "indices",
        "os",
        "process",
        "jvm",
        "thread_pool",
        "fs",
    }
    assert "data" in node["roles"]
    assert isinstance(node["os"]["cpu"]["percent"], int)
    assert isinstance(node["process"]["cpu"]["percent"], int)
    assert set(node["thread_pool"]["write"]) >= {
        "threads", "queue", "active", "rejected", "largest", "completed"
    }  # fmt: skip
    assert node["indices"]["docs"]["count"] == 2
    assert node["indices"]["indexing"]["index_total"] == 2


async def test_metrics_index_metrics_and_node_selection() -> None:
    cluster = FakeOpenSearch(clock=FakeClock(auto_advance=False))
    async with cluster.client(retry=False) as http:
        only = await _node(http, "os,thread_pool")
        assert set(only) - {"timestamp", "name", "transport_address", "host", "ip", "roles",
                            "attributes"} == {"os", "thread_pool"}  # fmt: skip
        indexing = await _node(http, "indices/indexing")
        assert set(indexing["indices"]) == {"indexing"}
        by_name = (await http.request("GET", "/_nodes/fake-node-*/stats/os")).json()
        assert list(by_name["nodes"]) == ["fake-node-id"]
        local = (await http.request("GET", "/_nodes/_local/stats")).json()
        assert local["_nodes"]["total"] == 1
        other = (await http.request("GET", "/_nodes/nobody/stats")).json()
        assert (other["_nodes"]["total"], other["nodes"]) == (0, {})
        filtered = await http.request(
            "GET",
            "/_nodes/stats/thread_pool",
            params={"filter_path": "nodes.*.thread_pool.write.rejected"},
        )
        assert filtered.json() == {
            "nodes": {"fake-node-id": {"thread_pool": {"write": {"rejected": 0}}}}
        }


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/_nodes/stats/cpu", "contains unrecognized metric: [cpu]"),
        ("/_nodes/stats/_all,os", "contains _all and individual metrics"),
        ("/_nodes/stats/indices/nope", "contains unrecognized index metric: [nope]"),
        ("/_nodes/stats/os/docs", "contains index metrics [docs] but indices stats not requested"),
        ("/_nodes/stats/breaker", "does not serve node stats metrics [breaker]"),
        ("/_nodes/stats/indices/search", "does not serve node stats index metrics [search]"),
        ("/_nodes/stats?level=cluster", "level parameter must be one of"),
        ("/_nodes/stats?groups=a", "contains unrecognized parameter: [groups]"),
    ],
)
async def test_what_the_fake_does_not_serve_is_a_400(path: str, message: str) -> None:
    cluster = FakeOpenSearch(clock=FakeClock(auto_advance=False))
    async with cluster.client(retry=False) as http:
        with pytest.raises(HttpError) as refused:
            await http.request("GET", path)
    assert refused.value.status == 400
    assert message in (refused.value.body_excerpt or "")


async def test_the_same_load_over_tcp() -> None:
    load = LoadModel(capacity=5, queue_size=0, threads=1)
    async with (
        FakeOpenSearchServer(load=load) as server,
        AiohttpClient(server.url, retry=False, timeout=5) as http,
    ):
        first = await _send(http, _bulk("items", 50))
        second = await _send(http, _bulk("items", 50, first=50))
        node = await _node(http, "thread_pool")
    assert first["errors"] is False
    assert {item["index"]["status"] for item in second["items"]} == {429}
    assert node["thread_pool"]["write"]["rejected"] == 1


def test_the_model_refuses_nonsense() -> None:
    for bad in (
        {"capacity": 0},
        {"queue_size": -1},
        {"threads": 0},
        {"busy_cpu": 120},
        {"cpu_window": 0},
    ):
        with pytest.raises(ValueError):
            LoadModel(**bad)
