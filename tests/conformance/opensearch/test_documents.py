"""Single-document APIs: index, create, get, delete, update, with versions and conflicts.

From OpenSearch's "Index document", "Get document", "Delete document", "Update document"
and "Concurrency control" documentation and the YAML tests ``index/10_with_id``,
``index/12_result``, ``index/20_optype``, ``index/35_external_version``,
``index/36_external_gte_version``, ``delete/20_cas``, ``delete/25_external_version``,
``update/*``, ``get/90_versions``.
"""

from __future__ import annotations

from .conftest import Api


async def test_index_with_id_reports_seq_no_primary_term_and_version(api: Api) -> None:
    reply = await api("PUT", "/docs/_doc/1", {"foo": "bar"})
    assert reply.status == 201
    assert {k: reply.body[k] for k in ("_index", "_id", "_version", "result", "_seq_no")} == {
        "_index": "docs",
        "_id": "1",
        "_version": 1,
        "result": "created",
        "_seq_no": 0,
    }
    assert reply.body["_primary_term"] == 1


async def test_reindexing_an_id_updates_it_and_bumps_version_and_seq_no(api: Api) -> None:
    await api.ok("PUT", "/docs/_doc/1", {"foo": "bar"})
    again = await api("PUT", "/docs/_doc/1", {"foo": "baz"})
    assert (again.status, again.body["result"]) == (200, "updated")
    assert (again.body["_version"], again.body["_seq_no"]) == (2, 1)


async def test_post_without_id_generates_one(api: Api) -> None:
    reply = await api("POST", "/docs/_doc", {"foo": "bar"})
    assert reply.status == 201
    assert len(reply.body["_id"]) == 20


async def test_get_returns_the_version_and_sequence_number(api: Api) -> None:
    await api.ok("PUT", "/docs/_doc/1", {"foo": "bar"})
    await api.ok("PUT", "/docs/_doc/1", {"foo": "baz"})
    got = await api.ok("GET", "/docs/_doc/1")
    assert (got["_version"], got["_seq_no"], got["_primary_term"]) == (2, 1, 1)


async def test_get_missing_document_is_404_found_false(api: Api) -> None:
    await api.ok("PUT", "/docs")
    reply = await api("GET", "/docs/_doc/nope")
    assert (reply.status, reply.body) == (404, {"_index": "docs", "_id": "nope", "found": False})


async def test_get_source_filtering(api: Api) -> None:
    await api.ok("PUT", "/docs/_doc/1", {"a": 1, "b": {"c": 2, "d": 3}})
    got = await api.ok("GET", "/docs/_doc/1", _source_includes="b.c")
    assert got["_source"] == {"b": {"c": 2}}
    assert "_source" not in await api.ok("GET", "/docs/_doc/1", _source="false")
    assert await api.ok("GET", "/docs/_source/1", _source_excludes="b") == {"a": 1}


async def test_op_type_create_conflicts_when_the_id_exists(api: Api) -> None:
    await api.ok("PUT", "/docs/_doc/1", {"foo": "bar"}, op_type="create")
    reply = await api("PUT", "/docs/_doc/1", {"foo": "bar"}, op_type="create")
    assert (reply.status, reply.error_type) == (409, "version_conflict_engine_exception")
    assert reply.reason == "[1]: version conflict, document already exists (current version [1])"
    assert reply.body["error"]["index"] == "docs"
    indexed = await api.ok("PUT", "/docs/_doc/1", {"foo": "bar"}, op_type="index")
    assert indexed["_version"] == 2


async def test_create_endpoint_conflicts_when_the_id_exists(api: Api) -> None:
    assert (await api("PUT", "/docs/_create/1", {"a": 1})).status == 201
    assert (await api("PUT", "/docs/_create/1", {"a": 1})).status == 409


async def test_if_seq_no_and_if_primary_term_guard_an_index(api: Api) -> None:
    await api.ok("PUT", "/docs/_doc/1", {"v": 1})
    stale = await api("PUT", "/docs/_doc/1", {"v": 2}, if_seq_no="5", if_primary_term="1")
    assert (stale.status, stale.error_type) == (409, "version_conflict_engine_exception")
    assert stale.reason == (
        "[1]: version conflict, required seqNo [5], primary term [1]. current document has "
        "seqNo [0] and primary term [1]"
    )
    fresh = await api("PUT", "/docs/_doc/1", {"v": 2}, if_seq_no="0", if_primary_term="1")
    assert (fresh.status, fresh.body["_seq_no"]) == (200, 1)


async def test_if_seq_no_on_a_missing_document_conflicts(api: Api) -> None:
    await api.ok("PUT", "/docs")
    reply = await api("PUT", "/docs/_doc/9", {"v": 1}, if_seq_no="0", if_primary_term="1")
    assert reply.status == 409
    assert reply.reason.endswith("but no document was found")


async def test_if_seq_no_guards_a_delete(api: Api) -> None:
    await api.ok("PUT", "/docs/_doc/1", {"foo": "bar"})
    assert (await api("DELETE", "/docs/_doc/1", if_seq_no="2", if_primary_term="1")).status == 409
    deleted = await api.ok("DELETE", "/docs/_doc/1", if_seq_no="0", if_primary_term="1")
    assert deleted["_seq_no"] == 1


async def test_if_seq_no_without_primary_term_is_a_validation_error(api: Api) -> None:
    reply = await api("PUT", "/docs/_doc/1", {"v": 1}, if_seq_no="0")
    assert (reply.status, reply.error_type) == (400, "action_request_validation_exception")
    assert "ifSeqNo is set, but primary term is [0]" in reply.reason


async def test_internal_version_cannot_be_used_for_concurrency_control(api: Api) -> None:
    reply = await api("PUT", "/docs/_doc/1", {"v": 1}, version="1")
    assert (reply.status, reply.error_type) == (400, "action_request_validation_exception")
    assert "Please use `if_seq_no` and `if_primary_term` instead" in reply.reason


async def test_external_versions_must_grow(api: Api) -> None:
    first = await api.ok("PUT", "/docs/_doc/1", {"v": 1}, version_type="external", version="5")
    assert first["_version"] == 5
    same = await api("PUT", "/docs/_doc/1", {"v": 1}, version_type="external", version="5")
    assert same.status == 409
    assert same.reason == (
        "[1]: version conflict, current version [5] is higher or equal to the one provided [5]"
    )
    newer = await api.ok("PUT", "/docs/_doc/1", {"v": 1}, version_type="external", version="6")
    assert newer["_version"] == 6


async def test_external_gte_accepts_an_equal_version(api: Api) -> None:
    await api.ok("PUT", "/docs/_doc/1", {"v": 1}, version_type="external_gte", version="5")
    equal = await api("PUT", "/docs/_doc/1", {"v": 2}, version_type="external_gte", version="5")
    assert equal.status == 200
    older = await api("PUT", "/docs/_doc/1", {"v": 3}, version_type="external_gte", version="4")
    assert older.status == 409


async def test_delete_reports_deleted_then_not_found(api: Api) -> None:
    await api.ok("PUT", "/docs/_doc/1", {"v": 1})
    deleted = await api("DELETE", "/docs/_doc/1")
    assert (deleted.status, deleted.body["result"], deleted.body["_version"]) == (200, "deleted", 2)
    again = await api("DELETE", "/docs/_doc/1")
    assert (again.status, again.body["result"]) == (404, "not_found")


async def test_a_deleted_id_keeps_counting_versions(api: Api) -> None:
    await api.ok("PUT", "/docs/_doc/1", {"v": 1})
    await api.ok("DELETE", "/docs/_doc/1")
    recreated = await api.ok("PUT", "/docs/_doc/1", {"v": 1})
    assert (recreated["result"], recreated["_version"]) == ("created", 3)


async def test_update_merges_a_partial_document(api: Api) -> None:
    await api.ok("PUT", "/docs/_doc/1", {"a": 1, "o": {"x": 1}})
    reply = await api.ok("POST", "/docs/_update/1", {"doc": {"b": 2, "o": {"y": 2}}})
    assert (reply["result"], reply["_version"]) == ("updated", 2)
    assert (await api.ok("GET", "/docs/_doc/1"))["_source"] == {
        "a": 1,
        "o": {"x": 1, "y": 2},
        "b": 2,
    }


async def test_update_without_changes_is_a_noop(api: Api) -> None:
    await api.ok("PUT", "/docs/_doc/1", {"a": 1})
    reply = await api.ok("POST", "/docs/_update/1", {"doc": {"a": 1}})
    assert (reply["result"], reply["_version"]) == ("noop", 1)
    assert reply["_shards"]["total"] == 0
    forced = await api.ok("POST", "/docs/_update/1", {"doc": {"a": 1}, "detect_noop": False})
    assert forced["result"] == "updated"


async def test_update_of_a_missing_document_is_404(api: Api) -> None:
    await api.ok("PUT", "/docs")
    reply = await api("POST", "/docs/_update/9", {"doc": {"a": 1}})
    assert (reply.status, reply.error_type) == (404, "document_missing_exception")
    assert reply.reason == "[9]: document missing"


async def test_update_upserts(api: Api) -> None:
    seeded = await api("POST", "/docs/_update/1", {"doc": {"a": 2}, "upsert": {"a": 1}})
    assert (seeded.status, seeded.body["result"]) == (201, "created")
    assert (await api.ok("GET", "/docs/_doc/1"))["_source"] == {"a": 1}
    as_upsert = await api("POST", "/docs/_update/2", {"doc": {"a": 2}, "doc_as_upsert": True})
    assert as_upsert.status == 201
    assert (await api.ok("GET", "/docs/_doc/2"))["_source"] == {"a": 2}


async def test_update_with_if_seq_no_conflicts_when_stale(api: Api) -> None:
    await api.ok("PUT", "/docs/_doc/1", {"a": 1})
    reply = await api(
        "POST", "/docs/_update/1", {"doc": {"a": 2}}, if_seq_no="9", if_primary_term="1"
    )
    assert reply.status == 409


async def test_update_with_an_unknown_body_field_is_rejected(api: Api) -> None:
    await api.ok("PUT", "/docs/_doc/1", {"a": 1})
    reply = await api("POST", "/docs/_update/1", {"doc": {"a": 2}, "foo": 1})
    assert (reply.status, reply.error_type) == (400, "x_content_parse_exception")


async def test_an_empty_id_is_rejected(api: Api) -> None:
    reply = await api("POST", "/_bulk", ndjson=[{"index": {"_index": "d", "_id": ""}}, {"f": 1}])
    item = reply.body["items"][0]["index"]
    assert (item["status"], item["error"]["reason"]) == (
        400,
        "if _id is specified it must not be empty",
    )


async def test_an_id_longer_than_512_bytes_is_rejected(api: Api) -> None:
    reply = await api("PUT", "/docs/_doc/" + "a" * 513, {"a": 1})
    assert reply.status == 400
    assert "is too long, must be no longer than 512 bytes" in reply.reason


async def test_a_document_must_be_an_object(api: Api) -> None:
    reply = await api("PUT", "/docs/_doc/1", [1, 2])
    assert (reply.status, reply.error_type) == (400, "mapper_parsing_exception")


async def test_writing_to_a_missing_index_creates_it(api: Api) -> None:
    await api.ok("PUT", "/auto/_doc/1", {"a": 1})
    assert (await api("HEAD", "/auto")).status == 200


async def test_require_alias_refuses_to_create_an_index(api: Api) -> None:
    reply = await api("PUT", "/nothing/_doc/1", {"a": 1}, require_alias="true")
    assert (reply.status, reply.error_type) == (404, "index_not_found_exception")
    assert "[require_alias] request flag is [true]" in reply.reason
    assert (await api("HEAD", "/nothing")).status == 404
