"""Scroll: paging a point-in-time view, keep-alive, clearing, and what a scroll refuses.

From OpenSearch's "Scroll" documentation and the YAML tests ``scroll/10_basic``,
``scroll/11_clear``, ``scroll/20_keep_alive``.
"""

from __future__ import annotations

import pytest

from asyncconsole import FakeClock
from asyncconsole.testing import FakeOpenSearch

from .conftest import Api


@pytest.fixture
def scrolled(cluster: FakeOpenSearch) -> None:
    cluster.create_index("s", [("42", {"foo": 1}), ("43", {"foo": 2})])


async def _first(api: Api) -> dict[str, object]:
    return dict(
        await api.ok(
            "POST", "/s/_search", {"query": {"match_all": {}}}, size="1", scroll="1m", sort="foo"
        )
    )


@pytest.mark.usefixtures("scrolled")
async def test_pages_come_in_order_until_empty(api: Api) -> None:
    first = await _first(api)
    scroll_id = first["_scroll_id"]
    assert [h["_id"] for h in first["hits"]["hits"]] == ["42"]  # type: ignore[index]
    second = await api.ok("POST", "/_search/scroll", {"scroll_id": scroll_id, "scroll": "1m"})
    assert [h["_id"] for h in second["hits"]["hits"]] == ["43"]
    assert second["hits"]["total"] == {"value": 2, "relation": "eq"}
    third = await api.ok("POST", "/_search/scroll", {"scroll_id": scroll_id, "scroll": "1m"})
    assert third["hits"]["hits"] == []


@pytest.mark.usefixtures("scrolled")
async def test_a_scroll_is_a_point_in_time(api: Api) -> None:
    first = await _first(api)
    await api.ok("PUT", "/s/_doc/44", {"foo": 3}, refresh="true")
    await api.ok("PUT", "/s/_doc/43", {"foo": 99}, refresh="true")
    second = await api.ok("POST", "/_search/scroll", {"scroll_id": first["_scroll_id"]})
    assert second["hits"]["total"]["value"] == 2
    assert second["hits"]["hits"][0]["_source"] == {"foo": 2}


@pytest.mark.usefixtures("scrolled")
async def test_the_body_scroll_id_wins_over_the_query_string(api: Api) -> None:
    first = await _first(api)
    second = await api.ok(
        "POST", "/_search/scroll", {"scroll_id": first["_scroll_id"]}, scroll_id="invalid"
    )
    assert [h["_id"] for h in second["hits"]["hits"]] == ["43"]


@pytest.mark.usefixtures("scrolled")
async def test_scroll_id_in_the_query_string(api: Api) -> None:
    first = await _first(api)
    second = await api.ok("GET", "/_search/scroll", scroll_id=str(first["_scroll_id"]), scroll="1m")
    assert len(second["hits"]["hits"]) == 1


@pytest.mark.usefixtures("scrolled")
async def test_rest_total_hits_as_int_on_scroll_pages(api: Api) -> None:
    first = await _first(api)
    second = await api.ok(
        "POST", "/_search/scroll", {"scroll_id": first["_scroll_id"]}, rest_total_hits_as_int="true"
    )
    assert second["hits"]["total"] == 2


@pytest.mark.usefixtures("scrolled")
async def test_max_score_is_null_on_sorted_scroll_pages(api: Api) -> None:
    first = await _first(api)
    assert first["hits"]["max_score"] is None  # type: ignore[index]


@pytest.mark.usefixtures("scrolled")
async def test_clear_scroll_frees_the_context(api: Api) -> None:
    first = await _first(api)
    cleared = await api("DELETE", "/_search/scroll", {"scroll_id": first["_scroll_id"]})
    assert (cleared.status, cleared.body) == (200, {"succeeded": True, "num_freed": 1})
    gone = await api("POST", "/_search/scroll", {"scroll_id": first["_scroll_id"]})
    assert gone.status == 404
    again = await api("DELETE", "/_search/scroll", {"scroll_id": first["_scroll_id"]})
    assert (again.status, again.body["num_freed"]) == (404, 0)


@pytest.mark.usefixtures("scrolled")
async def test_a_context_expires_after_its_keep_alive(api: Api, clock: FakeClock) -> None:
    first = await _first(api)
    await clock.advance(61)
    reply = await api("POST", "/_search/scroll", {"scroll_id": first["_scroll_id"]})
    assert (reply.status, reply.error_type) == (404, "search_phase_execution_exception")


@pytest.mark.usefixtures("scrolled")
async def test_a_scroll_refuses_size_zero(api: Api) -> None:
    reply = await api("POST", "/s/_search", {"size": 0}, scroll="1m")
    assert (reply.status, reply.error_type) == (400, "action_request_validation_exception")
    assert "[size] cannot be [0] in a scroll context" in reply.reason


@pytest.mark.usefixtures("scrolled")
async def test_a_scroll_refuses_the_request_cache(api: Api) -> None:
    reply = await api("POST", "/s/_search", {}, scroll="1m", request_cache="true")
    assert reply.status == 400
    assert "[request_cache] cannot be used in a scroll context" in reply.reason


@pytest.mark.usefixtures("scrolled")
async def test_a_scroll_refuses_from(api: Api) -> None:
    reply = await api("POST", "/s/_search", {"from": 1}, scroll="1m")
    assert reply.status == 400
    assert "using [from] is not allowed in a scroll context" in reply.reason


@pytest.mark.usefixtures("scrolled")
async def test_keep_alive_above_the_maximum_is_refused(api: Api) -> None:
    await api.ok(
        "PUT",
        "/_cluster/settings",
        {"transient": {"search.max_keep_alive": "1m", "search.default_keep_alive": "1m"}},
    )
    reply = await api("POST", "/s/_search", {"size": 1}, scroll="2m")
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")
    assert "Keep alive for request (2m) is too large" in reply.reason
    first = await api.ok("POST", "/s/_search", {"size": 1}, scroll="1m")
    later = await api("POST", "/_search/scroll", {"scroll_id": first["_scroll_id"], "scroll": "3m"})
    assert later.status == 400
    assert "is too large" in later.reason


async def test_a_missing_scroll_id_is_a_validation_error(api: Api) -> None:
    reply = await api("POST", "/_search/scroll", {})
    assert (reply.status, reply.error_type) == (400, "action_request_validation_exception")
