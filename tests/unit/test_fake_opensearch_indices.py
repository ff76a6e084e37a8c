"""FakeOpenSearchServer: root, health, cluster settings, indices, documents, bulk, stats."""

from __future__ import annotations

import pytest

from asyncconsole.testing import FakeOpenSearchServer
from tests.fixtures.opensearch import OpenSearchHttp, open_http

NDJSON = {"Content-Type": "application/x-ndjson"}


async def test_root_head_and_health(os_http: OpenSearchHttp) -> None:
    root = await os_http("GET", "/")
    assert root.status == 200
    assert root.body["version"]["number"] == "2.15.0"
    assert root.body["version"]["distribution"] == "opensearch"
    assert root.headers["Content-Type"].startswith("application/json")
    head = await os_http("HEAD", "/")
    assert (head.status, head.text) == (200, "")
    health = await os_http("GET", "/_cluster/health")
    assert health.body["status"] == "green"
    await os_http("PUT", "/r1", {"settings": {"number_of_shards": 3}})
    health = await os_http("GET", "/_cluster/health")
    assert health.body["status"] == "yellow"  # one node cannot hold the default replica
    assert (health.body["active_primary_shards"], health.body["unassigned_shards"]) == (3, 3)


async def test_elasticsearch_flavour() -> None:
    async with (
        FakeOpenSearchServer(version="7.10.2", distribution="elasticsearch") as server,
        open_http(server) as http,
    ):
        body = (await http("GET", "/")).body
        assert body["version"]["number"] == "7.10.2"
        assert "distribution" not in body["version"]
        assert body["tagline"] == "You Know, for Search"


async def test_create_get_head_and_errors(os_http: OpenSearchHttp) -> None:
    created = await os_http(
        "PUT",
        "/logs",
        {
            "settings": {"index": {"number_of_shards": 2, "number_of_replicas": 0}},
            "mappings": {"properties": {"level": {"type": "keyword"}}},
        },
    )
    assert created.body == {"acknowledged": True, "shards_acknowledged": True, "index": "logs"}
    got = await os_http("GET", "/logs")
    settings = got.body["logs"]["settings"]["index"]
    assert (settings["number_of_shards"], settings["number_of_replicas"]) == ("2", "0")
    assert got.body["logs"]["mappings"]["properties"]["level"] == {"type": "keyword"}
    assert (await os_http("HEAD", "/logs")).status == 200
    assert (await os_http("HEAD", "/nope")).status == 404

    again = await os_http("PUT", "/logs")
    assert again.status == 400
    assert again.body["error"]["type"] == "resource_already_exists_exception"
    assert again.body["error"]["root_cause"][0]["type"] == "resource_already_exists_exception"
    assert again.body["status"] == 400
    upper = await os_http("PUT", "/Logs")
    assert upper.body["error"]["type"] == "invalid_index_name_exception"
    assert "must be lowercase" in upper.body["error"]["reason"]
    missing = await os_http("GET", "/nope")
    assert missing.status == 404
    assert missing.body["error"]["type"] == "index_not_found_exception"
    assert missing.body["error"]["index"] == "nope"


async def test_serverless_probe_dimension_error(os_http: OpenSearchHttp) -> None:
    probe = await os_http(
        "PUT",
        "/migrations_type_probe_1",
        {
            "settings": {"index.knn": True},
            "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": -1}}},
        },
    )
    assert probe.status == 400
    assert "Dimension value must be greater than 0" in probe.text


async def test_delete_expressions(
    os_http: OpenSearchHttp, opensearch_server: FakeOpenSearchServer
) -> None:
    for name in ["a1", "a2", "b1", ".kibana", ".migrations_working_state", "searchguard"]:
        opensearch_server.create_index(name)
    gone = await os_http("DELETE", "/a*,-a2")
    assert gone.body == {"acknowledged": True}
    assert opensearch_server.index_names == [
        ".kibana",
        ".migrations_working_state",
        "a2",
        "b1",
        "searchguard",
    ]
    # console_link's clear-indices call: user indices and the working state, not system ones.
    reply = await os_http(
        "DELETE", "/*,-.*,-searchguard*,-sg7*,.migrations_working_state*?ignore_unavailable=true"
    )
    assert reply.status == 200
    assert opensearch_server.index_names == [".kibana", "searchguard"]
    missing = await os_http("DELETE", "/nope")
    assert missing.status == 404
    assert (await os_http("DELETE", "/nope?ignore_unavailable=true")).status == 200
    comma = await os_http("DELETE", "/.kibana,searchguard")
    assert comma.status == 200
    assert opensearch_server.index_names == []


async def test_destructive_requires_name(
    os_http: OpenSearchHttp, opensearch_server: FakeOpenSearchServer
) -> None:
    opensearch_server.create_index("keep")
    put = await os_http(
        "PUT", "/_cluster/settings", {"persistent": {"action.destructive_requires_name": True}}
    )
    assert put.body["acknowledged"] is True
    assert put.body["persistent"] == {"action": {"destructive_requires_name": "true"}}
    got = await os_http("GET", "/_cluster/settings?flat_settings=true")
    assert got.body["persistent"] == {"action.destructive_requires_name": "true"}
    refused = await os_http("DELETE", "/*,-.*?ignore_unavailable=true")
    assert refused.status == 400
    assert refused.body["error"]["type"] == "illegal_argument_exception"
    assert refused.body["error"]["reason"] == "Wildcard expressions or all indices are not allowed"
    assert opensearch_server.index_names == ["keep"]
    assert (await os_http("DELETE", "/keep")).status == 200
    await os_http(
        "PUT", "/_cluster/settings", {"persistent": {"action.destructive_requires_name": None}}
    )
    opensearch_server.create_index("again")
    assert (await os_http("DELETE", "/*")).status == 200


async def test_documents(os_http: OpenSearchHttp) -> None:
    created = await os_http("PUT", "/docs/_doc/1?refresh=true", {"name": "one"})
    assert created.status == 201
    assert (created.body["result"], created.body["_version"]) == ("created", 1)
    updated = await os_http("POST", "/docs/_doc/1", {"name": "uno"})
    assert (updated.status, updated.body["result"], updated.body["_version"]) == (200, "updated", 2)
    auto = await os_http("POST", "/docs/_doc", {"name": "two"})
    assert auto.status == 201
    assert len(auto.body["_id"]) == 20
    got = await os_http("GET", "/docs/_doc/1")
    assert got.body["found"] is True
    assert got.body["_source"] == {"name": "uno"}
    assert (await os_http("GET", "/docs/_source/1")).body == {"name": "uno"}
    missing = await os_http("GET", "/docs/_doc/nope")
    assert (missing.status, missing.body) == (
        404,
        {"_index": "docs", "_id": "nope", "found": False},
    )
    assert (await os_http("HEAD", "/docs/_doc/1")).status == 200
    conflict = await os_http("PUT", "/docs/_create/1", {"x": 1})
    assert conflict.status == 409
    assert conflict.body["error"]["type"] == "version_conflict_engine_exception"
    update = await os_http("POST", "/docs/_update/1", {"doc": {"extra": True}})
    assert update.body["result"] == "updated"
    noop = await os_http("POST", "/docs/_update/1", {"doc": {"extra": True}})
    assert noop.body["result"] == "noop"
    absent = await os_http("POST", "/docs/_update/zz", {"doc": {"a": 1}})
    assert absent.body["error"]["type"] == "document_missing_exception"
    upsert = await os_http("POST", "/docs/_update/zz", {"doc": {"a": 1}, "doc_as_upsert": True})
    assert upsert.status == 201
    deleted = await os_http("DELETE", "/docs/_doc/1")
    assert deleted.body["result"] == "deleted"
    again = await os_http("DELETE", "/docs/_doc/1")
    assert (again.status, again.body["result"]) == (404, "not_found")
    not_object = await os_http("PUT", "/docs/_doc/2", [1, 2])
    assert not_object.body["error"]["type"] == "mapper_parsing_exception"


async def test_bulk(os_http: OpenSearchHttp, opensearch_server: FakeOpenSearchServer) -> None:
    payload = (
        '{"index": {"_index": "b", "_id": "1"}}\n{"v": 1}\n'
        '{"create": {"_index": "b", "_id": "2"}}\n{"v": 2}\n'
        '{"create": {"_index": "b", "_id": "1"}}\n{"v": 9}\n'
        '{"update": {"_index": "b", "_id": "2"}}\n{"doc": {"w": 3}}\n'
        '{"delete": {"_index": "b", "_id": "1"}}\n'
        '{"index": {"_id": "3"}}\n{"v": 3}\n'
    )
    reply = await os_http("POST", "/b/_bulk?refresh=wait_for", data=payload, headers=NDJSON)
    assert reply.status == 200
    assert reply.body["errors"] is True
    items = reply.body["items"]
    assert [next(iter(i)) for i in items] == [
        "index",
        "create",
        "create",
        "update",
        "delete",
        "index",
    ]
    assert [next(iter(i.values()))["status"] for i in items] == [201, 201, 409, 200, 200, 201]
    assert items[2]["create"]["error"]["type"] == "version_conflict_engine_exception"
    assert opensearch_server.document("b", "2") == {"v": 2, "w": 3}
    assert opensearch_server.document("b", "1") is None
    unterminated = await os_http(
        "POST", "/_bulk", data='{"index": {"_index": "b"}}\n{"v": 1}', headers=NDJSON
    )
    assert unterminated.status == 400
    assert "terminated by a newline" in unterminated.body["error"]["reason"]
    bad_action = await os_http("POST", "/_bulk", data='{"upsert": {}}\n{}\n', headers=NDJSON)
    assert bad_action.body["error"]["type"] == "illegal_argument_exception"


async def test_refresh_stats_settings_mapping_resolve(
    os_http: OpenSearchHttp, opensearch_server: FakeOpenSearchServer
) -> None:
    opensearch_server.create_index("s1", ({"n": i} for i in range(5)), shards=2)
    opensearch_server.create_index("s2", [("x", {"t": "hello"})])
    for method in ("GET", "POST"):
        for path in ("/_refresh", "/s1/_refresh"):
            reply = await os_http(method, path)
            assert reply.status == 200
            assert reply.body["_shards"]["failed"] == 0
    stats = await os_http(
        "GET",
        "/s1,s2/_stats?level=indices&metric=docs,store&expand_wildcards=all&filter_path="
        "indices.*.primaries.docs.count,indices.*.primaries.docs.deleted,"
        "indices.*.primaries.store.size_in_bytes",
    )
    assert stats.body["indices"]["s1"]["primaries"]["docs"] == {"count": 5, "deleted": 0}
    assert stats.body["indices"]["s2"]["primaries"]["store"]["size_in_bytes"] > 0
    assert set(stats.body) == {"indices"}
    settings = await os_http(
        "GET", "/_settings?filter_path=*.settings.index.number_of_shards&expand_wildcards=all"
    )
    assert settings.body == {
        "s1": {"settings": {"index": {"number_of_shards": "2"}}},
        "s2": {"settings": {"index": {"number_of_shards": "1"}}},
    }
    put = await os_http("PUT", "/s1/_settings", {"index": {"number_of_replicas": 0}})
    assert put.body == {"acknowledged": True}
    assert opensearch_server.index("s1").replicas == 0
    final = await os_http("PUT", "/s1/_settings", {"number_of_shards": 4})
    assert final.status == 400
    mapping = await os_http("GET", "/s2/_mapping")
    assert mapping.body["s2"]["mappings"]["properties"]["t"]["type"] == "text"
    resolved = await os_http("GET", "/_resolve/index?name=s*&expand_wildcards=all")
    assert [i["name"] for i in resolved.body["indices"]] == ["s1", "s2"]
    resolved_path = await os_http("GET", "/_resolve/index/s2")
    assert [i["name"] for i in resolved_path.body["indices"]] == ["s2"]


async def test_delete_by_query(
    os_http: OpenSearchHttp, opensearch_server: FakeOpenSearchServer
) -> None:
    opensearch_server.create_index("q", ({"n": i} for i in range(10)))
    reply = await os_http("POST", "/q/_delete_by_query", {"query": {"range": {"n": {"lt": 4}}}})
    assert reply.body["deleted"] == 4
    # Near-real-time: the deletes are searchable only after a refresh.
    assert (await os_http("GET", "/q/_count")).body["count"] == 10
    assert opensearch_server.index("q").live_count() == 6
    await os_http("POST", "/q/_refresh")
    assert (await os_http("GET", "/q/_count")).body["count"] == 6


@pytest.mark.parametrize(
    ("method", "path", "status", "needle"),
    [
        ("POST", "/_cat/indices", 405, "Incorrect HTTP method"),
        ("GET", "/_nodes/_nonsense", 400, "no handler found"),
        ("PATCH", "/idx", 405, "allowed: [DELETE, GET, HEAD, PUT]"),
    ],
)
async def test_routing_errors(
    os_http: OpenSearchHttp, method: str, path: str, status: int, needle: str
) -> None:
    reply = await os_http(method, path)
    assert reply.status == status
    assert needle in reply.body["error"]


async def test_content_type_is_required_for_bodies(os_http: OpenSearchHttp) -> None:
    reply = await os_http(
        "POST",
        "/x/_search",
        data=b'{"query": {"match_all": {}}}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 406
    assert reply.body == {
        "error": "Content-Type header [application/x-www-form-urlencoded] is not supported",
        "status": 406,
    }
    bad_json = await os_http(
        "POST", "/x/_doc/1", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status == 400
    assert bad_json.body["error"]["type"] == "json_parse_exception"


async def test_pretty_output(os_http: OpenSearchHttp) -> None:
    reply = await os_http("GET", "/?pretty")
    assert reply.text.startswith("{\n")


async def test_filter_path_globs_and_lists(
    os_http: OpenSearchHttp, opensearch_server: FakeOpenSearchServer
) -> None:
    opensearch_server.create_index("f", [("1", {"a": 1}), ("2", {"a": 2})])
    ids = await os_http("POST", "/f/_search?filter_path=hits.hits._id", {"sort": ["_id"]})
    assert ids.body == {"hits": {"hits": [{"_id": "1"}, {"_id": "2"}]}}
    deep = await os_http("GET", "/_stats?filter_path=**.docs.count")
    assert deep.body["_all"]["primaries"] == {"docs": {"count": 2}}
    assert deep.body["indices"]["f"]["total"] == {"docs": {"count": 2}}
    nothing = await os_http("GET", "/?filter_path=no.such.path")
    assert nothing.body == {}
    everything = await os_http("GET", "/?filter_path=**")
    assert everything.body["version"]["number"] == "2.15.0"
    excluded_only = await os_http("GET", "/?filter_path=-tagline")
    assert "tagline" in excluded_only.body


async def test_health_per_index_stats_levels_and_mapping_updates(
    os_http: OpenSearchHttp, opensearch_server: FakeOpenSearchServer
) -> None:
    opensearch_server.create_index("h", [{"x": 1}], shards=2, replicas=0)
    opensearch_server.create_index("y", [{"x": 1}], shards=1)
    health = await os_http("GET", "/_cluster/health/h")
    assert (health.body["status"], health.body["active_primary_shards"]) == ("green", 2)
    cluster = await os_http("GET", "/_stats/docs?level=cluster")
    assert set(cluster.body) == {"_shards", "_all"}
    assert cluster.body["_all"]["primaries"] == {"docs": {"count": 2, "deleted": 0}}
    per_index = await os_http("GET", "/h/_stats/store")
    assert set(per_index.body["indices"]["h"]["primaries"]) == {"store"}
    put = await os_http("PUT", "/h/_mapping", {"properties": {"when": {"type": "date"}}})
    assert put.body == {"acknowledged": True}
    assert opensearch_server.index("h").type_of("when") == "date"
    flat = await os_http("GET", "/h/_settings?flat_settings=true")
    assert flat.body["h"]["settings"]["index.number_of_shards"] == "2"


async def test_bulk_edge_cases(os_http: OpenSearchHttp) -> None:
    no_index = await os_http("POST", "/_bulk", data='{"index": {}}\n{"a": 1}\n', headers=NDJSON)
    assert no_index.body["error"]["type"] == "action_request_validation_exception"
    no_source = await os_http("POST", "/_bulk", data='{"index": {"_index": "e"}}\n', headers=NDJSON)
    assert no_source.status == 400
    not_json = await os_http("POST", "/_bulk", data="nope\n", headers=NDJSON)
    assert not_json.body["error"]["type"] == "json_parse_exception"
    mixed = await os_http(
        "POST",
        "/_bulk",
        data='{"delete": {"_index": "e"}}\n{"index": {"_index": "BAD"}}\n{"a": 1}\n'
        '{"update": {"_index": "e", "_id": "9"}}\n{"doc": {"a": 1}}\n',
        headers=NDJSON,
    )
    statuses = [next(iter(i.values()))["status"] for i in mixed.body["items"]]
    assert statuses == [400, 400, 404]
    assert mixed.body["items"][1]["index"]["error"]["type"] == "invalid_index_name_exception"
    assert mixed.body["items"][2]["update"]["error"]["type"] == "document_missing_exception"
    missing_type = await os_http("POST", "/_bulk", data=b'{"index": {"_index": "e"}}\n{}\n')
    assert missing_type.status == 406


PROBE = {
    "settings": {"index.knn": True},
    "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": -1}}},
}


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("search", "KNN features not supported on SEARCH collection type"),
        ("timeseries", "KNN features not supported on TIMESERIES collection type"),
        ("vector", "Dimension value must be greater than 0"),
    ],
)
async def test_serverless_collections(kind: str, message: str) -> None:
    async with FakeOpenSearchServer(serverless=kind) as server, open_http(server) as http:
        assert (await http("GET", "/")).status == 404
        probe = await http("PUT", "/migrations_type_probe_1700000000", PROBE)
        assert probe.status == 400
        assert message in probe.text
        assert (await http("GET", "/_cat/indices")).status == 200
    with pytest.raises(ValueError, match="serverless"):
        FakeOpenSearchServer(serverless="managed")
