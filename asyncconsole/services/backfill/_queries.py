"""The working-state queries of console_link's deep status, made exact and cheap.

console_link sends each count with an unused painless cardinality aggregation and without
``track_total_hits`` (so counts stop at 10,000); these bodies drop the aggregation and ask for
exact totals. The queries themselves are console_link's.
"""

from __future__ import annotations

from typing import Any

from ..._errors import AsyncConsoleError

__all__ = [
    "COUNT_KEYS",
    "MAX_COMPLETED_BODY",
    "SHARD_SETUP_BODY",
    "count_body",
    "count_queries",
    "hits_total",
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
        AsyncConsoleError: The response has no total.
    """
    total = payload.get("hits", {}).get("total") if isinstance(payload, dict) else None
    if isinstance(total, dict):
        total = total.get("value")
    if isinstance(total, bool) or not isinstance(total, int):
        raise AsyncConsoleError(f"search response has no hits.total: {str(payload)[:200]}")
    return total
