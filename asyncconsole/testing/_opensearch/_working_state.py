"""The reindex-from-snapshot working-state index: seeding work items and simulating workers.

RFS keeps one document per work item in ``.migrations_working_state[_<session>]``, with id
``<index>__<shard>__<startingDocId>``, plus ``shard_setup``. A work item is completed when it
has ``completedAt``, in progress while its lease (``expiration``) lies in the future, and
unclaimed when the lease has expired; a split item carries ``successor_items`` and its
successors are new items. Times are epoch seconds.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ._index import Index
from ._store import Store

__all__ = [
    "WORKING_STATE_INDEX",
    "WORKING_STATE_MAPPINGS",
    "WorkItem",
    "WorkItemState",
    "claim_work_items",
    "complete_work_items",
    "seed_working_state",
    "working_state_index_name",
]

WORKING_STATE_INDEX = ".migrations_working_state"
WORKING_STATE_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "expiration": {"type": "long"},
        "completedAt": {"type": "long"},
        "leaseHolderId": {"type": "keyword", "norms": False},
        "status": {"type": "keyword", "norms": False},
        "successor_items": {"type": "keyword", "norms": False},
        "scriptVersion": {"type": "keyword", "norms": False},
        "creatorId": {"type": "keyword", "norms": False},
        "numAttempts": {"type": "integer"},
        "nextAcquisitionLeaseExponent": {"type": "integer"},
    },
}


class WorkItemState(enum.StrEnum):
    """How a seeded work item looks to the backfill status queries."""

    COMPLETED = "completed"
    IN_PROGRESS = "in_progress"
    UNCLAIMED = "unclaimed"
    SPLIT = "split"


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One work item to seed.

    ``SPLIT`` seeds two documents: the item, completed and naming its successor in
    ``successor_items``, and the successor (``<index>__<shard>__<starting_doc_id + 1000>``),
    in progress.
    """

    index: str
    shard: int
    state: WorkItemState
    starting_doc_id: int = 0

    @property
    def id(self) -> str:
        """The document id."""
        return f"{self.index}__{self.shard}__{self.starting_doc_id}"


def working_state_index_name(session: str | None = None) -> str:
    """``.migrations_working_state`` or ``.migrations_working_state_<session>``."""
    return f"{WORKING_STATE_INDEX}_{session}" if session else WORKING_STATE_INDEX


def _index(store: Store, session: str | None) -> Index:
    name = working_state_index_name(session)
    index = store.indices.get(name)
    if index is None:
        index = store.create_index(
            name,
            settings={"index": {"number_of_shards": 1, "number_of_replicas": 0}},
            mappings=WORKING_STATE_MAPPINGS,
        )
    return index


def seed_working_state(
    store: Store,
    items: Iterable[WorkItem] = (),
    *,
    completed: int = 0,
    in_progress: int = 0,
    unclaimed: int = 0,
    split: int = 0,
    session: str | None = None,
    shards_per_index: int = 2,
    index_prefix: str = "index",
    setup_completed: bool = True,
    started_ago: float = 3600.0,
    lease_seconds: float = 600.0,
) -> Index:
    """Create (or add to) the working-state index; see ``FakeOpenSearchServer.seed_working_state``."""
    index = _index(store, session)
    now = int(store.clock.now().timestamp())
    started = now - int(started_ago)
    if setup_completed and "shard_setup" not in index.docs:
        index.put(
            "shard_setup",
            {
                "scriptVersion": "poc",
                "creatorId": "fake-rfs-setup",
                "numAttempts": 1,
                "expiration": started,
                "completedAt": started,
            },
            infer=False,
        )
    counter = len(index.docs) - (1 if "shard_setup" in index.docs else 0)

    def generated(state: WorkItemState, count: int) -> Iterable[WorkItem]:
        nonlocal counter
        for _ in range(count):
            number = counter
            counter += 1
            yield WorkItem(
                f"{index_prefix}{number // shards_per_index}", number % shards_per_index, state
            )

    plan: list[Iterable[WorkItem]] = [
        items,
        generated(WorkItemState.COMPLETED, completed),
        generated(WorkItemState.IN_PROGRESS, in_progress),
        generated(WorkItemState.UNCLAIMED, unclaimed),
        generated(WorkItemState.SPLIT, split),
    ]
    times = _Times(now=now, started=started, lease_end=now + int(lease_seconds), done=now - 1)
    for group in plan:
        for item in group:
            _put_item(index, item, times)
    index.refresh()  # RFS workers refresh the working state after each change
    return index


@dataclass(frozen=True, slots=True)
class _Times:
    # Shared int objects: 200,000 seeded items must not each carry their own timestamps.
    now: int
    started: int
    lease_end: int
    done: int


def _put_item(index: Index, item: WorkItem, times: _Times) -> None:
    # At most five keys: CPython keeps such dicts in its smallest table (memory at scale).
    state = item.state
    doc: dict[str, Any] = {"scriptVersion": "poc"}
    if state is WorkItemState.UNCLAIMED:
        doc.update(numAttempts=0, expiration=times.started)
    elif state is WorkItemState.IN_PROGRESS:
        doc.update(numAttempts=1, expiration=times.lease_end, leaseHolderId="fake-rfs-worker")
    else:
        doc.update(
            numAttempts=1,
            expiration=times.done,
            completedAt=times.done,
            leaseHolderId="fake-rfs-worker",
        )
    if state is WorkItemState.SPLIT:
        successor = WorkItem(
            item.index, item.shard, WorkItemState.IN_PROGRESS, item.starting_doc_id + 1000
        )
        doc["successor_items"] = successor.id
        index.put(item.id, doc, size=200, infer=False)
        _put_item(index, successor, times)
        return
    index.put(item.id, doc, size=180, infer=False)


def _open_items(index: Index, now: int, *, leased: bool) -> Iterator[str]:
    """Open work items whose lease is live (``leased``) or expired, lazily: callers stop at
    the count they need, so a long backfill does not rescan every item.

    A refresh moves a rewritten document to the end of ``index.docs``, so leased items sit
    at the end (they are looked for from there) and never-claimed ones at the start.
    """
    docs = index.docs.items()
    for doc_id, doc in reversed(docs) if leased else docs:
        source = doc.source
        if doc_id == "shard_setup" or "completedAt" in source or "successor_items" in source:
            continue
        if (source.get("expiration", 0) >= now) is leased:
            yield doc_id


def complete_work_items(store: Store, count: int, *, session: str | None = None) -> int:
    """Mark up to ``count`` open work items (in progress first) completed now; returns how many."""
    index = store.indices.get(working_state_index_name(session))
    if index is None or count <= 0:
        return 0
    now = int(store.clock.now().timestamp())
    chosen = list(itertools.islice(_open_items(index, now, leased=True), count))
    if len(chosen) < count:
        chosen += itertools.islice(_open_items(index, now, leased=False), count - len(chosen))
    for doc_id in chosen:
        source = dict(index.docs[doc_id].source)
        source.update(completedAt=now, leaseHolderId=source.get("leaseHolderId", "fake-rfs-worker"))
        index.put(doc_id, source, size=0, infer=False)
    index.refresh()
    return len(chosen)


def claim_work_items(
    store: Store, count: int, *, session: str | None = None, lease_seconds: float = 600.0
) -> int:
    """Lease up to ``count`` unclaimed work items to a fake worker; returns how many."""
    index = store.indices.get(working_state_index_name(session))
    if index is None or count <= 0:
        return 0
    now = int(store.clock.now().timestamp())
    chosen = list(itertools.islice(_open_items(index, now, leased=False), count))
    for doc_id in chosen:
        source = dict(index.docs[doc_id].source)
        source.update(
            expiration=now + int(lease_seconds),
            leaseHolderId="fake-rfs-worker",
            numAttempts=int(source.get("numAttempts", 0)) + 1,
        )
        index.put(doc_id, source, size=0, infer=False)
    index.refresh()
    return len(chosen)
