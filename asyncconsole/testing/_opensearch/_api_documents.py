"""Document routes: ``_doc``, ``_create``, ``_update``, ``_source``, ``_bulk``,
``_delete_by_query`` and ``_reindex`` (with ``wait_for_completion=false`` tasks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._aliases import alias_filters
from ._api import INDICES_OPTIONS
from ._by_query import delete_by_query, parse_options, reindex
from ._documents import Precondition, WriteResult
from ._errors import ApiError
from ._query import source_filter
from ._routes import Call, Reply, Router

if TYPE_CHECKING:
    from ._api import OpenSearchApi

__all__ = ["register"]

_WRITE = ("refresh", "timeout", "wait_for_active_shards", "require_alias")
_VERSIONS = ("if_seq_no", "if_primary_term", "version", "version_type")
_SOURCE = ("_source", "_source_includes", "_source_excludes")
_BY_QUERY = ("conflicts", "max_docs", "size", "scroll_size", "requests_per_second", "slices",
             "refresh", "wait_for_completion", "timeout", "wait_for_active_shards", "scroll")  # fmt: skip


def register(router: Router, api: OpenSearchApi) -> None:
    """Add the document routes."""

    async def finish(call: Call, result: WriteResult, policy: str) -> Reply:
        if await api.apply_refresh(policy, [result.index]):
            result.body["forced_refresh"] = True
        return result.status, result.body

    async def index_doc(call: Call) -> Reply:
        policy = api.refresh_policy(call)
        op_type = call.params.get("op_type", "index")
        if op_type not in {"index", "create"}:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"opType must be 'create' or 'index', found: [{op_type}]",
            )
        create = op_type == "create" or call.segments[1] == "_create"
        doc_id = call.get("id")
        if create and doc_id is None and call.segments[1] == "_create":
            raise ApiError(
                400, "action_request_validation_exception", "Validation Failed: 1: id is missing;"
            )
        result = api.documents.index(
            call["index"],
            doc_id,
            call.json(),
            create=create,
            precondition=Precondition.parse(call.params, create=create),
            require_alias=call.flag("require_alias"),
        )
        return await finish(call, result, policy)

    async def get_doc(call: Call) -> Reply:
        realtime = call.flag("realtime", True)
        if call.flag("refresh"):
            api.store.get(call["index"]).refresh()
        status, body = api.documents.get(call["index"], call["id"], realtime=realtime)
        if status == 200:
            body["_source"] = _shape(call, body["_source"])
            if body["_source"] is None:
                del body["_source"]
        if call.method == "HEAD":
            return status, None
        return status, body

    async def get_source(call: Call) -> Reply:
        realtime = call.flag("realtime", True)
        if call.flag("refresh"):
            api.store.get(call["index"]).refresh()
        status, body = api.documents.get(call["index"], call["id"], realtime=realtime)
        if status == 404:
            raise ApiError(
                404,
                "resource_not_found_exception",
                f"Document not found [{call['index']}]/[{call['id']}]",
            )
        return 200, (None if call.method == "HEAD" else _shape(call, body["_source"]))

    async def delete_doc(call: Call) -> Reply:
        policy = api.refresh_policy(call)
        result = api.documents.delete(
            call["index"], call["id"], precondition=Precondition.parse(call.params)
        )
        return await finish(call, result, policy)

    async def update_doc(call: Call) -> Reply:
        policy = api.refresh_policy(call)
        retries = call.int("retry_on_conflict", 0)
        if retries is not None and retries < 0:
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: retry_on_conflict must be greater than or equal to 0;",
            )
        if "version" in call.params or "version_type" in call.params:
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: internal versioning can not be used for optimistic "
                "concurrency control. Please use `if_seq_no` and `if_primary_term` instead;",
            )
        result = api.documents.update(
            call["index"],
            call["id"],
            call.json(),
            precondition=Precondition.parse(call.params),
            require_alias=call.flag("require_alias"),
        )
        return await finish(call, result, policy)

    async def bulk(call: Call) -> Reply:
        policy = api.refresh_policy(call)
        body, touched = api.documents.bulk(
            call.get("index"),
            call.body,
            require_alias=call.flag("require_alias"),
            admit=api.admit_write,
        )
        if await api.apply_refresh(policy, touched):
            for item in body["items"]:
                result = next(iter(item.values()))
                if "error" not in result:
                    result["forced_refresh"] = True
        return 200, body

    async def delete_by_query_route(call: Call) -> Reply:
        body = call.object()
        if "q" in call.params and "query" not in body:
            field, sep, value = call.params["q"].partition(":")
            body["query"] = {"match": {field: value}} if sep else {"match_all": {}}
        options = parse_options(call.params, body)
        refresh = call.flag("refresh")
        expression = call["index"]
        indices = api.resolve(call, expression)
        filters = alias_filters(api.store, expression, indices)
        started = api.now_ms()
        status, response = await delete_by_query(
            api.store, api.search, indices, body, options, filters
        )
        if refresh:
            for index in indices:
                index.refresh()
        if not call.flag("wait_for_completion", True):
            task = api.tasks.record(
                "indices:data/write/delete/byquery",
                f"delete-by-query [{', '.join(i.name for i in indices)}]",
                started,
                response=response,
            )
            return 200, {"task": task.id}
        return status, response

    async def reindex_route(call: Call) -> Reply:
        body = call.object()
        options = parse_options(call.params, body)
        started = api.now_ms()
        status, response, written = await reindex(
            api.store, api.search, api.documents, body, options
        )
        if call.flag("refresh"):
            for index in written:
                index.refresh()
        if not call.flag("wait_for_completion", True):
            task = api.tasks.record(
                "indices:data/write/reindex", "reindex", started, response=response
            )
            return 200, {"task": task.id}
        return status, response

    write = (*_WRITE, *_VERSIONS)
    router.add("PUT POST", "/{index}/_doc/{id}", index_doc, (*write, "op_type"))
    router.add("POST", "/{index}/_doc", index_doc, (*_WRITE, "op_type"))
    router.add("PUT POST", "/{index}/_create/{id}", index_doc, write)
    router.add("GET HEAD", "/{index}/_doc/{id}", get_doc, ("realtime", "refresh", *_SOURCE))
    router.add("GET HEAD", "/{index}/_source/{id}", get_source, ("realtime", "refresh", *_SOURCE))
    router.add("DELETE", "/{index}/_doc/{id}", delete_doc,
               ("refresh", "timeout", "wait_for_active_shards", *_VERSIONS))  # fmt: skip
    router.add("POST", "/{index}/_update/{id}", update_doc,
               (*_WRITE, "if_seq_no", "if_primary_term", "retry_on_conflict", "version",
                "version_type"))  # fmt: skip
    router.add("POST PUT", "/_bulk", bulk, _WRITE)
    router.add("POST PUT", "/{index}/_bulk", bulk, _WRITE)
    router.add("POST", "/{index}/_delete_by_query", delete_by_query_route,
               (*_BY_QUERY, *INDICES_OPTIONS, "q"))  # fmt: skip
    router.add("POST", "/_reindex", reindex_route, _BY_QUERY)


def _shape(call: Call, source: Any) -> Any:
    """Apply ``_source``/``_source_includes``/``_source_excludes`` to a document source."""
    spec: Any = None
    if "_source" in call.params:
        raw = call.params["_source"]
        spec = raw.lower() == "true" if raw.lower() in {"true", "false"} else raw.split(",")
    if "_source_includes" in call.params or "_source_excludes" in call.params:
        spec = {
            "includes": [s for s in call.params.get("_source_includes", "").split(",") if s],
            "excludes": [s for s in call.params.get("_source_excludes", "").split(",") if s],
        }
    shaper = source_filter(spec)
    if shaper is True:
        return source
    if shaper is False:
        return None
    return shaper(source)
