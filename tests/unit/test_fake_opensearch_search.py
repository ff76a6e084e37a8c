"""FakeOpenSearchServer: query shapes, sorting, _source, totals, aggregations, scroll, _cat."""

from __future__ import annotations

from typing import Any

import pytest

from asyncconsole._clock import FakeClock
from asyncconsole.testing import FakeOpenSearchServer
from tests.fixtures.opensearch import OpenSearchHttp, open_http

PEOPLE = [
    (
        "1",
        {"name": "Ada Lovelace", "age": 36, "tags": ["math", "poet"], "addr": {"city": "London"}},
    ),
    ("2", {"name": "Alan Turing", "age": 41, "tags": ["math"], "addr": {"city": "Wilmslow"}}),
    ("3", {"name": "Grace Hopper", "age": 85, "tags": ["navy"], "nick": None}),
    ("4", {"name": "Linus", "age": "54", "tags": []}),
]


@pytest.fixture
async def people(
    opensearch_server: FakeOpenSearchServer, os_http: OpenSearchHttp
) -> OpenSearchHttp:
    opensearch_server.create_index("people", PEOPLE)
    return os_http


async def ids(
    http: OpenSearchHttp, query: dict[str, Any], path: str = "/people/_search"
) -> list[str]:
    reply = await http("POST", path, {"query": query, "sort": ["_id"]})
    assert reply.status == 200, reply.text
    return [h["_id"] for h in reply.body["hits"]["hits"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"match_all": {}}, ["1", "2", "3", "4"]),
        ({"match_none": {}}, []),
        ({"match": {"_id": "3"}}, ["3"]),
        ({"match": {"name": "alan"}}, ["2"]),
        ({"match": {"name": "grace turing"}}, ["2", "3"]),
        ({"match": {"name": {"query": "ada lovelace", "operator": "and"}}}, ["1"]),
        ({"match": {"age": 41}}, ["2"]),
        ({"term": {"tags": "math"}}, ["1", "2"]),
        ({"term": {"tags.keyword": {"value": "navy"}}}, ["3"]),
        ({"term": {"age": "85"}}, ["3"]),
        ({"terms": {"tags": ["poet", "navy"]}}, ["1", "3"]),
        ({"ids": {"values": ["4", "1", "99"]}}, ["1", "4"]),
        ({"exists": {"field": "addr.city"}}, ["1", "2"]),
        ({"exists": {"field": "nick"}}, []),
        ({"exists": {"field": "tags"}}, ["1", "2", "3"]),
        ({"range": {"age": {"gt": 36, "lte": 54}}}, ["2", "4"]),
        ({"range": {"age": {"gte": 36, "lt": 41}}}, ["1"]),
        ({"prefix": {"_id": "1"}}, ["1"]),
        ({"wildcard": {"addr.city": {"value": "L*"}}}, ["1"]),
        ({"constant_score": {"filter": {"term": {"tags": "navy"}}}}, ["3"]),
        (
            {
                "bool": {
                    "must": [{"exists": {"field": "tags"}}],
                    "filter": {"range": {"age": {"gte": 40}}},
                    "must_not": [{"match": {"_id": "3"}}],
                }
            },
            ["2"],
        ),
        (
            {"bool": {"should": [{"term": {"tags": "navy"}}, {"ids": {"values": ["4"]}}]}},
            ["3", "4"],
        ),
        (
            {
                "bool": {
                    "should": [{"term": {"tags": "math"}}, {"term": {"tags": "poet"}}],
                    "minimum_should_match": 2,
                }
            },
            ["1"],
        ),
        ({"bool": {"must_not": {"exists": {"field": "addr"}}}}, ["3", "4"]),
        ({"bool": {}}, ["1", "2", "3", "4"]),
    ],
)
async def test_query_shapes(
    people: OpenSearchHttp, query: dict[str, Any], expected: list[str]
) -> None:
    assert await ids(people, query) == expected


async def test_unknown_query_is_a_parsing_exception(people: OpenSearchHttp) -> None:
    reply = await people("POST", "/people/_search", {"query": {"fuzzy_magic": {}}})
    assert reply.status == 400
    assert reply.body["error"]["type"] == "parsing_exception"
    assert reply.body["error"]["reason"] == "unknown query [fuzzy_magic]"


async def test_size_from_sort_and_source(people: OpenSearchHttp) -> None:
    reply = await people(
        "POST",
        "/people/_search",
        {"size": 2, "from": 1, "sort": [{"age": {"order": "desc"}}], "_source": ["name"]},
    )
    hits = reply.body["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["4", "2"]
    assert hits[0]["_source"] == {"name": "Linus"}
    assert hits[0]["sort"] == [54.0]
    assert hits[0]["_score"] is None
    assert reply.body["hits"]["max_score"] is None
    nested = await people(
        "POST",
        "/people/_search",
        {"query": {"ids": {"values": ["1"]}}, "_source": {"includes": ["addr.*"], "excludes": []}},
    )
    assert nested.body["hits"]["hits"][0]["_source"] == {"addr": {"city": "London"}}
    excluded = await people("GET", "/people/_search?_source_excludes=tags,addr&q=_id:2")
    assert excluded.body["hits"]["hits"][0]["_source"] == {"name": "Alan Turing", "age": 41}
    no_source = await people("POST", "/people/_search", {"_source": False, "size": 1})
    assert "_source" not in no_source.body["hits"]["hits"][0]
    by_param = await people("GET", "/people/_search?sort=_id:desc&size=1")
    assert by_param.body["hits"]["hits"][0]["_id"] == "4"


async def test_get_with_body_and_search_everywhere(people: OpenSearchHttp) -> None:
    reply = await people("GET", "/_search", {"query": {"term": {"tags": "navy"}}})
    assert [h["_id"] for h in reply.body["hits"]["hits"]] == ["3"]
    assert (await people("GET", "/_all/_count")).body["count"] == 4
    count = await people("POST", "/people/_count", {"query": {"exists": {"field": "addr"}}})
    assert count.body == {
        "count": 2,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
    }


async def test_aggregations(people: OpenSearchHttp) -> None:
    reply = await people(
        "POST",
        "/people/_search",
        {
            "size": 0,
            "aggs": {
                "oldest": {"max": {"field": "age"}},
                "youngest": {"min": {"field": "age"}},
                "total": {"sum": {"field": "age"}},
                "mean": {"avg": {"field": "age"}},
                "n": {"value_count": {"field": "tags"}},
                "kinds": {"cardinality": {"field": "tags"}},
                "none": {"max": {"field": "missing"}},
                "top": {"terms": {"field": "tags", "size": 1}},
            },
        },
    )
    aggs = reply.body["aggregations"]
    assert reply.body["hits"]["hits"] == []
    assert aggs["oldest"] == {"value": 85.0}
    assert aggs["youngest"] == {"value": 36.0}
    assert aggs["total"] == {"value": 216.0}  # "54" counts: age is mapped as long
    assert aggs["mean"] == {"value": 54.0}
    assert aggs["n"] == {"value": 4}
    assert aggs["kinds"] == {"value": 3}
    assert aggs["none"] == {"value": None}
    assert aggs["top"]["buckets"] == [{"key": "math", "doc_count": 2}]
    assert aggs["top"]["sum_other_doc_count"] == 2


async def test_total_hits_cap_and_track_total_hits(
    opensearch_server: FakeOpenSearchServer, os_http: OpenSearchHttp
) -> None:
    opensearch_server.bulk_load("big", ({"n": i} for i in range(10_050)))
    default = await os_http("POST", "/big/_search", {"size": 0})
    assert default.body["hits"]["total"] == {"value": 10_000, "relation": "gte"}
    exact = await os_http("POST", "/big/_search", {"size": 0, "track_total_hits": True})
    assert exact.body["hits"]["total"] == {"value": 10_050, "relation": "eq"}
    capped = await os_http("POST", "/big/_search?track_total_hits=100", {"size": 0})
    assert capped.body["hits"]["total"] == {"value": 100, "relation": "gte"}
    off = await os_http("POST", "/big/_search", {"size": 0, "track_total_hits": False})
    assert "total" not in off.body["hits"]
    as_int = await os_http(
        "POST", "/big/_search?rest_total_hits_as_int=true&track_total_hits=true", {"size": 0}
    )
    assert as_int.body["hits"]["total"] == 10_050
    small = await os_http("POST", "/big/_search", {"size": 0, "query": {"range": {"n": {"lt": 5}}}})
    assert small.body["hits"]["total"] == {"value": 5, "relation": "eq"}
    window = await os_http("POST", "/big/_search", {"from": 9_999, "size": 2})
    assert window.status == 400
    assert "Result window is too large" in window.body["error"]["reason"]


async def test_scroll_pages_and_clear(
    opensearch_server: FakeOpenSearchServer, os_http: OpenSearchHttp
) -> None:
    opensearch_server.create_index("s", [(f"d{i:03d}", {"i": i}) for i in range(25)], shards=2)
    first = await os_http("POST", "/s/_search?scroll=1m", {"size": 10, "query": {"match_all": {}}})
    scroll_id = first.body["_scroll_id"]
    seen = [h["_id"] for h in first.body["hits"]["hits"]]
    pages = [len(seen)]
    while True:
        page = await os_http("POST", "/_search/scroll", {"scroll": "1m", "scroll_id": scroll_id})
        assert page.body["hits"]["total"] == {"value": 25, "relation": "eq"}
        hits = page.body["hits"]["hits"]
        if not hits:
            break
        pages.append(len(hits))
        seen.extend(h["_id"] for h in hits)
    assert pages == [10, 10, 5]
    assert seen == [f"d{i:03d}" for i in range(25)]
    by_param = await os_http("GET", f"/_search/scroll?scroll_id={scroll_id}&scroll=1m")
    assert by_param.status == 200
    assert opensearch_server.open_scrolls == 1
    cleared = await os_http("DELETE", "/_search/scroll", {"scroll_id": [scroll_id]})
    assert cleared.body == {"succeeded": True, "num_freed": 1}
    again = await os_http("DELETE", "/_search/scroll", {"scroll_id": scroll_id})
    assert (again.status, again.body["num_freed"]) == (404, 0)
    gone = await os_http("POST", "/_search/scroll", {"scroll_id": scroll_id})
    assert gone.status == 404
    assert "search_context_missing_exception" in gone.text
    tth_off = await os_http("POST", "/s/_search?scroll=1m", {"track_total_hits": False})
    assert tth_off.status == 400
    with_from = await os_http("POST", "/s/_search?scroll=1m", {"from": 5})
    assert with_from.status == 400
    bad_time = await os_http("POST", "/s/_search?scroll=forever", {})
    assert bad_time.status == 400


async def test_scroll_contexts_expire_with_the_clock() -> None:
    clock = FakeClock(auto_advance=False)
    async with FakeOpenSearchServer(clock=clock) as server, open_http(server) as http:
        server.create_index("e", ({"i": i} for i in range(5)))
        first = await http("POST", "/e/_search?scroll=30s", {"size": 2})
        scroll_id = first.body["_scroll_id"]
        await clock.advance(20)
        assert (await http("POST", "/_search/scroll", {"scroll_id": scroll_id})).status == 200
        await clock.advance(25)  # the last call renewed the 30 s keep-alive
        kept = await http("POST", "/_search/scroll", {"scroll_id": scroll_id, "scroll": "10s"})
        assert kept.status == 200
        await clock.advance(11)
        assert server.open_scrolls == 0
        assert (await http("POST", "/_search/scroll", {"scroll_id": scroll_id})).status == 404


async def test_cat_indices_text_and_json(
    opensearch_server: FakeOpenSearchServer, os_http: OpenSearchHttp
) -> None:
    opensearch_server.create_index("beta", ({"n": i} for i in range(3)), shards=2, replicas=0)
    opensearch_server.create_index("alpha", [])
    opensearch_server.create_index(".hidden-ish", [], settings={"index.hidden": True})
    text = await os_http("GET", "/_cat/indices/_all?v=true")
    assert text.headers["Content-Type"].startswith("text/plain")
    lines = text.text.splitlines()
    assert lines[0].split() == [
        "health", "status", "index", "uuid", "pri", "rep",
        "docs.count", "docs.deleted", "store.size", "pri.store.size",
    ]  # fmt: skip
    rows = [line.split() for line in lines[1:]]
    assert [(r[0], r[2], r[4], r[5], r[6]) for r in rows] == [
        ("yellow", "alpha", "1", "1", "0"),
        ("green", "beta", "2", "0", "3"),
    ]
    assert rows[1][8].endswith("b")
    plain = await os_http("GET", "/_cat/indices")
    assert not plain.text.startswith("health")
    js = await os_http("GET", "/_cat/indices?format=json&bytes=b")
    assert js.body[1]["index"] == "beta"
    assert js.body[1]["docs.count"] == "3"
    assert js.body[1]["store.size"].isdigit()
    everything = await os_http("GET", "/_cat/indices?format=json&expand_wildcards=all")
    assert [r["index"] for r in everything.body] == [".hidden-ish", "alpha", "beta"]
    picked = await os_http("GET", "/_cat/indices/b*?format=json&h=index,docs.count&s=index:desc")
    assert picked.body == [{"index": "beta", "docs.count": "3"}]
    missing = await os_http("GET", "/_cat/indices/nope")
    assert missing.status == 404
