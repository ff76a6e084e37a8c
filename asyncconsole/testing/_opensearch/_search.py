"""``_search``, ``_count`` and scroll contexts.

Matches are kept as per-index lists of document ids (no per-hit objects), and a page builds hit
dicts that refer to the stored sources without copying them, so scrolling through a couple of
hundred thousand documents costs little more than the page being sent.
"""

from __future__ import annotations

import base64
import bisect
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._errors import ApiError
from ._query import (
    Hit,
    SortKey,
    aggregate,
    compile_query,
    parse_sort,
    sort_values,
    source_filter,
)
from ._store import Index, Store

__all__ = ["DEFAULT_TRACK_TOTAL_HITS", "MAX_RESULT_WINDOW", "SearchEngine", "parse_time"]

DEFAULT_TRACK_TOTAL_HITS = 10_000
MAX_RESULT_WINDOW = 10_000
_UNITS = {"nanos": 1e-9, "micros": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(nanos|micros|ms|s|m|h|d)\s*$")


def parse_time(value: Any, setting: str = "scroll") -> float:
    """``"1m"`` -> 60.0 seconds (OpenSearch time units)."""
    match = _TIME.match(str(value))
    if match is None:
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"failed to parse setting [{setting}] with value [{value}] as a time value: "
            "unit is missing or unrecognized",
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class _Matches:
    """Matching document ids, as runs of (index, ids), with cumulative offsets for paging."""

    runs: list[tuple[Index, list[str]]]
    ends: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        total = 0
        for _, ids in self.runs:
            total += len(ids)
            self.ends.append(total)

    @property
    def total(self) -> int:
        return self.ends[-1] if self.ends else 0

    def page(self, start: int, size: int) -> list[tuple[Index, str]]:
        out: list[tuple[Index, str]] = []
        position = start
        stop = min(start + size, self.total)
        while position < stop:
            run = bisect.bisect_right(self.ends, position)
            index, ids = self.runs[run]
            offset = position - (self.ends[run] - len(ids))
            take = min(stop - position, len(ids) - offset)
            out.extend((index, doc_id) for doc_id in ids[offset : offset + take])
            position += take
        return out


@dataclass
class _Scroll:
    matches: _Matches
    position: int
    size: int
    source: Any
    sort: list[SortKey]
    keep_alive: float
    expires: float
    shards: int


@dataclass
class SearchRequest:
    """A parsed search: body and URL parameters merged."""

    query: Mapping[str, Any] | None
    size: int
    from_: int
    sort: list[SortKey]
    source: Any
    track_total_hits: bool | int
    aggs: Mapping[str, Any] | None
    scroll: float | None
    total_as_int: bool


def _int_param(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(
            400, "illegal_argument_exception", f"Failed to parse int parameter [{name}]"
        ) from None


def _bool_or_int(value: Any) -> bool | int:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    text = str(value).lower()
    if text in {"true", "false"}:
        return text == "true"
    return _int_param("track_total_hits", text)


def parse_search(body: Mapping[str, Any] | None, params: Mapping[str, str]) -> SearchRequest:
    """Merge the request body and URL parameters as OpenSearch does (parameters win)."""
    body = dict(body or {})
    known = {
        "query", "size", "from", "sort", "_source", "track_total_hits", "aggs",
        "aggregations", "version", "seq_no_primary_term", "timeout", "stored_fields",
        "track_scores", "explain", "min_score", "highlight", "docvalue_fields",
    }  # fmt: skip
    unknown = set(body) - known
    if unknown:
        name = sorted(unknown)[0]
        raise ApiError(400, "parsing_exception", f"Unknown key for a START_OBJECT in [{name}].")
    query = body.get("query")
    if "q" in params:
        field_name, sep, value = params["q"].partition(":")
        query = {"match": {field_name: value}} if sep else {"match_all": {}}
    size = _int_param("size", params.get("size", body.get("size", 10)))
    from_ = _int_param("from", params.get("from", body.get("from", 0)))
    if size < 0 or from_ < 0:
        raise ApiError(400, "illegal_argument_exception", "[from] and [size] must be >= 0")
    sort = parse_sort(params["sort"].split(",") if "sort" in params else body.get("sort"))
    source: Any = body.get("_source")
    if "_source" in params:
        raw = params["_source"]
        source = raw.lower() == "true" if raw.lower() in {"true", "false"} else raw.split(",")
    if "_source_includes" in params or "_source_excludes" in params:
        source = {
            "includes": [s for s in params.get("_source_includes", "").split(",") if s],
            "excludes": [s for s in params.get("_source_excludes", "").split(",") if s],
        }
    tth_raw = params.get("track_total_hits", body.get("track_total_hits"))
    scroll = parse_time(params["scroll"]) if "scroll" in params else None
    if scroll is not None:
        if tth_raw is not None and _bool_or_int(tth_raw) is not True:
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: disabling [track_total_hits] is not allowed in a scroll "
                "context;",
            )
        if from_ > 0:
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: using [from] is not allowed in a scroll context;",
            )
        if size > MAX_RESULT_WINDOW:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"Batch size is too large, size must be less than or equal to: "
                f"[{MAX_RESULT_WINDOW}] but was [{size}]. Scroll batch sizes cost as much "
                "memory as result windows so they are controlled by the "
                "[index.max_result_window] index level setting.",
            )
        track: bool | int = True
    else:
        track = DEFAULT_TRACK_TOTAL_HITS if tth_raw is None else _bool_or_int(tth_raw)
        if from_ + size > MAX_RESULT_WINDOW:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"Result window is too large, from + size must be less than or equal to: "
                f"[{MAX_RESULT_WINDOW}] but was [{from_ + size}]. See the scroll api for a more "
                "efficient way to request large data sets. This limit can be set by changing the "
                "[index.max_result_window] index level setting.",
            )
    aggs = body.get("aggs", body.get("aggregations"))
    total_as_int = params.get("rest_total_hits_as_int", "false").lower() == "true"
    return SearchRequest(query, size, from_, sort, source, track, aggs, scroll, total_as_int)


class SearchEngine:
    """Runs searches and counts against a :class:`Store` and keeps scroll contexts."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.scrolls: dict[str, _Scroll] = {}

    # ------------------------------------------------------------------ matching

    def _match(
        self, indices: Sequence[Index], query: Mapping[str, Any] | None, sort: list[SortKey]
    ) -> _Matches:
        runs: list[tuple[Index, list[str]]] = []
        for index in indices:
            predicate = compile_query(query, index)
            docs = index.docs
            if predicate is None:
                ids = list(docs)
            else:
                ids = [doc_id for doc_id, doc in docs.items() if predicate(doc_id, doc.source)]
            if ids:
                runs.append((index, ids))
        if sort and any(key != ("_doc", False) for key in sort):
            runs = self._sorted(runs, sort)
        return _Matches(runs)

    def _sorted(
        self, runs: list[tuple[Index, list[str]]], sort: list[SortKey]
    ) -> list[tuple[Index, list[str]]]:
        flat: list[tuple[Index, str]] = [(index, doc_id) for index, ids in runs for doc_id in ids]
        # Stable sorts from the last key to the first; missing values always last.
        for position in range(len(sort) - 1, -1, -1):
            desc = sort[position][1]
            keys = [sort[position]]

            def key(
                item: tuple[Index, str], keys: list[SortKey] = keys, desc: bool = desc
            ) -> tuple[int, Any]:
                index, doc_id = item
                (value,) = sort_values(keys, index, doc_id, index.docs[doc_id])
                missing = value is None
                return (0 if missing else 1, value) if desc else (1 if missing else 0, value)

            try:
                flat.sort(key=key, reverse=desc)
            except TypeError:
                raise ApiError(
                    400,
                    "illegal_argument_exception",
                    f"cannot sort on [{sort[position][0]}]: mixed value types",
                ) from None
        out: list[tuple[Index, list[str]]] = []
        for index, doc_id in flat:
            if out and out[-1][0] is index:
                out[-1][1].append(doc_id)
            else:
                out.append((index, [doc_id]))
        return out

    # ------------------------------------------------------------------ responses

    def _hits(
        self, page: list[tuple[Index, str]], source: Any, sort: list[SortKey]
    ) -> list[dict[str, Any]]:
        shaper = source_filter(source)
        hits: list[dict[str, Any]] = []
        for index, doc_id in page:
            doc = index.docs.get(doc_id)
            if doc is None:  # deleted since the scroll started
                continue
            hit: dict[str, Any] = {
                "_index": index.name,
                "_id": doc_id,
                "_score": None if sort else 1.0,
            }
            if shaper is True:
                hit["_source"] = doc.source
            elif shaper is not False:
                hit["_source"] = shaper(doc.source)
            if sort:
                hit["sort"] = sort_values(sort, index, doc_id, doc)
            hits.append(hit)
        return hits

    @staticmethod
    def _shards(indices: Sequence[Index]) -> dict[str, int]:
        total = sum(index.shards for index in indices)
        return {"total": total, "successful": total, "skipped": 0, "failed": 0}

    def search(
        self,
        indices: Sequence[Index],
        body: Mapping[str, Any] | None,
        params: Mapping[str, str],
    ) -> dict[str, Any]:
        """``_search`` (and the first page of a scroll)."""
        started = time.perf_counter()
        request = parse_search(body, params)
        matches = self._match(indices, request.query, request.sort)
        total = matches.total
        page = matches.page(request.from_, request.size)
        hits_obj: dict[str, Any] = {}
        track = request.track_total_hits
        if track is not False:
            cap = None if track is True else int(track)
            if cap is not None and total > cap:
                hits_obj["total"] = {"value": cap, "relation": "gte"}
            else:
                hits_obj["total"] = {"value": total, "relation": "eq"}
            if request.total_as_int:
                hits_obj["total"] = hits_obj["total"]["value"]
        hits = self._hits(page, request.source, request.sort)
        hits_obj["max_score"] = None if request.sort or not hits else 1.0
        hits_obj["hits"] = hits
        response: dict[str, Any] = {}
        if request.scroll is not None:
            scroll_id = self._open_scroll(
                _Scroll(
                    matches=matches,
                    position=len(page),
                    size=request.size,
                    source=request.source,
                    sort=request.sort,
                    keep_alive=request.scroll,
                    expires=self.store.clock.monotonic() + request.scroll,
                    shards=sum(index.shards for index in indices),
                )
            )
            response["_scroll_id"] = scroll_id
        response.update(
            {
                "took": int((time.perf_counter() - started) * 1000),
                "timed_out": False,
                "_shards": self._shards(indices),
                "hits": hits_obj,
            }
        )
        if request.aggs:
            agg_hits: list[Hit] = [
                (index, doc_id, index.docs[doc_id]) for index, ids in matches.runs for doc_id in ids
            ]
            response["aggregations"] = aggregate(request.aggs, agg_hits)
        return response

    def count(self, indices: Sequence[Index], body: Mapping[str, Any] | None) -> dict[str, Any]:
        """``_count``: exact, never capped."""
        body = body or {}
        unknown = set(body) - {"query"}
        if unknown:
            raise ApiError(
                400, "parsing_exception", f"request does not support [{sorted(unknown)[0]}]"
            )
        matches = self._match(indices, body.get("query"), [])
        return {"count": matches.total, "_shards": self._shards(indices)}

    # ------------------------------------------------------------------ scroll

    def _purge(self) -> None:
        now = self.store.clock.monotonic()
        for scroll_id in [s for s, ctx in self.scrolls.items() if ctx.expires < now]:
            del self.scrolls[scroll_id]

    def _open_scroll(self, context: _Scroll) -> str:
        self._purge()
        raw = f"fake-opensearch-scroll:{uuid.uuid4().hex}".encode()
        scroll_id = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        self.scrolls[scroll_id] = context
        return scroll_id

    def scroll(self, scroll_id: str, keep_alive: str | None, total_as_int: bool) -> dict[str, Any]:
        """The next page of a scroll (``POST /_search/scroll``)."""
        started = time.perf_counter()
        self._purge()
        context = self.scrolls.get(scroll_id)
        if context is None:
            raise ApiError(
                404,
                "search_phase_execution_exception",
                "all shards failed",
                phase="query",
                grouped=True,
                failed_shards=[
                    {
                        "shard": -1,
                        "index": None,
                        "reason": {
                            "type": "search_context_missing_exception",
                            "reason": f"No search context found for id [{scroll_id[:16]}]",
                        },
                    }
                ],
            )
        if keep_alive is not None:
            context.keep_alive = parse_time(keep_alive)
        context.expires = self.store.clock.monotonic() + context.keep_alive
        page = context.matches.page(context.position, context.size)
        context.position += len(page)
        hits = self._hits(page, context.source, context.sort)
        total: Any = {"value": context.matches.total, "relation": "eq"}
        return {
            "_scroll_id": scroll_id,
            "took": int((time.perf_counter() - started) * 1000),
            "timed_out": False,
            "terminated_early": False,
            "_shards": {
                "total": context.shards,
                "successful": context.shards,
                "skipped": 0,
                "failed": 0,
            },
            "hits": {
                "total": total["value"] if total_as_int else total,
                "max_score": None if context.sort or not hits else 1.0,
                "hits": hits,
            },
        }

    def clear(self, scroll_ids: Sequence[str]) -> dict[str, Any]:
        """``DELETE /_search/scroll``; ``_all`` clears every context."""
        if "_all" in scroll_ids:
            freed = len(self.scrolls)
            self.scrolls.clear()
        else:
            freed = sum(1 for s in scroll_ids if self.scrolls.pop(s, None) is not None)
        return {"succeeded": True, "num_freed": freed}
