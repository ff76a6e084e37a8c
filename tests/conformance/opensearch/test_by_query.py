"""``_delete_by_query``, ``_reindex`` and the tasks API for ``wait_for_completion=false``.

From OpenSearch's "Delete by query", "Reindex" and "Tasks" documentation and the YAML tests
``delete_by_query/10_basic``, ``delete_by_query/20_validation``, ``reindex/10_basic``,
``reindex/20_validation``, ``reindex/25_no_auto_create``, ``tasks.get/10_basic``.
"""

from __future__ import annotations

import pytest

from asyncconsole import FakeClock

from .conftest import Api


async def _seed(api: Api, index: str, docs: dict[str, dict[str, object]]) -> None:
    for doc_id, source in docs.items():
        await api.ok("PUT", f"/{index}/_doc/{doc_id}", source)
    await api.ok("POST", "/_refresh")


async def test_deletes_what_the_query_matches(api: Api) -> None:
    await _seed(api, "t", {"1": {"user": "foobar"}, "2": {"user": "junk"}})
    body = await api.ok(
        "POST", "/t/_delete_by_query", {"query": {"match": {"user": "foobar"}}}, refresh="true"
    )
    assert {k: body[k] for k in ("deleted", "version_conflicts", "batches", "failures")} == {
        "deleted": 1,
        "version_conflicts": 0,
        "batches": 1,
        "failures": [],
    }
    assert (body["noops"], body["throttled_millis"], body["timed_out"]) == (0, 0, False)
    assert "task" not in body
    assert (await api.ok("GET", "/t/_count"))["count"] == 1


async def test_a_document_written_since_the_refresh_is_a_version_conflict(api: Api) -> None:
    await api.ok("PUT", "/t", {"settings": {"index.refresh_interval": -1}})
    await _seed(api, "t", {"1": {"text": "test"}})
    await api.ok("PUT", "/t/_doc/1", {"text": "test2"})  # not refreshed
    reply = await api("POST", "/t/_delete_by_query", {"query": {"match_all": {}}})
    assert reply.status == 409
    assert (reply.body["deleted"], reply.body["version_conflicts"], reply.body["batches"]) == (
        0,
        1,
        1,
    )
    failure = reply.body["failures"][0]
    assert (failure["index"], failure["id"], failure["status"]) == ("t", "1", 409)
    assert failure["cause"]["type"] == "version_conflict_engine_exception"
    assert failure["cause"]["reason"].startswith("[1]: version conflict, required seqNo [0]")
    await api.ok("POST", "/t/_refresh")
    assert (await api.ok("GET", "/t/_count"))["count"] == 1


async def test_conflicts_proceed_counts_and_carries_on(api: Api) -> None:
    await api.ok("PUT", "/t", {"settings": {"index.refresh_interval": -1}})
    await _seed(api, "t", {"1": {"text": "a"}, "2": {"text": "b"}})
    await api.ok("PUT", "/t/_doc/1", {"text": "changed"})
    body = await api.ok(
        "POST", "/t/_delete_by_query", {"query": {"match_all": {}}}, conflicts="proceed"
    )
    assert (body["deleted"], body["version_conflicts"], body["failures"]) == (1, 1, [])


async def test_max_docs_limits_the_deletions(api: Api) -> None:
    await _seed(api, "t", {"1": {"u": "x"}, "2": {"u": "x"}})
    body = await api.ok(
        "POST", "/t/_delete_by_query", {"query": {"match_all": {}}}, max_docs="1", refresh="true"
    )
    assert body["deleted"] == 1
    in_body = await api.ok(
        "POST", "/t/_delete_by_query", {"query": {"match_all": {}}, "max_docs": 1}, refresh="true"
    )
    assert in_body["deleted"] == 1


async def test_size_is_the_deprecated_name_of_max_docs(api: Api) -> None:
    await _seed(api, "t", {"1": {"u": "x"}, "2": {"u": "x"}})
    body = await api.ok(
        "POST", "/t/_delete_by_query", {"query": {"match_all": {}}}, size="1", refresh="true"
    )
    assert body["deleted"] == 1
    assert (await api.ok("GET", "/t/_count"))["count"] == 1


async def test_scroll_size_sets_the_batches(api: Api) -> None:
    await _seed(api, "t", {str(n): {"n": n} for n in range(3)})
    body = await api.ok(
        "POST", "/t/_delete_by_query", {"query": {"match_all": {}}}, scroll_size="1", refresh="true"
    )
    assert (body["batches"], body["deleted"]) == (3, 3)


@pytest.mark.parametrize(
    ("params", "body", "message"),
    [
        ({}, {}, "query is missing"),
        ({"conflicts": "cat"}, None, 'conflicts may only be "proceed" or "abort" but was [cat]'),
        ({"max_docs": "-4"}, None, "[max_docs] parameter cannot be negative, found [-4]"),
        ({"size": "-4"}, None, "[max_docs] parameter cannot be negative, found [-4]"),
        (
            {"size": "4", "max_docs": "5"},
            None,
            "[max_docs] set to two different values [4] and [5]",
        ),
        (
            {"scroll_size": "asdf"},
            None,
            "Failed to parse int parameter [scroll_size] with value [asdf]",
        ),
        (
            {"requests_per_second": "0"},
            None,
            "[requests_per_second] must be a float greater than 0",
        ),
        (
            {"requests_per_second": "-12"},
            None,
            "[requests_per_second] must be a float greater than 0",
        ),
        ({"slices": "junk"}, None, '[slices] must be a positive integer or the string "auto"'),
        ({"slices": "0"}, None, '[slices] must be a positive integer or the string "auto"'),
        ({"max_docs": "1", "slices": "2"}, None, "[max_docs] should be >= [slices]"),
        ({}, {"stored_fields": ["_id"]}, "stored_fields is not supported in this context"),
    ],
)
async def test_validation(
    api: Api, params: dict[str, str], body: dict[str, object] | None, message: str
) -> None:
    await _seed(api, "t", {"1": {"text": "test"}})
    request = {"query": {"match_all": {}}} if body is None else body
    reply = await api("POST", "/t/_delete_by_query", request, ndjson=None, **params)
    assert reply.status == 400
    assert message in reply.reason


async def test_requests_per_second_throttles_on_the_clock(api: Api, clock: FakeClock) -> None:
    await _seed(api, "t", {str(n): {"n": n} for n in range(4)})
    started = clock.monotonic()
    body = await api.ok(
        "POST", "/t/_delete_by_query", {"query": {"match_all": {}}}, requests_per_second="2"
    )
    assert body["deleted"] == 4
    assert body["throttled_millis"] == 2000
    assert clock.monotonic() - started == pytest.approx(2.0)


async def test_wait_for_completion_false_returns_a_task(api: Api) -> None:
    await _seed(api, "t", {"1": {"text": "test"}})
    reply = await api.ok(
        "POST", "/t/_delete_by_query", {"query": {"match_all": {}}}, wait_for_completion="false"
    )
    assert set(reply) == {"task"}
    node, _, number = reply["task"].partition(":")
    assert node
    assert number.isdigit()
    task = await api.ok("GET", f"/_tasks/{reply['task']}", wait_for_completion="true")
    assert task["completed"] is True
    assert task["task"]["action"] == "indices:data/write/delete/byquery"
    assert (task["response"]["deleted"], task["response"]["failures"]) == (1, [])
    assert "node_failures" not in task


async def test_an_unknown_task_is_404_and_a_malformed_id_400(api: Api) -> None:
    missing = await api("GET", "/_tasks/fake-node-id:999")
    assert (missing.status, missing.error_type) == (404, "resource_not_found_exception")
    malformed = await api("GET", "/_tasks/nonsense")
    assert (malformed.status, malformed.error_type) == (400, "illegal_argument_exception")


async def test_reindex_copies_documents(api: Api) -> None:
    await _seed(api, "src", {"1": {"a": 1}, "2": {"a": 2}})
    body = await api.ok(
        "POST", "/_reindex", {"source": {"index": "src"}, "dest": {"index": "dst"}}, refresh="true"
    )
    assert (body["created"], body["updated"], body["batches"], body["failures"]) == (2, 0, 1, [])
    assert (await api.ok("GET", "/dst/_count"))["count"] == 2
    again = await api.ok(
        "POST", "/_reindex", {"source": {"index": "src"}, "dest": {"index": "dst"}}
    )
    assert (again["created"], again["updated"]) == (0, 2)


async def test_reindex_with_a_query_and_max_docs(api: Api) -> None:
    await _seed(api, "src", {str(n): {"n": n} for n in range(5)})
    body = await api.ok(
        "POST",
        "/_reindex",
        {
            "source": {"index": "src", "query": {"range": {"n": {"gte": 2}}}},
            "dest": {"index": "dst"},
            "max_docs": 2,
        },
    )
    assert body["created"] == 2


async def test_reindex_op_type_create_reports_conflicts(api: Api) -> None:
    await _seed(api, "src", {"1": {"a": 1}})
    await _seed(api, "dst", {"1": {"a": 0}})
    reply = await api(
        "POST",
        "/_reindex",
        {"source": {"index": "src"}, "dest": {"index": "dst", "op_type": "create"}},
    )
    assert (reply.status, reply.body["version_conflicts"]) == (409, 1)
    proceed = await api.ok(
        "POST",
        "/_reindex",
        {
            "source": {"index": "src"},
            "dest": {"index": "dst", "op_type": "create"},
            "conflicts": "proceed",
        },
    )
    assert (proceed["created"], proceed["version_conflicts"]) == (0, 1)


async def test_reindex_into_its_source_is_refused(api: Api) -> None:
    await _seed(api, "src", {"1": {"a": 1}})
    reply = await api("POST", "/_reindex", {"source": {"index": "src"}, "dest": {"index": "src"}})
    assert (reply.status, reply.error_type) == (400, "action_request_validation_exception")


async def test_reindex_wait_for_completion_false_returns_a_task(api: Api) -> None:
    await _seed(api, "src", {"1": {"a": 1}})
    reply = await api.ok(
        "POST",
        "/_reindex",
        {"source": {"index": "src"}, "dest": {"index": "dst"}},
        wait_for_completion="false",
    )
    task = await api.ok("GET", f"/_tasks/{reply['task']}")
    assert (task["completed"], task["response"]["created"]) == (True, 1)


async def test_the_task_list_has_no_running_tasks(api: Api) -> None:
    assert await api.ok("GET", "/_tasks") == {"nodes": {}}
