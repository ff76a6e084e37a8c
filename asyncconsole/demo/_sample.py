"""The demo's sample data: a few indices of generated documents and their RFS work items.

Every document belongs to one shard (round robin) and every shard is cut into work items of
:data:`DOCS_PER_ITEM` documents, named like RFS names them (``<index>__<shard>__<first doc>``),
so completing a work item says exactly which documents it moved.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "DOCS_PER_ITEM",
    "SAMPLE_INDICES",
    "SampleIndex",
    "sample_documents",
    "work_item_documents",
    "work_item_ids",
]

DOCS_PER_ITEM = 200
"""Documents per work item (RFS splits shards into items by document ranges)."""

Document = tuple[str, dict[str, Any]]

_LEVELS = ("INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG")
_SERVICES = ("checkout", "search", "auth", "inventory", "billing")
_CATEGORIES = ("books", "garden", "kitchen", "toys", "outdoor", "music")
_COUNTRIES = ("DE", "FR", "US", "BR", "JP", "IN", "NG", "CA")
_STATUSES = ("new", "paid", "shipped", "delivered", "returned")
_BASE = datetime(2024, 6, 1, tzinfo=UTC)


def _log(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "@timestamp": (_BASE + timedelta(seconds=37 * n)).isoformat(),
        "level": rng.choice(_LEVELS),
        "service": rng.choice(_SERVICES),
        "message": f"request {n} handled",
        "latency_ms": round(rng.lognormvariate(3, 0.6), 1),
    }


def _product(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "sku": f"SKU-{n:05d}",
        "name": f"{rng.choice(('Small', 'Large', 'Classic', 'Smart'))} item {n}",
        "category": rng.choice(_CATEGORIES),
        "price": round(rng.uniform(2, 250), 2),
        "stock": rng.randint(0, 500),
    }


def _customer(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "name": f"customer-{n}",
        "country": rng.choice(_COUNTRIES),
        "signup": (_BASE - timedelta(days=rng.randint(0, 900))).date().isoformat(),
    }


def _order(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "order_id": f"ORD-{n:06d}",
        "customer": f"customer-{rng.randint(0, 599)}",
        "total": round(rng.uniform(5, 900), 2),
        "status": rng.choice(_STATUSES),
    }


@dataclass(frozen=True)
class SampleIndex:
    """One sample index: its name, shard count, document count and how documents look."""

    name: str
    shards: int
    docs: int
    make: Callable[[random.Random, int], dict[str, Any]] = field(repr=False)
    mappings: dict[str, Any] = field(default_factory=dict, repr=False)

    def items_per_shard(self, shard: int) -> int:
        """How many work items shard ``shard`` is cut into."""
        in_shard = len(range(shard, self.docs, self.shards))
        return max(1, -(-in_shard // DOCS_PER_ITEM))


SAMPLE_INDICES: tuple[SampleIndex, ...] = (
    SampleIndex(
        "logs-2024.06",
        3,
        2400,
        _log,
        {"properties": {"@timestamp": {"type": "date"}, "level": {"type": "keyword"}}},
    ),
    SampleIndex("products", 2, 900, _product, {"properties": {"sku": {"type": "keyword"}}}),
    SampleIndex("customers", 1, 600, _customer, {"properties": {"country": {"type": "keyword"}}}),
    SampleIndex("orders", 2, 1100, _order, {"properties": {"status": {"type": "keyword"}}}),
)
"""The indices the demo's source cluster holds (5,000 documents, 27 work items)."""


def sample_documents(index: SampleIndex) -> Iterator[Document]:
    """The documents of ``index`` as ``(id, source)``, the same on every call."""
    rng = random.Random(f"asyncconsole-demo/{index.name}")
    for n in range(index.docs):
        yield f"{index.name[:3]}-{n:06d}", index.make(rng, n)


def work_item_ids(indices: tuple[SampleIndex, ...] = SAMPLE_INDICES) -> list[str]:
    """Every work item id of ``indices``, in shard order."""
    return [
        f"{index.name}__{shard}__{item * DOCS_PER_ITEM}"
        for index in indices
        for shard in range(index.shards)
        for item in range(index.items_per_shard(shard))
    ]


def work_item_documents(
    indices: tuple[SampleIndex, ...] = SAMPLE_INDICES,
) -> dict[str, list[Document]]:
    """The documents each work item moves, by work item id."""
    out: dict[str, list[Document]] = {item: [] for item in work_item_ids(indices)}
    for index in indices:
        for n, document in enumerate(sample_documents(index)):
            shard = n % index.shards
            position = n // index.shards
            start = position // DOCS_PER_ITEM * DOCS_PER_ITEM
            out[f"{index.name}__{shard}__{start}"].append(document)
    return out
