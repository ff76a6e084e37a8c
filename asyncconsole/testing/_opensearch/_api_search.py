"""Search routes: ``_search``, ``_count`` and the scroll API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._aliases import alias_filters
from ._api import INDICES_OPTIONS
from ._errors import ApiError
from ._routes import Call, Reply, Router

if TYPE_CHECKING:
    from ._api import OpenSearchApi

__all__ = ["register"]

# Parameters _search honours; those without an effect on one node (request_cache,
# preference, search_type, batched_reduce_size, ...) are accepted because the answer is the same.
_SEARCH = (
    "q", "size", "from", "sort", "_source", "_source_includes", "_source_excludes",
    "track_total_hits", "scroll", "rest_total_hits_as_int", "timeout", "request_cache",
    "search_type", "allow_partial_search_results", "batched_reduce_size", "preference",
    "pre_filter_shard_size", "max_concurrent_shard_requests", "ccs_minimize_roundtrips",
    "track_scores", "version", "seq_no_primary_term", "typed_keys",
    *INDICES_OPTIONS,
)  # fmt: skip
_SEARCH_TYPES = {"query_then_fetch", "dfs_query_then_fetch"}


def register(router: Router, api: OpenSearchApi) -> None:
    """Add the search routes."""

    async def search(call: Call) -> Reply:
        search_type = call.params.get("search_type", "query_then_fetch")
        if search_type not in _SEARCH_TYPES:
            raise ApiError(400, "illegal_argument_exception", f"No search type for [{search_type}]")
        if call.flag("typed_keys"):
            raise ApiError(
                400,
                "illegal_argument_exception",
                "[typed_keys] is not served by FakeOpenSearchServer",
            )
        for name in ("request_cache", "allow_partial_search_results", "track_scores",
                     "ccs_minimize_roundtrips"):  # fmt: skip
            call.flag(name)
        expression = call.get("index")
        indices = api.resolve(call, expression)
        filters = alias_filters(api.store, expression, indices)
        return 200, api.search.search(indices, call.object(), call.params, filters)

    async def count(call: Call) -> Reply:
        expression = call.get("index")
        indices = api.resolve(call, expression)
        filters = alias_filters(api.store, expression, indices)
        return 200, api.search.count(indices, call.object(), call.params, filters)

    async def scroll(call: Call) -> Reply:
        body = call.object()
        # OpenSearch reads the scroll id and keep-alive from the body first.
        scroll_id: Any = (
            body.get("scroll_id") or call.get("scroll_id") or call.params.get("scroll_id")
        )
        if not scroll_id:
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: scrollId is missing;",
            )
        keep_alive = body.get("scroll", call.params.get("scroll"))
        return 200, api.search.scroll(
            str(scroll_id),
            None if keep_alive is None else str(keep_alive),
            call.flag("rest_total_hits_as_int"),
        )

    async def clear_scroll(call: Call) -> Reply:
        body = call.object()
        path_id = call.get("scroll_id")
        given: Any = path_id.split(",") if path_id else body.get("scroll_id")
        if given is None:
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: no scroll ids specified;",
            )
        ids = [given] if isinstance(given, str) else [str(s) for s in given]
        result = api.search.clear(ids)
        return (200 if result["num_freed"] else 404), result

    router.add("GET POST", "/_search", search, _SEARCH)
    router.add("GET POST", "/{index}/_search", search, _SEARCH)
    router.add("GET POST", "/_count", count, ("q", *INDICES_OPTIONS))
    router.add("GET POST", "/{index}/_count", count, ("q", *INDICES_OPTIONS))
    scroll_params = ("scroll", "scroll_id", "rest_total_hits_as_int")
    router.add("GET POST", "/_search/scroll", scroll, scroll_params)
    router.add("GET POST", "/_search/scroll/{scroll_id}", scroll, scroll_params)
    router.add("DELETE", "/_search/scroll", clear_scroll)
    router.add("DELETE", "/_search/scroll/{scroll_id}", clear_scroll)
