"""Cluster service against FakeHttpClient: console_link's scenarios (§9 items 9, 13, 15, 16)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from typing import Any

import pytest

from asyncconsole import FakeClock
from asyncconsole._errors import ConfirmationRequiredError, HttpError, InfrastructureError
from asyncconsole.config import ClusterConfig
from asyncconsole.infra.http import FakeHttpClient, HttpRequest, HttpResponse
from asyncconsole.services.clusters import (
    CLEAR_INDICES_PATTERN,
    Cluster,
    CollectionType,
    ConnectionStatus,
    IndexInfo,
    parse_header,
)

ENDPOINT = "http://os.test:9200"
ROOT = {"version": {"number": "2.15.0", "distribution": "opensearch"}}
KNN_TIMESERIES = "KNN features not supported on TIMESERIES collection type"
KNN_SEARCH = "KNN features not supported on SEARCH collection type"


def make(
    *,
    auth: dict[str, Any] | None = None,
    endpoint: str = ENDPOINT,
    max_concurrency: int = 8,
) -> tuple[Cluster, FakeHttpClient]:
    http = FakeHttpClient(base_url=endpoint)
    config = ClusterConfig(endpoint=endpoint, **(auth or {"no_auth": None}))
    cluster = Cluster(
        config, http, name="source", clock=FakeClock(), max_concurrency=max_concurrency
    )
    return cluster, http


def calls(http: FakeHttpClient) -> list[tuple[str, str]]:
    from urllib.parse import unquote

    return [
        (r.method, unquote(r.path) + (f"?{r.url.split('?', 1)[1]}" if "?" in r.url else ""))
        for r in http.requests
    ]


# -- connection check ---------------------------------------------------------------------------


async def test_connection_check_parses_version() -> None:
    cluster, http = make()
    http.route("GET", "/", json=ROOT)
    status = await cluster.connection_check()
    assert status == ConnectionStatus(
        connected=True,
        message="Successfully connected!",
        version="2.15.0",
        distribution="opensearch",
    )
    assert http.requests[0].method == "GET"
    assert cluster.detected_version is not None
    assert cluster.detected_version.major == 2
    assert await cluster.check() == "connected, OpenSearch 2.15.0"
    assert "Cluster version: 2.15.0" in str(status)
    assert status.to_dict()["version"] == "2.15.0"


async def test_connection_check_elasticsearch_without_distribution() -> None:
    cluster, http = make()
    http.route("GET", "/", json={"version": {"number": "7.10.2"}})
    version = await cluster.detect_version()
    assert (version.distribution, version.number, str(version)) == (
        "elasticsearch",
        "7.10.2",
        "Elasticsearch 7.10.2",
    )


async def test_connection_failure_surfaces_message_and_check_raises() -> None:
    cluster, http = make()
    http.fail("reset", times=None)
    status = await cluster.connection_check()
    assert not status.connected
    assert status.message.startswith("Unable to connect to cluster with error: ")
    assert "connection reset" in status.message
    with pytest.raises(HttpError) as err:
        await cluster.check()
    assert err.value.status is None


async def test_connection_check_unauthorized_is_not_connected() -> None:
    cluster, http = make()
    http.route("GET", "/", status=401, json={"error": "Unauthorized"})
    status = await cluster.connection_check()
    assert not status.connected
    assert "401" in status.message
    with pytest.raises(HttpError) as err:
        await cluster.check()
    assert err.value.status == 401


async def test_connection_check_uses_five_second_timeout() -> None:
    cluster, http = make()
    http.latency = lambda request: 6.0
    status = await cluster.connection_check()
    assert not status.connected
    assert "timed out after 5.0s" in status.message


def _serverless(http: FakeHttpClient, probe: HttpResponse) -> None:
    http.route("GET", "/", status=404, json={"error": "not found"})
    http.route("PUT", re.compile(r"/migrations_type_probe_\d+"), probe)
    http.route("DELETE", re.compile(r"/migrations_type_probe_\d+"), json={"acknowledged": True})
    http.route("GET", "/_cat/indices", text="green open logs 1 0\n")


async def test_serverless_probe_forbidden_warns_about_permissions() -> None:
    cluster, http = make()
    _serverless(http, HttpResponse.build(403, json={"message": "User is not authorized"}))
    status = await cluster.connection_check()
    assert status.connected
    assert status.message == "Successfully connected to serverless collection!"
    assert status.serverless
    assert status.collection_type is CollectionType.UNKNOWN
    assert status.warning is not None
    assert "403" in status.warning
    assert "permissions" in status.warning
    assert cluster.is_serverless
    probe = next(r for r in http.requests if r.method == "PUT")
    assert probe.json() == {
        "settings": {"index.knn": True},
        "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": -1}}},
    }
    assert probe.headers["content-type"] == "application/json"
    assert not [r for r in http.requests if r.method == "DELETE"]
    assert "permissions" in await cluster.check()


@pytest.mark.parametrize(
    ("status", "text", "expected"),
    [
        (400, KNN_TIMESERIES, CollectionType.TIMESERIES),
        (400, KNN_SEARCH, CollectionType.SEARCH),
        (400, "Dimension value must be greater than 0", CollectionType.VECTOR),
    ],
)
async def test_serverless_probe_classifies_collection(
    status: int, text: str, expected: CollectionType
) -> None:
    cluster, http = make()
    _serverless(http, HttpResponse.build(status, json={"error": {"reason": text}}))
    result = await cluster.connection_check()
    assert result.connected
    assert result.collection_type is expected
    assert result.warning is None
    assert await cluster.check() == f"connected, serverless collection ({expected.value})"


async def test_probe_index_created_is_deleted_again() -> None:
    cluster, http = make()
    _serverless(http, HttpResponse.build(200, json={"acknowledged": True}))
    result = await cluster.connection_check()
    assert result.collection_type is CollectionType.UNKNOWN
    put = next(r for r in http.requests if r.method == "PUT")
    delete = next(r for r in http.requests if r.method == "DELETE")
    assert put.path == delete.path
    assert re.fullmatch(r"/migrations_type_probe_\d+", put.path)


async def test_serverless_cat_failure_is_not_connected() -> None:
    cluster, http = make()
    _serverless(http, HttpResponse.build(400, json={"error": {"reason": KNN_SEARCH}}))
    http.route("GET", "/_cat/indices", status=403, json={"message": "denied"})
    result = await cluster.connection_check()
    assert not result.connected
    assert "403" in result.message


async def test_detect_collection_type_on_regular_cluster_is_none() -> None:
    cluster, http = make()
    http.route("GET", "/", json=ROOT)
    assert await cluster.detect_collection_type() is None
    assert [r.method for r in http.requests] == ["GET"]


@pytest.mark.parametrize(
    ("endpoint", "auth", "serverless"),
    [
        ("https://abc.us-east-1.aoss.amazonaws.com", {"sigv4": {"region": "us-east-1"}}, True),
        ("https://search.example.com", {"sigv4": {"service": "aoss"}}, True),
        ("https://search.example.com", {"sigv4": None}, False),
        ("http://localhost:9200", {"no_auth": None}, False),
    ],
)
def test_serverless_by_config(endpoint: str, auth: dict[str, Any], serverless: bool) -> None:
    cluster, _ = make(endpoint=endpoint, auth=auth)
    assert cluster.is_serverless is serverless


# -- call_api / curl ---------------------------------------------------------------------------


async def test_call_api_raises_by_default_and_returns_when_asked() -> None:
    cluster, http = make()
    http.route("GET", "/missing", status=404, json={"error": "nope"})
    with pytest.raises(HttpError) as err:
        await cluster.call_api("missing")
    assert err.value.status == 404
    response = await cluster.call_api("/missing", raise_error=False)
    assert response.status == 404


async def test_call_api_head_and_params() -> None:
    cluster, http = make()
    http.route("HEAD", "/logs", status=200)
    response = await cluster.call_api("/logs", "head", params={"pretty": "true"})
    assert response.status == 200
    assert calls(http) == [("HEAD", "/logs?pretty=true")]


async def test_curl_normalises_path_sends_headers_json_and_never_raises() -> None:
    cluster, http = make()

    def echo(request: HttpRequest) -> HttpResponse:
        return HttpResponse.build(
            418, json={"ct": request.headers.get("content-type"), "x": request.headers.get("x")}
        )

    http.route("POST", "/logs/_doc", echo)
    response = await cluster.curl("logs/_doc", "POST", headers=["X: 1"], json='{"a": 1}')
    assert response.status == 418
    assert response.json() == {"ct": "application/json", "x": "1"}
    assert http.requests[0].json() == {"a": 1}


async def test_curl_raw_data_is_sent_verbatim() -> None:
    cluster, http = make()
    http.route("PUT", "/x", lambda r: HttpResponse.build(200, body=r.body))
    response = await cluster.curl("/x", "PUT", data="not json at all")
    assert response.body == b"not json at all"


async def test_curl_rejects_bad_header_and_json() -> None:
    cluster, http = make()
    with pytest.raises(ValueError, match="invalid header"):
        await cluster.curl("/", headers=["no-colon"])
    with pytest.raises(ValueError, match="invalid JSON"):
        await cluster.curl("/", json="{not json")
    assert http.requests == []
    assert parse_header("Content-Type:  text/plain ") == ("Content-Type", "text/plain")


async def test_curl_timeout_message_is_friendly() -> None:
    cluster, http = make()
    http.latency = 20.0
    with pytest.raises(HttpError) as err:
        await cluster.curl("/_cat/indices")
    message = str(err.value)
    assert "timed out" in message
    assert "15s" in message
    assert "--timeout" in message
    assert "urllib3" not in message
    assert "aiohttp" not in message


# -- indices -----------------------------------------------------------------------------------

CAT_ROWS = [
    {
        "health": "green",
        "status": "open",
        "index": "logs",
        "uuid": "u1",
        "pri": "1",
        "rep": "0",
        "docs.count": "10",
        "docs.deleted": "0",
        "store.size": "1kb",
        "pri.store.size": "1kb",
    },
    {"index": ".kibana_1", "docs.count": "3"},
    {"index": "searchguard", "docs.count": "1"},
    {"index": "sg7-auditlog", "docs.count": "1"},
    {"index": ".migrations_working_state", "docs.count": "4"},
    {"index": "geonames", "docs.count": "5"},
]


async def test_cat_indices_with_refresh() -> None:
    cluster, http = make()
    http.route("POST", "/_refresh", json={"_shards": {}})
    http.route("GET", "/_cat/indices/_all", json=CAT_ROWS)
    rows = await cluster.cat_indices(refresh=True)
    assert calls(http) == [("POST", "/_refresh"), ("GET", "/_cat/indices/_all?format=json")]
    assert rows[0] == IndexInfo(
        index="logs",
        health="green",
        status="open",
        uuid="u1",
        primaries=1,
        replicas=0,
        docs_count=10,
        docs_deleted=0,
        store_size="1kb",
        primary_store_size="1kb",
    )
    assert rows[0].to_dict() == CAT_ROWS[0]
    assert [r.index for r in rows] == [r["index"] for r in CAT_ROWS]


async def test_cat_indices_text_and_serverless_path() -> None:
    cluster, http = make(endpoint="https://x.us-east-1.aoss.amazonaws.com", auth={"sigv4": None})
    http.route("GET", "/_cat/indices", text="health status index\n")
    text = await cluster.cat_indices_text(refresh=True)
    assert text == "health status index\n"
    assert calls(http) == [("GET", "/_cat/indices?v=true")]


async def test_clear_indices_refuses_without_confirmation() -> None:
    cluster, http = make()
    for confirm in (False, "yes"):
        with pytest.raises(ConfirmationRequiredError, match="confirm=True"):
            await cluster.clear_indices(confirm=confirm)  # type: ignore[arg-type]
    assert http.requests == []


async def test_clear_indices_sends_the_wildcard_delete() -> None:
    cluster, http = make()
    http.route("GET", "/_cat/indices/_all", json=CAT_ROWS)
    http.route("DELETE", "/" + CLEAR_INDICES_PATTERN, json={"acknowledged": True})
    result = await cluster.clear_indices(confirm=True)
    deletes = [c for c in calls(http) if c[0] == "DELETE"]
    assert deletes == [
        ("DELETE", "/*,-.*,-searchguard*,-sg7*,.migrations_working_state*?ignore_unavailable=true")
    ]
    assert result.method == "wildcard"
    assert result.deleted == ("logs", ".migrations_working_state", "geonames")
    assert str(result) == "Deleted 3 indices: logs, .migrations_working_state, geonames"


async def test_clear_indices_falls_back_to_names_when_wildcards_are_refused() -> None:
    cluster, http = make(max_concurrency=2)
    http.route("GET", "/_cat/indices/_all", json=CAT_ROWS)
    http.route(
        "DELETE",
        "/" + CLEAR_INDICES_PATTERN,
        status=400,
        json={
            "error": {
                "type": "illegal_argument_exception",
                "reason": "Wildcard expressions or all indices are not allowed",
            }
        },
    )
    in_flight = peak = 0

    async def delete(request: HttpRequest) -> HttpResponse:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(3):
            await asyncio.sleep(0)
        in_flight -= 1
        return HttpResponse.build(200, json={"acknowledged": True})

    http.route("DELETE", re.compile(r"/[^*]+"), delete)
    result = await cluster.clear_indices(confirm=True)
    assert result.method == "by_name"
    deleted = sorted(p for m, p in calls(http) if m == "DELETE" and "*" not in p)
    assert deleted == ["/.migrations_working_state", "/geonames", "/logs"]
    assert peak == 2


async def test_clear_indices_other_errors_raise() -> None:
    cluster, http = make()
    http.route("GET", "/_cat/indices/_all", json=[])
    http.route("DELETE", "/" + CLEAR_INDICES_PATTERN, status=403, json={"error": "forbidden"})
    with pytest.raises(HttpError) as err:
        await cluster.clear_indices(confirm=True)
    assert err.value.status == 403


async def test_clear_indices_by_name_reports_failures() -> None:
    cluster, http = make()
    http.route("GET", "/_cat/indices/_all", json=CAT_ROWS)
    http.route(
        "DELETE",
        "/" + CLEAR_INDICES_PATTERN,
        status=400,
        json={"error": {"reason": "[action.destructive_requires_name] is set"}},
    )
    http.route("DELETE", re.compile(r"/[^*]+"), json={"acknowledged": True})
    http.route("DELETE", "/geonames", status=500, json={"error": "boom"})
    with pytest.raises(InfrastructureError, match="could not delete 1 of 3 indices") as err:
        await cluster.clear_indices(confirm=True)
    assert err.value.context["failed"] == ["geonames"]


async def test_clear_indices_serverless_deletes_user_indices_by_name() -> None:
    cluster, http = make(endpoint="https://x.us-east-1.aoss.amazonaws.com", auth={"sigv4": None})
    http.route("GET", "/_cat/indices", json=[{"index": "a"}, {"index": ".hidden"}, {"index": "b"}])
    http.route("DELETE", re.compile(r"/\w+"), json={"acknowledged": True})
    result = await cluster.clear_indices(confirm=True)
    assert result.deleted == ("a", "b")
    assert sorted(c for c in calls(http) if c[0] == "DELETE") == [
        ("DELETE", "/a"),
        ("DELETE", "/b"),
    ]

    http.route("GET", "/_cat/indices", json=[{"index": ".only-system"}])
    empty = await cluster.clear_indices(confirm=True)
    assert str(empty) == "No user indices to delete."


# -- scroll -------------------------------------------------------------------------------------


def _scroll_server(http: FakeHttpClient, pages: list[list[dict[str, Any]]]) -> None:
    remaining = list(pages)

    def page(request: HttpRequest) -> HttpResponse:
        hits = remaining.pop(0) if remaining else []
        return HttpResponse.build(200, json={"_scroll_id": "sid", "hits": {"hits": hits}})

    http.route("POST", "/logs/_search", page)
    http.route("POST", "/_search/scroll", page)
    http.route("DELETE", "/_search/scroll", json={"succeeded": True})


def _hits(*ids: str) -> list[dict[str, Any]]:
    return [{"_index": "logs", "_id": i, "_source": {"n": i}} for i in ids]


async def test_scroll_yields_pages_and_clears() -> None:
    cluster, http = make()
    _scroll_server(http, [_hits("1", "2"), _hits("3")])
    pages = [page async for page in cluster.scroll("logs", batch_size=2)]
    assert [[h["_id"] for h in p] for p in pages] == [["1", "2"], ["3"]]
    assert calls(http) == [
        ("POST", "/logs/_search?scroll=1m"),
        ("POST", "/_search/scroll"),
        ("POST", "/_search/scroll"),
        ("DELETE", "/_search/scroll"),
    ]
    assert http.requests[0].json() == {"size": 2, "query": {"match_all": {}}}
    assert http.requests[1].json() == {"scroll": "1m", "scroll_id": "sid"}
    assert http.requests[-1].json() == {"scroll_id": "sid"}


async def test_scroll_with_query_and_early_exit_clears() -> None:
    cluster, http = make()
    _scroll_server(http, [_hits("1"), _hits("2"), _hits("3")])
    query = {"term": {"status": "done"}}
    async with contextlib.aclosing(cluster.scroll("logs", query=query)) as pages:
        async for page in pages:
            assert page[0]["_id"] == "1"
            break
    assert http.requests[0].json()["query"] == query
    assert calls(http)[-1] == ("DELETE", "/_search/scroll")
    assert len(http.requests) == 2


async def test_scroll_cancelled_mid_way_still_clears() -> None:
    cluster, http = make()
    _scroll_server(http, [_hits("1"), _hits("2")])
    got_first = asyncio.Event()
    blocked = asyncio.Event()

    async def consume() -> None:
        async for _ in cluster.scroll("logs"):
            got_first.set()
            await blocked.wait()

    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(consume())
        await got_first.wait()
        task.cancel()
    assert task.cancelled()
    assert calls(http)[-1] == ("DELETE", "/_search/scroll")


async def test_scroll_of_empty_index_and_bad_batch() -> None:
    cluster, http = make()
    _scroll_server(http, [])
    assert [p async for p in cluster.scroll("logs")] == []
    assert calls(http)[-1] == ("DELETE", "/_search/scroll")
    with pytest.raises(ValueError, match="batch_size"):
        async for _ in cluster.scroll("logs", batch_size=0):
            pass


# -- describe -----------------------------------------------------------------------------------


def test_describe_masks_the_password() -> None:
    cluster, _ = make(auth={"basic_auth": {"username": "admin", "password": "s3cr3t!"}})
    described = cluster.describe()
    assert described["auth"] == "basic_auth"
    assert described["basic_auth"]["username"] == "admin"
    assert described["basic_auth"]["credential_source"] == "inline"
    assert "s3cr3t!" not in json.dumps(described)
    assert "s3cr3t!" not in repr(cluster)
    sig, _ = make(auth={"sigv4": {"region": "eu-west-1"}})
    assert sig.describe()["sigv4"] == {"region": "eu-west-1", "service": "es"}
