"""``_bulk``: per-item results, op types, metadata validation.

From OpenSearch's "Bulk" documentation and the YAML tests ``bulk/10_basic``,
``bulk/20_list_of_strings``, ``bulk/50_refresh``.
"""

from __future__ import annotations

from .conftest import Api


async def test_items_answer_each_action_in_order(api: Api) -> None:
    reply = await api(
        "POST",
        "/_bulk",
        ndjson=[
            {"index": {"_index": "b", "_id": "1"}},
            {"v": 1},
            {"create": {"_index": "b", "_id": "2"}},
            {"v": 2},
            {"update": {"_index": "b", "_id": "2"}},
            {"doc": {"w": 3}},
            {"delete": {"_index": "b", "_id": "1"}},
        ],
    )
    assert reply.status == 200
    assert reply.body["errors"] is False
    kinds = [next(iter(item)) for item in reply.body["items"]]
    assert kinds == ["index", "create", "update", "delete"]
    results = [next(iter(item.values()))["result"] for item in reply.body["items"]]
    assert results == ["created", "created", "updated", "deleted"]


async def test_one_failing_item_does_not_stop_the_others(api: Api) -> None:
    reply = await api(
        "POST",
        "/_bulk",
        ndjson=[
            {"create": {"_index": "b", "_id": "1"}},
            {"v": 1},
            {"create": {"_index": "b", "_id": "1"}},
            {"v": 2},
            {"index": {"_index": "b", "_id": "2"}},
            {"v": 3},
        ],
    )
    assert reply.body["errors"] is True
    statuses = [next(iter(i.values()))["status"] for i in reply.body["items"]]
    assert statuses == [201, 409, 201]
    error = reply.body["items"][1]["create"]["error"]
    assert error["type"] == "version_conflict_engine_exception"


async def test_index_with_op_type_create_answers_a_create_item(api: Api) -> None:
    reply = await api(
        "POST", "/_bulk", ndjson=[{"index": {"_index": "b", "op_type": "create"}}, {"f": 5}]
    )
    item = reply.body["items"][0]
    assert list(item) == ["create"]
    assert item["create"]["result"] == "created"


async def test_create_without_id_generates_one(api: Api) -> None:
    reply = await api("POST", "/_bulk", ndjson=[{"create": {"_index": "b"}}, {"f": 4}])
    assert reply.body["items"][0]["create"]["result"] == "created"


async def test_the_default_index_comes_from_the_path(api: Api) -> None:
    reply = await api("POST", "/dflt/_bulk", ndjson=[{"index": {"_id": "1"}}, {"f": 1}])
    assert reply.body["items"][0]["index"]["_index"] == "dflt"


async def test_seq_no_conditions_in_metadata(api: Api) -> None:
    await api.ok("PUT", "/b/_doc/1", {"v": 1})
    reply = await api(
        "POST",
        "/_bulk",
        ndjson=[
            {"index": {"_index": "b", "_id": "1", "if_seq_no": 7, "if_primary_term": 1}},
            {"v": 2},
        ],
    )
    assert reply.body["items"][0]["index"]["status"] == 409


async def test_a_body_must_end_with_a_newline(api: Api) -> None:
    response = await api.http.request(
        "POST",
        "/_bulk",
        data=b'{"index": {"_index": "b"}}\n{"f": 1}',
        headers={"Content-Type": "application/x-ndjson"},
        raise_for_status=False,
    )
    assert response.status == 400
    assert "must be terminated by a newline" in response.json()["error"]["reason"]


async def test_an_empty_action_line_is_malformed(api: Api) -> None:
    reply = await api(
        "POST", "/_bulk", ndjson=[{"index": {"_index": "b", "_id": "1"}}, {"f": 1}, {}]
    )
    assert reply.status == 400
    assert "Malformed action/metadata line [3], expected FIELD_NAME but found [END_OBJECT]" in (
        reply.reason
    )


async def test_an_unknown_action_is_malformed(api: Api) -> None:
    reply = await api("POST", "/_bulk", ndjson=[{"upsert": {"_index": "b"}}, {"f": 1}])
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")


async def test_an_unknown_metadata_field_is_rejected(api: Api) -> None:
    reply = await api("POST", "/_bulk", ndjson=[{"index": {"_index": "b", "_foo": 1}}, {"f": 1}])
    assert reply.status == 400
    assert "contains an unknown parameter [_foo]" in reply.reason


async def test_a_missing_index_is_a_validation_error(api: Api) -> None:
    reply = await api("POST", "/_bulk", ndjson=[{"index": {}}, {"f": 1}])
    assert (reply.status, reply.error_type) == (400, "action_request_validation_exception")


async def test_no_write_index_for_an_alias_is_an_item_error(api: Api) -> None:
    await api.ok("PUT", "/i1")
    await api.ok("PUT", "/i2")
    await api.ok("PUT", "/i1/_alias/both")
    await api.ok("PUT", "/i2/_alias/both")
    reply = await api("POST", "/_bulk", ndjson=[{"index": {"_index": "both"}}, {"f": 1}])
    error = reply.body["items"][0]["index"]["error"]
    assert error["type"] == "illegal_argument_exception"
    assert error["reason"].startswith("no write index is defined for alias [both]")


async def test_require_alias_per_item(api: Api) -> None:
    reply = await api(
        "POST",
        "/_bulk",
        ndjson=[{"index": {"_index": "new", "require_alias": True}}, {"f": 1}],
    )
    item = reply.body["items"][0]["index"]
    assert (item["status"], item["error"]["type"]) == (404, "index_not_found_exception")
