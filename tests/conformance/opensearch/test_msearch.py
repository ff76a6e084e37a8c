"""``_msearch``: one answer per search, in order; per-search errors; whole-request errors.

From OpenSearch's "Multi-search" documentation and the YAML tests ``msearch/10_basic``,
``msearch/11_status`` and ``msearch/12_create_search``.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api


async def _seed(api: Api) -> None:
    for index, docs in (("logs", [{"v": 1}, {"v": 2}, {"v": 3}]), ("metrics", [{"v": 10}])):
        for n, doc in enumerate(docs):
            await api.ok("PUT", f"/{index}/_doc/{n}", doc, refresh="true")


async def test_each_search_is_answered_in_order_with_its_status(api: Api) -> None:
    await _seed(api)
    reply = await api(
        "POST",
        "/_msearch",
        ndjson=[
            {"index": "logs"},
            {"query": {"range": {"v": {"gte": 2}}}, "track_total_hits": True},
            {"index": "metrics"},
            {"size": 0, "aggs": {"top": {"max": {"field": "v"}}}},
            {"index": ["logs", "metrics"]},
            {"query": {"match_all": {}}, "size": 0},
        ],
    )
    assert reply.status == 200
    assert isinstance(reply.body["took"], int)
    first, second, third = reply.body["responses"]
    assert [r["status"] for r in (first, second, third)] == [200, 200, 200]
    assert first["hits"]["total"] == {"value": 2, "relation": "eq"}
    assert second["aggregations"]["top"]["value"] == 10
    assert third["hits"]["total"]["value"] == 4


async def test_the_url_index_is_the_default_and_a_header_index_wins(api: Api) -> None:
    await _seed(api)
    reply = await api(
        "GET",
        "/logs/_msearch",
        ndjson=[{}, {"size": 0}, {"index": "metrics"}, {"size": 0}],
    )
    totals = [r["hits"]["total"]["value"] for r in reply.body["responses"]]
    assert totals == [3, 1]


async def test_a_missing_index_fails_only_its_search(api: Api) -> None:
    await _seed(api)
    reply = await api(
        "POST",
        "/_msearch",
        ndjson=[{"index": "absent"}, {"size": 0}, {"index": "logs"}, {"size": 0}],
    )
    assert reply.status == 200
    missing, found = reply.body["responses"]
    assert missing["status"] == 404
    assert missing["error"]["type"] == "index_not_found_exception"
    assert missing["error"]["index"] == "absent"
    assert found["status"] == 200


async def test_header_index_options_apply_to_their_search(api: Api) -> None:
    await _seed(api)
    reply = await api(
        "POST",
        "/_msearch",
        ndjson=[{"index": "absent", "ignore_unavailable": True}, {"size": 0}],
    )
    (only,) = reply.body["responses"]
    assert only["status"] == 200
    assert only["hits"]["total"]["value"] == 0


async def test_total_hits_as_an_integer_for_every_search(api: Api) -> None:
    await _seed(api)
    reply = await api(
        "POST",
        "/_msearch",
        ndjson=[{"index": "logs"}, {"size": 0}],
        rest_total_hits_as_int="true",
    )
    assert reply.body["responses"][0]["hits"]["total"] == 3


@pytest.mark.parametrize(
    ("lines", "error_type", "reason"),
    [
        ([{"index": "logs", "colour": "red"}, {}], "illegal_argument_exception", "colour"),
        ([{"index": "logs"}, {"query": {"match_all": {}}, "frobnicate": 1}], "parsing_exception",
         "frobnicate"),
        ([], "action_request_validation_exception", "no requests added"),
    ],
)  # fmt: skip
async def test_a_request_that_cannot_be_parsed_fails_as_a_whole(
    api: Api, lines: list[Any], error_type: str, reason: str
) -> None:
    reply = await api("POST", "/_msearch", ndjson=lines)
    assert reply.status == 400
    assert reply.error_type == error_type
    assert reason in reply.reason


async def test_the_body_must_end_with_a_newline(api: Api) -> None:
    response = await api.http.request(
        "POST",
        "/_msearch",
        data=b'{"index": "logs"}\n{"size": 0}',
        headers={"Content-Type": "application/x-ndjson"},
        raise_for_status=False,
    )
    assert response.status == 400
    assert "terminated by a newline" in response.text


async def test_unknown_url_parameters_are_rejected(api: Api) -> None:
    reply = await api("POST", "/_msearch", ndjson=[{}, {}], colour="red")
    assert reply.status == 400
    assert "unrecognized parameter" in reply.reason
