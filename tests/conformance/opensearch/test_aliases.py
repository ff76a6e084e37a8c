"""Aliases: put, get, exists, delete, ``_aliases`` actions, and alias names in other APIs.

From OpenSearch's "Alias" and "Aliases" documentation and the YAML tests
``indices.put_alias/10_basic``, ``indices.get_alias/10_basic``,
``indices.delete_alias/all_path_options``, ``indices.update_aliases/10_basic``,
``indices.exists_alias/10_basic``, ``bulk/10_basic`` (write index).
"""

from __future__ import annotations

from .conftest import Api


async def test_put_then_exists_and_get(api: Api) -> None:
    await api.ok("PUT", "/test_index")
    assert (await api("HEAD", "/_alias/test_alias")).status == 404
    assert await api.ok("PUT", "/test_index/_alias/test_alias") == {"acknowledged": True}
    assert (await api("HEAD", "/_alias/test_alias")).status == 200
    assert await api.ok("GET", "/_alias/test_alias") == {
        "test_index": {"aliases": {"test_alias": {}}}
    }


async def test_put_alias_names_from_the_body(api: Api) -> None:
    await api.ok("PUT", "/test_index")
    await api.ok("PUT", "/test_index/_alias", {"alias": "a1"})
    await api.ok("PUT", "/_alias/a2", {"index": "test_index"})
    body = await api.ok("GET", "/test_index/_alias/a*")
    assert body == {"test_index": {"aliases": {"a1": {}, "a2": {}}}}


async def test_alias_metadata_is_shown_as_given(api: Api) -> None:
    await api.ok("PUT", "/test_index")
    await api.ok("PUT", "/test_index/_alias/w", {"is_write_index": True})
    await api.ok("PUT", "/test_index/_alias/r", {"routing": "test"})
    await api.ok("PUT", "/test_index/_alias/f", {"filter": {"term": {"user": "kimchy"}}})
    aliases = (await api.ok("GET", "/test_index/_alias"))["test_index"]["aliases"]
    assert aliases["w"] == {"is_write_index": True}
    assert aliases["r"] == {"index_routing": "test", "search_routing": "test"}
    assert aliases["f"] == {"filter": {"term": {"user": "kimchy"}}}


async def test_an_alias_cannot_have_wildcards_or_an_index_name(api: Api) -> None:
    await api.ok("PUT", "/test_index")
    await api.ok("PUT", "/foo")
    wildcard = await api("PUT", "/test_index/_alias/test_*")
    assert (wildcard.status, wildcard.error_type) == (400, "invalid_alias_name_exception")
    clash = await api("PUT", "/test_index/_alias/foo")
    assert (clash.status, clash.error_type) == (400, "invalid_alias_name_exception")


async def test_an_unknown_alias_field_is_rejected(api: Api) -> None:
    await api.ok("PUT", "/test_index")
    reply = await api("PUT", "/test_index/_alias/a", {"abc": 1})
    assert reply.status == 400
    assert "unknown field [abc]" in reply.reason


async def test_get_a_missing_alias_is_404_with_a_string_error(api: Api) -> None:
    await api.ok("PUT", "/test_index")
    reply = await api("GET", "/_alias/nope")
    assert (reply.status, reply.body) == (404, {"error": "alias [nope] missing", "status": 404})


async def test_get_alias_without_a_name_lists_every_index(api: Api) -> None:
    await api.ok("PUT", "/i1", {"aliases": {"a": {}}})
    await api.ok("PUT", "/i2")
    assert await api.ok("GET", "/_alias") == {
        "i1": {"aliases": {"a": {}}},
        "i2": {"aliases": {}},
    }


async def test_create_index_with_aliases(api: Api) -> None:
    await api.ok(
        "PUT",
        "/test_index",
        {"aliases": {"plain": {}, "routed": {"routing": "b"}, "writer": {"is_write_index": True}}},
    )
    aliases = (await api.ok("GET", "/test_index/_alias"))["test_index"]["aliases"]
    assert aliases == {
        "plain": {},
        "routed": {"index_routing": "b", "search_routing": "b"},
        "writer": {"is_write_index": True},
    }


async def test_delete_alias_from_some_indices(api: Api) -> None:
    for name in ("test_index1", "test_index2", "foo"):
        await api.ok("PUT", f"/{name}")
    await api.ok(
        "POST",
        "/_aliases",
        {"actions": [{"add": {"indices": ["test_index1", "foo"], "alias": "alias1"}}]},
    )
    await api.ok("DELETE", "/test_*/_alias/alias1")
    assert await api.ok("GET", "/_alias/alias1") == {"foo": {"aliases": {"alias1": {}}}}


async def test_delete_a_missing_alias_is_404(api: Api) -> None:
    await api.ok("PUT", "/test_index")
    reply = await api("DELETE", "/*/_alias/non_existent")
    assert (reply.status, reply.error_type) == (404, "aliases_not_found_exception")
    assert reply.reason == "aliases [non_existent] missing"
    missing_index = await api("DELETE", "/non_existent/_alias/alias1")
    assert missing_index.status == 404


async def test_alias_actions_apply_together(api: Api) -> None:
    await api.ok("PUT", "/old", {"aliases": {"current": {}}})
    await api.ok("PUT", "/new")
    await api.ok(
        "POST",
        "/_aliases",
        {
            "actions": [
                {"remove": {"index": "old", "alias": "current"}},
                {"add": {"index": "new", "alias": "current"}},
            ]
        },
    )
    assert await api.ok("GET", "/_alias/current") == {"new": {"aliases": {"current": {}}}}


async def test_a_failing_action_applies_none(api: Api) -> None:
    await api.ok("PUT", "/a")
    reply = await api(
        "POST",
        "/_aliases",
        {
            "actions": [
                {"add": {"index": "a", "alias": "fresh"}},
                {"remove": {"index": "a", "alias": "absent"}},
            ]
        },
    )
    assert reply.status == 404
    assert (await api("HEAD", "/_alias/fresh")).status == 404


async def test_remove_index_action_deletes_the_index(api: Api) -> None:
    await api.ok("PUT", "/gone")
    await api.ok("POST", "/_aliases", {"actions": [{"remove_index": {"index": "gone"}}]})
    assert (await api("HEAD", "/gone")).status == 404


async def test_search_and_count_through_an_alias(api: Api) -> None:
    await api.ok("PUT", "/i1/_doc/1", {"user": "a"}, refresh="true")
    await api.ok("PUT", "/i2/_doc/1", {"user": "b"}, refresh="true")
    await api.ok(
        "POST", "/_aliases", {"actions": [{"add": {"indices": ["i1", "i2"], "alias": "both"}}]}
    )
    assert (await api.ok("GET", "/both/_count"))["count"] == 2
    hits = await api.ok("POST", "/both/_search", {"sort": ["_index"]})
    assert [h["_index"] for h in hits["hits"]["hits"]] == ["i1", "i2"]


async def test_a_filtered_alias_filters_searches(api: Api) -> None:
    await api.ok("PUT", "/logs/_doc/1", {"level": "error"})
    await api.ok("PUT", "/logs/_doc/2", {"level": "info"}, refresh="true")
    await api.ok("PUT", "/logs/_alias/errors", {"filter": {"term": {"level": "error"}}})
    assert (await api.ok("GET", "/errors/_count"))["count"] == 1
    assert (await api.ok("GET", "/logs/_count"))["count"] == 2


async def test_writes_go_to_the_single_index_of_an_alias(api: Api) -> None:
    await api.ok("PUT", "/backing", {"aliases": {"writer": {}}})
    reply = await api.ok("PUT", "/writer/_doc/1", {"a": 1})
    assert reply["_index"] == "backing"
    assert (await api.ok("GET", "/writer/_doc/1"))["_index"] == "backing"


async def test_writes_go_to_the_write_index(api: Api) -> None:
    await api.ok("PUT", "/old", {"aliases": {"logs": {"is_write_index": False}}})
    await api.ok("PUT", "/new", {"aliases": {"logs": {"is_write_index": True}}})
    assert (await api.ok("POST", "/logs/_doc", {"a": 1}))["_index"] == "new"


async def test_delete_by_query_through_a_filtered_alias(api: Api) -> None:
    await api.ok("PUT", "/logs/_doc/1", {"level": "error"})
    await api.ok("PUT", "/logs/_doc/2", {"level": "info"}, refresh="true")
    await api.ok("PUT", "/logs/_alias/errors", {"filter": {"term": {"level": "error"}}})
    body = await api.ok(
        "POST", "/errors/_delete_by_query", {"query": {"match_all": {}}}, refresh="true"
    )
    assert body["deleted"] == 1
    assert (await api.ok("GET", "/logs/_count"))["count"] == 1


async def test_cat_aliases(api: Api) -> None:
    await api.ok(
        "PUT",
        "/i1",
        {"aliases": {"a1": {"is_write_index": True}, "a2": {"filter": {"match_all": {}}}}},
    )
    rows = await api.ok("GET", "/_cat/aliases", format="json")
    assert rows == [
        {"alias": "a1", "index": "i1", "filter": "-", "routing.index": "-", "routing.search": "-",
         "is_write_index": "true"},
        {"alias": "a2", "index": "i1", "filter": "*", "routing.index": "-", "routing.search": "-",
         "is_write_index": "-"},
    ]  # fmt: skip
