"""Mappings: dynamic mapping, values the mapped type cannot take, and mapping definitions.

From OpenSearch's "Mappings", "Dynamic mapping" and field type documentation and the YAML
tests ``indices.create/10_basic``, ``indices.put_mapping/10_basic``, ``index/110_strict*``.
"""

from __future__ import annotations

from .conftest import Api


async def _properties(api: Api, index: str) -> dict[str, object]:
    body = await api.ok("GET", f"/{index}/_mapping")
    return dict(body[index]["mappings"]["properties"])


async def test_dynamic_mapping_types_new_fields_from_their_values(api: Api) -> None:
    await api.ok(
        "PUT",
        "/m/_doc/1",
        {"n": 1, "f": 1.5, "b": True, "s": "hello", "d": "2024-01-02", "o": {"x": 1}},
    )
    props = await _properties(api, "m")
    assert props["n"] == {"type": "long"}
    assert props["f"] == {"type": "float"}
    assert props["b"] == {"type": "boolean"}
    assert props["s"] == {
        "type": "text",
        "fields": {"keyword": {"type": "keyword", "ignore_above": 256}},
    }
    assert props["d"] == {"type": "date"}
    assert props["o"] == {"properties": {"x": {"type": "long"}}}


async def test_date_detection_can_be_turned_off(api: Api) -> None:
    await api.ok("PUT", "/m", {"mappings": {"date_detection": False}})
    await api.ok("PUT", "/m/_doc/1", {"d": "2024-01-02"})
    assert (await _properties(api, "m"))["d"]["type"] == "text"  # type: ignore[index]


async def test_numeric_strings_stay_text_unless_numeric_detection(api: Api) -> None:
    await api.ok("PUT", "/m/_doc/1", {"n": "42"})
    assert (await _properties(api, "m"))["n"]["type"] == "text"  # type: ignore[index]
    await api.ok("PUT", "/m2", {"mappings": {"numeric_detection": True}})
    await api.ok("PUT", "/m2/_doc/1", {"n": "42"})
    assert (await _properties(api, "m2"))["n"] == {"type": "long"}


async def test_dotted_field_names_map_as_objects(api: Api) -> None:
    await api.ok("PUT", "/m/_doc/1", {"a.b": 1})
    assert (await _properties(api, "m"))["a"] == {"properties": {"b": {"type": "long"}}}


async def test_a_string_that_is_not_a_number_fails_a_long_field(api: Api) -> None:
    await api.ok("PUT", "/m", {"mappings": {"properties": {"n": {"type": "long"}}}})
    reply = await api("PUT", "/m/_doc/1", {"n": "abc"})
    assert (reply.status, reply.error_type) == (400, "mapper_parsing_exception")
    assert reply.reason.startswith(
        "failed to parse field [n] of type [long] in document with id '1'"
    )
    assert reply.body["error"]["caused_by"]["type"] == "number_format_exception"
    assert (await api("GET", "/m/_doc/1")).status == 404


async def test_numeric_strings_are_coerced_into_numbers(api: Api) -> None:
    await api.ok("PUT", "/m", {"mappings": {"properties": {"n": {"type": "long"}}}})
    assert (await api("PUT", "/m/_doc/1", {"n": "54"})).status == 201


async def test_a_value_out_of_range_fails_an_integer_field(api: Api) -> None:
    await api.ok("PUT", "/m", {"mappings": {"properties": {"n": {"type": "byte"}}}})
    reply = await api("PUT", "/m/_doc/1", {"n": 300})
    assert reply.status == 400
    assert "is out of range for a byte" in reply.body["error"]["caused_by"]["reason"]


async def test_a_non_boolean_fails_a_boolean_field(api: Api) -> None:
    await api.ok("PUT", "/m", {"mappings": {"properties": {"b": {"type": "boolean"}}}})
    assert (await api("PUT", "/m/_doc/1", {"b": "yes"})).status == 400
    assert (await api("PUT", "/m/_doc/2", {"b": "false"})).status == 201


async def test_a_bad_date_fails_a_date_field(api: Api) -> None:
    await api.ok("PUT", "/m", {"mappings": {"properties": {"d": {"type": "date"}}}})
    reply = await api("PUT", "/m/_doc/1", {"d": "yesterday"})
    assert reply.status == 400
    assert "failed to parse date field [yesterday]" in reply.body["error"]["caused_by"]["reason"]
    assert (await api("PUT", "/m/_doc/2", {"d": 1700000000000})).status == 201
    assert (await api("PUT", "/m/_doc/3", {"d": "2024-05-06T07:08:09Z"})).status == 201


async def test_a_bad_ip_fails_an_ip_field(api: Api) -> None:
    await api.ok("PUT", "/m", {"mappings": {"properties": {"ip": {"type": "ip"}}}})
    assert (await api("PUT", "/m/_doc/1", {"ip": "not-an-ip"})).status == 400
    assert (await api("PUT", "/m/_doc/2", {"ip": "10.0.0.1"})).status == 201


async def test_a_concrete_value_fails_an_object_field(api: Api) -> None:
    await api.ok("PUT", "/m/_doc/1", {"o": {"x": 1}})
    reply = await api("PUT", "/m/_doc/2", {"o": "flat"})
    assert (reply.status, reply.error_type) == (400, "mapper_parsing_exception")
    assert reply.reason == (
        "object mapping for [o] tried to parse field [o] as object, but found a concrete value"
    )


async def test_an_object_fails_a_keyword_field(api: Api) -> None:
    await api.ok("PUT", "/m", {"mappings": {"properties": {"k": {"type": "keyword"}}}})
    assert (await api("PUT", "/m/_doc/1", {"k": {"a": 1}})).status == 400


async def test_the_first_value_fixes_a_dynamic_type(api: Api) -> None:
    await api.ok("PUT", "/m/_doc/1", {"n": 1})
    reply = await api("PUT", "/m/_doc/2", {"n": "abc"})
    assert reply.status == 400


async def test_a_bad_value_fails_only_its_bulk_item(api: Api) -> None:
    await api.ok("PUT", "/m", {"mappings": {"properties": {"n": {"type": "long"}}}})
    reply = await api(
        "POST",
        "/_bulk",
        ndjson=[
            {"index": {"_index": "m", "_id": "1"}},
            {"n": "abc"},
            {"index": {"_index": "m", "_id": "2"}},
            {"n": 2},
        ],
    )
    first, second = (item["index"] for item in reply.body["items"])
    assert reply.body["errors"] is True
    assert (first["status"], first["error"]["type"]) == (400, "mapper_parsing_exception")
    assert second["status"] == 201


async def test_strict_mapping_refuses_new_fields(api: Api) -> None:
    await api.ok(
        "PUT", "/m", {"mappings": {"dynamic": "strict", "properties": {"a": {"type": "long"}}}}
    )
    reply = await api("PUT", "/m/_doc/1", {"a": 1, "b": 2})
    assert (reply.status, reply.error_type) == (400, "strict_dynamic_mapping_exception")
    assert reply.reason == (
        "mapping set to strict, dynamic introduction of [b] within [_doc] is not allowed"
    )


async def test_dynamic_false_keeps_new_fields_in_source_unmapped(api: Api) -> None:
    await api.ok("PUT", "/m", {"mappings": {"dynamic": False}})
    await api.ok("PUT", "/m/_doc/1", {"a": 1})
    assert await _properties(api, "m") == {}
    assert (await api.ok("GET", "/m/_doc/1"))["_source"] == {"a": 1}


async def test_a_failed_document_does_not_change_the_mapping(api: Api) -> None:
    await api.ok("PUT", "/m", {"mappings": {"properties": {"n": {"type": "long"}}}})
    await api("PUT", "/m/_doc/1", {"n": "abc", "other": "x"})
    assert "other" not in await _properties(api, "m")


async def test_an_empty_field_name_in_a_mapping_is_rejected(api: Api) -> None:
    reply = await api("PUT", "/m", {"mappings": {"properties": {"": {"type": "keyword"}}}})
    assert reply.status == 400
    assert reply.error_type == "illegal_argument_exception"
    assert (await api("HEAD", "/m")).status == 404


async def test_a_mapping_nested_under_a_type_is_rejected(api: Api) -> None:
    reply = await api(
        "PUT", "/m", {"mappings": {"_doc": {"properties": {"f": {"type": "keyword"}}}}}
    )
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")
    assert reply.reason == (
        "The mapping definition cannot be nested under a type [_doc] unless include_type_name "
        "is set to true."
    )


async def test_an_unknown_field_type_is_rejected(api: Api) -> None:
    reply = await api("PUT", "/m", {"mappings": {"properties": {"f": {"type": "nonsense"}}}})
    assert (reply.status, reply.error_type) == (400, "mapper_parsing_exception")
    assert reply.reason == "No handler for type [nonsense] declared on field [f]"


async def test_put_mapping_adds_fields(api: Api) -> None:
    await api.ok("PUT", "/m")
    await api.ok("PUT", "/m/_mapping", {"properties": {"when": {"type": "date"}}})
    assert (await _properties(api, "m"))["when"] == {"type": "date"}


async def test_put_mapping_cannot_change_a_fields_type(api: Api) -> None:
    await api.ok("PUT", "/m", {"mappings": {"properties": {"n": {"type": "long"}}}})
    reply = await api("PUT", "/m/_mapping", {"properties": {"n": {"type": "text"}}})
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")
    assert reply.reason == "mapper [n] cannot be changed from type [long] to [text]"
