"""``GET _nodes/stats``: the response envelope, metric selection and the write thread pool.

From OpenSearch's "Nodes stats" documentation, the REST API specification (``nodes.stats``:
``NodesResponseBase``, ``Stats``, ``ThreadCount``, ``OperatingSystem``, ``Process``) and the
YAML tests ``nodes.stats/10_basic`` and ``nodes.stats/11_indices_metrics``.
"""

from __future__ import annotations

from .conftest import Api


async def test_the_envelope_names_every_node_by_id(api: Api) -> None:
    body = await api.ok("GET", "/_nodes/stats")
    assert set(body) == {"_nodes", "cluster_name", "nodes"}
    assert body["_nodes"]["total"] == body["_nodes"]["successful"] + body["_nodes"]["failed"]
    for node in body["nodes"].values():
        assert isinstance(node["name"], str)
        assert isinstance(node["timestamp"], int)
        assert isinstance(node["roles"], list)


async def test_a_metric_limits_the_sections(api: Api) -> None:
    body = await api.ok("GET", "/_nodes/stats/thread_pool,os")
    [node] = body["nodes"].values()
    assert "thread_pool" in node
    assert "os" in node
    assert "indices" not in node
    assert "jvm" not in node


async def test_index_metrics_limit_the_indices_section(api: Api) -> None:
    body = await api.ok("GET", "/_nodes/stats/indices/docs,indexing")
    [node] = body["nodes"].values()
    assert set(node["indices"]) == {"docs", "indexing"}


async def test_cpu_and_the_write_pool_have_the_documented_fields(api: Api) -> None:
    body = await api.ok("GET", "/_nodes/stats/os,process,thread_pool")
    [node] = body["nodes"].values()
    assert 0 <= node["os"]["cpu"]["percent"] <= 100
    assert 0 <= node["process"]["cpu"]["percent"] <= 100
    write = node["thread_pool"]["write"]
    for field in ("threads", "queue", "active", "rejected", "largest", "completed"):
        assert isinstance(write[field], int), field


async def test_an_unknown_metric_is_refused(api: Api) -> None:
    reply = await api("GET", "/_nodes/stats/nonsense")
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")
    assert (
        reply.reason == "request [/_nodes/stats/nonsense] contains unrecognized metric: [nonsense]"
    )


async def test_bulk_items_count_in_the_indexing_total(api: Api) -> None:
    before = await api.ok("GET", "/_nodes/stats/indices/indexing")
    [node] = before["nodes"].values()
    start = node["indices"]["indexing"]["index_total"]
    await api(
        "POST",
        "/_bulk",
        ndjson=[{"index": {"_index": "n"}}, {"v": 1}, {"index": {"_index": "n"}}, {"v": 2}],
    )
    after = await api.ok("GET", "/_nodes/stats/indices/indexing")
    [node] = after["nodes"].values()
    assert node["indices"]["indexing"]["index_total"] == start + 2
