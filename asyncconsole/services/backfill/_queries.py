"""The working-state queries of console_link's deep status, made exact and cheap.

console_link sends each count with an unused painless cardinality aggregation and without
``track_total_hits`` (so counts stop at 10,000); these bodies drop the aggregation and ask for
exact totals. The queries themselves are console_link's. All of them (the ``shard_setup``
search, the five counts, the finish-time aggregation) go out as one ``_msearch``: one request,
one round trip, whatever exists yet (a missing index fails each search with a 404 of its own).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..._decode import ShapeError, expect, shaped

__all__ = [
    "COUNT_KEYS",
    "MAX_COMPLETED_BODY",
    "PROGRESS_KEYS",
    "SHARD_SETUP_BODY",
    "SearchFailure",
    "count_body",
    "count_queries",
    "hits_total",
    "max_aggregation",
    "progress_answers",
    "progress_searches",
    "search_hits",
]

SHARD_SETUP_ID = "shard_setup"
_SETUP_DOC = {"match": {"_id": SHARD_SETUP_ID}}
_HAS_SUCCESSORS = {"exists": {"field": "successor_items"}}
_COMPLETED = {"exists": {"field": "completedAt"}}
_OPEN = {"bool": {"must_not": [_COMPLETED, _SETUP_DOC]}}

COUNT_KEYS = ("total", "completed", "incomplete", "in_progress", "unclaimed")
"""The five counts, in the order :func:`count_queries` returns them."""

SHARD_SETUP_BODY: dict[str, Any] = {"query": {"match": {"_id": SHARD_SETUP_ID}}}
"""Finds the document whose ``completedAt`` marks the end of shard setup."""

MAX_COMPLETED_BODY: dict[str, Any] = {
    "size": 0,
    "aggs": {"max_completed": {"max": {"field": "completedAt"}}},
    "query": {"exists": {"field": "completedAt"}},
}
"""The latest ``completedAt``: when the backfill finished."""


def count_queries(now: int) -> dict[str, dict[str, Any]]:
    """console_link's five work-item queries; ``now`` is the current epoch second."""
    return {
        "total": {"bool": {"must_not": [_SETUP_DOC, _HAS_SUCCESSORS]}},
        "completed": {"bool": {"must": [_COMPLETED], "must_not": [_SETUP_DOC, _HAS_SUCCESSORS]}},
        "incomplete": {"bool": {"must_not": [_COMPLETED, _SETUP_DOC]}},
        "in_progress": {"bool": {"must": [{"range": {"expiration": {"gte": now}}}, _OPEN]}},
        "unclaimed": {"bool": {"must": [{"range": {"expiration": {"lt": now}}}, _OPEN]}},
    }


def count_body(query: dict[str, Any]) -> dict[str, Any]:
    """A search that only counts, exactly (``track_total_hits``), past 10,000."""
    return {"size": 0, "track_total_hits": True, "query": query}


def hits_total(payload: Any) -> int:
    """``hits.total`` of a search response: ``{"value": n}`` (ES 7+/OpenSearch) or ``n`` (ES 6).

    Raises:
        ShapeError: The response has no total (``HttpResponse.parse`` makes it a
            ``MalformedResponseError``).
    """
    hits = expect(expect(payload, dict, "answer").get("hits"), dict, "hits")
    total = hits.get("total")
    if isinstance(total, dict):
        total = total.get("value")
    return expect(total, int, "hits.total")


def search_hits(payload: Any) -> list[dict[str, Any]]:
    """``hits.hits`` of a search response (each hit an object)."""
    hits = expect(expect(payload, dict, "answer").get("hits"), dict, "hits")
    return [expect(hit, dict, "hit") for hit in expect(hits.get("hits", []), list, "hits.hits")]


def max_aggregation(payload: Any) -> Any:
    """The value of the ``max_completed`` aggregation (None when no document has one)."""
    aggregations = expect(expect(payload, dict, "answer").get("aggregations"), dict, "aggregations")
    return expect(aggregations.get("max_completed"), dict, "max_completed").get("value")


PROGRESS_KEYS = ("shard_setup", *COUNT_KEYS, "max_completed")
"""The searches of :func:`progress_searches`, in order."""


def progress_searches(now: int) -> bytes:
    """The ``_msearch`` body (NDJSON) of every progress search, in :data:`PROGRESS_KEYS` order;
    each header is empty, so the URL's index applies. ``now`` is the current epoch second."""
    queries = count_queries(now)
    bodies = [SHARD_SETUP_BODY, *(count_body(queries[key]) for key in COUNT_KEYS)]
    bodies.append(MAX_COMPLETED_BODY)
    return b"".join(
        b"{}\n" + json.dumps(body, separators=(",", ":")).encode() + b"\n" for body in bodies
    )


@dataclass(frozen=True, slots=True)
class SearchFailure:
    """One search of an ``_msearch`` that failed on its own (the others may have answered)."""

    status: int | None
    type: str
    reason: str

    def __str__(self) -> str:
        return f"HTTP {self.status} {self.type}: {self.reason}"


def _failure(item: dict[str, Any]) -> SearchFailure | None:
    error = item.get("error")
    if error is None:
        return None
    status = item.get("status")
    status = status if isinstance(status, int) and not isinstance(status, bool) else None
    if isinstance(error, dict):
        return SearchFailure(status, str(error.get("type", "error")), str(error.get("reason", "")))
    return SearchFailure(status, "error", str(error))


def progress_answers(payload: Any) -> dict[str, Any]:
    """Each progress search's decoded answer by key, or its :class:`SearchFailure`:
    ``shard_setup`` the first hit's ``_source`` (None without hits), the counts their total,
    ``max_completed`` the aggregation's value.

    Raises:
        ShapeError: Not an ``_msearch`` answer of as many searches, or a search answered in
            the wrong shape.
    """
    responses = expect(expect(payload, dict, "answer").get("responses"), list, "responses")
    if len(responses) != len(PROGRESS_KEYS):
        raise ShapeError(f"{len(responses)} answers to {len(PROGRESS_KEYS)} searches")
    found: dict[str, Any] = {}
    for key, item in zip(PROGRESS_KEYS, responses, strict=True):
        item = expect(item, dict, f"{key} answer")
        failure = _failure(item)
        if failure is not None:
            found[key] = failure
        elif key == "shard_setup":
            hits = shaped(item, search_hits, key)
            found[key] = hits[0].get("_source") if hits else None
        elif key == "max_completed":
            found[key] = shaped(item, max_aggregation, key)
        else:
            found[key] = shaped(item, hits_total, key)
    return found
