"""``_search``, ``_count`` and scroll contexts over the searchable (refreshed) documents.

Matches are kept as per-index runs of ids and the stored records they matched, so a scroll is
a point in time: later pages return the documents as they were when the search ran, whatever
has been written since. Pages build hit dicts that refer to the stored sources without
copying them, so scrolling through a couple of hundred thousand documents stays cheap.
"""

from __future__ import annotations

import base64
import bisect
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._aggregations import Hit, aggregate
from ._errors import ApiError
from ._index import PRIMARY_TERM, Index, StoredDoc
from ._query import Predicate, SortKey, compile_query, parse_sort, sort_values, source_filter
from ._settings import parse_time
from ._store import Store

__all__ = [
    "DEFAULT_TRACK_TOTAL_HITS",
    "MAX_RESULT_WINDOW",
    "SEARCH_BODY_KEYS",
    "SearchEngine",
    "parse_time",
]

DEFAULT_TRACK_TOTAL_HITS = 10_000
MAX_RESULT_WINDOW = 10_000
DEFAULT_MAX_KEEP_ALIVE = 24 * 3600.0
SEARCH_BODY_KEYS = frozenset(
    {"query", "size", "from", "sort", "_source", "track_total_hits", "aggs", "aggregations",
     "version", "seq_no_primary_term", "timeout", "track_scores"}
)  # fmt: skip
# Search body keys OpenSearch knows that the fake does not compute: a loud 400, never ignored.
_UNSERVED_BODY_KEYS = frozenset(
    {"highlight", "stored_fields", "docvalue_fields", "explain", "min_score", "script_fields",
     "suggest", "collapse", "search_after", "pit", "slice", "post_filter", "rescore",
     "indices_boost", "terminate_after", "profile", "fields", "runtime_mappings", "stats",
     "ext", "derived"}
)  # fmt: skip
Filters = Mapping[str, list[Any]]


def _no_context(scroll_id: str) -> ApiError:
    return ApiError(
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


@dataclass
class _Matches:
    """Matching documents as runs of (index, ids, records), with cumulative offsets for paging."""

    runs: list[tuple[Index, list[str], list[StoredDoc]]]
    ends: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        total = 0
        for _, ids, _ in self.runs:
            total += len(ids)
            self.ends.append(total)

    @property
    def total(self) -> int:
        return self.ends[-1] if self.ends else 0

    def page(self, start: int, size: int) -> list[tuple[Index, str, StoredDoc]]:
        out: list[tuple[Index, str, StoredDoc]] = []
        position = start
        stop = min(start + size, self.total)
        while position < stop:
            run = bisect.bisect_right(self.ends, position)
            index, ids, docs = self.runs[run]
            offset = position - (self.ends[run] - len(ids))
            take = min(stop - position, len(ids) - offset)
            out.extend((index, ids[i], docs[i]) for i in range(offset, offset + take))
            position += take
        return out

    def hits(self) -> list[Hit]:
        return [(index, ids[i], docs[i]) for index, ids, docs in self.runs for i in range(len(ids))]


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
    extras: tuple[bool, bool]


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
    version: bool
    seq_no_primary_term: bool


def _int_param(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"Failed to parse int parameter [{name}] with value [{value}]",
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


def _flag(params: Mapping[str, str], body: Mapping[str, Any], name: str) -> bool:
    if name in params:
        return params[name] in {"", "true"}
    return bool(body.get(name, False))


def _validation(problem: str) -> ApiError:
    return ApiError(400, "action_request_validation_exception", f"Validation Failed: 1: {problem};")


def parse_search(
    body: Mapping[str, Any] | None, params: Mapping[str, str], max_keep_alive: float
) -> SearchRequest:
    """Merge the request body and URL parameters as OpenSearch does (parameters win)."""
    body = dict(body or {})
    for key in body:
        if key in _UNSERVED_BODY_KEYS:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"[{key}] in a search is not served by FakeOpenSearchServer",
            )
    unknown = set(body) - SEARCH_BODY_KEYS
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
    total_as_int = params.get("rest_total_hits_as_int", "false").lower() in {"", "true"}
    scroll = parse_time(params["scroll"]) if "scroll" in params else None
    problems: list[str] = []
    if scroll is not None:
        if tth_raw is not None and _bool_or_int(tth_raw) is not True:
            problems.append("disabling [track_total_hits] is not allowed in a scroll context")
        if from_ > 0:
            problems.append("using [from] is not allowed in a scroll context")
        if size == 0:
            problems.append("[size] cannot be [0] in a scroll context")
        if params.get("request_cache") in {"", "true"}:
            problems.append("[request_cache] cannot be used in a scroll context")
        if problems:
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: " + "".join(f"{n}: {p};" for n, p in enumerate(problems, 1)),
            )
        check_keep_alive(scroll, max_keep_alive)
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
    if total_as_int and track is not True and track is not False:
        # An int, or the default cap: OpenSearch refuses an inexact total as a plain number.
        if tth_raw is None:
            track = True  # rest_total_hits_as_int alone asks for the exact total
        else:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"[rest_total_hits_as_int] cannot be used if the tracking of total hits is not "
                f"accurate, got {track}",
            )
    aggs = body.get("aggs", body.get("aggregations"))
    return SearchRequest(
        query,
        size,
        from_,
        sort,
        source,
        track,
        aggs,
        scroll,
        total_as_int,
        _flag(params, body, "version"),
        _flag(params, body, "seq_no_primary_term"),
    )


def check_keep_alive(seconds: float, max_keep_alive: float) -> None:
    """400 when a scroll keep-alive exceeds ``search.max_keep_alive``."""
    if seconds > max_keep_alive:
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"Keep alive for request ({time_text(seconds)}) is too large. It must be less than "
            f"({time_text(max_keep_alive)}). This limit can be set by changing the "
            "[search.max_keep_alive] cluster level setting.",
        )


def time_text(seconds: float) -> str:
    """A duration as OpenSearch's ``TimeValue`` prints it: ``2m``, ``1.5m``, ``250ms``."""
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        if seconds >= size:
            text = f"{seconds / size:.1f}".removesuffix(".0")
            return f"{text}{unit}"
    return f"{round(seconds * 1000)}ms"


def _with_filters(
    query: Mapping[str, Any] | None, filters: list[Any] | None
) -> Mapping[str, Any] | None:
    if not filters:
        return query
    alias_clause = {"bool": {"should": list(filters), "minimum_should_match": 1}}
    must = [query] if query else []
    return {"bool": {"must": must, "filter": [alias_clause]}}


class SearchEngine:
    """Runs searches and counts against a :class:`Store` and keeps scroll contexts."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.scrolls: dict[str, _Scroll] = {}

    def max_keep_alive(self) -> float:
        """``search.max_keep_alive`` in seconds (24 h unless set)."""
        raw = self.store.cluster_setting("search.max_keep_alive")
        return DEFAULT_MAX_KEEP_ALIVE if raw is None else parse_time(raw, "search.max_keep_alive")

    # ------------------------------------------------------------------ matching

    def match(
        self,
        indices: Sequence[Index],
        query: Mapping[str, Any] | None,
        sort: list[SortKey],
        filters: Filters | None = None,
    ) -> _Matches:
        """Documents of ``indices`` matching ``query`` (and alias ``filters``), sorted."""
        runs: list[tuple[Index, list[str], list[StoredDoc]]] = []
        for index in indices:
            predicate: Predicate | None = compile_query(
                _with_filters(query, (filters or {}).get(index.name)), index
            )
            docs = index.docs
            if predicate is None:
                ids = list(docs)
                records = list(docs.values())
            else:
                ids, records = [], []
                for doc_id, doc in docs.items():
                    if predicate(doc_id, doc.source):
                        ids.append(doc_id)
                        records.append(doc)
            if ids:
                runs.append((index, ids, records))
        if sort and any(key != ("_doc", False) for key in sort):
            runs = self._sorted(runs, sort)
        return _Matches(runs)

    def _sorted(
        self, runs: list[tuple[Index, list[str], list[StoredDoc]]], sort: list[SortKey]
    ) -> list[tuple[Index, list[str], list[StoredDoc]]]:
        flat: list[Hit] = [
            (index, ids[i], docs[i]) for index, ids, docs in runs for i in range(len(ids))
        ]
        # Stable sorts from the last key to the first; missing values always last.
        for position in range(len(sort) - 1, -1, -1):
            desc = sort[position][1]
            keys = [sort[position]]

            def key(item: Hit, keys: list[SortKey] = keys, desc: bool = desc) -> tuple[int, Any]:
                index, doc_id, doc = item
                (value,) = sort_values(keys, index, doc_id, doc)
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
        out: list[tuple[Index, list[str], list[StoredDoc]]] = []
        for index, doc_id, doc in flat:
            if out and out[-1][0] is index:
                out[-1][1].append(doc_id)
                out[-1][2].append(doc)
            else:
                out.append((index, [doc_id], [doc]))
        return out

    # ------------------------------------------------------------------ responses

    def _hits(
        self,
        page: list[tuple[Index, str, StoredDoc]],
        source: Any,
        sort: list[SortKey],
        extras: tuple[bool, bool],
    ) -> list[dict[str, Any]]:
        shaper = source_filter(source)
        version, seq_no = extras
        hits: list[dict[str, Any]] = []
        for index, doc_id, doc in page:
            hit: dict[str, Any] = {"_index": index.name, "_id": doc_id}
            if version:
                hit["_version"] = doc.version
            if seq_no:
                hit["_seq_no"] = doc.seq_no
                hit["_primary_term"] = PRIMARY_TERM
            hit["_score"] = None if sort else 1.0
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
        filters: Filters | None = None,
    ) -> dict[str, Any]:
        """``_search`` (and the first page of a scroll)."""
        started = time.perf_counter()
        request = parse_search(body, params, self.max_keep_alive())
        matches = self.match(indices, request.query, request.sort, filters)
        total = matches.total
        page = matches.page(request.from_, request.size)
        hits_obj: dict[str, Any] = {}
        track = request.track_total_hits
        if track is False:
            if request.total_as_int:
                hits_obj["total"] = -1
        else:
            cap = None if track is True else int(track)
            if cap is not None and total > cap:
                hits_obj["total"] = {"value": cap, "relation": "gte"}
            else:
                hits_obj["total"] = {"value": total, "relation": "eq"}
            if request.total_as_int:
                hits_obj["total"] = hits_obj["total"]["value"]
        extras = (request.version, request.seq_no_primary_term)
        hits = self._hits(page, request.source, request.sort, extras)
        hits_obj["max_score"] = None if request.sort or not hits else 1.0
        hits_obj["hits"] = hits
        response: dict[str, Any] = {}
        if request.scroll is not None:
            response["_scroll_id"] = self._open_scroll(
                _Scroll(
                    matches=matches,
                    position=len(page),
                    size=request.size,
                    source=request.source,
                    sort=request.sort,
                    keep_alive=request.scroll,
                    expires=self.store.clock.monotonic() + request.scroll,
                    shards=sum(index.shards for index in indices),
                    extras=extras,
                )
            )
        response.update(
            {
                "took": int((time.perf_counter() - started) * 1000),
                "timed_out": False,
                "_shards": self._shards(indices),
                "hits": hits_obj,
            }
        )
        if request.aggs:
            response["aggregations"] = aggregate(request.aggs, matches.hits())
        return response

    def count(
        self,
        indices: Sequence[Index],
        body: Mapping[str, Any] | None,
        params: Mapping[str, str],
        filters: Filters | None = None,
    ) -> dict[str, Any]:
        """``_count``: exact, never capped."""
        body = body or {}
        unknown = set(body) - {"query"}
        if unknown:
            raise ApiError(
                400, "parsing_exception", f"request does not support [{sorted(unknown)[0]}]"
            )
        query = body.get("query")
        if "q" in params:
            field_name, sep, value = params["q"].partition(":")
            query = {"match": {field_name: value}} if sep else {"match_all": {}}
        matches = self.match(indices, query, [], filters)
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
            raise _no_context(scroll_id)
        if keep_alive is not None:
            seconds = parse_time(keep_alive)
            check_keep_alive(seconds, self.max_keep_alive())
            context.keep_alive = seconds
        context.expires = self.store.clock.monotonic() + context.keep_alive
        page = context.matches.page(context.position, context.size)
        context.position += len(page)
        hits = self._hits(page, context.source, context.sort, context.extras)
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
