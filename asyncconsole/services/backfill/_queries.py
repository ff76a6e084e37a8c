"""The working-state queries of console_link's deep status, made exact and cheap.

console_link sends each count with an unused painless cardinality aggregation and without
``track_total_hits`` (so counts stop at 10,000); these bodies drop the aggregation and ask for
exact totals. The queries themselves are console_link's.
"""

from __future__ import annotations

from typing import Any

from ..._decode import expect

__all__ = [
    "COUNT_KEYS",
    "MAX_COMPLETED_BODY",
    "SHARD_SETUP_BODY",
    "count_body",
    "count_queries",
    "hits_total",
    "max_aggregation",
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
