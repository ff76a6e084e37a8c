"""``SimulatedFleet``: backfill (or replay) workers that load a fake target through ``_bulk``.

Each running worker sends one bulk request of ``docs_per_second x bulk_interval`` documents
every ``bulk_interval`` seconds, on the target's clock. A batch the target rejects (per-item
429s: its write queue was full) is sent again at the next interval, as an RFS worker retries
it, so a worker's throughput is whatever the target accepts of it. With ``docs_per_item``, the
accepted documents complete work items in the working-state index, the way reindex-from-snapshot
workers record progress; without it the fleet only writes (a replayer).

The fleet reads how many workers run from anything with an async ``counts()`` returning an
object with ``running`` (a ``WorkerDeployment``, e.g. ``FakeWorkerDeployment``), so scaling
that deployment changes the load the target sees.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from typing import Any, Protocol

from .._clock import Clock
from ..infra.http import HttpClient
from ._opensearch import FakeOpenSearch

__all__ = ["FleetStats", "SimulatedFleet"]

_log = logging.getLogger("asyncconsole.testing.fleet")
_GOLDEN = (math.sqrt(5) - 1) / 2  # spreads worker phases evenly whatever their number
_IDS_PER_WORKER = 64  # ids are reused so the target's memory stays flat over long runs


class _Counts(Protocol):
    @property
    def running(self) -> int: ...


class _Workers(Protocol):
    async def counts(self) -> _Counts: ...


@dataclass
class FleetStats:
    """What the fleet did so far.

    Attributes:
        bulks: Bulk requests sent.
        rejected_bulks: Bulk requests with at least one 429 item.
        docs_accepted: Documents the target took.
        docs_rejected: Document writes answered 429 (and sent again later).
        items_completed: Work items completed in the working-state index.
    """

    bulks: int = 0
    rejected_bulks: int = 0
    docs_accepted: int = 0
    docs_rejected: int = 0
    items_completed: int = 0


class _Slot:
    """One worker: when it sends next and what it still owes the target."""

    __slots__ = ("due", "pending", "progress", "sequence")

    def __init__(self, due: float, batch: int) -> None:
        self.due = due
        self.pending = batch  # documents of the current batch (resent until accepted)
        self.progress = 0  # accepted documents towards the current work item
        self.sequence = 0


class SimulatedFleet:
    """Workers writing to a :class:`FakeOpenSearch` through ``_bulk``, as many as ``workers``
    reports running.

    ``async with SimulatedFleet(...)`` is not needed: call :meth:`run` in a task (it runs until
    cancelled) or :meth:`step` yourself.

    Args:
        target: The fake target cluster (its clock is the fleet's).
        workers: What says how many workers run (``await workers.counts()``'s ``running``).
        docs_per_second: Documents one worker reads and sends per second.
        bulk_interval: Seconds between a worker's bulk requests.
        docs_per_item: Accepted documents that complete one work item; None writes only.
        index: The index the documents go to.
        session: The backfill session (working-state index suffix).
        http: The client to send with (default: ``target.client()``, in process).
        tick: Seconds between checks of the worker count and due sends.
    """

    def __init__(
        self,
        target: FakeOpenSearch,
        workers: _Workers,
        *,
        docs_per_second: float = 2.0,
        bulk_interval: float = 10.0,
        docs_per_item: int | None = 60,
        index: str = "migrated",
        session: str | None = None,
        http: HttpClient | None = None,
        tick: float = 1.0,
    ) -> None:
        if docs_per_second <= 0 or bulk_interval <= 0 or tick <= 0:
            raise ValueError("docs_per_second, bulk_interval and tick must be positive")
        if docs_per_item is not None and docs_per_item < 1:
            raise ValueError("docs_per_item must be at least 1 (or None)")
        self.target = target
        self.workers = workers
        self.docs_per_second = docs_per_second
        self.bulk_interval = bulk_interval
        self.docs_per_item = docs_per_item
        self.index = index
        self.session = session
        self.tick = tick
        self.batch = max(1, round(docs_per_second * bulk_interval))
        self.stats = FleetStats()
        self.running = 0
        """Workers sending at the last step."""
        self.finished = False
        """Whether the work items ran out (``docs_per_item`` only)."""
        self._http = http
        self._owns_http = http is None
        self._slots: list[_Slot] = []
        self._items_done = 0

    def __repr__(self) -> str:
        return f"SimulatedFleet(running={self.running}, batch={self.batch}, index={self.index!r})"

    @property
    def clock(self) -> Clock:
        """The target's clock."""
        return self.target.clock

    async def run(self) -> None:
        """Step every ``tick`` seconds until cancelled (then closes the client it made)."""
        try:
            while True:
                await self.step()
                await self.clock.sleep(self.tick)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close the client the fleet made (a given ``http`` is left open)."""
        http, self._http = self._http, None
        if http is not None and self._owns_http:
            await http.aclose()

    async def step(self) -> None:
        """Match the running workers, then send every bulk that is due."""
        now = self.clock.monotonic()
        counts = await self.workers.counts()
        self._resize(counts.running, now)
        if self.finished:
            return
        for number, slot in enumerate(self._slots):
            while slot.due <= now and not self.finished:
                await self._send(number, slot)
                slot.due += self.bulk_interval
        if self._items_done:
            self._complete()

    def _resize(self, running: int, now: float) -> None:
        self.running = running
        del self._slots[running:]  # a stopped worker's unfinished batch goes with it
        for number in range(len(self._slots), running):
            phase = (number * _GOLDEN) % 1.0 * self.bulk_interval
            self._slots.append(_Slot(now + phase, self.batch))
            if self.docs_per_item is not None:
                # Like an RFS worker, a new one leases a work item before it starts on it.
                self.target.rfs_claim(1, session=self.session)

    async def _send(self, number: int, slot: _Slot) -> None:
        if self._http is None:
            self._http = self.target.client(retry=False)
        lines = []
        for _ in range(slot.pending):
            doc_id = f"w{number}-{slot.sequence % _IDS_PER_WORKER}"
            slot.sequence += 1
            lines.append(json.dumps({"index": {"_index": self.index, "_id": doc_id}}))
            lines.append(json.dumps({"worker": number, "n": slot.sequence}))
        response = await self._http.request(
            "POST",
            "/_bulk",
            data="\n".join(lines) + "\n",
            headers={"Content-Type": "application/x-ndjson"},
        )
        items: list[dict[str, Any]] = response.json()["items"]
        rejected = sum(1 for item in items if next(iter(item.values())).get("status") == 429)
        self.stats.bulks += 1
        if rejected:
            self.stats.rejected_bulks += 1
            self.stats.docs_rejected += rejected
        accepted = len(items) - rejected
        self.stats.docs_accepted += accepted
        slot.pending = rejected or self.batch
        if self.docs_per_item is not None and accepted:
            slot.progress += accepted
            done, slot.progress = divmod(slot.progress, self.docs_per_item)
            self._items_done += done

    def _complete(self) -> None:
        # Once per step for the whole fleet: the working-state helpers scan the index.
        done, self._items_done = self._items_done, 0
        completed = self.target.rfs_complete(done, session=self.session)
        self.stats.items_completed += completed
        if completed < done:
            self.finished = True
            _log.info("simulated fleet: no work items left")
        else:
            self.target.rfs_claim(done, session=self.session)
