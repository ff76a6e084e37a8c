"""The REST layer: parameters, methods, content types, errors and response options.

From OpenSearch's "Common REST parameters" documentation, the REST API specification (the
parameters of each endpoint) and the YAML tests that check ``catch: param``/``bad_request``.
"""

from __future__ import annotations

import pytest

from .conftest import Api


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_cat/indices"),
        ("POST", "/i/_search"),
        ("PUT", "/i/_doc/1"),
        ("GET", "/_cluster/health"),
        ("POST", "/i/_delete_by_query"),
    ],
)
async def test_an_unrecognized_parameter_is_rejected(api: Api, method: str, path: str) -> None:
    await api.ok("PUT", "/i")
    body: dict[str, object] = {"query": {"match_all": {}}} if "query" in path else {"a": 1}
    reply = await api(method, path, None if method == "GET" else body, nonsense="1")
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")
    assert reply.reason == f"request [{path}] contains unrecognized parameter: [nonsense]"


async def test_several_unrecognized_parameters_are_listed(api: Api) -> None:
    reply = await api("GET", "/", a="1", b="2")
    assert reply.reason == "request [/] contains unrecognized parameters: [a, b]"


async def test_common_parameters_are_accepted_everywhere(api: Api) -> None:
    reply = await api("GET", "/", pretty="true", human="true", error_trace="false")
    assert reply.status == 200
    assert reply.text.startswith("{\n")


async def test_filter_path_keeps_only_the_named_parts(api: Api) -> None:
    body = await api.ok("GET", "/", filter_path="version.number")
    assert body == {"version": {"number": "2.15.0"}}


async def test_a_wrong_method_is_405_naming_the_allowed_ones(api: Api) -> None:
    reply = await api("PATCH", "/i")
    assert reply.status == 405
    assert reply.reason == (
        "Incorrect HTTP method for uri [/i] and method [PATCH], allowed: [DELETE, GET, HEAD, PUT]"
    )


async def test_an_endpoint_the_fake_does_not_serve_has_no_handler(api: Api) -> None:
    reply = await api("GET", "/_nodes/hot_threads")
    assert reply.status == 400
    assert reply.reason == "no handler found for uri [/_nodes/hot_threads] and method [GET]"


async def test_a_body_needs_a_json_content_type(api: Api) -> None:
    response = await api.http.request(
        "POST",
        "/i/_search",
        data=b"{}",
        headers={"Content-Type": "text/plain"},
        raise_for_status=False,
    )
    assert response.status == 406
    assert response.json() == {
        "error": "Content-Type header [text/plain] is not supported",
        "status": 406,
    }


async def test_malformed_json_is_a_parse_error(api: Api) -> None:
    response = await api.http.request(
        "PUT",
        "/i/_doc/1",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        raise_for_status=False,
    )
    assert (response.status, response.json()["error"]["type"]) == (400, "json_parse_exception")


async def test_errors_carry_a_root_cause(api: Api) -> None:
    reply = await api("GET", "/missing/_doc/1")
    assert reply.body["status"] == 404
    assert reply.body["error"]["root_cause"][0]["type"] == "index_not_found_exception"


async def test_a_boolean_parameter_must_be_true_or_false(api: Api) -> None:
    reply = await api("GET", "/_cat/indices", v="maybe")
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")


async def test_a_time_parameter_must_have_a_unit(api: Api) -> None:
    reply = await api("GET", "/_cluster/health", timeout="10")
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")
    assert "unit is missing or unrecognized" in reply.reason
