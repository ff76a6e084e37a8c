"""``_search`` and ``_count``: queries, totals, paging, and what OpenSearch refuses.

From OpenSearch's "Search", "Count", "Paginate results" and "track_total_hits"
documentation and the YAML tests ``search/*``, ``count/10_basic``, ``search/110_field_collapsing``
(result window), ``search/240_total_hits_as_int``.
"""

from __future__ import annotations

from typing import Any

import pytest

from asyncconsole.testing import FakeOpenSearch

from .conftest import Api


@pytest.fixture
def books(cluster: FakeOpenSearch) -> None:
    cluster.create_index(
        "books",
        [(str(n), {"n": n, "title": f"book number {n}", "tag": "odd" if n % 2 else "even"})
         for n in range(12)],
    )  # fmt: skip


async def _search(api: Api, body: Any, **params: str) -> dict[str, Any]:
    return dict(await api.ok("POST", "/books/_search", body, **params))


@pytest.mark.usefixtures("books")
async def test_default_page_is_ten_hits_with_an_exact_total(api: Api) -> None:
    body = await _search(api, {"query": {"match_all": {}}})
    assert body["hits"]["total"] == {"value": 12, "relation": "eq"}
    assert len(body["hits"]["hits"]) == 10
    assert body["timed_out"] is False
    assert body["_shards"]["failed"] == 0


@pytest.mark.usefixtures("books")
async def test_from_and_size_page_through_sorted_hits(api: Api) -> None:
    body = await _search(api, {"sort": [{"n": "desc"}], "from": 2, "size": 3})
    assert [h["_id"] for h in body["hits"]["hits"]] == ["9", "8", "7"]
    assert body["hits"]["hits"][0]["sort"] == [9]
    assert body["hits"]["max_score"] is None


@pytest.mark.usefixtures("books")
async def test_url_parameters_override_the_body(api: Api) -> None:
    body = await _search(api, {"size": 1}, size="2", sort="n:asc")
    assert [h["_id"] for h in body["hits"]["hits"]] == ["0", "1"]


@pytest.mark.usefixtures("books")
async def test_q_parameter_matches_a_field(api: Api) -> None:
    body = await api.ok("GET", "/books/_search", q="tag:odd")
    assert body["hits"]["total"]["value"] == 6


@pytest.mark.usefixtures("books")
async def test_bool_range_term_and_match_queries(api: Api) -> None:
    query = {
        "bool": {
            "filter": [{"range": {"n": {"gte": 4, "lt": 10}}}],
            "must": [{"match": {"title": "book"}}],
            "must_not": [{"term": {"tag": "even"}}],
        }
    }
    body = await _search(api, {"query": query, "sort": ["n"]})
    assert [h["_id"] for h in body["hits"]["hits"]] == ["5", "7", "9"]


@pytest.mark.usefixtures("books")
async def test_ids_exists_and_terms_queries(api: Api) -> None:
    ids = await _search(api, {"query": {"ids": {"values": ["1", "3", "99"]}}})
    assert ids["hits"]["total"]["value"] == 2
    terms = await _search(api, {"query": {"terms": {"n": [1, 2, 3]}}})
    assert terms["hits"]["total"]["value"] == 3
    exists = await _search(api, {"query": {"exists": {"field": "nope"}}})
    assert exists["hits"]["total"]["value"] == 0


@pytest.mark.usefixtures("books")
async def test_source_filtering(api: Api) -> None:
    body = await _search(api, {"_source": ["n"], "size": 1, "sort": ["n"]})
    assert body["hits"]["hits"][0]["_source"] == {"n": 0}
    off = await _search(api, {"_source": False, "size": 1})
    assert "_source" not in off["hits"]["hits"][0]


@pytest.mark.usefixtures("books")
async def test_version_and_seq_no_primary_term_in_hits(api: Api) -> None:
    body = await _search(api, {"version": True, "seq_no_primary_term": True, "size": 1})
    hit = body["hits"]["hits"][0]
    assert hit["_version"] == 1
    assert (hit["_primary_term"], isinstance(hit["_seq_no"], int)) == (1, True)
    plain = await _search(api, {"size": 1})
    assert "_version" not in plain["hits"]["hits"][0]


async def test_total_hits_are_counted_up_to_ten_thousand_by_default(
    api: Api, cluster: FakeOpenSearch
) -> None:
    cluster.create_index("big", ({"n": n} for n in range(10_001)))
    capped = await api.ok("POST", "/big/_search", {"size": 0})
    assert capped["hits"]["total"] == {"value": 10_000, "relation": "gte"}
    exact = await api.ok("POST", "/big/_search", {"size": 0, "track_total_hits": True})
    assert exact["hits"]["total"] == {"value": 10_001, "relation": "eq"}
    custom = await api.ok("POST", "/big/_search", {"size": 0, "track_total_hits": 100})
    assert custom["hits"]["total"] == {"value": 100, "relation": "gte"}


@pytest.mark.usefixtures("books")
async def test_track_total_hits_false_omits_the_total(api: Api) -> None:
    body = await _search(api, {"track_total_hits": False, "size": 0})
    assert "total" not in body["hits"]


@pytest.mark.usefixtures("books")
async def test_rest_total_hits_as_int_gives_a_number(api: Api) -> None:
    body = await _search(api, {"size": 0}, rest_total_hits_as_int="true")
    assert body["hits"]["total"] == 12


@pytest.mark.usefixtures("books")
async def test_rest_total_hits_as_int_with_tracking_off_gives_minus_one(api: Api) -> None:
    body = await _search(api, {"size": 0, "track_total_hits": False}, rest_total_hits_as_int="true")
    assert body["hits"]["total"] == -1


@pytest.mark.usefixtures("books")
async def test_rest_total_hits_as_int_refuses_an_inexact_total(api: Api) -> None:
    reply = await api(
        "POST", "/books/_search", {"track_total_hits": 100}, rest_total_hits_as_int="true"
    )
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")
    assert reply.reason == (
        "[rest_total_hits_as_int] cannot be used if the tracking of total hits is not accurate, "
        "got 100"
    )


@pytest.mark.usefixtures("books")
async def test_the_result_window_is_limited_to_ten_thousand(api: Api) -> None:
    reply = await api("POST", "/books/_search", {"from": 9_995, "size": 10})
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")
    assert reply.reason.startswith("Result window is too large")


@pytest.mark.usefixtures("books")
async def test_an_unknown_body_key_is_a_parsing_error(api: Api) -> None:
    reply = await api("POST", "/books/_search", {"qeury": {}})
    assert (reply.status, reply.error_type) == (400, "parsing_exception")


@pytest.mark.usefixtures("books")
async def test_an_unknown_query_is_a_parsing_error(api: Api) -> None:
    reply = await api("POST", "/books/_search", {"query": {"fuzzy_nonsense": {}}})
    assert (reply.status, reply.error_type) == (400, "parsing_exception")


async def test_searching_a_missing_index_is_404(api: Api) -> None:
    reply = await api("POST", "/missing/_search", {})
    assert (reply.status, reply.error_type) == (404, "index_not_found_exception")
    assert reply.body["error"]["index"] == "missing"


async def test_ignore_unavailable_skips_a_missing_index(api: Api) -> None:
    await api.ok("PUT", "/present")
    body = await api.ok("POST", "/present,missing/_search", {}, ignore_unavailable="true")
    assert body["hits"]["total"]["value"] == 0


async def test_a_wildcard_matching_nothing_is_an_empty_result(api: Api) -> None:
    body = await api.ok("POST", "/nothing*/_search", {})
    assert body["hits"]["total"]["value"] == 0
    reply = await api("POST", "/nothing*/_search", {}, allow_no_indices="false")
    assert (reply.status, reply.error_type) == (404, "index_not_found_exception")


@pytest.mark.usefixtures("books")
async def test_count_is_exact(api: Api) -> None:
    assert (await api.ok("GET", "/books/_count"))["count"] == 12
    odd = await api.ok("POST", "/books/_count", {"query": {"term": {"tag": "odd"}}})
    assert odd["count"] == 6
    assert (await api.ok("GET", "/_count", q="tag:even"))["count"] == 6


@pytest.mark.usefixtures("books")
async def test_count_refuses_search_only_keys(api: Api) -> None:
    reply = await api("POST", "/books/_count", {"size": 1})
    assert (reply.status, reply.error_type) == (400, "parsing_exception")


@pytest.mark.usefixtures("books")
async def test_an_index_url_parameter_acts_like_the_path(api: Api) -> None:
    body = await api.ok("GET", "/_count", index="books")
    assert body["count"] == 12


@pytest.mark.usefixtures("books")
async def test_an_unknown_query_option_is_a_parsing_error(api: Api) -> None:
    reply = await api(
        "POST", "/books/_search", {"query": {"match": {"title": {"query": "x", "nope": 1}}}}
    )
    assert (reply.status, reply.error_type) == (400, "parsing_exception")
    assert reply.reason == "[match] query does not support [nope]"
