"""``_msearch``: several searches in one request, each answered (or failed) on its own.

From OpenSearch's "Multi-search" documentation and the YAML tests ``msearch/10_basic``,
``msearch/11_status``, ``msearch/12_create_search``: the body is NDJSON, a header line (index
and index options) then a search body line per search; the URL's index is the default; the
answer lists one search response (with ``"status": 200``) or one error (with its status) per
search, in order. As OpenSearch parses every search before running any, a header key it does
not know, a line that is not JSON, a search body it cannot parse, or a request not ended by a
newline fail the whole request (400); a missing index fails only its search.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ._aliases import alias_filters
from ._api import INDICES_OPTIONS
from ._documents import validation_error
from ._errors import ApiError
from ._routes import Call, Reply, Router
from ._search import parse_search

if TYPE_CHECKING:
    from ._api import OpenSearchApi

__all__ = ["register"]

_PARAMS = (
    "max_concurrent_searches", "max_concurrent_shard_requests", "pre_filter_shard_size",
    "rest_total_hits_as_int", "search_type", "typed_keys", "ccs_minimize_roundtrips",
)  # fmt: skip
# Header keys OpenSearch reads (MultiSearchRequest.readMultiLineFormat); routing answers 400
# as it does on _search (documents are not placed in shards).
_HEADER_KEYS = frozenset(
    {"index", "indices", "search_type", "ccs_minimize_roundtrips", "request_cache", "preference",
     "routing", "allow_partial_search_results", "cancel_after_time_interval", "phase_took",
     "ignore_throttled", *INDICES_OPTIONS}
)  # fmt: skip
_SEARCH_TYPES = {"query_then_fetch", "dfs_query_then_fetch"}


def register(router: Router, api: OpenSearchApi) -> None:
    """Add the ``_msearch`` routes."""

    async def msearch(call: Call) -> Reply:
        started = time.perf_counter()
        _check_params(call)
        searches = _parse(call.body, call.get("index"))
        for header, body in searches:  # parsed before any runs, as OpenSearch does
            if not isinstance(body, dict):
                raise ApiError(400, "parsing_exception", "request body must be a JSON object")
            parse_search(body, _item_params(call.params, header), api.search.max_keep_alive())
        responses = [_one(api, call, header, body) for header, body in searches]
        took = int((time.perf_counter() - started) * 1000)
        return 200, {"took": took, "responses": responses}

    router.add("GET POST", "/_msearch", msearch, _PARAMS)
    router.add("GET POST", "/{index}/_msearch", msearch, _PARAMS)


def _check_params(call: Call) -> None:
    if call.flag("typed_keys"):
        raise ApiError(
            400, "illegal_argument_exception", "[typed_keys] is not served by FakeOpenSearchServer"
        )
    call.flag("ccs_minimize_roundtrips")
    for name in ("max_concurrent_searches", "max_concurrent_shard_requests"):
        value = call.int(name)
        if value is not None and value < 1:
            raise ApiError(400, "illegal_argument_exception", f"{name} must be positive")
    _search_type(call.params.get("search_type"))


def _search_type(value: Any) -> None:
    if value is not None and value not in _SEARCH_TYPES:
        raise ApiError(400, "illegal_argument_exception", f"No search type for [{value}]")


def _parse(payload: bytes, default_index: str | None) -> list[tuple[dict[str, Any], Any]]:
    """The (header, body) pairs, the URL's index filled in where a header names none."""
    if payload and not payload.endswith(b"\n"):
        raise ApiError(
            400,
            "illegal_argument_exception",
            "The msearch request must be terminated by a newline [\\n]",
        )
    lines = payload.split(b"\n")[:-1] if payload else []
    searches: list[tuple[dict[str, Any], Any]] = []
    position = 0
    while position < len(lines):
        raw_header = lines[position].strip()
        position += 1
        header = _json_line(raw_header, position) if raw_header else {}
        if not isinstance(header, dict):
            raise ApiError(
                400, "parsing_exception", f"Expected [START_OBJECT] at line [{position}]"
            )
        unknown = sorted(set(header) - _HEADER_KEYS)
        if unknown:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"key [{unknown[0]}] is not supported in the metadata section",
            )
        if position >= len(lines):
            break  # a trailing header without a body: OpenSearch ignores it
        body = _json_line(lines[position].strip(), position + 1)
        position += 1
        if "index" not in header and "indices" not in header and default_index is not None:
            header["index"] = default_index
        searches.append((header, body))
    if not searches:
        raise validation_error("no requests added")
    return searches


def _json_line(line: bytes, number: int) -> Any:
    try:
        return json.loads(line) if line else {}
    except ValueError as exc:
        raise ApiError(
            400, "json_parse_exception", f"Failed to parse line [{number}]: {exc}"
        ) from None


def _one(api: OpenSearchApi, call: Call, header: Mapping[str, Any], body: Any) -> dict[str, Any]:
    """One search's response, or its error (which does not fail the others)."""
    try:
        if "routing" in header:
            raise ApiError(
                400, "illegal_argument_exception", "[routing] is not served by FakeOpenSearchServer"
            )
        _search_type(header.get("search_type"))
        expression = header.get("index", header.get("indices"))
        if isinstance(expression, list):
            expression = ",".join(str(part) for part in expression)
        item_call = replace(call, params=_item_params(call.params, header))
        indices = api.resolve(item_call, None if expression is None else str(expression))
        filters = alias_filters(api.store, expression, indices)
        answer = api.search.search(indices, body, item_call.params, filters)
    except ApiError as error:
        failed: dict[str, Any] = error.body()
        return failed
    return {**answer, "status": 200}


def _item_params(params: Mapping[str, str], header: Mapping[str, Any]) -> dict[str, str]:
    """A search's URL parameters: the request's (hits as int) and its header's index options."""
    found = {k: v for k, v in params.items() if k == "rest_total_hits_as_int"}
    for key in INDICES_OPTIONS:
        value = header.get(key)
        if isinstance(value, bool):
            found[key] = "true" if value else "false"
        elif isinstance(value, list):
            found[key] = ",".join(str(v) for v in value)
        elif value is not None:
            found[key] = str(value)
    return found
