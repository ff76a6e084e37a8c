"""Index APIs: create, get, exists, delete, open/close, settings, ``_resolve/index``.

From OpenSearch's "Create index", "Delete index", "Open index", "Close index", "Get
settings", "Update settings" and "Resolve index" documentation and the YAML tests
``indices.create/10_basic``, ``indices.delete/10_basic``, ``indices.open/10_basic``,
``indices.open/20_multiple_indices``, ``indices.get_settings/*``,
``indices.put_settings/10_basic``, ``indices.resolve_index/*``.
"""

from __future__ import annotations

from .conftest import Api


async def test_create_reports_the_index_and_acknowledgements(api: Api) -> None:
    body = await api.ok("PUT", "/test_index")
    assert body == {"acknowledged": True, "shards_acknowledged": True, "index": "test_index"}


async def test_create_applies_settings_and_mappings(api: Api) -> None:
    await api.ok(
        "PUT",
        "/test_index",
        {
            "settings": {"number_of_replicas": "0"},
            "mappings": {"properties": {"f": {"type": "keyword"}}},
        },
    )
    got = await api.ok("GET", "/test_index")
    assert got["test_index"]["settings"]["index"]["number_of_replicas"] == "0"
    assert got["test_index"]["mappings"]["properties"]["f"] == {"type": "keyword"}


async def test_wait_for_active_shards_all_cannot_be_met_with_a_replica(api: Api) -> None:
    held = await api.ok(
        "PUT", "/none", {"settings": {"number_of_replicas": 0}}, wait_for_active_shards="all"
    )
    assert held["shards_acknowledged"] is True
    wanting = await api.ok("PUT", "/some", wait_for_active_shards="all")
    assert wanting["shards_acknowledged"] is False  # one node cannot hold the replica


async def test_creating_an_existing_index_is_400(api: Api) -> None:
    await api.ok("PUT", "/dup")
    reply = await api("PUT", "/dup")
    assert (reply.status, reply.error_type) == (400, "resource_already_exists_exception")


async def test_invalid_index_names_are_rejected(api: Api) -> None:
    for name, why in (("Upper", "must be lowercase"), ("_x", "must not start with")):
        reply = await api("PUT", f"/{name}")
        assert (reply.status, reply.error_type) == (400, "invalid_index_name_exception")
        assert why in reply.reason


async def test_an_unknown_create_body_key_is_rejected(api: Api) -> None:
    reply = await api("PUT", "/bad", {"setting": {}})
    assert reply.status == 400
    assert "unknown key [setting] for create index" in reply.reason


async def test_head_tells_whether_an_index_exists(api: Api) -> None:
    await api.ok("PUT", "/here")
    assert (await api("HEAD", "/here")).status == 200
    assert (await api("HEAD", "/gone")).status == 404


async def test_get_a_missing_index_is_404_with_the_index_named(api: Api) -> None:
    reply = await api("GET", "/missing")
    assert (reply.status, reply.error_type) == (404, "index_not_found_exception")
    assert reply.body["error"]["resource.id"] == "missing"


async def test_delete_takes_lists_wildcards_and_exclusions(api: Api) -> None:
    for name in ("a1", "a2", "b1"):
        await api.ok("PUT", f"/{name}")
    await api.ok("DELETE", "/a*,-a2")
    remaining = await api.ok("GET", "/_cat/indices", format="json", h="index", s="index")
    assert [r["index"] for r in remaining] == ["a2", "b1"]


async def test_allow_no_indices_applies_to_each_wildcard(api: Api) -> None:
    await api.ok("PUT", "/index2")
    reply = await api("DELETE", "/index2,alia*", allow_no_indices="false")
    assert (reply.status, reply.error_type) == (404, "index_not_found_exception")
    assert (await api("HEAD", "/index2")).status == 200


async def test_delete_missing_index_is_404_unless_ignored(api: Api) -> None:
    assert (await api("DELETE", "/nope")).status == 404
    assert (await api("DELETE", "/nope", ignore_unavailable="true")).status == 200


async def test_destructive_requires_name_refuses_wildcard_deletes(api: Api) -> None:
    await api.ok("PUT", "/keep")
    await api.ok(
        "PUT", "/_cluster/settings", {"transient": {"action.destructive_requires_name": True}}
    )
    reply = await api("DELETE", "/*")
    assert (reply.status, reply.reason) == (
        400,
        "Wildcard expressions or all indices are not allowed",
    )
    assert (await api("DELETE", "/keep")).status == 200


async def test_deleting_through_an_alias_is_refused(api: Api) -> None:
    await api.ok("PUT", "/real", {"aliases": {"nick": {}}})
    reply = await api("DELETE", "/nick")
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")
    assert "matches an alias, specify the corresponding concrete indices instead" in reply.reason


async def test_close_reports_each_index_and_blocks_search(api: Api) -> None:
    for name in ("index_1", "index_2"):
        await api.ok("PUT", f"/{name}", {"settings": {"number_of_replicas": 0}})
    closed = await api.ok("POST", "/index_*/_close")
    assert closed["acknowledged"] is True
    assert closed["indices"] == {"index_1": {"closed": True}, "index_2": {"closed": True}}
    reply = await api("POST", "/index_1/_search", {})
    assert (reply.status, reply.error_type) == (400, "index_closed_exception")


async def test_a_closed_index_refuses_reads_and_writes(api: Api) -> None:
    await api.ok("PUT", "/c/_doc/1", {"a": 1})
    await api.ok("POST", "/c/_close")
    assert (await api("GET", "/c/_doc/1")).error_type == "index_closed_exception"
    assert (await api("PUT", "/c/_doc/2", {"a": 2})).error_type == "index_closed_exception"
    assert (await api("GET", "/c/_count")).error_type == "index_closed_exception"


async def test_wildcard_searches_skip_closed_indices(api: Api) -> None:
    await api.ok("PUT", "/w1/_doc/1", {"a": 1}, refresh="true")
    await api.ok("PUT", "/w2/_doc/1", {"a": 1}, refresh="true")
    await api.ok("POST", "/w2/_close")
    assert (await api.ok("GET", "/w*/_count"))["count"] == 1


async def test_open_makes_a_closed_index_searchable_again(api: Api) -> None:
    await api.ok("PUT", "/c/_doc/1", {"a": 1}, refresh="true")
    await api.ok("POST", "/c/_close")
    opened = await api.ok("POST", "/c/_open")
    assert opened == {"acknowledged": True, "shards_acknowledged": True}
    assert (await api.ok("GET", "/c/_count"))["count"] == 1


async def test_get_settings_filters_by_name(api: Api) -> None:
    await api.ok("PUT", "/s", {"settings": {"number_of_shards": 2, "number_of_replicas": 0}})
    body = await api.ok("GET", "/s/_settings/index.number_*")
    assert body == {
        "s": {"settings": {"index": {"number_of_replicas": "0", "number_of_shards": "2"}}}
    }
    flat = await api.ok("GET", "/_settings/number_of_shards", flat_settings="true")
    assert flat == {"s": {"settings": {"index.number_of_shards": "2"}}}


async def test_update_settings_changes_dynamic_and_refuses_final_settings(api: Api) -> None:
    await api.ok("PUT", "/s")
    assert await api.ok("PUT", "/s/_settings", {"index": {"number_of_replicas": 0}}) == {
        "acknowledged": True
    }
    final = await api("PUT", "/s/_settings", {"number_of_shards": 4})
    assert (final.status, final.error_type) == (400, "illegal_argument_exception")


async def test_preserve_existing_keeps_set_values(api: Api) -> None:
    await api.ok("PUT", "/s", {"settings": {"index.refresh_interval": "5s"}})
    await api.ok(
        "PUT",
        "/s/_settings",
        {"index": {"refresh_interval": "9s", "max_result_window": "20"}},
        preserve_existing="true",
    )
    settings = (await api.ok("GET", "/s/_settings", flat_settings="true"))["s"]["settings"]
    assert (settings["index.refresh_interval"], settings["index.max_result_window"]) == ("5s", "20")


async def test_resolve_index_lists_indices_aliases_and_attributes(api: Api) -> None:
    await api.ok("PUT", "/r1", {"aliases": {"ra": {}}})
    await api.ok("PUT", "/r2")
    await api.ok("POST", "/r2/_close")
    body = await api.ok("GET", "/_resolve/index/r*", expand_wildcards="all")
    assert body["indices"] == [
        {"name": "r1", "aliases": ["ra"], "attributes": ["open"]},
        {"name": "r2", "attributes": ["closed"]},
    ]
    assert body["aliases"] == [{"name": "ra", "indices": ["r1"]}]
    assert body["data_streams"] == []


async def test_hidden_indices_need_expand_wildcards(api: Api) -> None:
    await api.ok("PUT", "/h", {"settings": {"index.hidden": True}})
    assert await api.ok("GET", "/_cat/indices", h="index") == ""
    assert await api.ok("GET", "/_cat/indices", h="index", expand_wildcards="all") == "h\n"
    assert (await api("GET", "/h")).status == 200  # a name is always found


async def test_an_unknown_expand_wildcards_value_is_rejected(api: Api) -> None:
    reply = await api("GET", "/_cat/indices", expand_wildcards="sometimes")
    assert (reply.status, reply.reason) == (400, "No valid expand wildcard value [sometimes]")


async def test_an_unknown_underscore_endpoint_falls_through_to_the_index_routes(api: Api) -> None:
    reply = await api("GET", "/_nodess")
    assert (reply.status, reply.error_type) == (400, "invalid_index_name_exception")
    assert reply.reason == "Invalid index name [_nodess], must not start with '_'."
